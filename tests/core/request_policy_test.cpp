#include "app/core/request_policy.hpp"

#include <gtest/gtest.h>

namespace chal::core {
namespace {

request_subject person_to_person() {
    return {.requester_id = "U1REQ", .target_id = "U2TGT"};
}

TEST(RequestPolicy, AllowsAPersonUnderBothLimits) {
    EXPECT_TRUE(check_request_policy(person_to_person(), {.by_requester = 29, .to_target = 9}, {}));
}

TEST(RequestPolicy, RefusesChallengingYourself) {
    auto subject = person_to_person();
    subject.target_id = subject.requester_id;
    EXPECT_EQ(check_request_policy(subject, {}, {}).error(), errc::cannot_challenge_self);
}

TEST(RequestPolicy, RefusesBotsAndDeactivatedAccounts) {
    auto bot = person_to_person();
    bot.target_is_bot = true;
    EXPECT_EQ(check_request_policy(bot, {}, {}).error(), errc::cannot_challenge_bot);
    auto gone = person_to_person();
    gone.target_deactivated = true;
    EXPECT_EQ(check_request_policy(gone, {}, {}).error(), errc::target_deactivated);
}

TEST(RequestPolicy, TheTargetsLimitOutranksTheRequesters) {
    request_limits limits{.per_requester = 2, .per_target = 2};
    EXPECT_EQ(check_request_policy(person_to_person(), {.by_requester = 2, .to_target = 2}, limits).error(),
              errc::target_rate_limited);
    EXPECT_EQ(check_request_policy(person_to_person(), {.by_requester = 2, .to_target = 1}, limits).error(),
              errc::requester_rate_limited);
}

TEST(RequestPolicy, TheAppAsRequesterCountsAgainstTheTargetOnly) {
    request_subject from_app{.requester_id = "", .target_id = "U2TGT"};
    request_limits limits{.per_requester = 1, .per_target = 5};
    EXPECT_TRUE(check_request_policy(from_app, {.by_requester = 100, .to_target = 4}, limits));
    EXPECT_EQ(check_request_policy(from_app, {.by_requester = 0, .to_target = 5}, limits).error(),
              errc::target_rate_limited);
}

TEST(RequestPolicy, ZeroDisablesALimit) {
    request_limits off{.per_requester = 0, .per_target = 0};
    EXPECT_TRUE(check_request_policy(person_to_person(), {.by_requester = 1000, .to_target = 1000}, off));
}

}  // namespace
}  // namespace chal::core
