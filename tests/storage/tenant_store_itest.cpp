// storage::tenant_store against a real PostgreSQL: tenants, integrations with sealed secrets,
// and API keys looked up by hash, replaced and revoked.
#include "tests/storage/storage_fixture.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace chal::storage {
namespace {

class tenant_store_itest : public storage_test {
protected:
    tenant_record tenant_named(std::string name, int expiry_minutes = 15) {
        return tenant_record{next_id(), std::move(name), expiry_minutes};
    }
};

TEST_F(tenant_store_itest, a_created_tenant_is_found_by_id) {
    const auto acme = tenant_named("Acme", 30);
    run(tenants.create_tenant(acme));

    const auto found = run(tenants.find_tenant(acme.id));

    ASSERT_TRUE(found);
    EXPECT_EQ(found->id, acme.id);
    EXPECT_EQ(found->name, "Acme");
    EXPECT_EQ(found->default_expiry_minutes, 30);
}

TEST_F(tenant_store_itest, an_unknown_tenant_is_not_found) {
    EXPECT_FALSE(run(tenants.find_tenant(next_id())));
}

TEST_F(tenant_store_itest, tenants_are_listed_in_creation_order) {
    const auto first = tenant_named("First");
    const auto second = tenant_named("Second");
    const auto third = tenant_named("Third");
    run(tenants.create_tenant(first));
    run(tenants.create_tenant(second));
    run(tenants.create_tenant(third));

    const auto listed = run(tenants.list_tenants());

    ASSERT_EQ(listed.size(), 3u);
    EXPECT_EQ(listed[0].id, first.id);
    EXPECT_EQ(listed[1].id, second.id);
    EXPECT_EQ(listed[2].id, third.id);
    EXPECT_EQ(listed[1].name, "Second");
}

TEST_F(tenant_store_itest, set_default_expiry_changes_the_tenants_default) {
    const auto acme = tenant_named("Acme", 15);
    run(tenants.create_tenant(acme));

    EXPECT_TRUE(run(tenants.set_default_expiry(acme.id, 60)));
    EXPECT_EQ(run(tenants.find_tenant(acme.id))->default_expiry_minutes, 60);
}

TEST_F(tenant_store_itest, set_default_expiry_returns_false_for_an_unknown_tenant) {
    EXPECT_FALSE(run(tenants.set_default_expiry(next_id(), 60)));
}

TEST_F(tenant_store_itest, an_integrations_sealed_secret_is_stored_as_the_sealed_bytes) {
    const auto t = make_tenant();

    const auto found = run(tenants.find_integration(t.integration.id));

    ASSERT_TRUE(found);
    ASSERT_TRUE(found->webhook_secret_sealed);
    EXPECT_EQ(*found->webhook_secret_sealed, *t.integration.webhook_secret_sealed);
    EXPECT_EQ(found->webhook_secret_sealed->find(t.webhook_secret), std::string::npos);
    const crypto::secret_box box{test_master_key};
    EXPECT_EQ(
        box.open(*found->webhook_secret_sealed, "integration:" + t.integration.id + ":webhook_secret"),
        t.webhook_secret
    );
}

TEST_F(tenant_store_itest, an_integration_round_trips_every_field) {
    const auto t = make_tenant(std::string{"https://hooks.example/challenge"});

    const auto found = run(tenants.find_integration(t.integration.id));

    ASSERT_TRUE(found);
    EXPECT_EQ(found->id, t.integration.id);
    EXPECT_EQ(found->tenant_id, t.tenant.id);
    EXPECT_EQ(found->kind, "webhook");
    EXPECT_EQ(found->display_name, t.integration.display_name);
    EXPECT_EQ(found->callback_url, "https://hooks.example/challenge");
}

TEST_F(tenant_store_itest, an_integration_without_callback_url_or_secret_reads_back_as_absent) {
    const auto acme = tenant_named("Acme");
    run(tenants.create_tenant(acme));
    integration_record bare{next_id(), acme.id, "slack", "Slack", std::nullopt, std::nullopt};
    const new_api_key key{crypto::sha256("bare-key"), "bare-key"};
    run(tenants.create_integration(bare, key));

    const auto found = run(tenants.find_integration(bare.id));

    ASSERT_TRUE(found);
    EXPECT_EQ(found->kind, "slack");
    EXPECT_FALSE(found->callback_url);
    EXPECT_FALSE(found->webhook_secret_sealed);
}

TEST_F(tenant_store_itest, an_unknown_integration_is_not_found) {
    EXPECT_FALSE(run(tenants.find_integration(next_id())));
}

TEST_F(tenant_store_itest, a_key_hash_authenticates_as_its_integration_and_tenant) {
    const auto t = make_tenant(std::string{"https://receiver.example/hooks"}, 45);

    const auto principal = run(tenants.authenticate(t.key_hash));

    ASSERT_TRUE(principal);
    EXPECT_EQ(principal->tenant_id, t.tenant.id);
    EXPECT_EQ(principal->integration_id, t.integration.id);
    EXPECT_EQ(principal->integration_kind, "webhook");
    EXPECT_EQ(principal->tenant_expiry_minutes, 45);
}

TEST_F(tenant_store_itest, an_unknown_key_hash_does_not_authenticate) {
    make_tenant();

    EXPECT_FALSE(run(tenants.authenticate(crypto::sha256("not-a-key"))));
}

TEST_F(tenant_store_itest, replacing_a_key_revokes_the_old_one_and_authenticates_the_new_one) {
    const auto t = make_tenant();
    const new_api_key replacement{crypto::sha256("chal_test_replacement"), "chal_test_re"};

    EXPECT_TRUE(run(tenants.replace_api_key(t.integration.id, replacement, t0)));

    EXPECT_FALSE(run(tenants.authenticate(t.key_hash)));
    const auto principal = run(tenants.authenticate(replacement.key_hash));
    ASSERT_TRUE(principal);
    EXPECT_EQ(principal->integration_id, t.integration.id);
}

TEST_F(tenant_store_itest, replacing_the_key_of_an_unknown_integration_returns_false_and_stores_nothing) {
    const auto t = make_tenant();
    const new_api_key orphan{crypto::sha256("chal_test_orphan"), "chal_test_or"};

    EXPECT_FALSE(run(tenants.replace_api_key(next_id(), orphan, t0)));

    EXPECT_FALSE(run(tenants.authenticate(orphan.key_hash)));
    EXPECT_TRUE(run(tenants.authenticate(t.key_hash)));
}

}  // namespace
}  // namespace chal::storage
