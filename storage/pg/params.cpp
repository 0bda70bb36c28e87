#include "storage/pg/params.hpp"

#include "storage/pg/text_format.hpp"

#include <charconv>
#include <stdexcept>
#include <utility>

namespace chal::pg {

params& params::add_text(std::string text) {
    entries_.push_back(entry{std::move(text), false, false});
    return *this;
}

params& params::add(std::string_view value) {
    // libpq sends text parameters as C strings: a NUL would silently cut the value short.
    if (value.find('\0') != std::string_view::npos) {
        throw std::invalid_argument("pg: text parameter contains a NUL byte (use add_bytea)");
    }
    return add_text(std::string{value});
}

params& params::add(const char* value) {
    if (value == nullptr) {
        return add_null();
    }
    return add_text(std::string{value});
}

params& params::add(std::int64_t value) {
    char buffer[24];
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    return add_text(std::string{buffer, end});
}

params& params::add(int value) {
    return add(static_cast<std::int64_t>(value));
}

params& params::add(bool value) {
    return add_text(value ? "true" : "false");
}

params& params::add(std::chrono::sys_seconds value) {
    return add_text(text_format::format_timestamp(value));
}

params& params::add_null() {
    entries_.push_back(entry{std::string{}, true, false});
    return *this;
}

params& params::add_bytea(std::string_view raw_bytes) {
    // Binary format: bytea's binary representation is the raw bytes themselves.
    entries_.push_back(entry{std::string{raw_bytes}, false, true});
    return *this;
}

params& params::add_text_array(const std::vector<std::string>& elements) {
    return add_text(text_format::format_text_array(elements));
}

params& params::add_text_array(const std::vector<std::optional<std::string>>& elements) {
    return add_text(text_format::format_text_array(elements));
}

}  // namespace chal::pg
