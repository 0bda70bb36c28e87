// A loopback HTTP(S) server for tests that records every request and follows a script: answer
// with a status, stall, or close mid-response. Written on Beast directly, not on
// chal::http::server, so it can misbehave in ways our server never would.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace boost::asio::ssl {
class context;
}

namespace chal::testing {

using header_list = std::vector<std::pair<std::string, std::string>>;

struct recorded_request {
    std::string method;
    std::string target;
    header_list headers;
    std::string body;  // raw bytes as received (after chunked decoding)
    std::chrono::steady_clock::time_point arrived_at;
    std::size_t connection = 0;   // 1-based number of the connection it came on
    std::string tls_server_name;  // SNI the client sent; empty for plain HTTP or no SNI

    // First header with this name, compared case-insensitively.
    std::optional<std::string_view> header(std::string_view name) const;
};

struct receiver_behaviour {
    enum class kind {
        respond,             // status + headers + body
        stall,               // read the request, then send nothing for `stall_for`
        close_mid_response,  // send `partial` (a cut status line or header), then close
    };
    kind action = kind::respond;
    unsigned status = 200;
    header_list headers;
    std::string body;
    bool close_after = false;  // respond without saying so, then close (a keep-alive that dies)
    std::chrono::milliseconds stall_for{0};
    std::string partial;

    static receiver_behaviour respond(unsigned status, header_list headers = {}, std::string body = {});
    // Default: far longer than any client timeout in our tests. stop() ends a stall early.
    static receiver_behaviour stall(std::chrono::milliseconds duration = std::chrono::minutes(5));
    static receiver_behaviour close_mid_response(std::string partial = "HTTP/1.1 200 OK\r\nContent-Ty");
    // Answers normally but closes the connection right after, while the response claims
    // keep-alive: the client's next request on that connection meets a dead socket.
    static receiver_behaviour respond_then_close(unsigned status);
};

struct receiver_options {
    // Serve HTTPS with this context (see tls_test_certs.hpp); it must outlive the receiver.
    boost::asio::ssl::context* tls = nullptr;
};

class webhook_receiver {
public:
    // Listens on 127.0.0.1 with an ephemeral port and starts accepting at once.
    explicit webhook_receiver(boost::asio::any_io_executor executor, receiver_options options = {});
    ~webhook_receiver();  // stop()
    webhook_receiver(const webhook_receiver&) = delete;
    webhook_receiver& operator=(const webhook_receiver&) = delete;

    // Behaviours for the next requests, one per request in arrival order (appended to what is
    // left of the script). When the script is used up, the default applies (200, empty body).
    void script(std::vector<receiver_behaviour> behaviours);
    void set_default(receiver_behaviour behaviour);

    std::uint16_t port() const;
    // "http://127.0.0.1:<port><path>", or https with options.tls; `host` replaces 127.0.0.1
    // (use "localhost" for the TLS certificate's name).
    std::string url(std::string_view path = "/", std::string_view host = "127.0.0.1") const;

    std::vector<recorded_request> requests() const;
    std::size_t connections_accepted() const;

    // Waits until at least `n` requests have been recorded; false if the deadline came first.
    boost::asio::awaitable<bool> wait_for_requests(
        std::size_t n, std::chrono::steady_clock::time_point deadline
    );

    // Stops accepting and closes every connection, ending stalls. Idempotent.
    void stop();

    struct state;

private:
    std::shared_ptr<state> state_;
};

}  // namespace chal::testing
