// Who may be challenged, by whom, and how often. The Slack command, the modal, the shortcuts and
// the REST API's Slack challenges all ask this one function, so the bot cannot be used to flood a
// person whichever door the request comes through.
#pragma once

#include "app/core/errc.hpp"

#include <chrono>
#include <cstdint>
#include <string>

namespace chal::core {

// Counted over a sliding window from the stored challenges, so the limits hold across every node
// and survive restarts. Zero disables a limit.
struct request_limits {
    std::chrono::minutes window{60};
    std::int64_t per_requester = 30;  // challenges one person may send per window
    std::int64_t per_target = 10;     // challenges one person may receive per window
};

struct request_subject {
    std::string requester_id;  // empty: the app itself asks (REST without a requester)
    std::string target_id;
    bool target_is_bot = false;  // bots and app users cannot sign in anywhere
    bool target_deactivated = false;
};

struct recent_requests {
    std::int64_t by_requester = 0;  // within request_limits::window, before this one
    std::int64_t to_target = 0;
};

// Errors, first match wins: cannot_challenge_self, cannot_challenge_bot, target_deactivated,
// target_rate_limited (the target's protection outranks the requester's budget),
// requester_rate_limited. The app's own requests count against the target only.
result<void> check_request_policy(const request_subject& subject, const recent_requests& recent, const request_limits& limits);

}  // namespace chal::core
