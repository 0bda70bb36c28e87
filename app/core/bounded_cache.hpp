// A least-recently-used map bounded both in entries and in bytes, for per-node caches and
// per-client state whose keys strangers choose: however many distinct keys arrive, it holds at
// most its bounds, and what is evicted is what was used longest ago.
#pragma once

#include <cstddef>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace chal::core {

struct cache_bounds {
    std::size_t max_entries = 10'000;
    std::size_t max_bytes = 4 * 1024 * 1024;
};

struct cache_usage {
    std::size_t entries = 0;
    std::size_t bytes = 0;
};

// Not thread-safe: like the rest of a node's state, it is touched only from the event loop.
template <class Value>
class bounded_cache {
public:
    // What an entry costs beyond its key and value bytes: the list node, the index slot and the
    // objects themselves, rounded up so many small entries cannot dodge the byte bound.
    static constexpr std::size_t entry_overhead = 128;

    explicit bounded_cache(cache_bounds bounds) : bounds_(bounds) {}
    bounded_cache(const bounded_cache&) = delete;
    bounded_cache& operator=(const bounded_cache&) = delete;

    // The value under `key`, which becomes the most recently used; nullptr when absent. The
    // pointer is valid until the next put, erase or clear.
    Value* find(std::string_view key) {
        auto it = index_.find(key);
        if (it == index_.end()) return nullptr;
        order_.splice(order_.begin(), order_, it->second);
        return &it->second->value;
    }

    // Stores `value` under `key` (replacing what was there) as the most recently used, counted
    // as `value_bytes` plus the key and the overhead, then evicts the least recently used
    // entries until both bounds hold. An entry that alone exceeds the byte bound is not kept.
    void put(std::string key, Value value, std::size_t value_bytes) {
        erase(key);
        const std::size_t cost = key.size() + value_bytes + entry_overhead;
        if (cost > bounds_.max_bytes || bounds_.max_entries == 0) return;
        order_.push_front(entry{std::move(key), std::move(value), cost});
        index_.emplace(std::string_view(order_.front().key), order_.begin());
        bytes_ += cost;
        while (order_.size() > bounds_.max_entries || bytes_ > bounds_.max_bytes) evict_oldest();
    }

    bool erase(std::string_view key) {
        auto it = index_.find(key);
        if (it == index_.end()) return false;
        auto node = it->second;
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

    cache_usage usage() const noexcept { return {order_.size(), bytes_}; }

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

    cache_bounds bounds_;
    std::list<entry> order_;  // most recently used first; list nodes never move, so keys can be viewed
    std::unordered_map<std::string_view, typename std::list<entry>::iterator> index_;
    std::size_t bytes_ = 0;
};

}  // namespace chal::core
