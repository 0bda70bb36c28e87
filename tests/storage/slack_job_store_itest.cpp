// storage::slack_job_store against a real PostgreSQL: the card outbox's leases are fenced by a
// token (a worker that lost its lease writes nothing), and a claim gives each installation at
// most its room without letting a busy one hide the others' jobs.
#include "storage/slack_job_store.hpp"
#include "storage/slack_store.hpp"
#include "tests/storage/storage_fixture.hpp"

#include <gtest/gtest.h>

namespace chal::storage {
namespace {

using namespace std::chrono_literals;

class slack_job_store_itest : public storage_test {
protected:
    slack_store slack{pool};
    slack_job_store jobs{pool};
    seeded_tenant tenant = make_tenant();
    std::string app_id = next_id();

    slack_job_store_itest() {
        slack_app_record a;
        a.integration_id = app_id;
        a.tenant_id = tenant.tenant.id;
        a.display_name = "Slack";
        a.instance_id = "prod-" + app_id;
        run(slack.create_app(a));
    }

    // A live installation of the app in workspace `team`; returns its id.
    std::string installation(const std::string& team) {
        slack_installation_record i;
        i.id = next_id();
        i.integration_id = app_id;
        i.tenant_id = tenant.tenant.id;
        i.team_id = team;
        i.bot_user_id = "U0BOT";
        i.bot_token_sealed = "sealed";
        i.installed_at = t0;
        run(slack.install(i, t0));
        return i.id;
    }

    // A Slack challenge whose card goes through `installation_id`, queued (its deliver job) at `at`.
    std::string slack_challenge(const std::string& installation_id, core::timestamp at) {
        auto c = sample_challenge(tenant, at);
        c.origin = core::challenge_origin::slack_api;
        run(challenges.insert_for_slack(c, "slack:UREQ", slack_delivery{installation_id, std::string("UREQ"), "UTGT", {}}));
        return c.id;
    }

    std::vector<slack_job> claim(core::timestamp now, int limit, slack_claim_fairness fairness = {}) {
        return run(jobs.claim_due(now, limit, now + 1min, std::move(fairness)));
    }

    std::string state_of(std::int64_t job_id) {
        auto rows = run(pool.execute_unprepared("SELECT state FROM slack_jobs WHERE id = " + std::to_string(job_id)));
        return rows[0].get<std::string>(0);
    }
};

TEST_F(slack_job_store_itest, a_worker_whose_lease_was_taken_again_cannot_finish_retry_or_give_up) {
    slack_challenge(installation("T1"), t0);
    const auto stale = claim(t0, 10);
    ASSERT_EQ(stale.size(), 1u);
    // The lease (1 min) lapses and another worker claims the job.
    const auto current = claim(t0 + 2min, 10);
    ASSERT_EQ(current.size(), 1u);
    EXPECT_GT(current[0].lease_token, stale[0].lease_token);

    EXPECT_FALSE(run(jobs.finish(stale[0].id, stale[0].lease_token, t0 + 2min)));
    EXPECT_FALSE(run(jobs.give_up(stale[0].id, stale[0].lease_token, t0 + 2min, "stale")));
    EXPECT_FALSE(run(jobs.retry_at(stale[0].id, stale[0].lease_token, t0 + 1h, "stale")));
    EXPECT_EQ(state_of(stale[0].id), "pending");

    EXPECT_TRUE(run(jobs.finish(current[0].id, current[0].lease_token, t0 + 2min)));
    EXPECT_EQ(state_of(current[0].id), "done");
}

TEST_F(slack_job_store_itest, the_lease_holder_can_retry_and_then_give_up) {
    slack_challenge(installation("T1"), t0);
    const auto first = claim(t0, 10);
    ASSERT_EQ(first.size(), 1u);
    EXPECT_TRUE(run(jobs.retry_at(first[0].id, first[0].lease_token, t0 + 10s, "ratelimited")));
    const auto second = claim(t0 + 10s, 10);
    ASSERT_EQ(second.size(), 1u);
    EXPECT_FALSE(run(jobs.give_up(second[0].id, first[0].lease_token, t0 + 10s, "old token")));
    EXPECT_TRUE(run(jobs.give_up(second[0].id, second[0].lease_token, t0 + 10s, "channel_not_found")));
    EXPECT_EQ(state_of(second[0].id), "dead");
}

TEST_F(slack_job_store_itest, an_installation_at_its_share_does_not_hide_another_workspaces_job) {
    const auto hanging = installation("T1");
    const auto healthy = installation("T2");
    for (int i = 0; i < 30; ++i) slack_challenge(hanging, t0 - 1min);
    const auto waiting = slack_challenge(healthy, t0);

    slack_claim_fairness fairness;
    fairness.max_per_installation = 4;
    fairness.installations_in_flight = {{hanging, 4}};
    const auto claimed = claim(t0, 2, fairness);

    ASSERT_EQ(claimed.size(), 1u);
    EXPECT_EQ(claimed[0].challenge.id, waiting);
}

TEST_F(slack_job_store_itest, one_claim_gives_an_installation_at_most_its_room) {
    const auto busy = installation("T1");
    const auto other = installation("T2");
    for (int i = 0; i < 30; ++i) slack_challenge(busy, t0 - 1min);
    for (int i = 0; i < 2; ++i) slack_challenge(other, t0);

    slack_claim_fairness fairness;
    fairness.max_per_installation = 4;
    fairness.installations_in_flight = {{busy, 1}};
    const auto claimed = claim(t0, 32, fairness);

    int from_busy = 0;
    for (const auto& j : claimed) from_busy += j.installation_id == busy ? 1 : 0;
    EXPECT_EQ(from_busy, 3);
    EXPECT_EQ(claimed.size(), 5u);
}

}  // namespace
}  // namespace chal::storage
