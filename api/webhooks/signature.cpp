#include "api/webhooks/signature.hpp"

#include "app/crypto/crypto.hpp"

namespace chal::api::webhooks {

std::string webhook_secret_context(std::string_view integration_id) {
    return "integration:" + std::string(integration_id) + ":webhook_secret";
}

std::string legacy_signature(std::string_view secret, std::string_view body) {
    return "sha256=" + crypto::hex_encode(crypto::hmac_sha256(secret, body));
}

std::optional<std::string> standard_webhooks_key(std::string_view secret) {
    constexpr std::string_view prefix = "whsec_";
    if (secret.empty()) return std::nullopt;
    if (!secret.starts_with(prefix)) return std::string(secret);
    auto decoded = crypto::base64_decode(secret.substr(prefix.size()));
    if (!decoded || decoded->empty()) return std::nullopt;
    return decoded;
}

bool is_usable_webhook_secret(std::string_view secret) {
    return standard_webhooks_key(secret).has_value();
}

std::string standard_webhooks_signature(
    std::string_view key, std::string_view webhook_id, std::int64_t timestamp, std::string_view body
) {
    std::string content;
    content.reserve(webhook_id.size() + body.size() + 24);
    content.append(webhook_id).append(".").append(std::to_string(timestamp)).append(".").append(body);
    return "v1," + crypto::base64_encode(crypto::hmac_sha256(key, content));
}

std::optional<std::vector<std::pair<std::string, std::string>>> callback_headers(
    std::string_view webhook_id,
    std::string_view event_type,
    std::int64_t attempt_timestamp,
    std::string_view body,
    const std::optional<std::string>& secret
) {
    std::vector<std::pair<std::string, std::string>> headers{
        {"Content-Type", "application/json"},
        {"User-Agent", "Challenge-Webhooks/1.0"},
        {"X-Webhook-Event", std::string(event_type)},
        {"webhook-id", std::string(webhook_id)},
        {"webhook-timestamp", std::to_string(attempt_timestamp)},
    };
    if (secret && !secret->empty()) {
        const auto key = standard_webhooks_key(*secret);
        if (!key) return std::nullopt;
        headers.emplace_back("X-Webhook-Signature", legacy_signature(*secret, body));
        headers.emplace_back("webhook-signature", standard_webhooks_signature(*key, webhook_id, attempt_timestamp, body));
    }
    return headers;
}

}  // namespace chal::api::webhooks
