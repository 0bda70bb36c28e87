// The callback outbox: claiming due deliveries with leases (FOR UPDATE SKIP LOCKED, so several
// instances never take the same row) fairly across tenants and endpoints, one lane at a time;
// recording attempts fenced by the lease token; the shared per-endpoint circuit breaker; taking
// back expired leases, and the operator's list and redeliver.
#pragma once

#include "app/core/callback.hpp"
#include "app/core/time.hpp"
#include "storage/pg/pool.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chal::storage {

// True for the states a delivery row can be in (the webhook_deliveries CHECK constraint).
bool is_delivery_state(std::string_view state) noexcept;

struct claimed_delivery {
    std::string id;
    std::string event_id;  // webhook-id
    std::string tenant_id;
    std::string endpoint;  // scheme://host[:port], the unit the per-endpoint bounds count
    std::int64_t lease_token = 0;  // the result is recorded only with this token
    std::string integration_id;
    std::string event_type;
    std::string url;
    std::string body;
    int attempt_no = 0;  // this attempt, counting from 1
    std::string trigger;  // "scheduled" or "manual"
    std::optional<std::string> secret_sealed;
    core::timestamp created_at{};
};

// One finished attempt and what the core decided about it.
struct attempt_record {
    std::string delivery_id;
    std::int64_t lease_token = 0;
    std::string endpoint;
    core::endpoint_signal signal = core::endpoint_signal::none;
    int attempt_no = 0;
    std::string trigger;
    core::timestamp started_at{};
    int duration_ms = 0;
    std::optional<int> status_code;
    std::optional<std::string> error_class;
    std::optional<std::string> peer_address;
    std::optional<std::string> response_snippet;
    core::delivery_decision decision{core::delivery_verdict::retry, std::nullopt};
};

struct delivery_summary {
    std::string id;
    std::string event_id;
    std::string tenant_id;
    std::string challenge_id;
    std::string event_type;
    std::string url;
    std::string state;
    int attempts = 0;
    core::timestamp next_attempt_at{};
    std::optional<int> last_status;
    std::optional<std::string> last_error;
    core::timestamp created_at{};
    std::optional<core::timestamp> finished_at;
};

struct attempt_summary {
    int attempt_no = 0;
    std::string trigger;
    core::timestamp started_at{};
    int duration_ms = 0;
    std::optional<int> status_code;
    std::optional<std::string> error_class;
};

struct queue_stats {
    std::int64_t pending = 0;
    std::int64_t in_flight = 0;
    std::optional<core::timestamp> oldest_unfinished_created_at;
    std::int64_t slow_endpoints = 0;  // endpoints in the slow lane now
};

// Which deliveries a claim may take: one lane, and room left per tenant and per endpoint given
// what the claimer already has in flight in that lane (its local budget).
struct claim_fairness {
    bool slow_lane = false;
    int max_per_tenant = 1 << 30;
    int max_per_endpoint = 1 << 30;
    std::vector<std::pair<std::string, int>> tenants_in_flight;    // tenant id, attempts running
    std::vector<std::pair<std::string, int>> endpoints_in_flight;  // endpoint, attempts running
};

// What recording a batch did: results applied (the rest had lost their lease) and breaker moves.
struct recorded_batch {
    std::int64_t applied = 0;
    std::int64_t moved_to_slow_lane = 0;
    std::int64_t moved_to_fast_lane = 0;
};

// An endpoint the breaker knows (it has timed out at least once).
struct endpoint_health {
    std::string endpoint;
    bool slow = false;
    int consecutive_timeouts = 0;
    std::optional<core::timestamp> slow_until;
    std::optional<core::timestamp> tripped_at;
    std::optional<core::timestamp> last_timeout_at;
    std::optional<core::timestamp> recovered_at;
    std::int64_t pending = 0;  // deliveries waiting for it (of the tenant asked about, if any)
};

class delivery_store {
public:
    explicit delivery_store(pg::pool& db) : db_(db) {}

    // Leases up to `limit` due deliveries of one lane to `worker_id` until `lease_until`, oldest
    // due first, counting the attempt and issuing a new lease token. No tenant or endpoint gets
    // more than its room in `fairness`, and tenants or endpoints without room do not hide the
    // rows of others behind theirs.
    boost::asio::awaitable<std::vector<claimed_delivery>> claim_due(
        core::timestamp now, int limit, std::string worker_id, core::timestamp lease_until, claim_fairness fairness = {}
    );

    // Stores attempt rows and the next state of each delivery in one statement, then feeds the
    // endpoints' signals to the breaker. A result whose lease token is no longer current (the
    // lease lapsed and the delivery was taken again) writes nothing at all.
    boost::asio::awaitable<recorded_batch> record_attempts(
        std::vector<attempt_record> attempts, core::timestamp now, core::breaker_policy breaker = {}
    );

    // Returns leases that lapsed (a worker died mid-attempt) to the queue; returns how many.
    boost::asio::awaitable<std::int64_t> rescue_expired_leases(core::timestamp now);

    // Newest first; each filter optional (a challenge's own deliveries: its tenant and id).
    boost::asio::awaitable<std::vector<delivery_summary>> list(
        std::optional<std::string> tenant_id, std::optional<std::string> state, int limit,
        std::optional<std::string> challenge_id = std::nullopt
    );
    boost::asio::awaitable<std::vector<attempt_summary>> attempts(std::string delivery_id);
    boost::asio::awaitable<bool> exists(std::string delivery_id);

    // Queues a finished or pending delivery for an immediate manual attempt with the same
    // webhook-id and body. False when no such delivery exists or it is in flight now.
    boost::asio::awaitable<bool> redeliver(std::string delivery_id, core::timestamp now);

    boost::asio::awaitable<queue_stats> stats(core::timestamp now);

    // The endpoints the breaker knows, slow ones first; with a tenant, only those it sends to.
    boost::asio::awaitable<std::vector<endpoint_health>> endpoints(
        std::optional<std::string> tenant_id, bool slow_only, core::timestamp now, int limit
    );

private:
    pg::pool& db_;
};

}  // namespace chal::storage
