#include "app/core/challenge.hpp"
#include "tests/core/sample_challenge.hpp"

#include <gtest/gtest.h>

using namespace chal::core;
using chal::testing_data::sample_challenge;

namespace {
const auto during = sample_challenge().created_at + std::chrono::minutes{1};
const auto after_expiry = sample_challenge().expires_at + std::chrono::seconds{1};
}  // namespace

TEST(challenge_lifecycle, opening_the_link_moves_initiated_to_in_progress) {
    auto next = apply(sample_challenge(), challenge_event::start, during);
    ASSERT_TRUE(next.has_value());
    EXPECT_EQ(next->status, challenge_status::in_progress);
    EXPECT_EQ(next->started_at, during);
    EXPECT_FALSE(next->completed_at.has_value());
}

TEST(challenge_lifecycle, opening_the_link_twice_is_not_a_transition) {
    auto started = apply(sample_challenge(), challenge_event::start, during).value();
    EXPECT_EQ(apply(started, challenge_event::start, during).error(), errc::invalid_transition);
}

TEST(challenge_lifecycle, verification_ends_a_live_challenge_as_verified) {
    for (auto from : {challenge_status::initiated, challenge_status::in_progress}) {
        auto next = apply(sample_challenge(from), challenge_event::verify, during);
        ASSERT_TRUE(next.has_value());
        EXPECT_EQ(next->status, challenge_status::verified);
        EXPECT_EQ(next->completed_at, during);
        EXPECT_FALSE(next->failure.has_value());
    }
}

TEST(challenge_lifecycle, failures_carry_their_reason) {
    const std::pair<challenge_event, failure_reason> cases[] = {
        {challenge_event::fail_identity_mismatch, failure_reason::identity_mismatch},
        {challenge_event::fail_authentication, failure_reason::authentication_failed},
        {challenge_event::report_incident, failure_reason::incident_reported},
        {challenge_event::cancel, failure_reason::canceled},
    };
    for (auto [event, reason] : cases) {
        auto next = apply(sample_challenge(challenge_status::in_progress), event, during);
        ASSERT_TRUE(next.has_value()) << to_string(event);
        EXPECT_EQ(next->status, challenge_status::failed);
        EXPECT_EQ(next->failure, reason);
    }
}

TEST(challenge_lifecycle, never_leaves_a_terminal_state) {
    for (auto terminal : {challenge_status::verified, challenge_status::failed, challenge_status::expired}) {
        for (auto event : {challenge_event::start, challenge_event::verify, challenge_event::report_incident,
                           challenge_event::cancel, challenge_event::expire}) {
            EXPECT_EQ(apply(sample_challenge(terminal), event, after_expiry).error(), errc::challenge_already_finished);
        }
    }
}

TEST(challenge_lifecycle, nothing_but_expiry_happens_after_expires_at) {
    EXPECT_EQ(apply(sample_challenge(), challenge_event::verify, after_expiry).error(), errc::challenge_expired);
    EXPECT_EQ(apply(sample_challenge(), challenge_event::start, sample_challenge().expires_at).error(),
              errc::challenge_expired);
    auto expired = apply(sample_challenge(challenge_status::in_progress), challenge_event::expire, after_expiry);
    ASSERT_TRUE(expired.has_value());
    EXPECT_EQ(expired->status, challenge_status::expired);
    EXPECT_EQ(expired->completed_at, sample_challenge().expires_at);
}

TEST(challenge_lifecycle, expiry_before_the_deadline_is_refused) {
    EXPECT_EQ(apply(sample_challenge(), challenge_event::expire, during).error(), errc::invalid_transition);
}

TEST(challenge_lifecycle, readers_see_a_lapsed_live_challenge_as_expired) {
    EXPECT_EQ(observed_status(sample_challenge(), during), challenge_status::initiated);
    EXPECT_EQ(observed_status(sample_challenge(), after_expiry), challenge_status::expired);
    EXPECT_EQ(observed_status(sample_challenge(challenge_status::verified), after_expiry), challenge_status::verified);
}

TEST(challenge_lifecycle, status_names_are_the_contracts) {
    EXPECT_EQ(to_string(challenge_status::in_progress), "in-progress");
    EXPECT_EQ(parse_challenge_status("in-progress"), challenge_status::in_progress);
    EXPECT_FALSE(parse_challenge_status("in_progress").has_value());
    EXPECT_EQ(parse_failure_reason("incident_reported"), failure_reason::incident_reported);
    EXPECT_EQ(parse_challenge_origin("slack_command"), challenge_origin::slack_command);
}

TEST(challenge_lifecycle, only_slash_command_challenges_skip_callbacks) {
    EXPECT_TRUE(sends_callbacks(challenge_origin::webhook_api));
    EXPECT_TRUE(sends_callbacks(challenge_origin::slack_api));
    EXPECT_FALSE(sends_callbacks(challenge_origin::slack_command));
}

TEST(challenge_lifecycle, a_proven_login_is_never_turned_into_a_failure) {
    auto proven = sample_challenge(challenge_status::in_progress);
    proven.authenticated_at = during;
    for (auto event : {challenge_event::fail_identity_mismatch, challenge_event::fail_authentication,
                       challenge_event::report_incident, challenge_event::cancel}) {
        EXPECT_EQ(apply(proven, event, during).error(), errc::login_already_proven) << to_string(event);
    }
    EXPECT_EQ(apply(proven, challenge_event::expire, after_expiry).error(), errc::login_already_proven);
    auto unproven = sample_challenge(challenge_status::in_progress);
    EXPECT_TRUE(apply(unproven, challenge_event::report_incident, during).has_value());
}
