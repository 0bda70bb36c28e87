// The text after `/challenge`: who to challenge and why, or help, status and the modal.
// Slack escapes the text (the manifest sets should_escape), so mentions arrive as
// `<@U123ABC|name>` and emails as `<mailto:a@example.com|a@example.com>`.
#pragma once

#include <string>
#include <string_view>
#include <variant>

namespace chal::slack {

struct open_challenge_modal {};  // `/challenge` alone
struct show_help {};             // `/challenge help`
struct show_status {
    std::string challenge_id;  // a UUID, lower case
};
struct challenge_user {
    std::string user_id;  // U… or W… (Enterprise Grid)
    std::string reason;   // trimmed, Slack's &amp; &lt; &gt; decoded; may be empty
};
struct challenge_email {
    std::string email;   // to be resolved with users.lookupByEmail
    std::string reason;  // as for challenge_user
};
struct usage_error {
    std::string message;  // friendly mrkdwn for an ephemeral reply; never echoes the input
};

using challenge_command =
    std::variant<open_challenge_modal, show_help, show_status, challenge_user, challenge_email, usage_error>;

// Reasons longer than this (in bytes, after decoding) are refused: the core's context limit.
std::size_t max_reason_length() noexcept;

// Parses the slash command's `text` field exactly as Slack sent it. Never throws; anything
// it cannot read becomes a usage_error.
challenge_command parse_challenge_command(std::string_view text);

// What `/challenge help` answers (mrkdwn).
std::string_view challenge_usage() noexcept;

// Slack user ids: U or W, then upper-case letters and digits.
bool is_user_id(std::string_view text) noexcept;

// `<@U123ABC>` for a valid user id; anything else is escaped and shown as plain text, so a
// crafted id cannot smuggle `<!channel>` or a link into a message.
std::string user_mention(std::string_view user_id);

// Slack's message escaping, both ways: only &, < and > (https://api.slack.com/reference/surfaces/formatting#escaping).
std::string escape_slack_text(std::string_view text);
std::string unescape_slack_text(std::string_view text);

}  // namespace chal::slack
