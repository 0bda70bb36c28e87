// The challenge and its lifecycle: which events may move it, to what, and why not.
// Storage turns each rule into one conditional UPDATE, so the database enforces what this
// file decides even when several instances race.
#pragma once

#include "app/core/errc.hpp"
#include "app/core/time.hpp"

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace chal::core {

enum class challenge_status { initiated, in_progress, verified, failed, expired };
enum class failure_reason { identity_mismatch, authentication_failed, incident_reported, canceled };

// Where a challenge was requested; decides how its outcome travels back (callback or Slack).
enum class challenge_origin { webhook_api, slack_command, slack_api, console, mcp };

// Everything that can happen to a challenge after it is created.
enum class challenge_event {
    start,                   // the target opened the verification link
    verify,                  // the target re-authenticated as themselves
    fail_identity_mismatch,  // authenticated as someone else
    fail_authentication,     // the identity provider refused or errored
    report_incident,         // "wasn't me"
    cancel,                  // the requester withdrew it
    expire,                  // expires_at passed
};

std::string_view to_string(challenge_status s) noexcept;
std::string_view to_string(failure_reason r) noexcept;
std::string_view to_string(challenge_origin o) noexcept;
std::string_view to_string(challenge_event e) noexcept;
std::optional<challenge_status> parse_challenge_status(std::string_view text) noexcept;
std::optional<failure_reason> parse_failure_reason(std::string_view text) noexcept;
std::optional<challenge_origin> parse_challenge_origin(std::string_view text) noexcept;

bool is_terminal(challenge_status s) noexcept;

struct challenge {
    std::string id;
    std::string tenant_id;
    std::string integration_id;
    challenge_origin origin = challenge_origin::webhook_api;
    challenge_status status = challenge_status::initiated;
    std::optional<failure_reason> failure;
    std::optional<std::string> target_user_id;
    std::optional<std::string> target_user_email;
    std::optional<std::string> context;
    std::string requester_id;
    std::optional<std::string> callback_url;  // per-request; the integration default is resolved at enqueue
    timestamp created_at{};
    timestamp expires_at{};
    std::optional<timestamp> started_at;
    std::optional<timestamp> completed_at;
    std::optional<std::string> target_response;
    std::optional<std::string> device_fingerprint_json;  // a JSON object, as collected
    std::optional<std::string> auth_method;               // "oidc", "saml", "none"
    std::optional<std::string> verification_code;         // told to the requester, shown after login
    std::optional<std::string> receipt;                   // compact JWS, once verified
    // A login proved the target; the challenge turns verified once device details arrive (or
    // shortly without them), even if its deadline passes meanwhile.
    std::optional<timestamp> authenticated_at;
    std::optional<std::string> login_json;  // what the login proved (method, subject, acr, auth_time)
};

// The status a reader should see at `now`: a live challenge whose expiry has passed reads as
// expired even before the sweeper has written it.
challenge_status observed_status(const challenge& c, timestamp now) noexcept;

// One lifecycle rule: the statuses an event may leave, where it goes, and what it records.
struct transition_rule {
    challenge_event event;
    std::span<const challenge_status> from;
    challenge_status to;
    std::optional<failure_reason> reason;
    bool requires_unexpired;  // every event but `expire` needs expires_at still ahead
    // A proven login (authenticated_at) ends as verified: a late second answer, a racing incident
    // report, a cancel or the deadline may not turn it into anything else.
    bool refused_once_login_proven;
};

const transition_rule& rule_for(challenge_event e) noexcept;

// What applying `e` at `now` to `c` yields, or why it cannot: challenge_already_finished for a
// terminal challenge, login_already_proven for one a login proved (see transition_rule),
// challenge_expired for a live one past its expiry, invalid_transition for any other disallowed
// move. Never throws.
result<challenge> apply(const challenge& c, challenge_event e, timestamp now);

// Whether the outcome of a challenge from this origin travels as a signed webhook callback.
// Slash-command challenges answer in Slack instead (contract: "Webhook callbacks").
bool sends_callbacks(challenge_origin o) noexcept;

// Whether the outcome of a challenge from this origin updates its Slack messages in place.
bool reports_in_slack(challenge_origin o) noexcept;

}  // namespace chal::core
