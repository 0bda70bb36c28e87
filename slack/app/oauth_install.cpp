// Shape of an install:
//   /slack/install: app by instance -> browser secret (cookie) + state signed over the app, the
//   secret's SHA-256 and the expiry -> 302 to Slack. Nothing is written.
//   /slack/oauth_redirect: state's signature, browser and expiry -> record its use once ->
//   error=? -> oauth.v2.access -> auth.test with the new token (bot_id; team/org must agree) ->
//   seal and store -> page.
#include "slack/app/oauth_install.hpp"

#include "api/verification/html.hpp"
#include "app/core/text.hpp"
#include "app/http/request_fields.hpp"
#include "slack/manifest.hpp"
#include "slack/oauth_state.hpp"

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
constexpr std::size_t secret_bytes = 32;  // the browser secret: 256 random bits
constexpr std::string_view state_key_purpose = "slack oauth state";

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

http::response refused_state_page(slack::oauth_state_refusal why) {
    const std::string again = " Nothing was installed. Start again from the &ldquo;Add to Slack&rdquo; link.";
    switch (why) {
        case slack::oauth_state_refusal::unknown:
            return page(400, "This install link is not valid", "Slack sent us back with an install we did not start." + again);
        case slack::oauth_state_refusal::other_browser:
            return page(400, "Please finish the install in the browser you started it in",
                        "This install was started in another browser." + again);
        case slack::oauth_state_refusal::used:
            return page(400, "This install was already finished", "Each install can be completed once." + again);
        case slack::oauth_state_refusal::expired:
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

http::response not_allowed_page(const slack::oauth_access& access) {
    const auto what = access.is_enterprise_install
                          ? "the <strong>" + api::html_escape(access.enterprise_id) + "</strong> organization"
                          : "the <strong>" + api::html_escape(access.team_id) + "</strong> workspace";
    return page(403, "This workspace may not install this app",
                "This Challenge app only installs where its administrator allowed it. Ask them to allow " + what +
                    ", then install again. Nothing was installed.");
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
    : deps_(std::move(deps)),
      settings_(std::move(settings)),
      state_key_(deps_.secrets.derive_key(state_key_purpose)),
      clients_(settings_.clients) {
    settings_.public_base_url = without_trailing_slash(std::move(settings_.public_base_url));
}

std::optional<http::response> oauth_install::refuse_if_throttled(const http::request_context& ctx) {
    const auto client = http::client_address(ctx, settings_.trusted_proxies);
    core::token_bucket bucket;
    if (const auto* known = clients_.find(client)) bucket = *known;
    const auto decision = core::take_token(bucket, settings_.per_client, std::chrono::steady_clock::now());
    clients_.insert_or_assign(client, bucket, 0);
    // No log line of its own: the request log has the 429, and a flood must not double it.
    if (decision.allowed) return std::nullopt;
    auto res = page(429, "Too many install attempts",
                    "Please wait " + std::to_string(decision.retry_after.count()) + " seconds, then try again.");
    res.set(bh::field::retry_after, std::to_string(decision.retry_after.count()));
    return res;
}

asio::awaitable<http::response> oauth_install::install(http::request_context& ctx) {
    co_return co_await start_install(ctx, std::nullopt);
}

asio::awaitable<http::response> oauth_install::install_for_admin(http::request_context& ctx, signed_in_admin admin) {
    co_return co_await start_install(ctx, std::move(admin));
}

asio::awaitable<http::response> oauth_install::start_install(http::request_context& ctx, std::optional<signed_in_admin> admin) {
    if (auto refused = refuse_if_throttled(ctx)) co_return std::move(*refused);
    const auto fields = http::decoded_fields(ctx.query);
    std::string instance = http::field_or_empty(fields, "instance");
    if (instance.empty()) {
        co_return page(400, "This install link is incomplete",
                       "It names no Slack app. Use the whole &ldquo;Add to Slack&rdquo; link you were given.");
    }
    // Only a well-formed instance id (which "%00" or "%FF" never is) is looked up.
    std::optional<storage::slack_app_record> app;
    if (slack::is_instance_id(instance)) app = co_await deps_.store.find_app_by_instance(instance);
    // An admin vouches only for their own tenant's apps.
    if (!app || (admin && admin->tenant_id != app->tenant_id)) {
        co_return page(404, "Unknown Slack app",
                       "No Slack app has this install link. Check that you used the whole link.");
    }
    if (!app->client_id || !app->client_secret_sealed) {
        co_return page(400, "This Slack app cannot be installed from a link yet",
                       "Its client ID and client secret have not been entered. An administrator can add them with "
                       "<code>challenge slack set-credentials --client-id &hellip; --client-secret-file "
                       "&hellip;</code>.");
    }

    const auto browser_secret = crypto::base64url_encode(crypto::random_bytes(secret_bytes));
    const slack::oauth_state_claims claims{
        app->integration_id, crypto::sha256(browser_secret), deps_.clock() + settings_.state_lifetime,
        admin ? "admin:" + admin->admin_id : std::string()};
    const auto state = slack::issue_oauth_state(state_key_, claims);

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
    spdlog::info("slack install started integration_id={} instance_id={} by_admin={}", app->integration_id,
                 app->instance_id, admin.has_value());
    co_return res;
}

asio::awaitable<http::response> oauth_install::oauth_redirect(http::request_context& ctx) {
    // The cookie stays: the install can be finished once the rate allows.
    if (auto refused = refuse_if_throttled(ctx)) co_return std::move(*refused);
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

    const auto now = deps_.clock();
    auto read = slack::read_oauth_state(state_key_, state, crypto::sha256(*cookie), now);
    if (const auto* why = std::get_if<slack::oauth_state_refusal>(&read)) co_return refused_state_page(*why);
    const auto claims = std::get<slack::oauth_state_claims>(std::move(read));
    // The one write before Slack vouches for anything, for a state we signed, for this browser,
    // in time: what a flood of anonymous requests cannot reach without first passing the rate.
    const bool first_use = co_await deps_.store.use_oauth_state(
        crypto::sha256(state), claims.integration_id, claims.browser_hash, claims.expires_at, now
    );
    if (!first_use) co_return refused_state_page(slack::oauth_state_refusal::used);
    const auto& integration_id = claims.integration_id;

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
    const std::string grant_secret = *client_secret;
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
            integration_id, core::escaped_for_log(granted.token_type)
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
            integration_id, core::escaped_for_log(granted.team_id), core::escaped_for_log(granted.enterprise_id),
            core::escaped_for_log(who.team_id), core::escaped_for_log(who.enterprise_id),
            core::escaped_for_log(granted.bot_user_id), core::escaped_for_log(who.user_id)
        );
        co_return mismatch_page();
    }
    // The link's client id must install the app this instance is: an app set up without an app
    // id takes Slack's word for it now (oauth.v2.access answered our client secret).
    std::optional<std::string> recorded_app_id = app->app_id;
    if (!recorded_app_id && !granted.app_id.empty())
        recorded_app_id = co_await deps_.store.record_app_id(app->integration_id, granted.app_id);
    if (granted.app_id.empty() || recorded_app_id != granted.app_id) {
        spdlog::warn("slack install refused: Slack installed another app integration_id={} recorded_app_id={} slack_app_id={}",
                     integration_id, core::escaped_for_log(recorded_app_id.value_or("-")),
                     core::escaped_for_log(granted.app_id));
        co_await uninstall(granted, *app->client_id, grant_secret);
        co_return page(502, "The installation did not complete",
                       "Slack installed a different app than this link is for (its client ID belongs to another app). "
                       "Nothing was installed; an administrator must check the app&rsquo;s credentials.");
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
    std::optional<std::string> admitted_by;
    if (!claims.admitted_by.empty()) admitted_by = claims.admitted_by;
    if (!co_await deps_.store.install_if_allowed(std::move(record), now, admitted_by)) {
        spdlog::warn("slack install refused: not on the app's allowlist integration_id={} team_id={} enterprise_id={} org_wide={}",
                     integration_id, core::escaped_for_log(granted.team_id), core::escaped_for_log(granted.enterprise_id),
                     granted.is_enterprise_install);
        co_await uninstall(granted, *app->client_id, grant_secret);
        co_return not_allowed_page(granted);
    }

    spdlog::info(
        "slack app installed integration_id={} installation_id={} team_id={} enterprise_id={} org_wide={} rotation={}",
        integration_id, installation_id, core::escaped_for_log(granted.team_id),
        core::escaped_for_log(granted.enterprise_id), granted.is_enterprise_install, !granted.refresh_token.empty()
    );
    co_return api::html_response(200, api::html_page("Installed in Slack", installed_page_html(granted)));
}

asio::awaitable<void> oauth_install::uninstall(slack::oauth_access granted, std::string client_id, std::string client_secret) {
    // The token is not kept, so the app must not stay in that workspace looking installed.
    slack::caller as;
    as.token = granted.access_token;
    as.workspace = granted.is_enterprise_install ? granted.enterprise_id : granted.team_id;
    as.timeout = settings_.slack_timeout;
    boost::json::object params{{"client_id", std::move(client_id)}, {"client_secret", std::move(client_secret)}};
    auto removed = co_await deps_.web_api.call("apps.uninstall", std::move(as), std::move(params), slack::body_encoding::form);
    if (!removed) spdlog::warn("slack refused install not uninstalled {}", removed.error().log_text());
}

}  // namespace chal::slack_app
