// Token-bucket rate limiting as arithmetic: the caller keeps the bucket, this decides.
#pragma once

#include <chrono>

namespace chal::core {

struct rate_limit {
    double per_second = 20.0;  // sustained rate
    double burst = 40.0;       // bucket size
};

struct token_bucket {
    double tokens = -1.0;  // negative: never used, starts full
    std::chrono::steady_clock::time_point updated{};
};

struct rate_decision {
    bool allowed;
    std::chrono::seconds retry_after;  // whole seconds until one token is back (at least 1 when refused)
};

// Takes one token if there is one. A limit with per_second <= 0 disables limiting.
rate_decision take_token(token_bucket& bucket, const rate_limit& limit, std::chrono::steady_clock::time_point now);

// Whether take_token would allow now, without taking (for a check before work that only its
// failure pays for).
rate_decision peek_token(const token_bucket& bucket, const rate_limit& limit, std::chrono::steady_clock::time_point now);

inline bool is_enabled(const rate_limit& limit) noexcept {
    return limit.per_second > 0;
}

}  // namespace chal::core
