// Text that comes from outside (request bodies and headers, Slack payloads, identity providers,
// webhook receivers) made fit for where it goes: a UTF-8 text column, or one log line. Pure.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace chal::core {

struct utf8_char {
    char32_t value;     // U+FFFD when !valid
    std::size_t bytes;  // how many bytes of the input it covers, at least 1
    bool valid;
};

// The character starting at byte `i` (i < text.size()). An invalid sequence (a stray
// continuation byte, an overlong form, a surrogate, a code point above U+10FFFF, a sequence cut
// short) is one invalid character covering its maximal subpart, as the Unicode Standard (§3.9,
// "U+FFFD substitution of maximal subparts") and the WHATWG decoder count them, so every byte
// is consumed exactly once. Never throws.
utf8_char decode_utf8(std::string_view text, std::size_t i) noexcept;

enum class line_breaks { keep, drop };  // keep: '\n' and '\t' survive (free text from a form)

// What may be stored of outside text: every invalid UTF-8 sequence becomes U+FFFD, control
// characters (C0, DEL, C1) are dropped (except '\n' and '\t' with line_breaks::keep; a form's
// "\r\n" thus becomes "\n"), and the result is cut to at most `max_bytes` on a code-point
// boundary (std::string::npos: no cut). PostgreSQL refuses text that is not UTF-8 or holds a
// NUL; this text it accepts.
// Never throws except std::bad_alloc.
std::string storable_text(std::string_view text, std::size_t max_bytes, line_breaks breaks = line_breaks::drop);

// True when `text` is valid UTF-8 without control characters: what storable_text keeps as it
// is. For values that must arrive clean (identifiers in a path, a query) rather than be mended.
bool is_clean_text(std::string_view text) noexcept;

// Log lines take at most this much of one outside value.
inline constexpr std::size_t log_value_limit = 256;

// An outside value as it may appear inside one log line: backslash, control characters and
// invalid bytes become escapes ("\\", "\n", "\r", "\t", "\xNN"; C1 controls, U+2028/2029
// and the bidirectional overrides "\u{NNNN}"), so a value can neither start a forged line nor disguise
// itself; at most `max_bytes` of the input are kept (cut on a character boundary) and a cut
// value ends with "...[+N bytes]". Never throws except std::bad_alloc.
std::string escaped_for_log(std::string_view value, std::size_t max_bytes = log_value_limit);

}  // namespace chal::core
