#include "app/core/idempotency.hpp"
#include "tests/core/sample_challenge.hpp"

#include <gtest/gtest.h>

using namespace chal::core;
using chal::testing_data::at;

namespace {
idempotency_record record(bool completed, timestamp created) {
    return {.request_fingerprint = "hash-a", .completed = completed, .created_at = created,
            .claimed_until = created + idempotency_claim_lease, .response_status = 201, .response_body = "{}"};
}
}  // namespace

TEST(idempotency, a_new_key_proceeds) {
    EXPECT_EQ(judge_idempotent_retry(std::nullopt, "hash-a", at(100)), idempotency_verdict::proceed);
}

TEST(idempotency, the_same_request_replays_the_first_answer_for_a_day) {
    EXPECT_EQ(judge_idempotent_retry(record(true, at(100)), "hash-a", at(100 + 86399)), idempotency_verdict::replay);
    EXPECT_EQ(judge_idempotent_retry(record(true, at(100)), "hash-a", at(100 + 86400)), idempotency_verdict::proceed);
}

TEST(idempotency, another_request_under_the_same_key_is_a_mismatch) {
    EXPECT_EQ(judge_idempotent_retry(record(true, at(100)), "hash-b", at(101)), idempotency_verdict::mismatch);
}

TEST(idempotency, a_running_twin_is_in_progress_until_its_claim_lapses) {
    EXPECT_EQ(judge_idempotent_retry(record(false, at(100)), "hash-a", at(101)), idempotency_verdict::in_progress);
    EXPECT_EQ(judge_idempotent_retry(record(false, at(100)), "hash-a", at(100 + 60)), idempotency_verdict::proceed);
}

TEST(idempotency, keys_are_printable_ascii_up_to_255_characters) {
    EXPECT_TRUE(is_valid_idempotency_key("7f9c0a3e-order-42"));
    EXPECT_FALSE(is_valid_idempotency_key(""));
    EXPECT_FALSE(is_valid_idempotency_key(std::string(256, 'k')));
    EXPECT_FALSE(is_valid_idempotency_key("has space"));
}
