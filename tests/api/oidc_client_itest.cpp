// api::oidc_client against a loopback server playing the provider: a key the provider withdrew
// stops verifying once the JWKS cache ages out, and UserInfo is asked with the access token.
#include "api/verification/oidc_client.hpp"
#include "tests/support/held_lookups.hpp"
#include "tests/support/run.hpp"
#include "tests/support/webhook_receiver.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

namespace chal::api {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using chal::testing::receiver_behaviour;
using chal::testing::run;

http::client_config loopback_idp() {
    http::client_config cfg;
    cfg.address_policy.allow_loopback = true;
    cfg.allow_plain_http = true;
    return cfg;
}

std::string jwks_of(std::initializer_list<const crypto::jose::signing_key*> keys) {
    boost::json::array list;
    for (const auto* k : keys) list.push_back(k->public_jwk());
    return boost::json::serialize(boost::json::object{{"keys", list}});
}

asio::awaitable<void> pause(std::chrono::milliseconds d) {
    asio::steady_timer timer{co_await asio::this_coro::executor, d};
    co_await timer.async_wait(asio::use_awaitable);
}

class oidc_client_itest : public ::testing::Test {
protected:
    asio::io_context io_;
    chal::testing::webhook_receiver provider_{io_.get_executor()};
    http::client http_{io_.get_executor(), loopback_idp()};

    oidc_provider provider() const {
        oidc_provider p;
        p.issuer = provider_.url("");
        p.jwks_uri = provider_.url("/jwks");
        p.userinfo_endpoint = provider_.url("/userinfo");
        return p;
    }
    bool verifies(oidc_client& client, const std::string& token) {
        auto claims = run(io_, client.verified_claims(provider(), token));
        return std::holds_alternative<boost::json::object>(claims);
    }
};

TEST_F(oidc_client_itest, a_key_the_provider_withdrew_stops_verifying_once_the_cache_ages_out) {
    const auto withdrawn = crypto::jose::signing_key::generate();
    const auto kept = crypto::jose::signing_key::generate();
    const auto ok = receiver_behaviour::respond(200, {{"Content-Type", "application/json"}}, jwks_of({&withdrawn, &kept}));
    const auto rotated = receiver_behaviour::respond(200, {{"Content-Type", "application/json"}}, jwks_of({&kept}));
    provider_.script({ok});
    provider_.set_default(rotated);
    oidc_client client(http_, true, std::chrono::hours{1}, 300ms);
    const auto token = withdrawn.sign_compact({}, R"({"sub":"alice"})");

    EXPECT_TRUE(verifies(client, token));
    EXPECT_TRUE(verifies(client, token)) << "within the cache lifetime the cached set is used";
    EXPECT_EQ(provider_.requests().size(), 1u);
    run(io_, pause(400ms));
    EXPECT_FALSE(verifies(client, token)) << "the provider no longer publishes that key";
    EXPECT_EQ(provider_.requests().size(), 2u);
    EXPECT_TRUE(verifies(client, kept.sign_compact({}, R"({"sub":"alice"})")));
}

TEST_F(oidc_client_itest, asks_userinfo_with_the_bearer_access_token) {
    provider_.script({receiver_behaviour::respond(
        200, {{"Content-Type", "application/json"}}, R"({"sub":"248289761001","email":"alice@example.com"})"
    )});
    oidc_client client(http_, true);
    auto info = run(io_, client.userinfo(provider(), "access-token-1"));
    ASSERT_TRUE(std::holds_alternative<boost::json::object>(info)) << std::get<oidc_failure>(info).reason;
    EXPECT_EQ(std::get<boost::json::object>(info).at("email").as_string(), "alice@example.com");
    ASSERT_EQ(provider_.requests().size(), 1u);
    EXPECT_EQ(provider_.requests()[0].target, "/userinfo");
    EXPECT_EQ(provider_.requests()[0].header("Authorization"), "Bearer access-token-1");
}

TEST_F(oidc_client_itest, a_userinfo_error_or_a_provider_without_userinfo_is_a_failure) {
    provider_.script({receiver_behaviour::respond(401, {{"WWW-Authenticate", "Bearer error=\"invalid_token\""}})});
    oidc_client client(http_, true);
    auto refused = run(io_, client.userinfo(provider(), "expired"));
    ASSERT_TRUE(std::holds_alternative<oidc_failure>(refused));
    EXPECT_EQ(std::get<oidc_failure>(refused).reason, "UserInfo answered HTTP 401");
    auto p = provider();
    p.userinfo_endpoint.reset();
    auto none = run(io_, client.userinfo(p, "token"));
    ASSERT_TRUE(std::holds_alternative<oidc_failure>(none));
    EXPECT_EQ(provider_.requests().size(), 1u) << "nothing is sent without an endpoint";
}

TEST(oidc_client_lookups, a_provider_whose_name_hangs_takes_only_its_own_share_of_the_lookup_threads) {
    asio::io_context io;
    chal::testing::webhook_receiver fast_provider{io.get_executor()};
    chal::testing::held_lookups names;
    auto cfg = loopback_idp();
    cfg.lookup = names.function();
    cfg.resolver.threads = 4;
    cfg.resolver.max_running_per_key = 2;
    http::client idp_http{io.get_executor(), cfg};
    oidc_client client(idp_http, true);
    // One tenant's provider does not resolve (its DNS is dead): its discoveries hang.
    std::vector<oidc_result<oidc_provider>> slow_results;
    for (int attempt = 0; attempt < 4; ++attempt) {
        auto discovering = client.discover("http://slow-idp.test/realms/acme");
        asio::co_spawn(io, std::move(discovering), [&slow_results](std::exception_ptr, oidc_result<oidc_provider> r) {
            slow_results.push_back(std::move(r));
        });
    }
    // Another tenant's provider answers at once, and must not wait behind them.
    const auto issuer = "http://fast-idp.test:" + std::to_string(fast_provider.port());
    fast_provider.set_default(receiver_behaviour::respond(
        200, {{"Content-Type", "application/json"}},
        boost::json::serialize(boost::json::object{{"issuer", issuer}, {"authorization_endpoint", issuer + "/auth"},
                                                   {"token_endpoint", issuer + "/token"}, {"jwks_uri", issuer + "/jwks"}})
    ));
    const auto started = std::chrono::steady_clock::now();
    auto discovered = run(io, client.discover(issuer));
    EXPECT_TRUE(std::holds_alternative<oidc_provider>(discovered)) << std::get<oidc_failure>(discovered).reason;
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s) << "the hanging provider held every lookup thread";
    EXPECT_EQ(idp_http.lookups_running(), 2u) << "the hanging provider holds its share, no more";
    names.release();
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (slow_results.size() < 4 && std::chrono::steady_clock::now() < deadline) io.run_one_for(100ms);
    EXPECT_EQ(slow_results.size(), 4u);
}

}  // namespace
}  // namespace chal::api
