// Failed authentications counted per client address, so a flood of made-up keys, cookies or
// links is refused before each one costs a database lookup. Shared by the REST API and the
// console. Bounded in entries and bytes like every cache fed by strangers.
#pragma once

#include "app/core/bounded_cache.hpp"
#include "app/core/rate_limit.hpp"

#include <chrono>
#include <optional>
#include <string_view>

namespace chal::core {

class failure_throttle {
public:
    failure_throttle(rate_limit limit, cache_limits limits) : limit_(limit), buckets_(limits) {}

    // How long `address` must wait before it may try again, or nullopt when it may try now.
    std::optional<std::chrono::seconds> refusal(std::string_view address, std::chrono::steady_clock::time_point now) const {
        if (!is_enabled(limit_)) return std::nullopt;
        const auto* bucket = buckets_.find(address);
        if (!bucket) return std::nullopt;
        const auto decision = peek_token(*bucket, limit_, now);
        if (decision.allowed) return std::nullopt;
        return decision.retry_after;
    }

    // One more failure from `address`.
    void count_failure(std::string_view address, std::chrono::steady_clock::time_point now) {
        if (!is_enabled(limit_)) return;
        auto* bucket = buckets_.find(address);
        if (!bucket) bucket = buckets_.insert_or_assign(address, token_bucket{});
        if (bucket) take_token(*bucket, limit_, now);
    }

private:
    rate_limit limit_;
    mutable bounded_cache<token_bucket> buckets_;  // find() refreshes recency
};

}  // namespace chal::core
