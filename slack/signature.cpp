#include "slack/signature.hpp"

#include "app/crypto/crypto.hpp"

#include <cstdint>

namespace chal::slack {
namespace {

constexpr std::string_view version_prefix = "v0=";

// Unix seconds as Slack writes them: decimal digits only. Eleven digits already reach the
// year 5138, so a longer value is refused before it could overflow.
bool parse_unix_seconds(std::string_view text, std::int64_t& out) noexcept {
    if (text.empty() || text.size() > 11) return false;
    std::int64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
        value = value * 10 + (c - '0');
    }
    out = value;
    return true;
}

}  // namespace

std::string sign_request(std::string_view signing_secret, std::string_view timestamp, std::string_view raw_body) {
    std::string base;
    base.reserve(3 + timestamp.size() + 1 + raw_body.size());
    base.append("v0:").append(timestamp).append(":").append(raw_body);
    return std::string(version_prefix) + crypto::hex_encode(crypto::hmac_sha256(signing_secret, base));
}

signature_check verify_request(
    std::string_view signing_secret,
    std::string_view timestamp_header,
    std::string_view signature_header,
    std::string_view raw_body,
    std::chrono::sys_seconds now
) {
    if (timestamp_header.empty() || signature_header.empty()) return signature_check::missing_headers;
    std::int64_t ts = 0;
    if (!parse_unix_seconds(timestamp_header, ts)) return signature_check::stale_timestamp;
    const std::int64_t skew = now.time_since_epoch().count() - ts;
    if (skew > max_clock_skew.count() || skew < -max_clock_skew.count()) return signature_check::stale_timestamp;
    // An empty key would make every signature computable by anyone: a configuration error
    // must not turn into an open door.
    if (signing_secret.empty()) return signature_check::bad_signature;
    if (!signature_header.starts_with(version_prefix)) return signature_check::bad_signature;
    const auto expected = sign_request(signing_secret, timestamp_header, raw_body);
    return crypto::constant_time_equal(expected, signature_header) ? signature_check::ok
                                                                  : signature_check::bad_signature;
}

std::string_view to_string(signature_check outcome) noexcept {
    switch (outcome) {
    case signature_check::ok: return "ok";
    case signature_check::missing_headers: return "missing_headers";
    case signature_check::stale_timestamp: return "stale_timestamp";
    case signature_check::bad_signature: return "bad_signature";
    }
    return "unknown";
}

}  // namespace chal::slack
