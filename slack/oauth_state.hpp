// The "Add to Slack" OAuth state, signed instead of stored: the install redirect writes nothing,
// and the state still is time-limited, bound to the browser that started the install (the
// SHA-256 of its cookie secret is inside) and unforgeable (HMAC-SHA256 under a key derived from
// the master key). Single use is the callback's job: it records each state it accepts once.
// Pure: no I/O, never throws on any input.
#pragma once

#include "app/core/time.hpp"

#include <string>
#include <string_view>
#include <variant>

namespace chal::slack {

struct oauth_state_claims {
    std::string integration_id;  // the Slack app being installed
    std::string browser_hash;    // raw SHA-256 of the browser secret in the install cookie
    core::timestamp expires_at;
    // Who vouched for the install beyond the allowlist: the console's signed-in admin
    // ("admin:<id>"). Empty for the anonymous "Add to Slack" link.
    std::string admitted_by;
};

enum class oauth_state_refusal {
    unknown,        // malformed, or not signed with our key
    other_browser,  // genuine, but started in another browser (or the cookie is gone)
    used,           // genuine and already used once (decided by the callback's record)
    expired,        // genuine, but not finished in time
};

// `base64url(payload) "." base64url(HMAC-SHA256(key, payload))`, about 180 characters.
std::string issue_oauth_state(std::string_view key, const oauth_state_claims& claims);

// The claims of a state signed with `key` for the browser whose cookie secret hashes to
// `browser_hash`, valid while `now` is before their expiry. Checked in that order: signature,
// browser, expiry.
std::variant<oauth_state_claims, oauth_state_refusal> read_oauth_state(
    std::string_view key, std::string_view state, std::string_view browser_hash, core::timestamp now
);

}  // namespace chal::slack
