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
#include "app/services/console_sso.hpp"
#include "app/services/dashboard.hpp"
#include "app/services/members.hpp"
#include "console/console_auth.hpp"

#include <optional>
#include <variant>
#include <string>
#include <vector>

namespace chal::api {
class oidc_client;
}

namespace chal::console {

struct console_settings {
    // The origin people reach the console at (scheme://host[:port]); non-GET requests from any
    // other origin are refused, and the session cookie is __Host- and Secure when it is https.
    std::string public_base_url = "http://127.0.0.1:8080";
    std::vector<std::string> trusted_proxies;
    // The development setting that lets a provider's sign-in page be plain http.
    bool allow_http_idp = false;
};

struct console_dependencies {
    console_auth& auth;
    services::console_access& access;
    services::members& members;
    services::dashboard& dashboard;
    services::challenge_views& challenges;
    services::audit_log& audit;
    services::console_sso& sso;
    api::oidc_client& oidc;  // the one OIDC relying party client, shared with the verification pages
    core::clock_function clock;
};

class console_pages {
public:
    struct signed_in_request;
    console_pages(console_dependencies deps, console_settings settings);

    boost::asio::awaitable<http::response> setup_form(http::request_context& ctx);  // GET /console/setup/{token}
    boost::asio::awaitable<http::response> setup(http::request_context& ctx);       // POST /console/setup/{token}
    // Console SSO (console/sso.cpp): sign in by the tenant's own OIDC client, and the step-up.
    boost::asio::awaitable<http::response> sign_in(http::request_context& ctx);        // GET /console/sign-in
    boost::asio::awaitable<http::response> start_sign_in(http::request_context& ctx);  // POST /console/sign-in
    boost::asio::awaitable<http::response> sso_callback(http::request_context& ctx);   // GET /console/auth/callback
    boost::asio::awaitable<http::response> reauthenticate(http::request_context& ctx); // POST /console/reauth
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
    // Sends the browser to the tenant's provider (a step-up when `step_up` is given).
    boost::asio::awaitable<http::response> redirect_to_provider(
        const http::request_context& ctx, std::string tenant_id, std::string return_to, const signed_in_request* step_up
    );
    http::response sso_refusal_page(unsigned status, std::string_view text) const;

    console_dependencies deps_;
    console_settings settings_;
    console_auth& auth_;
};

// A request made in a live session, with what its pages need.
struct console_pages::signed_in_request {
    storage::console_session_record session;
    core::principal who;
    std::string csrf;  // the synchronizer token every form of this session carries
    std::string nav;   // the page header for this member
};

}  // namespace chal::console
