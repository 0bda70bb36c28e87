// Address classification for the outbound guard; blocks follow the IANA special-purpose
// registries (RFC 6890 and successors) and the embedded-IPv4 IPv6 forms SSRF filters miss.
#include "app/core/network_address.hpp"

#include <boost/url/ipv4_address.hpp>
#include <boost/url/ipv6_address.hpp>

#include <algorithm>
#include <charconv>
#include <string>
#include <vector>

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
        case address_class::cloud_metadata: return "cloud_metadata";
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
    if (a == ipv4_bytes{168, 63, 129, 16}) return address_class::cloud_metadata;
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
    // The rest of 2001::/23 (IETF protocol assignments, RFC 2928): benchmarking 2001:2::/48,
    // ORCHID 2001:10::/28 and ORCHIDv2 2001:20::/28, and anycast and experiment blocks no
    // webhook receiver lives in.
    if (starts_with(a, {0x20, 0x01, 0x00, 0x02, 0x00, 0x00})) return address_class::benchmarking;
    if (starts_with(a, {0x20, 0x01}) && a[2] <= 0x01) return address_class::reserved;
    if (starts_with(a, {0x20, 0x01, 0x0d, 0xb8})) return address_class::documentation;
    // RFC 9637's second documentation block 3fff::/20.
    if (a[0] == 0x3f && a[1] == 0xff && (a[2] & 0xf0) == 0x00) return address_class::documentation;
    if (a[0] == 0xff) return address_class::multicast;
    if ((a[0] & 0xfe) == 0xfc) return address_class::private_use;
    if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) return address_class::link_local;
    // Deprecated site-local fec0::/10.
    if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0) return address_class::private_use;
    // Everything outside global unicast 2000::/3 is unallocated or special: among them the
    // discard-only 100::/64, the dummy prefix 100:0:0:1::/64 and SRv6 SIDs 5f00::/16 (RFC 9602).
    if ((a[0] & 0xe0) != 0x20) return address_class::reserved;
    return address_class::public_unicast;
}

address_class classify(const ip_address& address) noexcept {
    return std::visit([](const auto& bytes) { return classify(bytes); }, address);
}

std::optional<ip_address> parse_ip_address(std::string_view text) {
    // Boost.URL 1.81 reads the views it is given up to a NUL; give it an owned copy.
    const std::string owned(text);
    if (auto v4 = boost::urls::parse_ipv4_address(owned)) return ip_address{ipv4_bytes(v4->to_bytes())};
    if (auto v6 = boost::urls::parse_ipv6_address(owned)) return ip_address{ipv6_bytes(v6->to_bytes())};
    return std::nullopt;
}

std::string to_string(const ip_address& address) {
    if (const auto* v4 = std::get_if<ipv4_bytes>(&address)) return boost::urls::ipv4_address(*v4).to_string();
    return boost::urls::ipv6_address(std::get<ipv6_bytes>(address)).to_string();
}

namespace {

// ::ffff:a.b.c.d is a.b.c.d; every other address is itself.
ip_address unmapped(const ip_address& address) noexcept {
    if (const auto* v6 = std::get_if<ipv6_bytes>(&address)) {
        if (all_zero(*v6, 0, 10) && (*v6)[10] == 0xff && (*v6)[11] == 0xff) return ipv4_at(*v6, 12);
    }
    return address;
}

template <std::size_t N>
bool prefix_matches(const std::array<std::uint8_t, N>& a, const std::array<std::uint8_t, N>& b, int bits) noexcept {
    for (std::size_t i = 0; i < N && bits > 0; ++i, bits -= 8) {
        const auto mask = static_cast<std::uint8_t>(bits >= 8 ? 0xff : 0xff << (8 - bits));
        if ((a[i] & mask) != (b[i] & mask)) return false;
    }
    return true;
}

}  // namespace

std::optional<address_range> parse_address_range(std::string_view text) {
    const auto slash = text.find('/');
    auto address = parse_ip_address(text.substr(0, slash));
    if (!address) return std::nullopt;
    const int width = std::holds_alternative<ipv4_bytes>(*address) ? 32 : 128;
    if (slash == std::string_view::npos) return address_range{*address, width};
    const auto digits = text.substr(slash + 1);
    int bits = -1;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), bits);
    if (digits.empty() || digits.size() > 3 || ec != std::errc{} || end != digits.data() + digits.size() || bits < 0 ||
        bits > width)
        return std::nullopt;
    return address_range{*address, bits};
}

bool contains(const address_range& range, const ip_address& address) noexcept {
    const auto network = unmapped(range.network);
    const auto candidate = unmapped(address);
    if (network.index() != candidate.index()) return false;
    // A mapped range ("::ffff:10.0.0.0/104") counts its bits past the 96 of the mapping.
    const int bits = std::holds_alternative<ipv4_bytes>(network) && std::holds_alternative<ipv6_bytes>(range.network)
                         ? std::max(0, range.prefix_bits - 96)
                         : range.prefix_bits;
    if (const auto* v4 = std::get_if<ipv4_bytes>(&network)) return prefix_matches(*v4, std::get<ipv4_bytes>(candidate), bits);
    return prefix_matches(std::get<ipv6_bytes>(network), std::get<ipv6_bytes>(candidate), bits);
}

bool is_allowed(address_class c, const outbound_address_policy& policy) noexcept {
    switch (c) {
        case address_class::public_unicast: return true;
        case address_class::loopback: return policy.allow_loopback;
        case address_class::private_use:
        case address_class::link_local:
        case address_class::cloud_metadata:
        case address_class::shared_cgnat: return policy.allow_private;
        default: return false;
    }
}

std::string forwarded_client_address(
    std::string_view peer, std::span<const std::string_view> forwarded_for, std::span<const std::string> trusted_proxies
) {
    std::vector<address_range> proxies;
    for (const auto& entry : trusted_proxies) {
        if (auto range = parse_address_range(entry)) proxies.push_back(*range);
    }
    const auto trusted = [&](const ip_address& address) {
        return std::any_of(proxies.begin(), proxies.end(), [&](const auto& r) { return contains(r, address); });
    };
    const auto peer_address = parse_ip_address(peer);
    if (!peer_address || !trusted(*peer_address)) return std::string(peer);
    ip_address last = *peer_address;
    for (auto line = forwarded_for.rbegin(); line != forwarded_for.rend(); ++line) {
        std::string_view rest = *line;
        for (;;) {
            const auto comma = rest.rfind(',');
            auto hop = comma == std::string_view::npos ? rest : rest.substr(comma + 1);
            while (!hop.empty() && (hop.front() == ' ' || hop.front() == '\t')) hop.remove_prefix(1);
            while (!hop.empty() && (hop.back() == ' ' || hop.back() == '\t')) hop.remove_suffix(1);
            const auto address = parse_ip_address(hop);
            // Not an address: nothing further left can be believed.
            if (!address) return to_string(unmapped(last));
            if (!trusted(*address)) return to_string(unmapped(*address));
            last = *address;
            if (comma == std::string_view::npos) break;
            rest = rest.substr(0, comma);
        }
    }
    return to_string(unmapped(last));
}

}  // namespace chal::core
