#include "tests/support/webhook_receiver.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/ssl.h>

#include <algorithm>
#include <deque>
#include <exception>
#include <list>

namespace chal::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// A test that forgets to answer should fail by its own deadline, not hang the receiver.
constexpr std::chrono::seconds io_limit{30};

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequal(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

}  // namespace

std::optional<std::string_view> recorded_request::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (iequal(key, name)) {
            return value;
        }
    }
    return std::nullopt;
}

receiver_behaviour receiver_behaviour::respond(unsigned status, header_list headers, std::string body) {
    receiver_behaviour b;
    b.status = status;
    b.headers = std::move(headers);
    b.body = std::move(body);
    return b;
}

receiver_behaviour receiver_behaviour::stall(std::chrono::milliseconds duration) {
    receiver_behaviour b;
    b.action = kind::stall;
    b.stall_for = duration;
    return b;
}

receiver_behaviour receiver_behaviour::close_mid_response(std::string partial) {
    receiver_behaviour b;
    b.action = kind::close_mid_response;
    b.partial = std::move(partial);
    return b;
}

receiver_behaviour receiver_behaviour::respond_then_close(unsigned status) {
    receiver_behaviour b;
    b.status = status;
    b.close_after = true;
    return b;
}

// Everything the accept loop and the connections share; they hold it by shared_ptr so the
// receiver object may go away first.
struct webhook_receiver::state {
    explicit state(asio::any_io_executor ex, receiver_options opts)
        : executor(ex), options(opts), acceptor(ex) {}

    // An open connection, reachable from stop().
    struct live_connection {
        beast::tcp_stream* stream = nullptr;
        asio::steady_timer* stall = nullptr;
    };

    asio::any_io_executor executor;
    receiver_options options;
    tcp::acceptor acceptor;
    std::uint16_t port = 0;
    std::deque<receiver_behaviour> script;
    receiver_behaviour fallback;
    std::vector<recorded_request> recorded;
    std::size_t accepted = 0;
    bool stopped = false;
    std::list<live_connection> live;
    std::list<asio::steady_timer*> waiters;

    receiver_behaviour next_behaviour() {
        if (script.empty()) {
            return fallback;
        }
        auto b = std::move(script.front());
        script.pop_front();
        return b;
    }

    void notify() {
        for (auto* timer : waiters) {
            timer->cancel();
        }
    }
};

namespace {

using state_ptr = std::shared_ptr<webhook_receiver::state>;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

beast::tcp_stream& lowest(beast::tcp_stream& s) {
    return s;
}
beast::tcp_stream& lowest(tls_stream& s) {
    return beast::get_lowest_layer(s);
}

std::string server_name(beast::tcp_stream&) {
    return {};
}
std::string server_name(tls_stream& s) {
    const char* name = SSL_get_servername(s.native_handle(), TLSEXT_NAMETYPE_host_name);
    return name != nullptr ? std::string(name) : std::string{};
}

// Serves requests on one connection until a behaviour or the client ends it.
template <class Stream>
asio::awaitable<void> serve(state_ptr st, Stream& stream, std::size_t connection_number) {
    asio::steady_timer stall_timer{st->executor};
    auto entry = st->live.insert(st->live.end(), {&lowest(stream), &stall_timer});
    struct unregister {
        webhook_receiver::state& s;
        std::list<webhook_receiver::state::live_connection>::iterator it;
        ~unregister() { s.live.erase(it); }
    } guard{*st, entry};

    const std::string sni = server_name(stream);
    beast::flat_buffer buffer;
    for (;;) {
        bhttp::request_parser<bhttp::string_body> parser;
        parser.body_limit(16 * 1024 * 1024);
        lowest(stream).expires_after(io_limit);
        auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
        if (ec) {
            co_return;
        }
        const auto& req = parser.get();
        recorded_request rec;
        rec.method = std::string(req.method_string());
        rec.target = std::string(req.target());
        for (const auto& field : req) {
            rec.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
        }
        rec.body = req.body();
        rec.arrived_at = std::chrono::steady_clock::now();
        rec.connection = connection_number;
        rec.tls_server_name = sni;
        st->recorded.push_back(std::move(rec));
        st->notify();

        const auto behaviour = st->next_behaviour();
        switch (behaviour.action) {
            case receiver_behaviour::kind::stall: {
                stall_timer.expires_after(behaviour.stall_for);
                co_await stall_timer.async_wait(use_tuple);  // stop() cancels it
                co_return;
            }
            case receiver_behaviour::kind::close_mid_response: {
                lowest(stream).expires_after(io_limit);
                co_await asio::async_write(stream, asio::buffer(behaviour.partial), use_tuple);
                lowest(stream).close();
                co_return;
            }
            case receiver_behaviour::kind::respond: break;
        }

        bhttp::response<bhttp::string_body> res;
        res.result(behaviour.status);
        res.version(req.version());
        for (const auto& [name, value] : behaviour.headers) {
            res.insert(name, value);
        }
        res.body() = behaviour.body;
        const bool keep_alive = req.keep_alive() && res.keep_alive();  // a scripted "Connection: close" wins
        res.keep_alive(keep_alive);
        res.prepare_payload();
        lowest(stream).expires_after(io_limit);
        auto [wec, wn] = co_await bhttp::async_write(stream, res, use_tuple);
        if (wec || !keep_alive || behaviour.close_after) {
            lowest(stream).close();
            co_return;
        }
    }
}

asio::awaitable<void> serve_connection(state_ptr st, tcp::socket socket, std::size_t connection_number) {
    try {
        beast::tcp_stream plain{std::move(socket)};
        if (st->options.tls == nullptr) {
            co_await serve(st, plain, connection_number);
            co_return;
        }
        tls_stream secure{std::move(plain), *st->options.tls};
        beast::get_lowest_layer(secure).expires_after(io_limit);
        auto [ec] = co_await secure.async_handshake(asio::ssl::stream_base::server, use_tuple);
        if (!ec) {
            co_await serve(st, secure, connection_number);
        }
    } catch (const std::exception&) {
        // Connection-level failures end the connection; tests observe them through the client.
    }
}

asio::awaitable<void> accept_loop(state_ptr st) {
    while (!st->stopped) {
        auto [ec, socket] = co_await st->acceptor.async_accept(use_tuple);
        if (ec) {
            co_return;
        }
        const std::size_t number = ++st->accepted;
        auto ignore_completion = [](const std::exception_ptr&) {};
        asio::co_spawn(st->executor, serve_connection(st, std::move(socket), number), ignore_completion);
    }
}

}  // namespace

webhook_receiver::webhook_receiver(asio::any_io_executor executor, receiver_options options)
    : state_(std::make_shared<state>(executor, options)) {
    const tcp::endpoint endpoint{asio::ip::make_address_v4("127.0.0.1"), 0};
    state_->acceptor.open(endpoint.protocol());
    state_->acceptor.bind(endpoint);
    state_->acceptor.listen();
    state_->port = state_->acceptor.local_endpoint().port();
    auto ignore_completion = [](const std::exception_ptr&) {};
    asio::co_spawn(executor, accept_loop(state_), ignore_completion);
}

webhook_receiver::~webhook_receiver() {
    stop();
}

void webhook_receiver::script(std::vector<receiver_behaviour> behaviours) {
    for (auto& b : behaviours) {
        state_->script.push_back(std::move(b));
    }
}

void webhook_receiver::set_default(receiver_behaviour behaviour) {
    state_->fallback = std::move(behaviour);
}

std::uint16_t webhook_receiver::port() const {
    return state_->port;
}

std::string webhook_receiver::url(std::string_view path, std::string_view host) const {
    const std::string scheme = state_->options.tls != nullptr ? "https://" : "http://";
    return scheme + std::string(host) + ":" + std::to_string(state_->port) + std::string(path);
}

std::vector<recorded_request> webhook_receiver::requests() const {
    return state_->recorded;
}

std::size_t webhook_receiver::connections_accepted() const {
    return state_->accepted;
}

asio::awaitable<bool> webhook_receiver::wait_for_requests(
    std::size_t n, std::chrono::steady_clock::time_point deadline
) {
    const state_ptr st = state_;
    while (st->recorded.size() < n && std::chrono::steady_clock::now() < deadline) {
        asio::steady_timer timer{st->executor, deadline};
        const auto it = st->waiters.insert(st->waiters.end(), &timer);
        co_await timer.async_wait(use_tuple);
        st->waiters.erase(it);
    }
    co_return st->recorded.size() >= n;
}

void webhook_receiver::stop() {
    if (state_->stopped) {
        return;
    }
    state_->stopped = true;
    boost::system::error_code ignored;
    state_->acceptor.close(ignored);
    for (auto& conn : state_->live) {
        conn.stall->cancel();
        conn.stream->close();
    }
    state_->notify();
}

}  // namespace chal::testing
