#include "app/core/text.hpp"

#include <algorithm>

namespace chal::core {
namespace {

constexpr std::string_view replacement_character = "\xEF\xBF\xBD";  // U+FFFD

bool is_control(char32_t cp) noexcept {
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

// Characters a log viewer may show as a line break (U+2028, U+2029), and the embeddings,
// overrides and isolates that make text read in another order than it is stored (the "Trojan
// Source" trick).
bool is_disguising(char32_t cp) noexcept {
    return cp == 0x2028 || cp == 0x2029 || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

char hex_digit(unsigned value) noexcept {
    return "0123456789abcdef"[value & 0xF];
}

void append_byte_escape(std::string& out, unsigned char byte) {
    out += "\\x";
    out += hex_digit(byte >> 4);
    out += hex_digit(byte);
}

void append_code_point_escape(std::string& out, char32_t cp) {
    out += "\\u{";
    for (int shift = 12; shift >= 0; shift -= 4) out += hex_digit(static_cast<unsigned>(cp >> shift));
    out += '}';
}

}  // namespace

utf8_char decode_utf8(std::string_view text, std::size_t i) noexcept {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(i);
    if (lead < 0x80) return {lead, 1, true};
    std::size_t needed = 0;
    char32_t value = 0;
    // The first continuation byte's range excludes overlongs (E0, F0), surrogates (ED) and
    // code points past U+10FFFF (F4); the WHATWG UTF-8 decoder's bounds.
    unsigned char lower = 0x80;
    unsigned char upper = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        needed = 1;
        value = lead & 0x1Fu;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        needed = 2;
        value = lead & 0x0Fu;
        if (lead == 0xE0) lower = 0xA0;
        if (lead == 0xED) upper = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        needed = 3;
        value = lead & 0x07u;
        if (lead == 0xF0) lower = 0x90;
        if (lead == 0xF4) upper = 0x8F;
    } else {
        return {0xFFFD, 1, false};
    }
    for (std::size_t k = 1; k <= needed; ++k) {
        if (i + k >= text.size()) return {0xFFFD, k, false};
        const unsigned char next = byte(i + k);
        if (next < lower || next > upper) return {0xFFFD, k, false};
        lower = 0x80;
        upper = 0xBF;
        value = (value << 6) | (next & 0x3Fu);
    }
    return {value, needed + 1, true};
}

std::string storable_text(std::string_view text, std::size_t max_bytes, line_breaks breaks) {
    std::string out;
    out.reserve(std::min(text.size(), max_bytes));
    for (std::size_t i = 0; i < text.size();) {
        const auto c = decode_utf8(text, i);
        const auto raw = text.substr(i, c.bytes);
        i += c.bytes;
        const bool kept_break = breaks == line_breaks::keep && (c.value == U'\n' || c.value == U'\t');
        if (c.valid && is_control(c.value) && !kept_break) continue;
        const auto piece = c.valid ? raw : replacement_character;
        if (out.size() + piece.size() > max_bytes) break;
        out += piece;
    }
    return out;
}

bool is_clean_text(std::string_view text) noexcept {
    for (std::size_t i = 0; i < text.size();) {
        const auto c = decode_utf8(text, i);
        if (!c.valid || is_control(c.value)) return false;
        i += c.bytes;
    }
    return true;
}

std::string escaped_for_log(std::string_view value, std::size_t max_bytes) {
    std::string out;
    out.reserve(std::min(value.size(), max_bytes) + 16);
    std::size_t i = 0;
    while (i < value.size()) {
        const auto c = decode_utf8(value, i);
        if (i + c.bytes > max_bytes) break;
        const auto raw = value.substr(i, c.bytes);
        i += c.bytes;
        if (!c.valid) {
            for (const char b : raw) append_byte_escape(out, static_cast<unsigned char>(b));
        } else if (c.value == U'\\') {
            out += "\\\\";
        } else if (c.value == U'\n') {
            out += "\\n";
        } else if (c.value == U'\r') {
            out += "\\r";
        } else if (c.value == U'\t') {
            out += "\\t";
        } else if (c.value < 0x80 && is_control(c.value)) {
            append_byte_escape(out, static_cast<unsigned char>(c.value));
        } else if (is_control(c.value) || is_disguising(c.value)) {
            append_code_point_escape(out, c.value);
        } else {
            out += raw;
        }
    }
    if (i < value.size()) out += "...[+" + std::to_string(value.size() - i) + " bytes]";
    return out;
}

}  // namespace chal::core
