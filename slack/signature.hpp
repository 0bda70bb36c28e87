// Slack request signatures (v0): verifying inbound requests and signing them for tests and tools.
// https://api.slack.com/authentication/verifying-requests-from-slack
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace chal::slack {

enum class signature_check {
    ok,
    missing_headers,  // X-Slack-Request-Timestamp or X-Slack-Signature absent or empty
    stale_timestamp,  // more than max_clock_skew from `now` either way, or not a decimal number
    bad_signature,    // wrong digest, wrong version prefix, or an empty signing secret
};

// Slack's documented window; like python-slack-sdk (and unlike bolt-js) it applies in both
// directions, so a timestamp from the future cannot extend a replay window.
inline constexpr std::chrono::seconds max_clock_skew{300};

// Checks X-Slack-Signature ("v0=" + hex HMAC-SHA256 of "v0:" + timestamp + ":" + raw_body,
// keyed with the signing secret as text) against the raw body bytes, comparing in constant
// time. Pass the header values as received (empty when absent). Never throws.
signature_check verify_request(
    std::string_view signing_secret,
    std::string_view timestamp_header,
    std::string_view signature_header,
    std::string_view raw_body,
    std::chrono::sys_seconds now
);

// The X-Slack-Signature value Slack would send: "v0=" followed by 64 lowercase hex digits.
std::string sign_request(std::string_view signing_secret, std::string_view timestamp, std::string_view raw_body);

// "ok", "missing_headers", "stale_timestamp", "bad_signature": for logs (the client only ever
// sees a bare 401).
std::string_view to_string(signature_check outcome) noexcept;

}  // namespace chal::slack
