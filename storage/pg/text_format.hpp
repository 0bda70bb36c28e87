// PostgreSQL's text wire formats for the types we exchange: pure conversions, unit-tested
// without a server. The connection forces the settings they assume (DateStyle=ISO,
// TimeZone=UTC, bytea_output=hex).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chal::pg::text_format {

// "YYYY-MM-DD HH:MM:SS+00". Throws std::out_of_range outside years 1..9999.
std::string format_timestamp(std::chrono::sys_seconds t);

// Reads ISO timestamptz/timestamp/date output ("2024-02-29 12:34:56.789+05:30",
// "2024-02-29 12:34:56", "2024-02-29") as UTC; fractional seconds are truncated and an
// offset is applied. Returns nullopt for anything else ("infinity", BC dates, other styles).
std::optional<std::chrono::sys_seconds> parse_timestamp(std::string_view text);

// Array literal '{"a","b\"c"}' with every element quoted, so commas, braces, spaces, NULL
// and empty strings stay plain text. Throws std::invalid_argument if an element holds a NUL.
std::string format_text_array(const std::vector<std::string>& elements);
std::string format_text_array(const std::vector<std::optional<std::string>>& elements);

// Decodes bytea hex output ("\x00ff") to raw bytes; nullopt if the text is not that form.
std::optional<std::string> decode_bytea(std::string_view text);

}  // namespace chal::pg::text_format
