// Block Kit payloads the Slack app sends: the target's challenge card, the requester's message,
// outcomes updated in place, the security alert, App Home, the New challenge modal, ephemerals.
// Pure functions from core data to JSON; the Web API client and the routes send them.
#pragma once

#include "app/core/challenge.hpp"
#include "app/core/time.hpp"

#include <boost/json/object.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace chal::slack {

// Slack's Block Kit limits that these payloads meet (https://api.slack.com/reference/block-kit).
// Lengths are counted as slack_length() counts them.
namespace block_kit_limits {
inline constexpr std::size_t message_blocks = 50;
inline constexpr std::size_t view_blocks = 100;
inline constexpr std::size_t section_text = 3000;
inline constexpr std::size_t section_field = 2000;
inline constexpr std::size_t section_fields = 10;
inline constexpr std::size_t header_text = 150;
inline constexpr std::size_t context_elements = 10;
inline constexpr std::size_t button_text = 75;
inline constexpr std::size_t button_value = 2000;
inline constexpr std::size_t button_url = 3000;
inline constexpr std::size_t identifier = 255;  // block_id, action_id, callback_id
inline constexpr std::size_t view_title = 24;   // modal title, submit, close
inline constexpr std::size_t private_metadata = 3000;
inline constexpr std::size_t input_label = 2000;
inline constexpr std::size_t plain_text_input_max_length = 3000;
inline constexpr std::size_t option_text = 75;
inline constexpr std::size_t confirm_text = 300;
}  // namespace block_kit_limits

// Identifiers the interactivity router matches on; the payloads below use exactly these.
namespace block_ids {
inline constexpr std::string_view challenge_actions = "challenge_actions";  // the card's buttons
inline constexpr std::string_view verify_action = "verify";  // link button; value = challenge id
inline constexpr std::string_view report_incident_action = "report_incident";  // value = challenge id
// The card's optional input. It has no dispatch_action: its text arrives with the button click,
// in the block_actions payload at state.values["additional_context"]["target_response"].value.
inline constexpr std::string_view additional_context_block = "additional_context";
inline constexpr std::string_view additional_context_action = "target_response";
// App Home's button that opens new_challenge_modal (needs a trigger_id, so it is a button).
inline constexpr std::string_view open_new_challenge_action = "open_new_challenge";
// The New challenge modal: view_submission state.values[block][action].
inline constexpr std::string_view new_challenge_callback = "new_challenge";
inline constexpr std::string_view target_block = "target";
inline constexpr std::string_view target_action = "user";  // users_select: selected_user
inline constexpr std::string_view reason_block = "reason";
inline constexpr std::string_view reason_action = "text";  // plain_text_input: value
inline constexpr std::string_view expiry_block = "expiry";
inline constexpr std::string_view expiry_action = "minutes";  // static_select: selected_option.value
}  // namespace block_ids

// The expiry choices of the New challenge modal; the option value is the minute count.
inline constexpr int new_challenge_expiry_minutes[] = {15, 60, 240, 1440};
// Longest Additional context the card accepts (the input's max_length).
inline constexpr std::size_t max_target_response_length = 2000;

// Text length as Slack's limits count it, taken conservatively: UTF-16 code units (what
// JavaScript's String.length gives), never fewer than code points. Invalid UTF-8 bytes count one
// each.
std::size_t slack_length(std::string_view utf8) noexcept;

// User-provided text made safe for a mrkdwn field: invalid UTF-8 becomes U+FFFD, control
// characters other than newline and tab and bidirectional overrides are dropped, and &, <, >
// become &amp; &lt; &gt; so that `<!channel>` or `<@U1>` show as typed instead of notifying
// anyone. The result is at most `max_length` long (slack_length); when cut it ends with "…",
// never inside a character or an entity. Formatting characters (*, _, ~, `) are left alone:
// Slack has no escape for them, and they cannot mention or link anyone.
std::string mrkdwn_user_text(std::string_view text, std::size_t max_length);

// The same cleaning and cutting for a plain_text field or an input's initial value, without
// the mrkdwn escapes (plain_text shows them literally).
std::string plain_user_text(std::string_view text, std::size_t max_length);

// "<@U0123ABC>" for a Slack user id (U…, W…); for anything else the escaped text.
std::string slack_mention(std::string_view user_id);

// How a person named by the caller appears in mrkdwn: a well-formed mention "<@U…>" or
// "<@W…>" stays as it is (Slack renders the user's current name), anything else is treated as
// a name and goes through mrkdwn_user_text (at most 200 long).
std::string person_text(std::string_view requester_or_target);

// Slack date formatting: "<!date^1764590400^{date_short_pretty} at {time}|2025-12-01T12:00:00Z>",
// shown in the reader's own time zone; the RFC 3339 text is the fallback for old clients.
std::string slack_date(core::timestamp t);

// Whose copy of a challenge message is being built.
enum class card_role { target, requester };

// Every message function returns {"text": fallback, "blocks": [...]}, ready for
// chat.postMessage / chat.update (the caller adds channel, ts, thread_ts). `text` is the
// notification and screen-reader text; `blocks` stays within the limits above for any input.
// Functions that take a URL or metadata throw std::invalid_argument when it exceeds Slack's
// limit (a bug or a misconfiguration, not user input); nothing else throws except on
// allocation failure.

// The target's card: who asks and why, the expiry, an optional Additional context input, a
// green "Verify, it was me" link button to `verification_url` and a red "Report incident,
// wasn't me" button behind a confirm dialog. `requester` is a mention or a name (person_text).
boost::json::object target_card(
    const core::challenge& c,
    std::string_view requester,
    std::string_view verification_url,
    bool additional_context_enabled
);

// The requester's message at creation: the challenge went to `target`, the call-binding code
// to have read back after the target verifies, status waiting.
boost::json::object requester_message(
    const core::challenge& c, std::string_view target, std::string_view verification_code
);

// The message either side sees once the challenge ends, replacing the card or the requester's
// message (no buttons, no input): verified (with the time and the device details from
// device_fingerprint_json, shown to both sides), failed (the reason in words), incident
// reported (a red warning), expired. A live challenge gives its status line (waiting or in
// progress) without buttons; callers update the target's card only on terminal outcomes.
// The verification code is shown to the requester only, never in the target's Slack: whoever
// reads the target's DMs must not learn it.
boost::json::object outcome_update(
    const core::challenge& c, card_role role, std::string_view target, std::string_view requester
);

// The alert for the tenant's security channel when a target reports an incident.
boost::json::object security_alert(
    const core::challenge& c, std::string_view target, std::string_view requester
);

// One row of App Home: a challenge and the other person (a mention or a name).
struct home_entry {
    core::challenge challenge;
    std::string counterpart;
};

// The `home` view for views.publish: the newest 10 of each list (as given, newest first), each
// with a status emoji and the time, and a New challenge button. `now` decides whether a live
// challenge already reads as expired (core::observed_status). Returns the view object.
boost::json::object app_home(
    std::span<const home_entry> sent, std::span<const home_entry> received, core::timestamp now
);

// The New challenge modal for views.open: a user picker, a reason and an expiry choice (none
// chosen means the tenant's default). A prefilled target that is not a Slack user id is left
// out. Throws std::invalid_argument when private_metadata is longer than 3000. Returns the view.
boost::json::object new_challenge_modal(
    std::optional<std::string_view> target_user_id,
    std::optional<std::string_view> reason,
    std::string_view private_metadata
);

// A slash-command answer only the invoking user sees: {"response_type": "ephemeral", "text",
// "blocks"}. `mrkdwn` is our own text: user-provided parts must already have gone through
// mrkdwn_user_text. Longer than a section allows, it is cut.
boost::json::object ephemeral(std::string_view mrkdwn);

// The answer to `/challenge help` (ephemeral).
boost::json::object help_message();

}  // namespace chal::slack
