#include "app/core/bounded_cache.hpp"

#include <gtest/gtest.h>

#include <string>

using chal::core::bounded_cache;
using chal::core::cache_bounds;

namespace {

constexpr std::size_t overhead = bounded_cache<int>::entry_overhead;

}  // namespace

TEST(bounded_cache, evicts_the_least_recently_used_entry_beyond_its_entry_bound) {
    bounded_cache<int> cache(cache_bounds{.max_entries = 2, .max_bytes = 1 << 20});
    cache.put("a", 1, 0);
    cache.put("b", 2, 0);
    ASSERT_NE(cache.find("a"), nullptr);  // "b" is now the oldest
    cache.put("c", 3, 0);
    EXPECT_EQ(cache.usage().entries, 2u);
    EXPECT_EQ(cache.find("b"), nullptr);
    ASSERT_NE(cache.find("a"), nullptr);
    EXPECT_EQ(*cache.find("a"), 1);
    EXPECT_EQ(*cache.find("c"), 3);
}

TEST(bounded_cache, counts_keys_values_and_overhead_against_its_byte_bound) {
    const std::size_t one = 10 + 100 + overhead;  // a 10-byte key with a 100-byte value
    bounded_cache<int> cache(cache_bounds{.max_entries = 100, .max_bytes = 3 * one});
    for (int i = 0; i < 10; ++i) cache.put("key-" + std::to_string(100000 + i), i, 100);
    EXPECT_EQ(cache.usage().entries, 3u);
    EXPECT_EQ(cache.usage().bytes, 3 * one);
    EXPECT_NE(cache.find("key-100009"), nullptr);
    EXPECT_EQ(cache.find("key-100006"), nullptr);
}

TEST(bounded_cache, many_tiny_entries_still_meet_the_byte_bound) {
    bounded_cache<int> cache(cache_bounds{.max_entries = 1'000'000, .max_bytes = 64 * 1024});
    for (int i = 0; i < 100'000; ++i) cache.put(std::to_string(i), i, 0);
    EXPECT_LE(cache.usage().bytes, 64u * 1024);
    EXPECT_LE(cache.usage().entries, 64u * 1024 / overhead);
}

TEST(bounded_cache, replacing_an_entry_recounts_its_bytes) {
    bounded_cache<int> cache(cache_bounds{.max_entries = 10, .max_bytes = 1 << 20});
    cache.put("k", 1, 500);
    cache.put("k", 2, 20);
    EXPECT_EQ(cache.usage().entries, 1u);
    EXPECT_EQ(cache.usage().bytes, 1 + 20 + overhead);
    EXPECT_EQ(*cache.find("k"), 2);
}

TEST(bounded_cache, does_not_keep_an_entry_larger_than_its_whole_byte_bound) {
    bounded_cache<int> cache(cache_bounds{.max_entries = 10, .max_bytes = 1024});
    cache.put("small", 1, 10);
    cache.put("huge", 2, 4096);
    EXPECT_EQ(cache.find("huge"), nullptr);
    EXPECT_NE(cache.find("small"), nullptr) << "nothing else was evicted for it";
    cache.put("small", 3, 4096);
    EXPECT_EQ(cache.find("small"), nullptr) << "an oversized replacement drops the old value too";
    EXPECT_EQ(cache.usage().bytes, 0u);
}

TEST(bounded_cache, erases_and_clears) {
    bounded_cache<std::string> cache(cache_bounds{});
    cache.put("a", "x", 1);
    cache.put("b", "y", 1);
    EXPECT_TRUE(cache.erase("a"));
    EXPECT_FALSE(cache.erase("a"));
    EXPECT_EQ(cache.usage().entries, 1u);
    cache.clear();
    EXPECT_EQ(cache.usage().entries, 0u);
    EXPECT_EQ(cache.usage().bytes, 0u);
    EXPECT_EQ(cache.find("b"), nullptr);
}
