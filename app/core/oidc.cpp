#include "app/core/oidc.hpp"

#include "app/core/json_values.hpp"
#include "app/core/verification.hpp"

namespace chal::core {
namespace {

bool iequals_ascii(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto x = a[i];
        auto y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

}  // namespace

oidc_parsed<oidc_provider_metadata> parse_provider_metadata(
    std::string_view body, std::string_view expected_issuer, bool allow_http
) {
    auto doc = json_object_of(body);
    if (!doc) return oidc_refusal{"discovery document is not a JSON object"};
    oidc_provider_metadata p;
    p.issuer = string_member(*doc, "issuer");
    p.authorization_endpoint = string_member(*doc, "authorization_endpoint");
    p.token_endpoint = string_member(*doc, "token_endpoint");
    p.jwks_uri = string_member(*doc, "jwks_uri");
    if (auto userinfo = string_member(*doc, "userinfo_endpoint"); !userinfo.empty()) p.userinfo_endpoint = userinfo;
    // OIDC Discovery 4.3: the document's issuer must be exactly the configured one.
    if (p.issuer != expected_issuer) return oidc_refusal{"discovery issuer differs from the configured one"};
    if (p.authorization_endpoint.empty() || p.token_endpoint.empty() || p.jwks_uri.empty())
        return oidc_refusal{"discovery document lacks an endpoint"};
    // The browser is sent there in a Location header: whoever controls the provider's settings
    // must not be able to end that header early (CR/LF) or send the browser off https.
    if (!is_safe_redirect_url(p.authorization_endpoint, allow_http))
        return oidc_refusal{"authorization_endpoint is not an absolute https URL of printable characters"};
    if (const auto* methods = doc->if_contains("token_endpoint_auth_methods_supported"); methods && methods->is_array()) {
        bool basic = false;
        for (const auto& m : methods->as_array()) basic = basic || (m.is_string() && m.as_string() == "client_secret_basic");
        p.supports_client_secret_basic = basic;
    }
    if (const auto* iss = doc->if_contains("authorization_response_iss_parameter_supported"); iss && iss->is_bool())
        p.sends_authorization_response_iss = iss->get_bool();
    return p;
}

oidc_parsed<oidc_tokens> parse_token_response(std::string_view body) {
    auto doc = json_object_of(body);
    if (!doc) return oidc_refusal{"token response is not a JSON object"};
    oidc_tokens t;
    t.id_token = string_member(*doc, "id_token");
    if (t.id_token.empty()) return oidc_refusal{"token response has no id_token"};
    auto access = string_member(*doc, "access_token");
    // RFC 6750: only a Bearer token may be presented as one; token_type is case-insensitive.
    if (!access.empty() && iequals_ascii(string_member(*doc, "token_type"), "bearer")) t.access_token = std::move(access);
    return t;
}

oidc_parsed<boost::json::object> parse_userinfo_response(std::string_view body, std::string_view content_type) {
    const auto media_type = content_type.substr(0, content_type.find(';'));
    std::string_view trimmed = media_type;
    while (!trimmed.empty() && trimmed.back() == ' ') trimmed.remove_suffix(1);
    if (iequals_ascii(trimmed, "application/jwt")) return oidc_refusal{"UserInfo answered a signed JWT, which we never asked for"};
    auto doc = json_object_of(body);
    if (!doc) return oidc_refusal{"UserInfo response is not a JSON object"};
    return std::move(*doc);
}

}  // namespace chal::core
