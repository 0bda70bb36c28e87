#include "app/core/time.hpp"

#include <charconv>
#include <cstdio>

namespace chal::core {

std::string format_rfc3339(timestamp t) {
    const auto day = std::chrono::floor<std::chrono::days>(t);
    const std::chrono::year_month_day ymd{day};
    const std::chrono::hh_mm_ss hms{t - day};
    char buffer[32];
    std::snprintf(
        buffer,
        sizeof buffer,
        "%04d-%02u-%02uT%02d:%02d:%02dZ",
        static_cast<int>(ymd.year()),
        static_cast<unsigned>(ymd.month()),
        static_cast<unsigned>(ymd.day()),
        static_cast<int>(hms.hours().count()),
        static_cast<int>(hms.minutes().count()),
        static_cast<int>(hms.seconds().count())
    );
    return buffer;
}

std::optional<timestamp> parse_rfc3339(std::string_view text) {
    // YYYY-MM-DDTHH:MM:SS then Z or +00:00
    if (text.size() < 20) return std::nullopt;
    auto number = [&](std::size_t pos, std::size_t len, int& out) {
        const char* first = text.data() + pos;
        auto [ptr, ec] = std::from_chars(first, first + len, out);
        return ec == std::errc{} && ptr == first + len;
    };
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    if (!number(0, 4, y) || text[4] != '-' || !number(5, 2, mo) || text[7] != '-' || !number(8, 2, d) ||
        (text[10] != 'T' && text[10] != 't') || !number(11, 2, h) || text[13] != ':' || !number(14, 2, mi) ||
        text[16] != ':' || !number(17, 2, s))
        return std::nullopt;
    const std::string_view zone = text.substr(19);
    if (zone != "Z" && zone != "z" && zone != "+00:00") return std::nullopt;
    const std::chrono::year_month_day ymd{
        std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(mo)}, std::chrono::day{static_cast<unsigned>(d)}};
    if (!ymd.ok() || h > 23 || mi > 59 || s > 59) return std::nullopt;
    return timestamp{std::chrono::sys_days{ymd}} + std::chrono::hours{h} + std::chrono::minutes{mi} +
           std::chrono::seconds{s};
}

timestamp system_now() {
    return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

std::optional<timestamp> parse_filter_time(std::string_view text) {
    if (text.size() != 10) return parse_rfc3339(text);
    if (text[4] != '-' || text[7] != '-') return std::nullopt;
    int y = 0;
    unsigned m = 0, d = 0;
    const auto number = [](std::string_view part, auto& out) {
        auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), out);
        return ec == std::errc{} && end == part.data() + part.size();
    };
    if (!number(text.substr(0, 4), y) || !number(text.substr(5, 2), m) || !number(text.substr(8, 2), d)) return std::nullopt;
    const std::chrono::year_month_day date{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
    if (!date.ok() || y < 2000 || y > 9999) return std::nullopt;
    return timestamp{std::chrono::sys_days{date}};
}

}  // namespace chal::core
