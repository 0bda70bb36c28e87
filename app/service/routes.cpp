#include "app/service/routes.hpp"

namespace chal::service {
namespace {
using boost::beast::http::verb;

// Binds a member handler without a lambda capture at the call site of co_await (GCC 12).
template <class Api>
http::handler bind(Api& api, boost::asio::awaitable<http::response> (Api::*fn)(http::request_context&)) {
    return [&api, fn](http::request_context& ctx) { return (api.*fn)(ctx); };
}

}  // namespace

http::router make_router(
    api::challenge_api& challenges, api::ops_api& ops, api::verification_pages& pages, slack_app::ingress& slack,
    slack_app::oauth_install& install, console::static_assets& console_assets, console::console_pages& console, console::admin_api& admin
) {
    using console::admin_api;
    using console::console_pages;
    using api::challenge_api;
    using api::ops_api;
    using api::verification_pages;
    return http::router({
        {verb::post, "/api/v1/challenges", "challenges.create", bind(challenges, &challenge_api::create)},
        {verb::get, "/api/v1/challenges", "challenges.list", bind(challenges, &challenge_api::list)},
        {verb::get, "/api/v1/challenges/{challenge_id}", "challenges.get", bind(challenges, &challenge_api::get)},
        {verb::post, "/api/v1/challenges/{challenge_id}/cancel", "challenges.cancel",
         bind(challenges, &challenge_api::cancel)},
        // The console's resources as JSON, for a console session (console/admin_api.hpp).
        {verb::get, "/api/v1/users", "admin.users.list", bind(admin, &admin_api::list_users)},
        {verb::post, "/api/v1/users", "admin.users.add", bind(admin, &admin_api::add_user)},
        {verb::get, "/api/v1/users/{user_id}", "admin.users.get", bind(admin, &admin_api::get_user)},
        {verb::patch, "/api/v1/users/{user_id}", "admin.users.update", bind(admin, &admin_api::update_user)},
        {verb::delete_, "/api/v1/users/{user_id}", "admin.users.remove", bind(admin, &admin_api::remove_user)},
        {verb::get, "/api/v1/sessions", "admin.sessions.list", bind(admin, &admin_api::list_sessions)},
        {verb::delete_, "/api/v1/sessions/{session_id}", "admin.sessions.end", bind(admin, &admin_api::end_session)},
        {verb::get, "/api/v1/stats/challenges", "admin.stats.challenges", bind(admin, &admin_api::challenge_stats)},
        {verb::get, "/api/v1/audit-events", "admin.audit_events.list", bind(admin, &admin_api::audit_events)},
        {verb::get, "/api/v1/openapi.json", "openapi", bind(ops, &ops_api::openapi)},
        {verb::get, "/healthz", "healthz", bind(ops, &ops_api::healthz)},
        {verb::get, "/favicon.ico", "favicon", bind(ops, &ops_api::favicon)},
        {verb::get, "/readyz", "readyz", bind(ops, &ops_api::readyz)},
        {verb::get, "/metrics", "metrics", bind(ops, &ops_api::metrics_text)},
        // The target's browser (verification pages, the identity provider's answer, receipts).
        {verb::get, "/challenge/start/{challenge_id}", "verify.start", bind(pages, &verification_pages::start)},
        {verb::post, "/challenge/start/{challenge_id}/verify", "verify.begin", bind(pages, &verification_pages::verify)},
        {verb::get, "/challenge/start/{challenge_id}/report", "verify.report_form",
         bind(pages, &verification_pages::report_form)},
        {verb::post, "/challenge/start/{challenge_id}/report", "verify.report", bind(pages, &verification_pages::report)},
        {verb::get, "/auth/callback/oidc", "verify.oidc_callback", bind(pages, &verification_pages::oidc_callback)},
        {verb::get, "/saml/metadata", "saml.metadata", bind(pages, &verification_pages::saml_metadata)},
        {verb::post, "/saml/acs", "saml.acs", bind(pages, &verification_pages::saml_acs)},
        {verb::get, "/saml/continue/{flow_id}", "saml.continue", bind(pages, &verification_pages::saml_continue)},
        {verb::get, "/challenge/verified/{challenge_id}", "verify.done", bind(pages, &verification_pages::verified)},
        {verb::post, "/challenge/verified/{challenge_id}/device", "verify.device",
         bind(pages, &verification_pages::device_details)},
        {verb::get, "/.well-known/jwks.json", "receipts.jwks", bind(pages, &verification_pages::jwks)},
        {verb::get, "/static/device.js", "static.device_js", bind(pages, &verification_pages::device_script)},
        {verb::get, "/static/style.css", "static.style_css", bind(pages, &verification_pages::stylesheet)},
        // The admin console's scripts and stylesheet, under versioned names (console/static_assets.hpp).
        {verb::get, "/console/static/{file}", "console.static", bind(console_assets, &console::static_assets::serve)},
        // The admin console (console/pages.hpp): pages and forms, Post/Redirect/Get.
        {verb::get, "/console", "console.dashboard", bind(console, &console_pages::dashboard)},
        {verb::get, "/console/sign-in", "console.sign_in", bind(console, &console_pages::sign_in)},
        {verb::post, "/console/sign-in", "console.start_sign_in", bind(console, &console_pages::start_sign_in)},
        {verb::get, "/console/auth/callback", "console.sso_callback", bind(console, &console_pages::sso_callback)},
        {verb::post, "/console/reauth", "console.reauthenticate", bind(console, &console_pages::reauthenticate)},
        {verb::post, "/console/sign-out", "console.sign_out", bind(console, &console_pages::sign_out)},
        {verb::get, "/console/setup/{token}", "console.setup_form", bind(console, &console_pages::setup_form)},
        {verb::post, "/console/setup/{token}", "console.setup", bind(console, &console_pages::setup)},
        {verb::get, "/console/challenges", "console.challenges", bind(console, &console_pages::challenges)},
        {verb::get, "/console/challenges/{challenge_id}", "console.challenge", bind(console, &console_pages::challenge)},
        {verb::get, "/console/users", "console.users", bind(console, &console_pages::users)},
        {verb::post, "/console/users", "console.add_user", bind(console, &console_pages::add_user)},
        {verb::post, "/console/users/{user_id}", "console.change_user", bind(console, &console_pages::change_user)},
        {verb::get, "/console/audit", "console.audit", bind(console, &console_pages::audit)},
        {verb::get, "/console/sessions", "console.sessions", bind(console, &console_pages::sessions)},
        {verb::post, "/console/sessions/{session_id}/end", "console.end_session", bind(console, &console_pages::end_session)},
        // Slack: slash commands, interactivity and events, one signed URL per tenant's app.
        {verb::post, "/slack/{tenant}/{instance}/events", "slack.events", bind(slack, &slack_app::ingress::events)},
        {verb::get, "/slack/install", "slack.install", bind(install, &slack_app::oauth_install::install)},
        {verb::get, "/slack/oauth_redirect", "slack.oauth_redirect", bind(install, &slack_app::oauth_install::oauth_redirect)},
    });
}

}  // namespace chal::service
