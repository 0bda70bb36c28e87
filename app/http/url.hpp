// Outbound URL parsing: what the client needs from a callback URL, and nothing it must refuse.
#pragma once

#include "app/core/network_address.hpp"

#include <boost/system/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace chal::http {

struct outbound_url {
    bool tls = false;         // https
    std::string host;         // DNS name (lower case), or the IP literal without brackets
    std::uint16_t port = 0;   // explicit, else 80/443
    std::string host_header;  // host[:port] exactly as written, brackets kept
    std::string target;       // path and query as written; "/" when the path is empty
    // The address when the host is an IP literal; such hosts skip DNS but not the policy.
    std::variant<std::monostate, core::ipv4_bytes, core::ipv6_bytes> literal;
};

// Accepts absolute http and https URLs with a host. Refuses (client_errc::invalid_url)
// userinfo ("user:pass@"), IPvFuture and zone ids, percent-encoded or otherwise unusual
// host names, and ports outside 1..65535. A fragment is dropped: it is never sent.
// The scheme policy (plain http allowed or not) is the client's, not this function's.
boost::system::result<outbound_url> parse_outbound_url(std::string_view url);

}  // namespace chal::http
