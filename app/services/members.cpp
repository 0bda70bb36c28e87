#include "app/services/members.hpp"

#include "app/crypto/crypto.hpp"

namespace chal::services {

members::members(storage::console_store& store, core::clock_function clock) : store_(store), clock_(std::move(clock)) {}

boost::asio::awaitable<core::result<void>> members::require(
    const core::principal& who, const std::string& tenant_id, core::permission p, std::string_view action,
    const storage::request_origin& origin
) {
    auto allowed = core::authorize(who, tenant_id, p);
    // A refusal in the principal's own tenant is recorded; another tenant's log is not theirs to write in.
    if (!allowed && allowed.error() == core::errc::permission_denied) {
        storage::admin_audit_event denied{tenant_id, core::actor_text(who), std::string(action), "member", "", "denied", std::nullopt};
        co_await store_.record(std::move(denied), origin, clock_());
    }
    co_return allowed;
}

boost::asio::awaitable<core::result<std::vector<storage::member_record>>> members::list(core::principal who, std::string tenant_id) {
    if (auto allowed = core::authorize(who, tenant_id, core::permission::view_members); !allowed) co_return allowed.error();
    co_return co_await store_.members(tenant_id);
}

boost::asio::awaitable<core::result<storage::member_record>> members::get(
    core::principal who, std::string tenant_id, std::string user_id
) {
    if (auto allowed = core::authorize(who, tenant_id, core::permission::view_members); !allowed) co_return allowed.error();
    if (!crypto::is_uuid(user_id)) co_return core::errc::member_not_found;
    auto found = co_await store_.member(tenant_id, user_id);
    if (!found) co_return core::errc::member_not_found;
    co_return std::move(*found);
}

boost::asio::awaitable<core::result<storage::member_record>> members::add(
    core::principal who, std::string tenant_id, std::string email, std::string display_name, std::string role_text,
    storage::request_origin origin
) {
    if (auto allowed = co_await require(who, tenant_id, core::permission::manage_members, "member.added", origin); !allowed)
        co_return allowed.error();
    auto checked_email = core::checked_member_email(email);
    if (!checked_email) co_return checked_email.error();
    auto checked_name = core::checked_display_name(display_name);
    if (!checked_name) co_return checked_name.error();
    const auto role = core::parse_role(role_text);
    if (!role) co_return core::errc::invalid_role;
    if (auto allowed = core::judge_new_member(who, *role); !allowed) co_return allowed.error();
    co_return co_await store_.add_member(tenant_id, *checked_email, *checked_name, *role,
                                         crypto::new_uuid_v7(std::chrono::system_clock::now()), who, clock_(),
                                         std::move(origin));
}

boost::asio::awaitable<core::result<void>> members::change(
    core::principal who, std::string tenant_id, std::string user_id, core::membership_change change,
    storage::request_origin origin
) {
    if (auto allowed = co_await require(who, tenant_id, core::permission::manage_members, "member.changed", origin); !allowed)
        co_return allowed.error();
    if (!crypto::is_uuid(user_id)) co_return core::errc::member_not_found;
    co_return co_await store_.change_membership(tenant_id, user_id, change, who, clock_(), std::move(origin));
}

}  // namespace chal::services
