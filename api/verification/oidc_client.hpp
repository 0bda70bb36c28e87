// The OIDC relying party's network side: discovery, the code-for-token exchange, UserInfo and
// ID token signatures through the provider's JWKS (cached for a few minutes, so a key the
// provider withdrew stops working soon; refetched once when a token names an unknown key, at
// most every second). Documents are judged in app/core/oidc and claims in core::verification.
// Every request names its provider as its fairness key, so one tenant's provider whose name
// does not resolve takes only its own share of the IdP client's lookup threads.
#pragma once

#include "app/core/errc.hpp"
#include "app/core/oidc.hpp"
#include "app/core/time.hpp"
#include "app/core/verification.hpp"
#include "app/crypto/jose.hpp"
#include "app/http/client.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <map>
#include <variant>
#include <string>

namespace chal::api {

using oidc_provider = core::oidc_provider_metadata;

// Why a step failed, for the log (never shown to the target verbatim, never holding secrets).
using oidc_failure = core::oidc_refusal;

template <class T>
using oidc_result = core::oidc_parsed<T>;

// An authorization code's answer, judged: what both OIDC relying parties here (the target's
// verification and the console's sign-in) need after the browser came back with a code.
struct code_flow_request {
    oidc_provider provider;
    std::string client_id;
    std::string client_secret;
    std::string code;
    std::string redirect_uri;
    std::string code_verifier;
    core::id_token_expectations expect;
    std::string identity_claim;  // the claim that names the person (e.g. "email")
};

struct code_flow_login {
    core::proven_login login;
    // The claim set that holds `identity_claim`: the ID token's, or UserInfo's (OIDC Core 5.4)
    // when the ID token lacks it, after checking that UserInfo describes the same subject.
    boost::json::object identity_claims;
};

// Why a code's answer was refused: the errc to show, and the detail for the log only.
struct code_flow_refusal {
    core::errc why;
    std::string detail;
};

class oidc_client {
public:
    // `allow_http`: the development setting that lets a provider's endpoints be plain http.
    explicit oidc_client(
        http::client& client, bool allow_http = false, std::chrono::seconds metadata_ttl = std::chrono::hours{1},
        std::chrono::milliseconds jwks_ttl = std::chrono::minutes{5}
    );

    boost::asio::awaitable<oidc_result<oidc_provider>> discover(std::string issuer);

    // The token endpoint's tokens for `code` (client_secret_basic, or _post when the provider
    // lists only that), with the PKCE verifier.
    boost::asio::awaitable<oidc_result<core::oidc_tokens>> exchange_code(
        oidc_provider provider, std::string client_id, std::string client_secret, std::string code,
        std::string redirect_uri, std::string code_verifier
    );

    // The ID token's claims once its signature checks out (RS256 or ES256) against the JWKS.
    boost::asio::awaitable<oidc_result<boost::json::object>> verified_claims(oidc_provider provider, std::string id_token);

    // The UserInfo endpoint's claims for an access token (OIDC Core 5.3). The caller checks
    // that their `sub` is the ID token's (core::check_userinfo_subject).
    boost::asio::awaitable<oidc_result<boost::json::object>> userinfo(oidc_provider provider, std::string access_token);

    // Exchanges the code, verifies the ID token's signature and claims (core::check_id_token_claims)
    // and finds the claim set naming the person. Never throws for the provider's answers.
    boost::asio::awaitable<std::variant<code_flow_login, code_flow_refusal>> complete_code_flow(code_flow_request request);

private:
    struct cached_provider {
        oidc_provider provider;
        std::chrono::steady_clock::time_point fetched;
    };
    struct cached_keys {
        crypto::jose::public_key_set keys;
        std::chrono::steady_clock::time_point fetched;
    };

    boost::asio::awaitable<oidc_result<crypto::jose::public_key_set>> fetch_keys(std::string issuer, std::string jwks_uri);

    http::client& client_;
    bool allow_http_;
    std::chrono::seconds metadata_ttl_;
    std::chrono::milliseconds jwks_ttl_;
    std::map<std::string, cached_provider> providers_;
    std::map<std::string, cached_keys> keys_;
};

}  // namespace chal::api
