// Classifies IP addresses for the outbound-request guard (SSRF): which destinations a
// callback may reach. Pure: addresses arrive as bytes, so this file needs no networking.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace chal::core {

using ipv4_bytes = std::array<std::uint8_t, 4>;
using ipv6_bytes = std::array<std::uint8_t, 16>;

// Why an address is not an ordinary public unicast destination.
enum class address_class {
    public_unicast,
    loopback,         // 127/8, ::1
    private_use,      // 10/8, 172.16/12, 192.168/16, fc00::/7
    link_local,       // 169.254/16 (includes cloud metadata 169.254.169.254), fe80::/10
    shared_cgnat,     // 100.64/10
    unspecified,      // 0/8, ::
    multicast,        // 224/4, ff00::/8
    broadcast,        // 255.255.255.255
    reserved,         // 240/4, 192.0.0/24, other IETF special-purpose blocks
    documentation,    // 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32
    benchmarking,     // 198.18/15
};

std::string_view to_string(address_class c) noexcept;

address_class classify(const ipv4_bytes& address) noexcept;

// IPv6 forms that embed an IPv4 address (mapped ::ffff:0:0/96, compatible ::/96,
// NAT64 64:ff9b::/96 and 64:ff9b:1::/48, 6to4 2002::/16, Teredo 2001::/32) are judged by
// the IPv4 address they carry, so `::ffff:127.0.0.1` is loopback, not public.
address_class classify(const ipv6_bytes& address) noexcept;

// What the operator allows beyond public unicast. Production allows neither; tests and the
// local demo allow loopback so a receiver on 127.0.0.1 can be reached.
struct outbound_address_policy {
    bool allow_loopback = false;
    bool allow_private = false;  // private_use, link_local, shared_cgnat
};

bool is_allowed(address_class c, const outbound_address_policy& policy) noexcept;

// The client's address as our own reverse proxies saw it: the peer itself unless the peer is a
// trusted proxy, then the right-most X-Forwarded-For hop that is not one of ours (hops further
// left were written by the client and prove nothing). Addresses compare as text.
std::string forwarded_client_address(
    std::string_view peer, std::optional<std::string_view> forwarded_for, std::span<const std::string> trusted_proxies
);

}  // namespace chal::core
