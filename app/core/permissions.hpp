// Who may do what in a tenant: the console's four roles, the permissions they grant, and the
// rules for changing a membership. One table serves the console, the JSON API and the CLI;
// adapters ask `authorize`, never a role by name.
#pragma once

#include "app/core/errc.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace chal::core {

enum class role { owner, admin, analyst, viewer };
enum class membership_status { active, suspended };

std::string_view to_string(role r) noexcept;
std::optional<role> parse_role(std::string_view text) noexcept;
std::string_view to_string(membership_status s) noexcept;
std::optional<membership_status> parse_membership_status(std::string_view text) noexcept;

// What a principal may do, one value per row of the permission table (console.md §3).
enum class permission {
    view_challenges,       // dashboard, challenge list and detail, activity feed
    respond,               // create and cancel challenges from the console
    view_integrations,     // integrations, identity provider, expiry, support contacts (secrets masked)
    manage_integrations,   // change them
    manage_keys,           // create, roll, revoke API keys; rotate webhook secrets; redeliver
    view_members,          // the Users page
    manage_members,        // invite, change role, suspend, delete (roles up to Admin)
    manage_owners,         // grant or transfer Owner; console SSO settings
    view_audit,
    export_audit,
};

// Who is asking. A console member acts in one tenant with one role; the operator's CLI acts in
// any tenant with every permission; a webhook integration's API key may only run challenges.
struct principal {
    enum class kind { member, operator_cli, integration_key };
    kind type = kind::member;
    std::string tenant_id;  // the tenant the principal belongs to (empty for the operator)
    std::string actor_id;   // user id, integration id, or "cli"
    role member_role = role::viewer;
    // Signed in within the last minutes (core/console_session.hpp): sensitive actions need it.
    bool fresh_login = false;
};

bool role_grants(role r, permission p) noexcept;

// Ok when `who` may use `p` in `tenant_id`. Another tenant's resources answer
// errc::not_found_in_tenant (404: their existence is not confirmed), a missing permission
// errc::permission_denied (403).
result<void> authorize(const principal& who, std::string_view tenant_id, permission p);

// The audit log's actor text: "user:<id>", "api_key:<integration id>" or "cli".
std::string actor_text(const principal& who);

// A change one member makes to another's membership.
struct membership_change {
    enum class kind { change_role, suspend, unsuspend, remove };
    kind type = kind::change_role;
    role new_role = role::viewer;  // for change_role
};

// The member being changed, as the database holds it inside the deciding transaction.
struct membership_facts {
    std::string user_id;
    role current_role = role::viewer;
    membership_status status = membership_status::active;
};

// Decides whether `actor` may make `change` to `target`, given how many active Owners the
// tenant has (read in the same transaction). Nobody changes or suspends themselves; only an
// Owner touches an Owner or grants Owner; the last active Owner stays. Returns the errc the
// caller shows. Changing an Owner's or an Admin's role (or making one) is sensitive: it needs
// a fresh login (errc::fresh_login_required).
result<void> judge_membership_change(
    const principal& actor, const membership_facts& target, const membership_change& change, int active_owners
);

// A member's email as typed into a form or the API (surrounding spaces removed), or
// errc::invalid_member_email. A display name of at most 200 characters without control
// characters, or errc::invalid_display_name.
result<std::string> checked_member_email(std::string_view text);
result<std::string> checked_display_name(std::string_view text);

// Whether adding a member with `new_role` is allowed for `actor` (only Owners grant Owner).
result<void> judge_new_member(const principal& actor, role new_role);

}  // namespace chal::core
