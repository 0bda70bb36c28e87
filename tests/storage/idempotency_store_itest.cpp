// storage::idempotency_store against a real PostgreSQL: claiming a key once, reading it back,
// compare-and-set takeover of a stale claim, abandoning a failed request's claim, retention.
#include "tests/storage/storage_fixture.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

namespace chal::storage {
namespace {

using namespace std::chrono_literals;

class idempotency_store_itest : public storage_test {
protected:
    idempotency_store_itest() : tenant(make_tenant()), scope{tenant.tenant.id, tenant.key_hash} {}

    bool claim(const std::string& key, const std::string& fingerprint, core::timestamp now) {
        return run(idempotency.claim_new(scope, key, fingerprint, now));
    }

    std::optional<core::idempotency_record> find(const std::string& key) {
        return run(idempotency.find(scope, key));
    }

    // Completes a claimed key the way the API does: by inserting the challenge it created.
    void complete(const std::string& key, const std::string& fingerprint) {
        const auto c = sample_challenge(tenant);
        const idempotent_completion completion{tenant.key_hash, key, fingerprint, 201, R"({"id":")" + c.id + R"("})"};
        run(challenges.insert(c, "api_key:" + tenant.integration.id, completion));
    }

    seeded_tenant tenant;
    idempotency_scope scope;
};

TEST_F(idempotency_store_itest, a_key_is_claimed_only_once) {
    EXPECT_TRUE(claim("key-1", "fingerprint-a", t0));
    EXPECT_FALSE(claim("key-1", "fingerprint-b", t0 + 1s));
    EXPECT_EQ(find("key-1")->request_fingerprint, "fingerprint-a");
}

TEST_F(idempotency_store_itest, the_same_key_in_another_tenant_is_a_separate_claim) {
    const auto other = make_tenant();
    ASSERT_TRUE(claim("key-1", "fingerprint-a", t0));

    EXPECT_TRUE(run(idempotency.claim_new({other.tenant.id, other.key_hash}, "key-1", "fingerprint-b", t0)));
}

TEST_F(idempotency_store_itest, the_same_key_of_another_api_key_of_the_tenant_is_a_separate_claim) {
    // A second integration of the same tenant, with its own API key.
    auto second = tenant.integration;
    second.id = next_id();
    const auto second_hash = crypto::sha256("chal_test_key_second");
    run(tenants.create_integration(second, new_api_key{second_hash, "chal_test_ke"}));
    ASSERT_TRUE(claim("key-1", "fingerprint-a", t0));
    complete("key-1", "fingerprint-a");

    const idempotency_scope other{tenant.tenant.id, second_hash};
    EXPECT_FALSE(run(idempotency.find(other, "key-1")));
    EXPECT_TRUE(run(idempotency.claim_new(other, "key-1", "fingerprint-a", t0)));
    EXPECT_TRUE(find("key-1")->completed);
}

TEST_F(idempotency_store_itest, find_returns_the_claimed_record) {
    ASSERT_TRUE(claim("key-1", "fingerprint-a", t0));

    const auto record = find("key-1");

    ASSERT_TRUE(record);
    EXPECT_EQ(record->request_fingerprint, "fingerprint-a");
    EXPECT_FALSE(record->completed);
    EXPECT_EQ(record->created_at, t0);
    EXPECT_EQ(record->claimed_until, t0 + core::idempotency_claim_lease);
    EXPECT_FALSE(record->response_status);
    EXPECT_FALSE(record->response_body);
}

TEST_F(idempotency_store_itest, find_of_an_unknown_key_returns_nothing) {
    EXPECT_FALSE(find("never-claimed"));
}

TEST_F(idempotency_store_itest, of_two_take_overs_of_the_same_stale_claim_exactly_one_wins) {
    ASSERT_TRUE(claim("key-1", "fingerprint-dead", t0));
    const auto seen = find("key-1");
    ASSERT_TRUE(seen);
    const auto now = t0 + 5min;
    const std::string key = "key-1";
    const std::vector<std::string> fingerprints{"fingerprint-a", "fingerprint-b"};
    std::vector<boost::asio::awaitable<bool>> retries;
    for (const auto& fingerprint : fingerprints) retries.push_back(idempotency.take_over(scope, key, *seen, fingerprint, now));

    const auto won = run_concurrently(std::move(retries));

    ASSERT_EQ(won.size(), 2u);
    EXPECT_EQ(std::count(won.begin(), won.end(), true), 1);
    const auto record = find("key-1");
    ASSERT_TRUE(record);
    EXPECT_EQ(record->request_fingerprint, won[0] ? fingerprints[0] : fingerprints[1]);
    EXPECT_EQ(record->created_at, now);
    EXPECT_EQ(record->claimed_until, now + core::idempotency_claim_lease);
}

TEST_F(idempotency_store_itest, a_take_over_with_an_outdated_record_fails) {
    ASSERT_TRUE(claim("key-1", "fingerprint-dead", t0));
    const auto seen = find("key-1");
    ASSERT_TRUE(run(idempotency.take_over(scope, "key-1", *seen, "fingerprint-a", t0 + 5min)));

    EXPECT_FALSE(run(idempotency.take_over(scope, "key-1", *seen, "fingerprint-b", t0 + 6min)));

    EXPECT_EQ(find("key-1")->request_fingerprint, "fingerprint-a");
}

TEST_F(idempotency_store_itest, taking_over_a_completed_record_clears_its_response) {
    ASSERT_TRUE(claim("key-1", "fingerprint-a", t0));
    complete("key-1", "fingerprint-a");
    const auto seen = find("key-1");
    ASSERT_TRUE(seen && seen->completed);

    ASSERT_TRUE(run(idempotency.take_over(scope, "key-1", *seen, "fingerprint-b", t0 + 25h)));

    const auto record = find("key-1");
    ASSERT_TRUE(record);
    EXPECT_FALSE(record->completed);
    EXPECT_FALSE(record->response_status);
    EXPECT_FALSE(record->response_body);
    EXPECT_EQ(record->request_fingerprint, "fingerprint-b");
}

TEST_F(idempotency_store_itest, abandon_removes_an_unfinished_claim) {
    ASSERT_TRUE(claim("key-1", "fingerprint-a", t0));

    run(idempotency.abandon(scope, "key-1", "fingerprint-a"));

    EXPECT_FALSE(find("key-1"));
    EXPECT_TRUE(claim("key-1", "fingerprint-a", t0 + 1s));
}

TEST_F(idempotency_store_itest, abandon_keeps_a_completed_record) {
    ASSERT_TRUE(claim("key-1", "fingerprint-a", t0));
    complete("key-1", "fingerprint-a");

    run(idempotency.abandon(scope, "key-1", "fingerprint-a"));

    const auto record = find("key-1");
    ASSERT_TRUE(record);
    EXPECT_TRUE(record->completed);
    EXPECT_EQ(record->response_status, 201u);
}

TEST_F(idempotency_store_itest, abandon_keeps_a_claim_made_for_another_request) {
    ASSERT_TRUE(claim("key-1", "fingerprint-a", t0));

    run(idempotency.abandon(scope, "key-1", "fingerprint-b"));

    EXPECT_TRUE(find("key-1"));
}

TEST_F(idempotency_store_itest, purge_expired_removes_only_records_older_than_24_hours) {
    ASSERT_TRUE(claim("older-than-a-day", "fingerprint", t0 - 24h - 1s));
    ASSERT_TRUE(claim("exactly-a-day", "fingerprint", t0 - 24h));
    ASSERT_TRUE(claim("recent", "fingerprint", t0 - 1h));

    EXPECT_EQ(run(idempotency.purge_expired(t0)), 1);

    EXPECT_FALSE(find("older-than-a-day"));
    EXPECT_TRUE(find("exactly-a-day"));
    EXPECT_TRUE(find("recent"));
}

}  // namespace
}  // namespace chal::storage
