#include "app/core/cross_origin.hpp"

#include <gtest/gtest.h>

using namespace chal;
using core::cross_origin_reason;

namespace {

constexpr std::string_view ours = "https://console.example.com";

core::cross_origin_verdict check(std::string_view method, std::string_view fetch_site, std::string_view origin) {
    return core::check_cross_origin({method, fetch_site, origin}, ours);
}

void expect_verdict(core::cross_origin_verdict v, bool allowed, cross_origin_reason reason) {
    EXPECT_EQ(v.allowed, allowed);
    EXPECT_EQ(v.reason, reason);
}

}  // namespace

TEST(cross_origin, lets_safe_methods_through_whatever_the_headers_say) {
    for (const auto* method : {"GET", "HEAD", "OPTIONS"})
        expect_verdict(check(method, "cross-site", "https://evil.example"), true, cross_origin_reason::safe_method);
}

TEST(cross_origin, treats_every_other_method_as_state_changing) {
    for (const auto* method : {"POST", "PUT", "PATCH", "DELETE", "get", "CONNECT", ""})
        EXPECT_FALSE(check(method, "cross-site", "").allowed) << method;
}

TEST(cross_origin, trusts_sec_fetch_site_same_origin_and_none) {
    expect_verdict(check("POST", "same-origin", ""), true, cross_origin_reason::same_origin_fetch);
    expect_verdict(check("POST", "none", ""), true, cross_origin_reason::user_initiated_fetch);
}

TEST(cross_origin, sec_fetch_site_decides_even_when_origin_disagrees) {
    expect_verdict(check("POST", "same-origin", "https://evil.example"), true, cross_origin_reason::same_origin_fetch);
    expect_verdict(check("POST", "cross-site", std::string(ours)), false, cross_origin_reason::cross_origin_fetch);
}

TEST(cross_origin, refuses_same_site_cross_site_and_unknown_fetch_sites) {
    for (const auto* site : {"same-site", "cross-site", "Same-Origin", "same-origin ", "bogus"})
        expect_verdict(check("POST", site, ""), false, cross_origin_reason::cross_origin_fetch);
}

TEST(cross_origin, without_fetch_metadata_accepts_only_our_exact_origin) {
    expect_verdict(check("POST", "", "https://console.example.com"), true, cross_origin_reason::origin_matches);
    for (const auto* origin : {
             "https://evil.example",
             "null",                               // sandboxed frames, file:, some redirects
             "http://console.example.com",         // scheme differs
             "https://console.example.com:8443",   // port differs
             "https://console.example.com:443",    // browsers never send the default port
             "https://console.example.com/",       // nor a trailing slash
             "https://Console.Example.com",        // nor upper case
             "https://console.example.com.evil.example",
             "https://sub.console.example.com",
         })
        expect_verdict(check("POST", "", origin), false, cross_origin_reason::foreign_origin);
}

TEST(cross_origin, lets_requests_without_either_header_through_as_non_browser_clients) {
    expect_verdict(check("POST", "", ""), true, cross_origin_reason::not_a_browser);
}

TEST(cross_origin, refuses_any_origin_when_no_public_origin_is_configured) {
    expect_verdict(core::check_cross_origin({"POST", "", "null"}, ""), false, cross_origin_reason::foreign_origin);
}

TEST(cross_origin, describes_refusals_without_quoting_the_request) {
    EXPECT_EQ(core::describe(cross_origin_reason::cross_origin_fetch),
              "Cross-origin request refused: the browser reports it comes from another site (Sec-Fetch-Site)");
    EXPECT_EQ(core::describe(cross_origin_reason::foreign_origin),
              "Cross-origin request refused: its Origin is not this service's origin");
}

TEST(public_origin_of, serialises_like_a_browsers_origin_header) {
    EXPECT_EQ(core::public_origin_of("https://console.example.com"), "https://console.example.com");
    EXPECT_EQ(core::public_origin_of("https://console.example.com/"), "https://console.example.com");
    EXPECT_EQ(core::public_origin_of("HTTPS://Console.Example.COM/console?x#y"), "https://console.example.com");
    EXPECT_EQ(core::public_origin_of("https://console.example.com:443"), "https://console.example.com");
    EXPECT_EQ(core::public_origin_of("http://127.0.0.1:80/"), "http://127.0.0.1");
    EXPECT_EQ(core::public_origin_of("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    EXPECT_EQ(core::public_origin_of("https://console.example.com:8443/"), "https://console.example.com:8443");
    EXPECT_EQ(core::public_origin_of("http://example.com:443"), "http://example.com:443");
    EXPECT_EQ(core::public_origin_of("http://[::1]:8080/"), "http://[::1]:8080");
    EXPECT_EQ(core::public_origin_of("https://[2001:DB8::1]"), "https://[2001:db8::1]");
}

TEST(public_origin_of, refuses_what_is_not_an_http_origin) {
    for (const auto* url : {"", "console.example.com", "ftp://example.com", "https://", "https:///path",
                            "https://user:pw@example.com", "https://example.com:", "https://example.com:0",
                            "https://example.com:65536", "https://example.com:80a", "https://exa mple.com",
                            "https://a:b:c", "http://[::1", "http://[::1]x", "https://example.com:123456"})
        EXPECT_EQ(core::public_origin_of(url), std::nullopt) << url;
}

TEST(public_origin_of, makes_the_configured_origin_match_what_browsers_send) {
    const auto configured = core::public_origin_of("https://Console.Example.com:443/");
    ASSERT_TRUE(configured);
    EXPECT_TRUE(core::check_cross_origin({"POST", "", "https://console.example.com"}, *configured).allowed);
}
