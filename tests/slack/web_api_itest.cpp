// slack::web_api_client against the fake Slack Web API over real loopback HTTP: encodings and
// the bearer token, ok:false answers, 429 memory per method and workspace, timeouts, closed
// connections, the OAuth exchange and response URLs.
#include "app/http/client.hpp"
#include "slack/web_api.hpp"
#include "tests/support/fake_slack.hpp"
#include "tests/support/run.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace chal::slack {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using testing::fake_slack;
using testing::fake_slack_user;
using testing::slack_behaviour;

asio::awaitable<void> sleep_until(clock_type::time_point when) {
    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer timer{executor, when};
    co_await timer.async_wait(asio::use_awaitable);
}

http::client_config loopback_client() {
    http::client_config cfg;
    cfg.address_policy.allow_loopback = true;
    cfg.allow_plain_http = true;
    return cfg;
}

fake_slack_user ada() {
    fake_slack_user u;
    u.id = "U0ADA";
    u.name = "ada";
    u.real_name = "Ada Lovelace";
    u.display_name = "ada.l";
    u.email = "ada+work@example.com";
    return u;
}

class web_api_itest : public ::testing::Test {
protected:
    web_api_itest() { fake_.add_user(ada()); }

    ~web_api_itest() override {
        fake_.stop();
        EXPECT_TRUE(chal::testing::run_until_idle(io_, 5s)) << "async work left behind";
    }

    web_api_config config() const {
        web_api_config cfg;
        cfg.base_url = fake_.base_url();
        cfg.response_url_prefix = fake_.response_url_prefix();
        cfg.timeout = 5s;
        return cfg;
    }

    static caller bot(std::string workspace = "T0FAKE") {
        caller as;
        as.token = "xoxb-test-token";
        as.workspace = std::move(workspace);
        return as;
    }

    template <class T>
    T run(asio::awaitable<T> op) {
        return chal::testing::run(io_, std::move(op));
    }

    web_api_result<posted_message> post(caller as, std::string channel, std::string text) {
        outgoing_message m;
        m.channel = std::move(channel);
        m.text = std::move(text);
        return run(slack_.chat_post_message(std::move(as), std::move(m)));
    }

    web_api_result<workspace_user> lookup(caller as, std::string email) {
        return run(slack_.users_lookup_by_email(std::move(as), std::move(email)));
    }

    // Waits until the client's Retry-After memory lets `method` go out again; false if that
    // has not happened by `deadline`.
    bool wait_until_unblocked(std::string_view method, const caller& as, clock_type::time_point deadline) {
        while (auto until = slack_.blocked_until(method, as)) {
            if (clock_type::now() >= deadline) return false;
            run(sleep_until(std::min(*until, deadline)));
        }
        return true;
    }

    asio::io_context io_;
    fake_slack fake_{io_.get_executor()};
    http::client http_{io_.get_executor(), loopback_client()};
    web_api_client slack_{http_, config()};
};

// --- encodings ---------------------------------------------------------------------------

TEST_F(web_api_itest, looks_up_a_user_by_email_with_a_form_body_and_a_bearer_token) {
    const auto user = lookup(bot(), "ada+work@example.com");
    ASSERT_TRUE(user.has_value()) << user.error().log_text();
    EXPECT_EQ(user->id, "U0ADA");
    EXPECT_EQ(user->real_name, "Ada Lovelace");
    EXPECT_EQ(user->display_name, "ada.l");
    EXPECT_EQ(user->email, "ada+work@example.com");

    const auto calls = fake_.calls("users.lookupByEmail");
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].target, "/api/users.lookupByEmail");
    EXPECT_EQ(calls[0].content_type, "application/x-www-form-urlencoded");
    EXPECT_FALSE(calls[0].json_body);
    EXPECT_EQ(calls[0].header("authorization"), "Bearer xoxb-test-token");
    EXPECT_EQ(calls[0].token, "xoxb-test-token");
    // '+' and '@' are escaped: a bare '+' would reach Slack as a space.
    EXPECT_EQ(calls[0].body, "email=ada%2Bwork%40example.com");
    EXPECT_EQ(calls[0].param("email"), "ada+work@example.com");
}

TEST_F(web_api_itest, reads_users_info_with_a_form_body) {
    std::string id = "U0ADA";
    const auto user = run(slack_.users_info(bot(), std::move(id)));
    ASSERT_TRUE(user.has_value()) << user.error().log_text();
    EXPECT_EQ(user->name, "ada");
    EXPECT_EQ(user->team_id, "T0FAKE");
    EXPECT_FALSE(user->is_bot);

    const auto calls = fake_.calls("users.info");
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].content_type, "application/x-www-form-urlencoded");
    EXPECT_EQ(calls[0].param("user"), "U0ADA");
}

TEST_F(web_api_itest, posts_a_message_as_json_with_charset_and_bearer_token) {
    outgoing_message m;
    m.channel = "D0ADA";
    m.text = "Did you just log in?";
    m.blocks = json::parse(R"([{"type":"section","text":{"type":"mrkdwn","text":"*Hi*"}}])").as_array();
    m.thread_ts = "1700000000.000001";
    m.extra = json::object{{"unfurl_links", false}};
    const auto posted = run(slack_.chat_post_message(bot(), std::move(m)));
    ASSERT_TRUE(posted.has_value()) << posted.error().log_text();
    EXPECT_EQ(posted->channel, "D0ADA");
    EXPECT_FALSE(posted->ts.empty());

    const auto calls = fake_.calls("chat.postMessage");
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].content_type, "application/json; charset=utf-8");
    EXPECT_TRUE(calls[0].json_body);
    EXPECT_EQ(calls[0].header("authorization"), "Bearer xoxb-test-token");
    EXPECT_EQ(calls[0].param("channel"), "D0ADA");
    EXPECT_EQ(calls[0].param("text"), "Did you just log in?");
    EXPECT_EQ(calls[0].param("thread_ts"), "1700000000.000001");
    ASSERT_TRUE(calls[0].params.contains("blocks"));
    EXPECT_TRUE(calls[0].params.at("blocks").is_array());
    EXPECT_EQ(calls[0].params.at("unfurl_links"), json::value(false));
}

TEST_F(web_api_itest, opens_a_dm_and_updates_a_message_as_json) {
    fake_.set_dm_channel("U0ADA", "D0ADA");
    std::string user = "U0ADA";
    const auto channel = run(slack_.conversations_open(bot(), std::move(user)));
    ASSERT_TRUE(channel.has_value()) << channel.error().log_text();
    EXPECT_EQ(*channel, "D0ADA");

    outgoing_message update;
    update.channel = *channel;
    update.ts = "1700000001.000100";
    update.text = "Verified";
    const auto updated = run(slack_.chat_update(bot(), std::move(update)));
    ASSERT_TRUE(updated.has_value()) << updated.error().log_text();
    EXPECT_EQ(updated->ts, "1700000001.000100");

    const auto opens = fake_.calls("conversations.open");
    ASSERT_EQ(opens.size(), 1u);
    EXPECT_TRUE(opens[0].json_body);
    EXPECT_EQ(opens[0].param("users"), "U0ADA");
    const auto updates = fake_.calls("chat.update");
    ASSERT_EQ(updates.size(), 1u);
    EXPECT_TRUE(updates[0].json_body);
    EXPECT_EQ(updates[0].param("ts"), "1700000001.000100");
    EXPECT_FALSE(updates[0].params.contains("blocks"));
}

TEST_F(web_api_itest, posts_an_ephemeral_message_and_publishes_and_opens_views) {
    outgoing_message m;
    m.channel = "C0GENERAL";
    m.user = "U0ADA";
    m.text = "No such user";
    const auto ephemeral = run(slack_.chat_post_ephemeral(bot(), std::move(m)));
    ASSERT_TRUE(ephemeral.has_value()) << ephemeral.error().log_text();
    EXPECT_EQ(ephemeral->channel, "C0GENERAL");
    EXPECT_FALSE(ephemeral->ts.empty());

    std::string user = "U0ADA";
    json::object home{{"type", "home"}, {"blocks", json::array{}}};
    const auto published = run(slack_.views_publish(bot(), std::move(user), std::move(home)));
    ASSERT_TRUE(published.has_value()) << published.error().log_text();
    EXPECT_FALSE(published->id.empty());
    EXPECT_FALSE(published->hash.empty());

    std::string trigger = "12345.98765.abcd";
    json::object modal{
        {"type", "modal"}, {"title", json::object{{"type", "plain_text"}, {"text", "Challenge"}}}};
    const auto opened = run(slack_.views_open(bot(), std::move(trigger), std::move(modal)));
    ASSERT_TRUE(opened.has_value()) << opened.error().log_text();

    for (const auto* method : {"chat.postEphemeral", "views.publish", "views.open"}) {
        const auto calls = fake_.calls(method);
        ASSERT_EQ(calls.size(), 1u) << method;
        EXPECT_EQ(calls[0].content_type, "application/json; charset=utf-8") << method;
    }
    EXPECT_EQ(fake_.calls("views.publish")[0].params.at("view").at("type"), json::value("home"));
}

TEST_F(web_api_itest, a_scripted_answer_overrides_the_canned_fields) {
    json::object fields{{"ts", "1712345678.123456"}, {"channel", "C0SCRIPTED"}};
    fake_.script("chat.postMessage", {slack_behaviour::answer(std::move(fields))});
    const auto posted = post(bot(), "D0ADA", "hello");
    ASSERT_TRUE(posted.has_value()) << posted.error().log_text();
    EXPECT_EQ(posted->ts, "1712345678.123456");
    EXPECT_EQ(posted->channel, "C0SCRIPTED");
}

TEST_F(web_api_itest, auth_test_returns_the_bot_identity_and_granted_scopes) {
    const auto identity = run(slack_.auth_test(bot()));
    ASSERT_TRUE(identity.has_value()) << identity.error().log_text();
    EXPECT_EQ(identity->user_id, "U0BOT");
    EXPECT_EQ(identity->bot_id, "B0BOT");
    EXPECT_EQ(identity->team_id, "T0FAKE");
    EXPECT_EQ(identity->url, "https://fake-workspace.slack.com/");
    EXPECT_FALSE(identity->is_enterprise_install);
    EXPECT_EQ(identity->scopes, "chat:write,commands,im:write,users:read,users:read.email");
    EXPECT_EQ(fake_.calls("auth.test").at(0).content_type, "application/x-www-form-urlencoded");
}

TEST_F(web_api_itest, a_json_body_to_a_form_only_method_reaches_slack_without_arguments) {
    // Why the encoding matters: Slack ignores JSON bodies for users.lookupByEmail.
    std::string method = "users.lookupByEmail";
    json::object params{{"email", "ada+work@example.com"}};
    const auto answer = run(slack_.call(std::move(method), bot(), std::move(params), body_encoding::json));
    ASSERT_FALSE(answer.has_value());
    EXPECT_TRUE(answer.error().is_slack_error("invalid_arguments")) << answer.error().log_text();
    ASSERT_EQ(answer.error().messages.size(), 1u);
    EXPECT_EQ(answer.error().messages[0], "[ERROR] missing required field: email");
}

TEST_F(web_api_itest, a_token_slack_does_not_know_is_invalid_auth) {
    fake_.set_valid_tokens({"xoxb-the-real-one"});
    const auto identity = run(slack_.auth_test(bot()));
    ASSERT_FALSE(identity.has_value());
    EXPECT_TRUE(identity.error().is_slack_error("invalid_auth"));
}

// --- ok:false ----------------------------------------------------------------------------

TEST_F(web_api_itest, an_unknown_email_is_users_not_found) {
    const auto user = lookup(bot(), "nobody@example.com");
    ASSERT_FALSE(user.has_value());
    EXPECT_EQ(user.error().kind, web_api_errc::slack_error);
    EXPECT_EQ(user.error().code, "users_not_found");
    EXPECT_EQ(user.error().method, "users.lookupByEmail");
    EXPECT_EQ(user.error().http_status, 200u);
    EXPECT_TRUE(user.error().sent);
}

TEST_F(web_api_itest, missing_scope_carries_needed_and_provided) {
    fake_.script(
        "users.lookupByEmail", {slack_behaviour::missing_scope("users:read.email", "chat:write,users:read")}
    );
    const auto user = lookup(bot(), "ada+work@example.com");
    ASSERT_FALSE(user.has_value());
    EXPECT_TRUE(user.error().is_slack_error("missing_scope"));
    EXPECT_EQ(user.error().needed, "users:read.email");
    EXPECT_EQ(user.error().provided, "chat:write,users:read");
    EXPECT_NE(user.error().log_text().find("needed=users:read.email"), std::string::npos);
}

TEST_F(web_api_itest, validation_messages_are_surfaced) {
    json::object metadata{
        {"response_metadata",
         json::object{
             {"messages", json::array{"[ERROR] must provide a string [json-pointer:/blocks/0/text]"}}}}};
    fake_.script("chat.postMessage", {slack_behaviour::slack_error("invalid_blocks", std::move(metadata))});
    const auto posted = post(bot(), "D0ADA", "hello");
    ASSERT_FALSE(posted.has_value());
    EXPECT_TRUE(posted.error().is_slack_error("invalid_blocks"));
    ASSERT_EQ(posted.error().messages.size(), 1u);
    EXPECT_EQ(posted.error().messages[0], "[ERROR] must provide a string [json-pointer:/blocks/0/text]");
}

TEST_F(web_api_itest, a_server_error_status_is_an_http_error) {
    fake_.script("auth.test", {slack_behaviour::http_status(503, "upstream unavailable")});
    const auto identity = run(slack_.auth_test(bot()));
    ASSERT_FALSE(identity.has_value());
    EXPECT_EQ(identity.error().kind, web_api_errc::http_error);
    EXPECT_EQ(identity.error().http_status, 503u);
    EXPECT_EQ(identity.error().code, "http_503");
}

// --- 429 and Retry-After -----------------------------------------------------------------

TEST_F(web_api_itest, a_429_is_ratelimited_with_its_retry_after) {
    fake_.script("chat.postMessage", {slack_behaviour::rate_limited(7s)});
    const auto posted = post(bot(), "D0ADA", "hello");
    ASSERT_FALSE(posted.has_value());
    EXPECT_EQ(posted.error().kind, web_api_errc::ratelimited);
    EXPECT_EQ(posted.error().retry_after, 7s);
    EXPECT_EQ(posted.error().http_status, 429u);
    EXPECT_TRUE(posted.error().sent);
    const auto until = slack_.blocked_until("chat.postMessage", bot());
    ASSERT_TRUE(until.has_value());
    EXPECT_GT(*until, clock_type::now() + 6s);
}

TEST_F(web_api_itest, within_retry_after_the_same_method_fails_fast_without_reaching_slack) {
    fake_.script("chat.postMessage", {slack_behaviour::rate_limited(30s)});
    ASSERT_FALSE(post(bot(), "D0ADA", "first").has_value());
    ASSERT_EQ(fake_.count("chat.postMessage"), 1u);

    const auto second = post(bot(), "D0ADA", "second");
    ASSERT_FALSE(second.has_value());
    EXPECT_EQ(second.error().kind, web_api_errc::ratelimited);
    EXPECT_FALSE(second.error().sent);
    EXPECT_GT(second.error().retry_after, 0s);
    EXPECT_LE(second.error().retry_after, 30s);
    EXPECT_EQ(fake_.count("chat.postMessage"), 1u);
}

TEST_F(web_api_itest, a_429_blocks_neither_other_methods_nor_other_workspaces) {
    fake_.script("chat.postMessage", {slack_behaviour::rate_limited(30s)});
    ASSERT_FALSE(post(bot("T0FAKE"), "D0ADA", "first").has_value());

    outgoing_message update;
    update.channel = "D0ADA";
    update.ts = "1700000001.000100";
    update.text = "other method, same workspace";
    const auto updated = run(slack_.chat_update(bot("T0FAKE"), std::move(update)));
    EXPECT_TRUE(updated.has_value()) << updated.error().log_text();

    const auto elsewhere = post(bot("T0OTHER"), "D0ADA", "same method, other workspace");
    EXPECT_TRUE(elsewhere.has_value()) << elsewhere.error().log_text();
    EXPECT_EQ(fake_.count("chat.postMessage"), 2u);
    EXPECT_EQ(fake_.count("chat.update"), 1u);
}

TEST_F(web_api_itest, without_a_workspace_the_token_keys_the_retry_after_memory) {
    fake_.script("auth.test", {slack_behaviour::rate_limited(30s)});
    caller first;
    first.token = "xoxb-workspace-one";
    ASSERT_FALSE(run(slack_.auth_test(first)).has_value());
    const auto again = run(slack_.auth_test(first));
    ASSERT_FALSE(again.has_value());
    EXPECT_FALSE(again.error().sent);

    caller second;
    second.token = "xoxb-workspace-two";
    const auto other = run(slack_.auth_test(second));
    EXPECT_TRUE(other.has_value()) << other.error().log_text();
    EXPECT_EQ(fake_.count("auth.test"), 2u);
}

TEST_F(web_api_itest, after_retry_after_has_passed_the_method_works_again) {
    fake_.script("chat.postMessage", {slack_behaviour::rate_limited(1s)});
    const auto started = clock_type::now();
    ASSERT_FALSE(post(bot(), "D0ADA", "first").has_value());
    ASSERT_TRUE(slack_.blocked_until("chat.postMessage", bot()).has_value());

    ASSERT_TRUE(wait_until_unblocked("chat.postMessage", bot(), started + 5s));
    EXPECT_GE(clock_type::now() - started, 1s);
    const auto posted = post(bot(), "D0ADA", "after the wait");
    ASSERT_TRUE(posted.has_value()) << posted.error().log_text();
    EXPECT_EQ(fake_.count("chat.postMessage"), 2u);
}

// --- transport failures ------------------------------------------------------------------

TEST_F(web_api_itest, a_slow_answer_is_a_timeout) {
    fake_.script("users.info", {slack_behaviour::slow(10s)});
    auto as = bot();
    as.timeout = 300ms;
    std::string id = "U0ADA";
    const auto started = clock_type::now();
    const auto user = run(slack_.users_info(std::move(as), std::move(id)));
    const auto took = clock_type::now() - started;
    ASSERT_FALSE(user.has_value());
    EXPECT_EQ(user.error().kind, web_api_errc::transport);
    EXPECT_TRUE(user.error().is_timeout()) << user.error().log_text();
    EXPECT_EQ(user.error().code, "timeout");
    EXPECT_GE(took, 300ms);
    EXPECT_LT(took, 3s);
    EXPECT_EQ(fake_.count("users.info"), 1u);
}

TEST_F(web_api_itest, the_configured_timeout_applies_when_the_caller_gives_none) {
    auto cfg = config();
    cfg.timeout = 300ms;
    web_api_client quick{http_, cfg};
    fake_.script("auth.test", {slack_behaviour::slow(10s)});
    const auto identity = run(quick.auth_test(bot()));
    ASSERT_FALSE(identity.has_value());
    EXPECT_TRUE(identity.error().is_timeout()) << identity.error().log_text();
}

TEST_F(web_api_itest, a_closed_connection_is_a_transport_error) {
    fake_.script("auth.test", {slack_behaviour::close_connection()});
    const auto identity = run(slack_.auth_test(bot()));
    ASSERT_FALSE(identity.has_value());
    EXPECT_EQ(identity.error().kind, web_api_errc::transport);
    EXPECT_EQ(identity.error().transport, http::client_errc::connection_closed)
        << identity.error().log_text();
    EXPECT_EQ(identity.error().code, "connection_closed");
    EXPECT_EQ(identity.error().http_status, 0u);

    // The fake keeps serving on the same port afterwards.
    const auto again = run(slack_.auth_test(bot()));
    EXPECT_TRUE(again.has_value()) << again.error().log_text();
    EXPECT_EQ(fake_.count("auth.test"), 2u);
}

TEST_F(web_api_itest, nothing_listening_is_a_transport_error) {
    auto cfg = config();
    cfg.base_url = "http://127.0.0.1:" + std::to_string(fake_.port()) + "/api/";
    fake_.stop();
    web_api_client unreachable{http_, cfg};
    const auto identity = run(unreachable.auth_test(bot()));
    ASSERT_FALSE(identity.has_value());
    EXPECT_EQ(identity.error().kind, web_api_errc::transport);
    EXPECT_EQ(identity.error().transport, http::client_errc::connect_failed) << identity.error().log_text();
}

// --- OAuth -------------------------------------------------------------------------------

TEST_F(web_api_itest, exchanges_an_oauth_code_for_a_workspace_install) {
    fake_.add_oauth_code("code-1");
    oauth_code_grant grant;
    grant.client_id = "1111.2222";
    grant.client_secret = "fake-client-secret";
    grant.code = "code-1";
    grant.redirect_uri = "https://challenge.example/slack/oauth_redirect";
    const auto access = run(slack_.oauth_v2_access(std::move(grant), 0ms));
    ASSERT_TRUE(access.has_value()) << access.error().log_text();
    EXPECT_TRUE(access->access_token.starts_with("xoxb-"));
    EXPECT_EQ(access->token_type, "bot");
    EXPECT_EQ(access->bot_user_id, "U0BOT");
    EXPECT_EQ(access->app_id, "A0FAKE");
    EXPECT_EQ(access->team_id, "T0FAKE");
    EXPECT_EQ(access->team_name, "Fake Workspace");
    EXPECT_TRUE(access->enterprise_id.empty());
    EXPECT_FALSE(access->is_enterprise_install);
    EXPECT_EQ(access->scope, "chat:write,commands,im:write,users:read,users:read.email");
    EXPECT_EQ(access->authed_user_id, "U0INSTALLER");
    EXPECT_TRUE(access->refresh_token.empty());
    EXPECT_FALSE(access->expires_in.has_value());

    const auto calls = fake_.calls("oauth.v2.access");
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].content_type, "application/x-www-form-urlencoded");
    EXPECT_FALSE(calls[0].header("authorization").has_value());
    EXPECT_EQ(calls[0].param("client_id"), "1111.2222");
    EXPECT_EQ(calls[0].param("client_secret"), "fake-client-secret");
    EXPECT_EQ(calls[0].param("code"), "code-1");
    EXPECT_EQ(calls[0].param("redirect_uri"), "https://challenge.example/slack/oauth_redirect");
}

TEST_F(web_api_itest, an_org_install_with_rotation_has_no_team_and_a_refresh_token_that_works_once) {
    testing::fake_oauth_app app;
    app.token_rotation = true;
    app.enterprise_install = true;
    app.enterprise_id = "E0GRID";
    app.enterprise_name = "Grid Org";
    app.bot_user_id = "W0BOT";
    fake_.set_oauth_app(app);
    fake_.add_oauth_code("code-2");

    oauth_code_grant grant;
    grant.client_id = app.client_id;
    grant.client_secret = app.client_secret;
    grant.code = "code-2";
    const auto access = run(slack_.oauth_v2_access(std::move(grant), 0ms));
    ASSERT_TRUE(access.has_value()) << access.error().log_text();
    EXPECT_TRUE(access->access_token.starts_with("xoxe.xoxb-"));
    EXPECT_TRUE(access->team_id.empty());
    EXPECT_EQ(access->enterprise_id, "E0GRID");
    EXPECT_EQ(access->enterprise_name, "Grid Org");
    EXPECT_TRUE(access->is_enterprise_install);
    EXPECT_EQ(access->bot_user_id, "W0BOT");
    EXPECT_TRUE(access->refresh_token.starts_with("xoxe-1-"));
    ASSERT_TRUE(access->expires_in.has_value());
    EXPECT_EQ(*access->expires_in, 43200s);

    oauth_refresh_grant refresh;
    refresh.client_id = app.client_id;
    refresh.client_secret = app.client_secret;
    refresh.refresh_token = access->refresh_token;
    auto reuse = refresh;
    const auto renewed = run(slack_.oauth_v2_access(std::move(refresh), 0ms));
    ASSERT_TRUE(renewed.has_value()) << renewed.error().log_text();
    EXPECT_NE(renewed->access_token, access->access_token);
    EXPECT_NE(renewed->refresh_token, access->refresh_token);
    EXPECT_EQ(renewed->expires_in, std::optional<std::chrono::seconds>(43200s));

    const auto calls = fake_.calls("oauth.v2.access");
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_EQ(calls[1].param("grant_type"), "refresh_token");
    EXPECT_EQ(calls[1].param("refresh_token"), access->refresh_token);

    const auto replayed = run(slack_.oauth_v2_access(std::move(reuse), 0ms));
    ASSERT_FALSE(replayed.has_value());
    EXPECT_TRUE(replayed.error().is_slack_error("invalid_refresh_token"));
}

TEST_F(web_api_itest, an_unknown_oauth_code_is_invalid_code) {
    oauth_code_grant grant;
    grant.client_id = "1111.2222";
    grant.client_secret = "fake-client-secret";
    grant.code = "never-issued";
    const auto access = run(slack_.oauth_v2_access(std::move(grant), 0ms));
    ASSERT_FALSE(access.has_value());
    EXPECT_TRUE(access.error().is_slack_error("invalid_code"));
}

// --- response_url ------------------------------------------------------------------------

TEST_F(web_api_itest, responds_to_a_response_url_with_json) {
    std::string url = fake_.response_url("T0FAKE-1234-abcd");
    json::object message{
        {"response_type", "ephemeral"}, {"replace_original", false}, {"text", "Working on it"}};
    const auto sent = run(slack_.respond_to_response_url(std::move(url), std::move(message), 0ms));
    ASSERT_TRUE(sent.has_value()) << sent.error().log_text();

    const auto calls = fake_.calls("response_url");
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].response_url_id, "T0FAKE-1234-abcd");
    EXPECT_EQ(calls[0].content_type, "application/json; charset=utf-8");
    EXPECT_FALSE(calls[0].header("authorization").has_value());
    EXPECT_EQ(calls[0].param("text"), "Working on it");
    EXPECT_EQ(calls[0].params.at("replace_original"), json::value(false));
}

TEST_F(web_api_itest, an_expired_response_url_is_an_error_value) {
    fake_.script("response_url", {slack_behaviour::http_status(404, "expired_url")});
    std::string url = fake_.response_url("abc");
    json::object message{{"text", "late"}};
    const auto sent = run(slack_.respond_to_response_url(std::move(url), std::move(message), 0ms));
    ASSERT_FALSE(sent.has_value());
    EXPECT_EQ(sent.error().kind, web_api_errc::http_error);
    EXPECT_EQ(sent.error().code, "expired_url");
    EXPECT_EQ(sent.error().http_status, 404u);
}

TEST_F(web_api_itest, refuses_a_response_url_outside_the_allowed_prefix) {
    const std::string port = std::to_string(fake_.port());
    for (std::string url :
         {"http://127.0.0.1:" + port + "/api/chat.postMessage",  // same host, other path
          "http://localhost:" + port + "/response_url/abc",      // other host name
          "https://127.0.0.1:" + port + "/response_url/abc",     // other scheme
          std::string("http://127.0.0.1:1/response_url/abc"),    // other port
          std::string("not a url")}) {
        json::object message{{"text", "hi"}};
        const auto sent = run(slack_.respond_to_response_url(url, std::move(message), 0ms));
        ASSERT_FALSE(sent.has_value()) << url;
        EXPECT_EQ(sent.error().kind, web_api_errc::refused_url) << url;
        EXPECT_FALSE(sent.error().sent);
    }
    EXPECT_TRUE(fake_.calls().empty());
}

TEST(web_api_defaults, production_urls_are_slack_and_hooks_slack) {
    const web_api_config cfg;
    EXPECT_EQ(cfg.base_url, "https://slack.com/api/");
    EXPECT_EQ(cfg.response_url_prefix, "https://hooks.slack.com/");
    EXPECT_EQ(cfg.timeout, 10s);
    EXPECT_EQ(encoding_for("users.lookupByEmail"), body_encoding::form);
    EXPECT_EQ(encoding_for("users.info"), body_encoding::form);
    EXPECT_EQ(encoding_for("oauth.v2.access"), body_encoding::form);
    EXPECT_EQ(encoding_for("chat.postMessage"), body_encoding::json);
    EXPECT_EQ(encoding_for("views.publish"), body_encoding::json);
    EXPECT_EQ(encoding_for("conversations.open"), body_encoding::json);
}

}  // namespace
}  // namespace chal::slack
