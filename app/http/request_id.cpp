#include "app/http/request_id.hpp"

#include <algorithm>

namespace chal::http {

bool is_sane_request_id(std::string_view id) noexcept {
    if (id.empty() || id.size() > 128) {
        return false;
    }
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
               c == '_' || c == '-';
    });
}

request_id_generator::request_id_generator() {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    engine_.seed(seed);
}

std::string request_id_generator::next() {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(32, '0');
    for (std::size_t half = 0; half < 2; ++half) {
        std::uint64_t bits = engine_();
        for (std::size_t i = 0; i < 16; ++i) {
            out[half * 16 + i] = digits[bits & 0xfU];
            bits >>= 4U;
        }
    }
    return out;
}

}  // namespace chal::http
