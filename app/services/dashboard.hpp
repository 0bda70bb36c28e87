// The console's dashboard and /api/v1/stats/challenges: what happened to a tenant's challenges
// in the last 24 hours, 7 days or 30 days.
#pragma once

#include "app/core/permissions.hpp"
#include "storage/stats_store.hpp"

#include <boost/asio/awaitable.hpp>

#include <map>
#include <utility>
#include <vector>
#include <optional>
#include <string>

namespace chal::services {

enum class stats_window { day, week, month };
std::optional<stats_window> parse_stats_window(std::string_view text) noexcept;  // "24h", "7d", "30d"
std::string_view to_string(stats_window w) noexcept;

struct challenge_overview {
    stats_window window = stats_window::day;
    core::timestamp since;
    std::map<std::string, std::int64_t> by_status;  // every status, zero included
    std::map<std::string, std::int64_t> by_source;  // every origin, zero included
    std::map<std::string, std::int64_t> by_auth_method;  // oidc, saml, none (verified ones)
    // Per UTC day of the window, oldest first: counts by status (every status, zero included).
    std::vector<std::pair<std::string, std::map<std::string, std::int64_t>>> by_day;
    std::int64_t total = 0;
    std::optional<double> success_rate;  // verified / finished (verified, failed, expired)
    std::optional<double> median_seconds_to_verify;
};

class dashboard {
public:
    dashboard(storage::stats_store& stats, core::clock_function clock);

    boost::asio::awaitable<core::result<challenge_overview>> overview(core::principal who, std::string tenant_id, stats_window window);

private:
    storage::stats_store& stats_;
    core::clock_function clock_;
};

}  // namespace chal::services
