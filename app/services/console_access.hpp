// How people get into the console and stay in: single-use setup links an operator prints,
// server-side sessions behind a cookie token, sign-out, and "your sessions".
#pragma once

#include "app/core/console_session.hpp"
#include "app/core/permissions.hpp"
#include "storage/console_store.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace chal::services {

struct console_access_settings {
    core::console_session_limits limits;
    std::chrono::seconds setup_link_lifetime{std::chrono::hours{24}};
};

// A setup link's secret part: 256 random bits, base64url. Only its hash is stored.
struct issued_setup_link {
    std::string token;
    core::timestamp expires_at;
};

// A new session: the cookie's token (only its hash is stored) and the session itself.
struct signed_in {
    std::string token;
    storage::console_session_record session;
};

class console_access {
public:
    console_access(storage::console_store& store, core::clock_function clock, console_access_settings settings = {});

    // The operator (or an Owner, for their own tenant) prints a link that makes `email` a member
    // with `role` on first use. purpose: "setup" or "recover" (break-glass).
    boost::asio::awaitable<core::result<issued_setup_link>> issue_setup_link(
        core::principal who, std::string tenant_id, std::string email, core::role role, std::string purpose,
        storage::request_origin origin
    );
    // The link behind `token` if it can still be used (writes nothing).
    boost::asio::awaitable<std::optional<storage::setup_link_record>> inspect_setup_link(std::string token);
    boost::asio::awaitable<core::result<signed_in>> redeem_setup_link(std::string token, storage::request_origin origin);
    // A new session (new token) for whom the tenant's console identity provider vouched
    // (storage::console_store::open_sso_session decides who that is and whether they may).
    boost::asio::awaitable<core::result<signed_in>> open_sso_session(storage::sso_sign_in in, storage::request_origin origin);

    // The live session behind a cookie token, or nullopt.
    boost::asio::awaitable<std::optional<storage::console_session_record>> session_for(std::string token);
    core::principal principal_of(const storage::console_session_record& session) const;
    boost::asio::awaitable<void> sign_out(std::string token);

    boost::asio::awaitable<std::vector<storage::console_session_record>> own_sessions(core::principal who);
    boost::asio::awaitable<std::vector<storage::membership_summary>> own_memberships(core::principal who);
    // Ends one of the principal's own sessions. errc::not_found_in_tenant if it is not theirs or
    // already over.
    boost::asio::awaitable<core::result<void>> end_own_session(core::principal who, std::string session_id);

    const console_access_settings& settings() const noexcept { return settings_; }

private:
    storage::console_store& store_;
    core::clock_function clock_;
    console_access_settings settings_;
};

}  // namespace chal::services
