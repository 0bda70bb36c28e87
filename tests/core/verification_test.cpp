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

TEST(id_token_claims, honours_nbf_and_refuses_a_token_minted_long_ago) {
    auto c = good_claims();
    c["nbf"] = t0 + 30 + 120;  // not valid for two more minutes, beyond the skew
    EXPECT_EQ(refusal(c), errc::login_expired);
    c["nbf"] = t0 + 30 + 30;  // within the skew
    EXPECT_TRUE(check_id_token_claims(c, expectations()).has_value());
    c["nbf"] = "soon";
    EXPECT_EQ(refusal(c), errc::login_malformed);
    c = good_claims();
    c["iat"] = t0 + 30 - 11 * 60 - 61;  // older than the login age and the skew
    c["exp"] = t0 + 3600;
    EXPECT_EQ(refusal(c), errc::login_expired);
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

TEST(id_token_claims, refuses_identifiers_with_control_characters) {
    for (const std::string& bad : {std::string("alice\0admin", 11), std::string("alice\nadmin"), std::string("\xff")}) {
        auto c = good_claims();
        c["sub"] = bad;
        EXPECT_EQ(refusal(c), errc::login_malformed);
        c = good_claims();
        c["acr"] = bad;
        EXPECT_EQ(refusal(c), errc::login_malformed);
        c = good_claims();
        c["email"] = bad;
        c["email_verified"] = true;
        EXPECT_EQ(static_cast<errc>(asserted_identity(c, {}).error().value()), errc::login_malformed);
        EXPECT_EQ(static_cast<errc>(saml_asserted_identity(bad, saml_name_id_format_email, {}, {}).error().value()),
                  errc::login_malformed);
    }
}

TEST(id_token_claims, enforces_a_required_acr) {
    auto e = expectations();
    e.required_acr = "urn:mfa";
    EXPECT_EQ(refusal(good_claims(), e), errc::login_acr_insufficient);
    auto c = good_claims();
    c["acr"] = "urn:mfa";
    EXPECT_TRUE(check_id_token_claims(c, e).has_value());
}

errc identity_refusal(const boost::json::object& claims, const identity_expectations& e = {}) {
    auto r = asserted_identity(claims, e);
    EXPECT_FALSE(r.has_value());
    return r.has_value() ? errc{} : static_cast<errc>(r.error().value());
}

TEST(asserted_identity, takes_a_verified_email) {
    auto c = good_claims();
    c["email_verified"] = true;
    auto r = asserted_identity(c, {});
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(*r, "Alice@Example.com");
    c["email_verified"] = "true";  // as some providers send it
    EXPECT_TRUE(asserted_identity(c, {}).has_value());
}

TEST(asserted_identity, refuses_an_email_the_provider_did_not_verify) {
    auto c = good_claims();
    c["email_verified"] = false;
    EXPECT_EQ(identity_refusal(c), errc::login_email_unverified);
    c["email_verified"] = "false";
    EXPECT_EQ(identity_refusal(c), errc::login_email_unverified);
    c["email_verified"] = 1;
    EXPECT_EQ(identity_refusal(c), errc::login_email_unverified) << "only true means verified";
    // Accepting an absent flag never accepts an explicit false.
    EXPECT_EQ(identity_refusal(c, {"email", email_verified_absent::accept}), errc::login_email_unverified);
}

TEST(asserted_identity, follows_the_tenant_when_email_verified_is_absent) {
    const auto c = good_claims();  // email, no email_verified
    EXPECT_EQ(identity_refusal(c), errc::login_email_unverified) << "the default refuses";
    auto r = asserted_identity(c, {"email", email_verified_absent::accept});
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(*r, "Alice@Example.com");
}

TEST(asserted_identity, reads_another_claim_without_an_email_flag) {
    auto c = good_claims();
    c["preferred_username"] = "alice@contoso.com";
    auto r = asserted_identity(c, {"preferred_username"});
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(*r, "alice@contoso.com");
    c.erase("preferred_username");
    EXPECT_EQ(identity_refusal(c, {"preferred_username"}), errc::login_identity_missing);
    c["preferred_username"] = "";
    EXPECT_EQ(identity_refusal(c, {"preferred_username"}), errc::login_identity_missing);
    c["preferred_username"] = 42;
    EXPECT_EQ(identity_refusal(c, {"preferred_username"}), errc::login_identity_missing);
}

TEST(asserted_identity, says_when_the_claim_must_come_from_userinfo) {
    boost::json::object sub_only{{"sub", "248289761001"}};
    EXPECT_TRUE(identity_claim_absent(sub_only, {}));
    EXPECT_FALSE(identity_claim_absent(good_claims(), {}));
    EXPECT_TRUE(identity_claim_absent(good_claims(), {"upn"}));
}

TEST(userinfo_subject, must_be_the_id_tokens) {
    EXPECT_TRUE(check_userinfo_subject({{"sub", "248289761001"}}, "248289761001").has_value());
    EXPECT_FALSE(check_userinfo_subject({{"sub", "someone-else"}}, "248289761001").has_value());
    EXPECT_FALSE(check_userinfo_subject({{"email", "alice@example.com"}}, "248289761001").has_value());
    EXPECT_FALSE(check_userinfo_subject({{"sub", 248289761001}}, "248289761001").has_value());
    EXPECT_FALSE(check_userinfo_subject({{"sub", ""}}, "").has_value());
}

TEST(authorization_response_issuer, is_required_when_the_provider_sends_it) {
    const std::string issuer = "https://idp.example.com";
    EXPECT_TRUE(check_authorization_response_issuer(issuer, issuer, true).has_value());
    EXPECT_TRUE(check_authorization_response_issuer(issuer, issuer, false).has_value());
    EXPECT_TRUE(check_authorization_response_issuer(std::nullopt, issuer, false).has_value());
    EXPECT_FALSE(check_authorization_response_issuer(std::nullopt, issuer, true).has_value());
    EXPECT_FALSE(check_authorization_response_issuer("https://evil.example.com", issuer, false).has_value());
    EXPECT_FALSE(check_authorization_response_issuer("", issuer, false).has_value());
}

TEST(saml_identity, uses_an_email_name_id_or_the_configured_attribute_only) {
    const std::map<std::string, std::vector<std::string>> attributes{
        {"mail", {"alice@example.com", "second@example.com"}}, {"empty", {}}};
    const std::string email_format{saml_name_id_format_email};
    auto r = saml_asserted_identity("alice@example.com", email_format, attributes, {});
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(*r, "alice@example.com");
    // An opaque handle that happens to contain '@' is not an email.
    EXPECT_FALSE(saml_asserted_identity(
        "alice@example.com", "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent", attributes, {}
    ).has_value());
    EXPECT_FALSE(saml_asserted_identity("alice@example.com", "", attributes, {}).has_value());
    r = saml_asserted_identity("opaque-1234", "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent", attributes, {"mail"});
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(*r, "alice@example.com");
    EXPECT_FALSE(saml_asserted_identity("alice@example.com", email_format, attributes, {"empty"}).has_value());
    EXPECT_FALSE(saml_asserted_identity("alice@example.com", email_format, attributes, {"missing"}).has_value())
        << "a configured attribute is required, never replaced by the NameID";
}

TEST(saml_authn_context, requires_exactly_the_configured_class) {
    const std::optional<std::string> mfa = "urn:example:mfa";
    EXPECT_TRUE(check_saml_authn_context(std::nullopt, std::nullopt).has_value());
    EXPECT_TRUE(check_saml_authn_context(mfa, mfa).has_value());
    EXPECT_FALSE(check_saml_authn_context(std::nullopt, mfa).has_value());
    EXPECT_FALSE(check_saml_authn_context(std::string("urn:oasis:names:tc:SAML:2.0:ac:classes:Password"), mfa).has_value());
}

TEST(redirect_url, only_absolute_https_urls_of_printable_characters_reach_a_location_header) {
    EXPECT_TRUE(is_safe_redirect_url("https://login.example.com/authorize?x=1", false));
    EXPECT_TRUE(is_safe_redirect_url("HTTPS://login.example.com:8443/sso", false));
    EXPECT_FALSE(is_safe_redirect_url("http://login.example.com/authorize", false));
    EXPECT_TRUE(is_safe_redirect_url("http://127.0.0.1:9000/authorize", true));
    EXPECT_FALSE(is_safe_redirect_url("https://login.example.com/\r\nSet-Cookie: x=1", false));
    EXPECT_FALSE(is_safe_redirect_url("https://login.example.com/a\nb", false));
    EXPECT_FALSE(is_safe_redirect_url(std::string("https://login.example.com/a\0b", 30), false));
    EXPECT_FALSE(is_safe_redirect_url("https://login.example.com/a b", false));
    EXPECT_FALSE(is_safe_redirect_url("https://login.example.com/\xc3\xa9", false));
    EXPECT_FALSE(is_safe_redirect_url("https://user:pass@login.example.com/", false));
    EXPECT_FALSE(is_safe_redirect_url("https:///path", false));
    EXPECT_FALSE(is_safe_redirect_url("https://:443/path", false));
    EXPECT_FALSE(is_safe_redirect_url("//login.example.com/", false));
    EXPECT_FALSE(is_safe_redirect_url("javascript:alert(1)", true));
    EXPECT_FALSE(is_safe_redirect_url("https://login.example.com/#frag", false));
    EXPECT_FALSE(is_safe_redirect_url("", false));
}

TEST(identity, matches_the_target_email_case_insensitively_else_the_user_id) {
    auto c = sample_challenge();
    c.target_user_email = "alice@example.com";
    EXPECT_TRUE(identity_matches(c, "ALICE@example.COM"));
    EXPECT_FALSE(identity_matches(c, "bob@example.com"));
    EXPECT_FALSE(identity_matches(c, "alice@example.com.evil"));
    EXPECT_FALSE(identity_matches(c, ""));
    // Exactly what the IdP asserted: no trimming, no Unicode look-alikes.
    EXPECT_FALSE(identity_matches(c, " alice@example.com"));
    EXPECT_FALSE(identity_matches(c, "alice@example.com\t"));
    EXPECT_FALSE(identity_matches(c, "\xe2\x80\x8b" "alice@example.com"));
    EXPECT_FALSE(identity_matches(c, "alice@ex\xc4\x81mple.com"));
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
    EXPECT_EQ(claims.at("aud").as_string(), "challenge-receipt:" + c.tenant_id);
}

TEST(receipt, of_a_click_through_says_none_and_has_no_auth_time) {
    auto c = sample_challenge(challenge_status::verified);
    receipt_facts f;
    f.issuer = "https://challenge.example.com";
    f.auth_method = "none";
    f.issued_at = at(t0 + 40);
    auto claims = receipt_claims(c, f);
    EXPECT_EQ(claims.at("auth_method").as_string(), "none");
    EXPECT_FALSE(claims.contains("auth_time")) << "nobody authenticated, so no time of authentication";
}

TEST(receipt, audiences_differ_per_tenant) {
    auto a = sample_challenge(challenge_status::verified);
    auto b = a;
    b.tenant_id = "01900000-0000-7000-8000-00000000000b";
    EXPECT_NE(receipt_claims(a, {}).at("aud"), receipt_claims(b, {}).at("aud"));
}

TEST(verification_code, is_six_digits_with_leading_zeros) {
    EXPECT_EQ(verification_code_from(0), "000000");
    EXPECT_EQ(verification_code_from(42), "000042");
    EXPECT_EQ(verification_code_from(4294967295u), "967295");
    EXPECT_EQ(verification_code_from(1234567), "234567");
}

TEST(id_token_claims, without_a_forced_login_accept_an_older_idp_session_and_read_a_missing_auth_time_as_now) {
    auto e = expectations();
    e.require_fresh_login = false;
    auto c = good_claims();
    c["auth_time"] = t0 - 3600;  // the person signed in at the IdP an hour before this flow
    auto older = check_id_token_claims(c, e);
    ASSERT_TRUE(older.has_value());
    EXPECT_EQ(older->auth_time, at(t0 - 3600));
    c.erase("auth_time");
    auto absent = check_id_token_claims(c, e);
    ASSERT_TRUE(absent.has_value());
    EXPECT_EQ(absent->auth_time, e.now);
    c["auth_time"] = t0 + 3600;  // in the future
    EXPECT_EQ(refusal(c, e), errc::login_not_fresh);
    c["auth_time"] = "yesterday";
    EXPECT_EQ(refusal(c, e), errc::login_not_fresh);
    // The default still insists on a login made during the flow.
    c["auth_time"] = t0 - 3600;
    EXPECT_EQ(refusal(c), errc::login_not_fresh);
}
