#include "slack/blocks.hpp"

#include "slack/command.hpp"

#include "app/core/new_challenge.hpp"
#include "app/core/text.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace chal::slack {
namespace json = boost::json;

namespace {

constexpr std::size_t name_length = 200;             // a person's name or a device detail
constexpr std::size_t fallback_reason_length = 150;  // the reason inside a notification text
constexpr std::size_t home_reason_length = 150;
constexpr std::size_t home_entries = 10;
constexpr std::string_view ellipsis = "\xE2\x80\xA6";  // U+2026, one UTF-16 unit

// ---- UTF-8 ---------------------------------------------------------------------------------

std::size_t utf16_units(char32_t cp) noexcept {
    return cp > 0xFFFF ? 2 : 1;
}

// Characters that never belong in a message: C0 and C1 controls other than newline and tab,
// and the bidirectional embeddings, overrides and isolates that can make a reason or a name
// read backwards (the "Trojan Source" trick).
bool is_dropped(char32_t cp) noexcept {
    if (cp == U'\n' || cp == U'\t') return false;
    if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) return true;
    return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

enum class text_kind { mrkdwn, plain };
enum class lines { keep, join };

std::string clean_text(std::string_view text, std::size_t max_length, text_kind kind, lines newlines) {
    std::string out;
    if (max_length == 0) return out;
    out.reserve(std::min(text.size(), max_length));
    std::size_t used = 0;
    std::size_t cut_at = std::string::npos;  // where "…" goes if the text does not fit
    for (std::size_t i = 0; i < text.size();) {
        const auto cp = core::decode_utf8(text, i);
        const std::string_view raw = text.substr(i, cp.bytes);
        i += cp.bytes;
        if (cp.valid && is_dropped(cp.value)) continue;
        std::string_view piece = cp.valid ? raw : std::string_view{"\xEF\xBF\xBD"};
        std::size_t units = utf16_units(cp.value);
        if (newlines == lines::join && (cp.value == U'\n' || cp.value == U'\t')) piece = " ";
        if (kind == text_kind::mrkdwn && (cp.value == U'&' || cp.value == U'<' || cp.value == U'>')) {
            piece = cp.value == U'&' ? "&amp;" : cp.value == U'<' ? "&lt;" : "&gt;";
            units = piece.size();
        }
        if (cut_at == std::string::npos && used + units + 1 > max_length) cut_at = out.size();
        if (used + units > max_length) {
            out.resize(cut_at);
            out += ellipsis;
            return out;
        }
        out += piece;
        used += units;
    }
    return out;
}

// Our own mrkdwn made to fit: the budgets below keep every composed text inside its limit, so
// reaching the cut is a bug (asserted in debug builds). In release it still cuts at a character
// boundary before any entity or <…> token it would split.
std::string fit_mrkdwn(std::string text, std::size_t max_length) {
    if (slack_length(text) <= max_length) return text;
    std::size_t used = 0;
    std::size_t keep = 0;
    for (std::size_t i = 0; i < text.size();) {
        const auto cp = core::decode_utf8(text, i);
        if (used + utf16_units(cp.value) + 1 > max_length) break;
        used += utf16_units(cp.value);
        i += cp.bytes;
        keep = i;
    }
    text.resize(keep);
    const auto open = text.rfind('<');
    if (open != std::string::npos && text.find('>', open) == std::string::npos) text.resize(open);
    const auto amp = text.rfind('&');
    if (amp != std::string::npos && text.find(';', amp) == std::string::npos) text.resize(amp);
    text += ellipsis;
    return text;
}

std::string checked_mrkdwn(std::string text, std::size_t max_length) {
    assert(slack_length(text) <= max_length && "a composed text exceeds its Block Kit limit");
    return fit_mrkdwn(std::move(text), max_length);
}


// ---- Block Kit building blocks -------------------------------------------------------------

json::object mrkdwn(std::string text) {
    return {{"type", "mrkdwn"}, {"text", std::move(text)}};
}

json::object plain(std::string text) {
    return {{"type", "plain_text"}, {"text", std::move(text)}, {"emoji", true}};
}

json::object section(std::string text) {
    return {
        {"type", "section"},
        {"text", mrkdwn(checked_mrkdwn(std::move(text), block_kit_limits::section_text))}};
}

json::object fields_section(const std::vector<std::string>& fields) {
    assert(!fields.empty() && fields.size() <= block_kit_limits::section_fields);
    json::array items;
    for (const auto& f : fields) items.push_back(mrkdwn(checked_mrkdwn(f, block_kit_limits::section_field)));
    return {{"type", "section"}, {"fields", std::move(items)}};
}

json::object header(std::string text) {
    assert(slack_length(text) <= block_kit_limits::header_text);
    return {{"type", "header"}, {"text", plain(std::move(text))}};
}

json::object context(std::vector<std::string> elements) {
    assert(!elements.empty() && elements.size() <= block_kit_limits::context_elements);
    json::array items;
    for (auto& e : elements)
        items.push_back(mrkdwn(checked_mrkdwn(std::move(e), block_kit_limits::section_text)));
    return {{"type", "context"}, {"elements", std::move(items)}};
}

json::object divider() {
    return {{"type", "divider"}};
}

json::object message(std::string fallback, json::array blocks) {
    assert(blocks.size() <= block_kit_limits::message_blocks);
    // Notification text: Slack cuts at 40,000 and advises at most 4,000; ours is far shorter.
    return {{"text", fit_mrkdwn(std::move(fallback), 4000)}, {"blocks", std::move(blocks)}};
}

// ---- wording -------------------------------------------------------------------------------

std::string code_span(std::string_view text, std::size_t max_length) {
    return "`" + mrkdwn_user_text(text, max_length) + "`";
}

std::string reason_text(const core::challenge& c, std::size_t max_length) {
    if (!c.context || c.context->empty()) return "_No reason given._";
    return mrkdwn_user_text(*c.context, max_length);
}

json::object reason_section(const core::challenge& c) {
    constexpr std::string_view label = "*Reason*\n";
    return section(std::string{label} + reason_text(c, block_kit_limits::section_text - label.size()));
}

std::string fallback_reason(const core::challenge& c) {
    if (!c.context || c.context->empty()) return {};
    return ": " + mrkdwn_user_text(*c.context, fallback_reason_length);
}

std::string challenge_id_text(const core::challenge& c) {
    return "Challenge " + code_span(c.id, 100);
}

bool is_incident(const core::challenge& c) {
    return c.status == core::challenge_status::failed && c.failure == core::failure_reason::incident_reported;
}

std::string status_emoji(const core::challenge& c, core::challenge_status status) {
    switch (status) {
        case core::challenge_status::initiated:
            return ":hourglass_flowing_sand:";
        case core::challenge_status::in_progress:
            return ":arrows_counterclockwise:";
        case core::challenge_status::verified:
            return ":white_check_mark:";
        case core::challenge_status::expired:
            return ":hourglass:";
        case core::challenge_status::failed:
            break;
    }
    if (c.failure == core::failure_reason::incident_reported) return ":rotating_light:";
    if (c.failure == core::failure_reason::canceled) return ":no_entry_sign:";
    return ":x:";
}

std::string status_label(const core::challenge& c, core::challenge_status status) {
    switch (status) {
        case core::challenge_status::initiated:
            return "Waiting";
        case core::challenge_status::in_progress:
            return "In progress";
        case core::challenge_status::verified:
            return "Verified";
        case core::challenge_status::expired:
            return "Expired";
        case core::challenge_status::failed:
            break;
    }
    if (!c.failure) return "Failed";
    switch (*c.failure) {
        case core::failure_reason::identity_mismatch:
            return "Failed: identity mismatch";
        case core::failure_reason::authentication_failed:
            return "Failed: authentication failed";
        case core::failure_reason::incident_reported:
            return "Incident reported";
        case core::failure_reason::canceled:
            return "Canceled";
    }
    return "Failed";
}

std::string auth_method_text(const core::challenge& c) {
    if (!c.auth_method) return {};
    if (*c.auth_method == "oidc") return "Signed in again with the identity provider (OpenID Connect).";
    if (*c.auth_method == "saml") return "Signed in again with the identity provider (SAML).";
    if (*c.auth_method == "none")
        return ":warning: No identity provider is set up, so this confirms a click on the link, not a fresh "
               "sign-in.";
    return "Sign-in method: " + mrkdwn_user_text(*c.auth_method, 50) + ".";
}

// ---- device details ------------------------------------------------------------------------

std::optional<std::string> string_member(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (!v || !v->is_string() || v->as_string().empty()) return std::nullopt;
    return mrkdwn_user_text(v->as_string(), name_length);
}

std::optional<double> number_member(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (!v || !v->is_number()) return std::nullopt;
    std::error_code ec;
    const double d = v->to_number<double>(ec);
    if (ec) return std::nullopt;
    return d;
}

std::string format_number(const char* format, double value) {
    char buffer[64];
    const int n = std::snprintf(buffer, sizeof buffer, format, value);
    return n > 0 ? std::string(buffer, static_cast<std::size_t>(std::min(n, 63))) : std::string{};
}

std::optional<std::string> location_text(const json::object& device) {
    const auto* v = device.if_contains("location");
    if (!v || !v->is_object()) return std::nullopt;
    const auto latitude = number_member(v->as_object(), "latitude");
    const auto longitude = number_member(v->as_object(), "longitude");
    if (!latitude || !longitude || *latitude < -90 || *latitude > 90 || *longitude < -180 || *longitude > 180)
        return std::nullopt;
    std::string text = format_number("%.4f", *latitude) + ", " + format_number("%.4f", *longitude);
    if (const auto accuracy = number_member(v->as_object(), "accuracy");
        accuracy && *accuracy >= 0 && *accuracy < 4.0e7)
        text += " (\xC2\xB1" + format_number("%.0f", *accuracy) + " m)";
    return text;
}

// The device details blocks of a verified challenge: a fields section, and a note when the
// browser sent no report or nothing was stored at all.
void append_device_details(json::array& blocks, const core::challenge& c) {
    json::object device;
    if (c.device_fingerprint_json) {
        std::error_code ec;
        json::value parsed = json::parse(*c.device_fingerprint_json, ec);
        if (!ec && parsed.is_object()) device = std::move(parsed.as_object());
    }
    std::vector<std::string> fields;
    const auto add = [&](std::string_view label, std::optional<std::string> value) {
        if (value) fields.push_back("*" + std::string{label} + "*\n" + *value);
    };
    add("Browser", string_member(device, "browser"));
    add("Operating system", string_member(device, "os"));
    if (auto screen = string_member(device, "screen")) {
        if (const auto depth = number_member(device, "color_depth"); depth && *depth >= 1 && *depth <= 64)
            *screen += ", " + format_number("%.0f", *depth) + "-bit colour";
        add("Screen", std::move(screen));
    }
    add("Renderer (WebGL)", string_member(device, "webgl_renderer"));
    {
        const auto timezone = string_member(device, "timezone");
        const auto language = string_member(device, "language");
        if (timezone || language)
            add("Time zone / language",
                (timezone ? *timezone : std::string{"unknown"}) + " / " +
                    (language ? *language : std::string{"unknown"}));
    }
    add("Location", location_text(device));
    add("Public IP", string_member(device, "ip"));
    if (const auto* device_type = device.if_contains("device_type");
        device_type && device_type->is_string() && device_type->as_string() != "unknown" &&
        !device_type->as_string().empty())
        add("Device type", mrkdwn_user_text(device_type->as_string(), 20));

    if (fields.empty()) {
        blocks.push_back(context({"No device details were collected."}));
        return;
    }
    blocks.push_back(section("*Device details*"));
    blocks.push_back(fields_section(fields));
    const auto* collected = device.if_contains("details_collected");
    if (collected && collected->is_bool() && !collected->as_bool())
        blocks.push_back(context({"The browser sent no details report; these come from its request alone."}));
}

// ---- messages ------------------------------------------------------------------------------

std::string completed_time(const core::challenge& c) {
    return slack_date(c.completed_at.value_or(c.expires_at));
}

void append_target_response(json::array& blocks, const core::challenge& c, std::string_view who) {
    if (!c.target_response || c.target_response->empty()) return;
    const std::string label = "*Note from " + std::string{who} + "*\n";
    blocks.push_back(
        section(label + mrkdwn_user_text(*c.target_response, block_kit_limits::section_text - label.size()))
    );
}

json::object live_update(const core::challenge& c, card_role role, const std::string& target) {
    const bool opened = c.status == core::challenge_status::in_progress;
    std::string line;
    if (role == card_role::requester)
        line = opened ? target + " opened the verification link." : "Waiting for " + target + " to verify.";
    else
        line = opened ? "You opened the verification link." : "Waiting for you to verify.";
    json::array blocks;
    blocks.push_back(section(status_emoji(c, c.status) + " " + line));
    blocks.push_back(reason_section(c));
    blocks.push_back(context({"Expires " + slack_date(c.expires_at), challenge_id_text(c)}));
    return message(status_label(c, c.status) + ": " + line, std::move(blocks));
}

}  // namespace

// ---- text helpers --------------------------------------------------------------------------

std::size_t slack_length(std::string_view utf8) noexcept {
    std::size_t units = 0;
    for (std::size_t i = 0; i < utf8.size();) {
        const auto cp = core::decode_utf8(utf8, i);
        units += cp.valid ? utf16_units(cp.value) : 1;
        i += cp.bytes;
    }
    return units;
}

std::string mrkdwn_user_text(std::string_view text, std::size_t max_length) {
    return clean_text(text, max_length, text_kind::mrkdwn, lines::keep);
}

std::string plain_user_text(std::string_view text, std::size_t max_length) {
    return clean_text(text, max_length, text_kind::plain, lines::keep);
}

std::string slack_mention(std::string_view user_id) {
    if (is_user_id(user_id)) return "<@" + std::string{user_id} + ">";
    return clean_text(user_id, name_length, text_kind::mrkdwn, lines::join);
}

std::string person_text(std::string_view who) {
    if (who.size() > 3 && who.starts_with("<@") && who.ends_with(">") &&
        is_user_id(who.substr(2, who.size() - 3)))
        return std::string{who};
    if (who.empty()) return "Someone";
    return clean_text(who, name_length, text_kind::mrkdwn, lines::join);
}

std::string slack_date(core::timestamp t) {
    return "<!date^" + std::to_string(t.time_since_epoch().count()) + "^{date_short_pretty} at {time}|" +
           core::format_rfc3339(t) + ">";
}

// ---- payloads ------------------------------------------------------------------------------

json::object target_card(
    const core::challenge& c,
    std::string_view requester,
    std::string_view verification_url,
    bool additional_context_enabled
) {
    if (verification_url.empty() || verification_url.size() > block_kit_limits::button_url)
        throw std::invalid_argument("verification URL is empty or longer than Slack allows on a button");
    const std::string who = person_text(requester);
    json::array blocks;
    blocks.push_back(header(":lock: Identity check"));
    blocks.push_back(section("*" + who + "* is asking you to confirm that it's really you."));
    blocks.push_back(reason_section(c));
    blocks.push_back(context({"Expires " + slack_date(c.expires_at), challenge_id_text(c)}));
    if (additional_context_enabled) {
        // No dispatch_action: Bolt apps read a message's inputs from state.values of the button
        // click that follows, so the text arrives with Verify or Report incident.
        json::object input{
            {"type", "plain_text_input"},
            {"action_id", block_ids::additional_context_action},
            {"multiline", true},
            {"max_length", max_target_response_length},
            {"placeholder", plain("For example: I'm signing in from a new laptop.")},
        };
        blocks.push_back(json::object{
            {"type", "input"},
            {"block_id", block_ids::additional_context_block},
            {"optional", true},
            {"label", plain("Additional context")},
            {"hint", plain("Optional. Sent with your answer when you press a button below.")},
            {"element", std::move(input)},
        });
    }
    const std::string id = plain_user_text(c.id, block_kit_limits::button_value);
    json::object verify{
        {"type", "button"},
        {"action_id", block_ids::verify_action},
        {"text", plain("Verify, it was me")},
        {"style", "primary"},
        {"url", verification_url},
        {"value", id},
    };
    json::object report{
        {"type", "button"},
        {"action_id", block_ids::report_incident_action},
        {"text", plain("Report incident, wasn't me")},
        {"style", "danger"},
        {"value", id},
        {"confirm",
         json::object{
             {"title", plain("Report an incident?")},
             {"text",
              plain("This warns the requester, and your security team where one is set up, that you did not "
                    "ask for this check. The challenge ends and can no longer be verified.")},
             {"confirm", plain("Report incident")},
             {"deny", plain("Go back")},
             {"style", "danger"},
         }},
    };
    blocks.push_back(json::object{
        {"type", "actions"},
        {"block_id", block_ids::challenge_actions},
        {"elements", json::array{std::move(verify), std::move(report)}},
    });
    blocks.push_back(context(
        {"Only press *Verify* if you are expecting this check. If you did not ask " + who +
         " for anything, report it: someone may be impersonating you."}
    ));
    return message(who + " asks you to verify your identity" + fallback_reason(c), std::move(blocks));
}

json::object requester_message(
    const core::challenge& c, std::string_view target, std::string_view verification_code
) {
    const std::string who = person_text(target);
    json::array blocks;
    blocks.push_back(section(":envelope_with_arrow: Challenge sent to *" + who + "*."));
    blocks.push_back(reason_section(c));
    if (!verification_code.empty()) {
        blocks.push_back(section(
            "*Verification code:* " + code_span(verification_code, 64) + "\nOnce " + who +
            " has verified, ask them to read this code back to you, for example on a call. Only someone "
            "who has just signed in as them can see it."
        ));
    }
    blocks.push_back(context(
        {":hourglass_flowing_sand: Status: *waiting*",
         "Expires " + slack_date(c.expires_at),
         challenge_id_text(c)}
    ));
    return message("Challenge sent to " + who + ", waiting for them to verify", std::move(blocks));
}

json::object outcome_update(
    const core::challenge& c, card_role role, std::string_view target, std::string_view requester
) {
    const std::string target_who = person_text(target);
    const std::string requester_who = person_text(requester);
    const bool for_target = role == card_role::target;
    if (!core::is_terminal(c.status)) return live_update(c, role, target_who);

    json::array blocks;
    std::string fallback;
    const std::string when = completed_time(c);
    if (c.status == core::challenge_status::verified) {
        blocks.push_back(header(":white_check_mark: Verified"));
        blocks.push_back(section(
            for_target ? "You confirmed your identity for " + requester_who + " " + when + "."
                       : "*" + target_who + "* confirmed their identity " + when + "."
        ));
        if (!for_target && c.verification_code && !c.verification_code->empty())
            blocks.push_back(section(
                "*Verification code:* " + code_span(*c.verification_code, 64) + "\nAsk " + target_who +
                " to read it back to you; if they can't, do not trust the conversation."
            ));
        if (const auto method = auth_method_text(c); !method.empty()) blocks.push_back(context({method}));
        append_device_details(blocks, c);
        if (!for_target) append_target_response(blocks, c, target_who);
        fallback = for_target ? "You verified your identity for " + requester_who
                              : target_who + " verified their identity";
    } else if (is_incident(c)) {
        blocks.push_back(header(":rotating_light: Incident reported"));
        if (for_target) {
            blocks.push_back(section(
                "You reported " + when + " that you did not ask for this check. " + requester_who +
                " has been warned that someone may be impersonating you."
            ));
        } else {
            blocks.push_back(section(
                ":rotating_light: *" + target_who + " says they did not ask for this check* (" + when +
                ").\nThe person you are dealing with may be impersonating them. Stop: do not grant access, "
                "reset credentials or share information, and contact your security team."
            ));
            append_target_response(blocks, c, target_who);
        }
        fallback = for_target ? "You reported an incident"
                              : "Incident reported: " + target_who + " did not ask for this check";
    } else if (c.status == core::challenge_status::failed) {
        std::string why;
        switch (c.failure.value_or(core::failure_reason::authentication_failed)) {
            case core::failure_reason::identity_mismatch:
                why = for_target
                          ? "You signed in as a different person than the one this check was for."
                          : target_who + " signed in as a different person: the identity did not match.";
                break;
            case core::failure_reason::canceled:
                why = for_target ? requester_who + " canceled this check." : "You canceled this check.";
                break;
            case core::failure_reason::authentication_failed:
            case core::failure_reason::incident_reported:
                why = for_target ? "Signing in with the identity provider failed."
                                 : "Signing in with the identity provider failed for " + target_who + ".";
                break;
        }
        if (!c.failure)
            why = for_target ? "The verification failed." : "The verification of " + target_who + " failed.";
        blocks.push_back(header(status_emoji(c, c.status) + " " + status_label(c, c.status)));
        blocks.push_back(section(why + " (" + when + ")"));
        if (!for_target && c.failure != core::failure_reason::canceled)
            blocks.push_back(context({"Treat the request as unverified."}));
        fallback = status_label(c, c.status) + ": " + why;
    } else {
        blocks.push_back(header(":hourglass: Expired"));
        blocks.push_back(section(
            for_target ? "This check expired " + slack_date(c.expires_at) +
                             " without being verified. Nothing else is needed from you."
                       : target_who + " did not verify before " + slack_date(c.expires_at) +
                             ". Treat the request as unverified."
        ));
        fallback = for_target ? std::string{"The identity check expired"}
                              : "Expired: " + target_who + " did not verify in time";
    }
    blocks.push_back(reason_section(c));
    blocks.push_back(context(
        {for_target ? "Requested by " + requester_who : "Sent to " + target_who, challenge_id_text(c)}
    ));
    return message(std::move(fallback), std::move(blocks));
}

json::object security_alert(const core::challenge& c, std::string_view target, std::string_view requester) {
    const std::string target_who = person_text(target);
    const std::string requester_who = person_text(requester);
    json::array blocks;
    blocks.push_back(header(":rotating_light: Security alert: incident reported"));
    blocks.push_back(section(
        "*" + target_who + "* reported that they did not ask for an identity check requested by *" +
        requester_who + "*. Someone may be impersonating them."
    ));
    blocks.push_back(fields_section({
        "*Target*\n" + target_who,
        "*Requester*\n" + requester_who,
        "*Reported*\n" + completed_time(c),
        "*Requested*\n" + slack_date(c.created_at),
        "*Challenge*\n" + code_span(c.id, 100),
    }));
    blocks.push_back(reason_section(c));
    append_target_response(blocks, c, target_who);
    return message(
        "Security alert: " + target_who + " reported an identity check they did not ask for (requested by " +
            requester_who + ")",
        std::move(blocks)
    );
}

json::object app_home(
    std::span<const home_entry> sent, std::span<const home_entry> received, core::timestamp now
) {
    json::array blocks;
    blocks.push_back(header("Identity checks"));
    blocks.push_back(json::object{
        {"type", "actions"},
        {"elements",
         json::array{json::object{
             {"type", "button"},
             {"action_id", block_ids::open_new_challenge_action},
             {"text", plain("New challenge")},
             {"style", "primary"},
         }}},
    });
    const auto list = [&](std::string_view title, std::span<const home_entry> entries, bool sent_by_me) {
        blocks.push_back(divider());
        blocks.push_back(header(std::string{title}));
        if (entries.empty()) {
            blocks.push_back(context(
                {sent_by_me ? "You have not sent any challenges yet." : "Nobody has challenged you yet."}
            ));
            return;
        }
        for (const auto& entry : entries.first(std::min(entries.size(), home_entries))) {
            const auto& c = entry.challenge;
            const auto status = core::observed_status(c, now);
            const std::string who = person_text(entry.counterpart);
            std::string when = (sent_by_me ? "Sent " : "Received ") + slack_date(c.created_at);
            if (status == core::challenge_status::expired)
                when += " \xC2\xB7 expired " + slack_date(c.expires_at);
            else if (core::is_terminal(status) && c.completed_at)
                when += " \xC2\xB7 ended " + slack_date(*c.completed_at);
            else if (!core::is_terminal(status))
                when += " \xC2\xB7 expires " + slack_date(c.expires_at);
            blocks.push_back(section(
                status_emoji(c, status) + " *" + status_label(c, status) + "* \xC2\xB7 " +
                (sent_by_me ? "to " : "from ") + who + "\n" + reason_text(c, home_reason_length) + "\n" + when
            ));
        }
        if (entries.size() > home_entries)
            blocks.push_back(context({"Showing the " + std::to_string(home_entries) + " most recent."}));
    };
    list("Sent by you", sent, true);
    list("Sent to you", received, false);
    assert(blocks.size() <= block_kit_limits::view_blocks);
    return {{"type", "home"}, {"blocks", std::move(blocks)}};
}

json::object new_challenge_modal(
    std::optional<std::string_view> target_user_id,
    std::optional<std::string_view> reason,
    std::string_view private_metadata
) {
    if (private_metadata.size() > block_kit_limits::private_metadata)
        throw std::invalid_argument("private_metadata is longer than Slack's 3000 characters");
    json::object user_select{
        {"type", "users_select"},
        {"action_id", block_ids::target_action},
        {"placeholder", plain("Choose a person")},
    };
    if (target_user_id && is_user_id(*target_user_id)) user_select["initial_user"] = *target_user_id;
    json::object reason_input{
        {"type", "plain_text_input"},
        {"action_id", block_ids::reason_action},
        {"multiline", true},
        {"max_length", core::max_context_length},
        {"placeholder", plain("Why are you asking? For example: password reset requested by phone.")},
    };
    if (reason && !reason->empty())
        reason_input["initial_value"] = plain_user_text(*reason, core::max_context_length);
    json::array options;
    for (const int minutes : new_challenge_expiry_minutes) {
        const std::string label = minutes < 60    ? std::to_string(minutes) + " minutes"
                                  : minutes == 60 ? std::string{"1 hour"}
                                                  : std::to_string(minutes / 60) + " hours";
        options.push_back(json::object{{"text", plain(label)}, {"value", std::to_string(minutes)}});
    }
    json::array blocks{
        json::object{
            {"type", "input"},
            {"block_id", block_ids::target_block},
            {"label", plain("Who should verify?")},
            {"element", std::move(user_select)},
        },
        json::object{
            {"type", "input"},
            {"block_id", block_ids::reason_block},
            {"optional", true},
            {"label", plain("Reason")},
            {"hint", plain("Shown to the person you challenge.")},
            {"element", std::move(reason_input)},
        },
        json::object{
            {"type", "input"},
            {"block_id", block_ids::expiry_block},
            {"optional", true},
            {"label", plain("Expires after")},
            {"hint", plain("Leave empty for your workspace's default.")},
            {"element",
             json::object{
                 {"type", "static_select"},
                 {"action_id", block_ids::expiry_action},
                 {"placeholder", plain("Workspace default")},
                 {"options", std::move(options)},
             }},
        },
    };
    return {
        {"type", "modal"},
        {"callback_id", block_ids::new_challenge_callback},
        {"title", plain("New challenge")},
        {"submit", plain("Send")},
        {"close", plain("Cancel")},
        {"private_metadata", private_metadata},
        {"blocks", std::move(blocks)},
    };
}

json::object ephemeral(std::string_view text) {
    std::string body = fit_mrkdwn(std::string{text}, block_kit_limits::section_text);
    json::array blocks{section(body)};
    return {{"response_type", "ephemeral"}, {"text", std::move(body)}, {"blocks", std::move(blocks)}};
}

json::object help_message() {
    json::array blocks{
        section("*Ask someone to prove it's really them.* They get a card in Slack and sign in again with "
                "your identity provider; you see the result here."),
        section("`/challenge @person [reason]`: send a challenge to someone in this workspace\n"
                "`/challenge person@example.com [reason]`: the same, by email address\n"
                "`/challenge`: open a form to pick the person, the reason and the expiry\n"
                "`/challenge status &lt;id&gt;`: show where a challenge stands\n"
                "`/challenge help`: this message"),
        context({"When they have verified, ask them to read back the verification code you receive. Your "
                 "App Home lists your recent challenges."}),
    };
    return json::object{
        {"response_type", "ephemeral"},
        {"text", "/challenge @person [reason] sends an identity check; /challenge alone opens a form"},
        {"blocks", std::move(blocks)},
    };
}

}  // namespace chal::slack
