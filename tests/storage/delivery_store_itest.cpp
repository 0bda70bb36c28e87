// storage::delivery_store against a real PostgreSQL: the callback outbox's leases, attempt
// records fenced by the lease token, fair claims per tenant and endpoint, the two lanes and the
// shared breaker, rescue of lapsed leases, redelivery and queue stats.
// Deliveries are queued the way the service queues them: by ending a challenge.
#include "tests/storage/storage_fixture.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace chal::storage {
namespace {

using namespace std::chrono_literals;
using core::delivery_verdict;

class delivery_store_itest : public storage_test {
protected:
    delivery_store_itest() : tenant(make_tenant(std::string{"https://receiver.example/hooks"})) {}

    // Ends a fresh challenge at `due`, which queues its callback due at `due`; returns the row.
    delivery_row queued_delivery(core::timestamp due) {
        const auto c = insert(sample_challenge(tenant, due - 1min));
        cancel(c, due);
        return deliveries_for(c.id).at(0);
    }

    std::vector<claimed_delivery> claim(core::timestamp now, int limit, const std::string& worker) {
        return run(deliveries.claim_due(now, limit, worker, now + 1min));
    }

    // What a worker reports for `d` after an attempt that started at `started`.
    static attempt_record attempt_for(
        const claimed_delivery& d, core::timestamp started, std::optional<int> status, core::delivery_decision decision
    ) {
        attempt_record a;
        a.delivery_id = d.id;
        a.lease_token = d.lease_token;
        a.endpoint = d.endpoint;
        a.attempt_no = d.attempt_no;
        a.trigger = d.trigger;
        a.started_at = started;
        a.duration_ms = 120;
        a.status_code = status;
        if (!status) a.error_class = "timeout";
        a.peer_address = "203.0.113.7:443";
        a.response_snippet = status ? std::optional<std::string>{"ok"} : std::nullopt;
        a.decision = decision;
        return a;
    }

    // The claimed entry for `delivery_id` (claim_due promises which rows, not their order).
    static const claimed_delivery& claimed_entry(const std::vector<claimed_delivery>& claimed, const std::string& delivery_id) {
        for (const auto& d : claimed)
            if (d.id == delivery_id) return d;
        throw std::runtime_error("delivery " + delivery_id + " was not claimed");
    }

    static std::set<std::string> claimed_ids(const std::vector<claimed_delivery>& claimed) {
        std::set<std::string> out;
        for (const auto& d : claimed) out.insert(d.id);
        return out;
    }

    recorded_batch record(std::vector<attempt_record> attempts, const std::string& /*worker*/, core::timestamp now) {
        return run(deliveries.record_attempts(std::move(attempts), now));
    }

    static boost::asio::awaitable<std::vector<std::string>> claim_until_empty(
        delivery_store& store, std::string worker, core::timestamp now, int batch
    ) {
        std::vector<std::string> ids;
        const core::timestamp lease_until = now + 5min;
        for (;;) {
            auto claimed = co_await store.claim_due(now, batch, worker, lease_until);
            if (claimed.empty()) break;
            for (const auto& d : claimed) ids.push_back(d.id);
        }
        co_return ids;
    }

    seeded_tenant tenant;
};

const core::delivery_decision delivered{delivery_verdict::delivered, std::nullopt};

// --- claim_due ------------------------------------------------------------------------------

TEST_F(delivery_store_itest, claim_due_returns_only_due_pending_deliveries) {
    const auto due = queued_delivery(t0);
    queued_delivery(t0 + 10min);  // not yet due
    const auto finished = queued_delivery(t0 - 1min);
    const auto first = claim(t0 - 1min, 10, "worker-a");
    ASSERT_EQ(first.size(), 1u);
    record({attempt_for(first[0], t0 - 1min, 200, delivered)}, "worker-a", t0 - 1min);
    ASSERT_EQ(delivery(finished.id)->state, "delivered");

    const auto claimed = claim(t0 + 1min, 10, "worker-a");

    ASSERT_EQ(claimed.size(), 1u);
    EXPECT_EQ(claimed[0].id, due.id);
}

TEST_F(delivery_store_itest, claim_due_counts_the_attempt_and_leases_the_delivery_to_the_worker) {
    const auto queued = queued_delivery(t0);

    const auto claimed = run(deliveries.claim_due(t0, 10, "worker-a", t0 + 30s));

    ASSERT_EQ(claimed.size(), 1u);
    EXPECT_EQ(claimed[0].attempt_no, 1);
    const auto row = delivery(queued.id);
    EXPECT_EQ(row->state, "in_flight");
    EXPECT_EQ(row->attempts, 1);
    EXPECT_EQ(row->leased_by, "worker-a");
    EXPECT_EQ(row->lease_until, t0 + 30s);
}

TEST_F(delivery_store_itest, a_claimed_delivery_carries_what_the_sender_needs) {
    const auto queued = queued_delivery(t0);

    const auto claimed = claim(t0, 10, "worker-a");

    ASSERT_EQ(claimed.size(), 1u);
    EXPECT_EQ(claimed[0].id, queued.id);
    EXPECT_EQ(claimed[0].event_id, queued.event_id);
    EXPECT_EQ(claimed[0].integration_id, tenant.integration.id);
    EXPECT_EQ(claimed[0].event_type, "challenge.completed");
    EXPECT_EQ(claimed[0].url, "https://receiver.example/hooks");
    EXPECT_EQ(claimed[0].body, queued.body);
    EXPECT_EQ(claimed[0].trigger, "scheduled");
    EXPECT_EQ(claimed[0].secret_sealed, tenant.integration.webhook_secret_sealed);
    EXPECT_EQ(claimed[0].created_at, t0);
}

TEST_F(delivery_store_itest, claim_due_takes_the_earliest_due_first_up_to_the_limit) {
    const auto later = queued_delivery(t0);
    const auto earliest = queued_delivery(t0 - 2min);
    const auto middle = queued_delivery(t0 - 1min);

    const auto claimed = claim(t0, 2, "worker-a");

    EXPECT_EQ(claimed_ids(claimed), (std::set<std::string>{earliest.id, middle.id}));
    EXPECT_EQ(delivery(later.id)->state, "pending");
}

TEST_F(delivery_store_itest, a_second_claim_does_not_return_leased_deliveries) {
    queued_delivery(t0);
    ASSERT_EQ(claim(t0, 10, "worker-a").size(), 1u);

    EXPECT_TRUE(claim(t0, 10, "worker-b").empty());
}

TEST_F(delivery_store_itest, two_workers_claiming_concurrently_never_get_the_same_delivery) {
    std::set<std::string> queued;
    for (int i = 0; i < 100; ++i) queued.insert(queued_delivery(t0 + std::chrono::seconds{i}).id);
    const auto now = t0 + 10min;
    std::vector<boost::asio::awaitable<std::vector<std::string>>> workers;
    workers.push_back(claim_until_empty(deliveries, "worker-a", now, 7));
    workers.push_back(claim_until_empty(deliveries, "worker-b", now, 7));

    const auto claimed = run_concurrently(std::move(workers));

    std::vector<std::string> all(claimed[0].begin(), claimed[0].end());
    all.insert(all.end(), claimed[1].begin(), claimed[1].end());
    const std::set<std::string> distinct(all.begin(), all.end());
    EXPECT_EQ(all.size(), distinct.size()) << "a delivery was claimed twice";
    EXPECT_EQ(distinct, queued);
    EXPECT_TRUE(claim(now, 100, "worker-c").empty());
}

// --- record_attempts ------------------------------------------------------------------------

TEST_F(delivery_store_itest, record_attempts_applies_each_verdict_of_a_mixed_batch) {
    const auto ok = queued_delivery(t0 - 4s);
    const auto busy = queued_delivery(t0 - 3s);
    const auto broken = queued_delivery(t0 - 2s);
    const auto unsubscribed = queued_delivery(t0 - 1s);
    const auto claimed = claim(t0, 10, "worker-a");
    ASSERT_EQ(claimed.size(), 4u);
    const core::delivery_decision retry_later{delivery_verdict::retry, t0 + 5min};
    const core::delivery_decision give_up{delivery_verdict::exhausted, std::nullopt};
    const core::delivery_decision gone{delivery_verdict::gone, std::nullopt};

    record(
        {attempt_for(claimed_entry(claimed, ok.id), t0, 200, delivered),
         attempt_for(claimed_entry(claimed, busy.id), t0, 503, retry_later),
         attempt_for(claimed_entry(claimed, broken.id), t0, std::nullopt, give_up),
         attempt_for(claimed_entry(claimed, unsubscribed.id), t0, 410, gone)},
        "worker-a", t0 + 1s
    );

    const auto ok_row = delivery(ok.id);
    EXPECT_EQ(ok_row->state, "delivered");
    EXPECT_EQ(ok_row->last_status, 200);
    EXPECT_EQ(ok_row->finished_at, t0 + 1s);
    EXPECT_FALSE(ok_row->leased_by);
    EXPECT_FALSE(ok_row->lease_until);
    const auto busy_row = delivery(busy.id);
    EXPECT_EQ(busy_row->state, "pending");
    EXPECT_EQ(busy_row->next_attempt_at, t0 + 5min);
    EXPECT_EQ(busy_row->last_status, 503);
    EXPECT_FALSE(busy_row->finished_at);
    EXPECT_FALSE(busy_row->leased_by);
    const auto broken_row = delivery(broken.id);
    EXPECT_EQ(broken_row->state, "exhausted");
    EXPECT_FALSE(broken_row->last_status);
    EXPECT_EQ(broken_row->last_error, "timeout");
    EXPECT_EQ(broken_row->finished_at, t0 + 1s);
    const auto gone_row = delivery(unsubscribed.id);
    EXPECT_EQ(gone_row->state, "gone");
    EXPECT_EQ(gone_row->last_status, 410);
    EXPECT_EQ(gone_row->finished_at, t0 + 1s);
}

TEST_F(delivery_store_itest, record_attempts_logs_one_attempt_row_per_result) {
    const auto first = queued_delivery(t0 - 2s);
    const auto second = queued_delivery(t0 - 1s);
    const auto claimed = claim(t0, 10, "worker-a");
    ASSERT_EQ(claimed.size(), 2u);
    const core::delivery_decision retry_later{delivery_verdict::retry, t0 + 5min};

    record(
        {attempt_for(claimed_entry(claimed, first.id), t0, 200, delivered),
         attempt_for(claimed_entry(claimed, second.id), t0, 500, retry_later)},
        "worker-a", t0
    );

    const auto first_attempts = run(deliveries.attempts(first.id));
    ASSERT_EQ(first_attempts.size(), 1u);
    EXPECT_EQ(first_attempts[0].attempt_no, 1);
    EXPECT_EQ(first_attempts[0].trigger, "scheduled");
    EXPECT_EQ(first_attempts[0].started_at, t0);
    EXPECT_EQ(first_attempts[0].duration_ms, 120);
    EXPECT_EQ(first_attempts[0].status_code, 200);
    EXPECT_FALSE(first_attempts[0].error_class);
    const auto second_attempts = run(deliveries.attempts(second.id));
    ASSERT_EQ(second_attempts.size(), 1u);
    EXPECT_EQ(second_attempts[0].status_code, 500);
}

TEST_F(delivery_store_itest, a_result_from_a_worker_that_lost_its_lease_writes_nothing) {
    const auto queued = queued_delivery(t0);
    const auto stale = run(deliveries.claim_due(t0, 10, "worker-a", t0 + 1min));
    ASSERT_EQ(stale.size(), 1u);
    ASSERT_EQ(run(deliveries.rescue_expired_leases(t0 + 2min)), 1);
    const auto current = run(deliveries.claim_due(t0 + 2min, 10, "worker-b", t0 + 3min));
    ASSERT_EQ(current.size(), 1u);
    EXPECT_GT(current[0].lease_token, stale[0].lease_token);

    const auto refused = record({attempt_for(stale[0], t0, 200, delivered)}, "worker-a", t0 + 2min);

    EXPECT_EQ(refused.applied, 0);
    const auto row = delivery(queued.id);
    EXPECT_EQ(row->state, "in_flight");
    EXPECT_EQ(row->leased_by, "worker-b");
    EXPECT_EQ(row->attempts, 2);
    EXPECT_FALSE(row->finished_at);
    EXPECT_TRUE(run(deliveries.attempts(queued.id)).empty());

    const auto accepted = record({attempt_for(current[0], t0 + 2min, 200, delivered)}, "worker-b", t0 + 2min);
    EXPECT_EQ(accepted.applied, 1);
    EXPECT_EQ(delivery(queued.id)->state, "delivered");
}

TEST_F(delivery_store_itest, a_stale_worker_of_the_same_name_is_refused_too) {
    // Fencing is by token, not by name: a restarted instance reusing its id cannot finish the
    // lease its predecessor lost.
    queued_delivery(t0);
    const auto stale = claim(t0, 10, "worker-a");
    ASSERT_EQ(run(deliveries.rescue_expired_leases(t0 + 2min)), 1);
    ASSERT_EQ(run(deliveries.claim_due(t0 + 2min, 10, "worker-a", t0 + 3min)).size(), 1u);

    EXPECT_EQ(record({attempt_for(stale[0], t0, 200, delivered)}, "worker-a", t0 + 2min).applied, 0);
}

// --- leases: rescue -------------------------------------------------------------

TEST_F(delivery_store_itest, rescue_expired_leases_returns_lapsed_leases_to_the_queue) {
    const auto queued = queued_delivery(t0);
    ASSERT_EQ(run(deliveries.claim_due(t0, 10, "worker-a", t0 + 1min)).size(), 1u);

    EXPECT_EQ(run(deliveries.rescue_expired_leases(t0 + 2min)), 1);

    const auto row = delivery(queued.id);
    EXPECT_EQ(row->state, "pending");
    EXPECT_FALSE(row->leased_by);
    EXPECT_FALSE(row->lease_until);
    EXPECT_EQ(row->next_attempt_at, t0 + 2min);
    EXPECT_EQ(row->attempts, 1);  // the attempt that died still counts
}

TEST_F(delivery_store_itest, rescue_expired_leases_leaves_live_leases_alone) {
    const auto queued = queued_delivery(t0);
    ASSERT_EQ(run(deliveries.claim_due(t0, 10, "worker-a", t0 + 1min)).size(), 1u);

    EXPECT_EQ(run(deliveries.rescue_expired_leases(t0 + 30s)), 0);

    const auto row = delivery(queued.id);
    EXPECT_EQ(row->state, "in_flight");
    EXPECT_EQ(row->leased_by, "worker-a");
}

TEST_F(delivery_store_itest, a_rescued_delivery_is_claimed_again_as_its_next_attempt) {
    queued_delivery(t0);
    ASSERT_EQ(run(deliveries.claim_due(t0, 10, "worker-a", t0 + 1min)).size(), 1u);
    ASSERT_EQ(run(deliveries.rescue_expired_leases(t0 + 2min)), 1);

    const auto again = claim(t0 + 2min, 10, "worker-b");

    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0].attempt_no, 2);
}

// --- redeliver ------------------------------------------------------------------------------

TEST_F(delivery_store_itest, redeliver_queues_a_finished_delivery_for_a_manual_attempt_with_the_same_event_id) {
    const auto queued = queued_delivery(t0);
    const auto first = claim(t0, 10, "worker-a");
    ASSERT_EQ(first.size(), 1u);
    record({attempt_for(first[0], t0, 200, delivered)}, "worker-a", t0);

    EXPECT_TRUE(run(deliveries.redeliver(queued.id, t0 + 1h)));

    const auto row = delivery(queued.id);
    EXPECT_EQ(row->state, "pending");
    EXPECT_EQ(row->next_trigger, "manual");
    EXPECT_EQ(row->next_attempt_at, t0 + 1h);
    EXPECT_FALSE(row->finished_at);
    EXPECT_EQ(row->event_id, queued.event_id);
    EXPECT_EQ(row->body, queued.body);
}

TEST_F(delivery_store_itest, a_redelivered_delivery_is_claimed_as_a_manual_attempt) {
    const auto queued = queued_delivery(t0);
    const auto first = claim(t0, 10, "worker-a");
    ASSERT_EQ(first.size(), 1u);
    record({attempt_for(first[0], t0, 200, delivered)}, "worker-a", t0);
    ASSERT_TRUE(run(deliveries.redeliver(queued.id, t0 + 1h)));

    const auto again = claim(t0 + 1h, 10, "worker-a");

    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0].trigger, "manual");
    EXPECT_EQ(again[0].attempt_no, 2);
    EXPECT_EQ(again[0].event_id, queued.event_id);
}

TEST_F(delivery_store_itest, redeliver_refuses_an_in_flight_delivery) {
    const auto queued = queued_delivery(t0);
    ASSERT_EQ(claim(t0, 10, "worker-a").size(), 1u);

    EXPECT_FALSE(run(deliveries.redeliver(queued.id, t0 + 1min)));

    const auto row = delivery(queued.id);
    EXPECT_EQ(row->state, "in_flight");
    EXPECT_EQ(row->next_trigger, "scheduled");
}

TEST_F(delivery_store_itest, redeliver_returns_false_for_an_unknown_delivery) {
    EXPECT_FALSE(run(deliveries.redeliver(next_id(), t0)));
}

// --- reading the queue ----------------------------------------------------------------------

TEST_F(delivery_store_itest, stats_count_pending_and_in_flight_deliveries_and_the_oldest_unfinished) {
    queued_delivery(t0);
    queued_delivery(t0 + 1min);
    queued_delivery(t0 + 2min);
    const auto done = claim(t0, 1, "worker-a");
    ASSERT_EQ(done.size(), 1u);
    record({attempt_for(done[0], t0, 200, delivered)}, "worker-a", t0);
    ASSERT_EQ(claim(t0 + 1min, 1, "worker-a").size(), 1u);

    const auto stats = run(deliveries.stats(t0));

    EXPECT_EQ(stats.pending, 1);
    EXPECT_EQ(stats.in_flight, 1);
    EXPECT_EQ(stats.oldest_unfinished_created_at, t0 + 1min);
}

TEST_F(delivery_store_itest, stats_of_an_empty_queue_have_no_oldest_delivery) {
    const auto stats = run(deliveries.stats(t0));

    EXPECT_EQ(stats.pending, 0);
    EXPECT_EQ(stats.in_flight, 0);
    EXPECT_FALSE(stats.oldest_unfinished_created_at);
}

TEST_F(delivery_store_itest, attempts_are_listed_in_the_order_they_were_made) {
    const auto queued = queued_delivery(t0);
    const auto first = claim(t0, 10, "worker-a");
    ASSERT_EQ(first.size(), 1u);
    const core::delivery_decision retry_later{delivery_verdict::retry, t0 + 5s};
    record({attempt_for(first[0], t0, std::nullopt, retry_later)}, "worker-a", t0 + 10s);
    const auto second = claim(t0 + 10s, 10, "worker-a");
    ASSERT_EQ(second.size(), 1u);
    record({attempt_for(second[0], t0 + 10s, 200, delivered)}, "worker-a", t0 + 11s);

    const auto listed = run(deliveries.attempts(queued.id));

    ASSERT_EQ(listed.size(), 2u);
    EXPECT_EQ(listed[0].attempt_no, 1);
    EXPECT_EQ(listed[0].started_at, t0);
    EXPECT_FALSE(listed[0].status_code);
    EXPECT_EQ(listed[0].error_class, "timeout");
    EXPECT_EQ(listed[1].attempt_no, 2);
    EXPECT_EQ(listed[1].started_at, t0 + 10s);
    EXPECT_EQ(listed[1].status_code, 200);
}

TEST_F(delivery_store_itest, list_filters_by_tenant_and_state_newest_first) {
    const auto older = queued_delivery(t0);
    const auto newer = queued_delivery(t0 + 1min);
    const auto other = make_tenant();
    const auto foreign = insert(sample_challenge(other, t0));
    cancel(foreign, t0 + 2min);
    const std::optional<std::string> scope = tenant.tenant.id;
    const std::optional<std::string> pending = std::string{"pending"};

    const auto listed = run(deliveries.list(scope, pending, 10));

    ASSERT_EQ(listed.size(), 2u);
    EXPECT_EQ(listed[0].id, newer.id);
    EXPECT_EQ(listed[1].id, older.id);
    EXPECT_EQ(listed[0].tenant_id, tenant.tenant.id);
    EXPECT_EQ(listed[0].state, "pending");
}

// --- fairness -----------------------------------------------------------------------------

class fair_claim_itest : public delivery_store_itest {
protected:
    // A delivery of `t` to `url`, due at `due`.
    delivery_row queued_for(const seeded_tenant& t, const std::string& url, core::timestamp due) {
        auto c = sample_challenge(t, due - 1min);
        c.callback_url = url;
        insert(c);
        cancel(c, due);
        return deliveries_for(c.id).at(0);
    }

    std::vector<claimed_delivery> claim_fair(core::timestamp now, int limit, claim_fairness fairness) {
        return run(deliveries.claim_due(now, limit, "worker-a", now + 1min, std::move(fairness)));
    }

    static int count_of(const std::vector<claimed_delivery>& claimed, const std::string& tenant_id) {
        int n = 0;
        for (const auto& d : claimed) n += d.tenant_id == tenant_id ? 1 : 0;
        return n;
    }
};

TEST_F(fair_claim_itest, the_endpoint_is_the_url_s_scheme_host_and_port_in_lower_case) {
    const auto a = queued_for(tenant, "https://Hooks.Example.COM/x?y=1", t0);
    const auto b = queued_for(tenant, "https://hooks.example.com:443/other", t0);
    const auto c = queued_for(tenant, "http://hooks.example.com:8080/", t0);
    const auto claimed = claim(t0, 10, "worker-a");
    ASSERT_EQ(claimed.size(), 3u);
    EXPECT_EQ(claimed_entry(claimed, a.id).endpoint, "https://hooks.example.com");
    EXPECT_EQ(claimed_entry(claimed, b.id).endpoint, "https://hooks.example.com");
    EXPECT_EQ(claimed_entry(claimed, c.id).endpoint, "http://hooks.example.com:8080");
}

TEST_F(fair_claim_itest, a_tenant_at_its_share_does_not_hide_another_tenants_later_delivery) {
    const auto noisy = make_tenant();
    const auto quiet = make_tenant();
    for (int i = 0; i < 40; ++i) queued_for(noisy, "https://stalled-" + std::to_string(i) + ".example/hook", t0 - 1min);
    const auto waiting = queued_for(quiet, "https://healthy.example/hook", t0);

    claim_fairness fairness;
    fairness.max_per_tenant = 8;
    fairness.tenants_in_flight = {{noisy.tenant.id, 8}};
    const auto claimed = claim_fair(t0, 4, fairness);

    ASSERT_EQ(claimed.size(), 1u) << "the noisy tenant has no room; its 40 older rows are skipped";
    EXPECT_EQ(claimed[0].id, waiting.id);
}

TEST_F(fair_claim_itest, one_claim_gives_a_tenant_at_most_its_room) {
    const auto noisy = make_tenant();
    const auto quiet = make_tenant();
    for (int i = 0; i < 40; ++i) queued_for(noisy, "https://n" + std::to_string(i) + ".example/hook", t0 - 1min);
    for (int i = 0; i < 3; ++i) queued_for(quiet, "https://q" + std::to_string(i) + ".example/hook", t0);

    claim_fairness fairness;
    fairness.max_per_tenant = 8;
    fairness.tenants_in_flight = {{noisy.tenant.id, 5}};
    const auto claimed = claim_fair(t0, 64, fairness);

    EXPECT_EQ(count_of(claimed, noisy.tenant.id), 3);
    EXPECT_EQ(count_of(claimed, quiet.tenant.id), 3);
}

TEST_F(fair_claim_itest, one_claim_gives_an_endpoint_at_most_its_room_and_skips_full_ones) {
    for (int i = 0; i < 10; ++i) queued_for(tenant, "https://busy.example/hook", t0 - 1min);
    for (int i = 0; i < 10; ++i) queued_for(tenant, "https://full.example/hook", t0 - 2min);
    const auto other = queued_for(tenant, "https://other.example/hook", t0);

    claim_fairness fairness;
    fairness.max_per_endpoint = 4;
    fairness.endpoints_in_flight = {{"https://busy.example", 1}, {"https://full.example", 4}};
    const auto claimed = claim_fair(t0, 64, fairness);

    ASSERT_EQ(claimed.size(), 4u);
    int busy = 0;
    for (const auto& d : claimed) busy += d.endpoint == "https://busy.example" ? 1 : 0;
    EXPECT_EQ(busy, 3);
    EXPECT_EQ(claimed_ids(claimed).count(other.id), 1u);
}

// --- the breaker and the slow lane -----------------------------------------------------------

class breaker_itest : public fair_claim_itest {
protected:
    // One attempt to `url` that ends as `signal` at `now`; returns what recording it did.
    recorded_batch attempt_ending(const std::string& url, core::endpoint_signal signal, core::timestamp now,
                                  core::breaker_policy breaker) {
        queued_for(tenant, url, now);
        claim_fairness lane;
        lane.slow_lane = is_slow(url, now);
        const auto claimed = claim_fair(now, 1, lane);
        if (claimed.size() != 1) throw std::runtime_error("nothing claimed for " + url);
        auto result = attempt_for(claimed[0], now, signal == core::endpoint_signal::healthy ? std::optional<int>{200} : std::nullopt,
                                  signal == core::endpoint_signal::healthy ? delivered
                                                                           : core::delivery_decision{delivery_verdict::retry, now + 1h});
        result.signal = signal;
        return run(deliveries.record_attempts({result}, now, breaker));
    }

    bool is_slow(const std::string& url, core::timestamp now) {
        for (const auto& e : run(deliveries.endpoints(std::nullopt, true, now, 100)))
            if (url.rfind(e.endpoint, 0) == 0) return true;
        return false;
    }

    const core::breaker_policy policy{.trip_after_timeouts = 2, .hold = 5min};
};

TEST_F(breaker_itest, an_endpoint_moves_to_the_slow_lane_after_its_timeouts_in_a_row) {
    const std::string url = "https://stalls.example/hook";
    EXPECT_EQ(attempt_ending(url, core::endpoint_signal::timeout, t0, policy).moved_to_slow_lane, 0);
    EXPECT_FALSE(is_slow(url, t0));
    EXPECT_EQ(attempt_ending(url, core::endpoint_signal::timeout, t0 + 1s, policy).moved_to_slow_lane, 1);
    EXPECT_TRUE(is_slow(url, t0 + 1s));
    EXPECT_EQ(run(deliveries.stats(t0 + 1s)).slow_endpoints, 1);

    // Its deliveries are now claimed by the slow lane only.
    const auto waiting = queued_for(tenant, url, t0 + 2s);
    EXPECT_TRUE(claim_fair(t0 + 2s, 10, claim_fairness{}).empty());
    claim_fairness slow;
    slow.slow_lane = true;
    const auto claimed = claim_fair(t0 + 2s, 10, slow);
    ASSERT_EQ(claimed.size(), 1u);
    EXPECT_EQ(claimed[0].id, waiting.id);
}

TEST_F(breaker_itest, a_success_in_the_slow_lane_moves_the_endpoint_back) {
    const std::string url = "https://recovers.example/hook";
    attempt_ending(url, core::endpoint_signal::timeout, t0, policy);
    attempt_ending(url, core::endpoint_signal::timeout, t0, policy);
    ASSERT_TRUE(is_slow(url, t0));

    EXPECT_EQ(attempt_ending(url, core::endpoint_signal::healthy, t0 + 1min, policy).moved_to_fast_lane, 1);

    EXPECT_FALSE(is_slow(url, t0 + 1min));
    const auto known = run(deliveries.endpoints(std::nullopt, false, t0 + 1min, 10));
    ASSERT_EQ(known.size(), 1u);
    EXPECT_EQ(known[0].consecutive_timeouts, 0);
    EXPECT_EQ(known[0].recovered_at, t0 + 1min);
}

TEST_F(breaker_itest, the_slow_lane_lets_go_once_the_hold_passes_without_a_timeout) {
    const std::string url = "https://quiet.example/hook";
    attempt_ending(url, core::endpoint_signal::timeout, t0, policy);
    attempt_ending(url, core::endpoint_signal::timeout, t0, policy);
    EXPECT_TRUE(is_slow(url, t0 + 4min));
    EXPECT_FALSE(is_slow(url, t0 + 5min + 1s));
}

TEST_F(breaker_itest, a_success_between_timeouts_starts_the_count_again) {
    const std::string url = "https://flaky.example/hook";
    attempt_ending(url, core::endpoint_signal::timeout, t0, policy);
    attempt_ending(url, core::endpoint_signal::healthy, t0 + 1s, policy);
    attempt_ending(url, core::endpoint_signal::timeout, t0 + 2s, policy);
    EXPECT_FALSE(is_slow(url, t0 + 2s));
}

TEST_F(breaker_itest, healthy_endpoints_never_get_a_row) {
    attempt_ending("https://fine.example/hook", core::endpoint_signal::healthy, t0, policy);
    attempt_ending("https://fails.example/hook", core::endpoint_signal::none, t0, policy);
    EXPECT_TRUE(run(deliveries.endpoints(std::nullopt, false, t0, 10)).empty());
}

}  // namespace
}  // namespace chal::storage
