// What an OpenID Provider sends back, as app/core/oidc reads it: the discovery document, the
// token endpoint's answer and the UserInfo answer (the first input line is the Content-Type,
// the rest the body, fed to all three), and the identity taken from UserInfo.
// Properties: nothing throws; an accepted discovery document names the expected issuer and an
// authorization endpoint that is safe for a Location header (https unless http is allowed); an
// accepted token answer has an ID token; an identity read from UserInfo is clean, non-empty text.
#include "app/core/oidc.hpp"
#include "app/core/text.hpp"
#include "app/core/verification.hpp"
#include "fuzz/fuzz_input.hpp"

#include <variant>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using chal::fuzz::require;
    namespace core = chal::core;
    const auto fields = chal::fuzz::split_fields(chal::fuzz::as_text(data, size), 2);
    const auto content_type = fields[0];
    const auto body = fields[1];

    for (const bool allow_http : {false, true}) {
        constexpr std::string_view issuer = "https://login.example.test/realms/acme";
        auto metadata = core::parse_provider_metadata(body, issuer, allow_http);
        if (const auto* p = std::get_if<core::oidc_provider_metadata>(&metadata)) {
            require(p->issuer == issuer, "discovery names the expected issuer");
            require(core::is_safe_redirect_url(p->authorization_endpoint, allow_http), "the authorization endpoint is safe to redirect to");
            require(!p->token_endpoint.empty() && !p->jwks_uri.empty(), "discovery names its endpoints");
        }
    }

    auto tokens = core::parse_token_response(body);
    if (const auto* t = std::get_if<core::oidc_tokens>(&tokens)) {
        require(!t->id_token.empty(), "a token answer has an ID token");
        require(!t->access_token || !t->access_token->empty(), "an access token is never empty");
    }

    auto userinfo = core::parse_userinfo_response(body, content_type);
    if (const auto* info = std::get_if<boost::json::object>(&userinfo)) {
        if (core::check_userinfo_subject(*info, "248289761001")) {
            for (const auto absent : {core::email_verified_absent::refuse, core::email_verified_absent::accept}) {
                for (const char* claim : {"email", "preferred_username"}) {
                    const auto identity = core::asserted_identity(*info, {claim, absent});
                    if (!identity) continue;
                    require(!identity->empty() && core::is_clean_text(*identity), "an identity is clean text");
                }
            }
        }
    }
    return 0;
}
