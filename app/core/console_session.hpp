// When a console session ends by itself, and when its sign-in is recent enough for a sensitive
// action. Defaults are NIST SP 800-63B AAL2's: 30 minutes idle, 12 hours in all.
#pragma once

#include "app/core/permissions.hpp"
#include "app/core/time.hpp"

#include <chrono>

namespace chal::core {

struct console_session_limits {
    std::chrono::seconds idle{std::chrono::minutes{30}};
    std::chrono::seconds absolute{std::chrono::hours{12}};
    // A sensitive action needs a sign-in this recent (a setup link counts as one for this long).
    std::chrono::seconds fresh_login{std::chrono::minutes{5}};
    // last_seen is written at most this often, so reading pages costs no write each.
    std::chrono::seconds touch_every{std::chrono::seconds{60}};
};

struct console_session_facts {
    timestamp created_at;
    timestamp last_seen_at;
    timestamp auth_time;
    membership_status status = membership_status::active;
};

enum class session_verdict { live, idle_expired, absolute_expired, member_suspended };

session_verdict judge_console_session(const console_session_facts& s, timestamp now, const console_session_limits& limits);
std::string_view end_reason(session_verdict v) noexcept;  // "idle", "absolute", "suspended"

bool is_fresh_login(timestamp auth_time, timestamp now, const console_session_limits& limits);
bool should_touch_session(timestamp last_seen_at, timestamp now, const console_session_limits& limits);

}  // namespace chal::core
