// "Add to Slack": the OAuth v2 install of a tenant's Slack app into a workspace or an Enterprise
// Grid org. GET /slack/install?instance=<id> sends the browser to Slack's authorize page with a
// signed state bound to a cookie, storing nothing (anyone may send that GET); GET
// /slack/oauth_redirect records the state's single use, exchanges the code (oauth.v2.access),
// confirms the new bot token with auth.test and stores the installation.
#pragma once

#include "app/core/bounded_cache.hpp"
#include "app/core/rate_limit.hpp"
#include "app/core/time.hpp"
#include "app/crypto/crypto.hpp"
#include "app/http/handler.hpp"
#include "slack/web_api.hpp"
#include "storage/slack_store.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chal::slack_app {

struct oauth_install_settings {
    // The service's public base ("https://challenge.example.com"); the redirect URI is
    // <base>/slack/oauth_redirect, as in the app manifest.
    std::string public_base_url = "http://127.0.0.1:8080";
    // Slack's authorize page; tests point it elsewhere.
    std::string authorize_url = "https://slack.com/oauth/v2/authorize";
    // How long a started install may take (Slack's codes themselves live 10 minutes).
    std::chrono::seconds state_lifetime{600};
    // Per Slack call (oauth.v2.access, auth.test) while the browser waits.
    std::chrono::milliseconds slack_timeout{10000};
    // Both routes need no credential, so each client address gets this many requests (an
    // install is two); more get 429. The buckets live in a cache bounded like every other.
    core::rate_limit per_client{.per_second = 0.2, .burst = 20};
    core::cache_limits clients{.max_entries = 10'000, .max_bytes = 2 * 1024 * 1024};
    // Our reverse proxies, whose X-Forwarded-For names the client (CHALLENGE_TRUSTED_PROXIES).
    std::vector<std::string> trusted_proxies;
};

struct oauth_install_dependencies {
    storage::slack_store& store;
    const crypto::secret_box& secrets;
    slack::web_api_client& web_api;
    core::clock_function clock;
};

// Name of the cookie holding the browser secret that the install's state is bound to: with the
// __Secure- prefix when the public base is https.
std::string oauth_browser_cookie_name(std::string_view public_base_url);

// An administrator of `tenant_id`, signed in to the admin console.
struct signed_in_admin {
    std::string tenant_id;
    std::string admin_id;
};

class oauth_install {
public:
    oauth_install(oauth_install_dependencies deps, oauth_install_settings settings);

    // GET /slack/install?instance=<instance_id>[&team=<T...>]: 302 to Slack's authorize URL with
    // client_id, scope (the manifest's bot scopes), redirect_uri and a signed state, and the
    // browser cookie the state is bound to. Writes nothing. An HTML page instead when the
    // instance is unknown (404) or not set up for installing (no client id/secret: 400), and 429
    // past the client's rate.
    boost::asio::awaitable<http::response> install(http::request_context& ctx);
    // The same install started by a signed-in admin of the app's tenant (404 for another
    // tenant's app): the workspace or org Slack installs into is added to the allowlist
    // ("admin:<id>") rather than refused when it is not on it. The hook for the admin console;
    // nothing routes here until the console exists, since an admin cannot be signed in yet.
    boost::asio::awaitable<http::response> install_for_admin(http::request_context& ctx, signed_in_admin admin);

    // GET /slack/oauth_redirect?code=..&state=.. (or ?error=..&state=..): checks the state's
    // signature, browser (this request's cookie) and expiry, records its one use, exchanges the
    // code, checks the bot token with auth.test and that Slack installed this app (app_id), and
    // stores the installation (a reinstall replaces the previous one) when the app's allowlist
    // admits its workspace or org. A refused installation is uninstalled again. Every outcome is
    // an HTML page: 200 installed or cancelled, 400 for a state that is unknown, used, expired or
    // from another browser, 403 for a workspace or org not allowed, 429 past the client's rate,
    // 502 when Slack refused, could not be reached or installed another app. Database failures
    // throw.
    boost::asio::awaitable<http::response> oauth_redirect(http::request_context& ctx);

private:
    boost::asio::awaitable<http::response> start_install(http::request_context& ctx, std::optional<signed_in_admin> admin);
    // oauth_redirect without the cookie's removal, which every outcome gets.
    boost::asio::awaitable<http::response> finish_install(http::request_context& ctx);
    // A 429 page when the request's client has used up its rate.
    std::optional<http::response> refuse_if_throttled(const http::request_context& ctx);
    // apps.uninstall with the token of an installation that was refused (best effort, logged).
    boost::asio::awaitable<void> uninstall(slack::oauth_access granted, std::string client_id, std::string client_secret);

    oauth_install_dependencies deps_;
    oauth_install_settings settings_;
    std::string state_key_;  // derived from the master key: every instance signs and checks alike
    core::bounded_cache<core::token_bucket> clients_;  // by client address
};

}  // namespace chal::slack_app
