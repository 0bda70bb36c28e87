#include "app/core/device.hpp"

#include "app/core/text.hpp"

#include <boost/json/array.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <utility>

namespace chal::core {
namespace {

namespace json = boost::json;

bool contains(std::string_view haystack, std::string_view needle) noexcept {
    return haystack.find(needle) != std::string_view::npos;
}

bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}
bool is_alpha(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
char to_lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Digits and separators right after `marker`: "Chrome/120.0.0.0" -> "120.0.0.0",
// "iPhone OS 17_1_2" -> "17.1.2" (Apple writes its versions with underscores).
std::string version_after(std::string_view ua, std::string_view marker) {
    const auto at = ua.find(marker);
    if (at == std::string_view::npos) return {};
    std::string version;
    for (auto i = at + marker.size(); i < ua.size() && version.size() < 32; ++i) {
        const char c = ua[i];
        if (is_digit(c)) {
            version += c;
        } else if ((c == '.' || c == '_') && !version.empty() && version.back() != '.') {
            version += '.';
        } else {
            break;
        }
    }
    while (!version.empty() && version.back() == '.') version.pop_back();
    return version;
}

// First match wins, so the browsers that also say "Chrome/" (and "Safari/") come first.
struct browser_rule {
    std::string_view marker;
    std::string_view name;
    std::string_view version_marker = {};  // where the version is, when not after `marker`
};
constexpr std::array browser_rules{
    browser_rule{"HeadlessChrome/", "Headless Chrome"},
    browser_rule{"Edg/", "Edge"},
    browser_rule{"EdgA/", "Edge"},
    browser_rule{"EdgiOS/", "Edge"},
    browser_rule{"Edge/", "Edge"},  // EdgeHTML, before Chromium
    browser_rule{"OPR/", "Opera"},
    browser_rule{"SamsungBrowser/", "Samsung Internet"},
    browser_rule{"YaBrowser/", "Yandex Browser"},
    browser_rule{"Vivaldi/", "Vivaldi"},
    browser_rule{"FxiOS/", "Firefox"},
    browser_rule{"Firefox/", "Firefox"},
    browser_rule{"CriOS/", "Chrome"},
    browser_rule{"Chromium/", "Chromium"},
    browser_rule{"Chrome/", "Chrome"},
    // Safari's own version is in "Version/"; "Safari/605.1.15" is the WebKit build.
    browser_rule{"Safari/", "Safari", "Version/"},
};

// iOS and Android user agents also say "Mac OS X" and "Linux", so they come first.
struct os_rule {
    std::string_view marker;
    std::string_view name;
    std::string_view version_marker = {};  // empty: the user agent carries no usable version
};
constexpr std::array os_rules{
    os_rule{"Windows NT ", "Windows", "Windows NT "},
    os_rule{"iPhone", "iOS", "iPhone OS "},
    os_rule{"iPod", "iOS", "iPhone OS "},
    os_rule{"iPad", "iPadOS", "CPU OS "},
    // "CrOS x86_64 14541.0.0" is a platform build, frozen by Chrome's reduced user agent.
    os_rule{"CrOS", "ChromeOS"},
    os_rule{"Android", "Android", "Android "},
    os_rule{"Mac OS X", "macOS", "Mac OS X "},
    os_rule{"Windows", "Windows"},
    os_rule{"Linux", "Linux"},
};

// Windows NT kernel versions; Windows 11 still sends 10.0.
constexpr std::array<std::pair<std::string_view, std::string_view>, 7> windows_versions{{
    {"10.0", "10"},
    {"6.3", "8.1"},
    {"6.2", "8"},
    {"6.1", "7"},
    {"6.0", "Vista"},
    {"5.2", "XP"},
    {"5.1", "XP"},
}};

// Matched against the lower-cased user agent.
constexpr std::array<std::string_view, 14> bot_markers{
    "headlesschrome",
    "bot/",
    "bot;",
    "bot)",
    "crawler",
    "spider",
    "slackbot",
    "facebookexternalhit",
    "curl/",
    "wget/",
    "python-requests",
    "python-urllib",
    "go-http-client",
    "phantomjs",
};

std::string device_type_of(std::string_view ua, std::string_view os) {
    std::string lower(ua.size(), '\0');
    for (std::size_t i = 0; i < ua.size(); ++i) lower[i] = to_lower(ua[i]);
    for (auto marker : bot_markers) {
        if (contains(lower, marker)) return "bot";
    }
    // Android tablets drop "Mobile" (Chrome, Samsung) or say "Tablet" (Firefox).
    if (os == "iPadOS" || (os == "Android" && (contains(ua, "Tablet") || !contains(ua, "Mobile"))))
        return "tablet";
    if (os == "iOS" || os == "Android" || contains(ua, "Mobi")) return "mobile";
    if (os == "Windows" || os == "macOS" || os == "Linux" || os == "ChromeOS") return "desktop";
    return "unknown";
}

// "120.0.0.0" -> "120.0"; "17" -> "17".
std::string_view major_minor(std::string_view version) noexcept {
    const auto first = version.find('.');
    if (first == std::string_view::npos) return version;
    return version.substr(0, version.find('.', first + 1));
}

// "14.0.0" -> "14", "14.1.0" -> "14.1".
std::string without_trailing_zeros(std::string version) {
    while (version.size() > 2 && version.ends_with(".0")) version.resize(version.size() - 2);
    return version;
}

std::optional<int> major_of(std::string_view version) noexcept {
    int major = 0;
    std::size_t i = 0;
    for (; i < version.size() && is_digit(version[i]) && i < 6; ++i) major = major * 10 + (version[i] - '0');
    if (i == 0) return std::nullopt;
    return major;
}

// --- text --------------------------------------------------------------------------------

// Control characters, and the invisible and direction-changing ones that would let a value
// disguise itself when shown in Slack or the admin console.
bool is_hidden(std::uint32_t cp) noexcept {
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0x200B && cp <= 0x200F) ||
           (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x2069) || cp == 0xFEFF;
}

// Valid UTF-8 of at most `max_chars` visible code points, trimmed; invalid bytes are dropped
// (headers are not guaranteed to be UTF-8, and the database rejects what is not).
std::string clean_text(std::string_view in, std::size_t max_chars) {
    std::string out;
    std::size_t chars = 0;
    for (std::size_t i = 0; i < in.size() && chars < max_chars;) {
        const auto c = decode_utf8(in, i);
        if (c.valid && !is_hidden(c.value)) {
            out.append(in.substr(i, c.bytes));
            ++chars;
        }
        i += c.bytes;
    }
    const auto first = out.find_first_not_of(' ');
    if (first == std::string::npos) return {};
    out.erase(out.find_last_not_of(' ') + 1);
    out.erase(0, first);
    return out;
}

template <class Allowed>
std::optional<std::string> token(const json::value& v, std::size_t max_size, Allowed allowed) {
    const auto* s = v.if_string();
    if (!s || s->empty() || s->size() > max_size) return std::nullopt;
    for (char c : *s) {
        if (!allowed(c)) return std::nullopt;
    }
    return std::string(*s);
}

// IANA names: "America/Argentina/Buenos_Aires", "Etc/GMT+5", "UTC".
std::optional<std::string> timezone_name(const json::value& v) {
    auto tz = token(v, 64, [](char c) {
        return is_alpha(c) || is_digit(c) || c == '/' || c == '_' || c == '+' || c == '-';
    });
    if (!tz || !is_alpha(tz->front())) return std::nullopt;
    return tz;
}

// BCP 47 tags: "en-US", "zh-Hant-TW".
std::optional<std::string> language_tag(const json::value& v) {
    auto tag = token(v, 35, [](char c) { return is_alpha(c) || is_digit(c) || c == '-'; });
    if (!tag || !is_alpha(tag->front())) return std::nullopt;
    return tag;
}

std::optional<std::string> version_text(std::string_view s) {
    if (s.empty() || s.size() > 32 || !is_digit(s.front())) return std::nullopt;
    for (char c : s) {
        if (!is_digit(c) && c != '.') return std::nullopt;
    }
    return std::string(s);
}

std::optional<std::string> version_text(const json::value& v) {
    if (const auto* s = v.if_string()) return version_text(std::string_view(*s));
    return std::nullopt;
}

std::optional<std::string> free_text(const json::value& v, std::size_t max_chars) {
    const auto* s = v.if_string();
    if (!s) return std::nullopt;
    auto text = clean_text(*s, max_chars);
    if (text.empty()) return std::nullopt;
    return text;
}

// --- numbers -----------------------------------------------------------------------------

// Accepts 1920 and 1920.0, not 1920.5, "1920", 1e400 or anything outside [lo, hi].
std::optional<std::int64_t> integer_in(const json::value& v, std::int64_t lo, std::int64_t hi) noexcept {
    if (const auto* i = v.if_int64()) {
        if (*i >= lo && *i <= hi) return *i;
        return std::nullopt;
    }
    if (const auto* d = v.if_double()) {
        if (std::isfinite(*d) && *d == std::trunc(*d) && *d >= static_cast<double>(lo) &&
            *d <= static_cast<double>(hi)) {
            return static_cast<std::int64_t>(*d);
        }
    }
    return std::nullopt;  // uint64 only holds values above INT64_MAX
}

std::optional<double> number_in(const json::value& v, double lo, double hi) noexcept {
    double d = 0;
    if (const auto* i = v.if_int64()) {
        d = static_cast<double>(*i);
    } else if (const auto* f = v.if_double()) {
        d = *f;
    } else {
        return std::nullopt;
    }
    if (!std::isfinite(d) || d < lo || d > hi) return std::nullopt;
    return d;
}

// Whole numbers are written as integers: Boost.JSON prints the double 8 as "8E0".
json::value json_number(double d) {
    if (d == std::trunc(d) && std::fabs(d) < 9.0e15) return static_cast<std::int64_t>(d);
    return d;
}

// --- the report --------------------------------------------------------------------------

struct page_report {
    json::object fields;  // output keys, in output order
    std::optional<std::string> platform_version;
    std::optional<std::int64_t> touch_points;
};

json::array language_list(const json::value* v, std::size_t max_items) {
    json::array out;
    const auto* list = v ? v->if_array() : nullptr;
    if (!list) return out;
    for (const auto& item : *list) {
        if (out.size() >= max_items) break;
        if (auto tag = language_tag(item)) out.emplace_back(*tag);
    }
    return out;
}

std::optional<json::object> location_of(const json::value& v) {
    const auto* geo = v.if_object();
    if (!geo) return std::nullopt;
    const auto* lat = geo->if_contains("latitude");
    const auto* lon = geo->if_contains("longitude");
    if (!lat || !lon) return std::nullopt;
    const auto latitude = number_in(*lat, -90, 90);
    const auto longitude = number_in(*lon, -180, 180);
    if (!latitude || !longitude) return std::nullopt;
    json::object out;
    out["latitude"] = *latitude;
    out["longitude"] = *longitude;
    if (const auto* acc = geo->if_contains("accuracy")) {
        if (auto metres = number_in(*acc, 0, 4.0e7)) out["accuracy"] = json_number(*metres);
    }
    return out;
}

std::optional<json::object> client_hints_of(
    const json::value& v, std::optional<std::string>& platform_version, const device_report_limits& limits
) {
    const auto* hints = v.if_object();
    if (!hints) return std::nullopt;
    json::object out;
    if (const auto* list = hints->if_contains("brands"); list && list->is_array()) {
        json::array brands;
        for (const auto& item : list->get_array()) {
            if (brands.size() >= limits.max_list_items) break;
            const auto* entry = item.if_object();
            if (!entry) continue;
            const auto* brand = entry->if_contains("brand");
            const auto* version = entry->if_contains("version");
            auto name = brand ? free_text(*brand, limits.max_string_chars) : std::nullopt;
            auto number = version ? version_text(*version) : std::nullopt;
            if (!name || !number) continue;
            brands.emplace_back(json::object{{"brand", *name}, {"version", *number}});
        }
        if (!brands.empty()) out["brands"] = std::move(brands);
    }
    if (const auto* pv = hints->if_contains("platformVersion")) {
        platform_version = version_text(*pv);
        if (platform_version) out["platform_version"] = *platform_version;
    }
    if (const auto* mobile = hints->if_contains("mobile"); mobile && mobile->is_bool()) {
        out["mobile"] = mobile->get_bool();
    }
    if (out.empty()) return std::nullopt;
    return out;
}

page_report read_page_report(const json::object& in, const device_report_limits& limits) {
    page_report report;
    auto& out = report.fields;
    const auto member = [&](std::string_view key) { return in.if_contains(key); };

    if (const auto* w = member("screenWidth"), *h = member("screenHeight"); w && h) {
        const auto width = integer_in(*w, 1, 100000);
        const auto height = integer_in(*h, 1, 100000);
        if (width && height) out["screen"] = std::to_string(*width) + "x" + std::to_string(*height);
    }
    if (const auto* v = member("colorDepth")) {
        if (auto depth = integer_in(*v, 1, 64)) out["color_depth"] = *depth;
    }
    if (const auto* v = member("timezone")) {
        if (auto tz = timezone_name(*v)) out["timezone"] = *tz;
    }
    auto languages = language_list(member("languages"), limits.max_list_items);
    std::optional<std::string> language;
    if (const auto* v = member("language")) language = language_tag(*v);
    if (!language && !languages.empty()) language = std::string(languages.front().get_string());
    if (language) out["language"] = *language;
    if (!languages.empty()) out["languages"] = std::move(languages);
    if (const auto* v = member("platform")) {
        if (auto platform = free_text(*v, limits.max_string_chars)) out["platform"] = *platform;
    }
    if (const auto* v = member("hardwareConcurrency")) {
        if (auto cores = integer_in(*v, 1, 4096)) out["cpu_cores"] = *cores;
    }
    if (const auto* v = member("deviceMemory")) {
        // Browsers round to a power of two (0.25 .. 8 in Chrome); allow headroom, not zero.
        if (auto gb = number_in(*v, 0.01, 65536)) out["device_memory_gb"] = json_number(*gb);
    }
    if (const auto* v = member("maxTouchPoints")) {
        report.touch_points = integer_in(*v, 0, 1000);
        if (report.touch_points) out["touch_points"] = *report.touch_points;
    }
    if (const auto* v = member("webglRenderer")) {
        if (auto renderer = free_text(*v, limits.max_string_chars)) out["webgl_renderer"] = *renderer;
    }
    if (const auto* v = member("geolocation")) {
        if (auto location = location_of(*v)) out["location"] = std::move(*location);
    }
    if (const auto* v = member("clientHints")) {
        if (auto hints = client_hints_of(*v, report.platform_version, limits))
            out["client_hints"] = std::move(*hints);
    }
    return report;
}

// Sec-CH-UA-Platform-Version is a structured-field string: "15.0.0" with the quotes.
std::optional<std::string> header_platform_version(std::optional<std::string_view> header) {
    if (!header) return std::nullopt;
    auto s = *header;
    while (!s.empty() && (s.front() == ' ' || s.front() == '"')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '"')) s.remove_suffix(1);
    return version_text(s);
}

// Reduced user agents freeze the OS version (Windows 11 says NT 10.0, macOS says 10_15_7,
// Android says 10); the client-hint platform version is the real one. Windows maps platform
// versions >= 13 to 11:
// https://learn.microsoft.com/en-us/microsoft-edge/web-platform/how-to-detect-win11
void apply_platform_version(parsed_user_agent& ua, const std::optional<std::string>& platform_version) {
    if (!platform_version) return;
    const auto major = major_of(*platform_version);
    if (!major) return;
    if (ua.os == "Windows" && ua.os_version == "10") {
        ua.os_version = *major >= 13 ? "11" : "10";
    } else if ((ua.os == "macOS" && *major >= 10) || (ua.os == "Android" && *major >= 1)) {
        ua.os_version = without_trailing_zeros(*platform_version);
    }
}

json::object assemble(
    std::string_view user_agent_header,
    std::string_view client_ip,
    const std::optional<std::string>& platform_version,
    const page_report* page,
    const device_report_limits& limits
) {
    auto ua = parse_user_agent(user_agent_header);
    apply_platform_version(ua, platform_version);
    // iPadOS Safari presents itself as desktop macOS; Macs have no touch screen.
    if (page && ua.os == "macOS" && page->touch_points && *page->touch_points > 1) {
        ua.os = "iPadOS";
        ua.os_version.clear();
        ua.device_type = "tablet";
    }
    json::object out;
    out["browser"] = browser_label(ua);
    out["os"] = os_label(ua);
    out["device_type"] = ua.device_type;
    if (page) {
        for (const auto& field : page->fields) out[field.key()] = field.value();
    }
    out["ip"] = clean_text(client_ip, 64);
    out["user_agent"] = clean_text(user_agent_header, limits.max_user_agent_chars);
    out["details_collected"] = page != nullptr;
    return out;
}

}  // namespace

parsed_user_agent parse_user_agent(std::string_view ua) {
    ua = ua.substr(0, std::min(ua.size(), user_agent_parse_limit));
    parsed_user_agent out;
    for (const auto& rule : browser_rules) {
        if (!contains(ua, rule.marker)) continue;
        if (!rule.version_marker.empty() && !contains(ua, rule.version_marker)) continue;
        out.browser = rule.name;
        out.browser_version =
            version_after(ua, rule.version_marker.empty() ? rule.marker : rule.version_marker);
        break;
    }
    for (const auto& rule : os_rules) {
        if (!contains(ua, rule.marker)) continue;
        out.os = rule.name;
        if (!rule.version_marker.empty()) out.os_version = version_after(ua, rule.version_marker);
        break;
    }
    if (out.os == "Windows" && !out.os_version.empty()) {
        std::string mapped;
        for (const auto& [nt, name] : windows_versions) {
            if (out.os_version == nt) mapped = name;
        }
        out.os_version = std::move(mapped);
    }
    out.device_type = device_type_of(ua, out.os);
    return out;
}

std::string browser_label(const parsed_user_agent& ua) {
    if (ua.browser.empty()) return "Unknown";
    if (ua.browser_version.empty()) return ua.browser;
    return ua.browser + " " + std::string(major_minor(ua.browser_version));
}

std::string os_label(const parsed_user_agent& ua) {
    if (ua.os.empty()) return "Unknown";
    if (ua.os_version.empty()) return ua.os;
    return ua.os + " " + ua.os_version;
}

boost::json::object normalize_device_report(
    std::string_view posted_json,
    std::string_view user_agent_header,
    std::string_view client_ip,
    std::optional<std::string_view> ua_platform_version,
    const device_report_limits& limits
) {
    auto platform_version = header_platform_version(ua_platform_version);
    if (posted_json.size() > limits.max_body_bytes) {
        return assemble(user_agent_header, client_ip, platform_version, nullptr, limits);
    }
    json::parse_options options;
    options.max_depth = limits.max_depth;
    json::monotonic_resource scratch;  // the parsed report dies here; the result copies out
    boost::system::error_code ec;
    const auto doc = json::parse(posted_json, ec, &scratch, options);
    if (ec || !doc.is_object())
        return assemble(user_agent_header, client_ip, platform_version, nullptr, limits);
    const auto page = read_page_report(doc.get_object(), limits);
    if (!platform_version) platform_version = page.platform_version;
    return assemble(user_agent_header, client_ip, platform_version, &page, limits);
}

boost::json::object server_side_device_details(
    std::string_view user_agent_header,
    std::string_view client_ip,
    std::optional<std::string_view> ua_platform_version,
    const device_report_limits& limits
) {
    return assemble(
        user_agent_header, client_ip, header_platform_version(ua_platform_version), nullptr, limits
    );
}

}  // namespace chal::core
