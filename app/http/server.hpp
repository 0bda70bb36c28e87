// The HTTP/1.1 server: accept loop, sessions (read -> route -> write, keep-alive, limits,
// timeouts) and graceful drain. Plain HTTP; TLS is terminated in front of us.
#pragma once

#include "app/http/handler.hpp"
#include "app/http/router.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/verb.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace chal::http {

struct server_config {
    std::string address = "127.0.0.1";
    std::uint16_t port = 0;  // 0 = ephemeral; read the real one with server::local_port()
    std::size_t body_limit = 64 * 1024;
    std::size_t header_limit = 16 * 1024;
    std::chrono::seconds read_timeout{30};  // first byte of a new connection, a whole request, a write
    std::chrono::seconds idle_timeout{60};  // between requests on a keep-alive connection
    std::size_t max_connections = 10000;    // at the limit the accept loop waits for a free slot
    // Sent as Strict-Transport-Security on every response when not empty (the service sets it
    // when its public base URL is https: browsers then never try plain http for it again).
    std::string strict_transport_security;
};

enum class log_level { debug, info, warning, error };

// One finished request, for metrics and the access log. The views live for the call only.
struct completed_request {
    std::string_view route_name;  // "unmatched" for 404/405 and requests that could not be parsed
    boost::beast::http::verb method;
    unsigned status;
    std::chrono::steady_clock::duration duration;
    std::string_view request_id;
    std::string_view remote_address;
};

struct server_hooks {
    // Builds the error responses the server produces itself: 400 (malformed request), 404,
    // 405 (the server adds Allow), 413 (body over the limit), 431 (header over the limit) and
    // 500 (handler threw; message "Internal server error"). The API layer owns the body shape.
    // Empty: a text/plain body with the message.
    std::function<response(unsigned status, std::string_view message)> error_response;
    // Called once per request that produced a response. Empty: nothing.
    std::function<void(const completed_request&)> on_complete;
    // Server-side events (handler exceptions, accept failures). Empty: nothing.
    std::function<void(log_level, std::string_view message)> log;
};

class server {
public:
    // Binds and listens immediately (throws boost::system::system_error if it cannot), so
    // local_port() is valid as soon as the constructor returns.
    server(boost::asio::any_io_executor executor, server_config config, router routes, server_hooks hooks);
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    std::uint16_t local_port() const noexcept;

    // The accept loop: one session per connection. Returns after stop_accepting().
    boost::asio::awaitable<void> run();

    // Closes the listening socket; run() returns. Existing connections are unaffected.
    void stop_accepting();

    // Graceful shutdown: stops accepting, closes idle keep-alive connections at once, lets
    // requests already being read or handled finish (answered with `Connection: close`), and
    // after `limit` cancels the handlers still running and closes their connections.
    // Returns when every session has ended (at most about one second after `limit`).
    boost::asio::awaitable<void> drain(std::chrono::steady_clock::duration limit);

    std::size_t open_connections() const noexcept;

private:
    struct state;
    std::shared_ptr<state> state_;
};

}  // namespace chal::http
