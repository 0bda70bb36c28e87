// Signed Slack requests after the signature check: slack::parse_inbound (slash commands,
// interactivity `payload=` JSON, Events API envelopes), is_ssl_check and the retry headers.
// Input: Content-Type, X-Slack-Retry-Num and X-Slack-Retry-Reason one a line, then the body.
// Properties: nothing throws (the header promises it); block_actions carry at least one action;
// a retry number read is Slack's small positive integer.
#include "fuzz/fuzz_input.hpp"
#include "slack/inbound.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using chal::fuzz::require;
    const auto fields = chal::fuzz::split_fields(chal::fuzz::as_text(data, size), 4);
    const auto content_type = fields[0];
    const auto body = fields[3];

    chal::slack::is_ssl_check(content_type, body);
    const auto parsed = chal::slack::parse_inbound(content_type, body);
    if (parsed) {
        if (const auto* actions = std::get_if<chal::slack::block_actions>(&*parsed))
            require(!actions->actions.empty(), "block_actions carry at least one action");
    } else {
        chal::slack::to_string(parsed.error().code);
    }
    if (const auto retry = chal::slack::read_retry_headers(fields[1], fields[2])) {
        require(retry->number >= 1, "a retry number is positive");
        chal::slack::to_string(retry->reason);
    }
    return 0;
}
