#include "slack/manifest.hpp"

#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace chal::slack {
namespace json = boost::json;

namespace {

// Slack's limits (manifest schema 1.0.0): slash command `url` <= 3000 characters, request
// URLs <= 3500, redirect URLs <= 2500.
constexpr std::size_t max_command_url_length = 3000;
constexpr std::size_t max_redirect_url_length = 2500;

constexpr std::string_view app_name = "Challenge";
constexpr std::string_view app_description =
    "Identity verification challenges: ask a colleague to prove it's really them, through your identity provider.";
constexpr std::string_view app_long_description =
    "Challenge asks a person to prove, right now, that they are who a request says they are. Type "
    "/challenge @someone [reason], or use the New challenge and Challenge the sender shortcuts: the person gets "
    "a direct message with a Verify button that signs them in with your identity provider, and both of you see "
    "the outcome (verified, failed, expired or incident reported) with the device details, updated in place.";
constexpr std::string_view command_description = "Request an identity verification challenge for a user";
constexpr std::string_view command_usage_hint = "@username [reason]";

bool is_unreserved(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

std::string encode_segment(std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (char c : s) {
        if (is_unreserved(c)) {
            out.push_back(c);
        } else {
            const auto u = static_cast<unsigned char>(c);
            out.push_back('%');
            out.push_back(hex[u >> 4]);
            out.push_back(hex[u & 0x0f]);
        }
    }
    return out;
}

std::string base_without_slash(const manifest_params& p) {
    std::string base = p.base_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base;
}

json::array string_array(auto const& items) {
    json::array out;
    for (std::string_view s : items) out.emplace_back(s);
    return out;
}

// --- YAML ---------------------------------------------------------------------------------

bool is_alnum(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) {
        return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return out;
}

// Plain (unquoted) only when no YAML 1.1 or 1.2 reader could take it for anything but this
// string: starts with a letter, '_' or '/', a small character set, no ": " or trailing ':' (a
// mapping), no '#', and none of the words YAML 1.1 reads as booleans or null.
bool can_be_plain(std::string_view s) {
    if (s.empty() || s.size() > 256) return false;
    if (!((s.front() >= 'A' && s.front() <= 'Z') || (s.front() >= 'a' && s.front() <= 'z') || s.front() == '/' ||
          s.front() == '_'))
        return false;
    if (!std::all_of(s.begin(), s.end(), [](char c) {
            return is_alnum(c) || std::string_view(" _./:@-").find(c) != std::string_view::npos;
        }))
        return false;
    if (s.back() == ' ' || s.back() == ':' || s.find(": ") != std::string_view::npos) return false;
    static constexpr std::string_view reserved[] = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"};
    const auto word = lower(s);
    return std::find(std::begin(reserved), std::end(reserved), word) == std::end(reserved);
}

std::string double_quoted(std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out = "\"";
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto u = static_cast<unsigned char>(s[i]);
        switch (s[i]) {
        case '"': out += "\\\""; continue;
        case '\\': out += "\\\\"; continue;
        case '\n': out += "\\n"; continue;
        case '\t': out += "\\t"; continue;
        case '\r': out += "\\r"; continue;
        default: break;
        }
        if (u < 0x20 || u == 0x7f) {
            out += "\\x";
            out.push_back(hex[u >> 4]);
            out.push_back(hex[u & 0x0f]);
        } else if (u == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
                   static_cast<unsigned char>(s[i + 1]) <= 0x9f) {
            // C1 controls (U+0080..U+009F, NEL among them) are not printable YAML.
            const auto second = static_cast<unsigned char>(s[i + 1]);
            out += "\\u00";
            out.push_back(hex[second >> 4]);
            out.push_back(hex[second & 0x0f]);
            ++i;
        } else if (u == 0xe2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
                   (static_cast<unsigned char>(s[i + 2]) == 0xa8 || static_cast<unsigned char>(s[i + 2]) == 0xa9)) {
            // U+2028 and U+2029 are line breaks to a YAML 1.1 reader.
            out += static_cast<unsigned char>(s[i + 2]) == 0xa8 ? "\\u2028" : "\\u2029";
            i += 2;
        } else {
            out.push_back(s[i]);
        }
    }
    out += '"';
    return out;
}

std::string yaml_string(std::string_view s) {
    return can_be_plain(s) ? std::string(s) : double_quoted(s);
}

// A float both YAML 1.1 and 1.2 read as one: YAML 1.1 wants a '.' in the mantissa and a sign
// in the exponent ("1.0e+20"), which the shortest round-trip form does not always have.
std::string yaml_float(double d) {
    if (std::isnan(d)) return ".nan";
    if (std::isinf(d)) return d > 0 ? ".inf" : "-.inf";
    std::array<char, 64> buffer{};
    const auto end = std::to_chars(buffer.data(), buffer.data() + buffer.size(), d).ptr;
    std::string text(buffer.data(), end);
    const auto e = text.find('e');
    const auto mantissa = text.substr(0, e);
    if (mantissa.find('.') == std::string::npos) text.insert(mantissa.size(), ".0");
    return text;
}

bool is_nonempty_container(const json::value& v) {
    return (v.is_object() && !v.as_object().empty()) || (v.is_array() && !v.as_array().empty());
}

std::string yaml_scalar(const json::value& v) {
    switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return v.get_bool() ? "true" : "false";
    case json::kind::int64: return std::to_string(v.get_int64());
    case json::kind::uint64: return std::to_string(v.get_uint64());
    case json::kind::double_: return yaml_float(v.get_double());
    case json::kind::string: return yaml_string(v.get_string());
    case json::kind::array: return "[]";
    case json::kind::object: return "{}";
    }
    return "null";
}

void emit_yaml(const json::value& v, std::size_t indent, std::string& out) {
    const std::string pad(indent, ' ');
    if (const auto* object = v.if_object()) {
        for (const auto& [key, child] : *object) {
            out += pad + yaml_string(key) + ":";
            if (is_nonempty_container(child)) {
                out += "\n";
                emit_yaml(child, indent + 2, out);
            } else {
                out += " " + yaml_scalar(child) + "\n";
            }
        }
        return;
    }
    for (const auto& item : v.as_array()) {
        if (is_nonempty_container(item)) {
            // Render the item one level deeper, then put the dash where its first indent was.
            std::string child;
            emit_yaml(item, indent + 2, child);
            child.replace(0, indent + 2, pad + "- ");
            out += child;
        } else {
            out += pad + "- " + yaml_scalar(item) + "\n";
        }
    }
}

void emit_json(const json::value& v, std::size_t indent, std::string& out) {
    if (!is_nonempty_container(v)) {
        out += json::serialize(v);
        return;
    }
    const std::string inner(indent + 2, ' ');
    if (const auto* object = v.if_object()) {
        out += "{\n";
        bool first = true;
        for (const auto& [key, child] : *object) {
            if (!first) out += ",\n";
            first = false;
            out += inner + json::serialize(json::value(key)) + ": ";
            emit_json(child, indent + 2, out);
        }
        out += "\n" + std::string(indent, ' ') + "}";
        return;
    }
    out += "[\n";
    bool first = true;
    for (const auto& item : v.as_array()) {
        if (!first) out += ",\n";
        first = false;
        out += inner;
        emit_json(item, indent + 2, out);
    }
    out += "\n" + std::string(indent, ' ') + "]";
}

}  // namespace

bool is_instance_id(std::string_view id) noexcept {
    if (id.empty() || id.size() > max_instance_id_length) return false;
    for (const char c : id) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!ok) return false;
    }
    return true;
}

std::optional<std::string> manifest_params_problem(const manifest_params& p) {
    if (p.tenant_id.empty()) return "the tenant id is empty";
    if (p.instance_id.empty()) return "the instance id is empty";
    const std::string base = base_without_slash(p);  // Boost.URL 1.81 wants an owned string here
    auto parsed = boost::urls::parse_absolute_uri(base);
    if (!parsed) return "the base URL is not an absolute URL";
    const auto scheme = parsed->scheme_id();
    if (scheme != boost::urls::scheme::https && scheme != boost::urls::scheme::http)
        return "the base URL must start with https:// (or http://)";
    if (!parsed->has_authority() || parsed->host().empty()) return "the base URL has no host";
    if (parsed->has_userinfo()) return "the base URL must not carry a user name or password";
    if (parsed->has_query() || parsed->has_fragment()) return "the base URL must not have a query or fragment";
    if (events_url(p).size() > max_command_url_length)
        return "the request URL would be longer than Slack's " + std::to_string(max_command_url_length) +
               " characters";
    if (oauth_redirect_url(p).size() > max_redirect_url_length)
        return "the redirect URL would be longer than Slack's " + std::to_string(max_redirect_url_length) +
               " characters";
    return std::nullopt;
}

std::string events_url(const manifest_params& p) {
    return base_without_slash(p) + "/slack/" + encode_segment(p.tenant_id) + "/" + encode_segment(p.instance_id) +
           "/events";
}

std::string oauth_redirect_url(const manifest_params& p) {
    return base_without_slash(p) + "/slack/oauth_redirect";
}

manifest_params manifest_template_params() {
    return {.base_url = "https://challenge.example.com", .tenant_id = "TENANT_ID", .instance_id = "INSTANCE_ID"};
}

boost::json::object manifest(const manifest_params& p) {
    if (auto problem = manifest_params_problem(p)) throw std::invalid_argument("Slack manifest: " + *problem);
    const auto url = events_url(p);

    json::object command{
        {"command", slash_command_name},
        {"url", url},
        {"description", command_description},
        {"usage_hint", command_usage_hint},
        // Mentions then arrive as <@U…|name> user ids, so no name lookup is needed.
        {"should_escape", true},
    };
    json::object new_challenge{
        {"name", "New challenge"},
        {"type", "global"},
        {"callback_id", global_shortcut_callback_id},
        {"description", command_description},
    };
    json::object challenge_sender{
        {"name", "Challenge the sender"},
        {"type", "message"},
        {"callback_id", message_shortcut_callback_id},
        {"description", "Ask the author of this message to verify their identity"},
    };

    // Bot scopes, each for a reason (https://api.slack.com/scopes):
    //   commands          the /challenge slash command and both shortcuts (shortcuts need it too);
    //   chat:write        the challenge card in the target's DM, the requester's message and thread
    //                     reply, chat.update with outcomes, chat.postEphemeral for errors;
    //   im:write          conversations.open, to get the DM channel with the target;
    //   users:read        users.info (refuse bots and deactivated users, names, time zones), and
    //                     Slack shows a user's email only with it alongside users:read.email;
    //   users:read.email  users.lookupByEmail for `/challenge user@example.com` and the REST API.
    // Needing no scope: views.open / views.publish (modals, App Home), the app_home_opened,
    // app_uninstalled and tokens_revoked events, chat.getPermalink for the message shortcut,
    // and auth.test. The Messages tab stays read-only: the app reads no DMs (no im:history).
    json::object scopes{{"bot", string_array(bot_scopes)}};

    return json::object{
        {"_metadata", json::object{{"major_version", 1}, {"minor_version", 1}}},
        {"display_information",
         json::object{
             {"name", app_name},
             {"description", app_description},
             {"long_description", app_long_description},
         }},
        {"features",
         json::object{
             {"app_home",
              json::object{
                  {"home_tab_enabled", true},
                  {"messages_tab_enabled", true},
                  {"messages_tab_read_only_enabled", true},
              }},
             {"bot_user", json::object{{"display_name", app_name}, {"always_online", true}}},
             {"shortcuts", json::array{std::move(new_challenge), std::move(challenge_sender)}},
             {"slash_commands", json::array{std::move(command)}},
         }},
        {"oauth_config",
         json::object{
             {"redirect_urls", json::array{json::value(oauth_redirect_url(p))}},
             {"scopes", std::move(scopes)},
         }},
        {"settings",
         json::object{
             {"event_subscriptions", json::object{{"request_url", url}, {"bot_events", string_array(bot_events)}}},
             // Options loads (external selects) go to the same URL, as Bolt does.
             {"interactivity",
              json::object{{"is_enabled", true}, {"request_url", url}, {"message_menu_options_url", url}}},
             {"org_deploy_enabled", p.org_deploy_enabled},
             {"socket_mode_enabled", false},
             {"token_rotation_enabled", p.token_rotation_enabled},
         }},
    };
}

std::string manifest_json(const manifest_params& params) {
    return to_pretty_json(manifest(params));
}

std::string manifest_yaml(const manifest_params& params) {
    return to_yaml(manifest(params));
}

std::string to_yaml(const boost::json::value& value) {
    if (!is_nonempty_container(value)) return yaml_scalar(value) + "\n";
    std::string out;
    emit_yaml(value, 0, out);
    return out;
}

std::string to_pretty_json(const boost::json::value& value) {
    std::string out;
    emit_json(value, 0, out);
    out += "\n";
    return out;
}

}  // namespace chal::slack
