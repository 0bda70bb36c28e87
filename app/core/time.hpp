// Time as the contract speaks it: whole seconds in UTC, written RFC 3339 with a `Z`.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace chal::core {

using timestamp = std::chrono::sys_seconds;

// "2025-12-01T12:00:00Z"
std::string format_rfc3339(timestamp t);

// Accepts the form format_rfc3339 writes (and a `+00:00` offset); nullopt otherwise.
std::optional<timestamp> parse_rfc3339(std::string_view text);

// A filter's date, "YYYY-MM-DD" (a UTC day, years 2000-9999), as the start of that day; or
// the exact time parse_rfc3339 accepts. nullopt otherwise.
std::optional<timestamp> parse_filter_time(std::string_view text);

// The one way the rest of the code learns the time; tests pass a fixed one.
using clock_function = std::function<timestamp()>;
timestamp system_now();

}  // namespace chal::core
