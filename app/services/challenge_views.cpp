#include "app/services/challenge_views.hpp"

#include "app/core/time.hpp"
#include "app/crypto/crypto.hpp"

#include <chrono>

namespace chal::services {
namespace {

std::optional<std::string> non_empty(const std::string& s) {
    return s.empty() ? std::nullopt : std::optional(s);
}

}  // namespace

core::result<storage::challenge_filter> parse_challenge_filter(const challenge_filter_text& text) {
    storage::challenge_filter f;
    if (!text.status.empty()) {
        f.status = core::parse_challenge_status(text.status);
        if (!f.status) return core::errc::invalid_filter;
    }
    if (!text.source.empty()) {
        f.origin = core::parse_challenge_origin(text.source);
        if (!f.origin) return core::errc::invalid_filter;
    }
    for (const auto* value : {&text.target, &text.requester})
        if (value->size() > 256) return core::errc::invalid_filter;
    f.target = non_empty(text.target);
    f.requester = non_empty(text.requester);
    if (!text.from.empty()) {
        // A date, or an exact time (the dashboard's "last 24 hours" links to what it counted).
        const auto at = core::parse_filter_time(text.from);
        if (!at) return core::errc::invalid_filter;
        f.from_id = crypto::uuid_v7_floor(*at);
    }
    if (!text.to.empty()) {
        const auto day = core::parse_filter_time(text.to);
        if (!day || text.to.size() != 10) return core::errc::invalid_filter;
        f.until_id = crypto::uuid_v7_floor(*day + std::chrono::days{1});
    }
    return f;
}

challenge_views::challenge_views(storage::challenge_store& challenges, storage::delivery_store& deliveries, core::clock_function clock)
    : challenges_(challenges), deliveries_(deliveries), clock_(std::move(clock)) {}

boost::asio::awaitable<core::result<storage::challenge_page>> challenge_views::list(
    core::principal who, std::string tenant_id, challenge_filter_text filter, int limit
) {
    if (auto allowed = core::authorize(who, tenant_id, core::permission::view_challenges); !allowed) co_return allowed.error();
    auto parsed = parse_challenge_filter(filter);
    if (!parsed) co_return parsed.error();
    if (!filter.cursor.empty() && !crypto::is_uuid(filter.cursor)) co_return core::errc::invalid_filter;
    co_return co_await challenges_.search(tenant_id, std::move(*parsed), non_empty(filter.cursor), limit, clock_());
}

boost::asio::awaitable<core::result<challenge_detail>> challenge_views::detail(
    core::principal who, std::string tenant_id, std::string id
) {
    if (auto allowed = core::authorize(who, tenant_id, core::permission::view_challenges); !allowed) co_return allowed.error();
    if (!crypto::is_uuid(id)) co_return core::errc::challenge_not_found;
    auto found = co_await challenges_.find(tenant_id, id);
    if (!found) co_return core::errc::challenge_not_found;
    // Each awaited value is named first: g++ 12 destroys a co_await inside a braced initializer twice.
    challenge_detail out;
    out.challenge = std::move(*found);
    out.timeline = co_await challenges_.timeline(tenant_id, id);
    auto deliveries = co_await deliveries_.list(tenant_id, std::nullopt, 20, id);
    for (auto& d : deliveries) {
        auto attempts = co_await deliveries_.attempts(d.id);
        out.deliveries.push_back({std::move(d), std::move(attempts)});
    }
    co_return out;
}

}  // namespace chal::services
