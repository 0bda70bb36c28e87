#include "storage/delivery_store.hpp"

namespace chal::storage {
namespace {

constexpr pg::query claim_due_deliveries{"claim_due_deliveries", R"sql(
    WITH due AS (
        SELECT id FROM webhook_deliveries
        WHERE state = 'pending' AND next_attempt_at <= $1
        ORDER BY next_attempt_at
        LIMIT $2 FOR UPDATE SKIP LOCKED)
    UPDATE webhook_deliveries d
    SET state = 'in_flight', attempts = d.attempts + 1, leased_by = $3, lease_until = $4
    FROM due WHERE d.id = due.id
    RETURNING d.id, d.event_id, d.integration_id, d.event_type, d.url, d.body, d.attempts, d.next_trigger,
              (SELECT i.webhook_secret_sealed FROM integrations i WHERE i.id = d.integration_id), d.created_at)sql"};

// Every column travels as a text array so one statement records a whole batch.
constexpr pg::query record_delivery_attempts{"record_delivery_attempts", R"sql(
    WITH r AS (
        SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::timestamptz[], $5::int[], $6::int[],
                             $7::text[], $8::text[], $9::text[], $10::text[], $11::timestamptz[])
            AS r (delivery_id, attempt_no, trigger, started_at, duration_ms, status_code, error_class,
                  peer_address, response_snippet, next_state, next_attempt_at)),
    logged AS (
        INSERT INTO webhook_attempts (delivery_id, attempt_no, trigger, started_at, duration_ms, status_code,
                                      error_class, peer_address, response_snippet)
        SELECT delivery_id, attempt_no, trigger, started_at, duration_ms, status_code, error_class, peer_address,
               response_snippet FROM r
        ON CONFLICT (delivery_id, attempt_no) DO NOTHING)
    UPDATE webhook_deliveries d
    SET state = r.next_state,
        next_attempt_at = coalesce(r.next_attempt_at, d.next_attempt_at),
        lease_until = NULL, leased_by = NULL, next_trigger = 'scheduled',
        last_status = r.status_code, last_error = r.error_class,
        finished_at = CASE WHEN r.next_state = 'pending' THEN NULL ELSE $13::timestamptz END
    FROM r
    WHERE d.id = r.delivery_id AND d.state = 'in_flight' AND d.leased_by = $12)sql"};

constexpr pg::query release_delivery{"release_delivery", R"sql(
    UPDATE webhook_deliveries
    SET state = 'pending', attempts = attempts - 1, next_attempt_at = $3, lease_until = NULL, leased_by = NULL
    WHERE id = $1 AND state = 'in_flight' AND leased_by = $2)sql"};

constexpr pg::query rescue_leases{"rescue_leases", R"sql(
    UPDATE webhook_deliveries SET state = 'pending', lease_until = NULL, leased_by = NULL, next_attempt_at = $1
    WHERE state = 'in_flight' AND lease_until < $1)sql"};

constexpr pg::query select_deliveries{"select_deliveries", R"sql(
    SELECT id, event_id, tenant_id, challenge_id, event_type, url, state, attempts, next_attempt_at, last_status,
           last_error, created_at, finished_at
    FROM webhook_deliveries
    WHERE ($1::uuid IS NULL OR tenant_id = $1) AND ($2::text IS NULL OR state = $2)
    ORDER BY created_at DESC, id DESC LIMIT $3)sql"};

constexpr pg::query select_attempts{"select_attempts", R"sql(
    SELECT attempt_no, trigger, started_at, duration_ms, status_code, error_class
    FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempt_no)sql"};

constexpr pg::query redeliver_delivery{"redeliver_delivery", R"sql(
    UPDATE webhook_deliveries
    SET state = 'pending', next_attempt_at = $2, next_trigger = 'manual', finished_at = NULL
    WHERE id = $1 AND state <> 'in_flight')sql"};

constexpr pg::query select_queue_stats{"select_queue_stats", R"sql(
    SELECT count(*) FILTER (WHERE state = 'pending'), count(*) FILTER (WHERE state = 'in_flight'), min(created_at)
    FROM webhook_deliveries WHERE state IN ('pending', 'in_flight'))sql"};

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

boost::asio::awaitable<std::vector<claimed_delivery>> delivery_store::claim_due(
    core::timestamp now, int limit, std::string worker_id, core::timestamp lease_until
) {
    auto rows = co_await db_.execute(claim_due_deliveries, pg::params{}.add(now).add(limit).add(worker_id).add(lease_until));
    std::vector<claimed_delivery> out;
    out.reserve(rows.size());
    for (const auto& r : rows) {
        out.push_back({
            r.get<std::string>(0),
            r.get<std::string>(1),
            r.get<std::string>(2),
            r.get<std::string>(3),
            r.get<std::string>(4),
            r.get<std::string>(5),
            r.get<int>(6),
            r.get<std::string>(7),
            r.is_null(8) ? std::nullopt : std::optional<std::string>(r.get_bytea(8)),
            r.get<core::timestamp>(9),
        });
    }
    co_return out;
}

boost::asio::awaitable<void> delivery_store::record_attempts(
    std::vector<attempt_record> attempts, std::string worker_id, core::timestamp now
) {
    if (attempts.empty()) co_return;
    std::vector<std::string> ids, numbers, triggers, started, durations, states;
    std::vector<std::optional<std::string>> statuses, errors, peers, snippets, next;
    for (const auto& a : attempts) {
        ids.push_back(a.delivery_id);
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
    }
    pg::params p;
    p.add_text_array(ids)
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
        .add(worker_id)
        .add(now);
    co_await db_.execute(record_delivery_attempts, p);
}

boost::asio::awaitable<void> delivery_store::release(
    std::string delivery_id, std::string worker_id, core::timestamp next_attempt_at
) {
    co_await db_.execute(release_delivery, pg::params{}.add(delivery_id).add(worker_id).add(next_attempt_at));
}

boost::asio::awaitable<std::int64_t> delivery_store::rescue_expired_leases(core::timestamp now) {
    auto done = co_await db_.execute(rescue_leases, pg::params{}.add(now));
    co_return done.affected_rows();
}

boost::asio::awaitable<std::vector<delivery_summary>> delivery_store::list(
    std::optional<std::string> tenant_id, std::optional<std::string> state, int limit
) {
    auto rows = co_await db_.execute(select_deliveries, pg::params{}.add(tenant_id).add(state).add(limit));
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

boost::asio::awaitable<bool> delivery_store::redeliver(std::string delivery_id, core::timestamp now) {
    auto done = co_await db_.execute(redeliver_delivery, pg::params{}.add(delivery_id).add(now));
    co_return done.affected_rows() == 1;
}

boost::asio::awaitable<queue_stats> delivery_store::stats() {
    auto rows = co_await db_.execute(select_queue_stats);
    co_return queue_stats{
        rows[0].get<std::int64_t>(0), rows[0].get<std::int64_t>(1), rows[0].get<std::optional<core::timestamp>>(2)};
}

}  // namespace chal::storage
