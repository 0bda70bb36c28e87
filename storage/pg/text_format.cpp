#include "storage/pg/text_format.hpp"

#include <charconv>
#include <cstdio>
#include <stdexcept>

namespace chal::pg::text_format {

namespace {

// Reads exactly `count` digits at `pos`.
bool read_fixed(std::string_view text, std::size_t& pos, std::size_t count, int& out) {
    if (pos + count > text.size()) {
        return false;
    }
    int value = 0;
    for (std::size_t i = pos; i < pos + count; ++i) {
        const char c = text[i];
        if (c < '0' || c > '9') {
            return false;
        }
        value = value * 10 + (c - '0');
    }
    out = value;
    pos += count;
    return true;
}

bool read_char(std::string_view text, std::size_t& pos, char expected) {
    if (pos < text.size() && text[pos] == expected) {
        ++pos;
        return true;
    }
    return false;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

}  // namespace

std::string format_timestamp(std::chrono::sys_seconds t) {
    using namespace std::chrono;
    const auto day = floor<days>(t);
    const year_month_day date{day};
    const int y = static_cast<int>(date.year());
    if (y < 1 || y > 9999) {
        throw std::out_of_range("pg: timestamp outside years 1..9999");
    }
    const hh_mm_ss time{t - day};
    char buffer[32];
    std::snprintf(
        buffer,
        sizeof buffer,
        "%04d-%02u-%02u %02d:%02d:%02d+00",
        y,
        static_cast<unsigned>(date.month()),
        static_cast<unsigned>(date.day()),
        static_cast<int>(time.hours().count()),
        static_cast<int>(time.minutes().count()),
        static_cast<int>(time.seconds().count())
    );
    return buffer;
}

std::optional<std::chrono::sys_seconds> parse_timestamp(std::string_view text) {
    using namespace std::chrono;
    std::size_t pos = 0;
    // The year has four or more digits; PostgreSQL allows up to 294276.
    std::size_t year_end = 0;
    while (year_end < text.size() && text[year_end] >= '0' && text[year_end] <= '9') {
        ++year_end;
    }
    if (year_end < 4 || year_end > 6) {
        return std::nullopt;
    }
    int y = 0;
    int mo = 0;
    int d = 0;
    if (!read_fixed(text, pos, year_end, y) || !read_char(text, pos, '-') || !read_fixed(text, pos, 2, mo) ||
        !read_char(text, pos, '-') || !read_fixed(text, pos, 2, d)) {
        return std::nullopt;
    }
    const year_month_day date{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (!date.ok()) {
        return std::nullopt;
    }
    int h = 0;
    int mi = 0;
    int s = 0;
    if (pos < text.size()) {
        if (!(read_char(text, pos, ' ') || read_char(text, pos, 'T')) || !read_fixed(text, pos, 2, h) ||
            !read_char(text, pos, ':') || !read_fixed(text, pos, 2, mi) || !read_char(text, pos, ':') ||
            !read_fixed(text, pos, 2, s)) {
            return std::nullopt;
        }
        if (h > 23 || mi > 59 || s > 59) {
            return std::nullopt;
        }
        if (read_char(text, pos, '.')) {
            const std::size_t digits_start = pos;
            while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
                ++pos;
            }
            if (pos == digits_start) {
                return std::nullopt;
            }
        }
    }
    seconds offset{0};
    if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
        const bool negative = text[pos] == '-';
        ++pos;
        int oh = 0;
        int om = 0;
        int os = 0;
        if (!read_fixed(text, pos, 2, oh)) {
            return std::nullopt;
        }
        if (read_char(text, pos, ':')) {
            if (!read_fixed(text, pos, 2, om)) {
                return std::nullopt;
            }
            if (read_char(text, pos, ':') && !read_fixed(text, pos, 2, os)) {
                return std::nullopt;
            }
        }
        offset = hours{oh} + minutes{om} + seconds{os};
        if (negative) {
            offset = -offset;
        }
    }
    if (pos != text.size()) {  // " BC", "infinity" and other styles end up here
        return std::nullopt;
    }
    return sys_days{date} + hours{h} + minutes{mi} + seconds{s} - offset;
}

namespace {
void append_array_element(std::string& out, std::string_view element) {
    out += '"';
    for (const char c : element) {
        if (c == '\0') {
            throw std::invalid_argument("pg: text array element contains a NUL byte");
        }
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    out += '"';
}
}  // namespace

std::string format_text_array(const std::vector<std::string>& elements) {
    std::string out = "{";
    for (std::size_t i = 0; i < elements.size(); ++i) {
        if (i != 0) {
            out += ',';
        }
        append_array_element(out, elements[i]);
    }
    out += '}';
    return out;
}

std::string format_text_array(const std::vector<std::optional<std::string>>& elements) {
    std::string out = "{";
    for (std::size_t i = 0; i < elements.size(); ++i) {
        if (i != 0) {
            out += ',';
        }
        // An unquoted NULL is SQL NULL; a quoted "NULL" is the text.
        if (elements[i]) {
            append_array_element(out, *elements[i]);
        } else {
            out += "NULL";
        }
    }
    out += '}';
    return out;
}

std::optional<std::string> decode_bytea(std::string_view text) {
    if (text.size() < 2 || text[0] != '\\' || text[1] != 'x' || text.size() % 2 != 0) {
        return std::nullopt;
    }
    std::string out;
    out.reserve((text.size() - 2) / 2);
    for (std::size_t i = 2; i < text.size(); i += 2) {
        const int high = hex_value(text[i]);
        const int low = hex_value(text[i + 1]);
        if (high < 0 || low < 0) {
            return std::nullopt;
        }
        out += static_cast<char>(high * 16 + low);
    }
    return out;
}

}  // namespace chal::pg::text_format
