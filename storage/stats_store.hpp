// Counts behind the console's dashboard, read over the challenges index by id range (ids are
// UUIDv7, so "created since" is "id at or above the time's floor").
#pragma once

#include "app/core/time.hpp"
#include "storage/pg/pool.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <vector>

namespace chal::storage {

// How many challenges created in the window share one observed status, origin and auth method.
struct challenge_count {
    std::string status;  // observed at `now`: a live challenge past its expiry counts as expired
    std::string origin;
    std::string auth_method;  // "" when none yet
    std::int64_t count = 0;
};

// How many challenges created on one UTC day ended up (so far) in one observed status.
struct daily_count {
    std::string day;  // YYYY-MM-DD
    std::string status;
    std::int64_t count = 0;
};

struct challenge_window_stats {
    std::vector<challenge_count> counts;
    std::vector<daily_count> days;
    std::optional<double> median_seconds_to_verify;
};

class stats_store {
public:
    explicit stats_store(pg::pool& db) : db_(db) {}

    // Challenges of `tenant_id` whose id is at or above `id_floor`.
    boost::asio::awaitable<challenge_window_stats> challenges_since(std::string tenant_id, std::string id_floor, core::timestamp now);

private:
    pg::pool& db_;
};

}  // namespace chal::storage
