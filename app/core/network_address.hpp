// Classifies IP addresses for the outbound-request guard (SSRF): which destinations a
// callback may reach. Pure: addresses arrive as bytes, so this file needs no networking.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace chal::core {

using ipv4_bytes = std::array<std::uint8_t, 4>;
using ipv6_bytes = std::array<std::uint8_t, 16>;

// Why an address is not an ordinary public unicast destination.
enum class address_class {
    public_unicast,
    loopback,         // 127/8, ::1
    private_use,      // 10/8, 172.16/12, 192.168/16, fc00::/7
    link_local,       // 169.254/16 (includes cloud metadata 169.254.169.254), fe80::/10
    cloud_metadata,   // 168.63.129.16, Azure's host services (wire server, DNS, health probes)
    shared_cgnat,     // 100.64/10
    unspecified,      // 0/8, ::
    multicast,        // 224/4, ff00::/8
    broadcast,        // 255.255.255.255
    reserved,         // 240/4, 192.0.0/24, 192.88.99/24, 100::/64, 2001::/23, ORCHID, 5f00::/16, outside 2000::/3
    documentation,    // 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20
    benchmarking,     // 198.18/15, 2001:2::/48
};

std::string_view to_string(address_class c) noexcept;

address_class classify(const ipv4_bytes& address) noexcept;

// IPv6 forms that embed an IPv4 address (mapped ::ffff:0:0/96, compatible ::/96,
// NAT64 64:ff9b::/96 and 64:ff9b:1::/48, 6to4 2002::/16, Teredo 2001::/32) are judged by
// the IPv4 address they carry, so `::ffff:127.0.0.1` is loopback, not public.
address_class classify(const ipv6_bytes& address) noexcept;

using ip_address = std::variant<ipv4_bytes, ipv6_bytes>;

address_class classify(const ip_address& address) noexcept;

// An address in its standard text form: dotted decimal with no leading zeros, or RFC 4291
// IPv6 text (embedded dotted IPv4 allowed); no brackets, zone ids, ports or spaces.
std::optional<ip_address> parse_ip_address(std::string_view text);

// RFC 5952 text for IPv6 (lower case, longest zero run compressed), dotted decimal for IPv4.
std::string to_string(const ip_address& address);

// A CIDR block ("10.0.0.0/8", "2001:db8::/32") or one address (all of its bits).
struct address_range {
    ip_address network;
    int prefix_bits = 0;
};

// nullopt unless `text` is an address, or an address, '/', and a prefix length that fits it
// (host bits may be set: "10.1.2.3/8" is 10/8).
std::optional<address_range> parse_address_range(std::string_view text);

// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are the IPv4 address they carry.
bool contains(const address_range& range, const ip_address& address) noexcept;

// What the operator allows beyond public unicast. Production allows neither; tests and the
// local demo allow loopback so a receiver on 127.0.0.1 can be reached.
struct outbound_address_policy {
    bool allow_loopback = false;
    bool allow_private = false;  // private_use, link_local, cloud_metadata, shared_cgnat
};

bool is_allowed(address_class c, const outbound_address_policy& policy) noexcept;

// The client's address as our own reverse proxies saw it: the peer itself unless the peer is in
// `trusted_proxies` (addresses or CIDR blocks, see parse_address_range; entries that are neither
// match nothing), then X-Forwarded-For walked from the right past our proxies: the first hop
// that is not one of ours (hops further left were written by the client and prove nothing).
// `forwarded_for` holds every X-Forwarded-For field line in order; they form one list (RFC 9110
// section 5.3). A hop that is not an address ends the walk, and the last address walked past
// (or the peer) is the answer. The address comes back in to_string form. Never throws except
// std::bad_alloc.
std::string forwarded_client_address(
    std::string_view peer, std::span<const std::string_view> forwarded_for, std::span<const std::string> trusted_proxies
);

}  // namespace chal::core
