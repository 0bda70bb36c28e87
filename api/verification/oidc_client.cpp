#include "api/verification/oidc_client.hpp"

#include "app/core/json_values.hpp"
#include "app/crypto/crypto.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <array>

namespace chal::api {
namespace {

namespace bh = boost::beast::http;

constexpr std::chrono::milliseconds idp_timeout{5000};
// A token naming an unknown key refetches the JWKS (the provider rotated its keys), at most this
// often per JWKS. ID tokens come from the token endpoint for a code, not from the browser, so
// only the provider chooses kids; the floor just keeps a misbehaving provider from being hammered.
constexpr std::chrono::seconds jwks_refetch_interval{1};

// application/x-www-form-urlencoded value (RFC 6749 2.3.1 also wants the Basic credentials so encoded).
std::string form_encode(std::string_view value) {
    return boost::urls::encode(value, boost::urls::unreserved_chars);
}

}  // namespace

oidc_client::oidc_client(
    http::client& client, bool allow_http, std::chrono::seconds metadata_ttl, std::chrono::milliseconds jwks_ttl
)
    : client_(client), allow_http_(allow_http), metadata_ttl_(metadata_ttl), jwks_ttl_(jwks_ttl) {}

boost::asio::awaitable<oidc_result<oidc_provider>> oidc_client::discover(std::string issuer) {
    const auto now = std::chrono::steady_clock::now();
    if (auto hit = providers_.find(issuer); hit != providers_.end() && now - hit->second.fetched < metadata_ttl_)
        co_return hit->second.provider;
    std::string base = issuer;
    while (!base.empty() && base.back() == '/') base.pop_back();
    http::outgoing_request req;
    req.url = base + "/.well-known/openid-configuration";
    req.headers.emplace_back("Accept", "application/json");
    req.total_timeout = idp_timeout;
    req.fairness_key = issuer;
    auto sent = co_await client_.send(std::move(req));
    if (!sent) co_return oidc_failure{"discovery request failed: " + sent.error().message()};
    if (sent->status != 200) co_return oidc_failure{"discovery answered HTTP " + std::to_string(sent->status)};
    auto parsed = core::parse_provider_metadata(sent->body, issuer, allow_http_);
    if (auto* refused = std::get_if<oidc_failure>(&parsed)) co_return *refused;
    const auto& p = std::get<oidc_provider>(parsed);
    providers_.insert_or_assign(issuer, cached_provider{p, now});
    co_return p;
}

boost::asio::awaitable<oidc_result<core::oidc_tokens>> oidc_client::exchange_code(
    oidc_provider provider, std::string client_id, std::string client_secret, std::string code,
    std::string redirect_uri, std::string code_verifier
) {
    http::outgoing_request req;
    req.method = bh::verb::post;
    req.url = provider.token_endpoint;
    req.total_timeout = idp_timeout;
    req.fairness_key = provider.issuer;
    req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    req.headers.emplace_back("Accept", "application/json");
    req.body = "grant_type=authorization_code&code=" + form_encode(code) + "&redirect_uri=" + form_encode(redirect_uri) +
               "&code_verifier=" + form_encode(code_verifier);
    if (provider.supports_client_secret_basic) {
        req.headers.emplace_back(
            "Authorization", "Basic " + crypto::base64_encode(form_encode(client_id) + ":" + form_encode(client_secret))
        );
    } else {
        req.body += "&client_id=" + form_encode(client_id) + "&client_secret=" + form_encode(client_secret);
    }
    auto sent = co_await client_.send(std::move(req));
    if (!sent) co_return oidc_failure{"token request failed: " + sent.error().message()};
    auto doc = core::json_object_of(sent->body);
    if (sent->status != 200) {
        const auto error = doc ? core::string_member(*doc, "error") : std::string();
        co_return oidc_failure{"token endpoint answered HTTP " + std::to_string(sent->status) +
                               (error.empty() ? "" : " error=" + error)};
    }
    co_return core::parse_token_response(sent->body);
}

boost::asio::awaitable<oidc_result<boost::json::object>> oidc_client::userinfo(
    oidc_provider provider, std::string access_token
) {
    if (!provider.userinfo_endpoint) co_return oidc_failure{"the provider advertises no userinfo_endpoint"};
    http::outgoing_request req;
    req.url = *provider.userinfo_endpoint;
    req.total_timeout = idp_timeout;
    req.fairness_key = provider.issuer;
    req.headers.emplace_back("Authorization", "Bearer " + access_token);
    req.headers.emplace_back("Accept", "application/json");
    auto sent = co_await client_.send(std::move(req));
    if (!sent) co_return oidc_failure{"UserInfo request failed: " + sent.error().message()};
    if (sent->status != 200) co_return oidc_failure{"UserInfo answered HTTP " + std::to_string(sent->status)};
    co_return core::parse_userinfo_response(sent->body, sent->header("Content-Type").value_or(""));
}

boost::asio::awaitable<oidc_result<crypto::jose::public_key_set>> oidc_client::fetch_keys(
    std::string issuer, std::string jwks_uri
) {
    http::outgoing_request req;
    req.url = jwks_uri;
    req.total_timeout = idp_timeout;
    req.fairness_key = std::move(issuer);
    req.headers.emplace_back("Accept", "application/json");
    auto sent = co_await client_.send(std::move(req));
    if (!sent) co_return oidc_failure{"JWKS request failed: " + sent.error().message()};
    if (sent->status != 200) co_return oidc_failure{"JWKS answered HTTP " + std::to_string(sent->status)};
    auto keys = crypto::jose::public_key_set::parse(sent->body);
    if (!keys) co_return oidc_failure{"JWKS unusable: " + keys.error().message()};
    keys_.insert_or_assign(jwks_uri, cached_keys{*keys, std::chrono::steady_clock::now()});
    co_return *keys;
}

boost::asio::awaitable<oidc_result<boost::json::object>> oidc_client::verified_claims(
    oidc_provider provider, std::string id_token
) {
    static constexpr std::array<std::string_view, 2> allowed{"RS256", "ES256"};
    const auto now = std::chrono::steady_clock::now();
    auto cached = keys_.find(provider.jwks_uri);
    const bool fresh = cached != keys_.end() && now - cached->second.fetched < jwks_ttl_;
    crypto::jose::public_key_set keys;
    if (fresh) {
        keys = cached->second.keys;
    } else {
        auto fetched = co_await fetch_keys(provider.issuer, provider.jwks_uri);
        if (auto* f = std::get_if<oidc_failure>(&fetched)) co_return *f;
        keys = std::get<crypto::jose::public_key_set>(fetched);
    }
    auto verified = crypto::jose::verify_compact_jws(id_token, keys, allowed);
    if (!verified && verified.error() == crypto::jose::errc::unknown_key) {
        // Rotation: the provider may have published a new key since we cached its set.
        auto again = keys_.find(provider.jwks_uri);
        if (again == keys_.end() || now - again->second.fetched >= jwks_refetch_interval) {
            auto fetched = co_await fetch_keys(provider.issuer, provider.jwks_uri);
            if (auto* f = std::get_if<oidc_failure>(&fetched)) co_return *f;
            verified = crypto::jose::verify_compact_jws(id_token, std::get<crypto::jose::public_key_set>(fetched), allowed);
        }
    }
    if (!verified) co_return oidc_failure{"ID token signature refused: " + verified.error().message()};
    auto claims = core::json_object_of(verified->payload);
    if (!claims) co_return oidc_failure{"ID token payload is not a JSON object"};
    co_return std::move(*claims);
}

boost::asio::awaitable<std::variant<code_flow_login, code_flow_refusal>> oidc_client::complete_code_flow(
    code_flow_request request
) {
    using refusal = code_flow_refusal;
    auto exchanged = co_await exchange_code(
        request.provider, request.client_id, std::move(request.client_secret), std::move(request.code),
        std::move(request.redirect_uri), std::move(request.code_verifier)
    );
    if (auto* f = std::get_if<oidc_failure>(&exchanged)) co_return refusal{core::errc::login_malformed, f->reason};
    const auto tokens = std::get<core::oidc_tokens>(exchanged);
    auto verified = co_await verified_claims(request.provider, tokens.id_token);
    if (auto* f = std::get_if<oidc_failure>(&verified)) co_return refusal{core::errc::login_malformed, f->reason};
    auto& claims = std::get<boost::json::object>(verified);
    auto login = core::check_id_token_claims(claims, request.expect);
    if (!login) co_return refusal{static_cast<core::errc>(login.error().value()), "claims"};

    // Spec-conformant providers at their defaults put only `sub` in an ID token that comes with
    // an access token; the scope's claims are then UserInfo's, for the same subject.
    const core::identity_expectations who{request.identity_claim};
    if (!core::identity_claim_absent(claims, who)) co_return code_flow_login{*login, std::move(claims)};
    if (!tokens.access_token)
        co_return refusal{core::errc::login_identity_missing, "no identity claim and no access token"};
    auto info = co_await userinfo(request.provider, *tokens.access_token);
    if (auto* f = std::get_if<oidc_failure>(&info)) co_return refusal{core::errc::login_identity_missing, f->reason};
    auto& userinfo_claims = std::get<boost::json::object>(info);
    if (auto same = core::check_userinfo_subject(userinfo_claims, login->subject); !same)
        co_return refusal{core::errc::login_subject_mismatch, "UserInfo sub differs from the ID token's"};
    co_return code_flow_login{*login, std::move(userinfo_claims)};
}

}  // namespace chal::api
