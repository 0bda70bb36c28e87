// chal::http::server over real loopback sockets. Requests are written as raw bytes so the
// tests control exactly what the server sees (keep-alive, malformed input, oversize bodies).
#include "app/http/server.hpp"
#include "tests/support/run.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>

#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace chal::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

using chal::testing::run;

// Runs handlers until `condition` holds or `limit` passes; no sleeping, only event handling.
bool run_until(
    asio::io_context& io, const std::function<bool()>& condition, std::chrono::milliseconds limit = 5s
) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    io.restart();
    while (!condition()) {
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) {
            return false;
        }
        io.run_one_for(deadline - now);
    }
    return true;
}

// --- a raw HTTP/1.1 connection --------------------------------------------------------------

class raw_connection {
public:
    explicit raw_connection(asio::io_context& io) : stream_(io) {}

    asio::awaitable<void> connect(std::uint16_t port) {
        stream_.expires_after(5s);
        co_await stream_.async_connect(
            tcp::endpoint{asio::ip::address_v4::loopback(), port}, asio::use_awaitable
        );
    }

    asio::awaitable<void> send(std::string bytes) {
        stream_.expires_after(5s);
        co_await asio::async_write(stream_, asio::buffer(bytes), asio::use_awaitable);
    }

    asio::awaitable<response> read_response() {
        stream_.expires_after(5s);
        response res;
        co_await bhttp::async_read(stream_, buffer_, res, asio::use_awaitable);
        co_return res;
    }

    // True when the server closes the connection (rather than the 5 s limit passing).
    asio::awaitable<bool> closed_by_peer() {
        stream_.expires_after(5s);
        std::array<char, 256> sink{};
        for (;;) {
            auto [ec, n] = co_await stream_.async_read_some(asio::buffer(sink), use_tuple);
            if (ec) {
                co_return ec != beast::error::timeout;
            }
        }
    }

private:
    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
};

asio::awaitable<boost::system::error_code> try_connect(asio::io_context& io, std::uint16_t port) {
    tcp::socket socket{io};
    auto [ec] =
        co_await socket.async_connect(tcp::endpoint{asio::ip::address_v4::loopback(), port}, use_tuple);
    co_return ec;
}

response text(unsigned status, std::string body) {
    response res;
    res.result(status);
    res.set(bhttp::field::content_type, "text/plain");
    res.body() = std::move(body);
    return res;
}

std::string get(std::string_view target, std::string_view extra_headers = "") {
    return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra_headers) + "\r\n";
}

struct completed_copy {
    std::string route_name;
    bhttp::verb method;
    unsigned status;
    std::string request_id;
    std::string remote_address;
};

// --- the fixture ----------------------------------------------------------------------------

class server_itest : public ::testing::Test {
protected:
    server_itest() : gate_(io_, std::chrono::steady_clock::time_point::max()) {}

    ~server_itest() override {
        gate_.cancel();
        if (server_) {
            server_->stop_accepting();
            run(io_, server_->drain(2s));
            server_.reset();
        }
        EXPECT_TRUE(chal::testing::run_until_idle(io_, 5s)) << "async work left behind";
    }

    static server_config test_config() {
        server_config cfg;
        cfg.read_timeout = 5s;
        cfg.idle_timeout = 5s;
        cfg.body_limit = 1024;
        cfg.header_limit = 2048;
        return cfg;
    }

    router routes() {
        auto items = [](request_context& ctx) -> asio::awaitable<response> {
            co_return text(200, "item " + std::string(ctx.param("id")));
        };
        auto echo = [](request_context& ctx) -> asio::awaitable<response> {
            co_return text(201, ctx.req.body() + "|" + std::string(ctx.query));
        };
        auto boom = [](request_context&) -> asio::awaitable<response> {
            throw std::runtime_error("database on fire");
            co_return text(200, "unreachable");
        };
        auto slow = [this](request_context&) -> asio::awaitable<response> {
            slow_started_ = true;
            co_await gate_.async_wait(use_tuple);  // the test opens the gate with cancel()
            co_return text(200, "slow done");
        };
        // A handler that lets a stored value with CR LF reach a header (an IdP URL in a Location).
        auto injected = [](request_context&) -> asio::awaitable<response> {
            response res = text(303, "");
            res.set(bhttp::field::location, "https://idp.example/sso\r\nSet-Cookie: planted=1");
            co_return res;
        };
        return router{{
            {bhttp::verb::get, "/injected", "injected", injected},
            {bhttp::verb::get, "/items/{id}", "items.get", items},
            {bhttp::verb::delete_, "/items/{id}", "items.delete", items},
            {bhttp::verb::post, "/echo", "echo", echo},
            {bhttp::verb::get, "/boom", "boom", boom},
            {bhttp::verb::get, "/slow", "slow", slow},
        }};
    }

    server_hooks hooks() {
        server_hooks h;
        h.error_response = [](unsigned status, std::string_view message) {
            response res;
            res.result(status);
            res.set(bhttp::field::content_type, "application/json");
            res.body() = R"({"error":")" + std::string(message) + R"("})";
            return res;
        };
        h.on_complete = [this](const completed_request& done) {
            completed_.push_back(
                {std::string(done.route_name),
                 done.method,
                 done.status,
                 std::string(done.request_id),
                 std::string(done.remote_address)}
            );
        };
        h.log = [this](log_level level, std::string_view message) {
            if (level >= log_level::warning) {
                logs_.emplace_back(message);
            }
        };
        return h;
    }

    void start(server_config cfg = test_config()) {
        server_ = std::make_unique<server>(io_.get_executor(), cfg, routes(), hooks());
        auto on_done = [](const std::exception_ptr& e) {
            if (e) {
                std::rethrow_exception(e);
            }
        };
        asio::co_spawn(io_, server_->run(), on_done);
    }

    std::uint16_t port() const { return server_->local_port(); }

    asio::io_context io_;
    asio::steady_timer gate_;
    bool slow_started_ = false;
    std::unique_ptr<server> server_;
    std::vector<completed_copy> completed_;
    std::vector<std::string> logs_;
};

TEST_F(server_itest, never_writes_a_header_value_with_cr_or_lf) {
    start();
    raw_connection c{io_};
    run(io_, c.connect(port()));
    run(io_, c.send(get("/injected")));
    const auto res = run(io_, c.read_response());
    EXPECT_EQ(res.result_int(), 500u);
    EXPECT_EQ(res.find(bhttp::field::set_cookie), res.end()) << "the injected header must not exist";
    EXPECT_EQ(res.find(bhttp::field::location), res.end());
    ASSERT_FALSE(logs_.empty());
    EXPECT_NE(logs_.back().find("control characters"), std::string::npos) << logs_.back();
}

TEST_F(server_itest, sends_strict_transport_security_only_when_configured) {
    auto cfg = test_config();
    cfg.strict_transport_security = "max-age=63072000";
    start(cfg);
    raw_connection c{io_};
    run(io_, c.connect(port()));
    run(io_, c.send(get("/items/1")));
    EXPECT_EQ(run(io_, c.read_response())["Strict-Transport-Security"], "max-age=63072000");
    run(io_, c.send(get("/no/such/route")));
    EXPECT_EQ(run(io_, c.read_response())["Strict-Transport-Security"], "max-age=63072000") << "errors too";
}

TEST_F(server_itest, sends_no_strict_transport_security_by_default) {
    start();
    raw_connection c{io_};
    run(io_, c.connect(port()));
    run(io_, c.send(get("/items/1")));
    const auto res = run(io_, c.read_response());
    EXPECT_EQ(res.find("Strict-Transport-Security"), res.end());
}

TEST_F(server_itest, answers_a_route_with_its_path_parameter) {
    start();
    raw_connection c{io_};
    run(io_, c.connect(port()));
    run(io_, c.send(get("/items/42")));
    const auto res = run(io_, c.read_response());
    EXPECT_EQ(res.result_int(), 200u);
    EXPECT_EQ(res.body(), "item 42");
    EXPECT_EQ(res.version(), 11u);
    EXPECT_EQ(res[bhttp::field::content_length], "7");
    ASSERT_EQ(completed_.size(), 1u);
    EXPECT_EQ(completed_[0].route_name, "items.get");
    EXPECT_EQ(completed_[0].method, bhttp::verb::get);
    EXPECT_EQ(completed_[0].status, 200u);
    EXPECT_EQ(completed_[0].remote_address, "127.0.0.1");
}

TEST_F(server_itest, passes_body_and_raw_query_to_the_handler) {
    start();
    raw_connection c{io_};
    run(io_, c.connect(port()));
    run(io_, c.send("POST /echo?a=1&b=%20 HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello"));
    const auto res = run(io_, c.read_response());
    EXPECT_EQ(res.result_int(), 201u);
    EXPECT_EQ(res.body(), "hello|a=1&b=%20");
}

TEST_F(server_itest, keeps_the_connection_alive_between_requests) {
    start();
    raw_connection c{io_};
    run(io_, c.connect(port()));
    run(io_, c.send(get("/items/1")));
    const auto first = run(io_, c.read_response());
    run(io_, c.send(get("/items/2")));
    const auto second = run(io_, c.read_response());
    EXPECT_EQ(first.body(), "item 1");
    EXPECT_TRUE(first.keep_alive());
    EXPECT_EQ(second.body(), "item 2");
    EXPECT_EQ(server_->open_connections(), 1u);
}

TEST_F(server_itest, closes_when_the_client_asks_to) {
    start();
    raw_connection c{io_};
    run(io_, c.connect(port()));
    run(io_, c.send(get("/items/1", "Connection: close\r\n")));
    const auto res = run(io_, c.read_response());
    EXPECT_FALSE(res.keep_alive());
    EXPECT_TRUE(run(io_, c.closed_by_peer()));
}

TEST_F(server_itest, answers_unknown_paths_with_404_from_the_hook) {
    start();
    raw_connection c{io_};
    run(io_, c.connect(port()));
    run(io_, c.send(get("/nowhere")));
    const auto res = run(io_, c.read_response());
    EXPECT_EQ(res.result_int(), 404u);
    EXPECT_EQ(res[bhttp::field::content_type], "application/json");
    EXPECT_EQ(res.body(), R"({"error":"Not found"})");
    ASSERT_EQ(completed_.size(), 1u);
    EXPECT_EQ(completed_[0].route_name, "unmatched");
    EXPECT_EQ(completed_[0].status, 404u);
}

TEST_F(server_itest, answers_a_wrong_verb_with_405_and_allow) {
    start();
    raw_connection c{io_};
    run(io_, c.connect(port()));
    run(io_, c.send("PUT /items/1 HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\n\r\n"));
    const auto res = run(io_, c.read_response());
    EXPECT_EQ(res.result_int(), 405u);
    EXPECT_EQ(res[bhttp::field::allow], "GET, DELETE");
    EXPECT_TRUE(res.keep_alive());
}

TEST_F(server_itest, answers_a_body_over_the_limit_with_413_and_closes) {
    start();
    raw_connection c{io_};
    run(io_, c.connect(port()));
    const std::string body(4000, 'x');
    run(io_, c.send("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 4000\r\n\r\n" + body));
    const auto res = run(io_, c.read_response());
    EXPECT_EQ(res.result_int(), 413u);
    EXPECT_FALSE(res.keep_alive());
    EXPECT_TRUE(run(io_, c.closed_by_peer()));
    ASSERT_EQ(completed_.size(), 1u);
    EXPECT_EQ(completed_[0].route_name, "unmatched");
    EXPECT_EQ(completed_[0].method, bhttp::verb::post);
}

TEST_F(server_itest, answers_a_chunked_body_over_the_limit_with_413) {
    start();
    raw_connection c{io_};
    run(io_, c.connect(port()));
    const std::string chunk(2000, 'y');
    run(io_,
        c.send(
            "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n" + chunk + "\r\n"
        ));
    const auto res = run(io_, c.read_response());
    EXPECT_EQ(res.result_int(), 413u);
}

TEST_F(server_itest, answers_a_header_over_the_limit_with_431) {
    start();
    raw_connection c{io_};
    run(io_, c.connect(port()));
    run(io_, c.send(get("/items/1", "X-Big: " + std::string(4000, 'h') + "\r\n")));
    const auto res = run(io_, c.read_response());
    EXPECT_EQ(res.result_int(), 431u);
}

TEST_F(server_itest, answers_a_malformed_request_with_400_and_closes) {
    start();
    raw_connection c{io_};
    run(io_, c.connect(port()));
    run(io_, c.send("THIS IS NOT HTTP\r\n\r\n"));
    const auto res = run(io_, c.read_response());
    EXPECT_EQ(res.result_int(), 400u);
    EXPECT_EQ(res.body(), R"({"error":"Bad request"})");
    EXPECT_TRUE(run(io_, c.closed_by_peer()));
}

// RFC 9112 sections 6.1 and 6.3: a body whose length is in doubt is refused before it is read,
// and the connection closed, so the bytes after the header never become a request of their own.
TEST_F(server_itest, refuses_request_smuggling_framings_with_400_and_never_routes_the_smuggled_request) {
    start();
    const std::string smuggled = "GET /items/smuggled HTTP/1.1\r\nHost: test\r\n\r\n";
    const std::string heads[] = {
        "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: gzip\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: gzip\r\nContent-Length: 0\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 0, 0\r\n\r\n",
        "POST /echo HTTP/1.0\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    };
    for (const auto& head : heads) {
        completed_.clear();
        raw_connection c{io_};
        run(io_, c.connect(port()));
        run(io_, c.send(head + smuggled));
        const auto res = run(io_, c.read_response());
        EXPECT_EQ(res.result_int(), 400u) << head;
        EXPECT_FALSE(res.keep_alive()) << head;
        EXPECT_TRUE(run(io_, c.closed_by_peer())) << head;
        ASSERT_EQ(completed_.size(), 1u) << head;
        EXPECT_EQ(completed_[0].route_name, "unmatched") << head;
    }
}

TEST_F(server_itest, answers_a_transfer_coding_it_cannot_decode_with_501_and_closes) {
    start();
    raw_connection c{io_};
    run(io_, c.connect(port()));
    run(io_, c.send("POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" +
                    get("/items/smuggled")));
    const auto res = run(io_, c.read_response());
    EXPECT_EQ(res.result_int(), 501u);
    EXPECT_TRUE(run(io_, c.closed_by_peer()));
    ASSERT_EQ(completed_.size(), 1u);
    EXPECT_EQ(completed_[0].route_name, "unmatched");
}

TEST_F(server_itest, still_reads_a_plain_chunked_body_and_the_request_after_it) {
    start();
    raw_connection c{io_};
    run(io_, c.connect(port()));
    run(io_, c.send("POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" +
                    get("/items/7")));
    const auto echoed = run(io_, c.read_response());
    const auto next = run(io_, c.read_response());
    EXPECT_EQ(echoed.result_int(), 201u);
    EXPECT_EQ(echoed.body(), "hello|");
    EXPECT_EQ(next.body(), "item 7");
}

TEST_F(server_itest, answers_an_absolute_form_target_with_400) {
    start();
    raw_connection c{io_};
    run(io_, c.connect(port()));
    run(io_, c.send(get("http://elsewhere/items/1")));
    const auto res = run(io_, c.read_response());
    EXPECT_EQ(res.result_int(), 400u);
}

TEST_F(server_itest, answers_a_throwing_handler_with_500_and_logs_it) {
    start();
    raw_connection c{io_};
    run(io_, c.connect(port()));
    run(io_, c.send(get("/boom")));
    const auto res = run(io_, c.read_response());
    EXPECT_EQ(res.result_int(), 500u);
    EXPECT_EQ(res.body(), R"({"error":"Internal server error"})");
    ASSERT_EQ(logs_.size(), 1u);
    EXPECT_NE(logs_[0].find("boom"), std::string::npos);
    EXPECT_NE(logs_[0].find("database on fire"), std::string::npos);
    // The connection survives a handler failure.
    run(io_, c.send(get("/items/3")));
    EXPECT_EQ(run(io_, c.read_response()).body(), "item 3");
}

TEST_F(server_itest, echoes_a_sane_request_id) {
    start();
    raw_connection c{io_};
    run(io_, c.connect(port()));
    run(io_, c.send(get("/items/1", "X-Request-Id: abc-123_x.y\r\n")));
    const auto res = run(io_, c.read_response());
    EXPECT_EQ(res["X-Request-Id"], "abc-123_x.y");
    ASSERT_EQ(completed_.size(), 1u);
    EXPECT_EQ(completed_[0].request_id, "abc-123_x.y");
}

TEST_F(server_itest, replaces_an_unsafe_request_id) {
    start();
    raw_connection c{io_};
    run(io_, c.connect(port()));
    run(io_, c.send(get("/items/1", "X-Request-Id: has spaces \"quoted\"\r\n")));
    const auto res = run(io_, c.read_response());
    const std::string id{res["X-Request-Id"]};
    EXPECT_EQ(id.size(), 32u);
    EXPECT_EQ(id.find(' '), std::string::npos);
}

TEST_F(server_itest, generates_a_request_id_when_none_is_sent) {
    start();
    raw_connection c{io_};
    run(io_, c.connect(port()));
    run(io_, c.send(get("/items/1")));
    const auto first = run(io_, c.read_response());
    run(io_, c.send(get("/items/1")));
    const auto second = run(io_, c.read_response());
    EXPECT_EQ(first["X-Request-Id"].size(), 32u);
    EXPECT_NE(first["X-Request-Id"], second["X-Request-Id"]);
}

TEST_F(server_itest, sends_100_continue_when_asked) {
    start();
    raw_connection c{io_};
    run(io_, c.connect(port()));
    run(io_,
        c.send("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"));
    const auto interim = run(io_, c.read_response());
    EXPECT_EQ(interim.result_int(), 100u);
    run(io_, c.send("ok"));
    const auto res = run(io_, c.read_response());
    EXPECT_EQ(res.result_int(), 201u);
    EXPECT_EQ(res.body(), "ok|");
}

TEST_F(server_itest, closes_a_connection_that_stalls_mid_request) {
    auto cfg = test_config();
    cfg.read_timeout = 1s;
    start(cfg);
    raw_connection c{io_};
    run(io_, c.connect(port()));
    run(io_, c.send("GET /items/1 HTTP/1.1\r\nHost: te"));
    const auto started = std::chrono::steady_clock::now();
    EXPECT_TRUE(run(io_, c.closed_by_peer()));
    EXPECT_GE(std::chrono::steady_clock::now() - started, 900ms);
    EXPECT_TRUE(completed_.empty());
}

TEST_F(server_itest, drain_closes_idle_keep_alive_connections_at_once) {
    start();
    raw_connection c{io_};
    run(io_, c.connect(port()));
    run(io_, c.send(get("/items/1")));
    run(io_, c.read_response());
    const auto started = std::chrono::steady_clock::now();
    run(io_, server_->drain(10s));
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
    EXPECT_TRUE(run(io_, c.closed_by_peer()));
    EXPECT_EQ(server_->open_connections(), 0u);
}

TEST_F(server_itest, drain_finishes_an_in_flight_request_and_refuses_new_connections) {
    start();
    raw_connection slow{io_};
    run(io_, slow.connect(port()));
    run(io_, slow.send(get("/slow")));
    ASSERT_TRUE(run_until(io_, [this] { return slow_started_; }));

    bool drained = false;
    auto on_drained = [&drained](const std::exception_ptr&) { drained = true; };
    asio::co_spawn(io_, server_->drain(10s), on_drained);

    EXPECT_EQ(run(io_, try_connect(io_, port())), asio::error::connection_refused);
    EXPECT_FALSE(drained);

    gate_.cancel();  // let the slow handler finish
    const auto res = run(io_, slow.read_response());
    EXPECT_EQ(res.result_int(), 200u);
    EXPECT_EQ(res.body(), "slow done");
    EXPECT_FALSE(res.keep_alive());
    EXPECT_TRUE(run_until(io_, [&drained] { return drained; }));
    EXPECT_EQ(server_->open_connections(), 0u);
}

TEST_F(server_itest, drain_cancels_handlers_still_running_at_the_limit) {
    start();
    raw_connection slow{io_};
    run(io_, slow.connect(port()));
    run(io_, slow.send(get("/slow")));
    ASSERT_TRUE(run_until(io_, [this] { return slow_started_; }));
    const auto started = std::chrono::steady_clock::now();
    run(io_, server_->drain(200ms));
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
    EXPECT_EQ(server_->open_connections(), 0u);
    EXPECT_TRUE(run(io_, slow.closed_by_peer()));
    // One warning about the cancelled connection; the cancelled handler is not an error.
    ASSERT_EQ(logs_.size(), 1u);
    EXPECT_NE(logs_[0].find("drain limit"), std::string::npos);
}

}  // namespace
}  // namespace chal::http
