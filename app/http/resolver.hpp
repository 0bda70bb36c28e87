// Host name lookups for one outbound client, on threads of its own and bounded: at most
// `threads` lookups run at once, at most `max_running_per_key` of them for one key (a tenant),
// taken round robin across keys, and each waits at most `lookup_timeout`. Asio's own resolver
// runs every lookup of the process on one hidden thread, so one slow name held up everyone's.
// A lookup whose caller gave up is dropped from its queue; getaddrinfo itself cannot be
// interrupted, so one already running keeps its thread (and its key's share) until it returns.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace chal::http {

struct resolver_config {
    std::size_t threads = 4;
    std::size_t max_running_per_key = 2;
    std::size_t max_queued_per_key = 64;  // past it a lookup is refused at once (resolver_busy)
    std::chrono::milliseconds lookup_timeout{5000};
};

using resolved_endpoints = std::vector<boost::asio::ip::tcp::endpoint>;

// The blocking lookup run on the resolver's threads; getaddrinfo unless a test gives another.
// Any error means "did not resolve".
using blocking_lookup = std::function<boost::system::result<resolved_endpoints>(const std::string& host, std::uint16_t port)>;
boost::system::result<resolved_endpoints> system_lookup(const std::string& host, std::uint16_t port);

namespace detail {
struct resolver_state;
}

// Use from the thread that runs `executor` (B.6); only the blocking calls run elsewhere.
class resolver {
public:
    resolver(boost::asio::any_io_executor executor, resolver_config config, blocking_lookup lookup = system_lookup);
    ~resolver();  // waits for lookups still running (getaddrinfo's own timeouts bound them)
    resolver(const resolver&) = delete;
    resolver& operator=(const resolver&) = delete;

    // The addresses of `host`, or client_errc::dns_failure, ::timeout (the deadline or the lookup
    // timeout passed first) or ::resolver_busy (the key has too many lookups waiting). Throws
    // operation_aborted if the calling coroutine is cancelled; its lookup is dropped then too.
    boost::asio::awaitable<boost::system::result<resolved_endpoints>> resolve(
        std::string host, std::uint16_t port, std::string key, std::chrono::steady_clock::time_point deadline
    );

    // Lookups running on the threads now, and waiting for one (all keys).
    std::size_t running() const noexcept;
    std::size_t queued() const noexcept;

private:
    std::shared_ptr<detail::resolver_state> state_;
};

}  // namespace chal::http
