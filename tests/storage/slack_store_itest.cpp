// storage::slack_store against a real PostgreSQL: Slack apps and their installations (workspace
// and org-wide, reinstall, uninstall), Events API dedupe, OAuth states and challenge messages.
#include "storage/slack_store.hpp"
#include "tests/storage/storage_fixture.hpp"

#include <gtest/gtest.h>

namespace chal::storage {
namespace {

using namespace std::chrono_literals;

class slack_store_itest : public storage_test {
protected:
    slack_store slack{pool};

    slack_app_record app_for(const seeded_tenant& t, std::string instance) {
        slack_app_record a;
        a.integration_id = next_id();
        a.tenant_id = t.tenant.id;
        a.display_name = "Slack " + instance;
        a.instance_id = std::move(instance);
        a.signing_secret_sealed = std::string("\x00sealed-signing\xff", 16);
        return a;
    }

    slack_installation_record workspace(const slack_app_record& a, std::string team, std::string token) {
        slack_installation_record i;
        i.id = next_id();
        i.integration_id = a.integration_id;
        i.tenant_id = a.tenant_id;
        i.team_id = std::move(team);
        i.bot_user_id = "U0BOT";
        i.scopes = "commands,chat:write";
        i.bot_token_sealed = std::move(token);
        i.installed_at = t0;
        return i;
    }
};

TEST_F(slack_store_itest, an_app_is_found_by_tenant_and_instance_and_listed_oldest_first) {
    const auto t = make_tenant();
    const auto first = app_for(t, "prod");
    const auto second = app_for(t, "staging");
    run(slack.create_app(first));
    run(slack.create_app(second));
    const auto found = run(slack.find_app(t.tenant.id, "prod"));
    ASSERT_TRUE(found);
    EXPECT_EQ(found->integration_id, first.integration_id);
    EXPECT_EQ(found->signing_secret_sealed, first.signing_secret_sealed);
    EXPECT_FALSE(run(slack.find_app(make_tenant().tenant.id, "prod"))) << "another tenant's instance is not found";
    const auto apps = run(slack.apps_of_tenant(t.tenant.id));
    ASSERT_EQ(apps.size(), 2u);
    EXPECT_EQ(apps[0].instance_id, "prod");
}

TEST_F(slack_store_itest, a_reinstall_replaces_the_live_installation_and_uninstall_deactivates_it) {
    const auto t = make_tenant();
    const auto a = app_for(t, "prod");
    run(slack.create_app(a));
    run(slack.install(workspace(a, "T1", "old-token"), t0));
    run(slack.install(workspace(a, "T1", "new-token"), t0 + 1min));
    run(slack.install(workspace(a, "T2", "other-team"), t0 + 1min));
    const auto live = run(slack.find_installation(a.integration_id, std::nullopt, std::string("T1"), false));
    ASSERT_TRUE(live);
    EXPECT_EQ(live->bot_token_sealed, "new-token");
    EXPECT_EQ(run(slack.deactivate(a.integration_id, std::nullopt, std::string("T1"), t0 + 2min)), 1);
    EXPECT_FALSE(run(slack.find_installation(a.integration_id, std::nullopt, std::string("T1"), false)));
    EXPECT_TRUE(run(slack.find_installation(a.integration_id, std::nullopt, std::string("T2"), false)));
}

TEST_F(slack_store_itest, an_org_wide_install_is_keyed_by_enterprise_only) {
    const auto t = make_tenant();
    const auto a = app_for(t, "grid");
    run(slack.create_app(a));
    auto org = workspace(a, "", "org-token");
    org.team_id.reset();
    org.enterprise_id = "E1";
    org.is_enterprise_install = true;
    run(slack.install(org, t0));
    const auto found = run(slack.find_installation(a.integration_id, std::string("E1"), std::string("T-any"), true));
    ASSERT_TRUE(found);
    EXPECT_EQ(found->bot_token_sealed, "org-token");
    EXPECT_FALSE(run(slack.find_installation(a.integration_id, std::string("E1"), std::string("T-any"), false)));
    EXPECT_EQ(run(slack.deactivate(a.integration_id, std::string("E1"), std::nullopt, t0 + 1min)), 1);
}

TEST_F(slack_store_itest, an_org_install_without_an_enterprise_is_refused) {
    const auto t = make_tenant();
    const auto a = app_for(t, "grid");
    run(slack.create_app(a));
    auto bad = workspace(a, "", "token");
    bad.team_id.reset();
    EXPECT_THROW(run(slack.install(bad, t0)), pg::error);
}

TEST_F(slack_store_itest, an_event_id_is_handled_once_per_app) {
    const auto t = make_tenant();
    const auto a = app_for(t, "prod");
    const auto b = app_for(t, "other");
    run(slack.create_app(a));
    run(slack.create_app(b));
    EXPECT_TRUE(run(slack.first_delivery(a.integration_id, "Ev1", t0)));
    EXPECT_FALSE(run(slack.first_delivery(a.integration_id, "Ev1", t0 + 1min))) << "a retry";
    EXPECT_TRUE(run(slack.first_delivery(b.integration_id, "Ev1", t0)));
    EXPECT_EQ(run(slack.prune(t0 + 1h)), 2);
    EXPECT_TRUE(run(slack.first_delivery(a.integration_id, "Ev1", t0 + 2h)));
}

TEST_F(slack_store_itest, an_oauth_state_is_used_once) {
    const auto t = make_tenant();
    const auto a = app_for(t, "prod");
    run(slack.create_app(a));
    const std::string state(32, 's');
    const std::string browser(32, 'b');
    EXPECT_TRUE(run(slack.use_oauth_state(state, a.integration_id, browser, t0 + 10min, t0 + 1min)));
    EXPECT_FALSE(run(slack.use_oauth_state(state, a.integration_id, browser, t0 + 10min, t0 + 2min)));
    EXPECT_TRUE(run(slack.use_oauth_state(std::string(32, 'e'), a.integration_id, browser, t0 + 10min, t0 + 2min)));
    // Kept until the state expires, then pruned: by then the state itself is refused as expired.
    EXPECT_EQ(run(slack.prune(t0 + 10min)), 0);
    EXPECT_EQ(run(slack.prune(t0 + 10min + 1s)), 2);
}

TEST_F(slack_store_itest, a_challenges_messages_are_kept_per_role_for_updates_in_place) {
    const auto t = make_tenant();
    const auto a = app_for(t, "prod");
    run(slack.create_app(a));
    const auto inst = workspace(a, "T1", "token");
    run(slack.install(inst, t0));
    const auto c = insert(sample_challenge(t));
    run(slack.save_message({c.id, "target", inst.id, "D1", "1700000000.000100", std::nullopt}));
    run(slack.save_message({c.id, "requester", inst.id, "C1", "1700000000.000200", std::string("1700000000.000050")}));
    run(slack.save_message({c.id, "target", inst.id, "D1", "1700000000.000300", std::nullopt}));  // re-posted
    const auto messages = run(slack.messages_of(c.id));
    ASSERT_EQ(messages.size(), 2u);
    EXPECT_EQ(messages[0].role, "requester");
    EXPECT_EQ(messages[0].thread_ts, "1700000000.000050");
    EXPECT_EQ(messages[1].ts, "1700000000.000300");
}

TEST_F(slack_store_itest, credentials_and_the_installation_are_saved_together_or_not_at_all) {
    const auto t = make_tenant();
    auto a = app_for(t, "prod");
    run(slack.create_app(a));
    a.app_id = "A123";
    a.client_id = "1234.5678";
    EXPECT_TRUE(run(slack.save_app_credentials(a, workspace(a, "T1", "token"), t0)));
    const auto live = run(slack.installations_of_app(a.integration_id));
    ASSERT_EQ(live.size(), 1u);
    EXPECT_EQ(live[0].team_id, "T1");
    EXPECT_EQ(run(slack.find_app(t.tenant.id, "prod"))->app_id, "A123");

    // An operator's bot token is its own permission: its workspace goes on the allowlist.
    const auto allowed = run(slack.allowlist(a.integration_id));
    ASSERT_EQ(allowed.size(), 1u);
    EXPECT_EQ(allowed[0].entry, (core::slack_allowlist_entry{core::slack_owner_kind::workspace, "T1"}));
    EXPECT_EQ(allowed[0].added_by, "set-credentials");

    // An app that does not exist: nothing is written, not even the installation.
    auto ghost = app_for(t, "ghost");
    EXPECT_FALSE(run(slack.save_app_credentials(ghost, workspace(ghost, "T9", "token"), t0)));
    EXPECT_TRUE(run(slack.installations_of_app(ghost.integration_id)).empty());
}

// --- the install allowlist -------------------------------------------------------------------

TEST_F(slack_store_itest, an_install_anyone_can_start_is_stored_only_for_an_allowed_workspace) {
    const auto t = make_tenant();
    const auto a = app_for(t, "prod");
    run(slack.create_app(a));
    EXPECT_FALSE(run(slack.install_if_allowed(workspace(a, "T1", "token"), t0, std::nullopt)));
    EXPECT_TRUE(run(slack.installations_of_app(a.integration_id)).empty());

    EXPECT_TRUE(run(slack.allow(a.integration_id, {core::slack_owner_kind::workspace, "T1"}, "operator", t0)));
    EXPECT_FALSE(run(slack.allow(a.integration_id, {core::slack_owner_kind::workspace, "T1"}, "someone", t0 + 1s)));
    EXPECT_TRUE(run(slack.install_if_allowed(workspace(a, "T1", "token"), t0, std::nullopt)));
    EXPECT_EQ(run(slack.installations_of_app(a.integration_id)).size(), 1u);
    const auto list = run(slack.allowlist(a.integration_id));
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0].added_by, "operator") << "allowing twice changes nothing";
    EXPECT_EQ(list[0].added_at, t0);

    // Another app of the same tenant has a list of its own.
    const auto b = app_for(t, "staging");
    run(slack.create_app(b));
    EXPECT_FALSE(run(slack.install_if_allowed(workspace(b, "T1", "token"), t0, std::nullopt)));
}

TEST_F(slack_store_itest, an_install_admitted_by_an_admin_puts_its_workspace_on_the_list) {
    const auto t = make_tenant();
    const auto a = app_for(t, "prod");
    run(slack.create_app(a));
    EXPECT_TRUE(run(slack.install_if_allowed(workspace(a, "T1", "token"), t0, std::string("admin:alice"))));
    const auto list = run(slack.allowlist(a.integration_id));
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0].entry.slack_id, "T1");
    EXPECT_EQ(list[0].added_by, "admin:alice");
}

TEST_F(slack_store_itest, disallowing_deactivates_the_live_installations_nothing_admits_any_more) {
    const auto t = make_tenant();
    const auto a = app_for(t, "prod");
    run(slack.create_app(a));
    run(slack.allow(a.integration_id, {core::slack_owner_kind::workspace, "T1"}, "operator", t0));
    run(slack.allow(a.integration_id, {core::slack_owner_kind::workspace, "T2"}, "operator", t0));
    run(slack.allow(a.integration_id, {core::slack_owner_kind::org, "E1"}, "operator", t0));
    auto in_grid = workspace(a, "T2", "token");
    in_grid.enterprise_id = "E1";
    ASSERT_TRUE(run(slack.install_if_allowed(workspace(a, "T1", "token"), t0, std::nullopt)));
    ASSERT_TRUE(run(slack.install_if_allowed(in_grid, t0, std::nullopt)));

    EXPECT_EQ(run(slack.disallow(a.integration_id, {core::slack_owner_kind::workspace, "T2"}, t0 + 1min)), 0)
        << "T2 is still admitted by its org";
    EXPECT_EQ(run(slack.disallow(a.integration_id, {core::slack_owner_kind::workspace, "T1"}, t0 + 1min)), 1);
    const auto live = run(slack.installations_of_app(a.integration_id));
    ASSERT_EQ(live.size(), 1u);
    EXPECT_EQ(live[0].team_id, "T2");
    EXPECT_FALSE(run(slack.disallow(a.integration_id, {core::slack_owner_kind::workspace, "T1"}, t0 + 2min)))
        << "no longer on the list";
    EXPECT_EQ(run(slack.disallow(a.integration_id, {core::slack_owner_kind::org, "E1"}, t0 + 2min)), 1);
    EXPECT_TRUE(run(slack.installations_of_app(a.integration_id)).empty());
    EXPECT_TRUE(run(slack.allowlist(a.integration_id)).empty());
}

}  // namespace
}  // namespace chal::storage
