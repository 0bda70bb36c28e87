// Shape of an install:
//   /slack/install: app by instance -> state + browser secret (stored as SHA-256) -> 302 to Slack
//   /slack/oauth_redirect: use the state once with the cookie -> error=? -> oauth.v2.access ->
//   auth.test with the new token (bot_id; team/org must agree) -> seal and store -> page.
#include "slack/app/oauth_install.hpp"

#include "api/verification/html.hpp"
#include "app/core/text.hpp"
#include "app/http/request_fields.hpp"
#include "slack/manifest.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <spdlog/spdlog.h>

#include <map>
#include <utility>
#include <variant>

namespace chal::slack_app {

namespace asio = boost::asio;
namespace bh = boost::beast::http;

namespace {

constexpr std::string_view cookie_base_name = "chal_slack_install";
constexpr std::size_t secret_bytes = 32;  // state and browser secret: 256 random bits each

bool is_https(std::string_view base) {
    return base.starts_with("https://");
}

std::string without_trailing_slash(std::string base) {
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base;
}

// Path=/slack/ keeps the cookie off every other page of the service; SameSite=Lax still sends
// it on Slack's top-level redirect back to us.
std::string browser_cookie(std::string_view base, std::string_view value, std::chrono::seconds max_age) {
    std::string cookie = oauth_browser_cookie_name(base) + "=" + std::string(value) +
                         "; Path=/slack/; Max-Age=" + std::to_string(max_age.count()) + "; HttpOnly; SameSite=Lax";
    if (is_https(base)) cookie += "; Secure";
    return cookie;
}

// Slack ids are short and alphanumeric; anything else in `team` is not forwarded.
bool is_slack_id(std::string_view id) {
    if (id.empty() || id.size() > 32) return false;
    for (const char c : id) {
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
    }
    return true;
}

// Slack's error codes are short snake_case words; the parameter comes from the browser, so
// anything else is cut before it reaches a log line or a page.
std::string error_code_text(std::string_view error) {
    std::string out;
    for (const char c : error.substr(0, 64)) {
        const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                           c == '.' || c == '-';
        out += plain ? c : '?';
    }
    return out;
}

std::string joined_bot_scopes() {
    std::string out;
    for (const auto scope : slack::bot_scopes) {
        if (!out.empty()) out += ',';
        out += scope;
    }
    return out;
}

// `message_html` is already escaped.
http::response page(unsigned status, std::string_view title, std::string_view message_html) {
    std::string main = "<h1>" + api::html_escape(title) + "</h1><p>" + std::string(message_html) + "</p>";
    return api::html_response(status, api::html_page(title, main));
}

http::response refused_state_page(storage::oauth_state_refusal why) {
    const std::string again = " Nothing was installed. Start again from the &ldquo;Add to Slack&rdquo; link.";
    switch (why) {
        case storage::oauth_state_refusal::unknown:
            return page(400, "This install link is not valid", "Slack sent us back with an install we did not start." + again);
        case storage::oauth_state_refusal::other_browser:
            return page(400, "Please finish the install in the browser you started it in",
                        "This install was started in another browser." + again);
        case storage::oauth_state_refusal::used:
            return page(400, "This install was already finished", "Each install can be completed once." + again);
        case storage::oauth_state_refusal::expired:
            return page(400, "This install has expired", "Installs must be completed within 10 minutes." + again);
    }
    return page(400, "This install link is not valid", again);
}

// What the installer is told when Slack gave no token or identity; the log gets log_text().
http::response slack_failure_page(const slack::web_api_error& e, std::string_view redirect_uri) {
    std::string text;
    if (e.kind == slack::web_api_errc::slack_error) {
        if (e.code == "invalid_code" || e.code == "code_already_used" || e.code == "code_expired") {
            text = "Slack did not accept the authorization (it may have expired or been used already).";
        } else if (e.code == "bad_client_secret" || e.code == "invalid_client_id") {
            text = "The client ID or client secret stored for this app is not the one Slack has. An administrator "
                   "must update them.";
        } else if (e.code == "bad_redirect_uri") {
            text = "Slack refused the redirect URL. The app&rsquo;s Redirect URL must be " +
                   api::html_escape(redirect_uri) + ".";
        } else {
            text = "Slack refused the installation.";
        }
        text += " Slack said: <code>" + api::html_escape(e.code) + "</code>.";
    } else if (e.kind == slack::web_api_errc::ratelimited) {
        text = "Slack asked us to slow down. Try again in a minute.";
    } else {
        text = "Slack could not be reached or gave no usable answer. Try again in a minute.";
    }
    return page(502, "The installation did not complete", text + " Nothing was installed.");
}

http::response mismatch_page() {
    return page(502, "The installation did not complete",
                "Slack&rsquo;s answers about the new installation did not agree. Nothing was installed; try again.");
}

std::string installed_page_html(const slack::oauth_access& access) {
    std::string main;
    if (access.is_enterprise_install) {
        const auto& name = access.enterprise_name.empty() ? access.enterprise_id : access.enterprise_name;
        main = "<p>The app is installed for the whole <strong>" + api::html_escape(name) +
               "</strong> organization. An organization admin now chooses the workspaces it is added to";
        if (!access.app_id.empty()) {
            main += " on <a href=\"https://app.slack.com/manage/" + api::html_escape(access.enterprise_id) +
                    "/integrations/profile/" + api::html_escape(access.app_id) +
                    "/workspaces/add\">the app&rsquo;s page in Slack</a>";
        }
        main += ".</p>";
    } else {
        const auto& name = access.team_name.empty() ? access.team_id : access.team_name;
        main = "<p>The app is installed in the <strong>" + api::html_escape(name) +
               "</strong> workspace. You can close this page, or <a href=\"https://app.slack.com/client/" +
               api::html_escape(access.team_id) + "\">open Slack</a>.</p>";
    }
    return "<h1>Installed in Slack</h1>" + main;
}

}  // namespace

std::string oauth_browser_cookie_name(std::string_view public_base_url) {
    return is_https(public_base_url) ? "__Secure-" + std::string(cookie_base_name) : std::string(cookie_base_name);
}

oauth_install::oauth_install(oauth_install_dependencies deps, oauth_install_settings settings)
    : deps_(std::move(deps)), settings_(std::move(settings)) {
    settings_.public_base_url = without_trailing_slash(std::move(settings_.public_base_url));
}

asio::awaitable<http::response> oauth_install::install(http::request_context& ctx) {
    const auto fields = http::decoded_fields(ctx.query);
    std::string instance = http::field_or_empty(fields, "instance");
    if (instance.empty()) {
        co_return page(400, "This install link is incomplete",
                       "It names no Slack app. Use the whole &ldquo;Add to Slack&rdquo; link you were given.");
    }
    // "%00" or "%FF" names no app, and no database could be asked about it.
    std::optional<storage::slack_app_record> app;
    if (core::is_clean_text(instance)) app = co_await deps_.store.find_app_by_instance(instance);
    if (!app) {
        co_return page(404, "Unknown Slack app",
                       "No Slack app has this install link. Check that you used the whole link.");
    }
    if (!app->client_id || !app->client_secret_sealed) {
        co_return page(400, "This Slack app cannot be installed from a link yet",
                       "Its client ID and client secret have not been entered. An administrator can add them with "
                       "<code>challenge slack set-credentials --client-id &hellip; --client-secret-file "
                       "&hellip;</code>.");
    }

    const auto state = crypto::base64url_encode(crypto::random_bytes(secret_bytes));
    const auto browser_secret = crypto::base64url_encode(crypto::random_bytes(secret_bytes));
    std::string state_hash = crypto::sha256(state);
    std::string browser_hash = crypto::sha256(browser_secret);
    std::string integration_id = app->integration_id;
    const auto expires_at = deps_.clock() + settings_.state_lifetime;
    co_await deps_.store.create_oauth_state(
        std::move(state_hash), std::move(integration_id), std::move(browser_hash), expires_at
    );

    const slack::manifest_params where{.base_url = settings_.public_base_url};
    std::string location = settings_.authorize_url;
    location += location.find('?') == std::string::npos ? '?' : '&';
    location += "client_id=" + http::url_component(*app->client_id);
    location += "&scope=" + http::url_component(joined_bot_scopes());
    location += "&redirect_uri=" + http::url_component(slack::oauth_redirect_url(where));
    location += "&state=" + http::url_component(state);
    if (const auto team = http::field_or_empty(fields, "team"); is_slack_id(team)) location += "&team=" + team;

    http::response res{bh::status::found, 11};
    res.set(bh::field::location, location);
    res.set(bh::field::set_cookie, browser_cookie(settings_.public_base_url, browser_secret, settings_.state_lifetime));
    api::add_security_headers(res);  // Cache-Control: no-store among them
    spdlog::info("slack install started integration_id={} instance_id={}", app->integration_id, app->instance_id);
    co_return res;
}

asio::awaitable<http::response> oauth_install::oauth_redirect(http::request_context& ctx) {
    auto res = co_await finish_install(ctx);
    // The browser secret has done its job whatever the outcome.
    res.set(bh::field::set_cookie, browser_cookie(settings_.public_base_url, "", std::chrono::seconds{0}));
    co_return res;
}

asio::awaitable<http::response> oauth_install::finish_install(http::request_context& ctx) {
    const auto fields = http::decoded_fields(ctx.query);
    const auto state = http::field_or_empty(fields, "state");
    const auto error = http::field_or_empty(fields, "error");
    const auto code = http::field_or_empty(fields, "code");
    // Org admins can also install from Slack's admin pages, which send no state; we only finish
    // installs started here.
    if (state.empty()) {
        co_return page(400, "This install did not start here",
                       "Slack sent us back without the install&rsquo;s state. Start the install from the &ldquo;Add "
                       "to Slack&rdquo; link. Nothing was installed.");
    }
    const auto cookie = http::cookie_value(ctx.req, oauth_browser_cookie_name(settings_.public_base_url));
    if (!cookie || cookie->empty()) {
        co_return page(400, "Please finish the install in the browser you started it in",
                       "This browser did not start the install, or does not allow cookies. Nothing was installed. "
                       "Start again from the &ldquo;Add to Slack&rdquo; link, with cookies allowed.");
    }

    std::string state_hash = crypto::sha256(state);
    std::string browser_hash = crypto::sha256(*cookie);
    const auto now = deps_.clock();
    const auto used = co_await deps_.store.consume_oauth_state(std::move(state_hash), std::move(browser_hash), now);
    if (const auto* why = std::get_if<storage::oauth_state_refusal>(&used)) co_return refused_state_page(*why);
    const auto& integration_id = std::get<std::string>(used);

    if (error == "access_denied") {
        spdlog::info("slack install cancelled integration_id={}", integration_id);
        co_return page(200, "Installation cancelled", "The app was not installed. You can close this page.");
    }
    if (!error.empty()) {
        const auto code_text = error_code_text(error);
        spdlog::warn("slack install ended by slack integration_id={} error={}", integration_id, code_text);
        co_return page(400, "The installation did not complete",
                       "Slack ended the install with <code>" + api::html_escape(code_text) +
                           "</code>. Nothing was installed.");
    }
    if (code.empty()) {
        co_return page(400, "The installation did not complete",
                       "Slack sent no authorization code. Nothing was installed; start again.");
    }

    auto app = co_await deps_.store.find_app_by_integration(integration_id);
    if (!app || !app->client_id || !app->client_secret_sealed) {
        co_return page(400, "This Slack app cannot be installed from a link now",
                       "Its client ID and client secret are no longer set. Nothing was installed.");
    }
    auto client_secret =
        deps_.secrets.open(*app->client_secret_sealed, storage::slack_client_secret_context(app->integration_id));
    if (!client_secret) {
        spdlog::error("slack client secret does not open integration_id={}", app->integration_id);
        co_return page(500, "The installation did not complete",
                       "This app&rsquo;s stored credentials cannot be read. Nothing was installed; please tell an "
                       "administrator.");
    }

    const slack::manifest_params where{.base_url = settings_.public_base_url};
    const auto redirect_uri = slack::oauth_redirect_url(where);
    slack::oauth_code_grant grant{*app->client_id, std::move(*client_secret), code, redirect_uri};
    auto access = co_await deps_.web_api.oauth_v2_access(std::move(grant), settings_.slack_timeout);
    if (!access) {
        spdlog::warn("slack install failed integration_id={} {}", integration_id, access.error().log_text());
        co_return slack_failure_page(access.error(), redirect_uri);
    }
    const auto& granted = *access;
    const bool names_owner = granted.is_enterprise_install ? !granted.enterprise_id.empty() : !granted.team_id.empty();
    if (!names_owner || granted.bot_user_id.empty() || (!granted.token_type.empty() && granted.token_type != "bot")) {
        spdlog::warn(
            "slack install failed: oauth.v2.access named no bot user, workspace or org integration_id={} token_type={}",
            integration_id, granted.token_type
        );
        co_return mismatch_page();
    }

    // oauth.v2.access has no bot_id; auth.test with the new token has it, and proves the token.
    slack::caller as;
    as.token = granted.access_token;
    as.workspace = granted.is_enterprise_install ? granted.enterprise_id : granted.team_id;
    as.timeout = settings_.slack_timeout;
    auto identity = co_await deps_.web_api.auth_test(std::move(as));
    if (!identity) {
        spdlog::warn("slack install failed integration_id={} {}", integration_id, identity.error().log_text());
        co_return slack_failure_page(identity.error(), redirect_uri);
    }
    const auto& who = *identity;
    const bool same_owner = granted.is_enterprise_install
                                ? who.is_enterprise_install && who.enterprise_id == granted.enterprise_id
                                : !who.is_enterprise_install && who.team_id == granted.team_id &&
                                      who.enterprise_id == granted.enterprise_id;
    if (!same_owner || who.user_id != granted.bot_user_id || who.bot_id.empty()) {
        spdlog::warn(
            "slack install failed: auth.test disagrees with oauth.v2.access integration_id={} oauth_team_id={} "
            "oauth_enterprise_id={} auth_team_id={} auth_enterprise_id={} oauth_bot_user={} auth_user={}",
            integration_id, granted.team_id, granted.enterprise_id, who.team_id, who.enterprise_id,
            granted.bot_user_id, who.user_id
        );
        co_return mismatch_page();
    }
    if (app->app_id && !granted.app_id.empty() && *app->app_id != granted.app_id) {
        spdlog::warn(
            "slack install: the stored app id differs from Slack's integration_id={} stored={} slack={}",
            integration_id, *app->app_id, granted.app_id
        );
    }

    storage::slack_installation_record record;
    record.id = crypto::new_uuid_v7(std::chrono::system_clock::now());
    record.integration_id = app->integration_id;
    record.tenant_id = app->tenant_id;
    if (!granted.is_enterprise_install) record.team_id = granted.team_id;  // org-wide: keyed by enterprise only
    if (!granted.enterprise_id.empty()) record.enterprise_id = granted.enterprise_id;
    record.is_enterprise_install = granted.is_enterprise_install;
    record.bot_user_id = granted.bot_user_id;
    record.bot_id = who.bot_id;
    record.scopes = granted.scope;
    record.bot_token_sealed = deps_.secrets.seal(granted.access_token, storage::slack_bot_token_context(record.id));
    // With token rotation the token expires (12 h) and the refresh token renews it.
    if (!granted.refresh_token.empty()) {
        record.refresh_token_sealed =
            deps_.secrets.seal(granted.refresh_token, storage::slack_refresh_token_context(record.id));
        if (granted.expires_in) record.token_expires_at = now + *granted.expires_in;
    }
    record.installed_at = now;
    const auto installation_id = record.id;
    co_await deps_.store.install(std::move(record), now);

    spdlog::info(
        "slack app installed integration_id={} installation_id={} team_id={} enterprise_id={} org_wide={} rotation={}",
        integration_id, installation_id, granted.team_id, granted.enterprise_id, granted.is_enterprise_install,
        !granted.refresh_token.empty()
    );
    co_return api::html_response(200, api::html_page("Installed in Slack", installed_page_html(granted)));
}

}  // namespace chal::slack_app
