// Turning a request for a challenge into a challenge: validation, defaults, expiry.
#pragma once

#include "app/core/challenge.hpp"
#include "app/core/outbound_url.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace chal::core {

inline constexpr std::chrono::minutes default_expiry{15};
inline constexpr std::int64_t min_expiry_minutes = 1;
inline constexpr std::int64_t max_expiry_minutes = 10080;  // one week
// Limits that keep a challenge displayable in Slack blocks and the verification page.
inline constexpr std::size_t max_context_length = 2000;
inline constexpr std::size_t max_identifier_length = 256;

// A request as the adapters understand it; every field optional, as in the contract.
struct challenge_request {
    std::optional<std::string> target_user_id;
    std::optional<std::string> target_user_email;
    std::optional<std::string> context;
    std::optional<std::string> callback_url;
    std::optional<std::string> requester_id;
    std::optional<std::int64_t> expiry_minutes;
};

// Who is asking and under which tenant settings.
struct challenge_origin_facts {
    std::string challenge_id;  // minted by the caller (time-ordered UUID)
    std::string tenant_id;
    std::string integration_id;
    challenge_origin origin = challenge_origin::webhook_api;
    std::chrono::minutes tenant_expiry = default_expiry;
};

// The delivery's own policy (scheme and addresses), so a URL that could never be called is
// refused when the challenge is created instead of failing every attempt later.
using callback_url_policy = outbound_url_policy;

// Validates the request and builds the initiated challenge. Errors: target_required,
// invalid_expiry, invalid_callback_url, callback_scheme_not_allowed,
// callback_address_not_allowed, invalid_email, field_too_long. Never throws.
result<challenge> plan_challenge(
    const challenge_request& request,
    const challenge_origin_facts& origin,
    const callback_url_policy& url_policy,
    timestamp now
);

// vet_outbound_url for a callback URL about to be stored (a challenge's, an integration's
// default): absolute http(s) with a host and no user-info, https unless the policy allows http,
// and no IP literal the address policy refuses. Host names are judged at every send.
result<void> validate_callback_url(std::string_view url, const callback_url_policy& policy);

bool is_valid_expiry_minutes(std::int64_t minutes) noexcept;

// What a target email may be: at most 254 characters with no control characters. Deliberately
// loose: the published guide's own example sends "[email protected]" (an obfuscation
// artefact) and must work unchanged, and the identity provider's authenticated email is what
// is compared with it; an address that is no address simply never matches.
bool is_acceptable_target_email(std::string_view text) noexcept;

}  // namespace chal::core
