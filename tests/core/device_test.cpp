#include "app/core/device.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <set>
#include <string>

using namespace chal::core;

namespace {

namespace json = boost::json;

constexpr std::string_view chrome_windows =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36";
constexpr std::string_view chrome_macos =
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36";
constexpr std::string_view chrome_android_reduced =
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36";
constexpr std::string_view chrome_android_pixel =
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.6099.144 Mobile Safari/537.36";
constexpr std::string_view chrome_ios =
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1";
constexpr std::string_view chrome_chromeos =
    "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36";
constexpr std::string_view chrome_windows_7 =
    "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/109.0.0.0 Safari/537.36";
constexpr std::string_view safari_iphone =
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Mobile/15E148 Safari/604.1";
constexpr std::string_view safari_ipad =
    "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/16.6 Mobile/15E148 Safari/604.1";
constexpr std::string_view safari_macos =
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Safari/605.1.15";
constexpr std::string_view firefox_linux =
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
constexpr std::string_view firefox_ubuntu =
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
constexpr std::string_view firefox_windows =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0";
constexpr std::string_view firefox_macos =
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:121.0) Gecko/20100101 Firefox/121.0";
constexpr std::string_view firefox_android =
    "Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0";
constexpr std::string_view firefox_android_tablet =
    "Mozilla/5.0 (Android 14; Tablet; rv:121.0) Gecko/121.0 Firefox/121.0";
constexpr std::string_view edge_windows =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91";
constexpr std::string_view opera_windows =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/119.0.0.0 Safari/537.36 OPR/105.0.0.0";
constexpr std::string_view samsung_phone =
    "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36";
constexpr std::string_view samsung_tablet =
    "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/23.0 Chrome/115.0.0.0 Safari/537.36";
constexpr std::string_view headless_chrome =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/120.0.6099.28 Safari/537.36";
constexpr std::string_view googlebot =
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

struct ua_case {
    std::string_view ua;
    std::string_view browser;  // browser_label
    std::string_view os;       // os_label
    std::string_view device_type;
};

void expect_ua(const ua_case& c) {
    const auto parsed = parse_user_agent(c.ua);
    EXPECT_EQ(browser_label(parsed), c.browser) << c.ua;
    EXPECT_EQ(os_label(parsed), c.os) << c.ua;
    EXPECT_EQ(parsed.device_type, c.device_type) << c.ua;
}

std::set<std::string> keys_of(const json::object& o) {
    std::set<std::string> keys;
    for (const auto& kv : o) keys.emplace(kv.key());
    return keys;
}

const std::set<std::string> server_keys{
    "browser", "os", "device_type", "ip", "user_agent", "details_collected"};

json::object report(std::string_view body, std::string_view ua = chrome_windows) {
    return normalize_device_report(body, ua, "203.0.113.1", std::nullopt);
}

}  // namespace

TEST(parse_user_agent, reads_chrome_on_every_platform) {
    expect_ua({chrome_windows, "Chrome 120.0", "Windows 10", "desktop"});
    expect_ua({chrome_macos, "Chrome 120.0", "macOS 10.15.7", "desktop"});
    expect_ua({chrome_android_reduced, "Chrome 120.0", "Android 10", "mobile"});
    expect_ua({chrome_android_pixel, "Chrome 120.0", "Android 14", "mobile"});
    expect_ua({chrome_ios, "Chrome 120.0", "iOS 17.1", "mobile"});
    expect_ua({chrome_chromeos, "Chrome 120.0", "ChromeOS", "desktop"});
    expect_ua({chrome_windows_7, "Chrome 109.0", "Windows 7", "desktop"});
}

TEST(parse_user_agent, reads_safari_from_its_version_token_not_the_webkit_build) {
    expect_ua({safari_iphone, "Safari 17.1", "iOS 17.1", "mobile"});
    expect_ua({safari_ipad, "Safari 16.6", "iPadOS 16.6", "tablet"});
    expect_ua({safari_macos, "Safari 17.1", "macOS 10.15.7", "desktop"});
    const auto parsed = parse_user_agent(safari_macos);
    EXPECT_EQ(parsed.browser, "Safari");
    EXPECT_EQ(parsed.browser_version, "17.1");
    EXPECT_EQ(parsed.os, "macOS");
    EXPECT_EQ(parsed.os_version, "10.15.7");
}

TEST(parse_user_agent, reads_firefox_on_linux_windows_macos_and_android) {
    expect_ua({firefox_linux, "Firefox 121.0", "Linux", "desktop"});
    expect_ua({firefox_ubuntu, "Firefox 121.0", "Linux", "desktop"});
    expect_ua({firefox_windows, "Firefox 121.0", "Windows 10", "desktop"});
    expect_ua({firefox_macos, "Firefox 121.0", "macOS 10.15", "desktop"});
    expect_ua({firefox_android, "Firefox 121.0", "Android 14", "mobile"});
    expect_ua({firefox_android_tablet, "Firefox 121.0", "Android 14", "tablet"});
}

TEST(parse_user_agent, prefers_the_specific_chromium_browser_over_chrome) {
    expect_ua({edge_windows, "Edge 120.0", "Windows 10", "desktop"});
    EXPECT_EQ(parse_user_agent(edge_windows).browser_version, "120.0.2210.91");
    expect_ua({opera_windows, "Opera 105.0", "Windows 10", "desktop"});
    expect_ua({samsung_phone, "Samsung Internet 23.0", "Android 13", "mobile"});
    expect_ua({samsung_tablet, "Samsung Internet 23.0", "Android 13", "tablet"});
}

TEST(parse_user_agent, flags_headless_chrome_and_crawlers_as_bots) {
    expect_ua({headless_chrome, "Headless Chrome 120.0", "Linux", "bot"});
    expect_ua({googlebot, "Unknown", "Unknown", "bot"});
    expect_ua({"curl/8.4.0", "Unknown", "Unknown", "bot"});
}

TEST(parse_user_agent, says_unknown_for_nothing_recognisable) {
    const auto parsed = parse_user_agent("");
    EXPECT_TRUE(parsed.browser.empty());
    EXPECT_TRUE(parsed.os.empty());
    EXPECT_EQ(parsed.device_type, "unknown");
    expect_ua({"Mozilla/5.0 (compatible; Something/1.0)", "Unknown", "Unknown", "unknown"});
    expect_ua({"Chrome/", "Chrome", "Unknown", "unknown"});
}

TEST(parse_user_agent, ignores_everything_after_the_first_kilobyte) {
    std::string ua(user_agent_parse_limit, 'x');
    ua += chrome_windows;
    const auto parsed = parse_user_agent(ua);
    EXPECT_TRUE(parsed.browser.empty());
    EXPECT_TRUE(parsed.os.empty());
}

TEST(normalize_device_report, produces_the_contract_fields) {
    const auto out = report(R"json({"screenWidth":1920,"screenHeight":1080,"colorDepth":24,
        "timezone":"America/New_York","language":"en-US","languages":["en-US","en"],
        "platform":"Win32","hardwareConcurrency":8,"deviceMemory":8,"maxTouchPoints":0,
        "webglRenderer":"ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 Direct3D11 vs_5_0 ps_5_0, D3D11)",
        "geolocation":{"latitude":40.7128,"longitude":-74.006,"accuracy":35},
        "clientHints":{"brands":[{"brand":"Not_A Brand","version":"8"},{"brand":"Chromium","version":"120"}],
                       "platformVersion":"15.0.0","mobile":false}})json");
    EXPECT_EQ(out.at("browser"), "Chrome 120.0");
    EXPECT_EQ(out.at("os"), "Windows 11");
    EXPECT_EQ(out.at("device_type"), "desktop");
    EXPECT_EQ(out.at("screen"), "1920x1080");
    EXPECT_EQ(out.at("color_depth"), 24);
    EXPECT_EQ(out.at("timezone"), "America/New_York");
    EXPECT_EQ(out.at("language"), "en-US");
    EXPECT_EQ(out.at("languages"), (json::array{"en-US", "en"}));
    EXPECT_EQ(out.at("platform"), "Win32");
    EXPECT_EQ(out.at("cpu_cores"), 8);
    EXPECT_EQ(out.at("device_memory_gb"), 8);
    EXPECT_EQ(out.at("touch_points"), 0);
    EXPECT_EQ(
        out.at("webgl_renderer"), "ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 Direct3D11 vs_5_0 ps_5_0, D3D11)"
    );
    EXPECT_EQ(out.at("location").at("latitude"), 40.7128);
    EXPECT_EQ(out.at("location").at("longitude"), -74.006);
    EXPECT_EQ(out.at("location").at("accuracy"), 35);
    EXPECT_EQ(out.at("client_hints").at("platform_version"), "15.0.0");
    EXPECT_EQ(out.at("client_hints").at("mobile"), false);
    EXPECT_EQ(out.at("client_hints").at("brands").as_array().size(), 2u);
    EXPECT_EQ(out.at("client_hints").at("brands").at(1).at("brand"), "Chromium");
    EXPECT_EQ(out.at("ip"), "203.0.113.1");
    EXPECT_EQ(out.at("user_agent").as_string(), chrome_windows);
    EXPECT_EQ(out.at("details_collected"), true);
}

TEST(normalize_device_report, tells_windows_11_from_10_by_platform_version) {
    EXPECT_EQ(report(R"({"clientHints":{"platformVersion":"13.0.0"}})").at("os"), "Windows 11");
    EXPECT_EQ(report(R"({"clientHints":{"platformVersion":"10.0.0"}})").at("os"), "Windows 10");
    EXPECT_EQ(report("{}").at("os"), "Windows 10");
    // The Sec-CH-UA-Platform-Version header wins over the page's value.
    const auto out = normalize_device_report(
        R"({"clientHints":{"platformVersion":"10.0.0"}})", chrome_windows, "203.0.113.1", R"("15.0.0")"
    );
    EXPECT_EQ(out.at("os"), "Windows 11");
    EXPECT_EQ(server_side_device_details(chrome_windows, "203.0.113.1", "\"14.0.0\"").at("os"), "Windows 11");
    EXPECT_EQ(
        report(R"({"clientHints":{"platformVersion":"15.0.0"}})", chrome_windows_7).at("os"), "Windows 7"
    );
}

TEST(normalize_device_report, replaces_frozen_macos_and_android_versions_with_the_platform_version) {
    EXPECT_EQ(report(R"({"clientHints":{"platformVersion":"14.1.0"}})", chrome_macos).at("os"), "macOS 14.1");
    EXPECT_EQ(
        report(R"({"clientHints":{"platformVersion":"14.0.0"}})", chrome_android_reduced).at("os"),
        "Android 14"
    );
    EXPECT_EQ(report(R"({"clientHints":{"platformVersion":"6.5.0"}})", firefox_linux).at("os"), "Linux");
    EXPECT_EQ(report(R"({"clientHints":{"platformVersion":"x"}})", chrome_macos).at("os"), "macOS 10.15.7");
}

TEST(normalize_device_report, reads_a_touch_screen_mac_as_an_ipad) {
    const auto out = report(R"({"maxTouchPoints":5})", safari_macos);
    EXPECT_EQ(out.at("os"), "iPadOS");
    EXPECT_EQ(out.at("device_type"), "tablet");
    EXPECT_EQ(report(R"({"maxTouchPoints":0})", safari_macos).at("os"), "macOS 10.15.7");
}

TEST(normalize_device_report, keeps_only_known_fields_and_never_lets_the_page_set_server_fields) {
    const auto out = report(R"({"ip":"10.0.0.1","user_agent":"forged","browser":"Evil 1.0","os":"TempleOS",
        "details_collected":false,"device_type":"desktop","screen":"1x1","cookie":"secret","timezone":"UTC"})"
    );
    auto expected = server_keys;
    expected.insert("timezone");
    EXPECT_EQ(keys_of(out), expected);
    EXPECT_EQ(out.at("ip"), "203.0.113.1");
    EXPECT_EQ(out.at("user_agent").as_string(), chrome_windows);
    EXPECT_EQ(out.at("browser"), "Chrome 120.0");
    EXPECT_EQ(out.at("os"), "Windows 10");
    EXPECT_EQ(out.at("details_collected"), true);
}

TEST(normalize_device_report, an_empty_report_still_counts_as_collected) {
    const auto out = report("{}");
    EXPECT_EQ(keys_of(out), server_keys);
    EXPECT_EQ(out.at("details_collected"), true);
}

TEST(normalize_device_report, drops_values_of_the_wrong_type_or_out_of_range) {
    const auto out = report(R"({"screenWidth":"1920","screenHeight":1080,"colorDepth":1000,
        "hardwareConcurrency":-1,"deviceMemory":0,"maxTouchPoints":1.5,"platform":42,
        "webglRenderer":{"a":1},"language":["en"],"languages":"en","timezone":"America/New York; DROP",
        "geolocation":{"latitude":91,"longitude":0},"clientHints":{"brands":"x","platformVersion":15,"mobile":"no"}})"
    );
    EXPECT_EQ(keys_of(out), server_keys);
}

TEST(normalize_device_report, accepts_whole_numbers_written_as_doubles_and_fractional_memory) {
    const auto out =
        report(R"({"screenWidth":1920.0,"screenHeight":1.08e3,"deviceMemory":0.5,"hardwareConcurrency":4})");
    EXPECT_EQ(out.at("screen"), "1920x1080");
    EXPECT_EQ(out.at("device_memory_gb"), 0.5);
    EXPECT_EQ(out.at("cpu_cores"), 4);
}

TEST(normalize_device_report, needs_both_screen_sides_and_both_coordinates) {
    EXPECT_FALSE(report(R"({"screenWidth":1920})").contains("screen"));
    EXPECT_FALSE(report(R"({"geolocation":{"latitude":40.7}})").contains("location"));
    const auto out = report(R"({"geolocation":{"latitude":-33.86,"longitude":151.2,"accuracy":-1}})");
    EXPECT_EQ(out.at("location").at("latitude"), -33.86);
    EXPECT_FALSE(out.at("location").as_object().contains("accuracy"));
}

TEST(normalize_device_report, falls_back_to_the_first_of_languages) {
    const auto out = report(R"({"languages":["bad tag!","de-DE","de"]})");
    EXPECT_EQ(out.at("language"), "de-DE");
    EXPECT_EQ(out.at("languages"), (json::array{"de-DE", "de"}));
}

TEST(normalize_device_report, caps_lists) {
    std::string body = R"({"languages":[)";
    for (int i = 0; i < 50; ++i) body += std::string(i ? "," : "") + "\"en\"";
    body += R"(],"clientHints":{"brands":[)";
    for (int i = 0; i < 50; ++i) body += std::string(i ? "," : "") + R"({"brand":"B","version":"1"})";
    body += "]}}";
    const auto out = report(body);
    EXPECT_EQ(out.at("languages").as_array().size(), 10u);
    EXPECT_EQ(out.at("client_hints").at("brands").as_array().size(), 10u);
}

TEST(normalize_device_report, strips_control_and_bidi_characters_and_caps_strings) {
    const auto out = report(
        R"({"platform":"  Win\u0000\u001b[31m32\u202e\u2066 ","webglRenderer":")" + std::string(1000, 'R') +
        "\"}"
    );
    EXPECT_EQ(out.at("platform"), "Win[31m32");
    EXPECT_EQ(out.at("webgl_renderer").as_string().size(), 200u);
    EXPECT_EQ(report(R"({"platform":"\u0007\u0008"})").contains("platform"), false);
}

TEST(normalize_device_report, caps_by_characters_without_splitting_utf8) {
    std::string renderer;
    for (int i = 0; i < 300; ++i) renderer += "\xC3\xA9";  // é
    const auto out = report(R"({"webglRenderer":")" + renderer + "\"}");
    const auto& kept = out.at("webgl_renderer").as_string();
    EXPECT_EQ(kept.size(), 400u);
    EXPECT_EQ(std::string_view(kept).substr(0, 4), "\xC3\xA9\xC3\xA9");
}

TEST(normalize_device_report, treats_malformed_reports_as_not_collected) {
    for (std::string_view body :
         {"",
          "not json",
          "[]",
          "\"x\"",
          "42",
          "null",
          "{\"a\":",
          "{\"screenWidth\":NaN}",
          "{\"screenWidth\":Infinity}",
          "{\"a\":1,}",
          "{/*c*/}"}) {
        const auto out = report(body);
        EXPECT_EQ(keys_of(out), server_keys) << body;
        EXPECT_EQ(out.at("details_collected"), false) << body;
        EXPECT_EQ(out.at("browser"), "Chrome 120.0") << body;
    }
}

TEST(normalize_device_report, survives_deep_nesting) {
    const std::string deep_array = std::string(100000, '[') + std::string(100000, ']');
    EXPECT_EQ(report(deep_array).at("details_collected"), false);
    std::string deep_member = R"({"geolocation":)";
    for (int i = 0; i < 20; ++i) deep_member += R"({"latitude":)";
    deep_member += "1" + std::string(21, '}');
    EXPECT_EQ(report(deep_member).at("details_collected"), false);
    const auto shallow = report(R"({"geolocation":{"latitude":{"x":[1]},"longitude":2}})");
    EXPECT_EQ(shallow.at("details_collected"), true);
    EXPECT_FALSE(shallow.contains("location"));
}

TEST(normalize_device_report, survives_huge_numbers) {
    const auto out = report(R"({"screenWidth":99999999999999999999999,"screenHeight":18446744073709551615,
        "hardwareConcurrency":9223372036854775807,"deviceMemory":1e308,"maxTouchPoints":-9223372036854775808,
        "colorDepth":1e-320})");
    EXPECT_EQ(keys_of(out), server_keys);
    const auto overflow = report(R"({"deviceMemory":1e400,"timezone":"UTC"})");
    EXPECT_FALSE(overflow.contains("device_memory_gb"));
}

TEST(normalize_device_report, rejects_a_report_over_the_size_limit_but_keeps_server_fields) {
    const std::string body = R"({"webglRenderer":")" + std::string(64 * 1024, 'A') + "\"}";
    const auto out = report(body);
    EXPECT_EQ(keys_of(out), server_keys);
    EXPECT_EQ(out.at("details_collected"), false);
    const auto roomy = normalize_device_report(
        body, chrome_windows, "203.0.113.1", std::nullopt, {.max_body_bytes = 128 * 1024}
    );
    EXPECT_EQ(roomy.at("webgl_renderer").as_string().size(), 200u);
}

TEST(normalize_device_report, cleans_a_hostile_user_agent_header) {
    std::string ua = "Mozilla/5.0\xFF\xFE\x01 (Windows NT 10.0) Chrome/120.0.0.0\xC3";
    ua += std::string(5000, 'z');
    const auto out = report("{}", ua);
    const auto& stored = out.at("user_agent").as_string();
    EXPECT_EQ(stored.size(), 512u);
    EXPECT_EQ(std::string_view(stored).substr(0, 46), "Mozilla/5.0 (Windows NT 10.0) Chrome/120.0.0.0");
    EXPECT_EQ(out.at("browser"), "Chrome 120.0");
    // Serialises and parses back: the stored bytes are valid UTF-8 JSON.
    EXPECT_EQ(json::parse(json::serialize(out)).as_object(), out);
}

TEST(server_side_device_details, holds_only_what_the_server_knows) {
    const auto out = server_side_device_details(safari_iphone, "2001:db8::1");
    EXPECT_EQ(keys_of(out), server_keys);
    EXPECT_EQ(out.at("browser"), "Safari 17.1");
    EXPECT_EQ(out.at("os"), "iOS 17.1");
    EXPECT_EQ(out.at("device_type"), "mobile");
    EXPECT_EQ(out.at("ip"), "2001:db8::1");
    EXPECT_EQ(out.at("details_collected"), false);
    const auto nothing = server_side_device_details("", "");
    EXPECT_EQ(nothing.at("browser"), "Unknown");
    EXPECT_EQ(nothing.at("os"), "Unknown");
    EXPECT_EQ(nothing.at("device_type"), "unknown");
}
