// The Users page and /api/v1/users: list, add, change role, suspend, unsuspend, remove. Every
// operation authorizes the principal first; the membership rules are decided inside the
// database transaction (storage::console_store::change_membership).
#pragma once

#include "app/core/permissions.hpp"
#include "storage/console_store.hpp"

#include <boost/asio/awaitable.hpp>

#include <string>
#include <vector>

namespace chal::services {

class members {
public:
    members(storage::console_store& store, core::clock_function clock);

    boost::asio::awaitable<core::result<std::vector<storage::member_record>>> list(core::principal who, std::string tenant_id);
    boost::asio::awaitable<core::result<storage::member_record>> get(core::principal who, std::string tenant_id, std::string user_id);
    // role_text: owner, admin, analyst or viewer.
    boost::asio::awaitable<core::result<storage::member_record>> add(
        core::principal who, std::string tenant_id, std::string email, std::string display_name, std::string role_text,
        storage::request_origin origin
    );
    boost::asio::awaitable<core::result<void>> change(
        core::principal who, std::string tenant_id, std::string user_id, core::membership_change change,
        storage::request_origin origin
    );

private:
    // Refuses (and audits the refusal) unless `who` has `p` in the tenant.
    boost::asio::awaitable<core::result<void>> require(
        const core::principal& who, const std::string& tenant_id, core::permission p, std::string_view action,
        const storage::request_origin& origin
    );

    storage::console_store& store_;
    core::clock_function clock_;
};

}  // namespace chal::services
