// chal::http::client against the loopback webhook receiver (which can misbehave) and against
// our own server.
#include "app/http/client.hpp"
#include "app/http/server.hpp"
#include "tests/support/held_lookups.hpp"
#include "tests/support/run.hpp"
#include "tests/support/tls_test_certs.hpp"
#include "tests/support/webhook_receiver.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace chal::http {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using namespace std::chrono_literals;
using testing::receiver_behaviour;
using testing::webhook_receiver;

using chal::testing::run;

core::outbound_address_policy loopback_allowed() {
    core::outbound_address_policy policy;
    policy.allow_loopback = true;
    return policy;
}

client_config test_config(core::outbound_address_policy policy = loopback_allowed()) {
    client_config cfg;
    cfg.address_policy = policy;
    cfg.allow_plain_http = true;
    return cfg;
}

outgoing_request post(std::string url, std::string body = "{}") {
    outgoing_request req;
    req.method = bhttp::verb::post;
    req.url = std::move(url);
    req.headers = {{"Content-Type", "application/json"}, {"X-Webhook-Signature", "sha256=00"}};
    req.body = std::move(body);
    req.total_timeout = 5s;
    return req;
}

// A port with nothing listening: bind, read the port, close.
std::uint16_t closed_port(asio::io_context& io) {
    asio::ip::tcp::acceptor acceptor{io, {asio::ip::address_v4::loopback(), 0}};
    return acceptor.local_endpoint().port();
}

class client_itest : public ::testing::Test {
protected:
    ~client_itest() override {
        receiver_.stop();
        EXPECT_TRUE(chal::testing::run_until_idle(io_, 5s)) << "async work left behind";
    }

    boost::system::result<incoming_response> send(client& c, outgoing_request req) {
        return run(io_, c.send(std::move(req)));
    }

    asio::io_context io_;
    webhook_receiver receiver_{io_.get_executor()};
};

TEST_F(client_itest, delivers_a_request_over_plain_http_when_allowed) {
    receiver_.script({receiver_behaviour::respond(202, {{"X-Reply", "yes"}}, "thanks")});
    client c{io_.get_executor(), test_config()};
    const auto res = send(c, post(receiver_.url("/hooks/a?x=1"), R"({"id":1})"));
    ASSERT_TRUE(res.has_value()) << res.error().message();
    EXPECT_EQ(res->status, 202u);
    EXPECT_EQ(res->body, "thanks");
    EXPECT_EQ(res->header("x-reply"), "yes");
    EXPECT_FALSE(res->body_truncated);
    EXPECT_EQ(res->peer_address, "127.0.0.1");

    const auto seen = receiver_.requests();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].method, "POST");
    EXPECT_EQ(seen[0].target, "/hooks/a?x=1");
    EXPECT_EQ(seen[0].body, R"({"id":1})");
    EXPECT_EQ(seen[0].header("host"), "127.0.0.1:" + std::to_string(receiver_.port()));
    EXPECT_EQ(seen[0].header("content-type"), "application/json");
    EXPECT_EQ(seen[0].header("x-webhook-signature"), "sha256=00");
    EXPECT_EQ(seen[0].header("content-length"), "8");
}

TEST_F(client_itest, refuses_plain_http_unless_allowed) {
    auto cfg = test_config();
    cfg.allow_plain_http = false;
    client c{io_.get_executor(), cfg};
    const auto res = send(c, post(receiver_.url("/")));
    ASSERT_FALSE(res.has_value());
    EXPECT_EQ(res.error(), client_errc::scheme_not_allowed);
    EXPECT_EQ(receiver_.connections_accepted(), 0u);
}

TEST_F(client_itest, refuses_an_invalid_url) {
    client c{io_.get_executor(), test_config()};
    const auto res = send(c, post("http://user:secret@127.0.0.1:" + std::to_string(receiver_.port()) + "/"));
    ASSERT_FALSE(res.has_value());
    EXPECT_EQ(res.error(), client_errc::invalid_url);
    EXPECT_EQ(receiver_.connections_accepted(), 0u);
}

TEST_F(client_itest, refuses_loopback_when_the_policy_forbids_it) {
    client c{io_.get_executor(), test_config(core::outbound_address_policy{})};
    const auto res = send(c, post(receiver_.url("/")));
    ASSERT_FALSE(res.has_value());
    EXPECT_EQ(res.error(), client_errc::forbidden_address);
    EXPECT_EQ(receiver_.connections_accepted(), 0u);
}

TEST_F(client_itest, refuses_a_name_that_resolves_to_loopback) {
    client c{io_.get_executor(), test_config(core::outbound_address_policy{})};
    const auto res = send(c, post(receiver_.url("/", "localhost")));
    ASSERT_FALSE(res.has_value());
    EXPECT_EQ(res.error(), client_errc::forbidden_address);
    EXPECT_EQ(receiver_.connections_accepted(), 0u);
}

TEST_F(client_itest, refuses_ipv4_mapped_loopback) {
    client c{io_.get_executor(), test_config(core::outbound_address_policy{})};
    const auto res = send(c, post("http://[::ffff:127.0.0.1]:" + std::to_string(receiver_.port()) + "/"));
    ASSERT_FALSE(res.has_value());
    EXPECT_EQ(res.error(), client_errc::forbidden_address);
    EXPECT_EQ(receiver_.connections_accepted(), 0u);
}

TEST_F(client_itest, refuses_ipv6_loopback) {
    client c{io_.get_executor(), test_config(core::outbound_address_policy{})};
    const auto res = send(c, post("http://[::1]:" + std::to_string(receiver_.port()) + "/"));
    ASSERT_FALSE(res.has_value());
    EXPECT_EQ(res.error(), client_errc::forbidden_address);
}

TEST_F(client_itest, refuses_the_cloud_metadata_address_before_connecting) {
    // Even with loopback allowed, link-local stays refused; no connect is attempted, so the
    // answer is immediate rather than a connect timeout.
    client c{io_.get_executor(), test_config()};
    auto req = post("http://169.254.169.254/latest/meta-data/");
    req.total_timeout = 10s;
    const auto started = std::chrono::steady_clock::now();
    const auto res = send(c, req);
    ASSERT_FALSE(res.has_value());
    EXPECT_EQ(res.error(), client_errc::forbidden_address);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
}

TEST_F(client_itest, reports_a_refused_connection) {
    client c{io_.get_executor(), test_config()};
    const auto res = send(c, post("http://127.0.0.1:" + std::to_string(closed_port(io_)) + "/"));
    ASSERT_FALSE(res.has_value());
    EXPECT_EQ(res.error(), client_errc::connect_failed);
}

TEST_F(client_itest, does_not_follow_redirects) {
    receiver_.script({receiver_behaviour::respond(301, {{"Location", receiver_.url("/elsewhere")}})});
    client c{io_.get_executor(), test_config()};
    const auto res = send(c, post(receiver_.url("/start")));
    ASSERT_TRUE(res.has_value()) << res.error().message();
    EXPECT_EQ(res->status, 301u);
    EXPECT_EQ(res->header("Location"), receiver_.url("/elsewhere"));
    EXPECT_EQ(receiver_.requests().size(), 1u);
}

TEST_F(client_itest, returns_error_statuses_as_responses) {
    receiver_.script({receiver_behaviour::respond(429, {{"Retry-After", "7"}}, "slow down")});
    client c{io_.get_executor(), test_config()};
    const auto res = send(c, post(receiver_.url("/")));
    ASSERT_TRUE(res.has_value()) << res.error().message();
    EXPECT_EQ(res->status, 429u);
    EXPECT_EQ(res->header("retry-after"), "7");
}

TEST_F(client_itest, times_out_when_the_receiver_stalls) {
    receiver_.script({receiver_behaviour::stall()});
    client c{io_.get_executor(), test_config()};
    auto req = post(receiver_.url("/"));
    req.total_timeout = 300ms;
    const auto started = std::chrono::steady_clock::now();
    const auto res = send(c, req);
    const auto elapsed = std::chrono::steady_clock::now() - started;
    ASSERT_FALSE(res.has_value());
    EXPECT_EQ(res.error(), client_errc::timeout);
    EXPECT_GE(elapsed, 300ms);
    EXPECT_LT(elapsed, 300ms + 500ms);
    EXPECT_EQ(receiver_.requests().size(), 1u);
}

TEST_F(client_itest, reports_a_close_mid_response) {
    receiver_.script({receiver_behaviour::close_mid_response()});
    client c{io_.get_executor(), test_config()};
    const auto res = send(c, post(receiver_.url("/")));
    ASSERT_FALSE(res.has_value());
    EXPECT_TRUE(res.error() == client_errc::connection_closed || res.error() == client_errc::protocol_error)
        << res.error().message();
}

TEST_F(client_itest, reports_garbage_as_a_protocol_error) {
    receiver_.script({receiver_behaviour::close_mid_response("SMTP ready\r\n\r\n")});
    client c{io_.get_executor(), test_config()};
    const auto res = send(c, post(receiver_.url("/")));
    ASSERT_FALSE(res.has_value());
    EXPECT_EQ(res.error(), client_errc::protocol_error);
}

TEST_F(client_itest, reports_a_response_header_over_the_limit_as_a_protocol_error) {
    receiver_.script({receiver_behaviour::respond(200, {{"X-Big", std::string(20000, 'h')}})});
    client c{io_.get_executor(), test_config()};
    const auto res = send(c, post(receiver_.url("/")));
    ASSERT_FALSE(res.has_value());
    EXPECT_EQ(res.error(), client_errc::protocol_error);
}

TEST_F(client_itest, truncates_a_body_over_the_limit_and_drops_the_connection) {
    receiver_.script({receiver_behaviour::respond(200, {}, std::string(200000, 'b'))});
    client c{io_.get_executor(), test_config()};
    auto req = post(receiver_.url("/"));
    req.max_body_override = 1000;
    const auto res = send(c, req);
    ASSERT_TRUE(res.has_value()) << res.error().message();
    EXPECT_TRUE(res->body_truncated);
    EXPECT_EQ(res->body, std::string(1000, 'b'));
    EXPECT_EQ(c.idle_connections(), 0u);

    const auto next = send(c, post(receiver_.url("/")));
    ASSERT_TRUE(next.has_value()) << next.error().message();
    EXPECT_EQ(receiver_.connections_accepted(), 2u);
}

TEST_F(client_itest, keeps_a_body_exactly_at_the_limit) {
    receiver_.script({receiver_behaviour::respond(200, {}, std::string(1000, 'b'))});
    client c{io_.get_executor(), test_config()};
    auto req = post(receiver_.url("/"));
    req.max_body_override = 1000;
    const auto res = send(c, req);
    ASSERT_TRUE(res.has_value()) << res.error().message();
    EXPECT_FALSE(res->body_truncated);
    EXPECT_EQ(res->body.size(), 1000u);
}

TEST_F(client_itest, reuses_a_keep_alive_connection) {
    client c{io_.get_executor(), test_config()};
    const auto first = send(c, post(receiver_.url("/one")));
    const auto second = send(c, post(receiver_.url("/two")));
    ASSERT_TRUE(first.has_value()) << first.error().message();
    ASSERT_TRUE(second.has_value()) << second.error().message();
    const auto seen = receiver_.requests();
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(receiver_.connections_accepted(), 1u);
    EXPECT_EQ(seen[0].connection, seen[1].connection);
    EXPECT_EQ(c.idle_connections(), 1u);
}

TEST_F(client_itest, does_not_reuse_when_the_server_says_close) {
    receiver_.script({receiver_behaviour::respond(200, {{"Connection", "close"}})});
    client c{io_.get_executor(), test_config()};
    ASSERT_TRUE(send(c, post(receiver_.url("/"))).has_value());
    ASSERT_TRUE(send(c, post(receiver_.url("/"))).has_value());
    EXPECT_EQ(receiver_.connections_accepted(), 2u);
}

TEST_F(client_itest, retries_once_when_a_kept_connection_turns_out_dead) {
    receiver_.script({receiver_behaviour::respond_then_close(200)});
    client c{io_.get_executor(), test_config()};
    ASSERT_TRUE(send(c, post(receiver_.url("/one"))).has_value());
    ASSERT_EQ(c.idle_connections(), 1u);
    const auto second = send(c, post(receiver_.url("/two")));
    ASSERT_TRUE(second.has_value()) << second.error().message();
    EXPECT_EQ(second->status, 200u);
    EXPECT_EQ(receiver_.connections_accepted(), 2u);
    EXPECT_EQ(receiver_.requests().size(), 2u);
}

// --- TLS ---------------------------------------------------------------------------------

class client_tls_itest : public ::testing::Test {
protected:
    ~client_tls_itest() override {
        receiver_.stop();
        EXPECT_TRUE(chal::testing::run_until_idle(io_, 5s)) << "async work left behind";
    }

    client_config tls_config(bool trust_test_ca = true) const {
        client_config cfg;
        cfg.address_policy = loopback_allowed();
        if (trust_test_ca) {
            cfg.extra_ca_pem = certs_.ca_pem;
        }
        return cfg;
    }

    boost::system::result<incoming_response> send(client& c, outgoing_request req) {
        return run(io_, c.send(std::move(req)));
    }

    asio::io_context io_;
    testing::test_certificates certs_ = testing::make_test_certificates("localhost");
    std::unique_ptr<asio::ssl::context> server_tls_ = testing::make_server_tls_context(certs_);
    webhook_receiver receiver_{io_.get_executor(), testing::receiver_options{server_tls_.get()}};
};

TEST_F(client_tls_itest, delivers_over_tls_with_sni_and_a_verified_name) {
    receiver_.script({receiver_behaviour::respond(200, {}, "secure")});
    client c{io_.get_executor(), tls_config()};
    const auto res = send(c, post(receiver_.url("/hook", "localhost")));
    ASSERT_TRUE(res.has_value()) << res.error().message();
    EXPECT_EQ(res->status, 200u);
    EXPECT_EQ(res->body, "secure");
    const auto seen = receiver_.requests();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].tls_server_name, "localhost");
    EXPECT_EQ(seen[0].header("host"), "localhost:" + std::to_string(receiver_.port()));
}

TEST_F(client_tls_itest, reuses_a_tls_connection) {
    client c{io_.get_executor(), tls_config()};
    ASSERT_TRUE(send(c, post(receiver_.url("/", "localhost"))).has_value());
    ASSERT_TRUE(send(c, post(receiver_.url("/", "localhost"))).has_value());
    EXPECT_EQ(receiver_.connections_accepted(), 1u);
}

TEST_F(client_tls_itest, refuses_a_certificate_from_an_unknown_ca) {
    client c{io_.get_executor(), tls_config(false)};
    const auto res = send(c, post(receiver_.url("/", "localhost")));
    ASSERT_FALSE(res.has_value());
    EXPECT_EQ(res.error(), client_errc::tls_failed);
    EXPECT_TRUE(receiver_.requests().empty());
}

TEST_F(client_tls_itest, refuses_a_certificate_for_another_name) {
    // The certificate names "localhost" only; 127.0.0.1 is not in it.
    client c{io_.get_executor(), tls_config()};
    const auto res = send(c, post(receiver_.url("/", "127.0.0.1")));
    ASSERT_FALSE(res.has_value());
    EXPECT_EQ(res.error(), client_errc::tls_failed);
    EXPECT_TRUE(receiver_.requests().empty());
}

// --- against our own server ----------------------------------------------------------------

// --- host name lookups ---------------------------------------------------------------------
using chal::testing::held_lookups;

class client_dns_itest : public client_itest {
protected:
    client_config config_with(held_lookups& names, std::size_t threads, std::size_t per_key) {
        auto cfg = test_config();
        cfg.lookup = names.function();
        cfg.resolver.threads = threads;
        cfg.resolver.max_running_per_key = per_key;
        return cfg;
    }
    // Sends in the background; the results land in `results` as they come.
    void send_in_background(client& c, std::string url, std::string key, std::chrono::milliseconds timeout) {
        auto req = post(std::move(url));
        req.fairness_key = std::move(key);
        req.total_timeout = timeout;
        auto sending = c.send(std::move(req));
        asio::co_spawn(io_, std::move(sending), [this](std::exception_ptr, boost::system::result<incoming_response> r) {
            results.push_back(r ? boost::system::error_code{} : r.error());
        });
    }
    std::string fast_url() const { return "http://fast.test:" + std::to_string(receiver_.port()) + "/hook"; }
    // Waits (with a deadline) until `n` background sends have finished.
    asio::awaitable<bool> results_arrive(std::size_t n, std::chrono::milliseconds limit) {
        asio::steady_timer pause{co_await asio::this_coro::executor};
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (results.size() < n && std::chrono::steady_clock::now() < deadline) {
            pause.expires_after(10ms);
            co_await pause.async_wait(asio::use_awaitable);
        }
        co_return results.size() >= n;
    }

    // Waits (with a deadline) until `c` has no lookup running.
    asio::awaitable<bool> lookups_drain(const client& c, std::chrono::milliseconds limit) {
        asio::steady_timer pause{co_await asio::this_coro::executor};
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (c.lookups_running() > 0 && std::chrono::steady_clock::now() < deadline) {
            pause.expires_after(10ms);
            co_await pause.async_wait(asio::use_awaitable);
        }
        co_return c.lookups_running() == 0;
    }

    std::vector<boost::system::error_code> results;
    held_lookups names_;
};

TEST_F(client_dns_itest, one_tenants_hanging_lookups_take_only_its_share_of_the_threads) {
    client c{io_.get_executor(), config_with(names_, 4, 2)};
    for (int i = 0; i < 6; ++i)
        send_in_background(c, "http://slow-" + std::to_string(i) + ".test/hook", "tenant-a", 5000ms);
    auto req = post(fast_url());
    req.fairness_key = "tenant-b";
    const auto started = std::chrono::steady_clock::now();
    const auto fine = send(c, std::move(req));
    ASSERT_TRUE(fine) << fine.error().message();
    EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
    EXPECT_EQ(c.lookups_running(), 2u) << "tenant-a holds its two threads, no more";
    EXPECT_EQ(c.lookups_queued(), 4u);
    names_.release();
    ASSERT_TRUE(run(io_, results_arrive(6, 3s)));
}

TEST_F(client_dns_itest, a_lookup_is_dropped_from_the_queue_when_its_request_gives_up) {
    client c{io_.get_executor(), config_with(names_, 2, 2)};
    for (int i = 0; i < 5; ++i)
        send_in_background(c, "http://slow-" + std::to_string(i) + ".test/hook", "tenant-a", 200ms);
    ASSERT_TRUE(run(io_, results_arrive(5, 3s)));
    for (const auto& ec : results) EXPECT_EQ(ec, make_error_code(client_errc::timeout));
    EXPECT_EQ(c.lookups_queued(), 0u) << "the three that never started are gone with their requests";
    EXPECT_EQ(c.lookups_running(), 2u) << "getaddrinfo cannot be interrupted: those two keep their threads";
    names_.release();
    // The two lookups still running finish into requests that are gone: nothing is left waiting.
    EXPECT_TRUE(run(io_, lookups_drain(c, 5s)));
}

TEST_F(client_dns_itest, a_tenant_with_too_many_lookups_waiting_is_refused_at_once) {
    auto cfg = config_with(names_, 1, 1);
    cfg.resolver.max_queued_per_key = 2;
    client c{io_.get_executor(), cfg};
    for (int i = 0; i < 3; ++i)  // one running, two waiting
        send_in_background(c, "http://slow-" + std::to_string(i) + ".test/hook", "tenant-a", 3000ms);
    auto req = post("http://slow-x.test/hook");
    req.fairness_key = "tenant-a";
    const auto refused = send(c, std::move(req));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error(), make_error_code(client_errc::resolver_busy));
    names_.release();
    EXPECT_TRUE(run(io_, results_arrive(3, 5s)));  // the background sends end before their results go
}

TEST_F(client_dns_itest, each_client_looks_names_up_on_threads_of_its_own) {
    client webhooks{io_.get_executor(), config_with(names_, 2, 2)};
    client slack{io_.get_executor(), config_with(names_, 2, 2)};
    for (int i = 0; i < 4; ++i) send_in_background(webhooks, "http://slow-" + std::to_string(i) + ".test/", "", 5000ms);
    const auto started = std::chrono::steady_clock::now();
    const auto fine = send(slack, post(fast_url()));
    ASSERT_TRUE(fine) << fine.error().message();
    EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
    EXPECT_EQ(webhooks.lookups_running(), 2u);
    names_.release();
    EXPECT_TRUE(run(io_, results_arrive(4, 5s)));
}

TEST_F(client_itest, keeps_at_most_max_idle_total_connections_across_hosts) {
    auto cfg = test_config();
    cfg.max_idle_total = 2;
    client c{io_.get_executor(), cfg};
    webhook_receiver second{io_.get_executor()};
    webhook_receiver third{io_.get_executor()};
    ASSERT_TRUE(send(c, post(receiver_.url("/a"))));
    ASSERT_TRUE(send(c, post(second.url("/b"))));
    ASSERT_TRUE(send(c, post(third.url("/c"))));
    EXPECT_EQ(c.idle_connections(), 2u);
    second.stop();
    third.stop();
}

TEST(client_server_itest, talks_to_our_server) {
    asio::io_context io;
    auto hello = [](request_context& ctx) -> asio::awaitable<response> {
        response res;
        res.result(200);
        res.body() = "hello " + std::string(ctx.param("name")) + " " + ctx.req.body();
        co_return res;
    };
    {
        server srv{
            io.get_executor(),
            server_config{},
            router{{{bhttp::verb::post, "/hello/{name}", "hello", hello}}},
            {}};
        auto on_done = [](const std::exception_ptr&) {};
        asio::co_spawn(io, srv.run(), on_done);
        client c{io.get_executor(), test_config()};

        auto req = post("http://127.0.0.1:" + std::to_string(srv.local_port()) + "/hello/ann", "again");
        req.headers.emplace_back("X-Request-Id", "trace-1");
        const auto res = run(io, c.send(req));
        ASSERT_TRUE(res.has_value()) << res.error().message();
        EXPECT_EQ(res->status, 200u);
        EXPECT_EQ(res->body, "hello ann again");
        EXPECT_EQ(res->header("x-request-id"), "trace-1");

        const auto missing =
            run(io, c.send(post("http://127.0.0.1:" + std::to_string(srv.local_port()) + "/nope")));
        ASSERT_TRUE(missing.has_value());
        EXPECT_EQ(missing->status, 404u);
        run(io, srv.drain(1s));
    }
    EXPECT_TRUE(chal::testing::run_until_idle(io, 5s)) << "async work left behind";
}

}  // namespace
}  // namespace chal::http
