#include "app/core/permissions.hpp"

namespace chal::core {

std::string_view to_string(role r) noexcept {
    switch (r) {
        case role::owner: return "owner";
        case role::admin: return "admin";
        case role::analyst: return "analyst";
        case role::viewer: return "viewer";
    }
    return "viewer";
}

std::optional<role> parse_role(std::string_view text) noexcept {
    for (const auto r : {role::owner, role::admin, role::analyst, role::viewer})
        if (text == to_string(r)) return r;
    return std::nullopt;
}

std::string_view to_string(membership_status s) noexcept {
    return s == membership_status::active ? "active" : "suspended";
}

std::optional<membership_status> parse_membership_status(std::string_view text) noexcept {
    if (text == "active") return membership_status::active;
    if (text == "suspended") return membership_status::suspended;
    return std::nullopt;
}

bool role_grants(role r, permission p) noexcept {
    switch (p) {
        case permission::view_challenges: return true;
        case permission::respond: return r != role::viewer;
        case permission::view_integrations: return r != role::viewer;
        case permission::manage_integrations:
        case permission::manage_keys:
        case permission::view_members:
        case permission::manage_members:
        case permission::view_audit:
        case permission::export_audit: return r == role::owner || r == role::admin;
        case permission::manage_owners: return r == role::owner;
    }
    return false;
}

result<void> authorize(const principal& who, std::string_view tenant_id, permission p) {
    switch (who.type) {
        case principal::kind::operator_cli: return {};
        case principal::kind::integration_key:
            if (who.tenant_id != tenant_id) return errc::not_found_in_tenant;
            // Webhook keys keep exactly the rights they always had: challenges only.
            if (p == permission::view_challenges || p == permission::respond) return {};
            return errc::permission_denied;
        case principal::kind::member:
            if (who.tenant_id != tenant_id) return errc::not_found_in_tenant;
            if (role_grants(who.member_role, p)) return {};
            return errc::permission_denied;
    }
    return errc::permission_denied;
}

std::string actor_text(const principal& who) {
    switch (who.type) {
        case principal::kind::operator_cli: return "cli";
        case principal::kind::integration_key: return "api_key:" + who.actor_id;
        case principal::kind::member: return "user:" + who.actor_id;
    }
    return "unknown";
}

namespace {

bool may_act_on_owners(const principal& actor) {
    return actor.type == principal::kind::operator_cli ||
           (actor.type == principal::kind::member && actor.member_role == role::owner);
}

bool may_manage_members(const principal& actor) {
    return actor.type == principal::kind::operator_cli ||
           (actor.type == principal::kind::member && role_grants(actor.member_role, permission::manage_members));
}

}  // namespace

result<std::string> checked_member_email(std::string_view text) {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    if (text.size() < 3 || text.size() > 254) return errc::invalid_member_email;
    for (const unsigned char c : text)
        if (c <= 0x20 || c == 0x7f) return errc::invalid_member_email;
    const auto at = text.find('@');
    if (at == std::string_view::npos || at == 0 || at + 1 == text.size() || text.find('@', at + 1) != std::string_view::npos)
        return errc::invalid_member_email;
    return std::string(text);
}

result<std::string> checked_display_name(std::string_view text) {
    if (text.size() > 200) return errc::invalid_display_name;
    for (const unsigned char c : text)
        if (c < 0x20 || c == 0x7f) return errc::invalid_display_name;
    return std::string(text);
}

result<void> judge_new_member(const principal& actor, role new_role) {
    if (!may_manage_members(actor)) return errc::permission_denied;
    if (new_role == role::owner && !may_act_on_owners(actor)) return errc::only_owner_may_touch_owner;
    return {};
}

result<void> judge_membership_change(
    const principal& actor, const membership_facts& target, const membership_change& change, int active_owners
) {
    using kind = membership_change::kind;
    if (!may_manage_members(actor)) return errc::permission_denied;
    if (actor.type == principal::kind::member && actor.actor_id == target.user_id) return errc::cannot_change_self;
    const bool touches_owner = target.current_role == role::owner ||
                               (change.type == kind::change_role && change.new_role == role::owner);
    if (touches_owner && !may_act_on_owners(actor)) return errc::only_owner_may_touch_owner;
    const auto privileged = [](role r) { return r == role::owner || r == role::admin; };
    const bool sensitive = change.type == kind::change_role && (privileged(target.current_role) || privileged(change.new_role));
    if (sensitive && !actor.fresh_login) return errc::fresh_login_required;
    const bool target_is_active_owner = target.current_role == role::owner && target.status == membership_status::active;
    const bool loses_owner = change.type == kind::suspend || change.type == kind::remove ||
                             (change.type == kind::change_role && change.new_role != role::owner);
    if (target_is_active_owner && loses_owner && active_owners <= 1) return errc::last_owner;
    if (change.type == kind::suspend && target.status == membership_status::suspended) return errc::invalid_membership_change;
    if (change.type == kind::unsuspend && target.status == membership_status::active) return errc::invalid_membership_change;
    return {};
}

}  // namespace chal::core
