// The outbound HTTP client (webhooks, Slack Web API, identity providers: one client each): one
// request per send(), DNS + SSRF guard + connect + TLS + write + read under one deadline, idle
// keep-alive connections reused. Each client resolves names on threads of its own, so one
// client's slow lookups never queue another's. Never follows redirects. Failures are values
// (client_errc), not exceptions.
#pragma once

#include "app/core/network_address.hpp"
#include "app/http/client_error.hpp"
#include "app/http/resolver.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chal::http {

namespace detail {
struct client_state;
}

struct client_config {
    // Every address a request would reach (IP literal or every resolved A/AAAA) is classified
    // with core::classify; one refused address refuses the request.
    core::outbound_address_policy address_policy;
    bool allow_plain_http = false;  // http:// only in development and tests
    std::chrono::milliseconds connect_timeout{3000};
    std::size_t max_response_header = 16 * 1024;
    std::size_t max_response_body = 1024 * 1024;
    std::size_t max_idle_per_host = 8;
    std::size_t max_idle_total = 256;  // file descriptors kept idle, all hosts together
    std::chrono::seconds idle_keepalive{30};
    resolver_config resolver;
    blocking_lookup lookup = system_lookup;  // tests: a resolver they control
    // Extra trusted CA certificates (PEM), added to the system trust store. For tests.
    std::string extra_ca_pem;
};

struct outgoing_request {
    boost::beast::http::verb method = boost::beast::http::verb::get;
    std::string url;
    // Host, Content-Length, Transfer-Encoding and Connection are the client's and are ignored
    // here; User-Agent defaults to "chal-http/1".
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::chrono::milliseconds total_timeout{10000};  // DNS + connect + TLS + write + read
    std::size_t max_body_override = 0;               // 0 = client_config::max_response_body
    // Whose request this is (a tenant id): its host name lookups share that key's bound.
    std::string fairness_key;
};

struct incoming_response {
    unsigned status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    bool body_truncated = false;  // the body went over the limit; `body` holds its first bytes
    std::chrono::milliseconds elapsed{0};
    std::string peer_address;  // the IP we were connected to

    // First header with this name, compared case-insensitively.
    std::optional<std::string_view> header(std::string_view name) const noexcept;
};

class client {
public:
    // Throws boost::system::system_error if extra_ca_pem cannot be loaded.
    client(boost::asio::any_io_executor executor, client_config config);
    ~client();
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    // Only errors from the world being broken (out of memory) and cancellation of the calling
    // coroutine are thrown; everything about the destination is a client_errc.
    boost::asio::awaitable<boost::system::result<incoming_response>> send(outgoing_request req);

    // Idle keep-alive connections currently kept, all hosts together.
    std::size_t idle_connections() const noexcept;
    // Host name lookups running and waiting now.
    std::size_t lookups_running() const noexcept;
    std::size_t lookups_queued() const noexcept;

private:
    std::shared_ptr<detail::client_state> state_;
};

}  // namespace chal::http
