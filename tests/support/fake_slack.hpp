// A fake Slack Web API on 127.0.0.1:<ephemeral>, served by our own http::server: records every
// call, answers the methods we use with realistic bodies, and follows a per-method script
// (ok:false, 429 with Retry-After, a slow answer, a closed connection). Also takes posts to
// response URLs at /response_url/<id>.
//
// Threading: like webhook_receiver, it lives on the test's io_context; read recordings and
// change the script only while that context is not running (between run() calls).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chal::testing {

struct slack_call {
    std::string method;           // "chat.postMessage"; "response_url" for a response_url post
    std::string response_url_id;  // the <id> of /response_url/<id>
    std::string target;           // as requested, query included
    std::vector<std::pair<std::string, std::string>> headers;
    std::string content_type;  // the Content-Type header as sent
    std::string token;         // from "Authorization: Bearer", else the form's `token` field
    std::string body;          // raw bytes
    bool json_body = false;    // Content-Type was application/json
    // Form fields (every value a string) or the JSON body's object. Recorded as sent, even
    // where Slack would ignore them (a JSON body to a form-only method).
    boost::json::object params;
    std::chrono::steady_clock::time_point arrived_at;

    // First header with this name, compared case-insensitively.
    std::optional<std::string_view> header(std::string_view name) const;
    // A string parameter, or "" when absent or not a string.
    std::string param(std::string_view name) const;
};

// What the fake does with one call.
struct slack_behaviour {
    enum class kind {
        answer,            // the canned success for the method, with `fields` merged over it
        slack_error,       // HTTP 200 {"ok": false, "error": error, ...fields}
        rate_limited,      // HTTP 429, Retry-After: retry_after, {"ok": false, "error": "ratelimited"}
        http_status,       // `status` with `body` as it is
        close_connection,  // read the request, then close the connection without answering
    };
    kind action = kind::answer;
    std::string error;
    boost::json::object fields;
    std::chrono::seconds retry_after{0};
    unsigned status = 200;
    std::string body;
    std::chrono::milliseconds delay{0};  // wait this long before acting (stop() ends the wait)

    static slack_behaviour answer(boost::json::object fields = {});
    static slack_behaviour slack_error(std::string code, boost::json::object fields = {});
    // missing_scope with `needed` and `provided`, as Slack sends it.
    static slack_behaviour missing_scope(std::string needed, std::string provided);
    static slack_behaviour rate_limited(std::chrono::seconds retry_after);
    static slack_behaviour http_status(unsigned status, std::string body);
    // The canned answer after `delay`.
    static slack_behaviour slow(std::chrono::milliseconds delay);
    // Closing is done by restarting the fake's server on the same port: every other connection
    // open at that moment (idle keep-alives, other slow calls) is closed too.
    static slack_behaviour close_connection();

    slack_behaviour after(std::chrono::milliseconds wait) const;
};

struct fake_slack_user {
    std::string id;
    std::string team_id = "T0FAKE";
    std::string name;
    std::string real_name;
    std::string display_name;
    std::string email;
    std::string tz = "Europe/Berlin";
    bool is_bot = false;
    bool deleted = false;
};

// What auth.test answers.
struct fake_slack_identity {
    std::string url = "https://fake-workspace.slack.com/";
    std::string team = "Fake Workspace";
    std::string user = "challenge";
    std::string team_id = "T0FAKE";
    std::string user_id = "U0BOT";
    std::string bot_id = "B0BOT";
    std::string enterprise_id;  // empty: not Enterprise Grid
    bool is_enterprise_install = false;
    std::string app_id = "A0FAKE";
    std::string scopes = "chat:write,commands,im:write,users:read,users:read.email";  // X-OAuth-Scopes
};

// The app and workspace oauth.v2.access installs into.
struct fake_oauth_app {
    std::string client_id = "1111.2222";
    std::string client_secret = "fake-client-secret";
    bool token_rotation = false;      // xoxe.xoxb- tokens with refresh_token and expires_in
    bool enterprise_install = false;  // org-wide: team null, is_enterprise_install true
    std::string team_id = "T0FAKE";
    std::string team_name = "Fake Workspace";
    std::string enterprise_id;  // needed for enterprise_install
    std::string enterprise_name;
    std::string app_id = "A0FAKE";
    std::string bot_user_id = "U0BOT";
    std::string scope = "chat:write,commands,im:write,users:read,users:read.email";
    std::string authed_user_id = "U0INSTALLER";
    std::chrono::seconds expires_in{43200};
};

class fake_slack {
public:
    // Listens on 127.0.0.1 with an ephemeral port and starts accepting at once.
    explicit fake_slack(boost::asio::any_io_executor executor);
    ~fake_slack();  // stop()
    fake_slack(const fake_slack&) = delete;
    fake_slack& operator=(const fake_slack&) = delete;

    std::uint16_t port() const;
    std::string base_url() const;                         // "http://127.0.0.1:<port>/api/"
    std::string response_url_prefix() const;              // "http://127.0.0.1:<port>/response_url/"
    std::string response_url(std::string_view id) const;  // `id` is one path segment

    // Behaviours for the next calls of `method` ("response_url" for response URLs), one per
    // call in arrival order, appended to what is left. Then the method's default applies, and
    // without one the canned answer.
    void script(std::string method, std::vector<slack_behaviour> behaviours);
    void set_default(std::string method, slack_behaviour behaviour);

    // users.lookupByEmail (case-insensitive) and users.info find these; others are
    // users_not_found / user_not_found.
    void add_user(fake_slack_user user);
    // conversations.open (and chat.postMessage to a user id) answer this DM id; default "D" + user id.
    void set_dm_channel(std::string user_id, std::string channel_id);
    void set_identity(fake_slack_identity identity);
    void set_oauth_app(fake_oauth_app app);
    // Codes oauth.v2.access accepts, once each; other codes are invalid_code.
    void add_oauth_code(std::string code);
    // Tokens the Web API accepts; others get invalid_auth, none not_authed. Empty (the
    // default): any token.
    void set_valid_tokens(std::vector<std::string> tokens);

    std::vector<slack_call> calls() const;
    std::vector<slack_call> calls(std::string_view method) const;
    std::size_t count(std::string_view method) const;
    void clear_calls();

    // Waits until at least `n` calls of `method` ("" = any) were recorded; false if the
    // deadline came first.
    boost::asio::awaitable<bool> wait_for_calls(
        std::string method, std::size_t n, std::chrono::steady_clock::time_point deadline
    );

    // Stops accepting, closes every connection and ends pending delays. Idempotent.
    void stop();

    struct state;

private:
    std::shared_ptr<state> state_;
};

}  // namespace chal::testing
