#include "api/errors.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace chal::api {

api_error error_for(core::errc e) {
    using core::errc;
    switch (e) {
        case errc::target_required: return {400, "target_user_id or target_user_email is required"};
        case errc::invalid_expiry: return {400, "expiry_minutes must be an integer between 1 and 10080"};
        case errc::invalid_callback_url:
            return {400, "callback_url must be an absolute https:// URL with a host and no user name or password"};
        case errc::callback_scheme_not_allowed: return {400, "callback_url must use https://"};
        case errc::callback_address_not_allowed:
            return {400, "callback_url must not point at a loopback, private, link-local or other non-public address"};
        case errc::invalid_email:
            return {400, "target_user_email must be at most 254 characters without control characters"};
        case errc::field_too_long:
            return {400, "A field is too long: context may have 2000 characters, callback_url 2048, identifiers 256"};
        case errc::challenge_not_found: return {404, "Challenge not found"};
        case errc::challenge_already_finished: return {409, "Challenge has already finished"};
        case errc::challenge_expired: return {409, "Challenge has expired"};
        case errc::invalid_transition: return {409, "Challenge cannot make that change in its current state"};
        case errc::idempotency_key_invalid:
            return {400, "Idempotency-Key must be 1 to 255 printable ASCII characters without spaces"};
        case errc::idempotency_key_reused:
            return {422, "Idempotency-Key was already used with a different request; use a new key"};
        case errc::idempotency_request_in_progress:
            return {409, "A request with this Idempotency-Key is still being processed; retry shortly"};
        case errc::slack_not_configured: return {400, "Slack is not configured for this tenant"};
        case errc::slack_requester_not_found:
            return {400, "requester_email does not belong to a user of the Slack workspace"};
        case errc::slack_target_not_found: return {400, "The target is not a user of the Slack workspace"};
        case errc::cannot_challenge_self: return {400, "The requester and the target are the same person"};
        case errc::cannot_challenge_bot: return {400, "The target is a bot or app user and cannot verify"};
        case errc::target_deactivated: return {400, "The target's Slack account is deactivated"};
        case errc::requester_rate_limited:
            return {429, "This requester has sent too many challenges recently; retry later"};
        case errc::target_rate_limited:
            return {429, "This target has received too many challenges recently; retry later"};
        case errc::verification_not_configured:
            return {409, "Verification is not configured for this organisation yet; contact your support team"};
        case errc::login_issuer_mismatch:
        case errc::login_audience_mismatch:
        case errc::login_expired:
        case errc::login_nonce_mismatch:
        case errc::login_malformed:
        case errc::login_subject_mismatch:
            return {401, "Your sign-in could not be confirmed. Nothing was changed; please try again"};
        case errc::login_not_fresh:
            return {401, "Your identity provider did not ask you to sign in again. Nothing was changed; please try again"};
        case errc::login_acr_insufficient:
            return {401, "Your sign-in did not use the required method (for example multi-factor). Nothing was changed"};
        case errc::login_identity_missing:
            return {401, "Your identity provider did not say who signed in. Nothing was changed"};
        case errc::login_email_unverified:
            return {401, "Your identity provider has not confirmed your email address, so it cannot prove who you are. "
                         "Nothing was changed; contact your support team"};
        case errc::login_already_proven:
            return {409, "The target has already signed in; the challenge is being completed as verified"};
        case errc::not_found_in_tenant: return {404, "Not found"};
        case errc::permission_denied: return {403, "Your role does not allow this"};
        case errc::cannot_change_self:
            return {409, "You cannot change your own role, suspend or remove yourself; ask another admin"};
        case errc::only_owner_may_touch_owner: return {403, "Only an Owner can change an Owner or make someone Owner"};
        case errc::last_owner: return {409, "The organisation must keep at least one active Owner"};
        case errc::invalid_membership_change: return {409, "The member is already in that state"};
        case errc::member_not_found: return {404, "No such member"};
        case errc::member_exists: return {409, "That person is already a member"};
        case errc::invalid_role: return {400, "role must be owner, admin, analyst or viewer"};
        case errc::invalid_member_email: return {400, "email must be an address like name@example.com, at most 254 characters"};
        case errc::invalid_display_name: return {400, "name must be at most 200 characters without control characters"};
        case errc::setup_link_invalid:
            return {404, "This setup link is unknown, was already used or has expired; ask your operator for a new one"};
        case errc::fresh_login_required: return {401, "Sign in again to do this (a recent sign-in is required)"};
        case errc::invalid_filter:
            return {400, "A filter is not valid: status is initiated, in-progress, verified, failed or expired; source is "
                         "slack_command, slack_api, webhook_api, console or mcp; outcome is success, denied or failed; "
                         "from and to are dates like 2026-12-04; cursor comes from the previous page"};
        case errc::invalid_sso_issuer:
            return {400, "issuer must be an absolute https:// URL without query or fragment (http:// only for a loopback address)"};
        case errc::invalid_sso_client_id: return {400, "client id must be 1 to 512 printable characters"};
        case errc::invalid_sso_client_secret: return {400, "client secret must be 1 to 4096 characters without control characters"};
        case errc::sso_not_configured: return {404, "Console sign-in with your identity provider is not set up for this organisation"};
        case errc::sso_not_a_member:
            return {403, "You signed in, but you are not a member of this organisation's console. Ask an admin to add you"};
        case errc::sso_member_suspended: return {403, "Your console access is suspended. Ask an admin if this is a mistake"};
        case errc::sso_identity_conflict:
            return {403, "This member's console access is already linked to another account at your identity provider. "
                         "Ask an admin"};
        case errc::sso_other_person:
            return {403, "You signed in again as someone else. Nothing was changed; sign in again as yourself"};
        case errc::sso_login_state_invalid:
            return {400, "This sign-in cannot be used: it was already used, has expired or was started in another browser. "
                         "Nothing was changed; start again"};
    }
    return {500, "Internal server error"};
}

api_error error_for(const boost::system::error_code& ec) {
    if (ec.category() == core::error_category()) return error_for(static_cast<core::errc>(ec.value()));
    return error_for(problem::internal);
}

api_error error_for(problem p, std::string_view detail) {
    switch (p) {
        case problem::body_not_json_object: return {400, "Request body must be a JSON object"};
        case problem::wrong_field_type: return {400, std::string(detail)};
        case problem::nul_in_field: return {400, std::string(detail) + " must not contain NUL characters"};
        case problem::unknown_integration_type:
            return {400, "integration_type must be \"slack\" for a Slack challenge, or \"webhook\" or left out for a standard one"};
        case problem::invalid_query: return {400, std::string(detail)};
        case problem::missing_api_key: return {401, "Invalid or missing API key"};
        case problem::payload_too_large: return {413, "Request body is larger than 65536 bytes"};
        case problem::unsupported_media_type: return {415, "Content-Type must be application/json"};
        case problem::rate_limited: return {429, "Too many requests for this API key; retry after the Retry-After delay"};
        case problem::route_not_found: return {404, "No such endpoint"};
        case problem::method_not_allowed: return {405, "Method not allowed for this endpoint"};
        case problem::internal_create: return {500, "Failed to create challenge"};
        case problem::internal: return {500, "Internal server error"};
        case problem::not_ready: return {503, "Service not ready"};
    }
    return {500, "Internal server error"};
}

http::response json_response(unsigned status, std::string body) {
    http::response res{static_cast<boost::beast::http::status>(status), 11};
    res.set(boost::beast::http::field::content_type, "application/json");
    res.set(boost::beast::http::field::cache_control, "no-store");
    res.body() = std::move(body);
    return res;
}

http::response error_response(unsigned status, std::string_view message) {
    return json_response(status, boost::json::serialize(boost::json::object{{"error", message}}));
}

http::response error_response(const api_error& e) {
    return error_response(e.status, e.message);
}

http::response rate_limited_response(std::chrono::seconds retry_after) {
    auto res = error_response(error_for(problem::rate_limited));
    res.set(boost::beast::http::field::retry_after, std::to_string(retry_after.count()));
    return res;
}

}  // namespace chal::api
