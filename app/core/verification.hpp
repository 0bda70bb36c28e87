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
#include <optional>
#include <string>
#include <string_view>

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

// The identity a login must prove: the target's email when the requester gave one, else the
// target user id (which tenants using OIDC usually set to the same email or a username claim).
std::string_view expected_identity(const challenge& c) noexcept;
// Case-insensitive (ASCII) comparison after trimming spaces: IdPs differ in email case.
bool identity_matches(const challenge& c, std::string_view proven) noexcept;

// What the edge learned from an ID token whose signature it verified.
struct id_token_expectations {
    std::string issuer;
    std::string client_id;
    std::string nonce;
    // When the browser was sent to the IdP: the login must have happened after it.
    timestamp flow_started_at{};
    timestamp now{};
    std::string identity_claim = "email";
    std::optional<std::string> required_acr;
    std::chrono::seconds allowed_skew{60};
    // Bounds how old a login may be even if it happened after the flow started.
    std::chrono::seconds max_login_age{std::chrono::minutes{10}};
};

struct proven_login {
    std::string subject;   // `sub`
    std::string identity;  // the identity claim's value (email by default)
    std::optional<std::string> acr;
    timestamp auth_time{};
};

// Checks iss, aud (string or array; azp required when several audiences and equal to us), exp,
// iat, nonce, auth_time (present, after the flow started, not in the future, not too old),
// optional acr, and the identity claim. Each failure has its own errc.
result<proven_login> check_id_token_claims(const boost::json::object& claims, const id_token_expectations& expect);

// A SAML assertion's facts as the edge verified them (signature, audience, recipient and
// timing are checked there by the SAML library wrapper): only freshness is judged here.
result<void> check_saml_login_fresh(
    std::optional<timestamp> authn_instant, timestamp flow_started_at, timestamp now, std::chrono::seconds allowed_skew
);

// What a verification receipt states. Hashes are hex SHA-256, computed at the edge.
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
boost::json::object receipt_claims(const challenge& c, const receipt_facts& facts);

// The six-digit call-binding code from 4 random bytes (leading zeros kept).
std::string verification_code_from(std::uint32_t random);

}  // namespace chal::core
