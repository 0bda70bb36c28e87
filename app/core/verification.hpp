// The target's verification: what the link may show, how a login proves the target, and what
// a verified challenge's receipt says. Signatures, HTTP and storage are the edges' business;
// every judgement about claims, identities and timing is made here.
#pragma once

#include "app/core/challenge.hpp"
#include "app/core/errc.hpp"
#include "app/core/time.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chal::core {

// How a tenant's targets prove who they are. `none` is a click-through the tenant must choose
// explicitly; `unconfigured` refuses to verify anyone.
enum class auth_mode { unconfigured, oidc, saml, none };
std::string_view to_string(auth_mode m) noexcept;
std::optional<auth_mode> parse_auth_mode(std::string_view text) noexcept;

// What the verification link shows at `now`.
enum class link_state {
    not_found,  // no such challenge
    expired,    // past expires_at (whatever the sweeper has written)
    finished,   // verified, failed (any reason) or canceled
    awaiting_verification,  // a login already proved the target; the verified outcome is being written
    open,       // the target may verify or report
};
// `authenticated` is true when a login already proved the target (see verification_flow).
link_state link_state_for(const std::optional<challenge>& c, bool authenticated, timestamp now) noexcept;

// What a tenant's OIDC login does with an `email` claim that comes without `email_verified`.
// Entra ID never sends the flag: such tenants pick another identity claim (README) or `accept`.
enum class email_verified_absent { refuse, accept };
std::string_view to_string(email_verified_absent p) noexcept;
std::optional<email_verified_absent> parse_email_verified_absent(std::string_view text) noexcept;

// The identity a login must prove: the target's email when the requester gave one, else the
// target user id (which tenants using OIDC usually set to the same email or a username claim).
std::string_view expected_identity(const challenge& c) noexcept;
// Exactly what the IdP asserted, apart from ASCII case (IdPs differ in email case): no trimming,
// no Unicode folding, so " alice@example.com" or a look-alike never passes for the target.
bool identity_matches(const challenge& c, std::string_view proven) noexcept;

// Whether `url` may be sent to a browser in a Location header: an absolute https URL (http only
// with `allow_http`, for development), with a host, no user info, no fragment, and nothing but
// printable ASCII (no space, CR, LF or other control character that could end the header).
bool is_safe_redirect_url(std::string_view url, bool allow_http) noexcept;

// What the edge learned from an ID token whose signature it verified.
struct id_token_expectations {
    std::string issuer;
    std::string client_id;
    std::string nonce;
    // When the browser was sent to the IdP: the login must have happened after it.
    timestamp flow_started_at{};
    timestamp now{};
    std::optional<std::string> required_acr;
    std::chrono::seconds allowed_skew{60};
    // Bounds how old a login may be even if it happened after the flow started.
    std::chrono::seconds max_login_age{std::chrono::minutes{10}};
    // A forced re-authentication (prompt=login, max_age=0): auth_time must be present, after the
    // flow started and recent. Without it (a console sign-in that reuses the person's IdP session)
    // auth_time may be absent or older, but never in the future; an absent one reads as `now`.
    bool require_fresh_login = true;
};

struct proven_login {
    std::string subject;  // `sub`
    std::optional<std::string> acr;
    timestamp auth_time{};
};

// Checks iss, aud (string or array; azp required when several audiences and equal to us), exp,
// nbf (when present), iat (not in the future, not older than max_login_age), nonce, auth_time
// (present, after the flow started, not in the future, not too old; only "not in the future"
// without require_fresh_login), sub and the optional acr.
// Who signed in is read separately (asserted_identity), from these claims or from UserInfo.
// Each failure has its own errc.
result<proven_login> check_id_token_claims(const boost::json::object& claims, const id_token_expectations& expect);

// Which claim names the person, and how much an unverified email is worth.
struct identity_expectations {
    std::string claim = "email";
    email_verified_absent when_verified_flag_absent = email_verified_absent::refuse;
};

// Whether `claims` (an ID token's) lack the identity claim, so it must come from UserInfo
// (OIDC Core 5.4: providers may return scope-requested claims there only).
bool identity_claim_absent(const boost::json::object& claims, const identity_expectations& expect);

// The identity claim's value from one claim set (an ID token's, or UserInfo's once its `sub`
// matched). For the `email` claim, `email_verified` from the same set must be true (a JSON
// boolean, or the string "true" some providers send); false, "false" or any other value is
// login_email_unverified, and absence follows `when_verified_flag_absent`. Absent, empty or
// non-string: login_identity_missing; one with a NUL or control character: login_malformed.
result<std::string> asserted_identity(const boost::json::object& claims, const identity_expectations& expect);

// A UserInfo response may be used only when it describes the ID token's subject (OIDC Core
// 5.3.2: "the sub Claim in the UserInfo Response MUST be verified to exactly match").
result<void> check_userinfo_subject(const boost::json::object& userinfo, std::string_view id_token_subject);

// RFC 9207: an `iss` parameter in the authorization response must be the flow's issuer, and a
// provider that advertises authorization_response_iss_parameter_supported must send it.
result<void> check_authorization_response_issuer(
    std::optional<std::string_view> iss_parameter, std::string_view expected_issuer, bool provider_sends_iss
);

// The SAML identity: the configured attribute's first value, else the NameID when (and only
// when) its Format is emailAddress. login_identity_missing otherwise; login_malformed for a
// NameID or value with a NUL or control character.
struct saml_identity_source {
    std::optional<std::string> attribute;  // nullopt: the NameID
};
inline constexpr std::string_view saml_name_id_format_email = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
result<std::string> saml_asserted_identity(
    std::string_view name_id, std::string_view name_id_format,
    const std::map<std::string, std::vector<std::string>>& attributes, const saml_identity_source& source
);

// A SAML assertion's facts as the edge verified them (signature, audience, recipient and
// timing are checked there by the SAML library wrapper): only freshness is judged here.
result<void> check_saml_login_fresh(
    std::optional<timestamp> authn_instant, timestamp flow_started_at, timestamp now, std::chrono::seconds allowed_skew
);
// A tenant that requires an AuthnContextClassRef (e.g. an MFA class) gets exactly that one.
result<void> check_saml_authn_context(
    const std::optional<std::string>& asserted, const std::optional<std::string>& required
);

// What a verification receipt states. Hashes are hex SHA-256, computed at the edge. A
// click-through ("none") receipt carries no auth_time: nobody authenticated.
struct receipt_facts {
    std::string issuer;  // the service's public base URL
    std::string auth_method;
    std::optional<std::string> acr;
    std::optional<timestamp> auth_time;
    std::optional<std::string> context_sha256;
    std::optional<std::string> device_sha256;
    timestamp issued_at{};
    std::chrono::seconds lifetime{std::chrono::minutes{15}};
};
// The audience of a tenant's receipts: a receipt of one tenant never passes another's check.
std::string receipt_audience(std::string_view tenant_id);
boost::json::object receipt_claims(const challenge& c, const receipt_facts& facts);

// The six-digit call-binding code from 4 random bytes (leading zeros kept).
std::string verification_code_from(std::uint32_t random);

}  // namespace chal::core
