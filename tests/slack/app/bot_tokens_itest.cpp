// slack_app::bot_tokens against the test PostgreSQL and the fake Slack: rotating tokens are
// refreshed near their expiry and not before, the new tokens are stored sealed, and concurrent
// callers refresh once under the row lock.
#include "app/http/client.hpp"
#include "slack/app/bot_tokens.hpp"
#include "slack/web_api.hpp"
#include "storage/slack_store.hpp"
#include "tests/storage/storage_fixture.hpp"
#include "tests/support/fake_slack.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace chal::slack_app {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using storage::t0;
using testing::fake_oauth_app;
using testing::slack_behaviour;

constexpr const char* client_id = "1111.2222";
constexpr const char* client_secret = "fake-client-secret";

http::client_config loopback_client() {
    http::client_config cfg;
    cfg.address_policy.allow_loopback = true;
    cfg.allow_plain_http = true;
    return cfg;
}

// A stored installation and the plaintext tokens the fake Slack issued for it.
struct issued_installation {
    storage::slack_installation_record record;
    std::string bot_token;
    std::string refresh_token;
};

// The pure decision.
TEST(bot_token_refresh, is_due_within_the_margin_of_expiry_and_only_for_rotating_tokens) {
    storage::slack_installation_record i;
    i.token_expires_at = t0 + 10min;
    EXPECT_FALSE(needs_refresh(i, t0 + 9min, 5min)) << "no refresh token: not rotating";
    i.refresh_token_sealed = "sealed";
    EXPECT_FALSE(needs_refresh(i, t0, 5min));
    EXPECT_FALSE(needs_refresh(i, t0 + 5min - 1s, 5min));
    EXPECT_TRUE(needs_refresh(i, t0 + 5min, 5min));
    EXPECT_TRUE(needs_refresh(i, t0 + 1h, 5min)) << "already expired";
    i.token_expires_at.reset();
    EXPECT_FALSE(needs_refresh(i, t0 + 1h, 5min)) << "no expiry: never";
}

class bot_tokens_itest : public storage::storage_test {
protected:
    bot_tokens_itest() {
        fake_oauth_app rotating;
        rotating.token_rotation = true;
        fake_.set_oauth_app(rotating);
    }

    ~bot_tokens_itest() override { fake_.stop(); }

    slack::web_api_config web_api_settings() const {
        slack::web_api_config cfg;
        cfg.base_url = fake_.base_url();
        cfg.timeout = 5s;
        return cfg;
    }

    storage::slack_app_record make_app() {
        const auto t = make_tenant();
        storage::slack_app_record a;
        a.integration_id = next_id();
        a.tenant_id = t.tenant.id;
        a.display_name = "Slack";
        a.instance_id = "acme-prod";
        a.client_id = client_id;
        a.client_secret_sealed = box_.seal(client_secret, storage::slack_client_secret_context(a.integration_id));
        a.token_rotation = true;
        run(slack_.create_app(a));
        return a;
    }

    // Installs through the fake's code exchange (so the fake knows the refresh token), stores the
    // installation with `expires_at`, and forgets the set-up's calls.
    issued_installation install(const storage::slack_app_record& a, std::optional<core::timestamp> expires_at) {
        fake_.add_oauth_code("set-up-code");
        slack::oauth_code_grant grant{client_id, client_secret, "set-up-code", ""};
        auto access = run(web_api_.oauth_v2_access(std::move(grant), 5000ms));
        if (!access) throw std::runtime_error("set-up exchange failed: " + access.error().log_text());
        issued_installation out;
        out.bot_token = access->access_token;
        out.refresh_token = access->refresh_token;
        auto& i = out.record;
        i.id = next_id();
        i.integration_id = a.integration_id;
        i.tenant_id = a.tenant_id;
        i.team_id = access->team_id;
        i.bot_user_id = access->bot_user_id;
        i.bot_id = "B0BOT";
        i.scopes = access->scope;
        i.bot_token_sealed = box_.seal(out.bot_token, storage::slack_bot_token_context(i.id));
        i.refresh_token_sealed = box_.seal(out.refresh_token, storage::slack_refresh_token_context(i.id));
        i.token_expires_at = expires_at;
        i.installed_at = t0 - 12h;
        run(slack_.install(i, t0 - 12h));
        fake_.clear_calls();
        return out;
    }

    storage::slack_installation_record stored(const std::string& installation_id) {
        auto i = run(slack_.find_installation_by_id(installation_id));
        if (!i) throw std::runtime_error("installation not found");
        return *i;
    }

    std::optional<std::string> token_for(const storage::slack_installation_record& i) {
        return run(tokens_.token_for(i));
    }

    core::timestamp now_ = t0;
    crypto::secret_box box_{storage::test_master_key};
    testing::fake_slack fake_{io.get_executor()};
    http::client http_{io.get_executor(), loopback_client()};
    slack::web_api_client web_api_{http_, web_api_settings()};
    storage::slack_store slack_{pool};
    bot_tokens tokens_{slack_, box_, web_api_, [this] { return now_; }};
};

TEST_F(bot_tokens_itest, a_fresh_rotating_token_is_used_without_calling_slack) {
    const auto issued = install(make_app(), t0 + 1h);
    EXPECT_EQ(token_for(issued.record), issued.bot_token);
    EXPECT_EQ(fake_.count("oauth.v2.access"), 0u);
}

TEST_F(bot_tokens_itest, a_token_that_never_expires_is_opened_as_stored) {
    auto issued = install(make_app(), std::nullopt);
    EXPECT_EQ(token_for(issued.record), issued.bot_token);
    EXPECT_EQ(fake_.count("oauth.v2.access"), 0u);
}

TEST_F(bot_tokens_itest, a_token_near_expiry_is_refreshed_and_the_new_tokens_are_stored_sealed) {
    const auto issued = install(make_app(), t0 + 4min);
    const auto token = token_for(issued.record);

    const auto refreshes = fake_.calls("oauth.v2.access");
    ASSERT_EQ(refreshes.size(), 1u);
    EXPECT_EQ(refreshes[0].param("grant_type"), "refresh_token");
    EXPECT_EQ(refreshes[0].param("refresh_token"), issued.refresh_token);
    EXPECT_EQ(refreshes[0].param("client_id"), client_id);
    EXPECT_EQ(refreshes[0].param("client_secret"), client_secret);
    ASSERT_TRUE(token);
    EXPECT_NE(*token, issued.bot_token);
    EXPECT_TRUE(token->starts_with("xoxe.xoxb-"));

    const auto row = stored(issued.record.id);
    EXPECT_EQ(box_.open(row.bot_token_sealed, storage::slack_bot_token_context(row.id)), token);
    ASSERT_TRUE(row.refresh_token_sealed);
    const auto next_refresh = box_.open(*row.refresh_token_sealed, storage::slack_refresh_token_context(row.id));
    ASSERT_TRUE(next_refresh);
    EXPECT_NE(*next_refresh, issued.refresh_token) << "refresh tokens are single-use";
    EXPECT_FALSE(row.bot_token_sealed.find(*token) != std::string::npos) << "stored sealed";
    EXPECT_EQ(row.token_expires_at, t0 + 43200s);
}

TEST_F(bot_tokens_itest, an_expired_token_is_refreshed) {
    const auto issued = install(make_app(), t0 - 1min);
    const auto token = token_for(issued.record);
    ASSERT_TRUE(token);
    EXPECT_NE(*token, issued.bot_token);
    EXPECT_EQ(fake_.count("oauth.v2.access"), 1u);
}

TEST_F(bot_tokens_itest, two_concurrent_callers_refresh_once_and_get_the_same_token) {
    const auto issued = install(make_app(), t0 + 1min);
    // The refresh answer takes a while, so the second caller arrives while the first holds the lock.
    fake_.script("oauth.v2.access", {slack_behaviour::slow(300ms)});
    std::vector<asio::awaitable<std::optional<std::string>>> callers;
    callers.push_back(tokens_.token_for(issued.record));
    callers.push_back(tokens_.token_for(issued.record));
    const auto tokens = run_concurrently(std::move(callers));

    EXPECT_EQ(fake_.count("oauth.v2.access"), 1u);
    ASSERT_TRUE(tokens[0] && tokens[1]);
    EXPECT_EQ(*tokens[0], *tokens[1]);
    EXPECT_NE(*tokens[0], issued.bot_token);
    EXPECT_EQ(box_.open(stored(issued.record.id).bot_token_sealed, storage::slack_bot_token_context(issued.record.id)),
              tokens[0]);
}

TEST_F(bot_tokens_itest, a_caller_with_a_stale_record_uses_the_token_already_refreshed) {
    const auto issued = install(make_app(), t0 + 1min);
    const auto first = token_for(issued.record);
    ASSERT_EQ(fake_.count("oauth.v2.access"), 1u);

    // issued.record still says the old token expires in a minute: the row says otherwise.
    const auto second = token_for(issued.record);
    EXPECT_EQ(fake_.count("oauth.v2.access"), 1u);
    EXPECT_EQ(second, first);
}

TEST_F(bot_tokens_itest, a_failed_refresh_of_an_expired_token_gives_no_token_and_changes_nothing) {
    const auto issued = install(make_app(), t0 - 1min);
    fake_.script("oauth.v2.access", {slack_behaviour::slack_error("invalid_refresh_token")});
    EXPECT_FALSE(token_for(issued.record));
    const auto row = stored(issued.record.id);
    EXPECT_EQ(row.bot_token_sealed, issued.record.bot_token_sealed);
    EXPECT_EQ(row.refresh_token_sealed, issued.record.refresh_token_sealed);
    EXPECT_EQ(row.token_expires_at, t0 - 1min);
}

TEST_F(bot_tokens_itest, a_failed_refresh_keeps_using_a_token_that_has_not_expired_yet) {
    const auto issued = install(make_app(), t0 + 2min);
    fake_.script("oauth.v2.access", {slack_behaviour::http_status(503, "down")});
    EXPECT_EQ(token_for(issued.record), issued.bot_token);
    EXPECT_EQ(fake_.count("oauth.v2.access"), 1u);

    // The next use tries again.
    EXPECT_NE(token_for(issued.record), issued.bot_token);
    EXPECT_EQ(fake_.count("oauth.v2.access"), 2u);
}

TEST_F(bot_tokens_itest, an_uninstalled_installation_gives_no_token) {
    const auto a = make_app();
    const auto issued = install(a, t0 + 1min);
    run(slack_.deactivate(a.integration_id, std::nullopt, issued.record.team_id, t0));
    EXPECT_FALSE(token_for(issued.record));
    EXPECT_EQ(fake_.count("oauth.v2.access"), 0u);
}

}  // namespace
}  // namespace chal::slack_app
