// The text after `/challenge`: slack::parse_challenge_command, and Slack's text escaping.
// Properties: a user target is a Slack user id, an email target has an '@', reasons stay within
// the core's limit, a status id is a lower-case UUID; unescape(escape(t)) == t; a mention made of
// any text is either a real user mention or carries no markup at all.
#include "app/crypto/crypto.hpp"
#include "fuzz/fuzz_input.hpp"
#include "slack/command.hpp"

#include <algorithm>

namespace {

bool is_lower_case(std::string_view s) {
    return std::none_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using chal::fuzz::require;
    namespace slack = chal::slack;
    const auto text = chal::fuzz::as_text(data, size);

    const auto command = slack::parse_challenge_command(text);
    if (const auto* user = std::get_if<slack::challenge_user>(&command)) {
        require(slack::is_user_id(user->user_id), "a user target is a Slack user id");
        require(user->reason.size() <= slack::max_reason_length(), "a reason is within the limit");
    } else if (const auto* email = std::get_if<slack::challenge_email>(&command)) {
        require(email->email.find('@') != std::string::npos, "an email target has an @");
        require(email->reason.size() <= slack::max_reason_length(), "a reason is within the limit");
    } else if (const auto* status = std::get_if<slack::show_status>(&command)) {
        require(chal::crypto::is_uuid(status->challenge_id) && is_lower_case(status->challenge_id),
                "a status id is a lower-case UUID");
    } else if (const auto* error = std::get_if<slack::usage_error>(&command)) {
        require(!error->message.empty(), "a usage error says something");
    }

    require(slack::unescape_slack_text(slack::escape_slack_text(text)) == text, "unescape undoes escape");
    const auto mention = slack::user_mention(text);
    require(slack::is_user_id(text) || mention.find_first_of("<>") == std::string::npos,
            "only a real user id becomes markup");
    return 0;
}
