// Positional query parameters ($1, $2, ...), sent apart from the SQL text, never spliced into it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chal::pg {

// Parameters in text format (bytea in binary format), in the order of their $n. The server
// infers each parameter's type from the statement; add a cast in SQL ($1::bigint) where it
// cannot. Building throws std::invalid_argument for text containing a NUL byte (PostgreSQL
// text cannot hold one; use add_bytea) and std::out_of_range for timestamps outside years
// 1..9999.
class params {
public:
    params& add(std::string_view value);
    params& add(const char* value);  // nullptr is SQL NULL
    params& add(std::int64_t value);
    params& add(int value);
    params& add(bool value);
    params& add(std::chrono::sys_seconds value);  // sent as 'YYYY-MM-DD HH:MM:SS+00'
    template <class T>
    params& add(const std::optional<T>& value) {
        return value ? add(*value) : add_null();
    }
    // Any other pointer would silently become a bool.
    template <class T>
    params& add(const T* value) = delete;

    params& add_null();
    params& add_bytea(std::string_view raw_bytes);
    params& add_text_array(const std::vector<std::string>& elements);
    // nullopt elements are SQL NULL.
    params& add_text_array(const std::vector<std::optional<std::string>>& elements);

    std::size_t size() const noexcept { return entries_.size(); }
    bool empty() const noexcept { return entries_.empty(); }
    bool is_null(std::size_t index) const { return entries_.at(index).is_null; }
    bool is_binary(std::size_t index) const { return entries_.at(index).is_binary; }
    // The bytes sent for parameter `index`; NUL-terminated in storage, as libpq needs.
    const std::string& value(std::size_t index) const { return entries_.at(index).bytes; }

private:
    struct entry {
        std::string bytes;
        bool is_null = false;
        bool is_binary = false;
    };
    params& add_text(std::string text);

    std::vector<entry> entries_;
};

}  // namespace chal::pg
