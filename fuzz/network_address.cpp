// The SSRF guard's address classes: core::classify on raw IPv4 and IPv6 bytes (the first 4 and
// the first 16 bytes of the input). Property: every IPv6 form that embeds an IPv4 address
// (mapped, compatible, NAT64, 6to4, Teredo) is judged exactly as that IPv4 address is.
#include "app/core/network_address.hpp"
#include "fuzz/fuzz_input.hpp"

#include <algorithm>
#include <array>

namespace {

using chal::core::ipv4_bytes;
using chal::core::ipv6_bytes;

ipv6_bytes embedding(std::initializer_list<std::uint8_t> prefix, const ipv4_bytes& v4, std::size_t at) {
    ipv6_bytes out{};
    std::copy(prefix.begin(), prefix.end(), out.begin());
    std::copy(v4.begin(), v4.end(), out.begin() + static_cast<std::ptrdiff_t>(at));
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using chal::fuzz::require;
    namespace core = chal::core;
    if (size >= 16) {
        ipv6_bytes v6{};
        std::copy(data, data + 16, v6.begin());
        require(!core::to_string(core::classify(v6)).empty(), "every class has a name");
    }
    if (size < 4) return 0;
    ipv4_bytes v4{};
    std::copy(data, data + 4, v4.begin());
    const auto expected = core::classify(v4);
    require(!core::to_string(expected).empty(), "every class has a name");
    // ::/96 stands for "::" and "::1" too, which are not IPv4 addresses.
    const bool compatible_is_v4 = v4[0] != 0 || v4[1] != 0 || v4[2] != 0 || v4[3] > 1;
    for (const auto& v6 : {
             embedding({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, v4, 12),  // ::ffff:0:0/96
             embedding({0, 0x64, 0xff, 0x9b}, v4, 12),                       // 64:ff9b::/96
             embedding({0x20, 0x02}, v4, 2),                                 // 2002::/16
         }) {
        require(core::classify(v6) == expected, "an embedded IPv4 address is judged as itself");
    }
    // Teredo 2001::/32 carries the client's address inverted in its last 32 bits.
    const ipv4_bytes inverted{static_cast<std::uint8_t>(~v4[0]), static_cast<std::uint8_t>(~v4[1]),
                              static_cast<std::uint8_t>(~v4[2]), static_cast<std::uint8_t>(~v4[3])};
    require(core::classify(embedding({0x20, 0x01, 0, 0}, inverted, 12)) == expected,
            "a Teredo address is judged by the IPv4 address it carries");
    if (compatible_is_v4)
        require(core::classify(embedding({}, v4, 12)) == expected, "an IPv4-compatible address is judged as itself");
    return 0;
}
