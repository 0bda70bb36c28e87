// What every harness shares: the input as text or as fields, and the properties it checks
// beyond "no crash". A broken property aborts with its description, which libFuzzer reports
// as a crash (and the g++ replay as a failed test).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace chal::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) noexcept {
    return {reinterpret_cast<const char*>(data), size};
}

// The first `count - 1` lines of the input, then all that is left (newlines included); fields
// the input does not reach are empty. Seeds stay readable: one header or value a line, then a body.
inline std::vector<std::string_view> split_fields(std::string_view input, std::size_t count) {
    std::vector<std::string_view> fields;
    fields.reserve(count);
    while (fields.size() + 1 < count) {
        const auto newline = input.find('\n');
        fields.push_back(input.substr(0, newline));
        input = newline == std::string_view::npos ? std::string_view{} : input.substr(newline + 1);
    }
    fields.push_back(input);
    return fields;
}

inline void require(bool holds, const char* property) {
    if (!holds) {
        std::fprintf(stderr, "fuzz property broken: %s\n", property);
        std::abort();
    }
}

}  // namespace chal::fuzz
