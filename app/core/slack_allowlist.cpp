#include "app/core/slack_allowlist.hpp"

namespace chal::core {

const slack_allowlist_entry* entry_admitting(
    std::span<const slack_allowlist_entry> allowed, const slack_install_owner& owner
) noexcept {
    for (const auto& entry : allowed) {
        const bool by_org = entry.kind == slack_owner_kind::org && !owner.enterprise_id.empty() &&
                            entry.slack_id == owner.enterprise_id;
        const bool by_workspace = entry.kind == slack_owner_kind::workspace && !owner.is_enterprise_install &&
                                  !owner.team_id.empty() && entry.slack_id == owner.team_id;
        if (by_org || by_workspace) return &entry;
    }
    return nullptr;
}

slack_allowlist_entry entry_naming(const slack_install_owner& owner) {
    if (owner.is_enterprise_install) return {slack_owner_kind::org, owner.enterprise_id};
    return {slack_owner_kind::workspace, owner.team_id};
}

std::optional<slack_allowlist_entry> parse_slack_allowlist_entry(slack_owner_kind kind, std::string_view slack_id) {
    const char prefix = kind == slack_owner_kind::org ? 'E' : 'T';
    if (slack_id.size() < 2 || slack_id.size() > 32 || slack_id.front() != prefix) return std::nullopt;
    for (const char c : slack_id)
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return std::nullopt;
    return slack_allowlist_entry{kind, std::string(slack_id)};
}

std::string_view to_string(slack_owner_kind kind) noexcept {
    return kind == slack_owner_kind::org ? "org" : "workspace";
}

std::optional<slack_owner_kind> parse_slack_owner_kind(std::string_view text) noexcept {
    if (text == "workspace") return slack_owner_kind::workspace;
    if (text == "org") return slack_owner_kind::org;
    return std::nullopt;
}

}  // namespace chal::core
