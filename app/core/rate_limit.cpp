#include "app/core/rate_limit.hpp"

#include <algorithm>
#include <cmath>

namespace chal::core {

rate_decision take_token(token_bucket& bucket, const rate_limit& limit, std::chrono::steady_clock::time_point now) {
    if (limit.per_second <= 0) return {true, std::chrono::seconds{0}};
    if (bucket.tokens < 0) {
        bucket.tokens = limit.burst;
    } else {
        const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
        bucket.tokens = std::min(limit.burst, bucket.tokens + std::max(0.0, elapsed) * limit.per_second);
    }
    bucket.updated = now;
    if (bucket.tokens >= 1.0) {
        bucket.tokens -= 1.0;
        return {true, std::chrono::seconds{0}};
    }
    const double wait = (1.0 - bucket.tokens) / limit.per_second;
    return {false, std::chrono::seconds{std::max<long long>(1, static_cast<long long>(std::ceil(wait)))}};
}

rate_decision peek_token(const token_bucket& bucket, const rate_limit& limit, std::chrono::steady_clock::time_point now) {
    token_bucket copy = bucket;
    return take_token(copy, limit, now);
}

}  // namespace chal::core
