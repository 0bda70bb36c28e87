#include "app/core/errc.hpp"

#include <string>

namespace chal::core {
namespace {

// boost::system::error_category has a protected non-virtual destructor by design.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class category final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "chal.core"; }

    std::string message(int value) const override {
        switch (static_cast<errc>(value)) {
            case errc::target_required: return "target required";
            case errc::invalid_expiry: return "invalid expiry";
            case errc::invalid_callback_url: return "invalid callback url";
            case errc::callback_scheme_not_allowed: return "callback scheme not allowed";
            case errc::callback_address_not_allowed: return "callback address not allowed";
            case errc::invalid_email: return "invalid email";
            case errc::field_too_long: return "field too long";
            case errc::challenge_not_found: return "challenge not found";
            case errc::challenge_already_finished: return "challenge already finished";
            case errc::challenge_expired: return "challenge expired";
            case errc::invalid_transition: return "invalid transition";
            case errc::idempotency_key_invalid: return "idempotency key invalid";
            case errc::idempotency_key_reused: return "idempotency key reused with another request";
            case errc::idempotency_request_in_progress: return "idempotent request in progress";
            case errc::slack_not_configured: return "slack not configured";
            case errc::slack_requester_not_found: return "slack requester not found";
            case errc::slack_target_not_found: return "slack target not found";
            case errc::cannot_challenge_self: return "cannot challenge self";
            case errc::cannot_challenge_bot: return "cannot challenge bot";
            case errc::target_deactivated: return "target deactivated";
            case errc::requester_rate_limited: return "requester rate limited";
            case errc::target_rate_limited: return "target rate limited";
            case errc::verification_not_configured: return "verification is not configured for this tenant";
            case errc::login_issuer_mismatch: return "the login came from another issuer";
            case errc::login_audience_mismatch: return "the login was issued for another client";
            case errc::login_expired: return "the login has expired or is not yet valid";
            case errc::login_nonce_mismatch: return "the login does not belong to this verification";
            case errc::login_not_fresh: return "the login was not a fresh sign-in";
            case errc::login_acr_insufficient: return "the login did not meet the required assurance level";
            case errc::login_identity_missing: return "the login did not say who signed in";
            case errc::login_malformed: return "the login token is malformed";
            case errc::login_email_unverified: return "the identity provider has not verified the email it asserted";
            case errc::login_subject_mismatch: return "the UserInfo response is about another subject";
            case errc::login_already_proven: return "a login already proved the target";
            case errc::not_found_in_tenant: return "not found in this tenant";
            case errc::permission_denied: return "permission denied";
            case errc::cannot_change_self: return "a member cannot change their own membership";
            case errc::only_owner_may_touch_owner: return "only an owner may change an owner or grant owner";
            case errc::last_owner: return "the tenant must keep one active owner";
            case errc::invalid_membership_change: return "the membership is already in that state";
            case errc::member_not_found: return "member not found";
            case errc::member_exists: return "already a member";
            case errc::invalid_role: return "invalid role";
            case errc::invalid_member_email: return "invalid member email";
            case errc::invalid_display_name: return "invalid display name";
            case errc::setup_link_invalid: return "setup link unknown, used or expired";
            case errc::fresh_login_required: return "a fresh sign-in is required";
            case errc::invalid_filter: return "invalid filter";
            case errc::invalid_sso_issuer: return "invalid console SSO issuer";
            case errc::invalid_sso_client_id: return "invalid console SSO client id";
            case errc::invalid_sso_client_secret: return "invalid console SSO client secret";
            case errc::sso_not_configured: return "console SSO is not configured";
            case errc::sso_not_a_member: return "the signed-in person is not a member";
            case errc::sso_member_suspended: return "the signed-in member is suspended";
            case errc::sso_identity_conflict: return "the member is bound to another subject at this issuer";
            case errc::sso_other_person: return "the re-authentication signed in another person";
            case errc::sso_login_state_invalid: return "console login state unknown, used, expired or another browser's";
        }
        return "unknown chal.core error";
    }
};
#pragma GCC diagnostic pop

}  // namespace

const boost::system::error_category& error_category() noexcept {
    static const category instance;
    return instance;
}

}  // namespace chal::core
