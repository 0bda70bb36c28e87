// The callback outbox: claiming due deliveries with leases (FOR UPDATE SKIP LOCKED, so several
// instances never take the same row), recording attempts fenced by the lease holder, taking
// back expired leases, and the operator's list and redeliver.
#pragma once

#include "app/core/callback.hpp"
#include "app/core/time.hpp"
#include "storage/pg/pool.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <vector>

namespace chal::storage {

struct claimed_delivery {
    std::string id;
    std::string event_id;  // webhook-id
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
};

class delivery_store {
public:
    explicit delivery_store(pg::pool& db) : db_(db) {}

    // Leases up to `limit` due deliveries to `worker_id` until `lease_until`, oldest due first,
    // counting the attempt.
    boost::asio::awaitable<std::vector<claimed_delivery>> claim_due(
        core::timestamp now, int limit, std::string worker_id, core::timestamp lease_until
    );

    // Stores attempt rows and the next state of each delivery in one statement. A delivery
    // whose lease this worker no longer holds keeps its state (the attempt is still logged).
    boost::asio::awaitable<void> record_attempts(std::vector<attempt_record> attempts, std::string worker_id, core::timestamp now);

    // Gives a claimed delivery back uncounted, due at `next_attempt_at` (its endpoint was busy).
    boost::asio::awaitable<void> release(std::string delivery_id, std::string worker_id, core::timestamp next_attempt_at);

    // Returns leases that lapsed (a worker died mid-attempt) to the queue; returns how many.
    boost::asio::awaitable<std::int64_t> rescue_expired_leases(core::timestamp now);

    boost::asio::awaitable<std::vector<delivery_summary>> list(
        std::optional<std::string> tenant_id, std::optional<std::string> state, int limit
    );
    boost::asio::awaitable<std::vector<attempt_summary>> attempts(std::string delivery_id);

    // Queues a finished or pending delivery for an immediate manual attempt with the same
    // webhook-id and body. False when no such delivery exists or it is in flight now.
    boost::asio::awaitable<bool> redeliver(std::string delivery_id, core::timestamp now);

    boost::asio::awaitable<queue_stats> stats();

private:
    pg::pool& db_;
};

}  // namespace chal::storage
