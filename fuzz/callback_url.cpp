// Callback and IdP URLs: core::validate_callback_url (at creation) and http::parse_outbound_url
// (what the client connects to), with the address policy applied to IP literals.
// Properties: nothing throws; what parse_outbound_url accepts has a host, a port 1..65535 and a
// target starting with '/', holds no byte that could end a header line or the request line, and
// parses again, from its own host header and target, to the same destination.
#include "app/core/network_address.hpp"
#include "app/core/new_challenge.hpp"
#include "app/http/url.hpp"
#include "fuzz/fuzz_input.hpp"

#include <algorithm>

namespace {

bool is_header_safe(std::string_view text) {
    return std::none_of(text.begin(), text.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u <= 0x20 || u == 0x7f;
    });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using chal::fuzz::require;
    namespace core = chal::core;
    const auto url = chal::fuzz::as_text(data, size);

    core::validate_callback_url(url, {.allow_plain_http = false});
    core::validate_callback_url(url, {.allow_plain_http = true});

    const auto parsed = chal::http::parse_outbound_url(url);
    if (!parsed) return 0;
    require(!parsed->host.empty() && parsed->port != 0, "an outbound URL has a host and a port");
    require(!parsed->target.empty() && parsed->target.front() == '/', "an outbound target starts with /");
    require(is_header_safe(parsed->host_header) && is_header_safe(parsed->target),
            "an outbound host and target cannot break a header or the request line");

    const auto again = chal::http::parse_outbound_url(
        (parsed->tls ? "https://" : "http://") + parsed->host_header + parsed->target
    );
    require(again && again->tls == parsed->tls && again->host == parsed->host && again->port == parsed->port &&
                again->target == parsed->target && again->literal == parsed->literal,
            "an outbound URL parses again to the same destination");

    const core::outbound_address_policy closed{};
    if (const auto* v4 = std::get_if<core::ipv4_bytes>(&parsed->literal)) {
        require(core::is_allowed(core::classify(*v4), closed) == (core::classify(*v4) == core::address_class::public_unicast),
                "production allows public unicast only");
    } else if (const auto* v6 = std::get_if<core::ipv6_bytes>(&parsed->literal)) {
        require(core::is_allowed(core::classify(*v6), closed) == (core::classify(*v6) == core::address_class::public_unicast),
                "production allows public unicast only");
    }
    return 0;
}
