// Callback signing: the contract's X-Webhook-Signature (hex HMAC-SHA256 of the body, as the
// published guide's verifiers expect) and the Standard Webhooks headers (id, per-attempt
// timestamp, v1 signature over "id.timestamp.body") that give receivers replay protection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chal::api::webhooks {

// The associated data a webhook secret is sealed with, binding the ciphertext to its row.
std::string webhook_secret_context(std::string_view integration_id);

// "sha256=<hex>" over the raw body, keyed with the secret's bytes as the integrator typed it.
std::string legacy_signature(std::string_view secret, std::string_view body);

// The key Standard Webhooks libraries derive from a secret: a `whsec_<base64>` secret means its
// decoded bytes; any other secret is used as its UTF-8 bytes (the library then takes
// `whsec_` + base64(secret)). nullopt for a secret no key comes from: empty, or `whsec_`
// followed by anything but the base64 of at least one byte.
std::optional<std::string> standard_webhooks_key(std::string_view secret);

// Whether callbacks can be signed with this secret (standard_webhooks_key gives a key). A
// secret that cannot is refused when it is stored.
bool is_usable_webhook_secret(std::string_view secret);

// "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>"
std::string standard_webhooks_signature(
    std::string_view key, std::string_view webhook_id, std::int64_t timestamp, std::string_view body
);

// Every header of one attempt. Without a secret only the unsigned headers are sent; with a
// secret that is not usable, nullopt (nothing is sent half-signed).
std::optional<std::vector<std::pair<std::string, std::string>>> callback_headers(
    std::string_view webhook_id,
    std::string_view event_type,
    std::int64_t attempt_timestamp,
    std::string_view body,
    const std::optional<std::string>& secret
);

}  // namespace chal::api::webhooks
