#include "app/services/dashboard.hpp"

#include "app/core/time.hpp"
#include "app/crypto/crypto.hpp"

namespace chal::services {
namespace {

std::chrono::seconds length_of(stats_window w) {
    switch (w) {
        case stats_window::day: return std::chrono::hours{24};
        case stats_window::week: return std::chrono::hours{24 * 7};
        case stats_window::month: return std::chrono::hours{24 * 30};
    }
    return std::chrono::hours{24};
}

}  // namespace

std::optional<stats_window> parse_stats_window(std::string_view text) noexcept {
    if (text == "24h") return stats_window::day;
    if (text == "7d") return stats_window::week;
    if (text == "30d") return stats_window::month;
    return std::nullopt;
}

std::string_view to_string(stats_window w) noexcept {
    switch (w) {
        case stats_window::day: return "24h";
        case stats_window::week: return "7d";
        case stats_window::month: return "30d";
    }
    return "24h";
}

dashboard::dashboard(storage::stats_store& stats, core::clock_function clock) : stats_(stats), clock_(std::move(clock)) {}

boost::asio::awaitable<core::result<challenge_overview>> dashboard::overview(
    core::principal who, std::string tenant_id, stats_window window
) {
    if (auto allowed = core::authorize(who, tenant_id, core::permission::view_challenges); !allowed) co_return allowed.error();
    const auto now = clock_();
    challenge_overview out;
    out.window = window;
    out.since = now - length_of(window);
    for (const auto* s : {"initiated", "in-progress", "verified", "failed", "expired"}) out.by_status[s] = 0;
    for (const auto* o : {"slack_command", "slack_api", "webhook_api", "console", "mcp"}) out.by_source[o] = 0;
    for (const auto* m : {"oidc", "saml", "none"}) out.by_auth_method[m] = 0;
    const auto floor = crypto::uuid_v7_floor(out.since);
    const auto stats = co_await stats_.challenges_since(tenant_id, floor, now);
    for (const auto& c : stats.counts) {
        out.by_status[c.status] += c.count;
        out.by_source[c.origin] += c.count;
        if (c.status == "verified" && !c.auth_method.empty()) out.by_auth_method[c.auth_method] += c.count;
        out.total += c.count;
    }
    // Every day of the window gets a bar, quiet ones too.
    for (auto day = std::chrono::floor<std::chrono::days>(out.since); day <= std::chrono::floor<std::chrono::days>(now);
         day += std::chrono::days{1}) {
        std::map<std::string, std::int64_t> zero;
        for (const auto& [status, _] : out.by_status) zero[status] = 0;
        out.by_day.emplace_back(core::format_rfc3339(day).substr(0, 10), std::move(zero));
    }
    for (const auto& d : stats.days) {
        for (auto& [day, counts] : out.by_day)
            if (day == d.day) counts[d.status] += d.count;
    }
    const auto finished = out.by_status["verified"] + out.by_status["failed"] + out.by_status["expired"];
    if (finished > 0) out.success_rate = static_cast<double>(out.by_status["verified"]) / static_cast<double>(finished);
    out.median_seconds_to_verify = stats.median_seconds_to_verify;
    co_return out;
}

}  // namespace chal::services
