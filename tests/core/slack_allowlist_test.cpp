#include "app/core/slack_allowlist.hpp"

#include <gtest/gtest.h>

#include <vector>

using namespace chal::core;

namespace {

const slack_allowlist_entry acme{slack_owner_kind::workspace, "T0ACME"};
const slack_allowlist_entry grid{slack_owner_kind::org, "E0GRID"};

bool admitted(const std::vector<slack_allowlist_entry>& list, slack_install_owner owner) {
    return entry_admitting(list, owner) != nullptr;
}

}  // namespace

TEST(slack_allowlist, admits_a_listed_workspace_and_nothing_else_by_default) {
    EXPECT_TRUE(admitted({acme}, {.team_id = "T0ACME"}));
    EXPECT_FALSE(admitted({acme}, {.team_id = "T0OTHER"}));
    EXPECT_FALSE(admitted({}, {.team_id = "T0ACME"})) << "an empty list admits nobody";
    EXPECT_FALSE(admitted({acme}, {.team_id = "t0acme"})) << "ids compare exactly";
    EXPECT_EQ(entry_admitting(std::vector{grid, acme}, {.team_id = "T0ACME"})->slack_id, "T0ACME");
}

TEST(slack_allowlist, an_allowed_org_admits_its_org_wide_install_and_its_workspaces) {
    EXPECT_TRUE(admitted({grid}, {.enterprise_id = "E0GRID", .is_enterprise_install = true}));
    EXPECT_TRUE(admitted({grid}, {.team_id = "T0INGRID", .enterprise_id = "E0GRID"}));
    EXPECT_FALSE(admitted({grid}, {.team_id = "T0ELSEWHERE", .enterprise_id = "E0OTHER"}));
}

TEST(slack_allowlist, a_workspace_entry_never_admits_an_org_wide_install) {
    // An org-wide install has no workspace of its own, whatever Slack puts in team fields.
    EXPECT_FALSE(admitted({acme}, {.team_id = "T0ACME", .enterprise_id = "E0GRID", .is_enterprise_install = true}));
    EXPECT_FALSE(admitted({{slack_owner_kind::workspace, "E0GRID"}}, {.enterprise_id = "E0GRID", .is_enterprise_install = true}));
    EXPECT_FALSE(admitted({{slack_owner_kind::org, "T0ACME"}}, {.team_id = "T0ACME"})) << "kinds do not mix";
    EXPECT_FALSE(admitted({{slack_owner_kind::org, ""}}, {.team_id = "T0ACME"}));
}

TEST(slack_allowlist, names_an_owner_as_the_entry_that_admits_exactly_it) {
    EXPECT_EQ(entry_naming({.team_id = "T0ACME", .enterprise_id = "E0GRID"}), acme);
    EXPECT_EQ(entry_naming({.enterprise_id = "E0GRID", .is_enterprise_install = true}), grid);
}

TEST(slack_allowlist, parses_slack_ids_of_the_right_kind_only) {
    EXPECT_EQ(parse_slack_allowlist_entry(slack_owner_kind::workspace, "T0ACME"), acme);
    EXPECT_EQ(parse_slack_allowlist_entry(slack_owner_kind::org, "E0GRID"), grid);
    for (const auto* bad : {"", "T", "E0GRID", "t0acme", "T0 ACME", "T0ACME\n", "T0-ACME", "T0123456789012345678901234567890X"})
        EXPECT_FALSE(parse_slack_allowlist_entry(slack_owner_kind::workspace, bad)) << bad;
    EXPECT_FALSE(parse_slack_allowlist_entry(slack_owner_kind::org, "T0ACME"));
    EXPECT_EQ(parse_slack_owner_kind("org"), slack_owner_kind::org);
    EXPECT_EQ(parse_slack_owner_kind(to_string(slack_owner_kind::workspace)), slack_owner_kind::workspace);
    EXPECT_FALSE(parse_slack_owner_kind("team"));
}
