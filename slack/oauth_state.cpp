#include "slack/oauth_state.hpp"

#include "app/crypto/crypto.hpp"

#include <charconv>
#include <optional>
#include <vector>

namespace chal::slack {
namespace {

constexpr std::string_view version = "v1";
// Domain separation: no other MAC made with the same key can pass for a state.
constexpr std::string_view mac_label = "slack-oauth-state:";

std::string mac_of(std::string_view key, std::string_view encoded_payload) {
    return crypto::base64url_encode(crypto::hmac_sha256(key, std::string(mac_label) + std::string(encoded_payload)));
}

std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> parts;
    while (true) {
        const auto end = text.find('\n');
        parts.push_back(text.substr(0, end));
        if (end == std::string_view::npos) return parts;
        text.remove_prefix(end + 1);
    }
}

std::optional<std::int64_t> seconds_of(std::string_view text) {
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

// The payload is ours whenever its MAC verifies, so anything that does not parse is a bug in
// an older issuer, and refused like a forgery.
std::optional<oauth_state_claims> claims_of(std::string_view encoded_payload) {
    const auto payload = crypto::base64url_decode(encoded_payload);
    if (!payload) return std::nullopt;
    const auto parts = split_lines(*payload);
    if (parts.size() != 5 || parts[0] != version || !crypto::is_uuid(parts[1])) return std::nullopt;
    const auto expiry = seconds_of(parts[2]);
    const auto browser_hash = crypto::base64url_decode(parts[3]);
    const auto admitted_by = crypto::base64url_decode(parts[4]);
    if (!expiry || !browser_hash || !admitted_by) return std::nullopt;
    return oauth_state_claims{
        std::string(parts[1]), *browser_hash, core::timestamp{std::chrono::seconds{*expiry}}, *admitted_by};
}

}  // namespace

std::string issue_oauth_state(std::string_view key, const oauth_state_claims& claims) {
    const auto payload = std::string(version) + "\n" + claims.integration_id + "\n" +
                         std::to_string(claims.expires_at.time_since_epoch().count()) + "\n" +
                         crypto::base64url_encode(claims.browser_hash) + "\n" + crypto::base64url_encode(claims.admitted_by);
    const auto encoded = crypto::base64url_encode(payload);
    return encoded + "." + mac_of(key, encoded);
}

std::variant<oauth_state_claims, oauth_state_refusal> read_oauth_state(
    std::string_view key, std::string_view state, std::string_view browser_hash, core::timestamp now
) {
    const auto dot = state.rfind('.');
    if (dot == std::string_view::npos || state.size() > 1024) return oauth_state_refusal::unknown;
    const auto encoded = state.substr(0, dot);
    if (!crypto::constant_time_equal(state.substr(dot + 1), mac_of(key, encoded))) return oauth_state_refusal::unknown;
    auto claims = claims_of(encoded);
    if (!claims) return oauth_state_refusal::unknown;
    if (!crypto::constant_time_equal(claims->browser_hash, browser_hash)) return oauth_state_refusal::other_browser;
    if (now >= claims->expires_at) return oauth_state_refusal::expired;
    return std::move(*claims);
}

}  // namespace chal::slack
