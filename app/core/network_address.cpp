// Address classification for the outbound guard; blocks follow the IANA special-purpose
// registries (RFC 6890 and successors) and the embedded-IPv4 IPv6 forms SSRF filters miss.
#include "app/core/network_address.hpp"

namespace chal::core {
namespace {

bool in_prefix(const ipv4_bytes& a, std::uint8_t b0, std::uint8_t b1, std::uint8_t b2, int bits) noexcept {
    const std::uint32_t value = (std::uint32_t{a[0]} << 24) | (std::uint32_t{a[1]} << 16) |
                                (std::uint32_t{a[2]} << 8) | std::uint32_t{a[3]};
    const std::uint32_t prefix = (std::uint32_t{b0} << 24) | (std::uint32_t{b1} << 16) | (std::uint32_t{b2} << 8);
    const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
    return (value & mask) == (prefix & mask);
}

bool starts_with(const ipv6_bytes& a, std::initializer_list<std::uint8_t> prefix) noexcept {
    std::size_t i = 0;
    for (std::uint8_t b : prefix) {
        if (a[i++] != b) return false;
    }
    return true;
}

bool all_zero(const ipv6_bytes& a, std::size_t from, std::size_t to) noexcept {
    for (std::size_t i = from; i < to; ++i) {
        if (a[i] != 0) return false;
    }
    return true;
}

ipv4_bytes ipv4_at(const ipv6_bytes& a, std::size_t offset, bool inverted = false) noexcept {
    ipv4_bytes v4{a[offset], a[offset + 1], a[offset + 2], a[offset + 3]};
    if (inverted) {
        for (auto& b : v4) b = static_cast<std::uint8_t>(~b);
    }
    return v4;
}

}  // namespace

std::string_view to_string(address_class c) noexcept {
    switch (c) {
        case address_class::public_unicast: return "public_unicast";
        case address_class::loopback: return "loopback";
        case address_class::private_use: return "private_use";
        case address_class::link_local: return "link_local";
        case address_class::shared_cgnat: return "shared_cgnat";
        case address_class::unspecified: return "unspecified";
        case address_class::multicast: return "multicast";
        case address_class::broadcast: return "broadcast";
        case address_class::reserved: return "reserved";
        case address_class::documentation: return "documentation";
        case address_class::benchmarking: return "benchmarking";
    }
    return "unknown";
}

address_class classify(const ipv4_bytes& a) noexcept {
    if (a == ipv4_bytes{255, 255, 255, 255}) return address_class::broadcast;
    if (in_prefix(a, 0, 0, 0, 8)) return address_class::unspecified;
    if (in_prefix(a, 127, 0, 0, 8)) return address_class::loopback;
    if (in_prefix(a, 10, 0, 0, 8) || in_prefix(a, 172, 16, 0, 12) || in_prefix(a, 192, 168, 0, 16))
        return address_class::private_use;
    if (in_prefix(a, 169, 254, 0, 16)) return address_class::link_local;
    if (in_prefix(a, 100, 64, 0, 10)) return address_class::shared_cgnat;
    if (in_prefix(a, 192, 0, 2, 24) || in_prefix(a, 198, 51, 100, 24) || in_prefix(a, 203, 0, 113, 24))
        return address_class::documentation;
    if (in_prefix(a, 198, 18, 0, 15)) return address_class::benchmarking;
    if (in_prefix(a, 224, 0, 0, 4)) return address_class::multicast;
    if (in_prefix(a, 240, 0, 0, 4) || in_prefix(a, 192, 0, 0, 24) || in_prefix(a, 192, 88, 99, 24))
        return address_class::reserved;
    return address_class::public_unicast;
}

address_class classify(const ipv6_bytes& a) noexcept {
    // IPv4-mapped ::ffff:a.b.c.d and the deprecated IPv4-compatible ::a.b.c.d.
    if (all_zero(a, 0, 10) && a[10] == 0xff && a[11] == 0xff) return classify(ipv4_at(a, 12));
    if (all_zero(a, 0, 12)) {
        if (all_zero(a, 12, 15) && a[15] == 0) return address_class::unspecified;
        if (all_zero(a, 12, 15) && a[15] == 1) return address_class::loopback;
        return classify(ipv4_at(a, 12));
    }
    // NAT64 well-known prefix 64:ff9b::/96 and local-use 64:ff9b:1::/48.
    if (starts_with(a, {0x00, 0x64, 0xff, 0x9b}) && all_zero(a, 4, 12)) return classify(ipv4_at(a, 12));
    if (starts_with(a, {0x00, 0x64, 0xff, 0x9b, 0x00, 0x01})) return address_class::private_use;
    // 6to4 2002:V4ADDR::/48 carries the IPv4 address in bytes 2..5.
    if (starts_with(a, {0x20, 0x02})) return classify(ipv4_at(a, 2));
    // Teredo 2001:0000::/32: the client's IPv4 address is the last 32 bits, inverted.
    if (starts_with(a, {0x20, 0x01, 0x00, 0x00})) return classify(ipv4_at(a, 12, true));
    if (starts_with(a, {0x20, 0x01, 0x0d, 0xb8})) return address_class::documentation;
    if (a[0] == 0xff) return address_class::multicast;
    if ((a[0] & 0xfe) == 0xfc) return address_class::private_use;
    if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) return address_class::link_local;
    // Deprecated site-local fec0::/10 and the discard-only 100::/64.
    if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0) return address_class::private_use;
    if (starts_with(a, {0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00})) return address_class::reserved;
    // Everything outside global unicast 2000::/3 is unallocated or special.
    if ((a[0] & 0xe0) != 0x20) return address_class::reserved;
    return address_class::public_unicast;
}

bool is_allowed(address_class c, const outbound_address_policy& policy) noexcept {
    switch (c) {
        case address_class::public_unicast: return true;
        case address_class::loopback: return policy.allow_loopback;
        case address_class::private_use:
        case address_class::link_local:
        case address_class::shared_cgnat: return policy.allow_private;
        default: return false;
    }
}

std::string forwarded_client_address(
    std::string_view peer, std::optional<std::string_view> forwarded_for, std::span<const std::string> trusted_proxies
) {
    const auto trusted = [&](std::string_view address) {
        for (const auto& proxy : trusted_proxies) {
            if (proxy == address) return true;
        }
        return false;
    };
    if (!forwarded_for || !trusted(peer)) return std::string(peer);
    std::string_view rest = *forwarded_for;
    while (!rest.empty()) {
        const auto comma = rest.rfind(',');
        auto hop = comma == std::string_view::npos ? rest : rest.substr(comma + 1);
        while (!hop.empty() && (hop.front() == ' ' || hop.front() == '\t')) hop.remove_prefix(1);
        while (!hop.empty() && (hop.back() == ' ' || hop.back() == '\t')) hop.remove_suffix(1);
        if (hop.empty() || hop.size() > 64) break;  // not an address: trust nothing further left
        if (!trusted(hop)) return std::string(hop);
        if (comma == std::string_view::npos) break;
        rest = rest.substr(0, comma);
    }
    return std::string(peer);
}

}  // namespace chal::core
