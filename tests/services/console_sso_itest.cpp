// Console SSO's service functions against a real PostgreSQL: Owner-only settings with a sealed
// secret shown only as a fingerprint, login state spent by its first answer, identities bound by
// (issuer, subject) and linked by verified email on the first sign-in only, refusals that change
// nothing, and the step-up that replaces the session it came from.
#include "app/services/console_access.hpp"
#include "app/services/console_sso.hpp"
#include "app/services/members.hpp"
#include "tests/storage/storage_fixture.hpp"

#include <gtest/gtest.h>

namespace chal::services {
namespace {

using namespace std::chrono_literals;
using storage::t0;

constexpr pg::query test_select_sso_audit{"test_select_sso_audit", R"sql(
    SELECT action, outcome, coalesce(detail::text, '') FROM audit_events
    WHERE tenant_id = $1 AND challenge_id IS NULL AND action LIKE 'console.%' AND action NOT LIKE 'console.setup_link%'
    ORDER BY id)sql"};
constexpr pg::query test_count_console_rows{"test_count_console_rows", R"sql(
    SELECT (SELECT count(*) FROM console_users) + (SELECT count(*) FROM memberships) +
           (SELECT count(*) FROM console_identities) + (SELECT count(*) FROM console_sessions))sql"};
constexpr pg::query test_session_end{"test_console_session_end", R"sql(
    SELECT coalesce(end_reason, '') FROM console_sessions WHERE id = $1)sql"};

constexpr std::string_view issuer = "https://idp.example.com";

class console_sso_itest : public storage::storage_test {
protected:
    core::timestamp now = t0;
    core::clock_function clock = [this] { return now; };
    const crypto::secret_box secrets{storage::test_master_key};
    storage::console_store store{pool};
    storage::console_sso_store sso_store{pool};
    console_access access{store, clock};
    members people{store, clock};
    console_sso sso{sso_store, store, access, secrets, clock};
    const core::principal operator_cli{core::principal::kind::operator_cli, "", "cli"};
    const storage::request_origin origin{"198.51.100.7", "test agent", "req-1"};
    const std::string browser = crypto::sha256("browser secret");

    std::string tenant_with_sso(bool jit = false) {
        const auto t = make_tenant().tenant.id;
        auto set = run(sso.configure(operator_cli, t, {std::string(issuer), "console-client", "top secret", jit}, origin));
        if (!set) throw std::runtime_error("configure refused: " + set.error().message());
        return t;
    }

    signed_in via_setup_link(const std::string& tenant_id, const std::string& email, core::role role) {
        auto link = run(access.issue_setup_link(operator_cli, tenant_id, email, role, "setup", origin));
        if (!link) throw std::runtime_error("issue refused");
        auto in = run(access.redeem_setup_link(link->token, origin));
        if (!in) throw std::runtime_error("redeem refused");
        return std::move(*in);
    }

    storage::console_login_flow started(const std::string& tenant_id, std::optional<signed_in> step_up = std::nullopt) {
        auto client = run(sso.client_for(tenant_id));
        if (!client) throw std::runtime_error("no client");
        console_login_start s{tenant_id, browser, "/console/users", std::nullopt, std::nullopt};
        if (step_up) {
            s.step_up_session = step_up->session;
            s.step_up_token = step_up->token;
        }
        return run(sso.start(std::move(s), *client));
    }

    core::result<signed_in> sign_in_as(const std::string& tenant_id, const std::string& subject,
                                       std::optional<std::string> email, std::optional<signed_in> step_up = std::nullopt) {
        auto flow = started(tenant_id, std::move(step_up));
        auto consumed = run(sso.consume(flow.id, browser));
        if (!std::holds_alternative<storage::console_login_flow>(consumed)) throw std::runtime_error("flow refused");
        return run(sso.complete(std::get<storage::console_login_flow>(consumed), {subject, std::move(email), now - 10s}, origin));
    }

    struct audit {
        std::string action, outcome, detail;
    };
    std::vector<audit> sso_audit(const std::string& tenant_id) {
        std::vector<audit> out;
        for (const auto& r : run(pool.execute(test_select_sso_audit, pg::params{}.add(tenant_id))))
            out.push_back({r.get<std::string>(0), r.get<std::string>(1), r.get<std::string>(2)});
        return out;
    }
    std::int64_t console_rows() { return run(pool.execute(test_count_console_rows))[0].get<std::int64_t>(0); }
};

TEST_F(console_sso_itest, settings_are_owner_only_and_the_secret_is_sealed_and_shown_only_as_a_fingerprint) {
    const auto t = make_tenant().tenant.id;
    auto owner = via_setup_link(t, "owner@example.com", core::role::owner);
    auto admin = via_setup_link(t, "admin@example.com", core::role::admin);
    const console_sso_change change{std::string(issuer), "console-client", "top secret", false};
    EXPECT_EQ(run(sso.configure(access.principal_of(admin.session), t, change, origin)).error(), core::errc::permission_denied);
    auto set = run(sso.configure(access.principal_of(owner.session), t, change, origin));  // fresh: just signed in
    ASSERT_TRUE(set);
    EXPECT_EQ(set->client_secret_fingerprint.size(), 16u);
    EXPECT_FALSE(set->just_in_time_viewers);
    auto shown = run(sso.show(operator_cli, t));
    ASSERT_TRUE(shown && *shown);
    EXPECT_EQ((*shown)->client_secret_fingerprint, set->client_secret_fingerprint);
    auto client = run(sso.client_for(t));
    ASSERT_TRUE(client);
    EXPECT_EQ(client->client_secret, "top secret");
    auto stored = run(sso_store.settings(t));
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->client_secret_sealed.find("top secret"), std::string::npos);
    const auto events = sso_audit(t);
    ASSERT_EQ(events.size(), 1u);  // the setup links are not listed
    EXPECT_EQ(events[0].action, "console.sso_configured");
    EXPECT_NE(events.back().detail.find("changed (" + set->client_secret_fingerprint + ")"), std::string::npos);
    EXPECT_EQ(events.back().detail.find("top secret"), std::string::npos);

    now = t0 + 6min;  // no longer a fresh sign-in: changing console SSO needs one
    EXPECT_EQ(run(sso.configure(access.principal_of(*run(access.session_for(owner.token))), t, change, origin)).error(),
              core::errc::fresh_login_required);
    EXPECT_EQ(run(sso.configure(operator_cli, t, {"http://idp.example.com", "c", "s", false}, origin)).error(),
              core::errc::invalid_sso_issuer);
    EXPECT_EQ(run(sso.configure(operator_cli, t, {std::string(issuer), "", "s", false}, origin)).error(),
              core::errc::invalid_sso_client_id);
    ASSERT_TRUE(run(sso.clear(operator_cli, t, origin)));
    EXPECT_EQ(run(sso.client_for(t)).error(), core::errc::sso_not_configured);
    EXPECT_EQ(run(sso.clear(operator_cli, t, origin)).error(), core::errc::sso_not_configured);
}

TEST_F(console_sso_itest, a_first_sign_in_links_the_member_by_verified_email_and_later_ones_bind_by_subject) {
    const auto t = tenant_with_sso();
    auto owner = via_setup_link(t, "owner@example.com", core::role::owner);
    auto first = sign_in_as(t, "sub-owner", std::string("Owner@Example.com"));
    ASSERT_TRUE(first) << first.error().message();
    EXPECT_EQ(first->session.user_id, owner.session.user_id);
    EXPECT_EQ(first->session.auth_method, "oidc");
    EXPECT_EQ(first->session.facts.auth_time, now - 10s);
    EXPECT_TRUE(access.principal_of(first->session).fresh_login);
    // The IdP changed the person's email: the binding is the subject, not the address.
    auto second = sign_in_as(t, "sub-owner", std::string("renamed@example.com"));
    ASSERT_TRUE(second);
    EXPECT_EQ(second->session.user_id, owner.session.user_id);
    EXPECT_NE(second->token, first->token);
    const auto events = sso_audit(t);
    ASSERT_EQ(events.size(), 4u);
    EXPECT_EQ(events[1].action, "console.identity_linked");
    EXPECT_EQ(events[2].action, "console.signed_in");
    EXPECT_EQ(events[3].action, "console.signed_in");
}

TEST_F(console_sso_itest, an_email_never_links_a_member_already_bound_to_another_subject_nor_an_unverified_one) {
    const auto t = tenant_with_sso();
    via_setup_link(t, "owner@example.com", core::role::owner);
    ASSERT_TRUE(sign_in_as(t, "sub-owner", std::string("owner@example.com")));
    const auto rows = console_rows();
    EXPECT_EQ(sign_in_as(t, "sub-someone-else", std::string("owner@example.com")).error(), core::errc::sso_identity_conflict);
    via_setup_link(t, "analyst@example.com", core::role::analyst);
    const auto rows_with_analyst = console_rows();
    EXPECT_GT(rows_with_analyst, rows);
    EXPECT_EQ(sign_in_as(t, "sub-analyst", std::nullopt).error(), core::errc::sso_not_a_member);
    EXPECT_EQ(console_rows(), rows_with_analyst);
}

TEST_F(console_sso_itest, an_unknown_person_is_refused_with_nothing_written_unless_just_in_time_makes_them_a_viewer) {
    const auto off = tenant_with_sso(false);
    const auto rows = console_rows();
    EXPECT_EQ(sign_in_as(off, "sub-stranger", std::string("stranger@example.com")).error(), core::errc::sso_not_a_member);
    EXPECT_EQ(console_rows(), rows);
    const auto events = sso_audit(off);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[1].action, "console.signed_in");
    EXPECT_EQ(events[1].outcome, "denied");

    const auto on = tenant_with_sso(true);
    auto in = sign_in_as(on, "sub-stranger", std::string("stranger@example.com"));
    ASSERT_TRUE(in);
    EXPECT_EQ(in->session.role, core::role::viewer);
    EXPECT_EQ(in->session.email, "stranger@example.com");
}

TEST_F(console_sso_itest, a_suspended_member_is_refused) {
    const auto t = tenant_with_sso();
    auto owner = via_setup_link(t, "owner@example.com", core::role::owner);
    auto analyst = via_setup_link(t, "analyst@example.com", core::role::analyst);
    ASSERT_TRUE(sign_in_as(t, "sub-analyst", std::string("analyst@example.com")));
    ASSERT_TRUE(run(people.change(access.principal_of(owner.session), t, analyst.session.user_id,
                                  {core::membership_change::kind::suspend}, origin)));
    EXPECT_EQ(sign_in_as(t, "sub-analyst", std::string("analyst@example.com")).error(), core::errc::sso_member_suspended);
}

TEST_F(console_sso_itest, a_step_up_replaces_the_session_it_came_from_and_only_its_member_may_do_it) {
    const auto t = tenant_with_sso();
    via_setup_link(t, "owner@example.com", core::role::owner);
    via_setup_link(t, "admin@example.com", core::role::admin);
    ASSERT_TRUE(sign_in_as(t, "sub-admin", std::string("admin@example.com")));
    auto signed_in_before = sign_in_as(t, "sub-owner", std::string("owner@example.com"));
    ASSERT_TRUE(signed_in_before);
    now = t0 + 20min;
    ASSERT_TRUE(run(access.session_for(signed_in_before->token)));
    EXPECT_FALSE(access.principal_of(*run(access.session_for(signed_in_before->token))).fresh_login);

    EXPECT_EQ(sign_in_as(t, "sub-admin", std::string("admin@example.com"), *signed_in_before).error(), core::errc::sso_other_person);
    ASSERT_TRUE(run(access.session_for(signed_in_before->token)));  // a refused step-up ends nothing

    auto stepped = sign_in_as(t, "sub-owner", std::string("owner@example.com"), *signed_in_before);
    ASSERT_TRUE(stepped);
    EXPECT_NE(stepped->token, signed_in_before->token);
    EXPECT_TRUE(access.principal_of(stepped->session).fresh_login);
    EXPECT_FALSE(run(access.session_for(signed_in_before->token)));
    EXPECT_EQ(run(pool.execute(test_session_end, pg::params{}.add(signed_in_before->session.id)))[0].get<std::string>(0),
              "reauthenticated");
    EXPECT_EQ(sso_audit(t).back().action, "console.reauthenticated");
}

TEST_F(console_sso_itest, login_state_is_spent_by_its_first_answer_and_counts_only_in_its_browser_for_ten_minutes) {
    const auto t = tenant_with_sso();
    auto flow = started(t);
    EXPECT_EQ(flow.return_to, "/console/users");
    EXPECT_EQ(std::get<storage::login_flow_refusal>(run(sso.consume(flow.id, crypto::sha256("another browser")))),
              storage::login_flow_refusal::other_browser);
    EXPECT_EQ(std::get<storage::login_flow_refusal>(run(sso.consume(flow.id, browser))), storage::login_flow_refusal::used);

    auto replayed = started(t);
    ASSERT_TRUE(std::holds_alternative<storage::console_login_flow>(run(sso.consume(replayed.id, browser))));
    EXPECT_EQ(std::get<storage::login_flow_refusal>(run(sso.consume(replayed.id, browser))), storage::login_flow_refusal::used);

    auto late = started(t);
    now = t0 + 10min;
    EXPECT_EQ(std::get<storage::login_flow_refusal>(run(sso.consume(late.id, browser))), storage::login_flow_refusal::expired);
    EXPECT_EQ(std::get<storage::login_flow_refusal>(run(sso.consume(crypto::new_uuid_v7(std::chrono::system_clock::now()), browser))),
              storage::login_flow_refusal::unknown);
}

TEST_F(console_sso_itest, a_sign_in_started_under_other_settings_is_refused) {
    const auto t = tenant_with_sso();
    via_setup_link(t, "owner@example.com", core::role::owner);
    auto flow = started(t);
    ASSERT_TRUE(run(sso.configure(operator_cli, t, {"https://other-idp.example.com", "console-client", "s", false}, origin)));
    auto consumed = run(sso.consume(flow.id, browser));
    ASSERT_TRUE(std::holds_alternative<storage::console_login_flow>(consumed));
    EXPECT_EQ(run(sso.complete(std::get<storage::console_login_flow>(consumed), {"sub-owner", std::string("owner@example.com"), now}, origin))
                  .error(),
              core::errc::sso_not_configured);
}

}  // namespace
}  // namespace chal::services
