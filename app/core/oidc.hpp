// What an OpenID Provider's documents say, read without I/O: the discovery document, the token
// endpoint's answer and the UserInfo answer. The edge fetches the bytes (api/verification/
// oidc_client); every judgement about them is made here, so they can be tested and fuzzed alone.
#pragma once

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace chal::core {

// Why a provider document was refused, for the operator's log (never shown to the target,
// never holding a token).
struct oidc_refusal {
    std::string reason;
};

template <class T>
using oidc_parsed = std::variant<T, oidc_refusal>;

struct oidc_provider_metadata {
    std::string issuer;
    std::string authorization_endpoint;
    std::string token_endpoint;
    std::string jwks_uri;
    std::optional<std::string> userinfo_endpoint;
    bool supports_client_secret_basic = true;
    // RFC 9207: the provider puts `iss` in every authorization response, so one without it is forged.
    bool sends_authorization_response_iss = false;
};

// A discovery document (OpenID Connect Discovery 1.0, 3 and 4.3): a JSON object whose `issuer`
// is exactly `expected_issuer`, with the authorization, token and JWKS endpoints. The
// authorization endpoint goes to the browser in a Location header, so it must pass
// is_safe_redirect_url (http only with `allow_http`: the development settings).
oidc_parsed<oidc_provider_metadata> parse_provider_metadata(
    std::string_view body, std::string_view expected_issuer, bool allow_http
);

struct oidc_tokens {
    std::string id_token;
    std::optional<std::string> access_token;  // a Bearer token, for UserInfo
};

// The token endpoint's 200 answer (RFC 6749 5.1, OIDC Core 3.1.3.3): an id_token, and an
// access_token when its token_type is Bearer (case-insensitive).
oidc_parsed<oidc_tokens> parse_token_response(std::string_view body);

// The UserInfo endpoint's 200 answer (OIDC Core 5.3.2): a JSON object. A signed or encrypted
// answer (application/jwt) is refused: we never register for one.
oidc_parsed<boost::json::object> parse_userinfo_response(std::string_view body, std::string_view content_type);

}  // namespace chal::core
