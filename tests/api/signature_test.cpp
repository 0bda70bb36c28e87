#include "api/webhooks/signature.hpp"

#include <gtest/gtest.h>

using namespace chal::api::webhooks;

// GitHub's published X-Hub-Signature-256 example: the contract's header is the same scheme.
TEST(legacy_signature, matches_githubs_published_vector) {
    EXPECT_EQ(legacy_signature("It's a Secret to Everybody", "Hello, World!"),
              "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
}

// The vectors hard-coded in the Standard Webhooks libraries (Python, Go, JavaScript; Rust).
TEST(standard_webhooks_signature, matches_the_reference_libraries) {
    EXPECT_EQ(standard_webhooks_signature(*standard_webhooks_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
                                          "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})"),
              "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    EXPECT_EQ(standard_webhooks_signature(*standard_webhooks_key("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"),
                                          "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1649367553,
                                          R"({"email":"test@example.com","username":"test_user"})"),
              "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=");
}

TEST(standard_webhooks_key, uses_a_plain_secrets_own_bytes) {
    EXPECT_EQ(standard_webhooks_key("your-webhook-secret"), "your-webhook-secret");
}

TEST(standard_webhooks_key, refuses_a_whsec_secret_that_is_not_base64) {
    for (const std::string_view bad : {"whsec_", "whsec_=", "whsec_abd=", "whsec_ab=c", "whsec_Zg===", "whsec_not base64!", ""}) {
        std::optional<std::string> key;
        EXPECT_NO_THROW(key = standard_webhooks_key(bad)) << bad;
        EXPECT_FALSE(key.has_value()) << bad;
        EXPECT_FALSE(is_usable_webhook_secret(bad)) << bad;
    }
    EXPECT_TRUE(is_usable_webhook_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
    EXPECT_TRUE(is_usable_webhook_secret("your-webhook-secret"));
}

TEST(callback_headers, are_not_made_with_an_unusable_secret) {
    EXPECT_FALSE(callback_headers("msg_1", "challenge.completed", 1, "{}", std::string("whsec_=")).has_value());
}

TEST(callback_headers, signs_both_ways_when_there_is_a_secret) {
    auto headers = *callback_headers("msg_1", "challenge.completed", 1700000000, "{}", std::string("s3cret"));
    auto find = [&](std::string_view name) -> std::string {
        for (auto& [k, v] : headers)
            if (k == name) return v;
        return "";
    };
    EXPECT_EQ(find("Content-Type"), "application/json");
    EXPECT_EQ(find("webhook-id"), "msg_1");
    EXPECT_EQ(find("webhook-timestamp"), "1700000000");
    EXPECT_EQ(find("X-Webhook-Signature"), legacy_signature("s3cret", "{}"));
    EXPECT_EQ(find("webhook-signature"), standard_webhooks_signature("s3cret", "msg_1", 1700000000, "{}"));
}

TEST(callback_headers, sends_no_signature_without_a_secret) {
    const auto headers = callback_headers("msg_1", "challenge.completed", 1, "{}", std::nullopt);
    ASSERT_TRUE(headers.has_value());
    for (const auto& [name, value] : *headers) {
        EXPECT_NE(name, "X-Webhook-Signature");
        EXPECT_NE(name, "webhook-signature");
    }
}
