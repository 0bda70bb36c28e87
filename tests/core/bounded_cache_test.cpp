// core::bounded_cache: per-node caches keyed by what clients send stay within their entry and
// byte bounds, evicting the least recently used entry first.
#include "app/core/bounded_cache.hpp"

#include <gtest/gtest.h>

#include <string>

namespace chal::core {
namespace {

TEST(bounded_cache, never_holds_more_entries_than_its_bound) {
    bounded_cache<int> cache({.max_entries = 3, .max_bytes = 1 << 20});
    for (int i = 0; i < 1000; ++i) cache.insert_or_assign("key-" + std::to_string(i), i);
    EXPECT_EQ(cache.usage().entries, 3u);
    EXPECT_TRUE(cache.find("key-999"));
    EXPECT_FALSE(cache.find("key-0"));
}

TEST(bounded_cache, never_holds_more_bytes_than_its_bound_however_long_the_keys) {
    bounded_cache<int> cache({.max_entries = 1'000'000, .max_bytes = 10'000});
    for (int i = 0; i < 1000; ++i) cache.insert_or_assign(std::string(500, 'k') + std::to_string(i), i);
    EXPECT_LE(cache.usage().bytes, 10'000u);
    EXPECT_GT(cache.usage().entries, 0u);
    EXPECT_LT(cache.usage().entries, 20u);
}

TEST(bounded_cache, evicts_the_least_recently_used_entry) {
    bounded_cache<int> cache({.max_entries = 2, .max_bytes = 1 << 20});
    cache.insert_or_assign("a", 1);
    cache.insert_or_assign("b", 2);
    ASSERT_TRUE(cache.find("a"));  // "b" is now the oldest
    cache.insert_or_assign("c", 3);
    EXPECT_TRUE(cache.find("a"));
    EXPECT_FALSE(cache.find("b"));
    EXPECT_EQ(*cache.find("c"), 3);
}

TEST(bounded_cache, replaces_and_erases_with_the_bytes_accounted) {
    bounded_cache<int> cache({.max_entries = 10, .max_bytes = 1 << 20});
    cache.insert_or_assign("a", 1, 100);
    const auto with_a = cache.usage().bytes;
    cache.insert_or_assign("a", 2, 100);
    EXPECT_EQ(cache.usage().bytes, with_a);
    EXPECT_EQ(*cache.find("a"), 2);
    cache.erase("a");
    EXPECT_EQ(cache.usage().entries, 0u);
    EXPECT_EQ(cache.usage().bytes, 0u);
}

TEST(bounded_cache, refuses_an_entry_larger_than_the_whole_bound) {
    bounded_cache<int> cache({.max_entries = 10, .max_bytes = 200});
    EXPECT_FALSE(cache.insert_or_assign(std::string(1000, 'x'), 1));
    EXPECT_EQ(cache.usage().entries, 0u);
}

TEST(bounded_cache, many_tiny_entries_still_meet_the_byte_bound) {
    bounded_cache<int> cache(cache_limits{.max_entries = 1'000'000, .max_bytes = 64 * 1024});
    for (int i = 0; i < 100'000; ++i) cache.insert_or_assign(std::to_string(i), i);
    EXPECT_LE(cache.usage().bytes, 64u * 1024);
    EXPECT_LE(cache.usage().entries, 64u * 1024 / bounded_cache<int>::entry_overhead);
}

TEST(bounded_cache, erases_and_clears) {
    bounded_cache<std::string> cache(cache_limits{});
    cache.insert_or_assign("a", "x", 1);
    cache.insert_or_assign("b", "y", 1);
    EXPECT_TRUE(cache.erase("a"));
    EXPECT_FALSE(cache.erase("a"));
    EXPECT_EQ(cache.usage().entries, 1u);
    cache.clear();
    EXPECT_EQ(cache.usage().entries, 0u);
    EXPECT_EQ(cache.usage().bytes, 0u);
    EXPECT_EQ(cache.find("b"), nullptr);
}

}  // namespace
}  // namespace chal::core
