#include "app/core/network_address.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace core = chal::core;

namespace {

core::address_class classify_text(const std::string& text) {
    core::ipv4_bytes v4{};
    if (inet_pton(AF_INET, text.c_str(), v4.data()) == 1) return core::classify(v4);
    core::ipv6_bytes v6{};
    if (inet_pton(AF_INET6, text.c_str(), v6.data()) == 1) return core::classify(v6);
    ADD_FAILURE() << "not an address: " << text;
    return core::address_class::reserved;
}

bool allowed_in_production(const std::string& text) {
    return core::is_allowed(classify_text(text), core::outbound_address_policy{});
}

}  // namespace

// The table Svix's filter is tested with, plus the embedded-IPv4 forms it misses.
TEST(network_address, refuses_every_non_public_address_in_production) {
    for (const char* blocked :
         {"10.254.0.0", "192.168.10.65", "172.16.10.65", "0.1.2.3", "127.0.0.1", "169.254.45.1",
          "169.254.169.254", "255.255.255.255", "192.0.2.255", "198.51.100.65", "203.0.113.6",
          "100.100.0.0", "198.18.0.0", "224.0.0.1", "240.0.0.1", "::1", "::", "::ffff:127.0.0.1",
          "::ffff:169.254.169.254", "::127.0.0.1", "64:ff9b::a9fe:a9fe", "64:ff9b:1::1",
          "2002:7f00:1::1", "2002:c0a8:0101::1", "2001:0:4136:e378:8000:63bf:80ff:fffe", "fe80::1",
          "fc00::1", "fd12:3456::1", "ff02::1", "2001:db8::1", "fec0::1", "100::1"}) {
        EXPECT_FALSE(allowed_in_production(blocked)) << blocked;
    }
}

TEST(network_address, allows_public_addresses_in_every_form) {
    for (const char* allowed :
         {"1.1.1.1", "8.8.8.8", "93.184.216.34", "2001:4860:4860::8888", "::ffff:8.8.8.8",
          "64:ff9b::808:808", "2002:0808:0808::1", "2606:4700::1111"}) {
        EXPECT_TRUE(allowed_in_production(allowed)) << allowed;
    }
}

TEST(network_address, names_the_reason_an_address_is_refused) {
    EXPECT_EQ(classify_text("::ffff:127.0.0.1"), core::address_class::loopback);
    EXPECT_EQ(classify_text("169.254.169.254"), core::address_class::link_local);
    EXPECT_EQ(classify_text("100.64.0.1"), core::address_class::shared_cgnat);
    EXPECT_EQ(core::to_string(core::address_class::shared_cgnat), "shared_cgnat");
}

TEST(network_address, loopback_is_allowed_only_when_the_policy_says_so) {
    core::outbound_address_policy local{.allow_loopback = true};
    EXPECT_TRUE(core::is_allowed(classify_text("127.0.0.1"), local));
    EXPECT_TRUE(core::is_allowed(classify_text("::1"), local));
    EXPECT_FALSE(core::is_allowed(classify_text("10.0.0.1"), local));
    EXPECT_FALSE(core::is_allowed(classify_text("169.254.169.254"), local));
    core::outbound_address_policy internal{.allow_private = true};
    EXPECT_TRUE(core::is_allowed(classify_text("10.0.0.1"), internal));
    EXPECT_FALSE(core::is_allowed(classify_text("127.0.0.1"), internal));
    EXPECT_FALSE(core::is_allowed(classify_text("224.0.0.1"), internal));
}

TEST(network_address, closes_the_special_purpose_blocks_the_registries_list) {
    // IANA's IPv4 and IPv6 special-purpose registries, the entries that are not global unicast.
    const std::pair<const char*, core::address_class> cases[] = {
        {"3fff::1", core::address_class::documentation},          // RFC 9637
        {"3fff:fff:ffff::1", core::address_class::documentation},
        {"2001:2::1", core::address_class::benchmarking},         // RFC 5180
        {"2001:2:0:ffff::1", core::address_class::benchmarking},
        {"2001:10::1", core::address_class::reserved},            // ORCHID, RFC 4843
        {"2001:1f:ffff::1", core::address_class::reserved},
        {"2001:20::1", core::address_class::reserved},            // ORCHIDv2, RFC 7343
        {"2001:2f:ffff::1", core::address_class::reserved},
        {"2001:1::1", core::address_class::reserved},             // the rest of 2001::/23
        {"2001:1ff::1", core::address_class::reserved},
        {"5f00::1", core::address_class::reserved},               // SRv6 SIDs, RFC 9602
        {"100::1", core::address_class::reserved},                // discard-only, RFC 6666
        {"100:0:0:1::1", core::address_class::reserved},          // dummy prefix, RFC 9780
        {"192.88.99.1", core::address_class::reserved},           // 6to4 relay anycast
        {"192.0.0.9", core::address_class::reserved},
        {"168.63.129.16", core::address_class::cloud_metadata},   // Azure host services
    };
    for (const auto& [text, expected] : cases) EXPECT_EQ(classify_text(text), expected) << text;
    // Their neighbours stay public.
    for (const char* text : {"3fff:1000::1", "2001:200::1", "2001:4860::1", "168.63.129.17", "192.88.100.1"})
        EXPECT_EQ(classify_text(text), core::address_class::public_unicast) << text;
    EXPECT_FALSE(core::is_allowed(core::address_class::cloud_metadata, core::outbound_address_policy{.allow_loopback = true}));
    EXPECT_TRUE(core::is_allowed(core::address_class::cloud_metadata, core::outbound_address_policy{.allow_private = true}));
}

TEST(parse_ip_address, takes_only_the_standard_text_forms) {
    EXPECT_EQ(core::to_string(*core::parse_ip_address("203.0.113.9")), "203.0.113.9");
    EXPECT_EQ(core::to_string(*core::parse_ip_address("2001:DB8:0:0:0:0:0:1")), "2001:db8::1");
    EXPECT_TRUE(core::parse_ip_address("::ffff:1.2.3.4").has_value());
    for (const char* bad : {"", "unknown", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.256", "0x7f.0.0.1", "2130706433",
                            "[::1]", "::1%eth0", "1.2.3.4:80", " 1.2.3.4", "1.2.3.4 ", "fe80::1::2", "_gateway"}) {
        EXPECT_FALSE(core::parse_ip_address(bad).has_value()) << bad;
    }
}

TEST(address_range, matches_cidr_blocks_and_single_addresses) {
    const auto ten = *core::parse_address_range("10.0.0.0/8");
    EXPECT_TRUE(core::contains(ten, *core::parse_ip_address("10.200.3.4")));
    EXPECT_TRUE(core::contains(ten, *core::parse_ip_address("::ffff:10.200.3.4")));
    EXPECT_FALSE(core::contains(ten, *core::parse_ip_address("11.0.0.1")));
    const auto one = *core::parse_address_range("192.0.2.7");
    EXPECT_TRUE(core::contains(one, *core::parse_ip_address("192.0.2.7")));
    EXPECT_FALSE(core::contains(one, *core::parse_ip_address("192.0.2.8")));
    const auto v6 = *core::parse_address_range("2001:db8:aa::/48");
    EXPECT_TRUE(core::contains(v6, *core::parse_ip_address("2001:db8:aa:ff::1")));
    EXPECT_FALSE(core::contains(v6, *core::parse_ip_address("2001:db8:ab::1")));
    EXPECT_FALSE(core::contains(v6, *core::parse_ip_address("10.0.0.1")));
    EXPECT_TRUE(core::contains(*core::parse_address_range("0.0.0.0/0"), *core::parse_ip_address("8.8.8.8")));
    EXPECT_TRUE(core::contains(*core::parse_address_range("172.16.0.0/12"), *core::parse_ip_address("172.31.255.255")));
    EXPECT_FALSE(core::contains(*core::parse_address_range("172.16.0.0/12"), *core::parse_ip_address("172.32.0.0")));
    for (const char* bad : {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8x", "2001:db8::/129", "proxy", "10/8"})
        EXPECT_FALSE(core::parse_address_range(bad).has_value()) << bad;
}

std::string client_of(std::string_view peer, std::vector<std::string_view> lines, const std::vector<std::string>& proxies) {
    return core::forwarded_client_address(peer, lines, proxies);
}

TEST(forwarded_client_address, believes_x_forwarded_for_only_from_a_trusted_proxy) {
    const std::vector<std::string> proxies{"10.0.0.5", "10.0.0.6"};
    // No proxy in front: the header is the client's own claim.
    EXPECT_EQ(client_of("198.51.100.7", {"203.0.113.9"}, proxies), "198.51.100.7");
    // Our proxy appended the client it saw.
    EXPECT_EQ(client_of("10.0.0.5", {"203.0.113.9"}, proxies), "203.0.113.9");
    // The client prepended a lie; our proxies' hops are skipped right to left.
    EXPECT_EQ(client_of("10.0.0.5", {"1.2.3.4, 203.0.113.9, 10.0.0.6"}, proxies), "203.0.113.9");
    // No header: the peer. Only proxies in the chain: the furthest one walked past.
    EXPECT_EQ(client_of("10.0.0.5", {}, proxies), "10.0.0.5");
    EXPECT_EQ(client_of("10.0.0.5", {"10.0.0.6"}, proxies), "10.0.0.6");
}

TEST(forwarded_client_address, reads_every_header_line_as_one_list) {
    const std::vector<std::string> proxies{"10.0.0.5", "10.0.0.6"};
    // A second proxy added its own line: the client is in the first line, the second proxy in the last.
    EXPECT_EQ(client_of("10.0.0.5", {"203.0.113.9", "10.0.0.6"}, proxies), "203.0.113.9");
    EXPECT_EQ(client_of("10.0.0.5", {"1.2.3.4", "203.0.113.9, 10.0.0.6"}, proxies), "203.0.113.9");
}

TEST(forwarded_client_address, stops_at_a_hop_that_is_not_an_address) {
    const std::vector<std::string> proxies{"10.0.0.5", "10.0.0.6"};
    // The last good address walked past, or the peer when there was none.
    EXPECT_EQ(client_of("10.0.0.5", {"203.0.113.9, <script>, 10.0.0.6"}, proxies), "10.0.0.6");
    EXPECT_EQ(client_of("10.0.0.5", {" , "}, proxies), "10.0.0.5");
    EXPECT_EQ(client_of("10.0.0.5", {"203.0.113.9, x\nforged=1"}, proxies), "10.0.0.5");
    EXPECT_EQ(client_of("10.0.0.5", {"unknown"}, proxies), "10.0.0.5");
    EXPECT_EQ(client_of("10.0.0.5", {"203.0.113.9:4711"}, proxies), "10.0.0.5");
    const std::string long_hop(100, '1');
    EXPECT_EQ(client_of("10.0.0.5", {long_hop}, proxies), "10.0.0.5");
}

TEST(forwarded_client_address, trusts_proxies_by_cidr_block_and_compares_addresses_not_text) {
    const std::vector<std::string> proxies{"10.0.0.0/8", "2001:db8::/32"};
    EXPECT_EQ(client_of("10.20.30.40", {"203.0.113.9, 10.1.1.1"}, proxies), "203.0.113.9");
    EXPECT_EQ(client_of("2001:db8::7", {"2001:DB8:0::9, 2001:0db8::8"}, proxies), "2001:db8::9");
    EXPECT_EQ(client_of("10.0.0.1", {"::ffff:203.0.113.9"}, proxies), "203.0.113.9");
    EXPECT_EQ(client_of("11.0.0.1", {"203.0.113.9"}, proxies), "11.0.0.1");
}
