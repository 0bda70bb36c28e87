#include "app/core/console_session.hpp"

namespace chal::core {

session_verdict judge_console_session(const console_session_facts& s, timestamp now, const console_session_limits& limits) {
    if (s.status != membership_status::active) return session_verdict::member_suspended;
    if (now - s.created_at >= limits.absolute) return session_verdict::absolute_expired;
    if (now - s.last_seen_at >= limits.idle) return session_verdict::idle_expired;
    return session_verdict::live;
}

std::string_view end_reason(session_verdict v) noexcept {
    switch (v) {
        case session_verdict::idle_expired: return "idle";
        case session_verdict::absolute_expired: return "absolute";
        case session_verdict::member_suspended: return "suspended";
        case session_verdict::live: break;
    }
    return "live";
}

bool is_fresh_login(timestamp auth_time, timestamp now, const console_session_limits& limits) {
    return now - auth_time < limits.fresh_login && auth_time <= now;
}

bool should_touch_session(timestamp last_seen_at, timestamp now, const console_session_limits& limits) {
    return now - last_seen_at >= limits.touch_every;
}

}  // namespace chal::core
