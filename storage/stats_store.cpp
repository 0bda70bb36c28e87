#include "storage/stats_store.hpp"

namespace chal::storage {
namespace {

constexpr pg::query select_challenge_counts{"select_challenge_counts_since", R"sql(
    SELECT CASE WHEN status IN ('initiated', 'in-progress') AND expires_at <= $3 AND authenticated_at IS NULL THEN 'expired'
                ELSE status END,
           origin, coalesce(auth_method, ''), count(*)
    FROM challenges WHERE tenant_id = $1 AND id >= $2::uuid
    GROUP BY 1, 2, 3)sql"};

constexpr pg::query select_daily_counts{"select_daily_challenge_counts_since", R"sql(
    SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
           CASE WHEN status IN ('initiated', 'in-progress') AND expires_at <= $3 AND authenticated_at IS NULL THEN 'expired'
                ELSE status END,
           count(*)
    FROM challenges WHERE tenant_id = $1 AND id >= $2::uuid
    GROUP BY 1, 2)sql"};

constexpr pg::query select_median_time_to_verify{"select_median_time_to_verify_since", R"sql(
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - created_at))
    FROM challenges WHERE tenant_id = $1 AND id >= $2::uuid AND status = 'verified')sql"};

}  // namespace

boost::asio::awaitable<challenge_window_stats> stats_store::challenges_since(
    std::string tenant_id, std::string id_floor, core::timestamp now
) {
    challenge_window_stats out;
    for (const auto& row : co_await db_.execute(select_challenge_counts, pg::params{}.add(tenant_id).add(id_floor).add(now)))
        out.counts.push_back({row.get<std::string>(0), row.get<std::string>(1), row.get<std::string>(2), row.get<std::int64_t>(3)});
    for (const auto& row : co_await db_.execute(select_daily_counts, pg::params{}.add(tenant_id).add(id_floor).add(now)))
        out.days.push_back({row.get<std::string>(0), row.get<std::string>(1), row.get<std::int64_t>(2)});
    auto median = co_await db_.execute(select_median_time_to_verify, pg::params{}.add(tenant_id).add(id_floor));
    if (median.size() == 1 && !median[0].is_null(0)) out.median_seconds_to_verify = std::stod(median[0].get<std::string>(0));
    co_return out;
}

}  // namespace chal::storage
