// The Slack app end to end: signed requests from "Slack" over real HTTP to the whole service,
// its Web API calls answered and recorded by the fake Slack, the test PostgreSQL underneath.
#include "app/crypto/crypto.hpp"
#include "slack/signature.hpp"
#include "storage/slack_store.hpp"
#include "tests/e2e/service_fixture.hpp"
#include "tests/support/fake_slack.hpp"
#include "tests/support/run.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

namespace chal::e2e {
namespace {

namespace json = boost::json;
using boost::beast::http::verb;

constexpr const char* signing_secret = "8f742231b10e8888abcd99yyyzzz85a5";
constexpr const char* bot_token = "xoxb-test-bot-token";
constexpr const char* requester = "U0REQ";
constexpr const char* target = "U0TGT";
constexpr const char* team = "T0FAKE";

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
    std::string out;
    for (const auto& [name, value] : fields) {
        if (!out.empty()) out += '&';
        out += name + '=';
        for (unsigned char ch : value) {
            if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
                out += static_cast<char>(ch);
            } else {
                char buf[4];
                std::snprintf(buf, sizeof buf, "%%%02X", ch);
                out += buf;
            }
        }
    }
    return out;
}

class slack_e2e : public service_test {
protected:
    void SetUp() override {
        service_test::SetUp();
        slack_ = std::make_unique<testing::fake_slack>(io_.get_executor());
        slack_->add_user({.id = requester, .name = "rita", .real_name = "Rita Requester", .email = "rita@example.com"});
        slack_->add_user({.id = target, .name = "tom", .real_name = "Tom Target", .email = "tom@example.com"});
        slack_->add_user({.id = "U0ROBOT", .name = "robot", .is_bot = true});
        tenant_id_ = scalar("SELECT id::text FROM tenants WHERE name = 'Acme'");
        install_app();
    }
    void TearDown() override {
        slack_->stop();
        service_test::TearDown();
    }

    service::service_config slack_config() {
        auto config = test_config();
        config.slack_api_base_url = slack_->base_url();
        config.slack_response_url_prefix = slack_->response_url_prefix();
        config.slack_cards.poll_interval = std::chrono::milliseconds{50};
        return config;
    }

    std::string scalar(const std::string& sql) {
        auto rows = testing::run(io_, db_->execute_unprepared(sql));
        if (rows.size() == 0 || rows[0].is_null(0)) return {};
        return rows[0].get<std::string>(0);
    }

    // The Slack app with its signing secret and one workspace installation, as the CLI stores them.
    void install_app(std::optional<std::string> app_id = std::string("A0FAKE")) {
        crypto::secret_box box(*crypto::base64_decode(test_master_key_base64));
        storage::slack_store store(*db_);
        storage::slack_app_record app;
        app.integration_id = crypto::new_uuid_v7(std::chrono::system_clock::now());
        app.tenant_id = tenant_id_;
        app.display_name = "Acme Slack";
        app.instance_id = "main";
        app.signing_secret_sealed = box.seal(signing_secret, storage::slack_signing_secret_context(app.integration_id));
        app.security_channel_id = "C0SECURITY";
        app.app_id = std::move(app_id);
        testing::run(io_, store.create_app(app));
        integration_id_ = app.integration_id;
        install_workspace(team, bot_token);
    }

    // A (re)installation of the app in `workspace`; returns its id.
    std::string install_workspace(const std::string& workspace, const std::string& token) {
        crypto::secret_box box(*crypto::base64_decode(test_master_key_base64));
        storage::slack_store store(*db_);
        storage::slack_installation_record inst;
        inst.id = crypto::new_uuid_v7(std::chrono::system_clock::now());
        inst.integration_id = integration_id_;
        inst.tenant_id = tenant_id_;
        inst.team_id = workspace;
        inst.bot_user_id = "U0BOT";
        inst.bot_id = "B0BOT";
        inst.scopes = "chat:write,commands,im:write,users:read,users:read.email";
        inst.bot_token_sealed = box.seal(token, storage::slack_bot_token_context(inst.id));
        inst.installed_at = core::system_now();
        testing::run(io_, store.install(inst, core::system_now()));
        return inst.id;
    }

    std::string events_path(const std::string& instance = "main") { return "/slack/" + tenant_id_ + "/" + instance + "/events"; }

    http_reply post_signed(std::string body, std::string content_type, std::optional<std::int64_t> timestamp = {},
                           std::string secret = signing_secret, std::vector<std::pair<std::string, std::string>> extra = {},
                           std::string instance = "main") {
        const auto now = std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
        const auto ts = std::to_string(timestamp.value_or(now));
        std::vector<std::pair<std::string, std::string>> headers{
            {"Content-Type", content_type},
            {"X-Slack-Request-Timestamp", ts},
            {"X-Slack-Signature", slack::sign_request(secret, ts, body)}};
        for (auto& h : extra) headers.push_back(std::move(h));
        return call(verb::post, events_path(instance), std::move(body), std::move(headers));
    }

    // `/challenge <text>` as Slack sends it; `app_id` is its api_app_id (nullopt: none).
    http_reply slash_command(const std::string& text, const std::string& user = requester,
                             std::optional<std::string> app_id = std::string("A0FAKE")) {
        std::vector<std::pair<std::string, std::string>> fields{
            {"token", "deprecated"}, {"team_id", acting_team_}, {"team_domain", "acme"}, {"channel_id", "C0GENERAL"},
            {"channel_name", "general"}, {"user_id", user}, {"user_name", "rita"}, {"command", "/challenge"},
            {"text", text}, {"is_enterprise_install", "false"},
            {"response_url", slack_->response_url("cmd-" + std::to_string(++sequence_))},
            {"trigger_id", "13345224609.738474920.8088930838d88f008e0"}};
        if (app_id) fields.emplace_back("api_app_id", *app_id);
        return post_signed(form_encode(fields), "application/x-www-form-urlencoded");
    }

    http_reply interaction(const json::object& payload) {
        return post_signed(form_encode({{"payload", json::serialize(payload)}}), "application/x-www-form-urlencoded");
    }

    // A retry is signed afresh by Slack (a new timestamp) and carries the retry headers.
    http_reply event(const std::string& event_id, json::object inner, bool retry = false, std::string app_id = "A0FAKE") {
        json::object envelope{{"token", "deprecated"}, {"team_id", acting_team_}, {"api_app_id", std::move(app_id)},
                              {"type", "event_callback"}, {"event_id", event_id}, {"event_time", 1764590400},
                              {"event", std::move(inner)},
                              {"authorizations", json::array{json::object{{"enterprise_id", nullptr}, {"team_id", acting_team_},
                                                                         {"user_id", "U0BOT"}, {"is_bot", true},
                                                                         {"is_enterprise_install", false}}}}};
        if (!retry) return post_signed(json::serialize(envelope), "application/json");
        const auto later = std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count() + 1;
        return post_signed(json::serialize(envelope), "application/json", later, signing_secret,
                           {{"X-Slack-Retry-Num", "1"}, {"X-Slack-Retry-Reason", "http_timeout"}});
    }

    json::object report_incident_click(const std::string& challenge_id, const std::string& user, const std::string& text,
                                       const std::string& action_id = "report_incident") {
        return json::object{
            {"type", "block_actions"},
            {"user", json::object{{"id", user}, {"username", "tom"}, {"name", "tom"}, {"team_id", acting_team_}}},
            {"api_app_id", "A0FAKE"},
            {"team", json::object{{"id", acting_team_}, {"domain", "acme"}}},
            {"container", json::object{{"type", "message"}, {"message_ts", "1700000000.000100"}, {"channel_id", "DU0TGT"}}},
            {"channel", json::object{{"id", "DU0TGT"}}},
            {"trigger_id", "123.456.abc"},
            {"response_url", slack_->response_url("click-" + std::to_string(++sequence_))},
            {"state", json::object{{"values", json::object{{"additional_context",
                json::object{{"target_response", json::object{{"type", "plain_text_input"}, {"value", text}}}}}}}}},
            {"actions", json::array{json::object{{"action_id", action_id}, {"block_id", "challenge_actions"},
                                                 {"type", "button"}, {"value", challenge_id},
                                                 {"action_ts", "1700000001.000200"}}}}};
    }

    bool wait_for_slack(const std::string& method, std::size_t n, std::chrono::seconds limit = std::chrono::seconds{20}) {
        return testing::run(io_, slack_->wait_for_calls(method, n, std::chrono::steady_clock::now() + limit));
    }

    std::string newest_challenge() { return scalar("SELECT id::text FROM challenges ORDER BY created_at DESC, id DESC LIMIT 1"); }

    // The workspace the helpers' requests come from.
    std::string acting_team_ = team;
    std::unique_ptr<testing::fake_slack> slack_;
    std::string tenant_id_;
    std::string integration_id_;
    int sequence_ = 0;
};

TEST_F(slack_e2e, SlashCommandStoresTheChallengeAndPostsTheCardAndTheRequestersCode) {
    start_service(slack_config());
    auto reply = slash_command("<@U0TGT|tom> resetting your password");
    ASSERT_EQ(reply.status, 200u) << reply.body;
    auto answer = json::parse(reply.body).as_object();
    EXPECT_EQ(answer.at("response_type").as_string(), "ephemeral");
    EXPECT_NE(json::serialize(answer).find("Challenge sent to <@U0TGT>"), std::string::npos) << reply.body;

    const auto id = newest_challenge();
    ASSERT_FALSE(id.empty());
    EXPECT_EQ(scalar("SELECT origin || '|' || target_user_id || '|' || target_user_email || '|' || requester_id || '|' || context"
                     " FROM challenges WHERE id = '" + id + "'"),
              "slack_command|U0TGT|tom@example.com|U0REQ|resetting your password");
    // The code in the ephemeral is the challenge's call-binding code.
    const auto code = scalar("SELECT verification_code FROM challenges WHERE id = '" + id + "'");
    EXPECT_NE(reply.body.find(code), std::string::npos);

    ASSERT_TRUE(wait_for_slack("chat.postMessage", 2));
    auto posts = slack_->calls("chat.postMessage");
    const auto card = json::serialize(posts[0].params);
    EXPECT_EQ(posts[0].token, bot_token);
    EXPECT_EQ(posts[0].param("channel"), "DU0TGT");
    EXPECT_NE(card.find("\"action_id\":\"verify\""), std::string::npos);
    EXPECT_NE(card.find("/challenge/start/" + id), std::string::npos);
    EXPECT_NE(card.find("\"action_id\":\"report_incident\""), std::string::npos);
    EXPECT_EQ(card.find(code), std::string::npos) << "the target's card must not carry the code";
    EXPECT_EQ(posts[1].param("channel"), "DU0REQ");
    EXPECT_NE(json::serialize(posts[1].params).find(code), std::string::npos);
    EXPECT_TRUE(eventually([&] { return count_rows("SELECT count(*) FROM slack_messages WHERE challenge_id = '" + id + "'") == 2; }));
}

TEST_F(slack_e2e, ForgedStaleReplayedAndUnknownRequestsAreRefused) {
    start_service(slack_config());
    const std::string body = form_encode({{"team_id", team}, {"user_id", requester}, {"command", "/challenge"},
                                          {"text", "help"}, {"channel_id", "C1"}, {"response_url", slack_->response_url("x")},
                                          {"trigger_id", "t"}, {"api_app_id", "A0FAKE"}});
    EXPECT_EQ(post_signed(body, "application/x-www-form-urlencoded", {}, "not-the-secret").status, 401u);
    const auto old = std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count() - 301;
    EXPECT_EQ(post_signed(body, "application/x-www-form-urlencoded", old).status, 401u);
    EXPECT_EQ(post_signed(body, "application/x-www-form-urlencoded", {}, signing_secret, {}, "no-such-instance").status, 401u);
    auto unsigned_reply = call(verb::post, events_path(), body, {{"Content-Type", "application/x-www-form-urlencoded"}});
    EXPECT_EQ(unsigned_reply.status, 401u);

    // The same signed request twice: the second is a replay.
    const auto ts = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count());
    std::vector<std::pair<std::string, std::string>> headers{{"Content-Type", "application/x-www-form-urlencoded"},
                                                             {"X-Slack-Request-Timestamp", ts},
                                                             {"X-Slack-Signature", slack::sign_request(signing_secret, ts, body)}};
    EXPECT_EQ(call(verb::post, events_path(), body, headers).status, 200u);
    EXPECT_EQ(call(verb::post, events_path(), body, headers).status, 401u);

    // A workspace the app is not installed in.
    auto foreign = form_encode({{"team_id", "T0OTHER"}, {"user_id", requester}, {"command", "/challenge"}, {"text", "help"},
                                {"channel_id", "C1"}, {"response_url", slack_->response_url("y")}, {"trigger_id", "t"},
                                {"api_app_id", "A0FAKE"}});
    EXPECT_EQ(post_signed(foreign, "application/x-www-form-urlencoded").status, 401u);
    EXPECT_EQ(count_rows("SELECT count(*) FROM challenges"), 0);
}

TEST_F(slack_e2e, RequestsSignedForTheAppButLabelledForAnotherSlackAppOrForNoneAreRefused) {
    start_service(slack_config());
    EXPECT_EQ(slash_command("<@U0TGT|tom> other app", requester, "A0OTHER").status, 401u);
    EXPECT_EQ(slash_command("<@U0TGT|tom> no app", requester, std::nullopt).status, 401u);
    auto click = report_incident_click("0190f1a2-7c3b-7d4e-8f5a-1b2c3d4e5f60", target, "x");
    click["api_app_id"] = "A0OTHER";
    EXPECT_EQ(interaction(click).status, 401u);
    click.erase("api_app_id");
    EXPECT_EQ(interaction(click).status, 401u);
    json::object opened{{"type", "app_home_opened"}, {"user", requester}, {"channel", "DU0REQ"}, {"tab", "home"}};
    EXPECT_EQ(event("Ev0001", opened, false, "A0OTHER").status, 401u);
    EXPECT_EQ(count_rows("SELECT count(*) FROM challenges"), 0);

    // The same requests labelled with the app's own id are served.
    EXPECT_EQ(slash_command("help").status, 200u);
    EXPECT_EQ(event("Ev0002", opened).status, 200u);
    EXPECT_TRUE(wait_for_slack("views.publish", 1));
    EXPECT_EQ(scalar("SELECT app_id FROM slack_apps"), "A0FAKE");
}

TEST_F(slack_e2e, AnAppSetUpWithoutAnAppIdTakesItFromItsFirstSignedRequestAndThenHoldsToIt) {
    testing::run(io_, db_->execute_unprepared("UPDATE slack_apps SET app_id = NULL"));
    start_service(slack_config());
    EXPECT_EQ(slash_command("help", requester, "A0FIRST").status, 200u);
    EXPECT_EQ(scalar("SELECT app_id FROM slack_apps"), "A0FIRST");
    EXPECT_EQ(slash_command("help", requester, "A0FAKE").status, 401u);
    EXPECT_EQ(slash_command("help", requester, "A0FIRST").status, 200u);
}

TEST_F(slack_e2e, SslCheckAndUrlVerificationAreAnswered) {
    start_service(slack_config());
    auto ssl = post_signed("ssl_check=1&token=deprecated", "application/x-www-form-urlencoded");
    EXPECT_EQ(ssl.status, 200u);
    EXPECT_TRUE(ssl.body.empty());
    auto verification = post_signed(R"({"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"})",
                                    "application/json");
    ASSERT_EQ(verification.status, 200u);
    EXPECT_EQ(json::parse(verification.body).at("challenge").as_string(), "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P");
}

TEST_F(slack_e2e, HelpUsageAndRefusalsAreEphemeral) {
    auto config = slack_config();
    config.slack_requests.limits.per_target = 1;
    start_service(config);
    auto help = slash_command("help");
    ASSERT_EQ(help.status, 200u);
    EXPECT_EQ(json::parse(help.body).at("response_type").as_string(), "ephemeral");

    auto self = slash_command("<@U0REQ|rita> test");
    EXPECT_NE(self.body.find("same person"), std::string::npos) << self.body;
    auto bot = slash_command("<@U0ROBOT|robot>");
    EXPECT_NE(bot.body.find("bot"), std::string::npos) << bot.body;
    auto nobody = slash_command("nobody@example.com why");
    EXPECT_NE(nobody.body.find("No one in this workspace"), std::string::npos) << nobody.body;
    EXPECT_EQ(count_rows("SELECT count(*) FROM challenges"), 0);

    EXPECT_NE(slash_command("<@U0TGT|tom> first").body.find("Challenge sent"), std::string::npos);
    auto flood = slash_command("tom@example.com second");
    EXPECT_NE(flood.body.find("too many challenges"), std::string::npos) << flood.body;
    EXPECT_EQ(count_rows("SELECT count(*) FROM challenges"), 1);
}

TEST_F(slack_e2e, ReportIncidentFromTheCardFailsTheChallengeAndUpdatesBothMessagesAndAlertsSecurity) {
    start_service(slack_config());
    ASSERT_EQ(slash_command("<@U0TGT|tom> wire transfer").status, 200u);
    const auto id = newest_challenge();
    ASSERT_TRUE(wait_for_slack("chat.postMessage", 2));

    // Someone else clicking (a forwarded card) changes nothing.
    auto stranger = interaction(report_incident_click(id, requester, "not me"));
    EXPECT_EQ(stranger.status, 200u);
    EXPECT_NE(stranger.body.find("not found"), std::string::npos) << stranger.body;
    EXPECT_EQ(scalar("SELECT status FROM challenges WHERE id = '" + id + "'"), "initiated");

    auto click = interaction(report_incident_click(id, target, "I never asked for a transfer"));
    EXPECT_EQ(click.status, 200u);
    EXPECT_EQ(scalar("SELECT status || '|' || failure_reason || '|' || target_response FROM challenges WHERE id = '" + id + "'"),
              "failed|incident_reported|I never asked for a transfer");
    ASSERT_TRUE(wait_for_slack("chat.update", 2));
    for (const auto& update : slack_->calls("chat.update")) {
        EXPECT_FALSE(update.param("ts").empty());
        EXPECT_EQ(json::serialize(update.params).find("\"action_id\":\"verify\""), std::string::npos);
    }
    ASSERT_TRUE(wait_for_slack("chat.postMessage", 3));
    EXPECT_EQ(slack_->calls("chat.postMessage")[2].param("channel"), "C0SECURITY");
    EXPECT_TRUE(eventually([&] { return count_rows("SELECT count(*) FROM slack_jobs WHERE state = 'done'") == 2; }));
}

// In an Enterprise Grid org the same user ids exist in every workspace, so the user id alone
// cannot tell workspaces of one tenant apart: the installation must.
TEST_F(slack_e2e, AnotherWorkspaceOfTheTenantCanNeitherActOnNorSeeThisWorkspacesChallenges) {
    install_workspace("T0SECOND", "xoxb-second-workspace");
    start_service(slack_config());
    ASSERT_EQ(slash_command("<@U0TGT|tom> payroll change").status, 200u);
    const auto id = newest_challenge();
    ASSERT_TRUE(wait_for_slack("chat.postMessage", 2));

    acting_team_ = "T0SECOND";
    auto report = interaction(report_incident_click(id, target, "from the other workspace"));
    EXPECT_EQ(report.status, 200u);
    EXPECT_NE(report.body.find("not found"), std::string::npos) << report.body;
    EXPECT_EQ(interaction(report_incident_click(id, target, "typed elsewhere", "verify")).status, 200u);
    EXPECT_EQ(scalar("SELECT status || '|' || coalesce(target_response, '-') FROM challenges WHERE id = '" + id + "'"),
              "initiated|-");
    auto status = slash_command("status " + id);
    EXPECT_NE(status.body.find("not found"), std::string::npos) << status.body;
    json::object opened{{"type", "app_home_opened"}, {"user", requester}, {"channel", "DU0REQ"}, {"tab", "home"}};
    EXPECT_EQ(event("Ev0100", opened).status, 200u);
    ASSERT_TRUE(wait_for_slack("views.publish", 1));
    const auto elsewhere = slack_->calls("views.publish")[0];
    EXPECT_EQ(elsewhere.token, "xoxb-second-workspace");
    EXPECT_EQ(json::serialize(elsewhere.params).find("payroll change"), std::string::npos);

    // The workspace the challenge went through sees and acts on it.
    acting_team_ = team;
    EXPECT_NE(slash_command("status " + id).body.find("initiated"), std::string::npos);
    EXPECT_EQ(event("Ev0101", opened).status, 200u);
    ASSERT_TRUE(wait_for_slack("views.publish", 2));
    EXPECT_NE(json::serialize(slack_->calls("views.publish")[1].params).find("payroll change"), std::string::npos);
    EXPECT_EQ(interaction(report_incident_click(id, target, "not me")).status, 200u);
    EXPECT_EQ(scalar("SELECT status FROM challenges WHERE id = '" + id + "'"), "failed");
}

TEST_F(slack_e2e, AReinstallInTheSameWorkspaceKeepsItsChallengesCardsAndHome) {
    start_service(slack_config());
    ASSERT_EQ(slash_command("<@U0TGT|tom> before the reinstall").status, 200u);
    const auto id = newest_challenge();
    ASSERT_TRUE(wait_for_slack("chat.postMessage", 2));
    const auto reinstalled = install_workspace(team, "xoxb-after-reinstall");
    start_service(slack_config());  // a fresh node: no installation cached from before

    EXPECT_NE(slash_command("status " + id).body.find("initiated"), std::string::npos);
    json::object opened{{"type", "app_home_opened"}, {"user", target}, {"channel", "DU0TGT"}, {"tab", "home"}};
    EXPECT_EQ(event("Ev0200", opened).status, 200u);
    ASSERT_TRUE(wait_for_slack("views.publish", 1));
    EXPECT_EQ(slack_->calls("views.publish")[0].token, "xoxb-after-reinstall");
    EXPECT_NE(json::serialize(slack_->calls("views.publish")[0].params).find("before the reinstall"), std::string::npos);
    EXPECT_EQ(interaction(report_incident_click(id, target, "not me")).status, 200u);
    EXPECT_EQ(scalar("SELECT status FROM challenges WHERE id = '" + id + "'"), "failed");
    EXPECT_NE(scalar("SELECT installation_id::text FROM slack_challenges WHERE challenge_id = '" + id + "'"), reinstalled);
}

TEST_F(slack_e2e, TheVerifyClickKeepsWhatTheTargetTypedOnTheCard) {
    start_service(slack_config());
    ASSERT_EQ(slash_command("<@U0TGT|tom> new laptop").status, 200u);
    const auto id = newest_challenge();
    EXPECT_EQ(interaction(report_incident_click(id, requester, "typed by someone else", "verify")).status, 200u);
    EXPECT_EQ(scalar("SELECT coalesce(target_response, '-') FROM challenges WHERE id = '" + id + "'"), "-");
    EXPECT_EQ(interaction(report_incident_click(id, target, "On the train, new laptop", "verify")).status, 200u);
    EXPECT_EQ(scalar("SELECT status || '|' || target_response FROM challenges WHERE id = '" + id + "'"),
              "initiated|On the train, new laptop");
}

TEST_F(slack_e2e, ExpiryUpdatesBothMessagesInPlace) {
    start_service(slack_config());
    ASSERT_EQ(slash_command("<@U0TGT|tom> quick one").status, 200u);
    ASSERT_TRUE(wait_for_slack("chat.postMessage", 2));
    clock_.advance(std::chrono::minutes{16});
    ASSERT_TRUE(wait_for_slack("chat.update", 2));
    const auto text = json::serialize(slack_->calls("chat.update")[0].params);
    EXPECT_NE(text.find("xpired"), std::string::npos) << text;
}

TEST_F(slack_e2e, RateLimitedSlackIsRetriedAfterRetryAfter) {
    start_service(slack_config());
    slack_->script("chat.postMessage", {testing::slack_behaviour::rate_limited(std::chrono::seconds{1})});
    ASSERT_EQ(slash_command("<@U0TGT|tom> retry me").status, 200u);
    const auto id = newest_challenge();
    // The 429 is recorded and the card goes out on a later attempt.
    EXPECT_TRUE(eventually([&] {
        return count_rows("SELECT count(*) FROM slack_messages WHERE challenge_id = '" + id + "' AND role = 'target'") == 1;
    }));
    // The requester's message is posted after the target's is stored: wait for it, do not race it.
    EXPECT_TRUE(eventually([&] { return slack_->count("chat.postMessage") >= 3u; }));
}

TEST_F(slack_e2e, SlowSlackIsAcknowledgedInTimeAndAnsweredThroughTheResponseUrl) {
    auto config = slack_config();
    config.slack_ingress.ack_budget = std::chrono::milliseconds{300};
    start_service(config);
    slack_->script("users.info", {testing::slack_behaviour::slow(std::chrono::milliseconds{1500})});
    const auto started = std::chrono::steady_clock::now();
    auto reply = slash_command("<@U0TGT|tom> slow day");
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds{1200});
    EXPECT_EQ(reply.status, 200u);
    EXPECT_TRUE(reply.body.empty()) << reply.body;
    ASSERT_TRUE(wait_for_slack("response_url", 1));
    EXPECT_NE(slack_->calls("response_url")[0].body.find("Challenge sent"), std::string::npos);
}

TEST_F(slack_e2e, EventsAreDeduplicatedByEventIdAndUninstallDeactivates) {
    start_service(slack_config());
    ASSERT_EQ(slash_command("<@U0TGT|tom> for the home tab").status, 200u);
    json::object opened{{"type", "app_home_opened"}, {"user", requester}, {"channel", "DU0REQ"}, {"tab", "home"}};
    EXPECT_EQ(event("Ev0001", opened).status, 200u);
    EXPECT_EQ(event("Ev0001", opened, true).status, 200u);  // Slack's retry of the same event
    ASSERT_TRUE(wait_for_slack("views.publish", 1));
    const auto home = json::serialize(slack_->calls("views.publish")[0].params);
    EXPECT_NE(home.find("U0TGT"), std::string::npos) << home;

    EXPECT_EQ(event("Ev0002", json::object{{"type", "app_uninstalled"}}).status, 200u);
    EXPECT_TRUE(eventually([&] { return count_rows("SELECT count(*) FROM slack_installations WHERE deactivated_at IS NULL") == 0; }));
    EXPECT_EQ(slash_command("help").status, 401u);
    EXPECT_EQ(slack_->count("views.publish"), 1u);
}

TEST_F(slack_e2e, RestApiCreatesSlackChallengesByEmailWithTheBotAsDefaultRequester) {
    start_service(slack_config());
    auto created = create(R"({"integration_type": "slack", "target_user_email": "tom@example.com", "context": "API"})");
    ASSERT_EQ(created.status, 201u) << created.body;
    const auto id = std::string(json::parse(created.body).at("challenge_id").as_string());
    EXPECT_EQ(scalar("SELECT origin || '|' || requester_id || '|' || target_user_id FROM challenges WHERE id = '" + id + "'"),
              "slack_api|U0BOT|U0TGT");
    ASSERT_TRUE(wait_for_slack("chat.postMessage", 1));
    EXPECT_EQ(slack_->calls("chat.postMessage")[0].param("channel"), "DU0TGT");

    auto unknown = create(R"({"integration_type": "slack", "requester_email": "ghost@example.com", "target_user_id": "U0TGT"})");
    EXPECT_EQ(unknown.status, 400u);
    EXPECT_NE(unknown.body.find("requester_email"), std::string::npos) << unknown.body;
    auto wrong_instance = create(R"({"integration_type": "slack", "target_user_id": "U0TGT", "slack_instance_id": "nope"})");
    EXPECT_EQ(wrong_instance.status, 400u);
    EXPECT_NE(wrong_instance.body.find("Slack is not configured"), std::string::npos);
}

TEST_F(slack_e2e, RestApiHonoursAnIdempotencyKeyForSlackChallenges) {
    start_service(slack_config());
    const std::string body = R"({"integration_type": "slack", "target_user_id": "U0TGT", "context": "API"})";
    auto first = create(body, {{"Idempotency-Key", "soar-run-7"}});
    ASSERT_EQ(first.status, 201u) << first.body;
    auto again = create(body, {{"Idempotency-Key", "soar-run-7"}});
    EXPECT_EQ(again.status, 201u) << again.body;
    EXPECT_EQ(again.header("Idempotent-Replayed"), "true");
    EXPECT_EQ(again.body, first.body);
    EXPECT_EQ(scalar("SELECT count(*)::text FROM challenges"), "1");
    EXPECT_EQ(scalar("SELECT count(*)::text FROM slack_jobs WHERE kind = 'deliver'"), "1");
    auto changed = create(R"({"integration_type": "slack", "target_user_id": "U0TGT", "context": "other"})",
                          {{"Idempotency-Key", "soar-run-7"}});
    EXPECT_EQ(changed.status, 422u) << changed.body;
    // A refused create leaves its key free: the corrected retry goes through.
    auto refused = create(R"({"integration_type": "slack", "requester_email": "ghost@example.com", "target_user_id": "U0TGT"})",
                          {{"Idempotency-Key", "soar-run-8"}});
    EXPECT_EQ(refused.status, 400u) << refused.body;
    auto retried = create(R"({"integration_type": "slack", "target_user_id": "U0TGT"})", {{"Idempotency-Key", "soar-run-8"}});
    EXPECT_EQ(retried.status, 201u) << retried.body;
    EXPECT_EQ(retried.header("Idempotent-Replayed"), "");
}

json::object view_submission(const std::string& user, const std::string& target_user, const std::string& reason,
                             const std::string& minutes, const std::string& metadata) {
    json::object values{
        {"target", json::object{{"user", json::object{{"type", "users_select"}, {"selected_user", target_user}}}}},
        {"reason", json::object{{"text", json::object{{"type", "plain_text_input"}, {"value", reason}}}}},
        {"expiry", json::object{{"minutes", json::object{{"type", "static_select"},
                                                         {"selected_option", json::object{{"value", minutes}}}}}}}};
    return json::object{
        {"type", "view_submission"},
        {"team", json::object{{"id", team}, {"domain", "acme"}}},
        {"user", json::object{{"id", user}, {"username", "rita"}, {"name", "rita"}, {"team_id", team}}},
        {"api_app_id", "A0FAKE"},
        {"trigger_id", "555.666.def"},
        {"view", json::object{{"id", "V0MODAL"}, {"type", "modal"}, {"callback_id", "new_challenge"},
                              {"private_metadata", metadata}, {"hash", "1700000000.abc"}, {"team_id", team},
                              {"state", json::object{{"values", values}}}}}};
}

TEST_F(slack_e2e, TheModalOpensFromTheCommandAndTheShortcutsAndItsSubmissionCreatesTheChallenge) {
    start_service(slack_config());
    auto bare = slash_command("");
    EXPECT_EQ(bare.status, 200u);
    EXPECT_TRUE(bare.body.empty()) << bare.body;
    ASSERT_TRUE(wait_for_slack("views.open", 1));
    auto opened = slack_->calls("views.open")[0];
    EXPECT_FALSE(opened.param("trigger_id").empty());
    const auto modal = json::serialize(opened.params);
    EXPECT_NE(modal.find("\"callback_id\":\"new_challenge\""), std::string::npos) << modal;
    EXPECT_NE(modal.find("C0GENERAL"), std::string::npos) << "the channel travels in private_metadata";

    json::object global{{"type", "shortcut"}, {"callback_id", "new_challenge"}, {"trigger_id", "777.888.ghi"},
                        {"team", json::object{{"id", team}, {"domain", "acme"}}},
                        {"user", json::object{{"id", requester}, {"username", "rita"}, {"team_id", team}}},
                        {"api_app_id", "A0FAKE"}, {"action_ts", "1700000002.000300"}};
    EXPECT_EQ(interaction(global).status, 200u);
    ASSERT_TRUE(wait_for_slack("views.open", 2));

    json::object message{{"type", "message_action"}, {"callback_id", "challenge_sender"}, {"trigger_id", "999.000.jkl"},
                         {"team", json::object{{"id", team}, {"domain", "acme"}}},
                         {"user", json::object{{"id", requester}, {"username", "rita"}, {"team_id", team}}},
                         {"channel", json::object{{"id", "C0GENERAL"}, {"name", "general"}}},
                         {"message", json::object{{"type", "message"}, {"user", target}, {"ts", "1700000003.000400"},
                                                  {"text", "please reset my password"}}},
                         {"response_url", slack_->response_url("shortcut")}, {"api_app_id", "A0FAKE"},
                         {"action_ts", "1700000004.000500"}, {"message_ts", "1700000003.000400"}};
    EXPECT_EQ(interaction(message).status, 200u);
    ASSERT_TRUE(wait_for_slack("views.open", 3));
    const auto prefilled = json::serialize(slack_->calls("views.open")[2].params);
    EXPECT_NE(prefilled.find("\"initial_user\":\"U0TGT\""), std::string::npos) << prefilled;
    EXPECT_NE(prefilled.find("archives/C0GENERAL/p1700000003000400"), std::string::npos) << prefilled;

    auto submitted = interaction(view_submission(requester, target, "From the modal", "60", "C0GENERAL"));
    EXPECT_EQ(submitted.status, 200u);
    EXPECT_TRUE(submitted.body.empty()) << submitted.body;
    const auto id = newest_challenge();
    EXPECT_EQ(scalar("SELECT context || '|' || (extract(epoch FROM expires_at - created_at) / 60)::int FROM challenges"
                     " WHERE id = '" + id + "'"),
              "From the modal|60");
    ASSERT_TRUE(wait_for_slack("chat.postMessage", 2));  // the card, and the requester's DM with the code

    auto refused = interaction(view_submission(requester, requester, "me again", "15", ""));
    ASSERT_EQ(refused.status, 200u);
    auto errors = json::parse(refused.body).as_object();
    EXPECT_EQ(errors.at("response_action").as_string(), "errors");
    EXPECT_TRUE(errors.at("errors").as_object().contains("target")) << refused.body;
}

TEST_F(slack_e2e, AnotherTenantsPathOrAnOversizedBodyIsRefused) {
    start_service(slack_config());
    make_tenant("Globex");
    const auto other_tenant = scalar("SELECT id::text FROM tenants WHERE name = 'Globex'");
    // Acme's instance under Globex's id, signed with Acme's secret: no such app there.
    const std::string body = "ssl_check=1";
    const auto ts = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count());
    auto cross = call(verb::post, "/slack/" + other_tenant + "/main/events", body,
                      {{"Content-Type", "application/x-www-form-urlencoded"}, {"X-Slack-Request-Timestamp", ts},
                       {"X-Slack-Signature", slack::sign_request(signing_secret, ts, body)}});
    EXPECT_EQ(cross.status, 401u);
    auto not_a_tenant = call(verb::post, "/slack/not-a-uuid/main/events", body, {{"Content-Type", "application/x-www-form-urlencoded"}});
    EXPECT_EQ(not_a_tenant.status, 401u);
    auto huge = post_signed("payload=" + std::string(300 * 1024, 'a'), "application/x-www-form-urlencoded");
    EXPECT_EQ(huge.status, 413u);
    EXPECT_EQ(count_rows("SELECT count(*) FROM challenges"), 0);
}

}  // namespace
}  // namespace chal::e2e
