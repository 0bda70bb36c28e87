// storage::migrate against a real PostgreSQL. Migrating from nothing runs in a scratch schema
// of its own (search_path set through the connection's options), so it never disturbs the
// schema the other tests use; the append-only audit trail is checked in the migrated schema.
#include "tests/storage/storage_fixture.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace chal::storage {
namespace {

constexpr const char* scratch_schema = "chal_storage_migrations_itest";

constexpr pg::query count_applied_versions{
    "count_applied_versions", "SELECT version, count(*) FROM schema_migrations GROUP BY version ORDER BY version"};
constexpr pg::query count_scratch_tables{"count_scratch_tables", R"sql(
    SELECT count(*) FROM information_schema.tables WHERE table_schema = $1)sql"};
constexpr pg::query update_audit_events{"update_audit_events", "UPDATE audit_events SET actor = 'rewritten'"};
constexpr pg::query delete_audit_events{"delete_audit_events", "DELETE FROM audit_events"};

class migrations_itest : public storage_test {
protected:
    migrations_itest() {
        database.execute(std::string{"DROP SCHEMA IF EXISTS "} + scratch_schema + " CASCADE");
        database.execute(std::string{"CREATE SCHEMA "} + scratch_schema);
    }

    ~migrations_itest() override {
        database.execute(std::string{"DROP SCHEMA IF EXISTS "} + scratch_schema + " CASCADE");
    }

    // A pool whose sessions see only the scratch schema (plus pg_catalog).
    pg::pool_config scratch_settings() const {
        const std::string& url = database.url();
        const char separator = url.find('?') == std::string::npos ? '?' : '&';
        return pool_settings(url + separator + "options=-csearch_path%3D" + scratch_schema, 1);
    }

    // version -> how many times schema_migrations records it
    std::vector<std::pair<int, std::int64_t>> applied_versions(pg::pool& db) {
        std::vector<std::pair<int, std::int64_t>> out;
        for (const auto& r : run(db.execute(count_applied_versions)))
            out.emplace_back(r.get<int>(0), r.get<std::int64_t>(1));
        return out;
    }

    static std::vector<std::pair<int, std::int64_t>> every_version_once() {
        std::vector<std::pair<int, std::int64_t>> out;
        for (const auto& m : all_migrations()) out.emplace_back(m.version, 1);
        return out;
    }

    static std::vector<std::string> every_migration_name() {
        std::vector<std::string> out;
        for (const auto& m : all_migrations()) out.push_back(m.name);
        return out;
    }

    // SQLSTATE of the error `op` fails with; empty if it succeeds.
    std::string sqlstate_of(boost::asio::awaitable<pg::result> op) {
        try {
            run(std::move(op));
        } catch (const pg::error& e) {
            return e.sqlstate();
        }
        return {};
    }
};

TEST_F(migrations_itest, the_embedded_migrations_start_with_0001_init) {
    ASSERT_FALSE(all_migrations().empty());
    EXPECT_EQ(all_migrations().front().version, 1);
    EXPECT_EQ(all_migrations().front().name, "0001_init");
}

TEST_F(migrations_itest, migrating_twice_applies_everything_once_and_the_second_run_is_a_no_op) {
    pg::pool scratch{io.get_executor(), scratch_settings(), pg::log_function{}};

    EXPECT_EQ(run(migrate(scratch)), every_migration_name());
    const auto tables_after_first = run(scratch.execute(count_scratch_tables, pg::params{}.add(scratch_schema)));

    EXPECT_TRUE(run(migrate(scratch)).empty());
    EXPECT_EQ(applied_versions(scratch), every_version_once());
    const auto tables_after_second = run(scratch.execute(count_scratch_tables, pg::params{}.add(scratch_schema)));
    EXPECT_EQ(tables_after_second[0].get<std::int64_t>(0), tables_after_first[0].get<std::int64_t>(0));
    scratch.close();
}

TEST_F(migrations_itest, two_concurrent_migrations_both_succeed_and_apply_each_version_once) {
    pg::pool first{io.get_executor(), scratch_settings(), pg::log_function{}};
    pg::pool second{io.get_executor(), scratch_settings(), pg::log_function{}};
    std::vector<boost::asio::awaitable<std::vector<std::string>>> both;
    both.push_back(migrate(first));
    both.push_back(migrate(second));

    const auto applied = run_concurrently(std::move(both));

    // The advisory lock serialises them: one applies everything, the other finds it done.
    ASSERT_EQ(applied.size(), 2u);
    const std::set<std::vector<std::string>> outcomes{applied[0], applied[1]};
    const std::set<std::vector<std::string>> expected{every_migration_name(), std::vector<std::string>{}};
    EXPECT_EQ(outcomes, expected);
    EXPECT_EQ(applied_versions(first), every_version_once());
    first.close();
    second.close();
}

TEST_F(migrations_itest, audit_events_refuse_update) {
    const auto t = make_tenant();
    const auto c = insert(sample_challenge(t));

    EXPECT_EQ(sqlstate_of(pool.execute(update_audit_events)), "42501");  // insufficient_privilege
    const auto events = audit_events_for(c.id);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].actor, "api_key:" + t.integration.id);
}

TEST_F(migrations_itest, audit_events_refuse_delete) {
    const auto t = make_tenant();
    const auto c = insert(sample_challenge(t));

    EXPECT_EQ(sqlstate_of(pool.execute(delete_audit_events)), "42501");  // insufficient_privilege
    EXPECT_EQ(audit_events_for(c.id).size(), 1u);
}

// Upgrading must not cut running tenants off Slack: 0009 puts the workspace or org of every live
// installation on its app's allowlist, and nothing else.
TEST_F(migrations_itest, the_slack_allowlist_migration_allows_what_was_installed_before_it) {
    pg::pool scratch{io.get_executor(), scratch_settings(), pg::log_function{}};
    for (const auto& m : all_migrations())
        if (m.version < 9) run(scratch.execute_unprepared(m.sql));
    run(scratch.execute_unprepared(R"sql(
        INSERT INTO tenants (id, name) VALUES ('0190a8e5-0000-7000-8000-0000000000a1', 'Acme');
        INSERT INTO integrations (id, tenant_id, kind, display_name)
            VALUES ('0190a8e5-0000-7000-8000-0000000000b1', '0190a8e5-0000-7000-8000-0000000000a1', 'slack', 'Slack');
        INSERT INTO slack_apps (integration_id, tenant_id, instance_id)
            VALUES ('0190a8e5-0000-7000-8000-0000000000b1', '0190a8e5-0000-7000-8000-0000000000a1', 'prod');
        INSERT INTO slack_installations (id, integration_id, tenant_id, team_id, enterprise_id, is_enterprise_install,
                                         bot_user_id, bot_token_sealed, installed_at, deactivated_at)
        VALUES ('0190a8e5-0000-7000-8000-0000000000c1', '0190a8e5-0000-7000-8000-0000000000b1',
                '0190a8e5-0000-7000-8000-0000000000a1', 'T0LIVE', 'E0GRID', false, 'U0BOT', 'x', now(), NULL),
               ('0190a8e5-0000-7000-8000-0000000000c2', '0190a8e5-0000-7000-8000-0000000000b1',
                '0190a8e5-0000-7000-8000-0000000000a1', NULL, 'E0ORGWIDE', true, 'W0BOT', 'x', now(), NULL),
               ('0190a8e5-0000-7000-8000-0000000000c3', '0190a8e5-0000-7000-8000-0000000000b1',
                '0190a8e5-0000-7000-8000-0000000000a1', 'T0GONE', NULL, false, 'U0BOT', 'x', now(), now()))sql"));
    for (const auto& m : all_migrations())
        if (m.version == 9) run(scratch.execute_unprepared(m.sql));

    const auto rows = run(scratch.execute_unprepared(
        "SELECT kind || ':' || slack_id || ':' || added_by FROM slack_install_allowlist ORDER BY kind, slack_id"
    ));
    std::vector<std::string> allowed;
    for (const auto& r : rows) allowed.push_back(r.get<std::string>(0));
    EXPECT_EQ(allowed, (std::vector<std::string>{"org:E0ORGWIDE:migration 0009", "workspace:T0LIVE:migration 0009"}));
    scratch.close();
}

}  // namespace
}  // namespace chal::storage
