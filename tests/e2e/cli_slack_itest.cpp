// The operator CLI's Slack commands, run as the real binary against the test database and a
// fake Slack Web API served from this process while the child runs: the manifest carries the
// tenant and instance, credentials are sealed and never printed, a bot token is checked with
// auth.test before its installation is stored, and unknown tenants and apps are errors.
#include "app/crypto/crypto.hpp"
#include "storage/migrations.hpp"
#include "storage/pg/pool.hpp"
#include "tests/e2e/cli_runner.hpp"
#include "tests/e2e/service_fixture.hpp"
#include "tests/support/fake_slack.hpp"
#include "tests/support/run.hpp"
#include "tests/support/test_database.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <thread>


using namespace chal;
using e2e::cli_result;
using e2e::describe;
using e2e::run_challenge;
using e2e::slurp;
using e2e::temp_file;

namespace {

// A JSON string's text, or "" for any other value.
std::string text_of(const boost::json::value& v) {
    return v.is_string() ? std::string(v.get_string()) : std::string();
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

constexpr const char* public_base = "https://challenge.example.com";
constexpr const char* signing_secret = "8f14e45fceea167a5a36dedd4bea2543";
constexpr const char* client_secret = "slack-client-secret-do-not-print-3c59";
constexpr const char* bot_token = "xoxb-1111-2222-botTokenDoNotPrint";

}  // namespace

class cli_slack : public ::testing::Test {
protected:
    void SetUp() override {
        chal::testing::test_database database;
        pg::pool_config pool_config{.conninfo = database.url(), .size = 2};
        db_ = std::make_unique<pg::pool>(io_.get_executor(), pool_config, [](int, std::string_view) {});
        chal::testing::run(io_, storage::migrate(*db_));
        database.truncate({"tenants", "integrations", "api_keys", "slack_apps", "slack_installations",
                           "slack_events_seen", "slack_oauth_states", "slack_messages"});
        auto created = cli({"tenant", "create", "--name", "Acme", "--json"});
        ASSERT_EQ(created.exit_code, 0) << describe(created);
        tenant_ = std::string(boost::json::parse(created.out).at("tenant_id").as_string());

        chal::testing::fake_slack_identity identity;
        identity.team_id = "T0ACME";
        identity.team = "Acme";
        identity.user_id = "U0CHALBOT";
        identity.bot_id = "B0CHALBOT";
        identity.app_id = "A0ACME";
        slack_.set_identity(identity);
        slack_.set_valid_tokens({bot_token});
    }
    void TearDown() override {
        slack_.stop();
        chal::testing::run_until_idle(slack_io_);
        db_->close();
        chal::testing::run_until_idle(io_);
    }

    // Runs the binary while this thread serves the fake Slack: the child's auth.test reaches
    // it over loopback. The fake's state is touched only here, before and after.
    cli_result cli(const std::vector<std::string>& args) {
        const std::vector<std::string> settings{"CHALLENGE_SLACK_API_BASE_URL=" + slack_.base_url(),
                                                std::string("CHALLENGE_PUBLIC_BASE_URL=") + public_base};
        cli_result result;
        std::thread child([&] {
            try {
                result = run_challenge(args, settings);
            } catch (const std::exception& e) {
                result.err = e.what();
            }
            slack_io_.stop();  // thread-safe; ends the run() below
        });
        slack_io_.run();
        child.join();
        slack_io_.restart();
        return result;
    }

    std::string create_app(const std::string& instance) {
        auto r = cli({"slack", "create-app", "--tenant", tenant_, "--name", "Acme Slack", "--instance", instance, "--json"});
        EXPECT_EQ(r.exit_code, 0) << describe(r);
        if (r.exit_code != 0) return {};
        const auto out = boost::json::parse(r.out).as_object();
        EXPECT_EQ(text_of(out.at("instance_id")), instance);
        EXPECT_EQ(text_of(out.at("tenant_id")), tenant_);
        return std::string(out.at("integration_id").as_string());
    }

    pg::result query(const std::string& sql) { return chal::testing::run(io_, db_->execute_unprepared(sql)); }

    std::int64_t count(const std::string& table) {
        return query("SELECT count(*) FROM " + table)[0].get<std::int64_t>(0);
    }

    boost::asio::io_context io_;
    std::unique_ptr<pg::pool> db_;
    boost::asio::io_context slack_io_;
    chal::testing::fake_slack slack_{slack_io_.get_executor()};
    std::string tenant_;
};

TEST_F(cli_slack, create_app_then_manifest_carries_tenant_and_instance) {
    ASSERT_FALSE(create_app("acme1").empty());
    const std::string events = std::string(public_base) + "/slack/" + tenant_ + "/acme1/events";

    auto r = cli({"slack", "manifest", "--tenant", tenant_, "--instance", "acme1"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    const auto manifest = boost::json::parse(r.out).as_object();
    EXPECT_EQ(text_of(manifest.at("settings").at("event_subscriptions").at("request_url")), events);
    EXPECT_EQ(text_of(manifest.at("settings").at("interactivity").at("request_url")), events);
    EXPECT_EQ(text_of(manifest.at("features").at("slash_commands").at(0).at("url")), events);
    EXPECT_EQ(text_of(manifest.at("oauth_config").at("redirect_urls").at(0)), std::string(public_base) + "/slack/oauth_redirect");
    EXPECT_EQ(manifest.at("settings").at("token_rotation_enabled"), false);
    EXPECT_EQ(manifest.at("settings").at("org_deploy_enabled"), false);

    auto flags = cli({"slack", "manifest", "--tenant", tenant_, "--instance", "acme1", "--token-rotation", "--org-deploy"});
    ASSERT_EQ(flags.exit_code, 0) << describe(flags);
    const auto flagged = boost::json::parse(flags.out).as_object();
    EXPECT_EQ(flagged.at("settings").at("token_rotation_enabled"), true);
    EXPECT_EQ(flagged.at("settings").at("org_deploy_enabled"), true);

    auto yaml = cli({"slack", "manifest", "--tenant", tenant_, "--instance", "acme1", "--yaml"});
    ASSERT_EQ(yaml.exit_code, 0) << describe(yaml);
    EXPECT_NE(yaml.out.front(), '{') << yaml.out;
    EXPECT_TRUE(contains(yaml.out, "request_url: ")) << yaml.out;
    EXPECT_TRUE(contains(yaml.out, events)) << yaml.out;
    EXPECT_TRUE(contains(yaml.out, "slash_commands:")) << yaml.out;

    // Without --instance the id is 8 lowercase base32 characters.
    auto generated = cli({"slack", "create-app", "--tenant", tenant_, "--name", "Second", "--json"});
    ASSERT_EQ(generated.exit_code, 0) << describe(generated);
    const std::string instance(boost::json::parse(generated.out).at("instance_id").as_string());
    EXPECT_EQ(instance.size(), 8u) << instance;
    EXPECT_EQ(instance.find_first_not_of("abcdefghijklmnopqrstuvwxyz234567"), std::string::npos) << instance;

    // Instance ids are unique across tenants: the second use is refused.
    auto again = cli({"slack", "create-app", "--tenant", tenant_, "--name", "Dup", "--instance", "acme1"});
    EXPECT_EQ(again.exit_code, 1) << describe(again);
    EXPECT_EQ(count("slack_apps"), 2);
}

TEST_F(cli_slack, unknown_tenant_or_app_exits_1_and_bad_usage_exits_2) {
    ASSERT_FALSE(create_app("acme1").empty());
    const std::string other_tenant = crypto::new_uuid_v7(std::chrono::system_clock::now());
    temp_file secret(std::string(signing_secret) + "\n");

    for (const auto& args : std::vector<std::vector<std::string>>{
             {"slack", "manifest", "--tenant", tenant_, "--instance", "nope"},
             {"slack", "manifest", "--tenant", other_tenant, "--instance", "acme1"},
             {"slack", "manifest", "--tenant", "not-a-uuid", "--instance", "acme1"},
             {"slack", "create-app", "--tenant", other_tenant, "--name", "X"},
             {"slack", "list", "--tenant", other_tenant},
             {"slack", "set-credentials", "--tenant", tenant_, "--instance", "nope", "--signing-secret-file", secret.path()},
             {"slack", "set-credentials", "--tenant", other_tenant, "--instance", "acme1", "--signing-secret-file",
              secret.path()},
         }) {
        auto r = cli(args);
        EXPECT_EQ(r.exit_code, 1) << args[1] << " " << args[3] << "\n" << describe(r);
    }
    temp_file empty("\n");
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"slack", "manifest", "--tenant", tenant_},
             {"slack", "manifest", "--tenant", tenant_, "--instance", "acme1", "--colour", "red"},
             {"slack", "create-app", "--tenant", tenant_},
             {"slack", "create-app", "--tenant", tenant_, "--name", "X", "--instance", "has/slash"},
             {"slack", "set-credentials", "--tenant", tenant_, "--instance", "acme1"},
             {"slack", "set-credentials", "--tenant", tenant_, "--instance", "acme1", "--signing-secret-file", empty.path()},
             {"slack", "set-credentials", "--tenant", tenant_, "--instance", "acme1", "--signing-secret-file", secret.path(),
              "--client-id", "1.2"},
         }) {
        auto r = cli(args);
        EXPECT_EQ(r.exit_code, 2) << describe(r);
    }
    EXPECT_EQ(slack_.count("auth.test"), 0u);
    EXPECT_EQ(count("slack_installations"), 0);
}

TEST_F(cli_slack, set_credentials_seals_secrets_checks_the_token_and_stores_the_installation) {
    const auto integration = create_app("acme1");
    ASSERT_FALSE(integration.empty());
    temp_file signing(std::string(signing_secret) + "\n");
    temp_file token(std::string(bot_token) + "\n");
    temp_file client(std::string(client_secret) + "\r\n");

    auto r = cli({"slack", "set-credentials", "--tenant", tenant_, "--instance", "acme1", "--signing-secret-file",
                  signing.path(), "--bot-token-file", token.path(), "--client-id", "1111.2222", "--client-secret-file",
                  client.path(), "--security-channel", "C0SEC", "--json"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    for (const char* secret : {signing_secret, client_secret, bot_token}) {
        EXPECT_FALSE(contains(r.out, secret)) << r.out;
        EXPECT_FALSE(contains(r.err, secret)) << r.err;
    }
    const auto out = boost::json::parse(r.out).as_object();
    EXPECT_EQ(out.at("installation").at("team_id"), "T0ACME");
    EXPECT_EQ(out.at("installation").at("bot_user_id"), "U0CHALBOT");

    // auth.test was asked, once, with the bot token.
    const auto calls = slack_.calls("auth.test");
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].token, bot_token);

    const crypto::secret_box box(*crypto::base64_decode(e2e::test_master_key_base64));
    auto apps = query("SELECT signing_secret_sealed, client_secret_sealed, client_id, app_id, security_channel_id "
                      "FROM slack_apps WHERE integration_id = '" + integration + "'");
    ASSERT_EQ(apps.size(), 1u);
    const auto sealed_signing = apps[0].get_optional_bytea(0);
    const auto sealed_client = apps[0].get_optional_bytea(1);
    ASSERT_TRUE(sealed_signing && sealed_client);
    EXPECT_FALSE(contains(*sealed_signing, signing_secret)) << "the signing secret is stored in plaintext";
    EXPECT_FALSE(contains(*sealed_client, client_secret)) << "the client secret is stored in plaintext";
    EXPECT_EQ(box.open(*sealed_signing, "slack_app:" + integration + ":signing_secret"), signing_secret);
    EXPECT_EQ(box.open(*sealed_client, "slack_app:" + integration + ":client_secret"), client_secret);
    EXPECT_FALSE(box.open(*sealed_signing, "slack_app:" + integration + ":client_secret"));
    EXPECT_EQ(apps[0].get<std::string>(2), "1111.2222");
    EXPECT_EQ(apps[0].get<std::string>(3), "A0ACME");  // learned from auth.test
    EXPECT_EQ(apps[0].get<std::string>(4), "C0SEC");

    auto installs = query("SELECT id, team_id, enterprise_id, is_enterprise_install, bot_user_id, bot_id, bot_token_sealed, "
                          "tenant_id FROM slack_installations WHERE integration_id = '" + integration + "'");
    ASSERT_EQ(installs.size(), 1u);
    const auto installation = installs[0].get<std::string>(0);
    EXPECT_EQ(installs[0].get<std::string>(1), "T0ACME");
    EXPECT_FALSE(installs[0].get<std::optional<std::string>>(2));
    EXPECT_FALSE(installs[0].get<bool>(3));
    EXPECT_EQ(installs[0].get<std::string>(4), "U0CHALBOT");
    EXPECT_EQ(installs[0].get<std::string>(5), "B0CHALBOT");
    EXPECT_EQ(installs[0].get<std::string>(7), tenant_);
    const auto sealed_token = installs[0].get_bytea(6);
    EXPECT_FALSE(contains(sealed_token, bot_token)) << "the bot token is stored in plaintext";
    EXPECT_EQ(box.open(sealed_token, "slack_installation:" + installation + ":bot_token"), bot_token);

    // list shows whether secrets are set and where the app is installed, never a secret.
    for (const bool json : {true, false}) {
        std::vector<std::string> args{"slack", "list", "--tenant", tenant_};
        if (json) args.push_back("--json");
        auto listed = cli(args);
        ASSERT_EQ(listed.exit_code, 0) << describe(listed);
        for (const char* secret : {signing_secret, client_secret, bot_token}) {
            EXPECT_FALSE(contains(listed.out, secret)) << listed.out;
            EXPECT_FALSE(contains(listed.err, secret)) << listed.err;
        }
        if (json) {
            const auto list = boost::json::parse(listed.out).as_object();
            const auto& app = list.at("slack_apps").at(0);
            EXPECT_EQ(app.at("instance_id"), "acme1");
            EXPECT_EQ(app.at("signing_secret_set"), true);
            EXPECT_EQ(app.at("client_secret_set"), true);
            EXPECT_EQ(app.at("installations").at(0).at("team_id"), "T0ACME");
            EXPECT_EQ(app.at("installations").at(0).at("bot_user_id"), "U0CHALBOT");
            // The operator's own bot token is their permission: its workspace is on the allowlist.
            EXPECT_EQ(app.at("allowed").at(0).at("slack_id"), "T0ACME");
            EXPECT_EQ(app.at("allowed").at(0).at("added_by"), "set-credentials");
        } else {
            EXPECT_TRUE(contains(listed.out, "acme1")) << listed.out;
            EXPECT_TRUE(contains(listed.out, "T0ACME")) << listed.out;
            EXPECT_TRUE(contains(listed.out, "U0CHALBOT")) << listed.out;
        }
    }
}

TEST_F(cli_slack, an_invalid_bot_token_exits_1_and_stores_nothing) {
    const auto integration = create_app("acme1");
    ASSERT_FALSE(integration.empty());
    temp_file signing(std::string(signing_secret) + "\n");
    temp_file token("xoxb-revoked-or-mistyped\n");

    auto r = cli({"slack", "set-credentials", "--tenant", tenant_, "--instance", "acme1", "--signing-secret-file",
                  signing.path(), "--bot-token-file", token.path()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_TRUE(contains(r.err, "invalid_auth")) << r.err;
    EXPECT_FALSE(contains(r.err, "xoxb-revoked-or-mistyped")) << r.err;
    EXPECT_FALSE(contains(r.out + r.err, signing_secret));
    EXPECT_EQ(slack_.count("auth.test"), 1u);

    EXPECT_EQ(count("slack_installations"), 0);
    auto apps = query("SELECT signing_secret_sealed IS NULL, app_id IS NULL FROM slack_apps WHERE integration_id = '" +
                      integration + "'");
    ASSERT_EQ(apps.size(), 1u);
    EXPECT_TRUE(apps[0].get<bool>(0)) << "the signing secret was stored although the command failed";
    EXPECT_TRUE(apps[0].get<bool>(1));

    auto listed = cli({"slack", "list", "--tenant", tenant_, "--json"});
    ASSERT_EQ(listed.exit_code, 0) << describe(listed);
    const auto app = boost::json::parse(listed.out).at("slack_apps").at(0);
    EXPECT_EQ(app.at("signing_secret_set"), false);
    EXPECT_TRUE(app.at("installations").as_array().empty());
}

TEST_F(cli_slack, the_allowlist_is_set_listed_and_emptied_and_removing_deactivates_what_it_admitted) {
    const auto integration = create_app("acme1");
    ASSERT_FALSE(integration.empty());
    const std::vector<std::string> app{"--tenant", tenant_, "--instance", "acme1"};
    auto with = [&](std::vector<std::string> args) {
        args.insert(args.begin() + 2, app.begin(), app.end());
        return cli(args);
    };

    auto empty = with({"slack", "allowed-workspaces"});
    ASSERT_EQ(empty.exit_code, 0) << describe(empty);
    EXPECT_TRUE(contains(empty.out, "no workspace may install")) << empty.out;

    auto allowed = with({"slack", "allow-workspace", "--team", "T0ACME", "--json"});
    ASSERT_EQ(allowed.exit_code, 0) << describe(allowed);
    EXPECT_EQ(boost::json::parse(allowed.out).at("added"), true);
    auto again = with({"slack", "allow-workspace", "--team", "T0ACME"});
    ASSERT_EQ(again.exit_code, 0) << describe(again);
    EXPECT_TRUE(contains(again.out, "already allowed")) << again.out;
    ASSERT_EQ(with({"slack", "allow-workspace", "--enterprise", "E0GRID"}).exit_code, 0);

    auto listed = with({"slack", "allowed-workspaces", "--json"});
    ASSERT_EQ(listed.exit_code, 0) << describe(listed);
    std::map<std::string, std::string> by_entry;  // "kind id" -> added_by
    const auto listing = boost::json::parse(listed.out);
    for (const auto& e : listing.at("allowed").as_array())
        by_entry[text_of(e.at("kind")) + " " + text_of(e.at("slack_id"))] = text_of(e.at("added_by"));
    EXPECT_EQ(by_entry, (std::map<std::string, std::string>{{"org E0GRID", "operator"}, {"workspace T0ACME", "operator"}}));

    // A live installation of T0ACME (an operator's bot token), then T0ACME is removed.
    temp_file signing(std::string(signing_secret) + "\n");
    temp_file token(std::string(bot_token) + "\n");
    ASSERT_EQ(with({"slack", "set-credentials", "--signing-secret-file", signing.path(), "--bot-token-file", token.path()})
                  .exit_code, 0);
    auto removed = with({"slack", "remove-workspace", "--team", "T0ACME", "--json"});
    ASSERT_EQ(removed.exit_code, 0) << describe(removed);
    EXPECT_EQ(boost::json::parse(removed.out).at("deactivated_installations"), 1);
    EXPECT_EQ(query("SELECT count(*) FROM slack_installations WHERE deactivated_at IS NULL")[0].get<std::int64_t>(0), 0);
    EXPECT_EQ(with({"slack", "remove-workspace", "--team", "T0ACME"}).exit_code, 1) << "no longer on the list";

    for (const auto& bad : std::vector<std::vector<std::string>>{
             {"slack", "allow-workspace"},
             {"slack", "allow-workspace", "--team", "T0ACME", "--enterprise", "E0GRID"},
             {"slack", "allow-workspace", "--team", "E0GRID"},
             {"slack", "allow-workspace", "--team", "t0acme"},
             {"slack", "allow-workspace", "--enterprise", "T0ACME"},
             {"slack", "remove-workspace", "--team", "T0 ACME"},
         }) {
        auto r = with(bad);
        EXPECT_EQ(r.exit_code, 2) << describe(r);
    }
    auto unknown = cli({"slack", "allow-workspace", "--tenant", tenant_, "--instance", "nope", "--team", "T0ACME"});
    EXPECT_EQ(unknown.exit_code, 1) << describe(unknown);
    EXPECT_EQ(query("SELECT count(*) FROM slack_install_allowlist")[0].get<std::int64_t>(0), 1) << "only E0GRID is left";
}
