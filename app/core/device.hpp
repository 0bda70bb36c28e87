// Device details for a verified challenge: the user agent parsed by hand, and the success
// page's report reduced to the whitelisted, capped JSON object stored as `device_fingerprint`.
#pragma once

#include <boost/json/object.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace chal::core {

struct parsed_user_agent {
    std::string browser;          // "Chrome", "Edge", "Firefox", "Safari", "Opera", "Samsung Internet",
                                  // "Headless Chrome", ...; empty when unknown
    std::string browser_version;  // as sent: "120.0.0.0"
    std::string os;               // "Windows", "macOS", "iOS", "iPadOS", "Android", "ChromeOS", "Linux"
    std::string os_version;       // "10", "10.15.7", "17.1", "14"; empty when the UA does not say
    std::string device_type;      // desktop | mobile | tablet | bot | unknown
};

// Only the first this many bytes of a User-Agent header are looked at.
inline constexpr std::size_t user_agent_parse_limit = 1024;

// Table-driven substring matching; the most specific browser marker wins (Edge, Opera,
// Samsung and headless Chrome all also say "Chrome/"). Windows NT 10.0 reads as version "10"
// because Windows 11 sends the same token; client hints can tell them apart
// (see normalize_device_report). Never throws except on allocation failure.
parsed_user_agent parse_user_agent(std::string_view ua);

// "Chrome 120.0": the name and the major.minor version; "Unknown" when the browser is unknown.
std::string browser_label(const parsed_user_agent& ua);
// "Windows 11", "macOS 10.15.7", "Linux"; "Unknown" when the OS is unknown.
std::string os_label(const parsed_user_agent& ua);

struct device_report_limits {
    std::size_t max_body_bytes = 16 * 1024;  // a larger report counts as malformed
    std::size_t max_depth = 8;               // JSON nesting the parser accepts
    std::size_t max_string_chars = 200;      // code points kept of a free-text field
    std::size_t max_user_agent_chars = 512;  // code points of the header kept in "user_agent"
    std::size_t max_list_items = 10;         // languages, client-hint brands
};

// The object stored as `device_fingerprint`. `posted_json` is the success page's report
// (web/device.js), one JSON object whose known members are
//   screenWidth, screenHeight, colorDepth, timezone, language, languages, platform,
//   hardwareConcurrency, deviceMemory, maxTouchPoints, webglRenderer,
//   geolocation {latitude, longitude, accuracy},
//   clientHints {brands [{brand, version}], platformVersion, mobile};
// anything else, and any member of the wrong type or out of range, is dropped. The result
// always holds the server-side keys "browser", "os", "device_type", "ip", "user_agent" and
// "details_collected" (false when the report is not a JSON object within the limits), and
// may hold "screen" ("1920x1080"), "color_depth", "timezone", "language", "languages",
// "platform", "cpu_cores", "device_memory_gb", "touch_points", "webgl_renderer",
// "location" {latitude, longitude[, accuracy]} and "client_hints"
// {brands, platform_version, mobile}. Strings lose control and bidi-override characters.
// `ua_platform_version` is the Sec-CH-UA-Platform-Version header (quotes allowed); when
// absent, the report's clientHints.platformVersion is used. It turns Windows "10" into "11"
// for major >= 13 and replaces the frozen macOS and Android versions of reduced user agents.
// Never throws on hostile input; only allocation failure propagates.
boost::json::object normalize_device_report(
    std::string_view posted_json,
    std::string_view user_agent_header,
    std::string_view client_ip,
    std::optional<std::string_view> ua_platform_version,
    const device_report_limits& limits = {}
);

// What the server knows when no report arrived: the same server-side keys as above, with
// "details_collected": false.
boost::json::object server_side_device_details(
    std::string_view user_agent_header,
    std::string_view client_ip,
    std::optional<std::string_view> ua_platform_version = std::nullopt,
    const device_report_limits& limits = {}
);

}  // namespace chal::core
