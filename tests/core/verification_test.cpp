#include "app/core/verification.hpp"
#include "tests/core/sample_challenge.hpp"

#include <gtest/gtest.h>

using namespace chal;
using namespace chal::core;
using testing_data::at;
using testing_data::sample_challenge;

namespace {

constexpr long long t0 = 1'764'590'400;

id_token_expectations expectations() {
    id_token_expectations e;
    e.issuer = "https://idp.example.com";
    e.client_id = "challenge-app";
    e.nonce = "n-0S6_WzA2Mj";
    e.flow_started_at = at(t0);
    e.now = at(t0 + 30);
    return e;
}

boost::json::object good_claims() {
    return {
        {"iss", "https://idp.example.com"},
        {"aud", "challenge-app"},
        {"sub", "248289761001"},
        {"email", "Alice@Example.com"},
        {"nonce", "n-0S6_WzA2Mj"},
        {"iat", t0 + 25},
        {"exp", t0 + 325},
        {"auth_time", t0 + 20},
    };
}

errc refusal(const boost::json::object& claims, const id_token_expectations& e = expectations()) {
    auto r = check_id_token_claims(claims, e);
    EXPECT_FALSE(r.has_value());
    return r.has_value() ? errc{} : static_cast<errc>(r.error().value());
}

}  // namespace

TEST(id_token_claims, accepts_a_fresh_login_for_us_and_reports_who) {
    auto r = check_id_token_claims(good_claims(), expectations());
    ASSERT_TRUE(r.has_value()) << r.error().message();
    EXPECT_EQ(r->subject, "248289761001");
    EXPECT_EQ(r->identity, "Alice@Example.com");
    EXPECT_EQ(r->auth_time, at(t0 + 20));
    EXPECT_FALSE(r->acr.has_value());
}

TEST(id_token_claims, refuses_another_issuer_or_audience) {
    auto c = good_claims();
    c["iss"] = "https://evil.example.com";
    EXPECT_EQ(refusal(c), errc::login_issuer_mismatch);
    c = good_claims();
    c["aud"] = "someone-else";
    EXPECT_EQ(refusal(c), errc::login_audience_mismatch);
    c = good_claims();
    c["aud"] = boost::json::array{"challenge-app", "other"};
    EXPECT_EQ(refusal(c), errc::login_audience_mismatch) << "several audiences need azp";
    c["azp"] = "challenge-app";
    EXPECT_TRUE(check_id_token_claims(c, expectations()).has_value());
    c["azp"] = "other";
    EXPECT_EQ(refusal(c), errc::login_audience_mismatch);
}

TEST(id_token_claims, refuses_expired_future_and_malformed_times) {
    auto c = good_claims();
    c["exp"] = t0 - 61;  // past, beyond the skew
    auto e = expectations();
    EXPECT_EQ(refusal(c, e), errc::login_expired);
    c = good_claims();
    c["iat"] = t0 + 30 + 3600;
    EXPECT_EQ(refusal(c), errc::login_expired);
    c = good_claims();
    c["exp"] = "tomorrow";
    EXPECT_EQ(refusal(c), errc::login_malformed);
}

TEST(id_token_claims, refuses_a_missing_or_foreign_nonce) {
    auto c = good_claims();
    c["nonce"] = "another-flow";
    EXPECT_EQ(refusal(c), errc::login_nonce_mismatch);
    c.erase("nonce");
    EXPECT_EQ(refusal(c), errc::login_nonce_mismatch);
    auto e = expectations();
    e.nonce.clear();
    EXPECT_EQ(refusal(good_claims(), e), errc::login_nonce_mismatch) << "an empty expected nonce matches nothing";
}

TEST(id_token_claims, demands_a_login_made_after_the_flow_started) {
    auto c = good_claims();
    c["auth_time"] = t0 - 3600;  // an old session the IdP reused
    EXPECT_EQ(refusal(c), errc::login_not_fresh);
    c.erase("auth_time");
    EXPECT_EQ(refusal(c), errc::login_not_fresh);
    c = good_claims();
    c["auth_time"] = t0 + 30 + 3600;
    EXPECT_EQ(refusal(c), errc::login_not_fresh);
    // Within the skew of the flow start is still fresh.
    c["auth_time"] = t0 - 30;
    EXPECT_TRUE(check_id_token_claims(c, expectations()).has_value());
}

TEST(id_token_claims, enforces_a_required_acr_and_the_identity_claim) {
    auto e = expectations();
    e.required_acr = "urn:mfa";
    EXPECT_EQ(refusal(good_claims(), e), errc::login_acr_insufficient);
    auto c = good_claims();
    c["acr"] = "urn:mfa";
    EXPECT_TRUE(check_id_token_claims(c, e).has_value());
    c.erase("email");
    EXPECT_EQ(refusal(c, e), errc::login_identity_missing);
    e.identity_claim = "preferred_username";
    c["preferred_username"] = "alice";
    auto r = check_id_token_claims(c, e);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->identity, "alice");
}

TEST(identity, matches_the_target_email_case_insensitively_else_the_user_id) {
    auto c = sample_challenge();
    c.target_user_email = "alice@example.com";
    EXPECT_TRUE(identity_matches(c, "ALICE@example.COM"));
    EXPECT_FALSE(identity_matches(c, "bob@example.com"));
    EXPECT_FALSE(identity_matches(c, "alice@example.com.evil"));
    EXPECT_FALSE(identity_matches(c, ""));
    c.target_user_email.reset();
    EXPECT_TRUE(identity_matches(c, "User123"));
    c.target_user_id.reset();
    EXPECT_FALSE(identity_matches(c, "")) << "no target matches nobody";
}

TEST(link_state, says_what_the_link_may_show) {
    auto c = sample_challenge();
    EXPECT_EQ(link_state_for(std::nullopt, false, at(t0)), link_state::not_found);
    EXPECT_EQ(link_state_for(c, false, at(t0)), link_state::open);
    EXPECT_EQ(link_state_for(c, false, c.expires_at), link_state::expired);
    EXPECT_EQ(link_state_for(c, true, c.expires_at), link_state::awaiting_verification);
    c.status = challenge_status::failed;
    EXPECT_EQ(link_state_for(c, false, at(t0)), link_state::finished);
    c.status = challenge_status::expired;
    EXPECT_EQ(link_state_for(c, true, at(t0)), link_state::expired);
}

TEST(saml_freshness, needs_an_authn_instant_after_the_flow_started) {
    EXPECT_FALSE(check_saml_login_fresh(std::nullopt, at(t0), at(t0 + 10), std::chrono::seconds{60}).has_value());
    EXPECT_FALSE(check_saml_login_fresh(at(t0 - 600), at(t0), at(t0 + 10), std::chrono::seconds{60}).has_value());
    EXPECT_TRUE(check_saml_login_fresh(at(t0 + 5), at(t0), at(t0 + 10), std::chrono::seconds{60}).has_value());
}

TEST(receipt, names_the_challenge_parties_and_a_short_lifetime) {
    auto c = sample_challenge(challenge_status::verified);
    c.target_user_email = "alice@example.com";
    receipt_facts f;
    f.issuer = "https://challenge.example.com";
    f.auth_method = "oidc";
    f.acr = "urn:mfa";
    f.auth_time = at(t0 + 20);
    f.context_sha256 = std::string(64, 'a');
    f.issued_at = at(t0 + 40);
    auto claims = receipt_claims(c, f);
    EXPECT_EQ(claims.at("challenge_id").as_string(), c.id);
    EXPECT_EQ(claims.at("tenant_id").as_string(), c.tenant_id);
    EXPECT_EQ(claims.at("sub").as_string(), "alice@example.com");
    EXPECT_EQ(claims.at("requester_id").as_string(), "webhook");
    EXPECT_EQ(claims.at("auth_time").as_int64(), t0 + 20);
    EXPECT_EQ(claims.at("exp").as_int64() - claims.at("iat").as_int64(), 15 * 60);
    EXPECT_TRUE(claims.at("device_sha256").is_null());
}

TEST(verification_code, is_six_digits_with_leading_zeros) {
    EXPECT_EQ(verification_code_from(0), "000000");
    EXPECT_EQ(verification_code_from(42), "000042");
    EXPECT_EQ(verification_code_from(4294967295u), "967295");
    EXPECT_EQ(verification_code_from(1234567), "234567");
}
