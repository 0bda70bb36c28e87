#include "slack/inbound.hpp"

#include "app/core/text.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <unordered_set>

namespace chal::slack {
namespace json = boost::json;

namespace {

using form_fields = std::vector<std::pair<std::string, std::string>>;

inbound_error error(inbound_errc code, std::string detail) {
    return {code, std::move(detail)};
}

inbound_error missing(std::string_view what) {
    return error(inbound_errc::missing_field, "missing or invalid " + std::string(what));
}

// Type names come from the (verified) body; they reach the log only when they look like
// Slack's own identifiers, so a crafted value cannot inject into log lines.
std::string loggable_name(std::string_view name) {
    const bool plain = !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
    });
    return plain ? std::string(name) : std::string("(unprintable)");
}

char lower_ascii(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string media_type(std::string_view content_type) {
    const auto semicolon = content_type.find(';');
    auto type = content_type.substr(0, semicolon);
    while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
    std::string out(type);
    std::transform(out.begin(), out.end(), out.begin(), lower_ascii);
    return out;
}

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool form_unescape(std::string_view in, std::string& out) {
    out.clear();
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        const char c = in[i];
        if (c == '+') {
            out.push_back(' ');
        } else if (c == '%') {
            if (i + 2 >= in.size()) return false;
            const int hi = hex_value(in[i + 1]);
            const int lo = hex_value(in[i + 2]);
            if (hi < 0 || lo < 0) return false;
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else {
            out.push_back(c);
        }
    }
    return true;
}

const std::string* find_field(const form_fields& fields, std::string_view name) {
    for (const auto& [key, value] : fields)
        if (key == name) return &value;
    return nullptr;
}

// --- JSON access: optional fields read as empty, wrong types too -------------------------

std::string text_of(const json::object& o, std::string_view key) {
    if (const auto* v = o.if_contains(key))
        if (const auto* s = v->if_string()) return std::string(std::string_view(*s));
    return {};
}

const json::object* object_of(const json::object& o, std::string_view key) {
    if (const auto* v = o.if_contains(key)) return v->if_object();
    return nullptr;
}

bool bool_of(const json::object& o, std::string_view key) {
    if (const auto* v = o.if_contains(key))
        if (const auto* b = v->if_bool()) return *b;
    return false;
}

std::optional<std::int64_t> integer_of(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (!v) return std::nullopt;
    if (const auto* i = v->if_int64()) return *i;
    if (const auto* u = v->if_uint64())
        if (*u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            return static_cast<std::int64_t>(*u);
    return std::nullopt;
}

inbound_result<json::object> parse_json_object(std::string_view text, std::string_view what) {
    json::parse_options options;
    // Slack's deepest payloads (rich_text inside message blocks inside a view) stay well
    // below this; the limit keeps a hostile body from exhausting the stack.
    options.max_depth = 64;
    boost::system::error_code ec;
    auto value = json::parse(text, ec, {}, options);
    if (ec) return error(inbound_errc::malformed_body, std::string(what) + " is not valid JSON (" + ec.message() + ")");
    if (!value.is_object()) return error(inbound_errc::malformed_body, std::string(what) + " is not a JSON object");
    return std::move(value.as_object());
}

slack_user user_of(const json::object& user) {
    return {
        .id = text_of(user, "id"),
        .username = text_of(user, "username"),
        .name = text_of(user, "name"),
        .team_id = text_of(user, "team_id"),
    };
}

// bolt-python's extract_enterprise_id / extract_team_id order for interactivity payloads.
installation_ref interactive_installation(const json::object& p) {
    installation_ref ref;
    ref.is_enterprise_install = bool_of(p, "is_enterprise_install");
    const auto* team = object_of(p, "team");  // null for org-wide installs
    const auto* view = object_of(p, "view");
    const auto* user = object_of(p, "user");
    if (const auto* enterprise = object_of(p, "enterprise")) ref.enterprise_id = text_of(*enterprise, "id");
    if (ref.enterprise_id.empty() && team) ref.enterprise_id = text_of(*team, "enterprise_id");
    if (ref.enterprise_id.empty()) ref.enterprise_id = text_of(p, "enterprise_id");

    // A modal opened from a Slack Connect channel names the installing workspace here.
    if (view) ref.team_id = text_of(*view, "app_installed_team_id");
    if (ref.team_id.empty() && team) ref.team_id = text_of(*team, "id");
    if (ref.team_id.empty()) ref.team_id = text_of(p, "team_id");
    if (ref.team_id.empty() && user) ref.team_id = text_of(*user, "team_id");
    if (ref.team_id.empty() && view) ref.team_id = text_of(*view, "team_id");
    return ref;
}

// Every interactivity payload names the user who acted.
inbound_result<slack_user> required_user(const json::object& p) {
    const auto* user = object_of(p, "user");
    if (!user) return missing("user");
    auto u = user_of(*user);
    if (u.id.empty()) return missing("user.id");
    return u;
}

inbound_result<inbound_payload> parse_block_actions(json::object p) {
    auto user = required_user(p);
    if (!user) return user.error();
    const auto* actions = p.if_contains("actions");
    if (!actions || !actions->is_array() || actions->as_array().empty()) return missing("actions");

    block_actions out;
    for (const auto& item : actions->as_array()) {
        const auto* a = item.if_object();
        if (!a) return missing("actions[] object");
        block_action action{
            .action_id = text_of(*a, "action_id"),
            .block_id = text_of(*a, "block_id"),
            .type = text_of(*a, "type"),
            .value = text_of(*a, "value"),
            .action_ts = text_of(*a, "action_ts"),
            .raw = *a,
        };
        if (action.action_id.empty()) return missing("actions[].action_id");
        out.actions.push_back(std::move(action));
    }
    out.installation = interactive_installation(p);
    out.user = std::move(*user);
    out.api_app_id = text_of(p, "api_app_id");
    out.trigger_id = text_of(p, "trigger_id");
    out.response_url = text_of(p, "response_url");
    if (const auto* container = object_of(p, "container")) {
        out.container_type = text_of(*container, "type");
        out.channel_id = text_of(*container, "channel_id");
        out.message_ts = text_of(*container, "message_ts");
        out.view_id = text_of(*container, "view_id");
    }
    if (out.channel_id.empty())
        if (const auto* channel = object_of(p, "channel")) out.channel_id = text_of(*channel, "id");
    if (const auto* message = object_of(p, "message")) {
        out.message = *message;
        if (out.message_ts.empty()) out.message_ts = text_of(*message, "ts");
    }
    if (const auto* view = object_of(p, "view")) {
        out.view = *view;
        if (out.view_id.empty()) out.view_id = text_of(*view, "id");
    }
    out.raw = std::move(p);
    return inbound_payload{std::move(out)};
}

inbound_result<inbound_payload> parse_block_suggestion(json::object p) {
    auto user = required_user(p);
    if (!user) return user.error();
    block_suggestion out{
        .installation = interactive_installation(p),
        .user = std::move(*user),
        .api_app_id = text_of(p, "api_app_id"),
        .action_id = text_of(p, "action_id"),
        .block_id = text_of(p, "block_id"),
        .value = text_of(p, "value"),
    };
    if (out.action_id.empty()) return missing("action_id");
    if (const auto* view = object_of(p, "view")) out.view = *view;
    out.raw = std::move(p);
    return inbound_payload{std::move(out)};
}

inbound_result<inbound_payload> parse_view_submission(json::object p) {
    auto user = required_user(p);
    if (!user) return user.error();
    const auto* view = object_of(p, "view");
    if (!view) return missing("view");
    view_submission out{
        .installation = interactive_installation(p),
        .user = std::move(*user),
        .api_app_id = text_of(p, "api_app_id"),
        .trigger_id = text_of(p, "trigger_id"),
        .view_id = text_of(*view, "id"),
        .callback_id = text_of(*view, "callback_id"),
        .private_metadata = text_of(*view, "private_metadata"),
        .hash = text_of(*view, "hash"),
    };
    if (out.view_id.empty()) return missing("view.id");
    if (const auto* state = object_of(*view, "state")) {
        const auto* values = state->if_contains("values");
        if (values && !values->is_object()) return missing("view.state.values");
        if (values) out.state_values = values->as_object();
    }
    if (const auto* urls = p.if_contains("response_urls"); urls && urls->is_array()) {
        for (const auto& item : urls->as_array())
            if (const auto* o = item.if_object())
                if (auto url = text_of(*o, "response_url"); !url.empty()) out.response_urls.push_back(std::move(url));
    }
    out.view = *view;
    out.raw = std::move(p);
    return inbound_payload{std::move(out)};
}

inbound_result<inbound_payload> parse_view_closed(json::object p) {
    auto user = required_user(p);
    if (!user) return user.error();
    const auto* view = object_of(p, "view");
    if (!view) return missing("view");
    view_closed out{
        .installation = interactive_installation(p),
        .user = std::move(*user),
        .api_app_id = text_of(p, "api_app_id"),
        .view_id = text_of(*view, "id"),
        .callback_id = text_of(*view, "callback_id"),
        .private_metadata = text_of(*view, "private_metadata"),
        .is_cleared = bool_of(p, "is_cleared"),
        .view = *view,
    };
    if (out.view_id.empty()) return missing("view.id");
    out.raw = std::move(p);
    return inbound_payload{std::move(out)};
}

inbound_result<inbound_payload> parse_global_shortcut(json::object p) {
    auto user = required_user(p);
    if (!user) return user.error();
    global_shortcut out{
        .installation = interactive_installation(p),
        .user = std::move(*user),
        .api_app_id = text_of(p, "api_app_id"),
        .callback_id = text_of(p, "callback_id"),
        .trigger_id = text_of(p, "trigger_id"),
        .action_ts = text_of(p, "action_ts"),
    };
    if (out.callback_id.empty()) return missing("callback_id");
    if (out.trigger_id.empty()) return missing("trigger_id");
    out.raw = std::move(p);
    return inbound_payload{std::move(out)};
}

inbound_result<inbound_payload> parse_message_shortcut(json::object p) {
    auto user = required_user(p);
    if (!user) return user.error();
    const auto* message = object_of(p, "message");
    if (!message) return missing("message");
    message_shortcut out{
        .installation = interactive_installation(p),
        .user = std::move(*user),
        .api_app_id = text_of(p, "api_app_id"),
        .callback_id = text_of(p, "callback_id"),
        .trigger_id = text_of(p, "trigger_id"),
        .action_ts = text_of(p, "action_ts"),
        .response_url = text_of(p, "response_url"),
        .message_ts = text_of(p, "message_ts"),
        .message_user = text_of(*message, "user"),
        .message_bot_id = text_of(*message, "bot_id"),
        .message = *message,
    };
    if (out.callback_id.empty()) return missing("callback_id");
    if (out.trigger_id.empty()) return missing("trigger_id");
    if (const auto* channel = object_of(p, "channel")) {
        out.channel_id = text_of(*channel, "id");
        out.channel_name = text_of(*channel, "name");
    }
    if (out.message_ts.empty()) out.message_ts = text_of(*message, "ts");
    out.raw = std::move(p);
    return inbound_payload{std::move(out)};
}

inbound_result<inbound_payload> parse_interactive(std::string_view payload_json) {
    auto parsed = parse_json_object(payload_json, "payload");
    if (!parsed) return parsed.error();
    auto& p = *parsed;
    const auto type = text_of(p, "type");
    if (type.empty()) return missing("payload type");
    if (type == "block_actions") return parse_block_actions(std::move(p));
    if (type == "block_suggestion") return parse_block_suggestion(std::move(p));
    if (type == "view_submission") return parse_view_submission(std::move(p));
    if (type == "view_closed") return parse_view_closed(std::move(p));
    if (type == "shortcut") return parse_global_shortcut(std::move(p));
    if (type == "message_action") return parse_message_shortcut(std::move(p));
    return error(inbound_errc::unknown_type, "interactivity payload type " + loggable_name(type));
}

inbound_result<inbound_payload> parse_slash_command(const form_fields& fields) {
    slash_command c;
    const std::pair<std::string_view, std::string slash_command::*> columns[] = {
        {"command", &slash_command::command},
        {"text", &slash_command::text},
        {"user_id", &slash_command::user_id},
        {"user_name", &slash_command::user_name},
        {"team_id", &slash_command::team_id},
        {"team_domain", &slash_command::team_domain},
        {"enterprise_id", &slash_command::enterprise_id},
        {"channel_id", &slash_command::channel_id},
        {"channel_name", &slash_command::channel_name},
        {"response_url", &slash_command::response_url},
        {"trigger_id", &slash_command::trigger_id},
        {"api_app_id", &slash_command::api_app_id},
    };
    // A form field is bytes, not text: whatever Slack relays must still fit a text column.
    for (const auto& [name, member] : columns)
        if (const auto* value = find_field(fields, name))
            c.*member = core::storable_text(*value, std::string::npos, core::line_breaks::keep);
    if (const auto* install = find_field(fields, "is_enterprise_install")) c.is_enterprise_install = *install == "true";
    if (c.command.empty() || c.command.front() != '/') return missing("command");
    if (c.user_id.empty()) return missing("user_id");
    c.installation = {.enterprise_id = c.enterprise_id, .team_id = c.team_id, .is_enterprise_install = c.is_enterprise_install};
    return inbound_payload{std::move(c)};
}

inbound_result<inbound_payload> parse_form(std::string_view body) {
    auto fields = decode_form(body);
    if (!fields) return fields.error();
    if (const auto* check = find_field(*fields, "ssl_check"); check && *check == "1") return inbound_payload{ssl_check{}};
    if (const auto* payload = find_field(*fields, "payload")) return parse_interactive(*payload);
    if (find_field(*fields, "command")) return parse_slash_command(*fields);
    return error(inbound_errc::unknown_type, "form body is neither a slash command, an interactivity payload nor ssl_check");
}

// Bolt resolves events from authorizations[0] first (it names the installation the event
// was delivered for, which in a shared channel may differ from the top-level team_id).
installation_ref event_installation(const json::object& p) {
    installation_ref ref;
    const json::object* auth = nullptr;
    if (const auto* list = p.if_contains("authorizations"); list && list->is_array() && !list->as_array().empty())
        auth = list->as_array().front().if_object();
    if (auth) {
        ref.enterprise_id = text_of(*auth, "enterprise_id");
        ref.team_id = text_of(*auth, "team_id");
        ref.is_enterprise_install = bool_of(*auth, "is_enterprise_install");
    } else {
        ref.is_enterprise_install = bool_of(p, "is_enterprise_install");
    }
    if (ref.enterprise_id.empty()) ref.enterprise_id = text_of(p, "enterprise_id");
    if (ref.team_id.empty()) ref.team_id = text_of(p, "team_id");
    return ref;
}

inbound_result<std::vector<std::string>> string_list(const json::object& o, std::string_view key, std::string_view what) {
    std::vector<std::string> out;
    const auto* v = o.if_contains(key);
    if (!v || v->is_null()) return out;
    const auto* list = v->if_array();
    if (!list) return missing(what);
    for (const auto& item : *list) {
        const auto* s = item.if_string();
        if (!s) return missing(what);
        out.emplace_back(std::string_view(*s));
    }
    return out;
}

inbound_result<inner_event> parse_inner_event(const std::string& type, const json::object& event) {
    if (type == "app_home_opened") {
        app_home_opened e{.user = text_of(event, "user"), .channel = text_of(event, "channel"), .tab = text_of(event, "tab")};
        if (e.user.empty()) return missing("event.user");
        return inner_event{std::move(e)};
    }
    if (type == "app_uninstalled") return inner_event{app_uninstalled{}};
    if (type == "tokens_revoked") {
        const auto* tokens = object_of(event, "tokens");
        if (!tokens) return missing("event.tokens");
        auto oauth = string_list(*tokens, "oauth", "event.tokens.oauth");
        if (!oauth) return oauth.error();
        auto bot = string_list(*tokens, "bot", "event.tokens.bot");
        if (!bot) return bot.error();
        return inner_event{tokens_revoked{.oauth = std::move(*oauth), .bot = std::move(*bot)}};
    }
    return inner_event{other_event{}};
}

inbound_result<inbound_payload> parse_event_callback(const json::object& p) {
    const auto* event = object_of(p, "event");
    if (!event) return missing("event");
    event_callback out{
        .installation = event_installation(p),
        .event_id = text_of(p, "event_id"),
        .team_id = text_of(p, "team_id"),
        .api_app_id = text_of(p, "api_app_id"),
        .event_type = text_of(*event, "type"),
    };
    if (out.event_id.empty()) return missing("event_id");
    if (out.event_type.empty()) return missing("event.type");
    const auto time = integer_of(p, "event_time");
    if (!time) return missing("event_time");
    out.event_time = *time;
    auto detail = parse_inner_event(out.event_type, *event);
    if (!detail) return detail.error();
    out.detail = std::move(*detail);
    out.event = *event;
    return inbound_payload{std::move(out)};
}

inbound_result<inbound_payload> parse_events_api(std::string_view body) {
    auto parsed = parse_json_object(body, "body");
    if (!parsed) return parsed.error();
    const auto& p = *parsed;
    const auto type = text_of(p, "type");
    if (type.empty()) return missing("type");
    if (type == "url_verification") {
        auto challenge = text_of(p, "challenge");
        if (challenge.empty()) return missing("challenge");
        return inbound_payload{url_verification{std::move(challenge)}};
    }
    if (type == "event_callback") return parse_event_callback(p);
    if (type == "app_rate_limited") {
        const auto minute = integer_of(p, "minute_rate_limited");
        if (!minute) return missing("minute_rate_limited");
        return inbound_payload{app_rate_limited{
            .team_id = text_of(p, "team_id"),
            .api_app_id = text_of(p, "api_app_id"),
            .minute_rate_limited = *minute,
        }};
    }
    return error(inbound_errc::unknown_type, "Events API type " + loggable_name(type));
}

constexpr std::string_view form_media_type = "application/x-www-form-urlencoded";
constexpr std::string_view json_media_type = "application/json";

}  // namespace

void throw_exception_from_error(const inbound_error& e, const boost::source_location&) {
    throw std::invalid_argument("slack inbound: " + std::string(to_string(e.code)) + ": " + e.detail);
}

inbound_result<form_fields> decode_form(std::string_view body) {
    form_fields fields;
    std::unordered_set<std::string> seen;
    while (!body.empty()) {
        const auto amp = body.find('&');
        const auto pair = body.substr(0, amp);
        body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        std::string name;
        std::string value;
        if (!form_unescape(pair.substr(0, eq), name) ||
            !form_unescape(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), value))
            return error(inbound_errc::malformed_body, "bad percent-encoding in form body");
        if (name.empty()) return error(inbound_errc::malformed_body, "form field without a name");
        // Slack never repeats a field; a repeat is someone trying to make two parsers disagree.
        if (!seen.insert(name).second)
            return error(inbound_errc::malformed_body, "repeated form field " + loggable_name(name));
        fields.emplace_back(std::move(name), std::move(value));
    }
    return fields;
}

inbound_result<inbound_payload> parse_inbound(std::string_view content_type, std::string_view raw_body) {
    if (raw_body.size() > max_inbound_body_size)
        return error(inbound_errc::body_too_large, "body of " + std::to_string(raw_body.size()) + " bytes");
    const auto type = media_type(content_type);
    if (type == form_media_type) return parse_form(raw_body);
    if (type == json_media_type) return parse_events_api(raw_body);
    return error(inbound_errc::unsupported_media_type, "content type " + loggable_name(type));
}

bool is_ssl_check(std::string_view content_type, std::string_view raw_body) {
    if (raw_body.size() > max_inbound_body_size || media_type(content_type) != form_media_type) return false;
    auto fields = decode_form(raw_body);
    if (!fields) return false;
    const auto* check = find_field(*fields, "ssl_check");
    return check && *check == "1";
}

std::optional<retry_attempt> read_retry_headers(std::string_view retry_num, std::string_view retry_reason_header) {
    if (retry_num.empty() || retry_num.size() > 3) return std::nullopt;
    int number = 0;
    for (char c : retry_num) {
        if (c < '0' || c > '9') return std::nullopt;
        number = number * 10 + (c - '0');
    }
    if (number < 1) return std::nullopt;
    retry_attempt attempt{.number = number};
    constexpr std::pair<std::string_view, retry_reason> reasons[] = {
        {"http_timeout", retry_reason::http_timeout},
        {"too_many_redirects", retry_reason::too_many_redirects},
        {"connection_failed", retry_reason::connection_failed},
        {"ssl_error", retry_reason::ssl_error},
        {"http_error", retry_reason::http_error},
        {"unknown_error", retry_reason::unknown_error},
    };
    for (const auto& [text, reason] : reasons)
        if (retry_reason_header == text) attempt.reason = reason;
    return attempt;
}

std::string_view api_app_id_of(const inbound_payload& payload) noexcept {
    return std::visit(
        [](const auto& p) -> std::string_view {
            if constexpr (requires { p.api_app_id; })
                return p.api_app_id;
            else
                return {};
        },
        payload
    );
}

app_id_verdict check_api_app_id(const inbound_payload& payload, std::string_view recorded_app_id) noexcept {
    if (std::holds_alternative<ssl_check>(payload) || std::holds_alternative<url_verification>(payload))
        return app_id_verdict::not_claimed;
    const bool optional_here = std::holds_alternative<global_shortcut>(payload) ||
                               std::holds_alternative<message_shortcut>(payload) ||
                               std::holds_alternative<view_closed>(payload);
    const auto claimed = api_app_id_of(payload);
    if (claimed.empty()) return optional_here ? app_id_verdict::not_claimed : app_id_verdict::missing;
    // Slack's app ids are short upper-case words; anything else is not one, and never recorded.
    const bool slack_like = claimed.size() <= 32 && std::all_of(claimed.begin(), claimed.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    });
    if (!slack_like) return app_id_verdict::mismatch;
    if (recorded_app_id.empty()) return app_id_verdict::record;
    return claimed == recorded_app_id ? app_id_verdict::matches : app_id_verdict::mismatch;
}

std::string_view to_string(app_id_verdict verdict) noexcept {
    switch (verdict) {
    case app_id_verdict::matches: return "matches";
    case app_id_verdict::record: return "record";
    case app_id_verdict::not_claimed: return "not_claimed";
    case app_id_verdict::mismatch: return "mismatch";
    case app_id_verdict::missing: return "missing";
    }
    return "unknown";
}

std::string_view to_string(retry_reason reason) noexcept {
    switch (reason) {
    case retry_reason::http_timeout: return "http_timeout";
    case retry_reason::too_many_redirects: return "too_many_redirects";
    case retry_reason::connection_failed: return "connection_failed";
    case retry_reason::ssl_error: return "ssl_error";
    case retry_reason::http_error: return "http_error";
    case retry_reason::unknown_error: return "unknown_error";
    case retry_reason::unrecognised: return "unrecognised";
    }
    return "unrecognised";
}

std::string_view to_string(inbound_errc code) noexcept {
    switch (code) {
    case inbound_errc::unsupported_media_type: return "unsupported_media_type";
    case inbound_errc::body_too_large: return "body_too_large";
    case inbound_errc::malformed_body: return "malformed_body";
    case inbound_errc::missing_field: return "missing_field";
    case inbound_errc::unknown_type: return "unknown_type";
    }
    return "unknown";
}

}  // namespace chal::slack
