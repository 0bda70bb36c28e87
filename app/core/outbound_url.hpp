// Where an outbound request (a callback, a call to an identity provider) may go, as far as its
// URL alone says: the parts the client needs, numeric hosts read the way resolvers read them,
// and the address policy applied to IP literals. One decision for both moments a callback URL
// is judged: when it is stored, and at every send (where the client also judges each address a
// host name resolves to, since DNS may change in between).
#pragma once

#include "app/core/errc.hpp"
#include "app/core/network_address.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace chal::core {

struct outbound_url {
    bool tls = false;         // https
    std::string host;         // DNS name (lower case), or the IP literal's standard text
    std::uint16_t port = 0;   // explicit, else 80/443
    std::string host_header;  // host[:port] exactly as written, brackets kept
    std::string target;       // path and query as written; "/" when the path is empty
    // The address when the host is an IP literal; such hosts skip DNS but not the policy.
    std::variant<std::monostate, ipv4_bytes, ipv6_bytes> literal;
};

// Accepts absolute http and https URLs with a host. A host that ends in a number is an IPv4
// literal in any form getaddrinfo and browsers accept (WHATWG URL, "IPv4 parser"): decimal
// "2130706433", hex "0x7f000001", octal "0177.0.0.1", short "127.1", or a mix; one that ends in
// a number but is no such address is refused. Also refused (errc::invalid_callback_url):
// userinfo ("user:pass@"), IPvFuture and zone ids, percent-encoded or otherwise unusual host
// names, ports outside 1..65535. A fragment is dropped: it is never sent. Never throws except
// std::bad_alloc.
result<outbound_url> parse_outbound_url(std::string_view url);

struct outbound_url_policy {
    bool allow_plain_http = false;  // http:// only in development and tests
    outbound_address_policy address_policy;
};

// parse_outbound_url, then the policy: errc::callback_scheme_not_allowed for http:// unless
// allowed, errc::callback_address_not_allowed for an IP literal core::classify puts in a class
// the policy refuses. A host name passes here; its addresses are judged when it is resolved.
result<outbound_url> vet_outbound_url(std::string_view url, const outbound_url_policy& policy);

}  // namespace chal::core
