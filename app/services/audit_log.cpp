#include "app/services/audit_log.hpp"

#include <charconv>

namespace chal::services {

boost::asio::awaitable<core::result<audit_page>> audit_log::list(
    core::principal who, std::string tenant_id, audit_filter_text text, int limit
) {
    if (auto allowed = core::authorize(who, tenant_id, core::permission::view_audit); !allowed) co_return allowed.error();
    storage::audit_filter filter;
    if (text.actor.size() > 300 || text.action.size() > 100) co_return core::errc::invalid_filter;
    if (!text.actor.empty()) filter.actor = text.actor;
    if (!text.action.empty()) filter.action_prefix = text.action;
    if (!text.outcome.empty()) {
        if (text.outcome != "success" && text.outcome != "denied" && text.outcome != "failed") co_return core::errc::invalid_filter;
        filter.outcome = text.outcome;
    }
    if (!text.from.empty()) {
        filter.from = core::parse_filter_time(text.from);
        if (!filter.from) co_return core::errc::invalid_filter;
    }
    if (!text.to.empty()) {
        const auto day = core::parse_filter_time(text.to);
        if (!day) co_return core::errc::invalid_filter;
        // A date covers its whole day; a time is exact.
        filter.until = text.to.size() == 10 ? *day + std::chrono::days{1} : *day;
    }
    std::optional<std::int64_t> before;
    if (!text.cursor.empty()) {
        std::int64_t id = 0;
        auto [end, ec] = std::from_chars(text.cursor.data(), text.cursor.data() + text.cursor.size(), id);
        if (ec != std::errc{} || end != text.cursor.data() + text.cursor.size() || id <= 0) co_return core::errc::invalid_filter;
        before = id;
    }
    // One extra row tells whether another page exists.
    auto rows = co_await store_.audit_events(tenant_id, std::move(filter), before, limit + 1);
    audit_page page;
    if (rows.size() > static_cast<std::size_t>(limit)) {
        rows.resize(static_cast<std::size_t>(limit));
        page.next_cursor = std::to_string(rows.back().id);
    }
    page.entries = std::move(rows);
    co_return page;
}

}  // namespace chal::services
