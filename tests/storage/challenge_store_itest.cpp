// storage::challenge_store against a real PostgreSQL: round trips, tenant isolation, the
// status-poll lookup, keyset pages, lifecycle moves with their audit rows and callback outbox
// rows, races between moves, and the expiry sweep.
#include "tests/storage/storage_fixture.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <source_location>
#include <string>
#include <vector>

namespace chal::storage {
namespace {

using namespace std::chrono_literals;
using core::challenge_event;
using core::challenge_status;
using core::errc;

void expect_same_challenge(
    const core::challenge& actual,
    const core::challenge& expected,
    std::source_location where = std::source_location::current()
) {
    SCOPED_TRACE(::testing::Message() << "compared at " << where.file_name() << ":" << where.line());
    EXPECT_EQ(actual.id, expected.id);
    EXPECT_EQ(actual.tenant_id, expected.tenant_id);
    EXPECT_EQ(actual.integration_id, expected.integration_id);
    EXPECT_EQ(actual.origin, expected.origin);
    EXPECT_EQ(actual.status, expected.status);
    EXPECT_EQ(actual.failure, expected.failure);
    EXPECT_EQ(actual.target_user_id, expected.target_user_id);
    EXPECT_EQ(actual.target_user_email, expected.target_user_email);
    EXPECT_EQ(actual.context, expected.context);
    EXPECT_EQ(actual.requester_id, expected.requester_id);
    EXPECT_EQ(actual.callback_url, expected.callback_url);
    EXPECT_EQ(actual.created_at, expected.created_at);
    EXPECT_EQ(actual.expires_at, expected.expires_at);
    EXPECT_EQ(actual.started_at, expected.started_at);
    EXPECT_EQ(actual.completed_at, expected.completed_at);
    EXPECT_EQ(actual.target_response, expected.target_response);
    EXPECT_EQ(actual.device_fingerprint_json, expected.device_fingerprint_json);
    EXPECT_EQ(actual.auth_method, expected.auth_method);
}

std::vector<std::string> ids_of(const std::vector<core::challenge>& list) {
    std::vector<std::string> out;
    for (const auto& c : list) out.push_back(c.id);
    return out;
}

std::set<std::string> id_set(const std::vector<core::challenge>& list) {
    std::set<std::string> out;
    for (const auto& c : list) out.insert(c.id);
    return out;
}

class challenge_store_itest : public storage_test {
protected:
    // Applies `event` to `c` at `now`, scoped to the challenge's own tenant.
    core::result<core::challenge> move(
        const core::challenge& c, challenge_event event, core::timestamp now, std::string actor = "requester"
    ) {
        const std::optional<std::string> scope = c.tenant_id;
        const transition_details none;
        return run(challenges.transition(scope, c.id, event, none, actor, now));
    }

    // The verification path: a proven login, then verified with device details and a receipt.
    std::optional<core::challenge> verify(
        const core::challenge& c, core::timestamp now, std::string actor = "target",
        std::string device_json = R"({"os": "macOS"})"
    ) {
        login_record login{"oidc", R"({"subject": "s-1"})", std::nullopt};
        if (!run(challenges.record_login(c.id, login, actor, now))) return std::nullopt;
        return run(challenges.finalize_verified(c.id, device_json, "receipt.jws.sig", actor, now));
    }

    core::result<core::challenge> move_as_tenant(
        const std::string& tenant_id, const core::challenge& c, challenge_event event, core::timestamp now
    ) {
        const std::optional<std::string> scope = tenant_id;
        const transition_details none;
        return run(challenges.transition(scope, c.id, event, none, "requester", now));
    }

    challenge_page list_page(
        const seeded_tenant& t,
        std::optional<challenge_status> status,
        core::timestamp now,
        std::optional<std::string> before_id = std::nullopt,
        int limit = 100
    ) {
        return run(challenges.list(t.tenant.id, status, std::move(before_id), limit, now));
    }

    // Runs `sweepers` concurrent loops of expire_due(now, batch) until each finds nothing.
    std::vector<std::vector<core::challenge>> sweep_concurrently(int sweepers, core::timestamp now, int batch) {
        std::vector<boost::asio::awaitable<std::vector<core::challenge>>> loops;
        for (int i = 0; i < sweepers; ++i) loops.push_back(sweep_until_empty(challenges, now, batch));
        return run_concurrently(std::move(loops));
    }

    static boost::asio::awaitable<std::vector<core::challenge>> sweep_until_empty(
        challenge_store& store, core::timestamp now, int batch
    ) {
        std::vector<core::challenge> expired;
        for (;;) {
            auto swept = co_await store.expire_due(now, batch);
            if (swept.empty()) break;
            expired.insert(expired.end(), swept.begin(), swept.end());
        }
        co_return expired;
    }
};

// --- insert and find ------------------------------------------------------------------------

TEST_F(challenge_store_itest, an_inserted_challenge_is_found_with_every_field_intact) {
    const auto t = make_tenant();
    auto c = sample_challenge(t);
    c.origin = core::challenge_origin::mcp;
    c.callback_url = "https://per-request.example/cb";
    insert(c);

    const auto found = run(challenges.find(t.tenant.id, c.id));

    ASSERT_TRUE(found);
    expect_same_challenge(*found, c);
    EXPECT_FALSE(found->started_at);
    EXPECT_FALSE(found->completed_at);
}

boost::asio::awaitable<bool> insert_reporting(challenge_store& store, core::challenge c) {
    try {
        co_await store.insert(std::move(c), "requester");
    } catch (const std::exception&) {
        co_return false;
    }
    co_return true;
}

TEST_F(challenge_store_itest, concurrent_inserts_share_statements_and_a_bad_row_fails_alone) {
    const auto t = make_tenant();
    std::vector<core::challenge> made;
    for (int i = 0; i < 40; ++i) made.push_back(sample_challenge(t));
    made[17].integration_id = next_id();  // no such integration: this row breaks its batch
    std::vector<boost::asio::awaitable<bool>> inserts;
    for (const auto& c : made) inserts.push_back(insert_reporting(challenges, c));

    const auto stored = run_concurrently(std::move(inserts));

    for (std::size_t i = 0; i < made.size(); ++i) EXPECT_EQ(stored[i], i != 17) << "row " << i;
    auto counted = run(pool.execute_unprepared(
        "SELECT (SELECT count(*) FROM challenges)::text || '/' || (SELECT count(*) FROM audit_events WHERE action = 'created')::text"
    ));
    EXPECT_EQ(counted[0].get<std::string>(0), "39/39");
    const auto found = run(challenges.find(t.tenant.id, made[39].id));
    ASSERT_TRUE(found);
    expect_same_challenge(*found, made[39]);
}

TEST_F(challenge_store_itest, absent_optional_fields_read_back_as_absent) {
    const auto t = make_tenant();
    auto c = sample_challenge(t);
    c.target_user_id = std::nullopt;
    c.context = std::nullopt;
    c.callback_url = std::nullopt;
    insert(c);

    const auto found = run(challenges.find(t.tenant.id, c.id));

    ASSERT_TRUE(found);
    expect_same_challenge(*found, c);
}

TEST_F(challenge_store_itest, fields_written_by_transitions_round_trip_through_find) {
    const auto t = make_tenant();
    const auto c = insert(sample_challenge(t));
    const std::optional<std::string> scope = t.tenant.id;
    ASSERT_TRUE(move(c, challenge_event::start, t0 + 1min));
    login_record login{"oidc", R"({"subject": "s-1"})", "It was me"};
    const auto proven = run(challenges.record_login(c.id, login, "target", t0 + 2min));
    ASSERT_TRUE(proven);
    EXPECT_EQ(proven->status, challenge_status::in_progress);
    EXPECT_EQ(proven->authenticated_at, t0 + 2min);
    const auto moved = run(challenges.finalize_verified(c.id, R"({"os": "macOS"})", "receipt.jws.sig", "target", t0 + 2min));
    ASSERT_TRUE(moved);
    (void)scope;

    const auto found = run(challenges.find(t.tenant.id, c.id));

    ASSERT_TRUE(found);
    expect_same_challenge(*found, *moved);
    EXPECT_EQ(found->started_at, t0 + 1min);
    EXPECT_EQ(found->completed_at, t0 + 2min);
    EXPECT_EQ(found->target_response, "It was me");
    EXPECT_EQ(found->device_fingerprint_json, R"({"os": "macOS"})");
    EXPECT_EQ(found->auth_method, "oidc");
    EXPECT_EQ(found->receipt, "receipt.jws.sig");
    EXPECT_EQ(found->login_json, R"({"subject": "s-1"})");
    EXPECT_EQ(found->verification_code, c.verification_code);
}

TEST_F(challenge_store_itest, a_challenge_is_not_found_under_another_tenants_id) {
    const auto owner = make_tenant();
    const auto other = make_tenant();
    const auto c = insert(sample_challenge(owner));

    EXPECT_FALSE(run(challenges.find(other.tenant.id, c.id)));
}

TEST_F(challenge_store_itest, find_by_id_reads_a_challenge_without_a_tenant) {
    const auto t = make_tenant();
    const auto c = insert(sample_challenge(t));

    const auto found = run(challenges.find_by_id(c.id));

    ASSERT_TRUE(found);
    expect_same_challenge(*found, c);
}

TEST_F(challenge_store_itest, insert_writes_a_created_audit_event) {
    const auto t = make_tenant();
    const auto c = insert(sample_challenge(t));

    const auto events = audit_events_for(c.id);

    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].actor, "api_key:" + t.integration.id);
    EXPECT_EQ(events[0].action, "created");
    EXPECT_FALSE(events[0].status_before);
    EXPECT_EQ(events[0].status_after, "initiated");
    EXPECT_EQ(events[0].at, c.created_at);
}

TEST_F(challenge_store_itest, insert_with_an_idempotent_completion_completes_the_claimed_key_with_the_response) {
    const auto t = make_tenant();
    const idempotency_scope scope{t.tenant.id, t.key_hash};
    ASSERT_TRUE(run(idempotency.claim_new(scope, "create-1", "fingerprint-1", t0)));
    const auto c = sample_challenge(t);
    const idempotent_completion completion{t.key_hash, "create-1", "fingerprint-1", 201, R"({"id":")" + c.id + R"("})"};

    run(challenges.insert(c, "api_key:" + t.integration.id, completion));

    const auto record = run(idempotency.find(scope, "create-1"));
    ASSERT_TRUE(record);
    EXPECT_TRUE(record->completed);
    EXPECT_EQ(record->response_status, 201u);
    EXPECT_EQ(record->response_body, completion.response_body);
    EXPECT_TRUE(run(challenges.find(t.tenant.id, c.id)));
}

// --- authenticate_and_find ------------------------------------------------------------------

TEST_F(challenge_store_itest, authenticate_and_find_with_an_unknown_key_returns_no_principal) {
    const auto t = make_tenant();
    const auto c = insert(sample_challenge(t));

    const auto lookup = run(challenges.authenticate_and_find(crypto::sha256("unknown"), c.id));

    EXPECT_FALSE(lookup.principal);
    EXPECT_FALSE(lookup.challenge);
}

TEST_F(challenge_store_itest, authenticate_and_find_with_a_revoked_key_returns_no_principal) {
    const auto t = make_tenant();
    const auto c = insert(sample_challenge(t));
    const new_api_key replacement{crypto::sha256("replacement"), "replacement"};
    ASSERT_TRUE(run(tenants.replace_api_key(t.integration.id, replacement, t0)));

    const auto lookup = run(challenges.authenticate_and_find(t.key_hash, c.id));

    EXPECT_FALSE(lookup.principal);
    EXPECT_FALSE(lookup.challenge);
}

TEST_F(challenge_store_itest, authenticate_and_find_with_a_known_key_and_a_foreign_challenge_returns_only_the_principal) {
    const auto caller = make_tenant();
    const auto other = make_tenant();
    const auto foreign = insert(sample_challenge(other));

    const auto lookup = run(challenges.authenticate_and_find(caller.key_hash, foreign.id));

    ASSERT_TRUE(lookup.principal);
    EXPECT_EQ(lookup.principal->tenant_id, caller.tenant.id);
    EXPECT_FALSE(lookup.challenge);
}

TEST_F(challenge_store_itest, authenticate_and_find_with_a_known_key_and_an_unknown_challenge_returns_only_the_principal) {
    const auto t = make_tenant();

    const auto lookup = run(challenges.authenticate_and_find(t.key_hash, next_id()));

    ASSERT_TRUE(lookup.principal);
    EXPECT_EQ(lookup.principal->integration_id, t.integration.id);
    EXPECT_FALSE(lookup.challenge);
}

TEST_F(challenge_store_itest, authenticate_and_find_with_a_known_key_and_its_own_challenge_returns_both) {
    const auto t = make_tenant(std::string{"https://receiver.example/hooks"}, 20);
    const auto c = insert(sample_challenge(t));

    const auto lookup = run(challenges.authenticate_and_find(t.key_hash, c.id));

    ASSERT_TRUE(lookup.principal);
    EXPECT_EQ(lookup.principal->tenant_id, t.tenant.id);
    EXPECT_EQ(lookup.principal->integration_id, t.integration.id);
    EXPECT_EQ(lookup.principal->integration_kind, "webhook");
    EXPECT_EQ(lookup.principal->tenant_expiry_minutes, 20);
    ASSERT_TRUE(lookup.challenge);
    expect_same_challenge(*lookup.challenge, c);
}

// --- list -----------------------------------------------------------------------------------

TEST_F(challenge_store_itest, list_returns_the_newest_challenge_first) {
    const auto t = make_tenant();
    const auto older = insert(sample_challenge(t, t0));
    const auto newer = insert(sample_challenge(t, t0 + 1s));
    const auto newest = insert(sample_challenge(t, t0 + 2s));

    const auto page = list_page(t, std::nullopt, t0 + 1min);

    EXPECT_EQ(ids_of(page.items), (std::vector<std::string>{newest.id, newer.id, older.id}));
    EXPECT_FALSE(page.next_before_id);
}

TEST_F(challenge_store_itest, keyset_pages_cover_every_challenge_once_without_gaps) {
    const auto t = make_tenant();
    std::vector<std::string> inserted;
    for (int i = 0; i < 25; ++i) inserted.push_back(insert(sample_challenge(t, t0 + std::chrono::seconds{i})).id);
    const std::vector<std::string> newest_first(inserted.rbegin(), inserted.rend());

    std::vector<std::string> listed;
    std::vector<std::size_t> page_sizes;
    std::optional<std::string> before;
    do {
        const auto page = list_page(t, std::nullopt, t0 + 1min, before, 10);
        page_sizes.push_back(page.items.size());
        for (const auto& c : page.items) listed.push_back(c.id);
        before = page.next_before_id;
    } while (before && page_sizes.size() < 10);

    EXPECT_EQ(page_sizes, (std::vector<std::size_t>{10, 10, 5}));
    EXPECT_EQ(listed, newest_first);
}

TEST_F(challenge_store_itest, a_full_last_page_has_no_next_before_id) {
    const auto t = make_tenant();
    for (int i = 0; i < 10; ++i) insert(sample_challenge(t, t0 + std::chrono::seconds{i}));

    const auto page = list_page(t, std::nullopt, t0 + 1min, std::nullopt, 10);

    EXPECT_EQ(page.items.size(), 10u);
    EXPECT_FALSE(page.next_before_id);
}

TEST_F(challenge_store_itest, list_shows_only_the_tenants_own_challenges) {
    const auto t = make_tenant();
    const auto other = make_tenant();
    const auto mine = insert(sample_challenge(t));
    insert(sample_challenge(other));

    const auto page = list_page(t, std::nullopt, t0 + 1min);

    EXPECT_EQ(ids_of(page.items), std::vector<std::string>{mine.id});
}

TEST_F(challenge_store_itest, list_filtered_by_status_returns_only_challenges_in_that_status) {
    const auto t = make_tenant();
    const auto initiated = insert(sample_challenge(t, t0));
    const auto started = insert(sample_challenge(t, t0 + 1s));
    const auto canceled = insert(sample_challenge(t, t0 + 2s));
    const auto verified = insert(sample_challenge(t, t0 + 3s));
    ASSERT_TRUE(move(started, challenge_event::start, t0 + 1min));
    ASSERT_TRUE(move(canceled, challenge_event::cancel, t0 + 1min));
    ASSERT_TRUE(move(verified, challenge_event::start, t0 + 1min));
    ASSERT_TRUE(verify(verified, t0 + 1min));
    const auto now = t0 + 2min;

    EXPECT_EQ(ids_of(list_page(t, challenge_status::initiated, now).items), std::vector<std::string>{initiated.id});
    EXPECT_EQ(ids_of(list_page(t, challenge_status::in_progress, now).items), std::vector<std::string>{started.id});
    EXPECT_EQ(ids_of(list_page(t, challenge_status::failed, now).items), std::vector<std::string>{canceled.id});
    EXPECT_EQ(ids_of(list_page(t, challenge_status::verified, now).items), std::vector<std::string>{verified.id});
}

TEST_F(challenge_store_itest, a_live_challenge_past_its_expiry_is_listed_as_expired_before_the_sweep) {
    const auto t = make_tenant();
    const auto swept = insert(sample_challenge(t, t0 - 1h));
    const auto lapsed = insert(sample_challenge(t, t0));
    ASSERT_EQ(run(challenges.expire_due(t0 - 30min, 10)).size(), 1u);  // only `swept` had lapsed then
    insert(sample_challenge(t, t0 + 10min));                           // still live at `now`
    const auto now = t0 + 20min;

    const auto page = list_page(t, challenge_status::expired, now);

    EXPECT_EQ(ids_of(page.items), (std::vector<std::string>{lapsed.id, swept.id}));
}

TEST_F(challenge_store_itest, a_live_challenge_past_its_expiry_is_not_listed_as_initiated) {
    const auto t = make_tenant();
    insert(sample_challenge(t, t0));  // lapsed at t0 + 15 min
    const auto live = insert(sample_challenge(t, t0 + 10min));
    const auto now = t0 + 20min;

    const auto page = list_page(t, challenge_status::initiated, now);

    EXPECT_EQ(ids_of(page.items), std::vector<std::string>{live.id});
}

TEST_F(challenge_store_itest, a_challenge_reaching_its_expiry_at_now_is_observed_as_expired) {
    const auto t = make_tenant();
    const auto c = insert(sample_challenge(t, t0));

    const auto expired = list_page(t, challenge_status::expired, c.expires_at);
    const auto initiated = list_page(t, challenge_status::initiated, c.expires_at);

    EXPECT_EQ(ids_of(expired.items), std::vector<std::string>{c.id});
    EXPECT_TRUE(initiated.items.empty());
}

// --- transition -----------------------------------------------------------------------------

TEST_F(challenge_store_itest, start_moves_an_initiated_challenge_to_in_progress_and_sets_started_at) {
    const auto t = make_tenant();
    const auto c = insert(sample_challenge(t));

    const auto moved = move(c, challenge_event::start, t0 + 1min, "target");

    ASSERT_TRUE(moved);
    EXPECT_EQ(moved->status, challenge_status::in_progress);
    EXPECT_EQ(moved->started_at, t0 + 1min);
    EXPECT_FALSE(moved->completed_at);
    EXPECT_FALSE(moved->failure);
    expect_same_challenge(*run(challenges.find(t.tenant.id, c.id)), *moved);
}

TEST_F(challenge_store_itest, start_writes_an_audit_event_and_enqueues_no_callback) {
    const auto t = make_tenant();
    const auto c = insert(sample_challenge(t));

    ASSERT_TRUE(move(c, challenge_event::start, t0 + 1min, "target"));

    const auto events = audit_events_for(c.id);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[1].actor, "target");
    EXPECT_EQ(events[1].action, "start");
    EXPECT_EQ(events[1].status_before, "initiated");
    EXPECT_EQ(events[1].status_after, "in-progress");
    EXPECT_EQ(events[1].at, t0 + 1min);
    EXPECT_TRUE(deliveries_for(c.id).empty());
}

TEST_F(challenge_store_itest, starting_an_in_progress_challenge_is_an_invalid_transition) {
    const auto t = make_tenant();
    const auto c = insert(sample_challenge(t));
    ASSERT_TRUE(move(c, challenge_event::start, t0 + 1min));

    const auto again = move(c, challenge_event::start, t0 + 2min);

    ASSERT_TRUE(again.has_error());
    EXPECT_EQ(again.error(), errc::invalid_transition);
    EXPECT_EQ(run(challenges.find(t.tenant.id, c.id))->started_at, t0 + 1min);
}

TEST_F(challenge_store_itest, verify_ends_the_challenge_as_verified_with_completed_at) {
    const auto t = make_tenant();
    const auto c = insert(sample_challenge(t));
    ASSERT_TRUE(move(c, challenge_event::start, t0 + 1min));

    const auto moved = verify(c, t0 + 2min);

    ASSERT_TRUE(moved);
    EXPECT_EQ(moved->status, challenge_status::verified);
    EXPECT_EQ(moved->completed_at, t0 + 2min);
    EXPECT_EQ(moved->started_at, t0 + 1min);
    EXPECT_FALSE(moved->failure);
}

TEST_F(challenge_store_itest, cancel_ends_the_challenge_as_failed_with_reason_canceled) {
    const auto t = make_tenant();
    const auto c = insert(sample_challenge(t));

    const auto moved = move(c, challenge_event::cancel, t0 + 1min);

    ASSERT_TRUE(moved);
    EXPECT_EQ(moved->status, challenge_status::failed);
    EXPECT_EQ(moved->failure, core::failure_reason::canceled);
    EXPECT_EQ(moved->completed_at, t0 + 1min);
    expect_same_challenge(*run(challenges.find(t.tenant.id, c.id)), *moved);
}

TEST_F(challenge_store_itest, report_incident_ends_the_challenge_as_failed_with_reason_incident_reported) {
    const auto t = make_tenant();
    const auto c = insert(sample_challenge(t));
    ASSERT_TRUE(move(c, challenge_event::start, t0 + 1min));

    const auto moved = move(c, challenge_event::report_incident, t0 + 2min, "target");

    ASSERT_TRUE(moved);
    EXPECT_EQ(moved->status, challenge_status::failed);
    EXPECT_EQ(moved->failure, core::failure_reason::incident_reported);
    EXPECT_EQ(moved->completed_at, t0 + 2min);
}

TEST_F(challenge_store_itest, a_terminal_transition_writes_an_audit_event_with_both_statuses_and_the_actor) {
    const auto t = make_tenant();
    const auto c = insert(sample_challenge(t));
    ASSERT_TRUE(move(c, challenge_event::start, t0 + 1min, "target"));

    ASSERT_TRUE(verify(c, t0 + 2min, "target:U0123456"));

    const auto events = audit_events_for(c.id);
    ASSERT_EQ(events.size(), 4u);  // created, start, authenticate, verify
    EXPECT_EQ(events[2].action, "authenticate");
    EXPECT_EQ(events[3].actor, "target:U0123456");
    EXPECT_EQ(events[3].action, "verify");
    EXPECT_EQ(events[3].status_before, "in-progress");
    EXPECT_EQ(events[3].status_after, "verified");
    EXPECT_EQ(events[3].at, t0 + 2min);
}

TEST_F(challenge_store_itest, a_terminal_transition_enqueues_one_callback_to_the_integration_default_url) {
    const auto t = make_tenant(std::string{"https://default.example/hooks"});
    const auto c = insert(sample_challenge(t));

    const auto moved = move(c, challenge_event::cancel, t0 + 1min);
    ASSERT_TRUE(moved);

    const auto queued = deliveries_for(c.id);
    ASSERT_EQ(queued.size(), 1u);
    EXPECT_EQ(queued[0].url, "https://default.example/hooks");
    EXPECT_EQ(queued[0].body, core::callback_body(*moved));
    EXPECT_EQ(queued[0].event_type, "challenge.completed");
    EXPECT_EQ(queued[0].state, "pending");
    EXPECT_EQ(queued[0].attempts, 0);
    EXPECT_EQ(queued[0].next_attempt_at, t0 + 1min);
    EXPECT_EQ(queued[0].created_at, t0 + 1min);
    EXPECT_EQ(queued[0].event_id.rfind("msg_", 0), 0u);
}

TEST_F(challenge_store_itest, the_per_request_callback_url_wins_over_the_integration_default) {
    const auto t = make_tenant(std::string{"https://default.example/hooks"});
    auto c = sample_challenge(t);
    c.callback_url = "https://per-request.example/cb";
    insert(c);

    const auto moved = move(c, challenge_event::cancel, t0 + 1min);
    ASSERT_TRUE(moved);

    const auto queued = deliveries_for(c.id);
    ASSERT_EQ(queued.size(), 1u);
    EXPECT_EQ(queued[0].url, "https://per-request.example/cb");
    EXPECT_EQ(queued[0].body, core::callback_body(*moved));
}

TEST_F(challenge_store_itest, the_per_request_callback_url_is_used_when_the_integration_has_no_default) {
    const auto t = make_tenant(std::nullopt);
    auto c = sample_challenge(t);
    c.callback_url = "https://per-request.example/cb";
    insert(c);

    ASSERT_TRUE(move(c, challenge_event::cancel, t0 + 1min));

    const auto queued = deliveries_for(c.id);
    ASSERT_EQ(queued.size(), 1u);
    EXPECT_EQ(queued[0].url, "https://per-request.example/cb");
}

TEST_F(challenge_store_itest, a_reported_incident_enqueues_an_incident_reported_callback) {
    const auto t = make_tenant();
    const auto c = insert(sample_challenge(t));

    const auto moved = move(c, challenge_event::report_incident, t0 + 1min, "target");
    ASSERT_TRUE(moved);

    const auto queued = deliveries_for(c.id);
    ASSERT_EQ(queued.size(), 1u);
    EXPECT_EQ(queued[0].event_type, "challenge.incident_reported");
    EXPECT_EQ(queued[0].body, core::callback_body(*moved));
}

TEST_F(challenge_store_itest, no_callback_is_enqueued_when_neither_url_is_set) {
    const auto t = make_tenant(std::nullopt);
    const auto c = insert(sample_challenge(t));

    ASSERT_TRUE(move(c, challenge_event::cancel, t0 + 1min));

    EXPECT_TRUE(deliveries_for(c.id).empty());
}

TEST_F(challenge_store_itest, no_callback_is_enqueued_for_a_slash_command_challenge) {
    const auto t = make_tenant(std::string{"https://default.example/hooks"});
    auto c = sample_challenge(t);
    c.origin = core::challenge_origin::slack_command;
    c.callback_url = "https://per-request.example/cb";
    insert(c);

    ASSERT_TRUE(move(c, challenge_event::cancel, t0 + 1min));

    EXPECT_TRUE(deliveries_for(c.id).empty());
}

TEST_F(challenge_store_itest, a_second_terminal_transition_returns_already_finished_and_changes_nothing) {
    const auto t = make_tenant();
    const auto c = insert(sample_challenge(t));
    const auto first = move(c, challenge_event::cancel, t0 + 1min);
    ASSERT_TRUE(first);

    const auto second = move(c, challenge_event::report_incident, t0 + 2min, "target");

    ASSERT_TRUE(second.has_error());
    EXPECT_EQ(second.error(), errc::challenge_already_finished);
    expect_same_challenge(*run(challenges.find(t.tenant.id, c.id)), *first);
    EXPECT_EQ(deliveries_for(c.id).size(), 1u);
    EXPECT_EQ(audit_events_for(c.id).size(), 2u);  // created, cancel
}

TEST_F(challenge_store_itest, a_transition_after_expiry_returns_challenge_expired_and_changes_nothing) {
    const auto t = make_tenant();
    const auto c = insert(sample_challenge(t));

    const auto late = move(c, challenge_event::report_incident, c.expires_at + 1s, "target");

    ASSERT_TRUE(late.has_error());
    EXPECT_EQ(late.error(), errc::challenge_expired);
    expect_same_challenge(*run(challenges.find(t.tenant.id, c.id)), c);
    EXPECT_TRUE(deliveries_for(c.id).empty());
    EXPECT_EQ(audit_events_for(c.id).size(), 1u);
}

TEST_F(challenge_store_itest, a_transition_at_the_exact_expiry_returns_challenge_expired) {
    const auto t = make_tenant();
    const auto c = insert(sample_challenge(t));

    const auto late = move(c, challenge_event::cancel, c.expires_at);

    ASSERT_TRUE(late.has_error());
    EXPECT_EQ(late.error(), errc::challenge_expired);
}

TEST_F(challenge_store_itest, a_transition_scoped_to_another_tenant_returns_challenge_not_found) {
    const auto owner = make_tenant();
    const auto other = make_tenant();
    const auto c = insert(sample_challenge(owner));

    const auto moved = move_as_tenant(other.tenant.id, c, challenge_event::cancel, t0 + 1min);

    ASSERT_TRUE(moved.has_error());
    EXPECT_EQ(moved.error(), errc::challenge_not_found);
    expect_same_challenge(*run(challenges.find(owner.tenant.id, c.id)), c);
    EXPECT_EQ(audit_events_for(c.id).size(), 1u);
}

TEST_F(challenge_store_itest, a_transition_of_an_unknown_challenge_returns_challenge_not_found) {
    const auto t = make_tenant();
    auto ghost = sample_challenge(t);  // never inserted

    const auto moved = move(ghost, challenge_event::cancel, t0 + 1min);

    ASSERT_TRUE(moved.has_error());
    EXPECT_EQ(moved.error(), errc::challenge_not_found);
}

TEST_F(challenge_store_itest, an_unscoped_transition_moves_the_challenge_of_any_tenant) {
    const auto t = make_tenant();
    const auto c = insert(sample_challenge(t));
    const std::optional<std::string> unscoped;
    const transition_details none;

    const auto moved = run(challenges.transition(unscoped, c.id, challenge_event::start, none, "target", t0 + 1min));

    ASSERT_TRUE(moved);
    EXPECT_EQ(moved->status, challenge_status::in_progress);
}

TEST_F(challenge_store_itest, of_twenty_concurrent_cancels_exactly_one_succeeds) {
    const auto t = make_tenant();
    const auto c = insert(sample_challenge(t));
    const std::optional<std::string> scope = t.tenant.id;
    const transition_details none;
    std::vector<boost::asio::awaitable<core::result<core::challenge>>> racers;
    for (int i = 0; i < 20; ++i) {
        const std::string actor = "requester-" + std::to_string(i);
        racers.push_back(challenges.transition(scope, c.id, challenge_event::cancel, none, actor, t0 + 1min));
    }

    const auto outcomes = run_concurrently(std::move(racers));

    ASSERT_EQ(outcomes.size(), 20u);
    const auto wins = std::count_if(outcomes.begin(), outcomes.end(), [](const auto& r) { return r.has_value(); });
    EXPECT_EQ(wins, 1);
    for (const auto& r : outcomes) {
        if (r.has_error()) {
            EXPECT_EQ(r.error(), errc::challenge_already_finished);
        }
    }
    EXPECT_EQ(deliveries_for(c.id).size(), 1u);
    const auto events = audit_events_for(c.id);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[1].action, "cancel");
}

// --- expire_due -----------------------------------------------------------------------------

TEST_F(challenge_store_itest, expire_due_expires_only_lapsed_live_challenges) {
    const auto t = make_tenant();
    const auto lapsed_initiated = insert(sample_challenge(t, t0));
    const auto lapsed_started = insert(sample_challenge(t, t0 + 1s));
    const auto lapsed_finished = insert(sample_challenge(t, t0 + 2s));
    const auto live = insert(sample_challenge(t, t0 + 10min));
    ASSERT_TRUE(move(lapsed_started, challenge_event::start, t0 + 1min));
    ASSERT_TRUE(move(lapsed_finished, challenge_event::cancel, t0 + 1min));

    const auto expired = run(challenges.expire_due(t0 + 20min, 100));

    EXPECT_EQ(id_set(expired), (std::set<std::string>{lapsed_initiated.id, lapsed_started.id}));
    for (const auto& c : expired) EXPECT_EQ(c.status, challenge_status::expired);
    EXPECT_EQ(run(challenges.find(t.tenant.id, lapsed_initiated.id))->status, challenge_status::expired);
    EXPECT_EQ(run(challenges.find(t.tenant.id, lapsed_started.id))->status, challenge_status::expired);
    EXPECT_EQ(run(challenges.find(t.tenant.id, lapsed_finished.id))->status, challenge_status::failed);
    EXPECT_EQ(run(challenges.find(t.tenant.id, live.id))->status, challenge_status::initiated);
}

TEST_F(challenge_store_itest, an_expired_challenge_completes_at_its_expiry_not_at_the_sweep) {
    const auto t = make_tenant();
    const auto c = insert(sample_challenge(t, t0));

    const auto expired = run(challenges.expire_due(t0 + 1h, 100));

    ASSERT_EQ(expired.size(), 1u);
    EXPECT_EQ(expired[0].completed_at, c.expires_at);
    EXPECT_EQ(run(challenges.find(t.tenant.id, c.id))->completed_at, c.expires_at);
}

TEST_F(challenge_store_itest, expire_due_enqueues_the_callback_of_each_expired_challenge) {
    const auto t = make_tenant(std::string{"https://default.example/hooks"});
    insert(sample_challenge(t, t0));
    insert(sample_challenge(t, t0 + 1s));
    const auto sweep = t0 + 1h;

    const auto expired = run(challenges.expire_due(sweep, 100));

    ASSERT_EQ(expired.size(), 2u);
    for (const auto& c : expired) {
        const auto queued = deliveries_for(c.id);
        ASSERT_EQ(queued.size(), 1u);
        EXPECT_EQ(queued[0].url, "https://default.example/hooks");
        EXPECT_EQ(queued[0].body, core::callback_body(c));
        EXPECT_EQ(queued[0].next_attempt_at, sweep);
    }
}

TEST_F(challenge_store_itest, expire_due_writes_an_expiry_audit_event_for_each_challenge) {
    const auto t = make_tenant();
    const auto c = insert(sample_challenge(t, t0));
    ASSERT_TRUE(move(c, challenge_event::start, t0 + 1min));

    ASSERT_EQ(run(challenges.expire_due(t0 + 1h, 100)).size(), 1u);

    const auto events = audit_events_for(c.id);
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(events[2].actor, "system:expiry");
    EXPECT_EQ(events[2].action, "expire");
    EXPECT_EQ(events[2].status_before, "in-progress");
    EXPECT_EQ(events[2].status_after, "expired");
    EXPECT_EQ(events[2].at, t0 + 1h);
}

TEST_F(challenge_store_itest, expire_due_expires_at_most_limit_challenges_earliest_expiry_first) {
    const auto t = make_tenant();
    std::vector<std::string> by_expiry;
    for (int i = 0; i < 5; ++i) by_expiry.push_back(insert(sample_challenge(t, t0 + std::chrono::seconds{i})).id);

    const auto first = run(challenges.expire_due(t0 + 1h, 3));
    const auto rest = run(challenges.expire_due(t0 + 1h, 3));

    EXPECT_EQ(id_set(first), (std::set<std::string>{by_expiry[0], by_expiry[1], by_expiry[2]}));
    EXPECT_EQ(id_set(rest), (std::set<std::string>{by_expiry[3], by_expiry[4]}));
}

TEST_F(challenge_store_itest, two_concurrent_sweeps_never_expire_the_same_challenge_twice) {
    const auto t = make_tenant();
    std::set<std::string> lapsed;
    for (int i = 0; i < 30; ++i) lapsed.insert(insert(sample_challenge(t, t0 + std::chrono::seconds{i})).id);

    const auto swept = sweep_concurrently(2, t0 + 1h, 4);

    std::vector<std::string> all;
    for (const auto& batch : swept)
        for (const auto& c : batch) all.push_back(c.id);
    const std::set<std::string> distinct(all.begin(), all.end());
    EXPECT_EQ(all.size(), distinct.size()) << "a challenge was expired twice";
    EXPECT_EQ(distinct, lapsed);
    EXPECT_TRUE(run(challenges.expire_due(t0 + 1h, 100)).empty());
    EXPECT_EQ(delivery_count(), 30);
    for (const auto& id : lapsed) EXPECT_EQ(audit_events_for(id).size(), 2u) << id;
}

}  // namespace
// --- the verification path -------------------------------------------------------------------

TEST_F(challenge_store_itest, verified_is_reachable_only_through_a_recorded_login) {
    const auto t = make_tenant();
    const auto c = insert(sample_challenge(t));
    ASSERT_TRUE(move(c, challenge_event::start, t0 + 1min));
    EXPECT_THROW(move(c, challenge_event::verify, t0 + 2min), std::logic_error);
    EXPECT_FALSE(run(challenges.finalize_verified(c.id, "{}", "r", "target", t0 + 2min)));
    expect_same_challenge(*run(challenges.find(t.tenant.id, c.id)), *run(challenges.find(t.tenant.id, c.id)));
    EXPECT_EQ(run(challenges.find(t.tenant.id, c.id))->status, challenge_status::in_progress);
    EXPECT_TRUE(deliveries_for(c.id).empty());
}

TEST_F(challenge_store_itest, a_login_is_recorded_once_and_only_on_a_live_started_challenge) {
    const auto t = make_tenant();
    const auto c = insert(sample_challenge(t));
    login_record login{"oidc", "{}", std::nullopt};
    EXPECT_FALSE(run(challenges.record_login(c.id, login, "target", t0 + 1min))) << "not started yet";
    ASSERT_TRUE(move(c, challenge_event::start, t0 + 1min));
    EXPECT_FALSE(run(challenges.record_login(c.id, login, "target", c.expires_at))) << "expired";
    ASSERT_TRUE(run(challenges.record_login(c.id, login, "target", t0 + 2min)));
    EXPECT_FALSE(run(challenges.record_login(c.id, login, "target", t0 + 3min))) << "already proven";
}

TEST_F(challenge_store_itest, a_proven_challenge_finishes_once_with_one_callback_even_past_its_expiry) {
    const auto t = make_tenant();
    const auto c = insert(sample_challenge(t));
    ASSERT_TRUE(move(c, challenge_event::start, t0 + 1min));
    ASSERT_TRUE(run(challenges.record_login(c.id, login_record{"saml", "{}", std::nullopt}, "target", c.expires_at - 1s)));

    // The sweeper leaves it alone and lists it as waiting for its details.
    EXPECT_TRUE(run(challenges.expire_due(c.expires_at + 1min, 10)).empty());
    EXPECT_EQ(ids_of(run(challenges.awaiting_details(c.expires_at, 10))), std::vector<std::string>{c.id});

    const auto first = run(challenges.finalize_verified(c.id, R"({"ip": "203.0.113.1"})", "r1", "target", c.expires_at + 2s));
    const auto second = run(challenges.finalize_verified(c.id, R"({"ip": "198.51.100.7"})", "r2", "system", c.expires_at + 3s));
    ASSERT_TRUE(first);
    EXPECT_FALSE(second);
    EXPECT_EQ(first->status, challenge_status::verified);
    EXPECT_EQ(run(challenges.find(t.tenant.id, c.id))->receipt, "r1");
    EXPECT_EQ(deliveries_for(c.id).size(), 1u);
    EXPECT_TRUE(run(challenges.awaiting_details(c.expires_at + 1h, 10)).empty());
}



TEST_F(challenge_store_itest, a_proven_login_is_not_flipped_to_failed_by_a_late_answer_report_or_cancel) {
    const auto t = make_tenant();
    const auto c = insert(sample_challenge(t));
    ASSERT_TRUE(move(c, challenge_event::start, t0 + 1min));
    ASSERT_TRUE(run(challenges.record_login(c.id, login_record{"oidc", "{}", std::nullopt}, "target", t0 + 2min)));
    for (auto event : {challenge_event::fail_identity_mismatch, challenge_event::fail_authentication,
                       challenge_event::report_incident, challenge_event::cancel}) {
        auto refused = run(challenges.transition(std::nullopt, c.id, event, {}, "target", t0 + 3min));
        ASSERT_FALSE(refused) << core::to_string(event);
        EXPECT_EQ(refused.error(), core::errc::login_already_proven) << core::to_string(event);
    }
    const auto stored = run(challenges.find(t.tenant.id, c.id));
    EXPECT_EQ(stored->status, challenge_status::in_progress);
    EXPECT_FALSE(stored->failure);
    EXPECT_TRUE(deliveries_for(c.id).empty()) << "no failure callback was queued";
    EXPECT_TRUE(run(challenges.finalize_verified(c.id, "{}", "r", "target", t0 + 4min)));
}

}  // namespace chal::storage
