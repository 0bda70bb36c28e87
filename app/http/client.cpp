// The outbound client. Shape of one send():
//   parse URL -> scheme policy -> [idle connection for (scheme, host, port)]
//   or: resolve (bounded) -> classify every address -> connect to those addresses -> TLS
//   -> write -> read header and body within limits -> keep or close the connection.
// Everything after parsing runs under the request's one deadline, set on the tcp_stream.
#include "app/http/client.hpp"

#include "app/http/url.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/system/system_error.hpp>

#include <openssl/ssl.h>

#include <algorithm>
#include <deque>
#include <exception>
#include <limits>
#include <map>
#include <optional>

namespace chal::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace detail {

using tls_stream = beast::ssl_stream<beast::tcp_stream>;

// One connection to one (scheme, host, port), plain or TLS, with its read buffer.
struct pooled_connection {
    std::unique_ptr<beast::tcp_stream> plain;  // exactly one of plain and tls is set
    std::unique_ptr<tls_stream> tls;
    beast::flat_buffer buffer;
    std::string peer_address;
    clock_type::time_point idle_until{};

    beast::tcp_stream& lowest() { return plain ? *plain : beast::get_lowest_layer(*tls); }
};

struct client_state {
    client_state(asio::any_io_executor ex, client_config cfg)
        : executor(std::move(ex)),
          config(std::move(cfg)),
          tls_context(asio::ssl::context::tls_client),
          names(executor, config.resolver, config.lookup) {}

    asio::any_io_executor executor;
    client_config config;
    asio::ssl::context tls_context;
    resolver names;
    std::map<std::string, std::deque<std::unique_ptr<pooled_connection>>> idle;
    std::size_t idle_count = 0;
};

}  // namespace detail

namespace {

using detail::client_state;
using detail::pooled_connection;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// A closing TLS connection says close_notify from a background task bounded by this.
constexpr std::chrono::milliseconds tls_goodbye_limit{1000};

// Interim 1xx responses (103 Early Hints) skipped before the real one.
constexpr int max_interim_responses = 4;

using request_message = bhttp::request<bhttp::string_body>;

char lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequal(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

[[noreturn]] void throw_cancelled() {
    throw boost::system::system_error(asio::error::operation_aborted, "chal::http::client::send cancelled");
}

// --- SSRF guard -------------------------------------------------------------------------

core::address_class classify(const asio::ip::address& address) {
    if (address.is_v4()) {
        return core::classify(core::ipv4_bytes(address.to_v4().to_bytes()));
    }
    return core::classify(core::ipv6_bytes(address.to_v6().to_bytes()));
}

bool all_allowed(const std::vector<tcp::endpoint>& endpoints, const core::outbound_address_policy& policy) {
    return std::all_of(endpoints.begin(), endpoints.end(), [&policy](const tcp::endpoint& e) {
        return core::is_allowed(classify(e.address()), policy);
    });
}

// --- connecting ---------------------------------------------------------------------------

asio::awaitable<boost::system::result<std::unique_ptr<pooled_connection>>> open_connection(
    client_state& state, const outbound_url& url, const std::string& fairness_key, clock_type::time_point deadline
) {
    std::vector<tcp::endpoint> endpoints;
    if (const auto* v4 = std::get_if<core::ipv4_bytes>(&url.literal)) {
        endpoints.emplace_back(asio::ip::address_v4(*v4), url.port);
    } else if (const auto* v6 = std::get_if<core::ipv6_bytes>(&url.literal)) {
        endpoints.emplace_back(asio::ip::address_v6(*v6), url.port);
    } else {
        auto resolved = co_await state.names.resolve(url.host, url.port, fairness_key, deadline);
        if (!resolved) {
            co_return resolved.error();
        }
        endpoints = std::move(*resolved);
    }
    // Every address is judged, and we connect only to the addresses judged: a name that
    // resolves to one public and one private address is refused as a whole.
    if (!all_allowed(endpoints, state.config.address_policy)) {
        co_return make_error_code(client_errc::forbidden_address);
    }

    auto stream = std::make_unique<beast::tcp_stream>(state.executor);
    const auto connect_deadline = std::min(deadline, clock_type::now() + state.config.connect_timeout);
    stream->expires_at(connect_deadline);
    auto [cec, endpoint] = co_await stream->async_connect(endpoints, use_tuple);
    if (cec == asio::error::operation_aborted) {
        throw_cancelled();
    }
    if (cec) {
        const bool total_passed = cec == beast::error::timeout && clock_type::now() >= deadline;
        co_return make_error_code(total_passed ? client_errc::timeout : client_errc::connect_failed);
    }

    auto conn = std::make_unique<pooled_connection>();
    conn->peer_address = endpoint.address().to_string();
    if (!url.tls) {
        conn->plain = std::move(stream);
        co_return std::move(conn);
    }

    conn->tls = std::make_unique<detail::tls_stream>(std::move(*stream), state.tls_context);
    if (std::holds_alternative<std::monostate>(url.literal)) {
        // SNI carries names only, never IP literals (RFC 6066 section 3).
        // SSL_set_tlsext_host_name() without its C cast (the macro trips -Wold-style-cast).
        const long sni_ok = SSL_ctrl(
            conn->tls->native_handle(),
            SSL_CTRL_SET_TLSEXT_HOSTNAME,
            TLSEXT_NAMETYPE_host_name,
            const_cast<char*>(url.host.c_str())
        );
        if (sni_ok != 1) {
            co_return make_error_code(client_errc::tls_failed);
        }
    }
    conn->tls->set_verify_mode(asio::ssl::verify_peer);
    conn->tls->set_verify_callback(asio::ssl::host_name_verification(url.host));
    conn->lowest().expires_at(deadline);
    auto [hec] = co_await conn->tls->async_handshake(asio::ssl::stream_base::client, use_tuple);
    if (hec == asio::error::operation_aborted) {
        throw_cancelled();
    }
    if (hec) {
        co_return make_error_code(
            hec == beast::error::timeout ? client_errc::timeout : client_errc::tls_failed
        );
    }
    co_return std::move(conn);
}

// --- one request/response on an open connection ------------------------------------------

struct exchange_outcome {
    std::optional<client_errc> error;
    bool got_response_bytes = false;  // false: the peer may never have seen the request
    bool reusable = false;
    incoming_response response;
};

client_errc classify_io_error(const boost::system::error_code& ec) {
    if (ec == asio::error::operation_aborted) {
        throw_cancelled();
    }
    if (ec == beast::error::timeout) {
        return client_errc::timeout;
    }
    if (ec.category() == bhttp::make_error_code(bhttp::error::end_of_stream).category()) {
        const bool closed = ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message;
        return closed ? client_errc::connection_closed : client_errc::protocol_error;
    }
    return client_errc::connection_closed;  // eof, reset, broken pipe, TLS stream truncated
}

template <class Stream>
asio::awaitable<exchange_outcome> exchange(
    Stream& stream,
    pooled_connection& conn,
    const request_message& message,
    std::size_t header_limit,
    std::size_t body_limit,
    clock_type::time_point deadline
) {
    exchange_outcome out;
    conn.lowest().expires_at(deadline);
    auto [wec, written] = co_await bhttp::async_write(stream, message, use_tuple);
    if (wec) {
        out.error = classify_io_error(wec);
        co_return out;
    }

    std::optional<bhttp::response_parser<bhttp::string_body>> parser;
    for (int interim = 0;; ++interim) {
        parser.emplace();
        parser->header_limit(static_cast<std::uint32_t>(header_limit));
        parser->body_limit(std::numeric_limits<std::uint64_t>::max());  // we cut the body ourselves
        parser->skip(message.method() == bhttp::verb::head);
        auto [hec, header_bytes] = co_await bhttp::async_read_header(stream, conn.buffer, *parser, use_tuple);
        out.got_response_bytes = out.got_response_bytes || parser->got_some() || conn.buffer.size() > 0;
        if (hec) {
            out.error = classify_io_error(hec);
            co_return out;
        }
        const unsigned status = parser->get().result_int();
        if (status >= 200 || status < 100 || status == 101 || interim == max_interim_responses) {
            break;
        }
    }

    bool truncated = false;
    while (!parser->is_done()) {
        auto [rec, body_bytes] = co_await bhttp::async_read_some(stream, conn.buffer, *parser, use_tuple);
        if (rec == asio::ssl::error::stream_truncated && parser->need_eof()) {
            // The body ran to the end of the connection and the peer skipped close_notify:
            // the message is complete (Beast's client example treats this as success too).
            boost::system::error_code eof_ec;
            parser->put_eof(eof_ec);
            if (!eof_ec) {
                break;
            }
        }
        if (rec) {
            out.error = classify_io_error(rec);
            co_return out;
        }
        if (parser->get().body().size() > body_limit) {
            truncated = true;
            break;
        }
    }

    auto& msg = parser->get();
    out.response.status = msg.result_int();
    for (const auto& field : msg) {
        out.response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    out.response.body = std::move(msg.body());
    if (truncated) {
        out.response.body.resize(body_limit);
        out.response.body_truncated = true;
    }
    out.reusable = !truncated && parser->is_done() && parser->keep_alive() && conn.buffer.size() == 0;
    co_return out;
}

request_message build_message(const outgoing_request& req, const outbound_url& url) {
    request_message message{req.method, url.target, 11};
    message.set(bhttp::field::host, url.host_header);
    bool has_user_agent = false;
    for (const auto& [name, value] : req.headers) {
        // The client owns framing and routing headers.
        if (iequal(name, "host") || iequal(name, "content-length") || iequal(name, "transfer-encoding") ||
            iequal(name, "connection")) {
            continue;
        }
        has_user_agent = has_user_agent || iequal(name, "user-agent");
        message.insert(name, value);
    }
    if (!has_user_agent) {
        message.set(bhttp::field::user_agent, "chal-http/1");
    }
    message.body() = req.body;
    message.prepare_payload();
    return message;
}

// --- the idle pool --------------------------------------------------------------------------

std::string pool_key(const outbound_url& url) {
    return (url.tls ? "https://" : "http://") + url.host + ":" + std::to_string(url.port);
}

// A scan of at most max_idle_total connections.
void purge_expired(client_state& state) {
    const auto now = clock_type::now();
    for (auto it = state.idle.begin(); it != state.idle.end();) {
        auto& queue = it->second;
        const auto before = queue.size();
        queue.erase(
            std::remove_if(queue.begin(), queue.end(), [now](const auto& c) { return c->idle_until <= now; }),
            queue.end()
        );
        state.idle_count -= before - queue.size();
        it = queue.empty() ? state.idle.erase(it) : std::next(it);
    }
}

// Closes the connection that has been idle longest (each queue's front is its oldest).
bool drop_oldest_idle(client_state& state) {
    auto oldest = state.idle.end();
    for (auto it = state.idle.begin(); it != state.idle.end(); ++it) {
        if (it->second.empty()) continue;
        if (oldest == state.idle.end() || it->second.front()->idle_until < oldest->second.front()->idle_until) oldest = it;
    }
    if (oldest == state.idle.end()) return false;
    oldest->second.pop_front();
    --state.idle_count;
    if (oldest->second.empty()) state.idle.erase(oldest);
    return true;
}

std::unique_ptr<pooled_connection> take_idle(client_state& state, const std::string& key) {
    const auto it = state.idle.find(key);
    if (it == state.idle.end()) {
        return nullptr;
    }
    auto conn = std::move(it->second.back());  // most recently used: least likely to be stale
    it->second.pop_back();
    --state.idle_count;
    if (it->second.empty()) {
        state.idle.erase(it);
    }
    return conn;
}

void give_back(client_state& state, const std::string& key, std::unique_ptr<pooled_connection> conn) {
    if (state.config.max_idle_per_host == 0 || state.config.max_idle_total == 0) {
        return;
    }
    conn->lowest().expires_never();
    conn->idle_until = clock_type::now() + state.config.idle_keepalive;
    if (const auto it = state.idle.find(key); it != state.idle.end() && it->second.size() >= state.config.max_idle_per_host) {
        it->second.pop_front();
        --state.idle_count;
    }
    while (state.idle_count >= state.config.max_idle_total && drop_oldest_idle(state)) {
    }
    state.idle[key].push_back(std::move(conn));
    ++state.idle_count;
}

asio::awaitable<void> tls_goodbye(std::unique_ptr<pooled_connection> conn) {
    conn->lowest().expires_after(tls_goodbye_limit);
    co_await conn->tls->async_shutdown(use_tuple);  // stream_truncated or a timeout are fine here
    conn->lowest().close();
}

void close_connection(client_state& state, std::unique_ptr<pooled_connection> conn, bool graceful) {
    if (conn->tls && graceful) {
        auto ignore_completion = [](const std::exception_ptr&) {};
        asio::co_spawn(state.executor, tls_goodbye(std::move(conn)), ignore_completion);
        return;
    }
    conn->lowest().close();
}

asio::awaitable<boost::system::result<incoming_response>> send_request(
    std::shared_ptr<client_state> state, outgoing_request req
) {
    const auto started = clock_type::now();
    const auto deadline = started + req.total_timeout;

    // The URL's own verdict (scheme, IP literals in any form) is the one a callback URL got when
    // it was stored; the addresses a host name resolves to are judged in open_connection.
    auto url = vet_outbound_url(req.url, {state->config.allow_plain_http, state->config.address_policy});
    if (!url) {
        co_return url.error();
    }

    const request_message message = build_message(req, *url);
    const std::size_t body_limit =
        req.max_body_override != 0 ? req.max_body_override : state->config.max_response_body;
    const std::string key = pool_key(*url);
    purge_expired(*state);

    for (int attempt = 0; attempt < 2; ++attempt) {
        auto conn = attempt == 0 ? take_idle(*state, key) : nullptr;
        const bool reused = conn != nullptr;
        if (!conn) {
            auto opened = co_await open_connection(*state, *url, req.fairness_key, deadline);
            if (!opened) {
                co_return opened.error();
            }
            conn = std::move(*opened);
        }

        const auto header_limit = state->config.max_response_header;
        exchange_outcome out;
        if (conn->tls) {
            out = co_await exchange(*conn->tls, *conn, message, header_limit, body_limit, deadline);
        } else {
            out = co_await exchange(*conn->plain, *conn, message, header_limit, body_limit, deadline);
        }

        if (out.error) {
            close_connection(*state, std::move(conn), false);
            // A kept connection the server had already closed fails before any response byte:
            // try once more on a fresh connection.
            if (reused && !out.got_response_bytes && *out.error != client_errc::timeout) {
                continue;
            }
            co_return make_error_code(*out.error);
        }

        out.response.peer_address = conn->peer_address;
        out.response.elapsed =
            std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - started);
        if (out.reusable) {
            give_back(*state, key, std::move(conn));
        } else {
            close_connection(*state, std::move(conn), !out.response.body_truncated);
        }
        co_return std::move(out.response);
    }
    co_return make_error_code(client_errc::connection_closed);  // not reached: attempt 1 is never reused
}

}  // namespace

std::optional<std::string_view> incoming_response::header(std::string_view name) const noexcept {
    for (const auto& [key, value] : headers) {
        if (iequal(key, name)) {
            return value;
        }
    }
    return std::nullopt;
}

client::client(asio::any_io_executor executor, client_config config)
    : state_(std::make_shared<client_state>(std::move(executor), std::move(config))) {
    auto& ctx = state_->tls_context;
    ctx.set_default_verify_paths();
    ctx.set_verify_mode(asio::ssl::verify_peer);
    SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
    if (!state_->config.extra_ca_pem.empty()) {
        ctx.add_certificate_authority(asio::buffer(state_->config.extra_ca_pem));
    }
}

client::~client() = default;

std::size_t client::idle_connections() const noexcept {
    return state_->idle_count;
}

std::size_t client::lookups_running() const noexcept {
    return state_->names.running();
}

std::size_t client::lookups_queued() const noexcept {
    return state_->names.queued();
}

// A free coroutine gets the state by value: the caller may co_spawn send() and let the client
// go before it finishes (B.6).
asio::awaitable<boost::system::result<incoming_response>> client::send(outgoing_request req) {
    return send_request(state_, std::move(req));
}

}  // namespace chal::http
