// storage::verification_store against a real PostgreSQL: tenant verification settings, browser
// flows used once from their own browser, and SAML assertion replay memory.
#include "storage/verification_store.hpp"
#include "tests/storage/storage_fixture.hpp"

#include <gtest/gtest.h>

namespace chal::storage {
namespace {

using namespace std::chrono_literals;

class verification_store_itest : public storage_test {
protected:
    verification_store verification{pool};

    verification_flow flow_for(const core::challenge& c, std::string browser_hash) {
        verification_flow f;
        f.id = next_id();
        f.challenge_id = c.id;
        f.tenant_id = c.tenant_id;
        f.browser_hash = std::move(browser_hash);
        f.method = "oidc";
        f.target_response = "Travelling this week";
        f.created_at = t0;
        f.expires_at = t0 + 10min;
        return f;
    }

    verification_flow saml_flow_for(const core::challenge& c, std::string request_id) {
        auto f = flow_for(c, std::string(32, 'a'));
        f.method = "saml";
        f.saml_request_id = std::move(request_id);
        f.acs_binding_hash = std::string(32, 'c');
        return f;
    }
};

TEST_F(verification_store_itest, a_tenant_without_settings_is_unconfigured_with_no_contacts) {
    const auto t = make_tenant();
    const auto s = run(verification.settings(t.tenant.id));
    EXPECT_EQ(s.mode, core::auth_mode::unconfigured);
    EXPECT_TRUE(s.support.empty());
    EXPECT_FALSE(s.additional_context_enabled);
}

TEST_F(verification_store_itest, settings_round_trip_with_the_sealed_secret_bytes_intact) {
    const auto t = make_tenant();
    verification_settings s;
    s.tenant_id = t.tenant.id;
    s.mode = core::auth_mode::oidc;
    s.oidc_issuer = "https://idp.example.com";
    s.oidc_client_id = "challenge";
    s.oidc_client_secret_sealed = std::string("\x01\x00\xff\x80sealed", 10);
    s.oidc_required_acr = "urn:mfa";
    s.oidc_email_verified_absent = core::email_verified_absent::accept;
    s.saml_identity_attribute = "mail";
    s.saml_required_authn_context = "urn:example:mfa";
    s.additional_context_enabled = true;
    s.support.email = "help@example.com";
    s.support.portal_url = "https://help.example.com";
    run(verification.save_settings(s));
    s.support.phone = "+1 555 0100";
    run(verification.save_settings(s));  // an update, not a second row

    const auto back = run(verification.settings(t.tenant.id));
    EXPECT_EQ(back.mode, core::auth_mode::oidc);
    EXPECT_EQ(back.oidc_issuer, s.oidc_issuer);
    EXPECT_EQ(back.oidc_client_secret_sealed, s.oidc_client_secret_sealed);
    EXPECT_EQ(back.oidc_scopes, "openid email");
    EXPECT_EQ(back.oidc_required_acr, "urn:mfa");
    EXPECT_EQ(back.oidc_email_verified_absent, core::email_verified_absent::accept);
    EXPECT_EQ(back.saml_identity_attribute, "mail");
    EXPECT_EQ(back.saml_required_authn_context, "urn:example:mfa");
    EXPECT_TRUE(back.additional_context_enabled);
    EXPECT_EQ(back.support.email, "help@example.com");
    EXPECT_EQ(back.support.phone, "+1 555 0100");
    EXPECT_FALSE(back.support.slack_channel);
}

TEST_F(verification_store_itest, oidc_without_an_issuer_is_refused_by_the_database) {
    const auto t = make_tenant();
    verification_settings s;
    s.tenant_id = t.tenant.id;
    s.mode = core::auth_mode::oidc;
    EXPECT_THROW(run(verification.save_settings(s)), pg::error);
}

TEST_F(verification_store_itest, a_flow_is_used_once_by_its_own_browser_with_what_it_started_with) {
    const auto t = make_tenant();
    const auto c = insert(sample_challenge(t));
    auto f = flow_for(c, std::string(32, 'a'));
    f.oidc_issuer = "https://idp.example.com";
    f.oidc_client_id = "challenge";
    run(verification.create_flow(f));

    auto mine = run(verification.consume_flow(f.id, f.browser_hash, t0 + 1min));
    ASSERT_TRUE(std::holds_alternative<verification_flow>(mine));
    const auto& used = std::get<verification_flow>(mine);
    EXPECT_EQ(used.challenge_id, c.id);
    EXPECT_EQ(used.target_response, "Travelling this week");
    EXPECT_EQ(used.oidc_issuer, "https://idp.example.com");
    EXPECT_EQ(used.oidc_client_id, "challenge");

    auto again = run(verification.consume_flow(f.id, f.browser_hash, t0 + 2min));
    ASSERT_TRUE(std::holds_alternative<flow_refusal>(again));
    EXPECT_EQ(std::get<flow_refusal>(again), flow_refusal::used);
}

TEST_F(verification_store_itest, another_browser_presenting_a_flow_uses_it_up) {
    const auto t = make_tenant();
    const auto c = insert(sample_challenge(t));
    const auto f = flow_for(c, std::string(32, 'a'));
    run(verification.create_flow(f));

    // The IdP's answer arrived in a browser that did not start the flow (a lured target): it is
    // refused, and the answer can never be replayed into the starting browser afterwards.
    auto other = run(verification.consume_flow(f.id, std::string(32, 'b'), t0 + 1min));
    ASSERT_TRUE(std::holds_alternative<flow_refusal>(other));
    EXPECT_EQ(std::get<flow_refusal>(other), flow_refusal::other_browser);
    auto mine = run(verification.consume_flow(f.id, f.browser_hash, t0 + 1min));
    ASSERT_TRUE(std::holds_alternative<flow_refusal>(mine));
    EXPECT_EQ(std::get<flow_refusal>(mine), flow_refusal::used);
}

TEST_F(verification_store_itest, an_expired_or_unknown_flow_is_refused) {
    const auto t = make_tenant();
    const auto c = insert(sample_challenge(t));
    const auto f = flow_for(c, std::string(32, 'a'));
    run(verification.create_flow(f));
    auto late = run(verification.consume_flow(f.id, f.browser_hash, f.expires_at));
    EXPECT_EQ(std::get<flow_refusal>(late), flow_refusal::expired);
    auto unknown = run(verification.consume_flow(next_id(), f.browser_hash, t0));
    EXPECT_EQ(std::get<flow_refusal>(unknown), flow_refusal::unknown);
}

TEST_F(verification_store_itest, a_saml_answer_is_parked_once_on_an_open_flow_and_read_back_when_used) {
    const auto t = make_tenant();
    const auto c = insert(sample_challenge(t));
    const auto f = saml_flow_for(c, "_req1");
    run(verification.create_flow(f));

    const auto open = run(verification.find_open_flow(f.id, t0 + 1min));
    ASSERT_TRUE(open);
    EXPECT_EQ(open->saml_request_id, "_req1");
    EXPECT_EQ(open->acs_binding_hash, f.acs_binding_hash);
    EXPECT_FALSE(open->saml_answer_json);
    EXPECT_FALSE(run(verification.record_saml_answer(f.id, std::string(32, 'd'), R"({"name_id": "x"})", t0 + 1min)))
        << "an answer posted without the flow's ACS cookie is not parked";
    EXPECT_TRUE(run(verification.record_saml_answer(f.id, *f.acs_binding_hash, R"({"name_id": "alice@example.com"})", t0 + 1min)));
    EXPECT_FALSE(run(verification.record_saml_answer(f.id, *f.acs_binding_hash, R"({"name_id": "mallory@example.com"})", t0 + 1min)))
        << "a second answer (a replay or a race) is refused";

    auto used = run(verification.consume_flow(f.id, f.browser_hash, t0 + 2min, flow_use::saml_answered));
    ASSERT_TRUE(std::holds_alternative<verification_flow>(used));
    EXPECT_EQ(std::get<verification_flow>(used).saml_answer_json, R"({"name_id": "alice@example.com"})");
    EXPECT_FALSE(run(verification.find_open_flow(f.id, t0 + 2min))) << "used flows are not open";
    EXPECT_FALSE(run(verification.record_saml_answer(f.id, *f.acs_binding_hash, "{}", t0 + 2min)));
}

TEST_F(verification_store_itest, a_saml_flow_is_used_only_once_an_answer_is_parked) {
    const auto t = make_tenant();
    const auto c = insert(sample_challenge(t));
    const auto f = saml_flow_for(c, "_req2");
    run(verification.create_flow(f));
    auto early = run(verification.consume_flow(f.id, f.browser_hash, t0 + 1min, flow_use::saml_answered));
    ASSERT_TRUE(std::holds_alternative<flow_refusal>(early));
    EXPECT_EQ(std::get<flow_refusal>(early), flow_refusal::unanswered);
    EXPECT_TRUE(run(verification.find_open_flow(f.id, t0 + 1min))) << "still open for the IdP's answer";
    run(verification.spend_flow(f.id, t0 + 1min));
    EXPECT_FALSE(run(verification.find_open_flow(f.id, t0 + 1min))) << "a spent flow takes no answer";
    EXPECT_FALSE(run(verification.record_saml_answer(f.id, *f.acs_binding_hash, "{}", t0 + 1min)));
}

TEST_F(verification_store_itest, a_saml_assertion_id_is_accepted_once_per_issuer_until_it_expires) {
    const auto t = make_tenant();
    const std::string idp = "https://idp.example.com/metadata";
    EXPECT_TRUE(run(verification.remember_assertion(idp, "_a1", t.tenant.id, t0 + 5min)));
    EXPECT_FALSE(run(verification.remember_assertion(idp, "_a1", t.tenant.id, t0 + 5min)));
    // Another IdP may pick the same id; that is not a replay of the first one's assertion.
    EXPECT_TRUE(run(verification.remember_assertion("https://other-idp.example.com", "_a1", t.tenant.id, t0 + 5min)));
    EXPECT_EQ(run(verification.prune(t0 + 6min)), 2);
    EXPECT_TRUE(run(verification.remember_assertion(idp, "_a1", t.tenant.id, t0 + 10min)));
}

}  // namespace
}  // namespace chal::storage
