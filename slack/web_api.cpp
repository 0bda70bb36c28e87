// The Web API client. Shape of one call():
//   Retry-After memory for (method, workspace) -> encode (form or JSON) -> http::client::send
//   -> interpret (pure: status, Retry-After, JSON body -> api_result) -> remember a 429.
#include "slack/web_api.hpp"

#include "app/core/text.hpp"
#include "app/crypto/crypto.hpp"
#include "app/http/url.hpp"

#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <stdexcept>

namespace chal::slack {

namespace asio = boost::asio;
namespace json = boost::json;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr std::string_view form_content_type = "application/x-www-form-urlencoded";
// Without the charset Slack answers with a `missing_charset` warning.
constexpr std::string_view json_content_type = "application/json; charset=utf-8";

// Slack sends whole seconds; a bigger number than a day is a broken header, not a plan.
constexpr std::chrono::seconds max_retry_after{24 * 60 * 60};

// --- encoding ----------------------------------------------------------------------------

bool is_unreserved(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

void append_percent_encoded(std::string& out, std::string_view text) {
    static constexpr std::array<char, 16> hex{
        '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'A', 'B', 'C', 'D', 'E', 'F'};
    for (const char c : text) {
        if (is_unreserved(c)) {
            out += c;
            continue;
        }
        const auto byte = static_cast<unsigned char>(c);
        out += '%';
        out += hex[byte >> 4];
        out += hex[byte & 0x0F];
    }
}

// Nested values (blocks, view) travel as JSON text, as Slack's own SDKs send them in forms.
std::string form_encode(const json::object& params) {
    std::string out;
    for (const auto& [key, value] : params) {
        if (value.is_null()) {
            continue;
        }
        if (!out.empty()) {
            out += '&';
        }
        append_percent_encoded(out, key);
        out += '=';
        if (value.is_string()) {
            append_percent_encoded(out, value.get_string());
        } else if (value.is_bool()) {
            out += value.get_bool() ? "true" : "false";
        } else {
            append_percent_encoded(out, json::serialize(value));
        }
    }
    return out;
}

// Method names become part of the URL path; they are constants in our code, so anything else
// is a bug.
void check_method_name(std::string_view method) {
    const bool plain = !method.empty() && std::all_of(method.begin(), method.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
               c == '_';
    });
    if (!plain) {
        throw std::invalid_argument("not a Slack method name: " + std::string(method));
    }
}

// --- reading answers ---------------------------------------------------------------------

std::string string_at(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string{};
}

bool bool_at(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v != nullptr && v->is_bool() && v->get_bool();
}

const json::object* object_at(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v != nullptr && v->is_object() ? &v->get_object() : nullptr;
}

std::optional<std::int64_t> integer_at(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (v == nullptr) return std::nullopt;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64() &&
        v->get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return static_cast<std::int64_t>(v->get_uint64());
    }
    return std::nullopt;
}

std::vector<std::string> strings_at(const json::object* o, std::string_view key) {
    std::vector<std::string> out;
    if (o == nullptr) return out;
    const auto* v = o->if_contains(key);
    if (v == nullptr || !v->is_array()) return out;
    for (const auto& item : v->get_array()) {
        if (item.is_string()) out.emplace_back(item.get_string());
    }
    return out;
}

web_api_error make_error(web_api_errc kind, std::string method, std::string code) {
    web_api_error e;
    e.kind = kind;
    e.method = std::move(method);
    e.code = std::move(code);
    return e;
}

web_api_error transport_error(std::string method, const boost::system::error_code& ec) {
    auto e = make_error(web_api_errc::transport, std::move(method), "transport");
    if (ec.category() == http::client_category()) {
        e.code = std::string(http::to_string(static_cast<http::client_errc>(ec.value())));
    }
    e.transport = ec;
    e.http_status = 0;
    return e;
}

std::chrono::seconds parse_retry_after(
    std::optional<std::string_view> header, std::chrono::seconds fallback
) {
    if (!header) return fallback;
    std::string_view text = *header;
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    // Delta-seconds only: Slack never sends the HTTP-date form.
    if (text.empty() || text.size() > 9 ||
        !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return fallback;
    }
    std::int64_t seconds = 0;
    for (const char c : text) seconds = seconds * 10 + (c - '0');
    return std::min(std::chrono::seconds{seconds}, max_retry_after);
}

std::optional<json::object> parse_object(std::string_view body) {
    boost::system::error_code ec;
    auto value = json::parse(body, ec);
    if (ec || !value.is_object()) return std::nullopt;
    return std::move(value.get_object());
}

// A short, identifier-like body ("expired_url", "no_service") is the error code of hooks.slack.com
// answers; anything else is reduced to the status.
std::string error_code_from_body(std::string_view body, unsigned status) {
    if (auto obj = parse_object(body)) {
        if (auto code = string_at(*obj, "error"); !code.empty()) return code;
    }
    const bool identifier =
        !body.empty() && body.size() <= 64 && std::all_of(body.begin(), body.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        });
    return identifier ? std::string(body) : "http_" + std::to_string(status);
}

// The decision for one Web API answer; no I/O.
api_result interpret(
    const std::string& method, const http::incoming_response& res, std::chrono::seconds default_retry_after
) {
    if (res.status == 429) {
        auto e = make_error(web_api_errc::ratelimited, method, "ratelimited");
        e.http_status = res.status;
        e.retry_after = parse_retry_after(res.header("Retry-After"), default_retry_after);
        return e;
    }
    if (res.status != 200) {
        auto e = make_error(web_api_errc::http_error, method, error_code_from_body(res.body, res.status));
        e.http_status = res.status;
        return e;
    }
    if (res.body_truncated) {
        auto e = make_error(web_api_errc::bad_response, method, "response_too_large");
        e.http_status = res.status;
        return e;
    }
    auto body = parse_object(res.body);
    const auto* ok = body ? body->if_contains("ok") : nullptr;
    if (ok == nullptr || !ok->is_bool()) {
        auto e = make_error(web_api_errc::bad_response, method, "not_a_web_api_answer");
        e.http_status = res.status;
        return e;
    }
    const auto* metadata = object_at(*body, "response_metadata");
    if (!ok->get_bool()) {
        auto code = string_at(*body, "error");
        auto e =
            make_error(web_api_errc::slack_error, method, code.empty() ? "unknown_error" : std::move(code));
        e.http_status = res.status;
        e.needed = string_at(*body, "needed");
        e.provided = string_at(*body, "provided");
        e.messages = strings_at(metadata, "messages");
        return e;
    }
    api_response out;
    if (auto scopes = res.header("X-OAuth-Scopes")) out.oauth_scopes = std::string(*scopes);
    if (auto warning = string_at(*body, "warning"); !warning.empty())
        out.warnings.push_back(std::move(warning));
    for (auto& w : strings_at(metadata, "warnings")) {
        if (std::find(out.warnings.begin(), out.warnings.end(), w) == out.warnings.end()) {
            out.warnings.push_back(std::move(w));
        }
    }
    out.body = std::move(*body);
    return out;
}

web_api_error missing_field(const std::string& method, std::string_view field) {
    return make_error(web_api_errc::bad_response, method, "missing_" + std::string(field));
}

workspace_user user_from(const json::object& u) {
    workspace_user out;
    out.id = string_at(u, "id");
    out.team_id = string_at(u, "team_id");
    out.name = string_at(u, "name");
    out.real_name = string_at(u, "real_name");
    out.tz = string_at(u, "tz");
    out.deleted = bool_at(u, "deleted");
    out.is_bot = bool_at(u, "is_bot");
    out.is_app_user = bool_at(u, "is_app_user");
    out.is_restricted = bool_at(u, "is_restricted");
    out.is_ultra_restricted = bool_at(u, "is_ultra_restricted");
    if (const auto* profile = object_at(u, "profile")) {
        out.display_name = string_at(*profile, "display_name");
        out.email = string_at(*profile, "email");
        if (out.real_name.empty()) out.real_name = string_at(*profile, "real_name");
    }
    return out;
}

web_api_result<workspace_user> user_answer(const std::string& method, api_result answer) {
    if (!answer) return answer.error();
    const auto* user = object_at(answer->body, "user");
    if (user == nullptr || string_at(*user, "id").empty()) return missing_field(method, "user");
    return user_from(*user);
}

web_api_result<view_ref> view_answer(const std::string& method, api_result answer) {
    if (!answer) return answer.error();
    const auto* view = object_at(answer->body, "view");
    if (view == nullptr || string_at(*view, "id").empty()) return missing_field(method, "view");
    return view_ref{string_at(*view, "id"), string_at(*view, "hash")};
}

web_api_result<oauth_access> oauth_answer(const std::string& method, api_result answer) {
    if (!answer) return answer.error();
    const auto& b = answer->body;
    oauth_access out;
    out.access_token = string_at(b, "access_token");
    if (out.access_token.empty()) return missing_field(method, "access_token");
    out.token_type = string_at(b, "token_type");
    out.scope = string_at(b, "scope");
    out.bot_user_id = string_at(b, "bot_user_id");
    out.app_id = string_at(b, "app_id");
    if (const auto* team = object_at(b, "team")) {
        out.team_id = string_at(*team, "id");
        out.team_name = string_at(*team, "name");
    }
    if (const auto* enterprise = object_at(b, "enterprise")) {
        out.enterprise_id = string_at(*enterprise, "id");
        out.enterprise_name = string_at(*enterprise, "name");
    }
    out.is_enterprise_install = bool_at(b, "is_enterprise_install");
    out.refresh_token = string_at(b, "refresh_token");
    if (auto expires = integer_at(b, "expires_in")) out.expires_in = std::chrono::seconds{*expires};
    if (const auto* user = object_at(b, "authed_user")) {
        out.authed_user_id = string_at(*user, "id");
        out.authed_user_scope = string_at(*user, "scope");
        out.authed_user_token = string_at(*user, "access_token");
    }
    return out;
}

json::object message_params(outgoing_message& m) {
    json::object p;
    p["channel"] = m.channel;
    p["text"] = m.text;
    if (!m.blocks.empty()) p["blocks"] = std::move(m.blocks);
    if (!m.thread_ts.empty()) p["thread_ts"] = m.thread_ts;
    if (!m.ts.empty()) p["ts"] = m.ts;
    if (!m.user.empty()) p["user"] = m.user;
    for (auto& [key, value] : m.extra) {
        p.emplace(key, std::move(value));  // never overrides the named fields above
    }
    return p;
}

}  // namespace

// --- errors ------------------------------------------------------------------------------

std::string_view to_string(web_api_errc e) noexcept {
    switch (e) {
        case web_api_errc::slack_error:
            return "slack_error";
        case web_api_errc::ratelimited:
            return "ratelimited";
        case web_api_errc::http_error:
            return "http_error";
        case web_api_errc::transport:
            return "transport";
        case web_api_errc::bad_response:
            return "bad_response";
        case web_api_errc::refused_url:
            return "refused_url";
    }
    return "unknown";
}

bool web_api_error::is_timeout() const noexcept {
    return kind == web_api_errc::transport && transport == http::client_errc::timeout;
}

std::string web_api_error::log_text() const {
    // Slack's answer supplies code, needed, provided and messages: escaped, so they stay on this line.
    std::string out = "slack_method=" + method + " kind=" + std::string(to_string(kind)) +
                      " error=" + core::escaped_for_log(code);
    if (http_status != 0) out += " status=" + std::to_string(http_status);
    if (!needed.empty()) out += " needed=" + core::escaped_for_log(needed);
    if (!provided.empty()) out += " provided=" + core::escaped_for_log(provided);
    if (kind == web_api_errc::ratelimited) out += " retry_after_s=" + std::to_string(retry_after.count());
    if (!sent) out += " sent=false";
    for (const auto& m : messages) out += " message=\"" + core::escaped_for_log(m) + "\"";
    return out;
}

web_api_failure::web_api_failure(web_api_error e) : std::runtime_error(e.log_text()), error_(std::move(e)) {}

void throw_exception_from_error(const web_api_error& e, const boost::source_location&) {
    throw web_api_failure(e);
}

body_encoding encoding_for(std::string_view method) noexcept {
    static constexpr std::array<std::string_view, 8> json_methods{
        "chat.postMessage",
        "chat.update",
        "chat.postEphemeral",
        "chat.delete",
        "conversations.open",
        "views.open",
        "views.publish",
        "views.update"};
    return std::find(json_methods.begin(), json_methods.end(), method) != json_methods.end()
               ? body_encoding::json
               : body_encoding::form;
}

// --- the client --------------------------------------------------------------------------

web_api_client::web_api_client(http::client& client, web_api_config config)
    : http_(client), config_(std::move(config)) {}

std::string web_api_client::limit_key(std::string_view method, const caller& as) const {
    // Tokens are secrets: the memory keeps a digest of one, never the token.
    std::string key(method);
    key += '\n';
    key += as.workspace.empty() ? "token:" + crypto::sha256_hex(as.token) : "workspace:" + as.workspace;
    return key;
}

std::optional<clock_type::time_point> web_api_client::blocked_until(std::string_view method, const caller& as)
    const {
    const auto it = blocked_.find(limit_key(method, as));
    if (it == blocked_.end() || it->second <= clock_type::now()) return std::nullopt;
    return it->second;
}

asio::awaitable<api_result> web_api_client::call(
    std::string method, std::string token, json::object params, body_encoding encoding
) {
    caller as;
    as.token = std::move(token);
    return call(std::move(method), std::move(as), std::move(params), encoding);
}

asio::awaitable<api_result> web_api_client::call(
    std::string method, caller as, json::object params, body_encoding encoding
) {
    check_method_name(method);
    const auto key = limit_key(method, as);
    const auto now = clock_type::now();
    if (const auto it = blocked_.find(key); it != blocked_.end()) {
        if (now < it->second) {
            auto e = make_error(web_api_errc::ratelimited, method, "ratelimited");
            e.sent = false;
            e.retry_after = std::chrono::ceil<std::chrono::seconds>(it->second - now);
            co_return e;
        }
        blocked_.erase(it);
    }

    http::outgoing_request req;
    req.method = boost::beast::http::verb::post;
    req.url = config_.base_url + method;
    if (!as.token.empty()) req.headers.emplace_back("Authorization", "Bearer " + as.token);
    if (encoding == body_encoding::json) {
        req.headers.emplace_back("Content-Type", std::string(json_content_type));
        req.body = json::serialize(params);
    } else {
        req.headers.emplace_back("Content-Type", std::string(form_content_type));
        req.body = form_encode(params);
    }
    req.total_timeout = as.timeout.count() > 0 ? as.timeout : config_.timeout;

    auto response = co_await http_.send(std::move(req));
    if (!response) co_return transport_error(method, response.error());
    auto answer = interpret(method, *response, config_.default_retry_after);
    if (!answer && answer.error().kind == web_api_errc::ratelimited) {
        const auto until = clock_type::now() + answer.error().retry_after;
        std::erase_if(blocked_, [&](const auto& entry) { return entry.second <= now; });
        blocked_[key] = until;
    }
    co_return answer;
}

asio::awaitable<web_api_result<auth_identity>> web_api_client::auth_test(caller as) {
    std::string method = "auth.test";
    json::object params;
    auto answer = co_await call(method, std::move(as), std::move(params), encoding_for(method));
    if (!answer) co_return answer.error();
    const auto& b = answer->body;
    auth_identity out;
    out.url = string_at(b, "url");
    out.team = string_at(b, "team");
    out.user = string_at(b, "user");
    out.team_id = string_at(b, "team_id");
    out.user_id = string_at(b, "user_id");
    out.bot_id = string_at(b, "bot_id");
    out.enterprise_id = string_at(b, "enterprise_id");
    out.app_id = string_at(b, "app_id");
    out.is_enterprise_install = bool_at(b, "is_enterprise_install");
    out.scopes = answer->oauth_scopes;
    if (out.user_id.empty()) co_return missing_field(method, "user_id");
    co_return out;
}

asio::awaitable<web_api_result<workspace_user>> web_api_client::users_lookup_by_email(
    caller as, std::string email
) {
    std::string method = "users.lookupByEmail";
    json::object params;
    params["email"] = email;
    auto answer = co_await call(method, std::move(as), std::move(params), encoding_for(method));
    co_return user_answer(method, std::move(answer));
}

asio::awaitable<web_api_result<workspace_user>> web_api_client::users_info(caller as, std::string user_id) {
    std::string method = "users.info";
    json::object params;
    params["user"] = user_id;
    auto answer = co_await call(method, std::move(as), std::move(params), encoding_for(method));
    co_return user_answer(method, std::move(answer));
}

asio::awaitable<web_api_result<std::string>> web_api_client::conversations_open(
    caller as, std::string user_id
) {
    std::string method = "conversations.open";
    json::object params;
    params["users"] = user_id;
    auto answer = co_await call(method, std::move(as), std::move(params), encoding_for(method));
    if (!answer) co_return answer.error();
    const auto* channel = object_at(answer->body, "channel");
    auto id = channel != nullptr ? string_at(*channel, "id") : std::string{};
    if (id.empty()) co_return missing_field(method, "channel");
    co_return id;
}

// chat.postMessage and chat.update take the same message and answer with where it now is.
asio::awaitable<web_api_result<posted_message>> web_api_client::send_message(
    std::string method, caller as, outgoing_message message
) {
    auto params = message_params(message);
    auto answer = co_await call(method, std::move(as), std::move(params), encoding_for(method));
    if (!answer) co_return answer.error();
    posted_message out{string_at(answer->body, "channel"), string_at(answer->body, "ts")};
    if (out.ts.empty()) co_return missing_field(method, "ts");
    co_return out;
}

asio::awaitable<web_api_result<posted_message>> web_api_client::chat_post_message(
    caller as, outgoing_message message
) {
    std::string method = "chat.postMessage";
    co_return co_await send_message(std::move(method), std::move(as), std::move(message));
}

asio::awaitable<web_api_result<posted_message>> web_api_client::chat_update(
    caller as, outgoing_message message
) {
    std::string method = "chat.update";
    co_return co_await send_message(std::move(method), std::move(as), std::move(message));
}

asio::awaitable<web_api_result<posted_message>> web_api_client::chat_post_ephemeral(
    caller as, outgoing_message message
) {
    std::string method = "chat.postEphemeral";
    std::string channel = message.channel;
    auto params = message_params(message);
    auto answer = co_await call(method, std::move(as), std::move(params), encoding_for(method));
    if (!answer) co_return answer.error();
    posted_message out{std::move(channel), string_at(answer->body, "message_ts")};
    if (out.ts.empty()) co_return missing_field(method, "message_ts");
    co_return out;
}

asio::awaitable<web_api_result<view_ref>> web_api_client::views_publish(
    caller as, std::string user_id, json::object view
) {
    std::string method = "views.publish";
    json::object params;
    params["user_id"] = user_id;
    params["view"] = std::move(view);
    auto answer = co_await call(method, std::move(as), std::move(params), encoding_for(method));
    co_return view_answer(method, std::move(answer));
}

asio::awaitable<web_api_result<view_ref>> web_api_client::views_open(
    caller as, std::string trigger_id, json::object view
) {
    std::string method = "views.open";
    json::object params;
    params["trigger_id"] = trigger_id;
    params["view"] = std::move(view);
    auto answer = co_await call(method, std::move(as), std::move(params), encoding_for(method));
    co_return view_answer(method, std::move(answer));
}

asio::awaitable<web_api_result<oauth_access>> web_api_client::oauth_v2_access(
    oauth_code_grant grant, std::chrono::milliseconds timeout
) {
    std::string method = "oauth.v2.access";
    json::object params;
    params["client_id"] = grant.client_id;
    params["client_secret"] = grant.client_secret;
    params["code"] = grant.code;
    if (!grant.redirect_uri.empty()) params["redirect_uri"] = grant.redirect_uri;
    caller as;
    as.workspace = "oauth:" + grant.client_id;
    as.timeout = timeout;
    auto answer = co_await call(method, std::move(as), std::move(params), body_encoding::form);
    co_return oauth_answer(method, std::move(answer));
}

asio::awaitable<web_api_result<oauth_access>> web_api_client::oauth_v2_access(
    oauth_refresh_grant grant, std::chrono::milliseconds timeout
) {
    std::string method = "oauth.v2.access";
    json::object params;
    params["client_id"] = grant.client_id;
    params["client_secret"] = grant.client_secret;
    params["grant_type"] = "refresh_token";
    params["refresh_token"] = grant.refresh_token;
    caller as;
    as.workspace = "oauth:" + grant.client_id;
    as.timeout = timeout;
    auto answer = co_await call(method, std::move(as), std::move(params), body_encoding::form);
    co_return oauth_answer(method, std::move(answer));
}

asio::awaitable<web_api_result<void>> web_api_client::respond_to_response_url(
    std::string url, json::object message, std::chrono::milliseconds timeout
) {
    const std::string method = "response_url";
    // Compared parsed, not as text: scheme, host and port must be the allowed ones exactly,
    // so "https://hooks.slack.com.example/" and userinfo tricks cannot pass.
    const auto allowed = http::parse_outbound_url(config_.response_url_prefix);
    const auto target = http::parse_outbound_url(url);
    const bool permitted = allowed && target && allowed->tls == target->tls &&
                           allowed->host == target->host && allowed->port == target->port &&
                           target->target.starts_with(allowed->target);
    if (!permitted) {
        auto e = make_error(web_api_errc::refused_url, method, "response_url_not_allowed");
        e.sent = false;
        co_return e;
    }

    http::outgoing_request req;
    req.method = boost::beast::http::verb::post;
    req.url = std::move(url);
    req.headers.emplace_back("Content-Type", std::string(json_content_type));
    req.body = json::serialize(message);
    req.total_timeout = timeout.count() > 0 ? timeout : config_.timeout;
    auto response = co_await http_.send(std::move(req));
    if (!response) co_return transport_error(method, response.error());

    const auto& res = *response;
    if (res.status == 429) {
        auto e = make_error(web_api_errc::ratelimited, method, "ratelimited");
        e.http_status = res.status;
        e.retry_after = parse_retry_after(res.header("Retry-After"), config_.default_retry_after);
        co_return e;
    }
    if (res.status < 200 || res.status >= 300) {
        auto e = make_error(web_api_errc::http_error, method, error_code_from_body(res.body, res.status));
        e.http_status = res.status;
        co_return e;
    }
    if (auto body = parse_object(res.body)) {
        const auto* ok = body->if_contains("ok");
        if (ok != nullptr && ok->is_bool() && !ok->get_bool()) {
            auto code = string_at(*body, "error");
            auto e = make_error(
                web_api_errc::slack_error, method, code.empty() ? "unknown_error" : std::move(code)
            );
            e.http_status = res.status;
            e.messages = strings_at(object_at(*body, "response_metadata"), "messages");
            co_return e;
        }
    }
    co_return web_api_result<void>{};
}

}  // namespace chal::slack
