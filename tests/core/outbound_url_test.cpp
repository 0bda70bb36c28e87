#include "app/core/outbound_url.hpp"

#include <gtest/gtest.h>

#include <string>

namespace chal::core {
namespace {

std::optional<ipv4_bytes> literal_of(const std::string& url) {
    auto parsed = parse_outbound_url(url);
    if (!parsed) return std::nullopt;
    if (const auto* v4 = std::get_if<ipv4_bytes>(&parsed->literal)) return *v4;
    return std::nullopt;
}

TEST(parse_outbound_url, reads_every_numeric_host_form_resolvers_accept_as_an_address) {
    const ipv4_bytes loopback{127, 0, 0, 1};
    for (const char* url : {"https://2130706433/x", "https://0x7f000001/x", "https://0X7F000001/x", "https://0177.0.0.1/x",
                            "https://127.1/x", "https://127.0.1/x", "https://0x7f.1/x", "https://0177.0.0x1/x",
                            "https://0x7f.0.0.1./x", "https://017700000001/x", "https://127.000.000.001/x"}) {
        EXPECT_EQ(literal_of(url), loopback) << url;
    }
    EXPECT_EQ(literal_of("https://0xa9fea9fe/latest/meta-data"), (ipv4_bytes{169, 254, 169, 254}));
    EXPECT_EQ(literal_of("https://0/x"), (ipv4_bytes{0, 0, 0, 0}));
    EXPECT_EQ(literal_of("https://0x08080808/x"), (ipv4_bytes{8, 8, 8, 8}));
    const auto url = parse_outbound_url("https://2130706433:8443/x");
    ASSERT_TRUE(url.has_value());
    EXPECT_EQ(url->host, "127.0.0.1");
    EXPECT_EQ(url->host_header, "2130706433:8443");
    EXPECT_EQ(url->port, 8443);
}

TEST(parse_outbound_url, refuses_a_host_that_ends_in_a_number_but_is_no_address) {
    for (const char* url : {"https://4294967296/x", "https://1.2.3.4.5/x", "https://256.0.0.1/x", "https://1.2.3.256/x",
                            "https://1.2.65536/x", "https://08.0.0.1/x", "https://0x1g.0.0.1/x", "https://example.123/x",
                            "https://example.0x10/x", "https://1..1/x",
                            // Boost.URL 1.81 would split these into an IPv4 host and a path.
                            "https://127.0.0.1.example.com/", "https://1.2.3.4a/x", "https://10.0.0.1.5/x", "https://127.0.0.1./x"}) {
        const auto parsed = parse_outbound_url(url);
        EXPECT_FALSE(parsed.has_value()) << url;
        if (!parsed) {
            EXPECT_EQ(parsed.error(), errc::invalid_callback_url) << url;
        }
    }
}

TEST(parse_outbound_url, keeps_names_that_only_look_numeric_in_part) {
    for (const char* url : {"https://1e100.net/x", "https://0x7f000001.example.com/x", "https://123.example/x",
                            "https://hooks-2.example.com/x"}) {
        const auto parsed = parse_outbound_url(url);
        ASSERT_TRUE(parsed.has_value()) << url;
        EXPECT_TRUE(std::holds_alternative<std::monostate>(parsed->literal)) << url;
    }
}

TEST(vet_outbound_url, applies_the_scheme_and_address_policy_to_literals) {
    const outbound_url_policy production{};
    EXPECT_TRUE(vet_outbound_url("https://hooks.example.com/x", production).has_value());
    EXPECT_TRUE(vet_outbound_url("https://93.184.216.34/x", production).has_value());
    EXPECT_EQ(vet_outbound_url("http://hooks.example.com/x", production).error(), errc::callback_scheme_not_allowed);
    EXPECT_EQ(vet_outbound_url("https://2130706433/x", production).error(), errc::callback_address_not_allowed);
    EXPECT_EQ(vet_outbound_url("https://[::1]/x", production).error(), errc::callback_address_not_allowed);
    EXPECT_EQ(vet_outbound_url("https://[2001:2::1]/x", production).error(), errc::callback_address_not_allowed);
    EXPECT_EQ(vet_outbound_url("https://not a url/", production).error(), errc::invalid_callback_url);
    const outbound_url_policy local{.allow_plain_http = true, .address_policy = {.allow_loopback = true}};
    EXPECT_TRUE(vet_outbound_url("http://127.1:9000/x", local).has_value());
    EXPECT_EQ(vet_outbound_url("http://10.0.0.1/x", local).error(), errc::callback_address_not_allowed);
    // A host name is left to the send, where every address it resolves to is judged.
    EXPECT_TRUE(vet_outbound_url("https://localhost/x", production).has_value());
}

}  // namespace
}  // namespace chal::core
