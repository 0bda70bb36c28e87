// A per-node cache that outside input can grow (rate buckets keyed by address or key, cached
// lookups, Slack apps and misses): bounded in entries and in bytes, evicting the least recently
// used entry. Every operation is O(1), so nothing scans it on the event loop however full it is.
// Not thread-safe: like the rest of a node's state, it is touched only from the event loop.
#pragma once

#include <cstddef>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace chal::core {

struct cache_limits {
    std::size_t max_entries = 100'000;
    std::size_t max_bytes = 16 * 1024 * 1024;
};

struct cache_usage {
    std::size_t entries = 0;
    std::size_t bytes = 0;
};

template <class Value>
class bounded_cache {
public:
    // What one entry costs beyond its key and value: list node, hash node, bucket (an estimate
    // on the high side for libstdc++, so the byte bound holds).
    static constexpr std::size_t entry_overhead = 96;

    explicit bounded_cache(cache_limits limits) : limits_(limits) {}
    bounded_cache(const bounded_cache&) = delete;
    bounded_cache& operator=(const bounded_cache&) = delete;

    // The entry, now the most recently used; null when absent.
    Value* find(std::string_view key) {
        const auto it = index_.find(key);
        if (it == index_.end()) return nullptr;
        order_.splice(order_.begin(), order_, it->second);
        return &it->second->value;
    }

    // Stores `value` under `key` (replacing any), counted as `value_bytes` beyond sizeof(Value),
    // then evicts the least recently used entries until both bounds hold. Returns the stored
    // value, or null when the entry alone is over the byte bound (nothing is stored then).
    Value* insert_or_assign(std::string_view key, Value value, std::size_t value_bytes = 0) {
        erase(key);
        const std::size_t cost = key.size() + sizeof(Value) + value_bytes + entry_overhead;
        if (cost > limits_.max_bytes || limits_.max_entries == 0) return nullptr;
        order_.push_front(entry{std::string(key), std::move(value), cost});
        index_.emplace(order_.front().key, order_.begin());
        bytes_ += cost;
        while (index_.size() > limits_.max_entries || bytes_ > limits_.max_bytes) evict_oldest();
        return &order_.front().value;
    }

    // Whether there was an entry to erase.
    bool erase(std::string_view key) {
        const auto it = index_.find(key);
        if (it == index_.end()) return false;
        const auto node = it->second;
        bytes_ -= node->bytes;
        index_.erase(it);
        order_.erase(node);
        return true;
    }

    void clear() {
        index_.clear();
        order_.clear();
        bytes_ = 0;
    }

    cache_usage usage() const noexcept { return {index_.size(), bytes_}; }

private:
    struct entry {
        std::string key;
        Value value;
        std::size_t bytes;
    };

    void evict_oldest() {
        const auto& oldest = order_.back();
        bytes_ -= oldest.bytes;
        index_.erase(std::string_view(oldest.key));
        order_.pop_back();
    }

    cache_limits limits_;
    std::list<entry> order_;  // most recently used first; nodes never move, so the views below stay valid
    std::unordered_map<std::string_view, typename std::list<entry>::iterator> index_;
    std::size_t bytes_ = 0;
};

}  // namespace chal::core
