#include "tests/support/fake_slack.hpp"

#include "app/http/handler.hpp"
#include "app/http/router.hpp"
#include "app/http/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <deque>
#include <exception>
#include <functional>
#include <list>
#include <map>
#include <set>

namespace chal::testing {

namespace asio = boost::asio;
namespace json = boost::json;
namespace bhttp = boost::beast::http;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequal(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

bool istarts_with(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() && iequal(text.substr(0, prefix.size()), prefix);
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// application/x-www-form-urlencoded: '+' is a space, %XX a byte; a broken escape stays as is.
std::string form_decode_component(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '+') {
            out += ' ';
            continue;
        }
        const int high = c == '%' && i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
        const int low = high >= 0 ? hex_value(text[i + 2]) : -1;
        if (low >= 0) {
            out += static_cast<char>(high * 16 + low);
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

json::object form_decode(std::string_view body) {
    json::object out;
    while (!body.empty()) {
        const auto amp = body.find('&');
        const auto pair = body.substr(0, amp);
        body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        const auto key = form_decode_component(pair.substr(0, eq));
        const auto value =
            eq == std::string_view::npos ? std::string{} : form_decode_component(pair.substr(eq + 1));
        out[key] = value;
    }
    return out;
}

// Slack's JSON-capable methods among those the fake knows; the rest read form bodies only and
// ignore JSON ones (https://api.slack.com/web#posting_json).
bool accepts_json(std::string_view method) {
    static constexpr std::array<std::string_view, 10> methods{
        "auth.test",
        "chat.postMessage",
        "chat.update",
        "chat.postEphemeral",
        "chat.delete",
        "conversations.open",
        "views.open",
        "views.publish",
        "views.update",
        "views.push"};
    return std::find(methods.begin(), methods.end(), method) != methods.end();
}

std::string string_param(const json::object& params, std::string_view name) {
    const auto* v = params.if_contains(name);
    return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string{};
}

// A nested argument: a JSON value in a JSON body, JSON text in a form field.
std::optional<json::value> nested_param(const json::object& params, std::string_view name) {
    const auto* v = params.if_contains(name);
    if (v == nullptr) return std::nullopt;
    if (!v->is_string()) return *v;
    boost::system::error_code ec;
    auto parsed = json::parse(v->get_string(), ec);
    if (ec) return std::nullopt;
    return parsed;
}

using header_pairs = std::vector<std::pair<std::string, std::string>>;

struct canned_answer {
    json::object body;
    header_pairs headers;
};

json::object failure(std::string_view code) {
    return json::object{{"ok", false}, {"error", code}};
}

json::object invalid_arguments(std::string_view missing) {
    auto body = failure("invalid_arguments");
    body["response_metadata"] =
        json::object{{"messages", json::array{"[ERROR] missing required field: " + std::string(missing)}}};
    return body;
}

http::response json_response(unsigned status, const json::object& body, const header_pairs& headers) {
    http::response res;
    res.result(status);
    res.set(bhttp::field::content_type, "application/json; charset=utf-8");
    for (const auto& [name, value] : headers) res.set(name, value);
    res.body() = json::serialize(body);
    return res;
}

json::value user_json(const fake_slack_user& u) {
    return json::object{
        {"id", u.id},
        {"team_id", u.team_id},
        {"name", u.name},
        {"deleted", u.deleted},
        {"real_name", u.real_name},
        {"tz", u.tz},
        {"is_admin", false},
        {"is_bot", u.is_bot},
        {"is_app_user", false},
        {"is_restricted", false},
        {"is_ultra_restricted", false},
        {"profile",
         json::object{
             {"real_name", u.real_name},
             {"display_name", u.display_name},
             {"email", u.email},
             {"team", u.team_id}}}};
}

}  // namespace

std::optional<std::string_view> slack_call::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (iequal(key, name)) return value;
    }
    return std::nullopt;
}

std::string slack_call::param(std::string_view name) const {
    return string_param(params, name);
}

slack_behaviour slack_behaviour::answer(json::object fields) {
    slack_behaviour b;
    b.fields = std::move(fields);
    return b;
}

slack_behaviour slack_behaviour::slack_error(std::string code, json::object fields) {
    slack_behaviour b;
    b.action = kind::slack_error;
    b.error = std::move(code);
    b.fields = std::move(fields);
    return b;
}

slack_behaviour slack_behaviour::missing_scope(std::string needed, std::string provided) {
    json::object fields{{"needed", needed}, {"provided", provided}};
    return slack_error("missing_scope", std::move(fields));
}

slack_behaviour slack_behaviour::rate_limited(std::chrono::seconds retry_after) {
    slack_behaviour b;
    b.action = kind::rate_limited;
    b.retry_after = retry_after;
    return b;
}

slack_behaviour slack_behaviour::http_status(unsigned status, std::string body) {
    slack_behaviour b;
    b.action = kind::http_status;
    b.status = status;
    b.body = std::move(body);
    return b;
}

slack_behaviour slack_behaviour::slow(std::chrono::milliseconds delay) {
    slack_behaviour b;
    b.delay = delay;
    return b;
}

slack_behaviour slack_behaviour::close_connection() {
    slack_behaviour b;
    b.action = kind::close_connection;
    return b;
}

slack_behaviour slack_behaviour::after(std::chrono::milliseconds wait) const {
    slack_behaviour b = *this;
    b.delay = wait;
    return b;
}

// Everything the handlers share. The route handlers hold it weakly (the server it owns holds
// them); a handler in progress holds it strongly, so the fake object may go first.
struct fake_slack::state {
    explicit state(asio::any_io_executor ex) : executor(std::move(ex)) {}

    asio::any_io_executor executor;
    std::unique_ptr<http::server> server;
    std::uint16_t port = 0;
    bool stopped = false;

    std::map<std::string, std::deque<slack_behaviour>, std::less<>> scripts;
    std::map<std::string, slack_behaviour, std::less<>> defaults;
    std::vector<fake_slack_user> users;
    std::map<std::string, std::string, std::less<>> dm_channels;
    fake_slack_identity identity;
    fake_oauth_app oauth;
    std::set<std::string, std::less<>> oauth_codes;
    std::set<std::string, std::less<>> refresh_tokens;
    std::vector<std::string> valid_tokens;
    std::uint64_t sequence = 0;

    std::vector<slack_call> recorded;
    std::list<asio::steady_timer*> waiters;  // wait_for_calls
    std::list<asio::steady_timer*> delays;   // behaviours waiting out their delay

    slack_behaviour next_behaviour(std::string_view method) {
        if (auto it = scripts.find(method); it != scripts.end() && !it->second.empty()) {
            auto b = std::move(it->second.front());
            it->second.pop_front();
            return b;
        }
        if (auto it = defaults.find(method); it != defaults.end()) return it->second;
        return slack_behaviour{};
    }

    void notify() {
        for (auto* timer : waiters) timer->cancel();
    }

    std::string next_id(std::string_view prefix) { return std::string(prefix) + std::to_string(++sequence); }

    std::string next_ts() { return std::to_string(1700000000 + ++sequence) + ".000100"; }

    std::string dm_for(std::string_view user_id) {
        if (auto it = dm_channels.find(user_id); it != dm_channels.end()) return it->second;
        return "D" + std::string(user_id);
    }

    const fake_slack_user* find_user(const std::function<bool(const fake_slack_user&)>& match) const {
        const auto it = std::find_if(users.begin(), users.end(), match);
        return it == users.end() ? nullptr : &*it;
    }
};

namespace {

using state_ptr = std::shared_ptr<fake_slack::state>;

struct delay_registration {
    std::list<asio::steady_timer*>& list;
    std::list<asio::steady_timer*>::iterator it;
    ~delay_registration() { list.erase(it); }
};

slack_call record(const http::request_context& ctx, std::string method, std::string response_url_id) {
    const auto& req = ctx.req;
    slack_call c;
    c.method = std::move(method);
    c.response_url_id = std::move(response_url_id);
    c.target = std::string(req.target());
    for (const auto& field : req) {
        c.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    c.content_type = std::string(req[bhttp::field::content_type]);
    c.body = req.body();
    c.json_body = istarts_with(c.content_type, "application/json");
    if (c.json_body) {
        boost::system::error_code ec;
        auto parsed = json::parse(c.body, ec);
        if (!ec && parsed.is_object()) c.params = std::move(parsed.get_object());
    } else {
        c.params = form_decode(c.body);
    }
    const std::string_view authorization = req[bhttp::field::authorization];
    if (istarts_with(authorization, "Bearer ")) {
        c.token = std::string(authorization.substr(7));
    } else if (!c.json_body) {
        c.token = c.param("token");
    }
    c.arrived_at = std::chrono::steady_clock::now();
    return c;
}

void add_warning(json::object& body, std::string_view warning) {
    body["warning"] = warning;
    body["response_metadata"] = json::object{{"warnings", json::array{warning}}};
}

canned_answer oauth_answer(fake_slack::state& st, const json::object& p) {
    const auto& app = st.oauth;
    if (string_param(p, "client_id") != app.client_id) return {failure("invalid_client_id"), {}};
    if (string_param(p, "client_secret") != app.client_secret) return {failure("bad_client_secret"), {}};

    const bool refresh = string_param(p, "grant_type") == "refresh_token";
    if (refresh) {
        const auto it = st.refresh_tokens.find(string_param(p, "refresh_token"));
        if (!app.token_rotation || it == st.refresh_tokens.end())
            return {failure("invalid_refresh_token"), {}};
        st.refresh_tokens.erase(it);  // refresh tokens are single-use
    } else {
        const auto it = st.oauth_codes.find(string_param(p, "code"));
        if (it == st.oauth_codes.end()) return {failure("invalid_code"), {}};
        st.oauth_codes.erase(it);
    }

    json::object body{{"ok", true}, {"app_id", app.app_id}};
    if (!refresh) body["authed_user"] = json::object{{"id", app.authed_user_id}};
    body["scope"] = app.scope;
    body["token_type"] = "bot";
    body["access_token"] = st.next_id(app.token_rotation ? "xoxe.xoxb-1-fake" : "xoxb-fake-");
    body["bot_user_id"] = app.bot_user_id;
    if (app.enterprise_install) {
        body["team"] = nullptr;
    } else {
        body["team"] = json::object{{"id", app.team_id}, {"name", app.team_name}};
    }
    if (app.enterprise_id.empty()) {
        body["enterprise"] = nullptr;
    } else {
        body["enterprise"] = json::object{{"id", app.enterprise_id}, {"name", app.enterprise_name}};
    }
    body["is_enterprise_install"] = app.enterprise_install;
    if (app.token_rotation) {
        auto refresh_token = st.next_id("xoxe-1-fake-refresh-");
        st.refresh_tokens.insert(refresh_token);
        body["refresh_token"] = refresh_token;
        body["expires_in"] = app.expires_in.count();
    }
    return {std::move(body), {}};
}

json::object view_answer(fake_slack::state& st, const json::object& p) {
    auto view = nested_param(p, "view");
    json::object v = view && view->is_object() ? std::move(view->get_object()) : json::object{};
    v["id"] = st.next_id("V0FAKE");
    v["team_id"] = st.identity.team_id;
    v["hash"] = st.next_id("1700000000.fakehash");
    v["app_id"] = st.identity.app_id;
    v["bot_id"] = st.identity.bot_id;
    return json::object{{"ok", true}, {"view", std::move(v)}};
}

json::object message_json(fake_slack::state& st, const json::object& p, const std::string& ts) {
    json::object m{
        {"type", "message"},
        {"text", string_param(p, "text")},
        {"user", st.identity.user_id},
        {"bot_id", st.identity.bot_id},
        {"ts", ts}};
    if (auto blocks = nested_param(p, "blocks")) m["blocks"] = std::move(*blocks);
    return m;
}

// The success (or Slack's own error) for `call`, as the real Web API would answer it.
canned_answer canned(fake_slack::state& st, const slack_call& call) {
    const std::string& method = call.method;
    if (method == "oauth.v2.access") {
        // Never JSON: Slack reads the client credentials from the form only.
        static const json::object none;
        return oauth_answer(st, call.json_body ? none : call.params);
    }

    if (call.token.empty()) return {failure("not_authed"), {}};
    if (!st.valid_tokens.empty() &&
        std::find(st.valid_tokens.begin(), st.valid_tokens.end(), call.token) == st.valid_tokens.end()) {
        return {failure("invalid_auth"), {}};
    }

    // A JSON body to a form-only method reaches Slack as no arguments at all.
    static const json::object no_params;
    const json::object& p = call.json_body && !accepts_json(method) ? no_params : call.params;

    canned_answer out;
    if (method == "auth.test") {
        const auto& id = st.identity;
        out.body = json::object{
            {"ok", true},
            {"url", id.url},
            {"team", id.team},
            {"user", id.user},
            {"team_id", id.team_id},
            {"user_id", id.user_id},
            {"bot_id", id.bot_id},
            {"app_id", id.app_id},
            {"is_enterprise_install", id.is_enterprise_install}};
        if (!id.enterprise_id.empty()) out.body["enterprise_id"] = id.enterprise_id;
        out.headers.emplace_back("X-OAuth-Scopes", id.scopes);
    } else if (method == "users.lookupByEmail") {
        const auto email = string_param(p, "email");
        if (email.empty()) return {invalid_arguments("email"), {}};
        // Deactivated users are users_not_found too (Slack's documented behaviour).
        const auto* user = st.find_user([&](const auto& u) { return iequal(u.email, email) && !u.deleted; });
        if (user == nullptr) return {failure("users_not_found"), {}};
        out.body = json::object{{"ok", true}, {"user", user_json(*user)}};
    } else if (method == "users.info") {
        const auto id = string_param(p, "user");
        if (id.empty()) return {invalid_arguments("user"), {}};
        const auto* user = st.find_user([&](const auto& u) { return u.id == id; });
        if (user == nullptr) return {failure("user_not_found"), {}};
        out.body = json::object{{"ok", true}, {"user", user_json(*user)}};
    } else if (method == "conversations.open") {
        auto users = string_param(p, "users");
        if (users.empty()) return {failure("users_list_not_supplied"), {}};
        const auto first = users.substr(0, users.find(','));
        out.body = json::object{{"ok", true}, {"channel", json::object{{"id", st.dm_for(first)}}}};
    } else if (method == "chat.postMessage") {
        auto channel = string_param(p, "channel");
        if (channel.empty()) return {failure("channel_not_found"), {}};
        if (string_param(p, "text").empty() && !p.contains("blocks")) return {failure("no_text"), {}};
        // A user id as channel posts to the DM with that user (the app's messages tab).
        if (channel.front() == 'U' || channel.front() == 'W') channel = st.dm_for(channel);
        const auto ts = st.next_ts();
        out.body = json::object{
            {"ok", true}, {"channel", channel}, {"ts", ts}, {"message", message_json(st, p, ts)}};
    } else if (method == "chat.update") {
        const auto channel = string_param(p, "channel");
        const auto ts = string_param(p, "ts");
        if (channel.empty()) return {failure("channel_not_found"), {}};
        if (ts.empty()) return {failure("message_not_found"), {}};
        out.body = json::object{
            {"ok", true},
            {"channel", channel},
            {"ts", ts},
            {"text", string_param(p, "text")},
            {"message", message_json(st, p, ts)}};
    } else if (method == "chat.postEphemeral") {
        if (string_param(p, "channel").empty()) return {failure("channel_not_found"), {}};
        if (string_param(p, "user").empty()) return {invalid_arguments("user"), {}};
        out.body = json::object{{"ok", true}, {"message_ts", st.next_ts()}};
    } else if (method == "views.publish") {
        if (string_param(p, "user_id").empty()) return {invalid_arguments("user_id"), {}};
        if (!p.contains("view")) return {invalid_arguments("view"), {}};
        out.body = view_answer(st, p);
    } else if (method == "chat.getPermalink") {
        const auto channel = string_param(p, "channel");
        auto ts = string_param(p, "message_ts");
        if (channel.empty() || ts.empty()) return {invalid_arguments(channel.empty() ? "channel" : "message_ts"), {}};
        std::erase(ts, '.');
        out.body = json::object{{"ok", true}, {"channel", channel},
                                {"permalink", "https://fake-workspace.slack.com/archives/" + channel + "/p" + ts}};
    } else if (method == "apps.uninstall") {
        // The app's own credentials, with the token of the installation to remove.
        if (string_param(p, "client_id") != st.oauth.client_id) return {failure("invalid_client_id"), {}};
        if (string_param(p, "client_secret") != st.oauth.client_secret) return {failure("bad_client_secret"), {}};
        out.body = json::object{{"ok", true}};
    } else if (method == "views.open") {
        if (string_param(p, "trigger_id").empty()) return {invalid_arguments("trigger_id"), {}};
        if (!p.contains("view")) return {invalid_arguments("view"), {}};
        out.body = view_answer(st, p);
    } else {
        return {failure("unknown_method"), {}};
    }
    if (call.json_body && call.content_type.find("charset") == std::string::npos) {
        add_warning(out.body, "missing_charset");
    }
    return out;
}

void start_server(const state_ptr& st);

// Closes the connection the current request came on (with every other one): our server has no
// way to drop a single connection from a handler, so the fake replaces the whole server,
// bound to the same port (SO_REUSEADDR) before the io_context runs again.
void restart_server(const state_ptr& st) {
    st->server.reset();
    if (!st->stopped) start_server(st);
}

asio::awaitable<http::response> act(state_ptr st, slack_behaviour b, const slack_call& call) {
    if (b.delay.count() > 0) {
        asio::steady_timer timer{st->executor, b.delay};
        delay_registration reg{st->delays, st->delays.insert(st->delays.end(), &timer)};
        co_await timer.async_wait(use_tuple);  // stop() cancels it
    }
    if (st->stopped) {
        co_return json_response(503, failure("service_unavailable"), {});
    }
    switch (b.action) {
        case slack_behaviour::kind::close_connection: {
            restart_server(st);
            co_return http::response{};  // its connection is closed: never written
        }
        case slack_behaviour::kind::rate_limited: {
            const header_pairs headers{{"Retry-After", std::to_string(b.retry_after.count())}};
            co_return json_response(429, failure("ratelimited"), headers);
        }
        case slack_behaviour::kind::slack_error: {
            auto body = failure(b.error);
            for (const auto& [key, value] : b.fields) body[key] = value;
            co_return json_response(200, body, {});
        }
        case slack_behaviour::kind::http_status: {
            http::response res;
            res.result(b.status);
            res.set(bhttp::field::content_type, "text/plain; charset=utf-8");
            res.body() = b.body;
            co_return res;
        }
        case slack_behaviour::kind::answer:
            break;
    }
    canned_answer answer;
    if (call.method == "response_url") {
        answer.body = json::object{{"ok", true}};
    } else {
        answer = canned(*st, call);
    }
    for (const auto& [key, value] : b.fields) answer.body[key] = value;
    co_return json_response(200, answer.body, answer.headers);
}

asio::awaitable<http::response> handle(
    state_ptr st, http::request_context& ctx, std::string method, std::string response_url_id
) {
    if (!st || st->stopped) {
        co_return json_response(503, failure("service_unavailable"), {});
    }
    auto call = record(ctx, std::move(method), std::move(response_url_id));
    st->recorded.push_back(call);
    st->notify();
    auto behaviour = st->next_behaviour(call.method);
    auto res = co_await act(st, std::move(behaviour), call);
    co_return res;
}

void start_server(const state_ptr& st) {
    http::server_config cfg;
    cfg.address = "127.0.0.1";
    cfg.port = st->port;  // 0 the first time; the same port after a restart
    cfg.body_limit = 4 * 1024 * 1024;

    const std::weak_ptr<fake_slack::state> weak = st;
    // Plain lambdas handing named values to a free coroutine: no capturing coroutine lambda and
    // no braced temporary as a coroutine argument (g++ 12).
    auto api = [weak](http::request_context& ctx) {
        std::string method(ctx.param("method"));
        std::string no_id;
        return handle(weak.lock(), ctx, std::move(method), std::move(no_id));
    };
    auto response_url = [weak](http::request_context& ctx) {
        std::string method = "response_url";
        std::string id(ctx.param("id"));
        return handle(weak.lock(), ctx, std::move(method), std::move(id));
    };
    std::vector<http::route> routes;
    routes.push_back({bhttp::verb::post, "/api/{method}", "slack.api", std::move(api)});
    routes.push_back({bhttp::verb::post, "/response_url/{id}", "slack.response_url", std::move(response_url)}
    );

    st->server = std::make_unique<http::server>(
        st->executor, cfg, http::router{std::move(routes)}, http::server_hooks{}
    );
    st->port = st->server->local_port();
    auto accepting = st->server->run();
    auto ignore_completion = [](const std::exception_ptr&) {};
    asio::co_spawn(st->executor, std::move(accepting), ignore_completion);
}

}  // namespace

fake_slack::fake_slack(asio::any_io_executor executor)
    : state_(std::make_shared<state>(std::move(executor))) {
    start_server(state_);
}

fake_slack::~fake_slack() {
    stop();
}

std::uint16_t fake_slack::port() const {
    return state_->port;
}

std::string fake_slack::base_url() const {
    return "http://127.0.0.1:" + std::to_string(state_->port) + "/api/";
}

std::string fake_slack::response_url_prefix() const {
    return "http://127.0.0.1:" + std::to_string(state_->port) + "/response_url/";
}

std::string fake_slack::response_url(std::string_view id) const {
    return response_url_prefix() + std::string(id);
}

void fake_slack::script(std::string method, std::vector<slack_behaviour> behaviours) {
    auto& queue = state_->scripts[method];
    for (auto& b : behaviours) queue.push_back(std::move(b));
}

void fake_slack::set_default(std::string method, slack_behaviour behaviour) {
    state_->defaults[method] = std::move(behaviour);
}

void fake_slack::add_user(fake_slack_user user) {
    state_->users.push_back(std::move(user));
}

void fake_slack::set_dm_channel(std::string user_id, std::string channel_id) {
    state_->dm_channels[user_id] = std::move(channel_id);
}

void fake_slack::set_identity(fake_slack_identity identity) {
    state_->identity = std::move(identity);
}

void fake_slack::set_oauth_app(fake_oauth_app app) {
    state_->oauth = std::move(app);
}

void fake_slack::add_oauth_code(std::string code) {
    state_->oauth_codes.insert(std::move(code));
}

void fake_slack::set_valid_tokens(std::vector<std::string> tokens) {
    state_->valid_tokens = std::move(tokens);
}

std::vector<slack_call> fake_slack::calls() const {
    return state_->recorded;
}

std::vector<slack_call> fake_slack::calls(std::string_view method) const {
    std::vector<slack_call> out;
    for (const auto& c : state_->recorded) {
        if (c.method == method) out.push_back(c);
    }
    return out;
}

std::size_t fake_slack::count(std::string_view method) const {
    return static_cast<std::size_t>(std::count_if(
        state_->recorded.begin(),
        state_->recorded.end(),
        [method](const auto& c) { return c.method == method; }
    ));
}

void fake_slack::clear_calls() {
    state_->recorded.clear();
}

asio::awaitable<bool> fake_slack::wait_for_calls(
    std::string method, std::size_t n, std::chrono::steady_clock::time_point deadline
) {
    const state_ptr st = state_;
    auto seen = [&st, &method] {
        if (method.empty()) return st->recorded.size();
        return static_cast<std::size_t>(std::count_if(
            st->recorded.begin(), st->recorded.end(), [&method](const auto& c) { return c.method == method; }
        ));
    };
    while (seen() < n && std::chrono::steady_clock::now() < deadline && !st->stopped) {
        asio::steady_timer timer{st->executor, deadline};
        delay_registration reg{st->waiters, st->waiters.insert(st->waiters.end(), &timer)};
        co_await timer.async_wait(use_tuple);
    }
    co_return seen() >= n;
}

void fake_slack::stop() {
    if (state_->stopped) return;
    state_->stopped = true;
    state_->server.reset();
    for (auto* timer : state_->delays) timer->cancel();
    state_->notify();
}

}  // namespace chal::testing
