#include "app/http/url.hpp"

#include "app/http/client_error.hpp"

#include <gtest/gtest.h>

namespace chal::http {
namespace {

TEST(outbound_url, parses_an_https_url_with_defaults) {
    const auto url = parse_outbound_url("https://Hooks.Example.com/path/x?a=1&b=2#frag");
    ASSERT_TRUE(url.has_value());
    EXPECT_TRUE(url->tls);
    EXPECT_EQ(url->host, "hooks.example.com");
    EXPECT_EQ(url->port, 443);
    EXPECT_EQ(url->host_header, "Hooks.Example.com");
    EXPECT_EQ(url->target, "/path/x?a=1&b=2");
    EXPECT_TRUE(std::holds_alternative<std::monostate>(url->literal));
}

TEST(outbound_url, keeps_an_explicit_port_in_the_host_header) {
    const auto url = parse_outbound_url("http://example.com:8080");
    ASSERT_TRUE(url.has_value());
    EXPECT_FALSE(url->tls);
    EXPECT_EQ(url->port, 8080);
    EXPECT_EQ(url->host_header, "example.com:8080");
    EXPECT_EQ(url->target, "/");
}

TEST(outbound_url, treats_an_empty_port_as_the_default) {
    const auto url = parse_outbound_url("http://example.com:/x");
    ASSERT_TRUE(url.has_value());
    EXPECT_EQ(url->port, 80);
    EXPECT_EQ(url->host_header, "example.com");
}

TEST(outbound_url, recognises_ipv4_literals) {
    const auto url = parse_outbound_url("http://169.254.169.254/latest/meta-data");
    ASSERT_TRUE(url.has_value());
    const auto* v4 = std::get_if<core::ipv4_bytes>(&url->literal);
    ASSERT_NE(v4, nullptr);
    EXPECT_EQ(*v4, (core::ipv4_bytes{169, 254, 169, 254}));
    EXPECT_EQ(url->host, "169.254.169.254");
}

TEST(outbound_url, recognises_ipv6_literals) {
    const auto url = parse_outbound_url("https://[::ffff:127.0.0.1]:8443/x");
    ASSERT_TRUE(url.has_value());
    const auto* v6 = std::get_if<core::ipv6_bytes>(&url->literal);
    ASSERT_NE(v6, nullptr);
    EXPECT_EQ((*v6)[10], 0xff);
    EXPECT_EQ((*v6)[11], 0xff);
    EXPECT_EQ((*v6)[12], 127);
    EXPECT_EQ((*v6)[15], 1);
    EXPECT_EQ(url->port, 8443);
    EXPECT_EQ(url->host_header, "[::ffff:127.0.0.1]:8443");
}

TEST(outbound_url, refuses_what_it_must_not_send) {
    for (const auto* bad : {
             "ftp://example.com/",
             "//example.com/",
             "/relative",
             "https://user:pass@example.com/",
             "https://user@example.com/",
             "https:///path",
             "https://exa%6Dple.com/",
             "https://example.com:0/",
             "https://example.com:65536/",
             "https://example.com:99999999/",
             "https://[v1.x]/",
             "not a url",
             "",
         }) {
        const auto url = parse_outbound_url(bad);
        EXPECT_FALSE(url.has_value()) << bad;
        if (!url.has_value()) {
            EXPECT_EQ(url.error(), make_error_code(client_errc::invalid_url)) << bad;
        }
    }
}

TEST(client_errc, has_its_own_category) {
    const boost::system::error_code ec = client_errc::forbidden_address;
    EXPECT_STREQ(ec.category().name(), "chal.http.client");
    EXPECT_EQ(to_string(client_errc::forbidden_address), "forbidden_address");
    EXPECT_FALSE(ec.message().empty());
}

}  // namespace
}  // namespace chal::http
