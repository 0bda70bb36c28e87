// The OIDC relying party's network side: discovery, the code-for-token exchange and ID token
// signatures through the provider's JWKS (cached; refetched once when a token names an
// unknown key, at most every few seconds). Claims are judged by core::check_id_token_claims.
#pragma once

#include "app/core/time.hpp"
#include "app/crypto/jose.hpp"
#include "app/http/client.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <map>
#include <string>
#include <variant>

namespace chal::api {

struct oidc_provider {
    std::string issuer;
    std::string authorization_endpoint;
    std::string token_endpoint;
    std::string jwks_uri;
    bool supports_client_secret_basic = true;
};

// Why a step failed, for the log (never shown to the target verbatim, never holding secrets).
struct oidc_failure {
    std::string reason;
};

template <class T>
using oidc_result = std::variant<T, oidc_failure>;

class oidc_client {
public:
    explicit oidc_client(http::client& client, std::chrono::seconds metadata_ttl = std::chrono::hours{1});

    boost::asio::awaitable<oidc_result<oidc_provider>> discover(std::string issuer);

    // The token endpoint's id_token for `code` (client_secret_basic, or _post when the provider
    // lists only that), with the PKCE verifier.
    boost::asio::awaitable<oidc_result<std::string>> exchange_code(
        oidc_provider provider, std::string client_id, std::string client_secret, std::string code,
        std::string redirect_uri, std::string code_verifier
    );

    // The ID token's claims once its signature checks out (RS256 or ES256) against the JWKS.
    boost::asio::awaitable<oidc_result<boost::json::object>> verified_claims(oidc_provider provider, std::string id_token);

private:
    struct cached_provider {
        oidc_provider provider;
        std::chrono::steady_clock::time_point fetched;
    };
    struct cached_keys {
        crypto::jose::public_key_set keys;
        std::chrono::steady_clock::time_point fetched;
    };

    boost::asio::awaitable<oidc_result<crypto::jose::public_key_set>> fetch_keys(std::string jwks_uri);

    http::client& client_;
    std::chrono::seconds metadata_ttl_;
    std::map<std::string, cached_provider> providers_;
    std::map<std::string, cached_keys> keys_;
};

}  // namespace chal::api
