// The console's resources as JSON under /api/v1 (users, sessions, challenge stats), for
// automation and scripts: the same service calls as the HTML pages, authenticated by a console
// session; a request that changes state also passes the cross-origin check and carries the
// session's token in X-CSRF-Token. Errors are the contract's {"error": "..."}.
#pragma once

#include "app/http/handler.hpp"
#include "app/services/audit_log.hpp"
#include "app/services/dashboard.hpp"
#include "app/services/members.hpp"
#include "console/console_auth.hpp"

namespace chal::console {

struct admin_api_dependencies {
    console_auth& auth;
    services::console_access& access;
    services::members& members;
    services::dashboard& dashboard;
    services::audit_log& audit;
};

class admin_api {
public:
    explicit admin_api(admin_api_dependencies deps) : deps_(deps) {}

    boost::asio::awaitable<http::response> list_users(http::request_context& ctx);     // GET /api/v1/users
    boost::asio::awaitable<http::response> add_user(http::request_context& ctx);       // POST /api/v1/users
    boost::asio::awaitable<http::response> get_user(http::request_context& ctx);       // GET /api/v1/users/{user_id}
    boost::asio::awaitable<http::response> update_user(http::request_context& ctx);    // PATCH /api/v1/users/{user_id}
    boost::asio::awaitable<http::response> remove_user(http::request_context& ctx);    // DELETE /api/v1/users/{user_id}
    boost::asio::awaitable<http::response> list_sessions(http::request_context& ctx);  // GET /api/v1/sessions
    boost::asio::awaitable<http::response> end_session(http::request_context& ctx);    // DELETE /api/v1/sessions/{session_id}
    boost::asio::awaitable<http::response> challenge_stats(http::request_context& ctx);  // GET /api/v1/stats/challenges
    boost::asio::awaitable<http::response> audit_events(http::request_context& ctx);     // GET /api/v1/audit-events

private:
    // The member behind the request, or the refusal to answer with.
    boost::asio::awaitable<std::variant<signed_in_member, http::response>> caller(http::request_context& ctx, bool changes_state);

    admin_api_dependencies deps_;
};

}  // namespace chal::console
