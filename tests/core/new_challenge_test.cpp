#include "app/core/new_challenge.hpp"
#include "tests/core/sample_challenge.hpp"

#include <gtest/gtest.h>

using namespace chal::core;
using chal::testing_data::at;

namespace {

const auto now = at(1'764'590'400);

challenge_origin_facts facts(std::chrono::minutes tenant_expiry = default_expiry) {
    return {"id-1", "tenant-1", "integration-1", challenge_origin::webhook_api, tenant_expiry};
}

result<challenge> plan(const challenge_request& r, callback_url_policy policy = {}) {
    return plan_challenge(r, facts(), policy, now);
}

}  // namespace

TEST(plan_challenge, needs_a_target) {
    EXPECT_EQ(plan({}).error(), errc::target_required);
    EXPECT_EQ(plan({.target_user_id = "", .target_user_email = ""}).error(), errc::target_required);
}

TEST(plan_challenge, uses_the_tenant_default_expiry_when_none_is_given) {
    auto c = plan_challenge({.target_user_id = "user123"}, facts(std::chrono::minutes{45}), {}, now);
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->expires_at, now + std::chrono::minutes{45});
    EXPECT_EQ(c->status, challenge_status::initiated);
    EXPECT_EQ(c->requester_id, "webhook");
}

TEST(plan_challenge, honours_expiry_minutes_within_one_to_10080) {
    EXPECT_EQ(plan({.target_user_id = "u", .expiry_minutes = 1})->expires_at, now + std::chrono::minutes{1});
    EXPECT_EQ(plan({.target_user_id = "u", .expiry_minutes = 10080})->expires_at, now + std::chrono::minutes{10080});
    for (std::int64_t bad : {0LL, -5LL, 10081LL, 1'000'000'000'000LL}) {
        EXPECT_EQ(plan({.target_user_id = "u", .expiry_minutes = bad}).error(), errc::invalid_expiry) << bad;
    }
}

TEST(plan_challenge, accepts_only_absolute_https_callbacks_by_default) {
    EXPECT_TRUE(plan({.target_user_id = "u", .callback_url = "https://itsm.example.com/hook?x=1"}).has_value());
    EXPECT_EQ(plan({.target_user_id = "u", .callback_url = "http://itsm.example.com/hook"}).error(),
              errc::callback_scheme_not_allowed);
    for (const char* bad : {"/relative", "itsm.example.com/hook", "ftp://example.com/", "https://", "https://user:pw@example.com/",
                            "javascript:alert(1)", "https://exa mple.com/"}) {
        EXPECT_EQ(plan({.target_user_id = "u", .callback_url = bad}).error(), errc::invalid_callback_url) << bad;
    }
}

TEST(plan_challenge, allows_plain_http_callbacks_when_configured_for_development) {
    EXPECT_TRUE(plan({.target_user_id = "u", .callback_url = "http://itsm.example.com/hook"}, {.allow_plain_http = true})
                    .has_value());
    const callback_url_policy local{.allow_plain_http = true, .address_policy = {.allow_loopback = true}};
    EXPECT_TRUE(plan({.target_user_id = "u", .callback_url = "http://127.0.0.1:9000/hook"}, local).has_value());
}

TEST(plan_challenge, refuses_callbacks_to_addresses_the_delivery_would_refuse) {
    for (const char* internal : {"https://127.0.0.1/x", "https://2130706433/x", "https://0x7f000001/x", "https://0177.0.0.1/x",
                                 "https://127.1/x", "https://169.254.169.254/latest", "https://[::ffff:10.0.0.1]/x",
                                 "https://168.63.129.16/x", "https://[3fff::1]/x"}) {
        EXPECT_EQ(plan({.target_user_id = "u", .callback_url = internal}).error(), errc::callback_address_not_allowed)
            << internal;
    }
    // Host names are judged when they are resolved, at every send.
    EXPECT_TRUE(plan({.target_user_id = "u", .callback_url = "https://localhost/x"}).has_value());
    EXPECT_TRUE(plan({.target_user_id = "u", .callback_url = "https://8.8.8.8/x"}).has_value());
}

TEST(plan_challenge, accepts_the_guides_own_example_email) {
    EXPECT_TRUE(plan({.target_user_email = "alice@example.com"}).has_value());
    EXPECT_TRUE(plan({.target_user_email = "[email protected]"}).has_value());
}

TEST(plan_challenge, refuses_target_emails_with_control_characters_or_too_long) {
    EXPECT_EQ(plan({.target_user_email = "alice@example.com\r\nBcc: x"}).error(), errc::invalid_email);
    EXPECT_EQ(plan({.target_user_email = std::string(250, 'a') + "@x.io"}).error(), errc::invalid_email);
}

TEST(plan_challenge, refuses_oversized_fields) {
    EXPECT_EQ(plan({.target_user_id = std::string(257, 'u')}).error(), errc::field_too_long);
    EXPECT_EQ(plan({.target_user_id = "u", .context = std::string(2001, 'c')}).error(), errc::field_too_long);
    EXPECT_TRUE(plan({.target_user_id = "u", .context = std::string(2000, 'c')}).has_value());
}
