// The audit log as a tenant's Owners and Admins read it: every challenge event and admin action
// (refused attempts included), newest first, filtered, keyset-paginated.
#pragma once

#include "app/core/permissions.hpp"
#include "storage/console_store.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <vector>

namespace chal::services {

// The filters as typed into the URL; empty means any.
struct audit_filter_text {
    std::string actor, action, outcome, from, to;  // from/to: dates (to inclusive) or RFC 3339 times
    std::string cursor;                            // the previous page's next cursor
};

struct audit_page {
    std::vector<storage::audit_entry> entries;
    std::optional<std::string> next_cursor;
};

class audit_log {
public:
    audit_log(storage::console_store& store) : store_(store) {}

    // errc::invalid_filter for a filter it does not understand.
    boost::asio::awaitable<core::result<audit_page>> list(core::principal who, std::string tenant_id, audit_filter_text filter, int limit);

private:
    storage::console_store& store_;
};

}  // namespace chal::services
