#include "app/core/console_sso.hpp"

#include <gtest/gtest.h>

using namespace chal::core;

TEST(console_sso_issuer, is_https_or_plain_http_on_loopback_only) {
    EXPECT_TRUE(check_sso_issuer("https://login.example.com"));
    EXPECT_TRUE(check_sso_issuer("https://login.example.com/realms/acme"));
    EXPECT_TRUE(check_sso_issuer("http://127.0.0.1:4000"));
    EXPECT_TRUE(check_sso_issuer("http://localhost:4000"));
    EXPECT_EQ(check_sso_issuer("http://login.example.com").error(), errc::invalid_sso_issuer);
    EXPECT_EQ(check_sso_issuer("https://login.example.com/?x=1").error(), errc::invalid_sso_issuer);
    EXPECT_EQ(check_sso_issuer("https://login.example.com/#f").error(), errc::invalid_sso_issuer);
    EXPECT_EQ(check_sso_issuer("https://user:pw@login.example.com").error(), errc::invalid_sso_issuer);
    EXPECT_EQ(check_sso_issuer("login.example.com").error(), errc::invalid_sso_issuer);
    EXPECT_EQ(check_sso_issuer("").error(), errc::invalid_sso_issuer);
}

TEST(console_sso_client, needs_a_printable_id_and_a_clean_secret) {
    EXPECT_TRUE(check_sso_client("console", "s3cr+t%:with/odd=chars"));
    EXPECT_EQ(check_sso_client("", "secret").error(), errc::invalid_sso_client_id);
    EXPECT_EQ(check_sso_client("a\nb", "secret").error(), errc::invalid_sso_client_id);
    EXPECT_EQ(check_sso_client(std::string(513, 'a'), "secret").error(), errc::invalid_sso_client_id);
    EXPECT_EQ(check_sso_client("console", "").error(), errc::invalid_sso_client_secret);
    EXPECT_EQ(check_sso_client("console", std::string("se\0cret", 7)).error(), errc::invalid_sso_client_secret);
}

TEST(console_return_path, stays_inside_the_console_on_this_origin) {
    EXPECT_EQ(safe_return_path("/console/users"), "/console/users");
    EXPECT_EQ(safe_return_path("/console?range=7d"), "/console?range=7d");
    EXPECT_EQ(safe_return_path("/console"), "/console");
    for (const auto* hostile : {"https://evil.example/console", "//evil.example/console", "/console//evil.example",
                                "/\\evil.example", "/console/../api/v1/challenges", "/consolex", "/api/v1/challenges",
                                "/console/users\r\nSet-Cookie: x=y", "/console/users#frag", "", "console/users"})
        EXPECT_EQ(safe_return_path(hostile), "/console") << hostile;
    EXPECT_EQ(safe_return_path("/console/" + std::string(600, 'a')), "/console");
}

TEST(console_sso_binding, signs_in_the_bound_member_whatever_email_the_idp_now_asserts) {
    sso_binding_facts f;
    f.bound_user_id = "u-bound";
    f.by_email = sso_binding_facts::member_by_email{"u-other", false};
    f.verified_email = true;
    auto b = decide_sso_binding(f);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->type, sso_binding::kind::existing);
    EXPECT_EQ(b->user_id, "u-bound");
}

TEST(console_sso_binding, links_a_member_by_verified_email_only_on_their_first_sso_sign_in) {
    sso_binding_facts f;
    f.by_email = sso_binding_facts::member_by_email{"u-alice", false};
    f.verified_email = true;
    auto b = decide_sso_binding(f);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->type, sso_binding::kind::link);
    EXPECT_EQ(b->user_id, "u-alice");
    f.by_email->bound_to_this_issuer = true;
    EXPECT_EQ(decide_sso_binding(f).error(), errc::sso_identity_conflict);
    f.by_email->bound_to_this_issuer = false;
    f.verified_email = false;
    EXPECT_EQ(decide_sso_binding(f).error(), errc::sso_not_a_member);
}

TEST(console_sso_binding, creates_a_viewer_only_when_just_in_time_is_on_and_the_email_is_verified) {
    sso_binding_facts f;
    f.verified_email = true;
    EXPECT_EQ(decide_sso_binding(f).error(), errc::sso_not_a_member);
    f.just_in_time = true;
    auto b = decide_sso_binding(f);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->type, sso_binding::kind::create_viewer);
    f.verified_email = false;
    EXPECT_EQ(decide_sso_binding(f).error(), errc::sso_not_a_member);
}

TEST(console_sso_member, must_be_active_and_for_a_step_up_the_same_person) {
    EXPECT_TRUE(judge_sso_member(membership_status::active, std::nullopt, "u1"));
    EXPECT_TRUE(judge_sso_member(membership_status::active, std::string("u1"), "u1"));
    EXPECT_EQ(judge_sso_member(membership_status::active, std::string("u1"), "u2").error(), errc::sso_other_person);
    EXPECT_EQ(judge_sso_member(membership_status::suspended, std::nullopt, "u1").error(), errc::sso_member_suspended);
}
