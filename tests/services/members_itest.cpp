// The console's access and membership services against a real PostgreSQL: single-use setup
// links, sessions that end by themselves and when the member is suspended, and the membership
// rules holding when two owners race.
#include "app/services/console_access.hpp"
#include "app/services/members.hpp"
#include "tests/storage/storage_fixture.hpp"

#include <gtest/gtest.h>

namespace chal::services {
namespace {

using namespace std::chrono_literals;
using storage::t0;

constexpr pg::query test_select_admin_audit{"test_select_admin_audit", R"sql(
    SELECT actor, action, outcome, coalesce(target_id, '') FROM audit_events
    WHERE tenant_id = $1 AND challenge_id IS NULL ORDER BY id)sql"};

class console_services_itest : public storage::storage_test {
protected:
    core::timestamp now = t0;
    core::clock_function clock = [this] { return now; };
    storage::console_store store{pool};
    console_access access{store, clock};
    members people{store, clock};
    const core::principal operator_cli{core::principal::kind::operator_cli, "", "cli"};
    const storage::request_origin origin{"198.51.100.7", "test agent", "req-1"};

    std::string tenant() { return make_tenant().tenant.id; }

    // Prints a link as the operator and redeems it: the person's principal in `tenant_id`.
    signed_in sign_in(const std::string& tenant_id, const std::string& email, core::role role) {
        auto link = run(access.issue_setup_link(operator_cli, tenant_id, email, role, "setup", origin));
        if (!link) throw std::runtime_error("issue refused: " + link.error().message());
        auto in = run(access.redeem_setup_link(link->token, origin));
        if (!in) throw std::runtime_error("redeem refused: " + in.error().message());
        return std::move(*in);
    }

    core::principal principal_of(const signed_in& in) { return access.principal_of(in.session); }

    struct audit {
        std::string actor, action, outcome, target;
    };
    std::vector<audit> admin_audit(const std::string& tenant_id) {
        std::vector<audit> out;
        for (const auto& r : run(pool.execute(test_select_admin_audit, pg::params{}.add(tenant_id))))
            out.push_back({r.get<std::string>(0), r.get<std::string>(1), r.get<std::string>(2), r.get<std::string>(3)});
        return out;
    }
};

TEST_F(console_services_itest, a_setup_link_signs_its_person_in_once_and_is_audited_as_the_cli) {
    const auto t = tenant();
    auto link = run(access.issue_setup_link(operator_cli, t, "owner@example.com", core::role::owner, "setup", origin));
    ASSERT_TRUE(link);
    EXPECT_EQ(link->expires_at, t0 + 24h);
    EXPECT_GE(link->token.size(), 43u);  // 256 bits, base64url
    ASSERT_TRUE(run(access.inspect_setup_link(link->token)));
    ASSERT_TRUE(run(access.inspect_setup_link(link->token)));  // looking spends nothing

    auto in = run(access.redeem_setup_link(link->token, origin));
    ASSERT_TRUE(in);
    EXPECT_EQ(in->session.email, "owner@example.com");
    EXPECT_EQ(in->session.role, core::role::owner);
    EXPECT_TRUE(principal_of(*in).fresh_login);
    ASSERT_TRUE(run(access.session_for(in->token)));

    EXPECT_EQ(run(access.redeem_setup_link(link->token, origin)).error(), core::errc::setup_link_invalid);
    EXPECT_FALSE(run(access.inspect_setup_link(link->token)));
    const auto events = admin_audit(t);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].actor, "cli");
    EXPECT_EQ(events[0].action, "console.setup_link_issued");
    EXPECT_EQ(events[1].action, "console.setup_link_redeemed");
    EXPECT_EQ(events[1].actor, "user:" + in->session.user_id);
}

TEST_F(console_services_itest, two_browsers_redeeming_one_link_at_once_get_one_session) {
    const auto t = tenant();
    auto link = run(access.issue_setup_link(operator_cli, t, "owner@example.com", core::role::owner, "setup", origin));
    ASSERT_TRUE(link);
    std::vector<boost::asio::awaitable<core::result<signed_in>>> both;
    both.push_back(access.redeem_setup_link(link->token, origin));
    both.push_back(access.redeem_setup_link(link->token, origin));
    const auto results = run_concurrently(std::move(both));
    EXPECT_EQ(results[0].has_value() + results[1].has_value(), 1);
}

TEST_F(console_services_itest, a_link_older_than_a_day_is_refused) {
    const auto t = tenant();
    auto link = run(access.issue_setup_link(operator_cli, t, "owner@example.com", core::role::owner, "setup", origin));
    ASSERT_TRUE(link);
    now = t0 + 24h;
    EXPECT_EQ(run(access.redeem_setup_link(link->token, origin)).error(), core::errc::setup_link_invalid);
}

TEST_F(console_services_itest, sessions_end_after_thirty_idle_minutes_and_after_sign_out) {
    const auto t = tenant();
    auto first = sign_in(t, "owner@example.com", core::role::owner);
    now = t0 + 29min;
    ASSERT_TRUE(run(access.session_for(first.token)));  // and this counts as activity
    now = t0 + 58min;
    ASSERT_TRUE(run(access.session_for(first.token)));
    now = t0 + 88min + 1s;
    EXPECT_FALSE(run(access.session_for(first.token)));
    now = t0 + 89min;  // an ended session never comes back
    EXPECT_FALSE(run(access.session_for(first.token)));

    auto second = sign_in(t, "owner@example.com", core::role::owner);
    run(access.sign_out(second.token));
    EXPECT_FALSE(run(access.session_for(second.token)));
}

TEST_F(console_services_itest, a_member_lists_and_ends_only_their_own_sessions) {
    const auto t = tenant();
    auto laptop = sign_in(t, "owner@example.com", core::role::owner);
    const auto laptop_p = principal_of(laptop);
    auto phone = sign_in(t, "owner@example.com", core::role::owner);
    auto other = sign_in(t, "admin@example.com", core::role::admin);
    const auto mine = run(access.own_sessions(laptop_p));
    EXPECT_EQ(mine.size(), 2u);
    EXPECT_EQ(run(access.end_own_session(laptop_p, other.session.id)).error(), core::errc::not_found_in_tenant);
    ASSERT_TRUE(run(access.end_own_session(laptop_p, phone.session.id)));
    EXPECT_FALSE(run(access.session_for(phone.token)));
    EXPECT_TRUE(run(access.session_for(laptop.token)));
    EXPECT_TRUE(run(access.session_for(other.token)));
}

TEST_F(console_services_itest, suspending_a_member_ends_their_live_session_at_once) {
    const auto t = tenant();
    auto owner = sign_in(t, "owner@example.com", core::role::owner);
    const auto owner_p = principal_of(owner);
    auto analyst = sign_in(t, "analyst@example.com", core::role::analyst);
    const auto analyst_p = principal_of(analyst);
    ASSERT_TRUE(run(access.session_for(analyst.token)));
    ASSERT_TRUE(run(people.change(owner_p, t, analyst.session.user_id, {core::membership_change::kind::suspend}, origin)));
    EXPECT_FALSE(run(access.session_for(analyst.token)));
    const auto listed = run(people.list(owner_p, t));
    ASSERT_TRUE(listed);
    ASSERT_EQ(listed->size(), 2u);
}

TEST_F(console_services_itest, a_role_change_applies_to_the_next_request_and_ends_the_old_session) {
    const auto t = tenant();
    auto owner = sign_in(t, "owner@example.com", core::role::owner);
    const auto owner_p = principal_of(owner);
    auto analyst = sign_in(t, "analyst@example.com", core::role::analyst);
    const auto analyst_p = principal_of(analyst);
    ASSERT_TRUE(run(people.change(owner_p, t, analyst.session.user_id,
                                  {core::membership_change::kind::change_role, core::role::viewer}, origin)));
    EXPECT_FALSE(run(access.session_for(analyst.token)));
    EXPECT_EQ(run(people.get(owner_p, t, analyst.session.user_id))->role, core::role::viewer);
}

TEST_F(console_services_itest, an_analyst_cannot_manage_members_and_the_refusal_is_audited) {
    const auto t = tenant();
    auto owner = sign_in(t, "owner@example.com", core::role::owner);
    const auto owner_p = principal_of(owner);
    auto analyst = sign_in(t, "analyst@example.com", core::role::analyst);
    const auto analyst_p = principal_of(analyst);
    EXPECT_EQ(run(people.add(analyst_p, t, "x@example.com", "", "viewer", origin)).error(),
              core::errc::permission_denied);
    EXPECT_EQ(run(people.change(analyst_p, t, owner.session.user_id, {core::membership_change::kind::suspend}, origin))
                  .error(),
              core::errc::permission_denied);
    int denied = 0;
    for (const auto& e : admin_audit(t)) denied += e.outcome == "denied" && e.actor == "user:" + analyst.session.user_id;
    EXPECT_EQ(denied, 2);
}

TEST_F(console_services_itest, another_tenants_members_are_not_found) {
    const auto mine = tenant();
    const auto theirs = tenant();
    auto owner = sign_in(mine, "owner@example.com", core::role::owner);
    const auto owner_p = principal_of(owner);
    auto stranger = sign_in(theirs, "stranger@example.com", core::role::viewer);
    EXPECT_EQ(run(people.list(owner_p, theirs)).error(), core::errc::not_found_in_tenant);
    EXPECT_EQ(run(people.change(owner_p, theirs, stranger.session.user_id,
                                {core::membership_change::kind::suspend}, origin)).error(),
              core::errc::not_found_in_tenant);
    // A user id of another tenant, asked for in one's own tenant, is simply not a member here.
    EXPECT_EQ(run(people.change(owner_p, mine, stranger.session.user_id,
                                {core::membership_change::kind::suspend}, origin)).error(),
              core::errc::member_not_found);
}

TEST_F(console_services_itest, adding_a_member_twice_is_refused_and_nothing_is_half_written) {
    const auto t = tenant();
    auto owner = sign_in(t, "owner@example.com", core::role::owner);
    const auto owner_p = principal_of(owner);
    auto added = run(people.add(owner_p, t, "Ana@Example.com", "Ana Lima", "analyst", origin));
    ASSERT_TRUE(added);
    EXPECT_EQ(added->role, core::role::analyst);
    EXPECT_EQ(run(people.add(owner_p, t, "ana@example.com", "", "viewer", origin)).error(), core::errc::member_exists);
    EXPECT_EQ(run(people.add(owner_p, t, "not an email", "", "viewer", origin)).error(), core::errc::invalid_member_email);
    EXPECT_EQ(run(people.add(owner_p, t, "b@example.com", "", "root", origin)).error(), core::errc::invalid_role);
    EXPECT_EQ(run(people.list(owner_p, t))->size(), 2u);
}

TEST_F(console_services_itest, two_owners_demoting_each_other_at_once_leave_one_owner) {
    const auto t = tenant();
    auto a = sign_in(t, "a@example.com", core::role::owner);
    const auto a_p = principal_of(a);
    auto b = sign_in(t, "b@example.com", core::role::owner);
    const auto b_p = principal_of(b);
    const core::membership_change demote{core::membership_change::kind::change_role, core::role::admin};
    std::vector<boost::asio::awaitable<core::result<void>>> race;
    race.push_back(people.change(a_p, t, b.session.user_id, demote, origin));
    race.push_back(people.change(b_p, t, a.session.user_id, demote, origin));
    const auto results = run_concurrently(std::move(race));
    EXPECT_EQ(results[0].has_value() + results[1].has_value(), 1);
    int owners = 0;
    for (const auto& m : *run(people.list(operator_cli, t))) owners += m.role == core::role::owner;
    EXPECT_EQ(owners, 1);
}

TEST_F(console_services_itest, the_last_owner_cannot_be_suspended_even_by_the_operator) {
    const auto t = tenant();
    auto owner = sign_in(t, "owner@example.com", core::role::owner);
    const auto owner_p = principal_of(owner);
    EXPECT_EQ(run(people.change(operator_cli, t, owner.session.user_id, {core::membership_change::kind::suspend}, origin)).error(),
              core::errc::last_owner);
}

}  // namespace
}  // namespace chal::services
