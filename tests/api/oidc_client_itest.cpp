// api::oidc_client against a loopback server playing the provider: a key the provider withdrew
// stops verifying once the JWKS cache ages out, and UserInfo is asked with the access token.
#include "api/verification/oidc_client.hpp"
#include "tests/support/run.hpp"
#include "tests/support/webhook_receiver.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
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

}  // namespace
}  // namespace chal::api
