#include "app/core/network_address.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>

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

TEST(forwarded_client_address, believes_x_forwarded_for_only_from_a_trusted_proxy) {
    const std::vector<std::string> proxies{"10.0.0.5", "10.0.0.6"};
    // No proxy in front: the header is the client's own claim.
    EXPECT_EQ(chal::core::forwarded_client_address("198.51.100.7", "203.0.113.9", proxies), "198.51.100.7");
    // Our proxy appended the client it saw.
    EXPECT_EQ(chal::core::forwarded_client_address("10.0.0.5", "203.0.113.9", proxies), "203.0.113.9");
    // The client prepended a lie; our proxies' hops are skipped right to left.
    EXPECT_EQ(chal::core::forwarded_client_address("10.0.0.5", "1.2.3.4, 203.0.113.9, 10.0.0.6", proxies), "203.0.113.9");
    // Only proxies in the chain, no header, or garbage: the peer.
    EXPECT_EQ(chal::core::forwarded_client_address("10.0.0.5", "10.0.0.6", proxies), "10.0.0.5");
    EXPECT_EQ(chal::core::forwarded_client_address("10.0.0.5", std::nullopt, proxies), "10.0.0.5");
    EXPECT_EQ(chal::core::forwarded_client_address("10.0.0.5", " , ", proxies), "10.0.0.5");
}
