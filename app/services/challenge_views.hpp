// What the console (and next the JSON API) shows of a tenant's challenges: a filtered, keyset-
// paginated list, and one challenge with its timeline and callback deliveries.
#pragma once

#include "app/core/permissions.hpp"
#include "storage/challenge_store.hpp"
#include "storage/delivery_store.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <vector>

namespace chal::services {

// The list's filters as a person typed them into the URL; empty means "any".
struct challenge_filter_text {
    // from/to: YYYY-MM-DD (UTC days, to inclusive); from may also be an RFC 3339 time.
    std::string status, source, target, requester, from, to;
    std::string cursor;                                        // the previous page's next cursor
};

struct delivery_view {
    storage::delivery_summary delivery;
    std::vector<storage::attempt_summary> attempts;
};

struct challenge_detail {
    core::challenge challenge;
    std::vector<storage::timeline_entry> timeline;
    std::vector<delivery_view> deliveries;
};

class challenge_views {
public:
    challenge_views(storage::challenge_store& challenges, storage::delivery_store& deliveries, core::clock_function clock);

    // errc::invalid_filter for a filter the list does not understand.
    boost::asio::awaitable<core::result<storage::challenge_page>> list(
        core::principal who, std::string tenant_id, challenge_filter_text filter, int limit
    );
    // errc::challenge_not_found when it is not the tenant's.
    boost::asio::awaitable<core::result<challenge_detail>> detail(core::principal who, std::string tenant_id, std::string id);

private:
    storage::challenge_store& challenges_;
    storage::delivery_store& deliveries_;
    core::clock_function clock_;
};

// The typed filter, or errc::invalid_filter.
core::result<storage::challenge_filter> parse_challenge_filter(const challenge_filter_text& text);

}  // namespace chal::services
