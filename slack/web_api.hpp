// The Slack Web API client: one POST per call over http::client, form or JSON bodies as each
// method requires, Slack's {"ok": false} answers and 429s as values, and a per (method,
// workspace) memory of Retry-After so a limited method fails fast without reaching Slack.
#pragma once

#include "app/http/client.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/assert/source_location.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chal::slack {

struct web_api_config {
    // Method names are appended: "<base_url>chat.postMessage". Tests point it at the fake.
    std::string base_url = "https://slack.com/api/";
    // respond_to_response_url refuses any URL that does not start with this.
    std::string response_url_prefix = "https://hooks.slack.com/";
    std::chrono::milliseconds timeout{10000};  // per call unless the caller gives one
    // Used when a 429 carries no usable Retry-After (Slack always sends one; proxies may not).
    std::chrono::seconds default_retry_after{1};
};

// How the arguments travel. Slack accepts form bodies for every method but JSON only for the
// write methods on its JSON list (chat.*, conversations.open, views.*); users.lookupByEmail,
// users.info and oauth.v2.access must be form-encoded.
enum class body_encoding { form, json };

// The encoding our helpers use for `method`: JSON for Slack's JSON-capable write methods we
// call, form for everything else (including auth.test, which takes either).
body_encoding encoding_for(std::string_view method) noexcept;

// Who makes a call and how long it may take. A named variable at the call site (g++ 12).
struct caller {
    std::string token;  // sent as "Authorization: Bearer <token>"; empty: no Authorization header
    // Slack counts rate limits per method and workspace: the team id, or the enterprise id of
    // an org-wide install. Empty: the token stands for its workspace.
    std::string workspace;
    std::chrono::milliseconds timeout{0};  // 0: web_api_config::timeout
};

enum class web_api_errc {
    slack_error = 1,  // HTTP 200 with {"ok": false}: web_api_error::code names it
    ratelimited,      // HTTP 429, or a call inside an earlier Retry-After (then never sent)
    http_error,       // an HTTP status other than 200 and 429 (Slack's 5xx, a proxy's 502)
    transport,        // no usable response (timeout, connection closed, ...): see `transport`
    bad_response,     // 200, but not a JSON object with a boolean "ok" (or over the size limit)
    refused_url,      // respond_to_response_url: the URL is not under response_url_prefix
};

std::string_view to_string(web_api_errc e) noexcept;

// Why a call produced no usable answer. Carries no token.
struct web_api_error {
    web_api_errc kind = web_api_errc::transport;
    std::string method;  // "users.lookupByEmail"; "response_url" for respond_to_response_url
    // Slack's "error" for slack_error ("users_not_found", "missing_scope"), "ratelimited",
    // the client_errc name for transport ("timeout"), otherwise a short description.
    std::string code;
    std::string needed;                   // missing_scope: the scope(s) the method wants
    std::string provided;                 // missing_scope: the scopes the token has
    std::vector<std::string> messages;    // response_metadata.messages (invalid_blocks, ...)
    std::chrono::seconds retry_after{0};  // ratelimited: how long Slack asked us to wait
    bool sent = true;          // false: refused locally (Retry-After memory, refused URL); Slack saw nothing
    unsigned http_status = 0;  // 0 when no response arrived
    boost::system::error_code transport;  // http::client_errc when kind == transport

    bool is_slack_error(std::string_view slack_code) const noexcept {
        return kind == web_api_errc::slack_error && code == slack_code;
    }
    bool is_timeout() const noexcept;
    // One line for the log: method, kind, code, needed/provided, messages, retry_after.
    std::string log_text() const;
};

// Thrown only by result::value() on an error: the usual path reads has_value()/error().
class web_api_failure : public std::runtime_error {
public:
    explicit web_api_failure(web_api_error e);
    const web_api_error& error() const noexcept { return error_; }

private:
    web_api_error error_;
};

[[noreturn]] void throw_exception_from_error(const web_api_error& e, const boost::source_location& loc);

template <class T>
using web_api_result = boost::system::result<T, web_api_error>;

struct api_response {
    boost::json::object body;           // the whole answer, "ok": true included
    std::string oauth_scopes;           // X-OAuth-Scopes: the token's scopes, comma-separated
    std::vector<std::string> warnings;  // "warning" and response_metadata.warnings
};
using api_result = web_api_result<api_response>;

// auth.test: who a token is. For a bot token user_id is the bot user.
struct auth_identity {
    std::string url;
    std::string team;
    std::string user;
    std::string team_id;
    std::string user_id;
    std::string bot_id;         // bot tokens only
    std::string enterprise_id;  // Enterprise Grid only
    std::string app_id;
    bool is_enterprise_install = false;
    std::string scopes;  // X-OAuth-Scopes header
};

// The fields of Slack's user object we read (users.info, users.lookupByEmail).
struct workspace_user {
    std::string id;
    std::string team_id;
    std::string name;
    std::string real_name;
    std::string display_name;
    std::string email;  // only with users:read.email
    std::string tz;
    bool deleted = false;
    bool is_bot = false;
    bool is_app_user = false;
    bool is_restricted = false;
    bool is_ultra_restricted = false;
};

// A message for chat.postMessage, chat.update and chat.postEphemeral.
struct outgoing_message {
    std::string channel;        // a channel or DM id (chat.update needs the D… id, not a user id)
    std::string text;           // always sent: Slack uses it for notifications and screen readers
    boost::json::array blocks;  // empty: not sent (on chat.update that removes the old blocks)
    std::string thread_ts;      // empty: not in a thread
    std::string ts;             // chat.update: the message to replace
    std::string user;           // chat.postEphemeral: who sees it
    boost::json::object extra;  // further arguments as they are (metadata, unfurl_links, ...)
};

struct posted_message {
    std::string channel;
    std::string ts;  // chat.postEphemeral: message_ts
};

struct view_ref {
    std::string id;
    std::string hash;
};

struct oauth_code_grant {
    std::string client_id;
    std::string client_secret;
    std::string code;
    std::string redirect_uri;  // the one sent to /oauth/v2/authorize; empty if none was sent
};

struct oauth_refresh_grant {
    std::string client_id;
    std::string client_secret;
    std::string refresh_token;
};

// oauth.v2.access. team_* are empty for org-wide installs (team: null); enterprise_* are empty
// outside Enterprise Grid. refresh_token and expires_in are set with token rotation only.
struct oauth_access {
    std::string access_token;  // the bot token (xoxb-, or xoxe.xoxb- with rotation)
    std::string token_type;    // "bot" (or "user" for a user-token refresh)
    std::string scope;         // comma-separated
    std::string bot_user_id;
    std::string app_id;
    std::string team_id;
    std::string team_name;
    std::string enterprise_id;
    std::string enterprise_name;
    bool is_enterprise_install = false;
    std::string refresh_token;
    std::optional<std::chrono::seconds> expires_in;
    std::string authed_user_id;
    std::string authed_user_scope;
    std::string authed_user_token;  // only when user scopes were requested
};

// Not thread-safe: use from the thread that runs the http::client's executor (B.6). The client
// and this object must outlive every call in flight. Coroutine arguments are taken by value.
class web_api_client {
public:
    web_api_client(http::client& client, web_api_config config);

    // POSTs `params` to <base_url><method>. Every remote failure is a web_api_error value;
    // only cancellation of the caller and out-of-memory throw. After a 429 the same method for
    // the same workspace fails with `ratelimited` (sent = false) until Retry-After has passed.
    boost::asio::awaitable<api_result> call(
        std::string method, caller as, boost::json::object params, body_encoding encoding
    );
    // As above with the token's own workspace key and the configured timeout.
    boost::asio::awaitable<api_result> call(
        std::string method, std::string token, boost::json::object params, body_encoding encoding
    );

    boost::asio::awaitable<web_api_result<auth_identity>> auth_test(caller as);
    // users_not_found (also for deactivated users) comes back as a slack_error.
    boost::asio::awaitable<web_api_result<workspace_user>> users_lookup_by_email(caller as, std::string email);
    boost::asio::awaitable<web_api_result<workspace_user>> users_info(caller as, std::string user_id);
    // Opens (or finds) the DM with one user; returns its channel id (D…).
    boost::asio::awaitable<web_api_result<std::string>> conversations_open(caller as, std::string user_id);
    boost::asio::awaitable<web_api_result<posted_message>> chat_post_message(
        caller as, outgoing_message message
    );
    boost::asio::awaitable<web_api_result<posted_message>> chat_update(caller as, outgoing_message message);
    boost::asio::awaitable<web_api_result<posted_message>> chat_post_ephemeral(
        caller as, outgoing_message message
    );
    // `view` is a whole view object ("type": "home" for views.publish, "modal" for views.open).
    boost::asio::awaitable<web_api_result<view_ref>> views_publish(
        caller as, std::string user_id, boost::json::object view
    );
    boost::asio::awaitable<web_api_result<view_ref>> views_open(
        caller as, std::string trigger_id, boost::json::object view
    );
    // Client credentials go in the form body; rate limits are keyed by client id. `timeout`
    // 0 means the configured one.
    boost::asio::awaitable<web_api_result<oauth_access>> oauth_v2_access(
        oauth_code_grant grant, std::chrono::milliseconds timeout
    );
    boost::asio::awaitable<web_api_result<oauth_access>> oauth_v2_access(
        oauth_refresh_grant grant, std::chrono::milliseconds timeout
    );

    // POSTs `message` as JSON to a response_url from a slash command or interaction. Refuses
    // (refused_url, nothing sent) a URL outside web_api_config::response_url_prefix. Success is
    // any 2xx that is not {"ok": false}.
    boost::asio::awaitable<web_api_result<void>> respond_to_response_url(
        std::string url, boost::json::object message, std::chrono::milliseconds timeout
    );

    // When calls to `method` for `workspace` (as caller::workspace, or the token's key when
    // given a caller without one) may go out again; nullopt if they may now.
    std::optional<std::chrono::steady_clock::time_point> blocked_until(
        std::string_view method, const caller& as
    ) const;

    const web_api_config& config() const noexcept { return config_; }

private:
    std::string limit_key(std::string_view method, const caller& as) const;
    boost::asio::awaitable<web_api_result<posted_message>> send_message(
        std::string method, caller as, outgoing_message message
    );

    http::client& http_;
    web_api_config config_;
    std::map<std::string, std::chrono::steady_clock::time_point, std::less<>> blocked_;
};

}  // namespace chal::slack
