#include "app/core/console_session.hpp"

#include <gtest/gtest.h>

namespace chal::core {
namespace {

using namespace std::chrono_literals;
const timestamp t0{std::chrono::sys_days{std::chrono::year{2026} / 12 / 4}};

TEST(console_session, lives_until_thirty_idle_minutes) {
    const console_session_limits limits;
    const console_session_facts s{t0, t0 + 10min, t0};
    EXPECT_EQ(judge_console_session(s, t0 + 39min, limits), session_verdict::live);
    EXPECT_EQ(judge_console_session(s, t0 + 40min, limits), session_verdict::idle_expired);
}

TEST(console_session, ends_after_twelve_hours_however_busy) {
    const console_session_limits limits;
    const console_session_facts s{t0, t0 + 12h - 1s, t0};
    EXPECT_EQ(judge_console_session(s, t0 + 12h - 1s, limits), session_verdict::live);
    EXPECT_EQ(judge_console_session(s, t0 + 12h, limits), session_verdict::absolute_expired);
    EXPECT_EQ(end_reason(session_verdict::absolute_expired), "absolute");
}

TEST(console_session, a_suspended_member_has_no_live_session) {
    console_session_facts s{t0, t0, t0, membership_status::suspended};
    EXPECT_EQ(judge_console_session(s, t0 + 1s, {}), session_verdict::member_suspended);
}

TEST(console_session, a_sign_in_is_fresh_for_five_minutes_and_never_from_the_future) {
    const console_session_limits limits;
    EXPECT_TRUE(is_fresh_login(t0, t0 + 4min, limits));
    EXPECT_FALSE(is_fresh_login(t0, t0 + 5min, limits));
    EXPECT_FALSE(is_fresh_login(t0 + 1h, t0, limits));
}

TEST(console_session, last_seen_is_written_once_a_minute) {
    const console_session_limits limits;
    EXPECT_FALSE(should_touch_session(t0, t0 + 59s, limits));
    EXPECT_TRUE(should_touch_session(t0, t0 + 60s, limits));
}

}  // namespace
}  // namespace chal::core
