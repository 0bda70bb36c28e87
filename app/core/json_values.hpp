// The JSON shapes every wire format shares (callbacks, REST responses, later Slack and MCP):
// absent values as null, times as RFC 3339, stored device details as an object.
#pragma once

#include "app/core/time.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace chal::core {

boost::json::value json_or_null(const std::optional<std::string>& s);
boost::json::value json_or_null(const std::optional<timestamp>& t);

// Device details are stored as the JSON object the page produced; anything else (never
// expected) reads as null rather than breaking a response or a callback.
boost::json::value device_details_json(const std::optional<std::string>& stored);

// `text` parsed, when it is a JSON object; nullopt for anything else (not JSON, an array, ...).
std::optional<boost::json::object> json_object_of(std::string_view text);
// The string member `name` of `o`, or "" when it is absent or not a string.
std::string string_member(const boost::json::object& o, std::string_view name);

}  // namespace chal::core
