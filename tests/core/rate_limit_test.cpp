#include "app/core/rate_limit.hpp"

#include <gtest/gtest.h>

using namespace chal::core;
using std::chrono::milliseconds;

TEST(token_bucket, allows_a_burst_then_refuses_with_a_retry_after) {
    token_bucket bucket;
    const rate_limit limit{.per_second = 2, .burst = 3};
    const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours{1};
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(take_token(bucket, limit, t0).allowed);
    auto refused = take_token(bucket, limit, t0);
    EXPECT_FALSE(refused.allowed);
    EXPECT_EQ(refused.retry_after, std::chrono::seconds{1});
}

TEST(token_bucket, refills_at_the_sustained_rate) {
    token_bucket bucket;
    const rate_limit limit{.per_second = 2, .burst = 1};
    const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours{1};
    EXPECT_TRUE(take_token(bucket, limit, t0).allowed);
    EXPECT_FALSE(take_token(bucket, limit, t0 + milliseconds{100}).allowed);
    EXPECT_TRUE(take_token(bucket, limit, t0 + milliseconds{600}).allowed);
}

TEST(token_bucket, a_zero_rate_disables_limiting) {
    token_bucket bucket;
    for (int i = 0; i < 1000; ++i) EXPECT_TRUE(take_token(bucket, {.per_second = 0, .burst = 0}, {}).allowed);
}

TEST(token_bucket, peeking_tells_without_taking) {
    token_bucket bucket;
    const rate_limit limit{.per_second = 1, .burst = 1};
    const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours{1};
    EXPECT_TRUE(peek_token(bucket, limit, t0).allowed);
    EXPECT_TRUE(peek_token(bucket, limit, t0).allowed);
    EXPECT_TRUE(take_token(bucket, limit, t0).allowed);
    const auto spent = peek_token(bucket, limit, t0);
    EXPECT_FALSE(spent.allowed);
    EXPECT_EQ(spent.retry_after, std::chrono::seconds{1});
    EXPECT_TRUE(peek_token(bucket, limit, t0 + std::chrono::seconds{1}).allowed);
}
