#include "app/core/permissions.hpp"

#include <gtest/gtest.h>

#include <array>

namespace chal::core {
namespace {

constexpr std::array all_roles{role::owner, role::admin, role::analyst, role::viewer};

principal member(role r, std::string id = "u-actor", std::string tenant = "t1", bool fresh = true) {
    return {principal::kind::member, std::move(tenant), std::move(id), r, fresh};
}

// console.md §3, row by row: Owner, Admin, Analyst, Viewer.
struct row {
    permission p;
    std::array<bool, 4> granted;
};
constexpr std::array table{
    row{permission::view_challenges, {true, true, true, true}},
    row{permission::respond, {true, true, true, false}},
    row{permission::view_integrations, {true, true, true, false}},
    row{permission::manage_integrations, {true, true, false, false}},
    row{permission::manage_keys, {true, true, false, false}},
    row{permission::view_members, {true, true, false, false}},
    row{permission::manage_members, {true, true, false, false}},
    row{permission::manage_owners, {true, false, false, false}},
    row{permission::view_audit, {true, true, false, false}},
    row{permission::export_audit, {true, true, false, false}},
};

TEST(permissions, each_role_gets_exactly_its_row_of_the_table) {
    for (const auto& r : table) {
        for (std::size_t i = 0; i < all_roles.size(); ++i) {
            const auto verdict = authorize(member(all_roles[i]), "t1", r.p);
            EXPECT_EQ(verdict.has_value(), r.granted[i]) << to_string(all_roles[i]) << " permission " << static_cast<int>(r.p);
            if (!r.granted[i]) {
                EXPECT_EQ(verdict.error(), errc::permission_denied);
            }
        }
    }
}

TEST(permissions, another_tenants_resources_are_not_found_whatever_the_role) {
    for (const auto r : all_roles)
        EXPECT_EQ(authorize(member(r), "t2", permission::view_challenges).error(), errc::not_found_in_tenant);
    principal key{principal::kind::integration_key, "t1", "i1"};
    EXPECT_EQ(authorize(key, "t2", permission::view_challenges).error(), errc::not_found_in_tenant);
}

TEST(permissions, webhook_keys_keep_challenges_only) {
    principal key{principal::kind::integration_key, "t1", "i1"};
    EXPECT_TRUE(authorize(key, "t1", permission::respond));
    EXPECT_TRUE(authorize(key, "t1", permission::view_challenges));
    for (const auto p : {permission::view_integrations, permission::manage_keys, permission::view_members,
                         permission::view_audit, permission::manage_owners})
        EXPECT_EQ(authorize(key, "t1", p).error(), errc::permission_denied);
}

TEST(permissions, the_operator_may_do_anything_anywhere) {
    principal cli{principal::kind::operator_cli, "", "cli"};
    EXPECT_TRUE(authorize(cli, "any", permission::manage_owners));
    EXPECT_EQ(actor_text(cli), "cli");
    EXPECT_EQ(actor_text(member(role::viewer, "u9")), "user:u9");
}

TEST(permissions, roles_round_trip_and_unknown_text_is_refused) {
    for (const auto r : all_roles) EXPECT_EQ(parse_role(to_string(r)), r);
    EXPECT_FALSE(parse_role("Owner"));
    EXPECT_FALSE(parse_role("root"));
    EXPECT_EQ(parse_membership_status("suspended"), membership_status::suspended);
    EXPECT_FALSE(parse_membership_status("invited"));
}

using change = membership_change;

TEST(membership_rules, nobody_changes_themselves) {
    const membership_facts me{"u-actor", role::owner, membership_status::active};
    EXPECT_EQ(judge_membership_change(member(role::owner), me, {change::kind::suspend}, 3).error(), errc::cannot_change_self);
    EXPECT_EQ(judge_membership_change(member(role::owner), me, {change::kind::change_role, role::viewer}, 3).error(),
              errc::cannot_change_self);
}

TEST(membership_rules, admins_cannot_touch_owners_or_grant_owner) {
    const membership_facts owner{"u-owner", role::owner, membership_status::active};
    const membership_facts analyst{"u-analyst", role::analyst, membership_status::active};
    EXPECT_EQ(judge_membership_change(member(role::admin), owner, {change::kind::suspend}, 2).error(),
              errc::only_owner_may_touch_owner);
    EXPECT_EQ(judge_membership_change(member(role::admin), analyst, {change::kind::change_role, role::owner}, 2).error(),
              errc::only_owner_may_touch_owner);
    EXPECT_TRUE(judge_membership_change(member(role::admin), analyst, {change::kind::change_role, role::admin}, 2));
    EXPECT_EQ(judge_new_member(member(role::admin), role::owner).error(), errc::only_owner_may_touch_owner);
    EXPECT_TRUE(judge_new_member(member(role::admin), role::admin));
    EXPECT_TRUE(judge_new_member(member(role::owner), role::owner));
}

TEST(membership_rules, analysts_and_viewers_manage_nobody) {
    const membership_facts viewer{"u-v", role::viewer, membership_status::active};
    for (const auto r : {role::analyst, role::viewer}) {
        EXPECT_EQ(judge_membership_change(member(r), viewer, {change::kind::suspend}, 1).error(), errc::permission_denied);
        EXPECT_EQ(judge_new_member(member(r), role::viewer).error(), errc::permission_denied);
    }
}

TEST(membership_rules, the_last_active_owner_stays_an_active_owner) {
    const membership_facts owner{"u-owner", role::owner, membership_status::active};
    for (const auto& c : {change{change::kind::suspend}, change{change::kind::remove}, change{change::kind::change_role, role::admin}}) {
        EXPECT_EQ(judge_membership_change(member(role::owner), owner, c, 1).error(), errc::last_owner);
        EXPECT_TRUE(judge_membership_change(member(role::owner), owner, c, 2));
    }
    // Removing a suspended Owner never leaves the tenant without an active one.
    const membership_facts suspended_owner{"u-owner", role::owner, membership_status::suspended};
    EXPECT_TRUE(judge_membership_change(member(role::owner), suspended_owner, {change::kind::remove}, 1));
}

TEST(membership_rules, suspending_twice_or_unsuspending_an_active_member_is_refused) {
    const membership_facts active{"u-x", role::viewer, membership_status::active};
    const membership_facts suspended{"u-x", role::viewer, membership_status::suspended};
    EXPECT_EQ(judge_membership_change(member(role::admin), suspended, {change::kind::suspend}, 1).error(),
              errc::invalid_membership_change);
    EXPECT_EQ(judge_membership_change(member(role::admin), active, {change::kind::unsuspend}, 1).error(),
              errc::invalid_membership_change);
    EXPECT_TRUE(judge_membership_change(member(role::admin), suspended, {change::kind::unsuspend}, 1));
}

TEST(membership_rules, changing_an_owners_or_admins_role_needs_a_fresh_login) {
    const membership_facts admin{"u-admin", role::admin, membership_status::active};
    const membership_facts analyst{"u-analyst", role::analyst, membership_status::active};
    const auto stale_owner = member(role::owner, "u-actor", "t1", false);
    EXPECT_EQ(judge_membership_change(stale_owner, admin, {change::kind::change_role, role::viewer}, 1).error(),
              errc::fresh_login_required);
    EXPECT_EQ(judge_membership_change(stale_owner, analyst, {change::kind::change_role, role::admin}, 1).error(),
              errc::fresh_login_required);
    EXPECT_TRUE(judge_membership_change(stale_owner, analyst, {change::kind::change_role, role::viewer}, 1));
    EXPECT_TRUE(judge_membership_change(stale_owner, admin, {change::kind::suspend}, 1));
}

TEST(member_fields, emails_need_one_at_and_no_spaces_names_no_control_characters) {
    EXPECT_EQ(checked_member_email("  ana@example.com ").value(), "ana@example.com");
    for (const auto* bad : {"", "ana", "@example.com", "ana@", "a b@example.com", "a@b@c", "ana@exa\nmple.com"})
        EXPECT_EQ(checked_member_email(bad).error(), errc::invalid_member_email) << bad;
    EXPECT_EQ(checked_member_email(std::string(250, 'a') + "@b.co").error(), errc::invalid_member_email);
    EXPECT_EQ(checked_display_name("Ana Lima").value(), "Ana Lima");
    EXPECT_EQ(checked_display_name("Ana\x1b[31m").error(), errc::invalid_display_name);
    EXPECT_EQ(checked_display_name(std::string(201, 'a')).error(), errc::invalid_display_name);
}

}  // namespace
}  // namespace chal::core
