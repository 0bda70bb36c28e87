// Domain outcomes callers branch on, as boost::system error codes. The API layer maps each
// to an HTTP status and the contract's {"error": "..."} text in one table (api/errors.cpp).
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <type_traits>

namespace chal::core {

enum class errc {
    // Bad input.
    target_required = 1,
    invalid_expiry,
    invalid_callback_url,
    callback_scheme_not_allowed,
    callback_address_not_allowed,  // an IP literal (in any numeric form) the address policy refuses
    invalid_email,
    field_too_long,
    // Lookups and state.
    challenge_not_found,
    challenge_already_finished,
    challenge_expired,
    invalid_transition,
    // Idempotency.
    idempotency_key_invalid,
    idempotency_key_reused,
    idempotency_request_in_progress,
    // Integrations.
    slack_not_configured,
    slack_requester_not_found,   // requester_email is not a user of the workspace
    slack_target_not_found,      // target_user_email / the target id is not a user of the workspace
    // Who may be challenged, and how often (core/request_policy.hpp).
    cannot_challenge_self,
    cannot_challenge_bot,
    target_deactivated,
    requester_rate_limited,
    target_rate_limited,
    // Verification (the target's login).
    verification_not_configured,
    login_issuer_mismatch,
    login_audience_mismatch,
    login_expired,
    login_nonce_mismatch,
    login_not_fresh,
    login_acr_insufficient,
    login_identity_missing,
    login_malformed,
    login_email_unverified,   // the IdP did not vouch for the email it asserted
    login_subject_mismatch,   // UserInfo described someone other than the ID token's subject
    login_already_proven,     // a login proved the target; the challenge is turning verified
    // The console: who may do what (core/permissions.hpp) and its members and sessions.
    not_found_in_tenant,          // the resource is another tenant's (or none): 404, existence not confirmed
    permission_denied,            // the principal's role or scope does not grant it
    cannot_change_self,           // nobody changes their own role or suspends or removes themselves
    only_owner_may_touch_owner,   // Admins cannot change Owners or grant Owner
    last_owner,                   // the tenant must keep one active Owner
    invalid_membership_change,    // e.g. suspending someone already suspended
    member_not_found,
    member_exists,
    invalid_role,
    invalid_member_email,
    invalid_display_name,
    setup_link_invalid,           // unknown, used or expired
    fresh_login_required,         // a sensitive action needs a sign-in within the last minutes
    invalid_filter,               // a list's filter or cursor is not one the list understands
    // Console sign-in by the tenant's own OIDC client (core/console_sso.hpp).
    invalid_sso_issuer,
    invalid_sso_client_id,
    invalid_sso_client_secret,
    sso_not_configured,           // the tenant has no console SSO
    sso_not_a_member,             // the IdP's person is no member and just-in-time creation is off
    sso_member_suspended,
    sso_identity_conflict,        // the member is already bound to another subject at this issuer
    sso_other_person,             // a step-up signed in as someone other than the session's member
    sso_login_state_invalid,      // unknown, used, expired or another browser's login state
};

const boost::system::error_category& error_category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), error_category()};
}

template <class T>
using result = boost::system::result<T>;

}  // namespace chal::core

template <>
struct boost::system::is_error_code_enum<chal::core::errc> : std::true_type {};
