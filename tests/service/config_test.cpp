#include "app/service/config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

using chal::service::read_config_from_environment;
using chal::service::redact_conninfo;

TEST(redact_conninfo, hides_passwords_in_both_forms) {
    EXPECT_EQ(redact_conninfo("postgresql://app:s3cr3t@db.example:5432/challenge"), "postgresql://app:***@db.example:5432/challenge");
    EXPECT_EQ(redact_conninfo("host=db user=app password=s3cr3t dbname=x"), "host=db user=app password=*** dbname=x");
    EXPECT_EQ(redact_conninfo("postgresql://db/x?password=s3cr3t&sslmode=require"), "postgresql://db/x?password=***&sslmode=require");
    EXPECT_EQ(redact_conninfo("postgresql://app@db/x"), "postgresql://app@db/x");
}

class environment_test : public ::testing::Test {
protected:
    void TearDown() override {
        for (const char* name : {"CHALLENGE_PORT", "CHALLENGE_MASTER_KEY", "CHALLENGE_RATE_LIMIT_PER_SECOND",
                                 "CHALLENGE_ALLOW_HTTP_CALLBACKS", "CHALLENGE_PUBLIC_BASE_URL", "CHALLENGE_TRUSTED_PROXIES",
                                 "CHALLENGE_ALLOW_LOOPBACK_CALLBACKS"})
            unsetenv(name);
    }
};

TEST_F(environment_test, has_safe_defaults) {
    auto c = read_config_from_environment();
    EXPECT_EQ(c.server.address, "127.0.0.1");
    EXPECT_EQ(c.server.port, 8080);
    EXPECT_EQ(c.api.public_base_url, "http://127.0.0.1:8080");
    EXPECT_FALSE(c.api.callback_policy.allow_plain_http);
    EXPECT_FALSE(c.outbound.address_policy.allow_loopback);
    EXPECT_FALSE(c.outbound.address_policy.allow_private);
    EXPECT_EQ(c.deliveries.fast.attempt_timeout, std::chrono::milliseconds{10000});
    EXPECT_EQ(c.server.strict_transport_security, "") << "no HSTS for a plain http development server";
}

TEST_F(environment_test, names_the_variable_that_is_malformed) {
    setenv("CHALLENGE_PORT", "eighty", 1);
    try {
        read_config_from_environment();
        FAIL() << "accepted a bad port";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("CHALLENGE_PORT"), std::string::npos);
    }
    unsetenv("CHALLENGE_PORT");
    setenv("CHALLENGE_MASTER_KEY", "c2hvcnQ=", 1);
    EXPECT_THROW(read_config_from_environment(), std::invalid_argument);
}

TEST_F(environment_test, reads_the_master_key_and_switches) {
    setenv("CHALLENGE_MASTER_KEY", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", 1);
    setenv("CHALLENGE_ALLOW_HTTP_CALLBACKS", "true", 1);
    setenv("CHALLENGE_PUBLIC_BASE_URL", "https://challenge.example.com", 1);
    auto c = read_config_from_environment();
    ASSERT_TRUE(c.master_key.has_value());
    EXPECT_EQ(c.master_key->size(), 32u);
    EXPECT_TRUE(c.api.callback_policy.allow_plain_http);
    EXPECT_TRUE(c.outbound.allow_plain_http);
    EXPECT_EQ(c.api.public_base_url, "https://challenge.example.com");
    EXPECT_EQ(c.server.strict_transport_security, "max-age=63072000") << "an https service asks for HSTS";
}

TEST_F(environment_test, the_slow_lane_never_waits_longer_than_a_normal_attempt) {
    setenv("CHALLENGE_WEBHOOK_TIMEOUT_MS", "2000", 1);
    setenv("CHALLENGE_WEBHOOK_LEASE_SECONDS", "4", 1);
    const auto c = read_config_from_environment();
    EXPECT_EQ(c.deliveries.slow.attempt_timeout, std::chrono::milliseconds{2000});
    EXPECT_LT(c.deliveries.slow.attempt_timeout + std::chrono::seconds{1}, c.deliveries.lease);
    unsetenv("CHALLENGE_WEBHOOK_TIMEOUT_MS");
    unsetenv("CHALLENGE_WEBHOOK_LEASE_SECONDS");
    EXPECT_EQ(read_config_from_environment().deliveries.slow.attempt_timeout, std::chrono::milliseconds{5000});
}

TEST_F(environment_test, takes_trusted_proxies_as_addresses_or_cidr_blocks) {
    setenv("CHALLENGE_TRUSTED_PROXIES", "10.0.0.5, 10.1.0.0/16,2001:db8::/32", 1);
    auto c = read_config_from_environment();
    EXPECT_EQ(c.verification.trusted_proxies, (std::vector<std::string>{"10.0.0.5", "10.1.0.0/16", "2001:db8::/32"}));
    setenv("CHALLENGE_TRUSTED_PROXIES", "10.0.0.5,proxy.internal", 1);
    try {
        read_config_from_environment();
        FAIL() << "accepted a host name as a trusted proxy";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("CHALLENGE_TRUSTED_PROXIES"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("proxy.internal"), std::string::npos);
    }
}

TEST_F(environment_test, vets_callback_urls_at_creation_with_the_delivery_address_policy) {
    setenv("CHALLENGE_ALLOW_LOOPBACK_CALLBACKS", "true", 1);
    auto c = read_config_from_environment();
    EXPECT_TRUE(c.api.callback_policy.address_policy.allow_loopback);
    EXPECT_TRUE(c.slack_requests.callback_policy.address_policy.allow_loopback);
    EXPECT_FALSE(c.api.callback_policy.address_policy.allow_private);
}
