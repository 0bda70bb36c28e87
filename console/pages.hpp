// The console's HTML front door: signing in with a setup link, the dashboard, the challenge list
// and detail, the Users page and a member's own sessions. Every handler parses the request, calls one application service
// (app/services) and renders its answer; no rule is decided here. Every page works without
// JavaScript (forms and Post/Redirect/Get); htmx only enhances.
#pragma once

#include "app/core/time.hpp"
#include "app/http/handler.hpp"
#include "app/services/audit_log.hpp"
#include "app/services/challenge_views.hpp"
#include "app/services/console_access.hpp"
#include "app/services/dashboard.hpp"
#include "app/services/members.hpp"
#include "console/console_auth.hpp"

#include <optional>
#include <variant>
#include <string>
#include <vector>

namespace chal::console {

struct console_dependencies {
    console_auth& auth;
    services::console_access& access;
    services::members& members;
    services::dashboard& dashboard;
    services::challenge_views& challenges;
    services::audit_log& audit;
    core::clock_function clock;
};

class console_pages {
public:
    struct signed_in_request;
    explicit console_pages(console_dependencies deps);

    boost::asio::awaitable<http::response> setup_form(http::request_context& ctx);  // GET /console/setup/{token}
    boost::asio::awaitable<http::response> setup(http::request_context& ctx);       // POST /console/setup/{token}
    boost::asio::awaitable<http::response> sign_in(http::request_context& ctx);     // GET /console/sign-in
    boost::asio::awaitable<http::response> sign_out(http::request_context& ctx);    // POST /console/sign-out
    boost::asio::awaitable<http::response> dashboard(http::request_context& ctx);   // GET /console
    boost::asio::awaitable<http::response> challenges(http::request_context& ctx);  // GET /console/challenges
    boost::asio::awaitable<http::response> challenge(http::request_context& ctx);   // GET /console/challenges/{challenge_id}
    boost::asio::awaitable<http::response> users(http::request_context& ctx);       // GET /console/users
    boost::asio::awaitable<http::response> add_user(http::request_context& ctx);    // POST /console/users
    boost::asio::awaitable<http::response> change_user(http::request_context& ctx); // POST /console/users/{user_id}
    boost::asio::awaitable<http::response> audit(http::request_context& ctx);       // GET /console/audit
    boost::asio::awaitable<http::response> sessions(http::request_context& ctx);    // GET /console/sessions
    boost::asio::awaitable<http::response> end_session(http::request_context& ctx); // POST /console/sessions/{session_id}/end

private:
    struct user_form;
    boost::asio::awaitable<http::response> users_page(const signed_in_request& me, unsigned status, const user_form& form);
    // The request's live session, or the answer to give instead: sign in, or refused (a
    // state-changing request from another origin or without this session's form token).
    boost::asio::awaitable<std::variant<signed_in_request, http::response>> signed_in(http::request_context& ctx, bool changes_state);
    std::optional<http::response> refuse_cross_origin(const http::request_context& ctx) const;
    http::response sign_in_redirect() const;

    console_dependencies deps_;
    console_auth& auth_;
};

}  // namespace chal::console
