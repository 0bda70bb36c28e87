// Inbound Slack requests after their signature passed: classify by content type and parse
// once into typed payloads (slash commands, interactivity, Events API, ssl_check), plus the
// retry headers. Pure: no I/O, never throws on any input.
#pragma once

#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace chal::slack {

// Where the request came from, resolved the way Bolt does (authorizations[0] first, then the
// payload's own team and enterprise fields). Org-wide installs have is_enterprise_install set
// and are keyed by enterprise_id; team_id may then be empty or belong to one workspace.
struct installation_ref {
    std::string enterprise_id;
    std::string team_id;
    bool is_enterprise_install = false;
};

struct slack_user {
    std::string id;
    std::string username;
    std::string name;
    std::string team_id;
};

// --- form bodies -------------------------------------------------------------------------

// `ssl_check=1`: answered 200 with an empty body; nothing else in such a request is kept
// (Bolt rewrites the body to exactly `ssl_check=1` for the same reason).
struct ssl_check {};

struct slash_command {
    installation_ref installation;
    std::string command;  // "/challenge"
    std::string text;     // everything after the command, still Slack-escaped
    std::string user_id;
    std::string user_name;  // deprecated by Slack; for logs only
    std::string team_id;
    std::string team_domain;
    std::string enterprise_id;
    std::string channel_id;
    std::string channel_name;
    std::string response_url;
    std::string trigger_id;
    std::string api_app_id;
    bool is_enterprise_install = false;  // Slack sends the string "true"/"false"
};

// --- interactivity (form field `payload` holding JSON) -------------------------------------

struct block_action {
    std::string action_id;
    std::string block_id;
    std::string type;       // "button", "static_select", ...
    std::string value;      // buttons; empty for selects (see raw.selected_option)
    std::string action_ts;
    boost::json::object raw;
};

struct block_actions {
    installation_ref installation;
    slack_user user;
    std::string api_app_id;
    std::string trigger_id;
    std::string response_url;  // messages only
    std::string container_type;  // "message", "view", "message_attachment"
    std::string channel_id;
    std::string message_ts;
    std::string view_id;
    std::vector<block_action> actions;  // at least one
    std::optional<boost::json::object> message;
    std::optional<boost::json::object> view;
    boost::json::object raw;
};

struct block_suggestion {
    installation_ref installation;
    slack_user user;
    std::string api_app_id;
    std::string action_id;
    std::string block_id;
    std::string value;  // what the user typed
    std::optional<boost::json::object> view;
    boost::json::object raw;
};

struct view_submission {
    installation_ref installation;
    slack_user user;
    std::string api_app_id;
    std::string trigger_id;
    std::string view_id;
    std::string callback_id;
    std::string private_metadata;
    std::string hash;
    boost::json::object state_values;  // view.state.values[block_id][action_id]
    std::vector<std::string> response_urls;  // response_urls[].response_url, when enabled
    boost::json::object view;
    boost::json::object raw;
};

struct view_closed {
    installation_ref installation;
    slack_user user;
    std::string api_app_id;
    std::string view_id;
    std::string callback_id;
    std::string private_metadata;
    bool is_cleared = false;
    boost::json::object view;
    boost::json::object raw;
};

// Global shortcut (`type: "shortcut"`): no channel and no response_url.
struct global_shortcut {
    installation_ref installation;
    slack_user user;
    std::string api_app_id;
    std::string callback_id;
    std::string trigger_id;
    std::string action_ts;
    boost::json::object raw;
};

// Message shortcut (`type: "message_action"`).
struct message_shortcut {
    installation_ref installation;
    slack_user user;
    std::string api_app_id;
    std::string callback_id;
    std::string trigger_id;
    std::string action_ts;
    std::string response_url;
    std::string channel_id;
    std::string channel_name;
    std::string message_ts;
    std::string message_user;  // the sender's user id; empty for bot or system messages
    std::string message_bot_id;
    boost::json::object message;
    boost::json::object raw;
};

// --- Events API (application/json) ---------------------------------------------------------

struct url_verification {
    std::string challenge;  // echoed back as the answer
};

struct app_home_opened {
    std::string user;
    std::string channel;
    std::string tab;  // "home" or "messages"
};
struct app_uninstalled {};
struct tokens_revoked {
    std::vector<std::string> oauth;  // user ids whose user tokens were revoked
    std::vector<std::string> bot;    // bot user ids whose bot tokens were revoked
};
// An inner event we do not subscribe to; event_callback::event_type names it.
struct other_event {};
using inner_event = std::variant<other_event, app_home_opened, app_uninstalled, tokens_revoked>;

struct event_callback {
    installation_ref installation;
    std::string event_id;  // the dedupe key, unique across workspaces
    std::int64_t event_time = 0;
    std::string team_id;
    std::string api_app_id;
    std::string event_type;  // event.type
    inner_event detail;
    boost::json::object event;
};

// Sent once a minute while Slack withholds events over the 30,000/hour limit.
struct app_rate_limited {
    std::string team_id;
    std::string api_app_id;
    std::int64_t minute_rate_limited = 0;
};

using inbound_payload = std::variant<
    ssl_check,
    slash_command,
    block_actions,
    block_suggestion,
    view_submission,
    view_closed,
    global_shortcut,
    message_shortcut,
    url_verification,
    event_callback,
    app_rate_limited>;

enum class inbound_errc {
    unsupported_media_type = 1,  // neither form-encoded nor JSON: 415
    body_too_large,              // over max_inbound_body_size: 413
    malformed_body,              // bad percent-encoding, duplicate form field, invalid JSON: 400
    missing_field,               // a field Slack always sends is absent or has the wrong type: 400
    unknown_type,                // well-formed, but a payload or envelope type we do not handle
};

struct inbound_error {
    inbound_errc code;
    std::string detail;  // for the log: names fields and types, never echoes body content
};

// Lets boost::system::result<T, inbound_error>::value() throw (std::invalid_argument).
[[noreturn]] void throw_exception_from_error(const inbound_error& e, const boost::source_location& loc);

template <class T>
using inbound_result = boost::system::result<T, inbound_error>;

// Slack's own requests stay far below this (a 250 KB view, form-encoded); the HTTP layer
// should cap bodies first, this keeps the parser safe on its own.
inline constexpr std::size_t max_inbound_body_size = 2 * 1024 * 1024;

// Parses a verified request body by its Content-Type (media type compared without case and
// without parameters): application/x-www-form-urlencoded is ssl_check, an interactivity
// `payload`, or a slash command; application/json is an Events API envelope. Unknown fields
// are ignored everywhere. Never throws.
inbound_result<inbound_payload> parse_inbound(std::string_view content_type, std::string_view raw_body);

// True for a form body whose ssl_check field is "1", so the caller can answer it at once.
bool is_ssl_check(std::string_view content_type, std::string_view raw_body);

// application/x-www-form-urlencoded: '&'-separated name=value pairs, '+' is a space, %XX
// decoded. Empty pairs are skipped; a bad escape or a repeated name is malformed_body.
inbound_result<std::vector<std::pair<std::string, std::string>>> decode_form(std::string_view body);

// --- which Slack app a payload was sent to --------------------------------------------------

// Whether a verified payload belongs to the app it reached. Several Slack apps can share one
// request URL only by mistake (a signing secret stored for the wrong instance), and Slack asks
// receivers to check api_app_id (slack-platform.md 2.2).
enum class app_id_verdict {
    matches,      // api_app_id is the recorded app id
    record,       // no app id is recorded yet: the payload's (signed) api_app_id becomes it
    not_claimed,  // the payload names no app: ssl_check, url_verification, or a type Slack may send without one
    mismatch,     // another Slack app's request
    missing,      // a type Slack always sends with api_app_id, without one
};

// The payload's api_app_id; empty when it has none or its type carries none.
std::string_view api_app_id_of(const inbound_payload& payload) noexcept;

// Decides `payload` against the app id recorded for the app it reached (empty: none yet).
// Slack always sends api_app_id with slash commands, block_actions, block_suggestion,
// view_submission, event_callback and app_rate_limited; its documentation of shortcuts and
// view_closed does not list it, so there it is checked only when present.
app_id_verdict check_api_app_id(const inbound_payload& payload, std::string_view recorded_app_id) noexcept;

std::string_view to_string(app_id_verdict verdict) noexcept;

// --- retries -------------------------------------------------------------------------------

enum class retry_reason {
    http_timeout,
    too_many_redirects,
    connection_failed,
    ssl_error,
    http_error,
    unknown_error,
    unrecognised,  // a value Slack did not document (the headers are not signed)
};

struct retry_attempt {
    int number = 0;  // X-Slack-Retry-Num: 1..3 from Slack
    retry_reason reason = retry_reason::unrecognised;
};

// Reads X-Slack-Retry-Num and X-Slack-Retry-Reason (header values, empty when absent).
// nullopt when this is not a retry or the number is not a small positive integer. For logs
// and metrics only: deduplication is by event_id, since a retry may be the first delivery
// that ever reached us.
std::optional<retry_attempt> read_retry_headers(std::string_view retry_num, std::string_view retry_reason_header);

std::string_view to_string(retry_reason reason) noexcept;
std::string_view to_string(inbound_errc code) noexcept;

}  // namespace chal::slack
