// One connection: wait for a request, read it within the limits, route it, write the answer,
// and loop while both sides want keep-alive (Beast's awaitable server example, plus limits,
// request ids, hooks and drain).
#include "app/http/session.hpp"

#include "app/http/request_framing.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <array>
#include <exception>
#include <string>
#include <utility>

namespace chal::http::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// After an error response that closes the connection, keep reading (and discarding) what the
// client is still sending for a short while. Closing a socket with unread data makes the
// kernel send RST, and the client can lose our 413/400 before reading it.
constexpr std::chrono::seconds linger_limit{1};
constexpr std::size_t linger_max_bytes = 1024 * 1024;

std::string remote_address_of(const beast::tcp_stream& stream) {
    boost::system::error_code ec;
    auto address = stream.socket().remote_endpoint(ec).address();
    if (ec) {
        return "unknown";
    }
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
        address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
    }
    return address.to_string();
}

response error_response(const server_shared& shared, unsigned status, std::string_view message) {
    if (shared.hooks.error_response) {
        try {
            return shared.hooks.error_response(status, message);
        } catch (const std::exception& e) {
            shared.log(log_level::error, std::string("error_response hook threw: ") + e.what());
        }
    }
    response res;
    res.result(status);
    res.set(bhttp::field::content_type, "text/plain; charset=utf-8");
    res.body() = message;
    return res;
}

void notify_complete(const server_shared& shared, const completed_request& done) {
    if (!shared.hooks.on_complete) {
        return;
    }
    try {
        shared.hooks.on_complete(done);
    } catch (const std::exception& e) {
        shared.log(log_level::error, std::string("on_complete hook threw: ") + e.what());
    }
}

// Beast writes field values as given, so a CR or LF in one (a tenant's IdP URL in a Location,
// say) would end the header and let its author add their own. No handler may emit one.
bool has_unsafe_header_value(const response& res) {
    for (const auto& field : res) {
        for (const char c : field.value()) {
            const auto u = static_cast<unsigned char>(c);
            if ((u < 0x20 && c != '\t') || u == 0x7f) return true;
        }
    }
    return false;
}

// The session, not the handler, decides these. Every response also gets the baseline security
// headers unless its handler chose its own (the verification pages send a fuller policy).
void finish(const server_config& config, response& res, unsigned version, bool keep_alive, const std::string& request_id) {
    res.version(version);
    res.keep_alive(keep_alive);
    res.set("X-Request-Id", request_id);
    if (!config.strict_transport_security.empty()) res.set("Strict-Transport-Security", config.strict_transport_security);
    if (res.find("X-Content-Type-Options") == res.end()) res.set("X-Content-Type-Options", "nosniff");
    if (res.find("Referrer-Policy") == res.end()) res.set("Referrer-Policy", "no-referrer");
    if (res.find("Content-Security-Policy") == res.end())
        res.set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
    res.prepare_payload();
}

// What a failed read means for the client: an answer and close, or just close.
struct read_failure {
    unsigned status;  // 0: close without answering
    std::string_view message;
};

read_failure classify_read_error(const boost::system::error_code& ec) {
    if (ec == bhttp::error::body_limit) {
        return {413, "Payload too large"};
    }
    if (ec == bhttp::error::header_limit) {
        return {431, "Request header fields too large"};
    }
    // The peer went away (end_of_stream, partial_message, resets) or was too slow (timeout),
    // or drain closed us: nobody to answer.
    if (ec.category() != bhttp::make_error_code(bhttp::error::end_of_stream).category() ||
        ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) {
        return {0, {}};
    }
    return {400, "Bad request"};
}

asio::awaitable<void> linger_and_close(beast::tcp_stream& stream) {
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream.expires_after(linger_limit);
    std::array<char, 4096> sink{};
    std::size_t discarded = 0;
    while (discarded < linger_max_bytes) {
        auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), use_tuple);
        if (ec) {
            break;
        }
        discarded += n;
    }
    stream.close();
}

class session {
public:
    session(server_shared& shared, connection& conn, beast::tcp_stream& stream)
        : shared_(shared), conn_(conn), stream_(stream), remote_(remote_address_of(stream)) {}

    asio::awaitable<void> run() {
        bool first = true;
        for (;;) {
            conn_.busy = false;
            if (shared_.draining) {
                break;
            }
            if (buffer_.size() == 0) {
                // Idle: wait for the first byte with the idle limit, so a slow request and an
                // idle keep-alive connection get separate budgets.
                stream_.expires_after(first ? shared_.config.read_timeout : shared_.config.idle_timeout);
                auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(4096), use_tuple);
                if (ec) {
                    co_return;  // closed, timed out, or closed by drain()
                }
                buffer_.commit(n);
            }
            first = false;
            conn_.busy = true;
            if (!co_await serve_one()) {
                break;
            }
        }
        boost::system::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }

private:
    // Reads, routes and answers one request. Returns whether to keep the connection.
    asio::awaitable<bool> serve_one() {
        const auto received_at = std::chrono::steady_clock::now();
        bhttp::request_parser<bhttp::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(shared_.config.header_limit));
        parser.body_limit(shared_.config.body_limit);

        stream_.expires_after(shared_.config.read_timeout);
        auto [ec, n] = co_await bhttp::async_read_header(stream_, buffer_, parser, use_tuple);
        if (!ec) {
            // Before a byte of the body is read: a body we cannot delimit for certain must not
            // be read at all, or its bytes would be taken for the next request.
            if (const auto refusal = refuse_unsafe_framing(parser.get())) {
                co_await answer_and_close({refusal->status, refusal->message}, parser, received_at);
                co_return false;
            }
        }
        if (!ec && !parser.is_done()) {
            if (beast::iequals(parser.get()[bhttp::field::expect], "100-continue")) {
                static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
                auto [wec, wn] = co_await asio::async_write(stream_, asio::buffer(go_on), use_tuple);
                ec = wec;
            }
            if (!ec) {
                auto [rec, rn] = co_await bhttp::async_read(stream_, buffer_, parser, use_tuple);
                ec = rec;
            }
        }
        if (ec) {
            const auto failure = classify_read_error(ec);
            if (failure.status == 0) {
                shared_.log(log_level::debug, "connection from " + remote_ + " ended while reading: " + ec.message());
                co_return false;
            }
            co_await answer_and_close(failure, parser, received_at);
            co_return false;
        }

        request req = parser.release();
        const std::string request_id = pick_request_id(req);
        const std::string_view target = req.target();
        std::string route_name = "unmatched";
        response res;
        if (target.empty() || target.front() != '/') {
            res = error_response(shared_, 400, "Bad request");
        } else {
            const auto query_start = target.find('?');
            const auto path = target.substr(0, query_start);
            const auto query =
                query_start == std::string_view::npos ? std::string_view{} : target.substr(query_start + 1);
            auto match = shared_.routes.match(req.method(), path);
            if (auto* found = std::get_if<router::found>(&match)) {
                route_name = found->route_name;
                request_context ctx{
                    req, path, query, std::move(found->params), remote_, request_id, received_at};
                res = co_await call_handler(*found->fn, ctx, route_name);
            } else if (auto* bad = std::get_if<router::bad_parameter>(&match)) {
                route_name = bad->route_name;
                res = error_response(shared_, 400, "Bad request: a path parameter is not valid text");
            } else if (auto* not_allowed = std::get_if<router::method_not_allowed>(&match)) {
                res = error_response(shared_, 405, "Method not allowed");
                res.set(bhttp::field::allow, not_allowed->allow_header());
            } else {
                res = error_response(shared_, 404, "Not found");
            }
        }

        if (has_unsafe_header_value(res)) {
            shared_.log(log_level::error, "route " + route_name + " produced a header value with control characters "
                                          "(request_id=" + request_id + "); answering 500 instead");
            res = error_response(shared_, 500, "Internal server error");
        }
        const bool keep_alive = req.keep_alive() && !shared_.draining;
        finish(shared_.config, res, req.version(), keep_alive, request_id);
        stream_.expires_after(shared_.config.read_timeout);
        auto [wec, wn] = co_await bhttp::async_write(stream_, res, use_tuple);
        notify_complete(
            shared_,
            {route_name,
             req.method(),
             res.result_int(),
             std::chrono::steady_clock::now() - received_at,
             request_id,
             remote_}
        );
        co_return !wec && keep_alive;
    }

    asio::awaitable<response> call_handler(
        const handler& fn, request_context& ctx, const std::string& route_name
    ) {
        std::string failure;
        try {
            co_return co_await fn(ctx);
        } catch (const std::exception& e) {
            failure = e.what();
        } catch (...) {
            failure = "unknown exception";
        }
        // After drain() cancelled the connection the handler's failure is the cancellation itself.
        shared_.log(
            conn_.cancelled ? log_level::debug : log_level::error,
            "handler for route " + route_name + " threw (request_id=" + ctx.request_id + "): " + failure
        );
        co_return error_response(shared_, 500, "Internal server error");
    }

    // Answers a request that could not be read whole (or must not be) and closes the
    // connection, discarding what the client is still sending.
    asio::awaitable<void> answer_and_close(
        read_failure failure,
        bhttp::request_parser<bhttp::string_body>& parser,
        std::chrono::steady_clock::time_point received_at
    ) {
        // Whatever of the header was parsed before the error is in parser.get(): the method
        // (verb::unknown if the request line was bad), the version, maybe an X-Request-Id.
        const auto& partial = parser.get();
        const auto method = partial.method();
        const std::string request_id = pick_request_id(partial);
        response res = error_response(shared_, failure.status, failure.message);
        finish(shared_.config, res, partial.version() == 10 ? 10 : 11, false, request_id);
        stream_.expires_after(shared_.config.read_timeout);
        auto [wec, wn] = co_await bhttp::async_write(stream_, res, use_tuple);
        notify_complete(
            shared_,
            {"unmatched",
             method,
             res.result_int(),
             std::chrono::steady_clock::now() - received_at,
             request_id,
             remote_}
        );
        if (!wec) {
            co_await linger_and_close(stream_);
        }
    }

    std::string pick_request_id(const request& req) {
        const auto incoming = req["X-Request-Id"];
        if (is_sane_request_id(std::string_view(incoming.data(), incoming.size()))) {
            return std::string(incoming);
        }
        return shared_.ids.next();
    }

    server_shared& shared_;
    connection& conn_;
    beast::tcp_stream& stream_;
    beast::flat_buffer buffer_;
    std::string remote_;
};

}  // namespace

asio::awaitable<void> notifier::wait_until(std::chrono::steady_clock::time_point deadline) {
    asio::steady_timer timer{executor_, deadline};
    struct registration {
        std::list<asio::steady_timer*>& list;
        std::list<asio::steady_timer*>::iterator it;
        ~registration() { list.erase(it); }
    } reg{waiters_, waiters_.insert(waiters_.end(), &timer)};
    co_await timer.async_wait(use_tuple);  // a cancel() from notify_all() is the normal wake-up
}

void notifier::notify_all() {
    for (auto* timer : waiters_) {
        timer->cancel();
    }
}

server_shared::server_shared(asio::any_io_executor ex, server_config cfg, router r, server_hooks h)
    : executor(ex),
      config(std::move(cfg)),
      routes(std::move(r)),
      hooks(std::move(h)),
      acceptor(ex),
      changes(ex) {}

void server_shared::log(log_level level, std::string_view message) const {
    if (!hooks.log) {
        return;
    }
    try {
        hooks.log(level, message);
    } catch (...) {
        // A failing logger must not take a session down with it.
    }
}

asio::awaitable<void> run_session(
    std::shared_ptr<server_shared> shared, std::shared_ptr<connection> conn, tcp::socket socket
) {
    beast::tcp_stream stream{std::move(socket)};
    conn->stream = &stream;
    struct on_exit {
        connection& c;
        ~on_exit() {
            c.stream = nullptr;
            c.busy = false;
            c.ended = true;
        }
    } guard{*conn};

    // Top of a spawned task: catch everything, log it, end only this connection (B.5 rule 4).
    std::string failure;
    try {
        session s{*shared, *conn, stream};
        co_await s.run();
    } catch (const boost::system::system_error& e) {
        if (e.code() != asio::error::operation_aborted) {
            failure = e.what();
        }
    } catch (const std::exception& e) {
        failure = e.what();
    }
    if (!failure.empty()) {
        shared->log(log_level::error, "session failed: " + failure);
    }
}

}  // namespace chal::http::detail
