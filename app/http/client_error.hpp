// Why an outbound request got no usable response. Values, not exceptions: a webhook receiver
// that is down is an expected outcome, and callers record the class per attempt (B.5).
#pragma once

#include <boost/system/error_code.hpp>

#include <string_view>
#include <type_traits>

namespace chal::http {

enum class client_errc {
    invalid_url = 1,     // not an absolute http(s) URL, has userinfo, bad port, empty host
    scheme_not_allowed,  // http:// while client_config::allow_plain_http is false
    dns_failure,         // the name did not resolve
    forbidden_address,   // an address (literal or any resolved one) is refused by the policy
    connect_failed,      // refused, unreachable, or the connect timeout passed
    tls_failed,          // handshake or certificate verification failed
    timeout,             // the request's total_timeout passed
    connection_closed,   // the peer closed before a complete response
    protocol_error,      // not HTTP, or a response header over the limit
    resolver_busy,       // this key (tenant) already has as many host name lookups waiting as allowed
};

const boost::system::error_category& client_category() noexcept;

inline boost::system::error_code make_error_code(client_errc e) noexcept {
    return {static_cast<int>(e), client_category()};
}

// Short stable name for logs and the attempt table ("timeout", "tls_failed", ...).
std::string_view to_string(client_errc e) noexcept;

}  // namespace chal::http

template <>
struct boost::system::is_error_code_enum<chal::http::client_errc> : std::true_type {};
