// Slack's v0 request signatures: slack::verify_request on the headers as sent.
// Input: signing secret, X-Slack-Request-Timestamp, X-Slack-Signature one a line, then the body.
// Properties: a request verifies only with the signature sign_request makes for exactly these
// bytes (a differential check against our own signer, which the unit tests pin to Slack's
// documented example); a correctly signed request stops verifying when one byte of the body, the
// timestamp or the signature changes.
#include "fuzz/fuzz_input.hpp"
#include "slack/signature.hpp"

#include <chrono>
#include <string>

namespace {

using chal::slack::signature_check;
constexpr std::string_view signed_at = "1700000000";
const std::chrono::sys_seconds now{std::chrono::seconds{1'700'000'000}};

std::string with_byte_changed(std::string_view text, std::size_t at) {
    std::string out(text);
    out[at % out.size()] = static_cast<char>(out[at % out.size()] ^ 0x01);
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using chal::fuzz::require;
    namespace slack = chal::slack;
    const auto fields = chal::fuzz::split_fields(chal::fuzz::as_text(data, size), 4);
    const auto secret = fields[0];
    const auto body = fields[3];

    const auto outcome = slack::verify_request(secret, fields[1], fields[2], body, now);
    slack::to_string(outcome);
    if (outcome == signature_check::ok) {
        require(!secret.empty(), "an empty secret verifies nothing");
        require(fields[2] == slack::sign_request(secret, fields[1], body), "only our own signature verifies");
    }

    if (secret.empty()) return 0;
    const auto signature = slack::sign_request(secret, signed_at, body);
    require(slack::verify_request(secret, signed_at, signature, body, now) == signature_check::ok,
            "a request signed just now verifies");
    require(slack::verify_request(secret, signed_at, with_byte_changed(signature, size), body, now) != signature_check::ok,
            "a changed signature does not verify");
    if (!body.empty())
        require(slack::verify_request(secret, signed_at, signature, with_byte_changed(body, size), now) != signature_check::ok,
                "a changed body does not verify");
    require(slack::verify_request(secret, "1700000001", signature, body, now) != signature_check::ok,
            "another timestamp does not verify");
    return 0;
}
