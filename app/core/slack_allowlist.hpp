// Which Slack workspaces and Enterprise Grid orgs may install a tenant's Slack app: the rule an
// install is checked against, whoever keeps the list (the operator's CLI now, the admin console
// later). Pure.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace chal::core {

enum class slack_owner_kind { workspace, org };

struct slack_allowlist_entry {
    slack_owner_kind kind = slack_owner_kind::workspace;
    std::string slack_id;  // a team id (T...) or an enterprise id (E...)

    bool operator==(const slack_allowlist_entry&) const = default;
};

// Whom an installation belongs to, as Slack said at install time (oauth.v2.access, auth.test).
struct slack_install_owner {
    std::string team_id;        // empty for an org-wide install
    std::string enterprise_id;  // empty outside Enterprise Grid
    bool is_enterprise_install = false;
};

// The entry that lets `owner` install, or nullptr when none does. An org-wide install needs its
// org on the list; a workspace install needs the workspace, or the Enterprise Grid org it
// belongs to (allowing an org allows its workspaces).
const slack_allowlist_entry* entry_admitting(
    std::span<const slack_allowlist_entry> allowed, const slack_install_owner& owner
) noexcept;

// The entry naming exactly `owner`: what an install that is its own permission (an operator's
// bot token, an admin's "Add to Slack") puts on the list.
slack_allowlist_entry entry_naming(const slack_install_owner& owner);

// An entry as an operator or an admin types it: a workspace's team id (T followed by letters
// and digits) or an org's enterprise id (E...), in Slack's upper case, at most 32 characters.
std::optional<slack_allowlist_entry> parse_slack_allowlist_entry(slack_owner_kind kind, std::string_view slack_id);

std::string_view to_string(slack_owner_kind kind) noexcept;
std::optional<slack_owner_kind> parse_slack_owner_kind(std::string_view text) noexcept;

}  // namespace chal::core
