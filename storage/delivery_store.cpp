#include "storage/delivery_store.hpp"

namespace chal::storage {
namespace {

// One lane at a time (an endpoint is in the slow lane while its breaker holds it there). Rows of
// tenants and endpoints with no room left are skipped in the scan, so they never hide others'
// rows; among the rest, each tenant and endpoint gets at most its room, oldest due first. The
// scan only reads; just the chosen rows are locked (SKIP LOCKED: a row another instance is
// claiming right now is left to it), so picking one row behind many costs one row lock.
constexpr pg::query claim_due_deliveries{"claim_due_deliveries", R"sql(
    WITH busy_tenants AS (SELECT * FROM unnest($6::uuid[], $7::int[]) AS b (tenant_id, running)),
    busy_endpoints AS (SELECT * FROM unnest($9::text[], $10::int[]) AS b (endpoint, running)),
    due AS (
        SELECT d.id, d.tenant_id, d.endpoint, d.next_attempt_at FROM webhook_deliveries d
        WHERE d.state = 'pending' AND d.next_attempt_at <= $1
          AND EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.endpoint = d.endpoint AND e.slow_until > $1) = $5
          AND d.tenant_id NOT IN (SELECT tenant_id FROM busy_tenants WHERE running >= $8)
          AND d.endpoint NOT IN (SELECT endpoint FROM busy_endpoints WHERE running >= $11)
        ORDER BY d.next_attempt_at
        LIMIT $2::int * 4),
    ranked AS (
        SELECT due.id, due.next_attempt_at,
               row_number() OVER (PARTITION BY due.tenant_id ORDER BY due.next_attempt_at, due.id)
                   + coalesce((SELECT b.running FROM busy_tenants b WHERE b.tenant_id = due.tenant_id), 0) AS tenant_slot,
               row_number() OVER (PARTITION BY due.endpoint ORDER BY due.next_attempt_at, due.id)
                   + coalesce((SELECT b.running FROM busy_endpoints b WHERE b.endpoint = due.endpoint), 0) AS endpoint_slot
        FROM due),
    chosen AS (
        SELECT id FROM ranked WHERE tenant_slot <= $8 AND endpoint_slot <= $11 ORDER BY next_attempt_at, id LIMIT $2),
    locked AS (
        SELECT d.id FROM webhook_deliveries d JOIN chosen USING (id)
        WHERE d.state = 'pending' AND d.next_attempt_at <= $1 FOR UPDATE OF d SKIP LOCKED)
    UPDATE webhook_deliveries d
    SET state = 'in_flight', attempts = d.attempts + 1, leased_by = $3, lease_until = $4, lease_token = d.lease_token + 1
    FROM locked WHERE d.id = locked.id
    RETURNING d.id, d.event_id, d.tenant_id, d.endpoint, d.lease_token, d.integration_id, d.event_type, d.url, d.body,
              d.attempts, d.next_trigger,
              (SELECT i.webhook_secret_sealed FROM integrations i WHERE i.id = d.integration_id), d.created_at)sql"};

// Every column travels as a text array so one statement records a whole batch. Only results
// whose lease token is still current are logged or applied: the row lock taken here re-reads
// the token, so a stale worker racing a new claim writes nothing.
constexpr pg::query record_delivery_attempts{"record_delivery_attempts", R"sql(
    WITH r AS (
        SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::int[], $4::text[], $5::timestamptz[], $6::int[], $7::int[],
                             $8::text[], $9::text[], $10::text[], $11::text[], $12::timestamptz[])
            AS r (delivery_id, lease_token, attempt_no, trigger, started_at, duration_ms, status_code, error_class,
                  peer_address, response_snippet, next_state, next_attempt_at)),
    current_lease AS (
        SELECT r.* FROM r JOIN webhook_deliveries d ON d.id = r.delivery_id
        WHERE d.state = 'in_flight' AND d.lease_token = r.lease_token
        FOR UPDATE OF d),
    logged AS (
        INSERT INTO webhook_attempts (delivery_id, attempt_no, trigger, started_at, duration_ms, status_code,
                                      error_class, peer_address, response_snippet)
        SELECT delivery_id, attempt_no, trigger, started_at, duration_ms, status_code, error_class, peer_address,
               response_snippet FROM current_lease
        ON CONFLICT (delivery_id, attempt_no) DO NOTHING)
    UPDATE webhook_deliveries d
    SET state = r.next_state,
        next_attempt_at = coalesce(r.next_attempt_at, d.next_attempt_at),
        lease_until = NULL, leased_by = NULL, next_trigger = 'scheduled',
        last_status = r.status_code, last_error = r.error_class,
        finished_at = CASE WHEN r.next_state = 'pending' THEN NULL ELSE $13::timestamptz END
    FROM current_lease r
    WHERE d.id = r.delivery_id)sql"};

// The breaker, fed with each batch's signals in completion order ($2: timed out, else healthy).
// Counts are updated against the row as it is now (ON CONFLICT sees the latest version), so
// several instances feeding the same endpoint add up. Healthy endpoints never get a row; a
// success only clears an endpoint that has one. Answers how many endpoints moved each way.
constexpr pg::query record_endpoint_signals{"record_endpoint_signals", R"sql(
    WITH o AS (SELECT * FROM unnest($1::text[], $2::boolean[]) WITH ORDINALITY AS o (endpoint, timed_out, ord)),
    last_ok AS (SELECT endpoint, max(ord) FILTER (WHERE NOT timed_out) AS ord FROM o GROUP BY endpoint),
    per AS (
        SELECT o.endpoint, bool_or(l.ord IS NOT NULL) AS recovered,
               (count(*) FILTER (WHERE o.timed_out AND o.ord > coalesce(l.ord, 0)))::int AS timeouts,
               bool_or(coalesce(p.slow_until > $3, false)) AS was_slow
        FROM o JOIN last_ok l USING (endpoint) LEFT JOIN webhook_endpoints p ON p.endpoint = o.endpoint
        GROUP BY o.endpoint),
    timed AS (
        INSERT INTO webhook_endpoints AS e (endpoint, consecutive_timeouts, slow_until, tripped_at, last_timeout_at,
                                            recovered_at)
        SELECT endpoint, timeouts, CASE WHEN timeouts >= $4 THEN $5::timestamptz END,
               CASE WHEN timeouts >= $4 THEN $3::timestamptz END, $3, CASE WHEN recovered THEN $3::timestamptz END
        FROM per WHERE timeouts > 0
        ON CONFLICT (endpoint) DO UPDATE SET
            consecutive_timeouts = EXCLUDED.consecutive_timeouts
                + CASE WHEN EXCLUDED.recovered_at IS NULL THEN e.consecutive_timeouts ELSE 0 END,
            slow_until = CASE
                WHEN EXCLUDED.consecutive_timeouts
                     + CASE WHEN EXCLUDED.recovered_at IS NULL THEN e.consecutive_timeouts ELSE 0 END >= $4 THEN $5::timestamptz
                WHEN EXCLUDED.recovered_at IS NOT NULL THEN NULL
                ELSE e.slow_until END,
            tripped_at = CASE
                WHEN EXCLUDED.consecutive_timeouts
                     + CASE WHEN EXCLUDED.recovered_at IS NULL THEN e.consecutive_timeouts ELSE 0 END >= $4
                     AND NOT coalesce(e.slow_until > $3, false) THEN $3::timestamptz
                ELSE e.tripped_at END,
            last_timeout_at = $3,
            recovered_at = coalesce(EXCLUDED.recovered_at, e.recovered_at)
        RETURNING e.endpoint, coalesce(e.slow_until > $3, false) AS slow_now),
    healed AS (
        UPDATE webhook_endpoints e SET consecutive_timeouts = 0, slow_until = NULL, recovered_at = $3
        FROM per
        WHERE per.endpoint = e.endpoint AND per.timeouts = 0 AND per.recovered
          AND (e.consecutive_timeouts > 0 OR e.slow_until IS NOT NULL)
        RETURNING e.endpoint)
    SELECT (SELECT count(*) FROM timed JOIN per USING (endpoint) WHERE timed.slow_now AND NOT per.was_slow),
           (SELECT count(*) FROM healed JOIN per USING (endpoint) WHERE per.was_slow))sql"};

constexpr pg::query rescue_leases{"rescue_leases", R"sql(
    UPDATE webhook_deliveries SET state = 'pending', lease_until = NULL, leased_by = NULL, next_attempt_at = $1
    WHERE state = 'in_flight' AND lease_until < $1)sql"};

constexpr pg::query select_deliveries{"select_deliveries", R"sql(
    SELECT id, event_id, tenant_id, challenge_id, event_type, url, state, attempts, next_attempt_at, last_status,
           last_error, created_at, finished_at
    FROM webhook_deliveries
    WHERE ($1::uuid IS NULL OR tenant_id = $1) AND ($2::text IS NULL OR state = $2)
      AND ($4::uuid IS NULL OR challenge_id = $4)
    ORDER BY created_at DESC, id DESC LIMIT $3)sql"};

constexpr pg::query select_attempts{"select_attempts", R"sql(
    SELECT attempt_no, trigger, started_at, duration_ms, status_code, error_class
    FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempt_no)sql"};

constexpr pg::query select_delivery_exists{"select_delivery_exists", R"sql(
    SELECT 1 FROM webhook_deliveries WHERE id = $1)sql"};

constexpr pg::query redeliver_delivery{"redeliver_delivery", R"sql(
    UPDATE webhook_deliveries
    SET state = 'pending', next_attempt_at = $2, next_trigger = 'manual', finished_at = NULL
    WHERE id = $1 AND state <> 'in_flight')sql"};

constexpr pg::query select_queue_stats{"select_queue_stats", R"sql(
    SELECT count(*) FILTER (WHERE state = 'pending'), count(*) FILTER (WHERE state = 'in_flight'), min(created_at),
           (SELECT count(*) FROM webhook_endpoints WHERE slow_until > $1)
    FROM webhook_deliveries WHERE state IN ('pending', 'in_flight'))sql"};

constexpr pg::query select_endpoints{"select_endpoints", R"sql(
    SELECT e.endpoint, coalesce(e.slow_until > $3, false) AS slow, e.consecutive_timeouts, e.slow_until, e.tripped_at,
           e.last_timeout_at, e.recovered_at,
           (SELECT count(*) FROM webhook_deliveries d
            WHERE d.endpoint = e.endpoint AND d.state IN ('pending', 'in_flight') AND ($1::uuid IS NULL OR d.tenant_id = $1))
    FROM webhook_endpoints e
    WHERE ($1::uuid IS NULL OR EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.endpoint = e.endpoint AND d.tenant_id = $1))
      AND (NOT $2::boolean OR e.slow_until > $3)
    ORDER BY slow DESC, e.last_timeout_at DESC NULLS LAST, e.endpoint
    LIMIT $4)sql"};

std::string state_after(core::delivery_verdict v) {
    switch (v) {
        case core::delivery_verdict::delivered: return "delivered";
        case core::delivery_verdict::retry: return "pending";
        case core::delivery_verdict::exhausted: return "exhausted";
        case core::delivery_verdict::gone: return "gone";
    }
    return "exhausted";
}

std::optional<std::string> array_item(const std::optional<int>& value) {
    if (!value) return std::nullopt;
    return std::to_string(*value);
}

}  // namespace

bool is_delivery_state(std::string_view state) noexcept {
    return state == "pending" || state == "in_flight" || state == "delivered" || state == "exhausted" || state == "gone";
}

boost::asio::awaitable<std::vector<claimed_delivery>> delivery_store::claim_due(
    core::timestamp now, int limit, std::string worker_id, core::timestamp lease_until, claim_fairness fairness
) {
    std::vector<std::string> tenants, tenant_counts, endpoints, endpoint_counts;
    for (const auto& [tenant, running] : fairness.tenants_in_flight) {
        tenants.push_back(tenant);
        tenant_counts.push_back(std::to_string(running));
    }
    for (const auto& [endpoint, running] : fairness.endpoints_in_flight) {
        endpoints.push_back(endpoint);
        endpoint_counts.push_back(std::to_string(running));
    }
    pg::params p;
    p.add(now)
        .add(limit)
        .add(worker_id)
        .add(lease_until)
        .add(fairness.slow_lane)
        .add_text_array(tenants)
        .add_text_array(tenant_counts)
        .add(fairness.max_per_tenant)
        .add_text_array(endpoints)
        .add_text_array(endpoint_counts)
        .add(fairness.max_per_endpoint);
    auto rows = co_await db_.execute(claim_due_deliveries, p);
    std::vector<claimed_delivery> out;
    out.reserve(rows.size());
    for (const auto& r : rows) {
        claimed_delivery d;
        d.id = r.get<std::string>(0);
        d.event_id = r.get<std::string>(1);
        d.tenant_id = r.get<std::string>(2);
        d.endpoint = r.get<std::string>(3);
        d.lease_token = r.get<std::int64_t>(4);
        d.integration_id = r.get<std::string>(5);
        d.event_type = r.get<std::string>(6);
        d.url = r.get<std::string>(7);
        d.body = r.get<std::string>(8);
        d.attempt_no = r.get<int>(9);
        d.trigger = r.get<std::string>(10);
        if (!r.is_null(11)) d.secret_sealed = r.get_bytea(11);
        d.created_at = r.get<core::timestamp>(12);
        out.push_back(std::move(d));
    }
    co_return out;
}

boost::asio::awaitable<recorded_batch> delivery_store::record_attempts(
    std::vector<attempt_record> attempts, core::timestamp now, core::breaker_policy breaker
) {
    recorded_batch done;
    if (attempts.empty()) co_return done;
    std::vector<std::string> ids, tokens, numbers, triggers, started, durations, states;
    std::vector<std::optional<std::string>> statuses, errors, peers, snippets, next;
    std::vector<std::string> signal_endpoints, signal_timeouts;
    for (const auto& a : attempts) {
        ids.push_back(a.delivery_id);
        tokens.push_back(std::to_string(a.lease_token));
        numbers.push_back(std::to_string(a.attempt_no));
        triggers.push_back(a.trigger);
        started.push_back(core::format_rfc3339(a.started_at));
        durations.push_back(std::to_string(a.duration_ms));
        statuses.push_back(array_item(a.status_code));
        errors.push_back(a.error_class);
        peers.push_back(a.peer_address);
        snippets.push_back(a.response_snippet);
        states.push_back(state_after(a.decision.verdict));
        std::optional<std::string> next_at;
        if (a.decision.next_attempt_at) next_at = core::format_rfc3339(*a.decision.next_attempt_at);
        next.push_back(next_at);
        if (a.signal != core::endpoint_signal::none) {
            signal_endpoints.push_back(a.endpoint);
            signal_timeouts.push_back(a.signal == core::endpoint_signal::timeout ? "t" : "f");
        }
    }
    pg::params p;
    p.add_text_array(ids)
        .add_text_array(tokens)
        .add_text_array(numbers)
        .add_text_array(triggers)
        .add_text_array(started)
        .add_text_array(durations)
        .add_text_array(statuses)
        .add_text_array(errors)
        .add_text_array(peers)
        .add_text_array(snippets)
        .add_text_array(states)
        .add_text_array(next)
        .add(now);
    auto applied = co_await db_.execute(record_delivery_attempts, p);
    done.applied = applied.affected_rows();
    if (signal_endpoints.empty()) co_return done;
    pg::params signals;
    signals.add_text_array(signal_endpoints)
        .add_text_array(signal_timeouts)
        .add(now)
        .add(breaker.trip_after_timeouts)
        .add(now + breaker.hold);
    auto moved = co_await db_.execute(record_endpoint_signals, signals);
    done.moved_to_slow_lane = moved[0].get<std::int64_t>(0);
    done.moved_to_fast_lane = moved[0].get<std::int64_t>(1);
    co_return done;
}

boost::asio::awaitable<std::int64_t> delivery_store::rescue_expired_leases(core::timestamp now) {
    auto done = co_await db_.execute(rescue_leases, pg::params{}.add(now));
    co_return done.affected_rows();
}

boost::asio::awaitable<std::vector<delivery_summary>> delivery_store::list(
    std::optional<std::string> tenant_id, std::optional<std::string> state, int limit,
    std::optional<std::string> challenge_id
) {
    auto rows =
        co_await db_.execute(select_deliveries, pg::params{}.add(tenant_id).add(state).add(limit).add(challenge_id));
    std::vector<delivery_summary> out;
    for (const auto& r : rows) {
        out.push_back({
            r.get<std::string>(0),
            r.get<std::string>(1),
            r.get<std::string>(2),
            r.get<std::string>(3),
            r.get<std::string>(4),
            r.get<std::string>(5),
            r.get<std::string>(6),
            r.get<int>(7),
            r.get<core::timestamp>(8),
            r.get<std::optional<int>>(9),
            r.get<std::optional<std::string>>(10),
            r.get<core::timestamp>(11),
            r.get<std::optional<core::timestamp>>(12),
        });
    }
    co_return out;
}

boost::asio::awaitable<std::vector<attempt_summary>> delivery_store::attempts(std::string delivery_id) {
    auto rows = co_await db_.execute(select_attempts, pg::params{}.add(delivery_id));
    std::vector<attempt_summary> out;
    for (const auto& r : rows) {
        out.push_back({
            r.get<int>(0),
            r.get<std::string>(1),
            r.get<core::timestamp>(2),
            r.get<int>(3),
            r.get<std::optional<int>>(4),
            r.get<std::optional<std::string>>(5),
        });
    }
    co_return out;
}

boost::asio::awaitable<bool> delivery_store::exists(std::string delivery_id) {
    auto rows = co_await db_.execute(select_delivery_exists, pg::params{}.add(delivery_id));
    co_return rows.size() == 1;
}

boost::asio::awaitable<bool> delivery_store::redeliver(std::string delivery_id, core::timestamp now) {
    auto done = co_await db_.execute(redeliver_delivery, pg::params{}.add(delivery_id).add(now));
    co_return done.affected_rows() == 1;
}

boost::asio::awaitable<queue_stats> delivery_store::stats(core::timestamp now) {
    auto rows = co_await db_.execute(select_queue_stats, pg::params{}.add(now));
    co_return queue_stats{
        rows[0].get<std::int64_t>(0), rows[0].get<std::int64_t>(1), rows[0].get<std::optional<core::timestamp>>(2),
        rows[0].get<std::int64_t>(3)};
}

boost::asio::awaitable<std::vector<endpoint_health>> delivery_store::endpoints(
    std::optional<std::string> tenant_id, bool slow_only, core::timestamp now, int limit
) {
    auto rows = co_await db_.execute(select_endpoints, pg::params{}.add(tenant_id).add(slow_only).add(now).add(limit));
    std::vector<endpoint_health> out;
    for (const auto& r : rows) {
        out.push_back({
            r.get<std::string>(0),
            r.get<bool>(1),
            r.get<int>(2),
            r.get<std::optional<core::timestamp>>(3),
            r.get<std::optional<core::timestamp>>(4),
            r.get<std::optional<core::timestamp>>(5),
            r.get<std::optional<core::timestamp>>(6),
            r.get<std::int64_t>(7),
        });
    }
    co_return out;
}

}  // namespace chal::storage
