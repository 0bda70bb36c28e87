#include "slack/blocks.hpp"

#include "app/core/time.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <source_location>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace json = boost::json;
namespace core = chal::core;
namespace slack = chal::slack;
namespace limits = chal::slack::block_kit_limits;
using namespace std::chrono_literals;

core::timestamp at(std::string_view rfc3339) {
    return core::parse_rfc3339(rfc3339).value();
}

core::challenge sample_challenge() {
    core::challenge c;
    c.id = "0193a5b4-7c1e-7d2a-9b3c-4d5e6f708192";
    c.tenant_id = "tenant-1";
    c.origin = core::challenge_origin::slack_command;
    c.target_user_id = "U0TARGET1";
    c.requester_id = "U0REQUEST";
    c.context = "Password reset requested by phone";
    c.created_at = at("2025-12-01T12:00:00Z");
    c.expires_at = at("2025-12-01T12:15:00Z");
    return c;
}

constexpr std::string_view full_device = R"json({
    "browser": "Chrome 120.0", "os": "Windows 11", "device_type": "desktop", "ip": "203.0.113.1",
    "user_agent": "Mozilla/5.0", "details_collected": true, "screen": "1920x1080", "color_depth": 24,
    "timezone": "Europe/Paris", "language": "fr-FR", "webgl_renderer": "ANGLE (NVIDIA GeForce RTX 3060)",
    "location": {"latitude": 48.8566, "longitude": 2.3522, "accuracy": 35}})json";

core::challenge verified_challenge() {
    auto c = sample_challenge();
    c.status = core::challenge_status::verified;
    c.completed_at = at("2025-12-01T12:05:00Z");
    c.device_fingerprint_json = std::string{full_device};
    c.auth_method = "oidc";
    c.verification_code = "482913";
    return c;
}

core::challenge failed_challenge(std::optional<core::failure_reason> reason) {
    auto c = sample_challenge();
    c.status = core::challenge_status::failed;
    c.failure = reason;
    c.completed_at = at("2025-12-01T12:04:00Z");
    return c;
}

core::challenge expired_challenge() {
    auto c = sample_challenge();
    c.status = core::challenge_status::expired;
    c.completed_at = c.expires_at;
    return c;
}

// Text that would notify everyone, impersonate a mention or break out of formatting if sent raw.
const std::string hostile =
    "<!channel> <!here> <@U1> <https://evil.example|click> & &amp; \xE2\x80\xAE"
    "evil";

bool is_valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto lead = static_cast<unsigned char>(s[i]);
        std::size_t n = lead < 0x80             ? 1
                        : (lead & 0xE0) == 0xC0 ? 2
                        : (lead & 0xF0) == 0xE0 ? 3
                        : (lead & 0xF8) == 0xF0 ? 4
                                                : 0;
        if (n == 0 || i + n > s.size()) return false;
        for (std::size_t k = 1; k < n; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
        i += n;
    }
    return true;
}

std::size_t text_length(const json::value& text_object) {
    return slack::slack_length(text_object.at("text").as_string());
}

// Every Block Kit limit the payloads must meet, checked over the whole tree.
void collect_limit_problems(
    const json::value& v, const std::string& path, std::vector<std::string>& problems
) {
    const auto require = [&](bool ok, std::string_view what) {
        if (!ok) problems.push_back(path + ": " + std::string{what});
    };
    if (v.is_string()) {
        require(is_valid_utf8(v.as_string()), "string is not valid UTF-8");
        return;
    }
    if (v.is_array()) {
        std::size_t i = 0;
        for (const auto& item : v.as_array())
            collect_limit_problems(item, path + "/" + std::to_string(i++), problems);
        return;
    }
    if (!v.is_object()) return;
    const auto& o = v.as_object();
    for (const char* id : {"block_id", "action_id", "callback_id"})
        if (const auto* x = o.if_contains(id))
            require(x->as_string().size() <= limits::identifier, "identifier too long");
    const auto type =
        o.contains("type") && o.at("type").is_string() ? std::string_view{o.at("type").as_string()} : "";
    if (type == "section") {
        require(o.contains("text") || o.contains("fields"), "section without text");
        if (const auto* t = o.if_contains("text")) {
            require(text_length(*t) >= 1 && text_length(*t) <= limits::section_text, "section text length");
        }
        if (const auto* f = o.if_contains("fields")) {
            require(f->as_array().size() <= limits::section_fields, "too many fields");
            for (const auto& field : f->as_array())
                require(text_length(field) <= limits::section_field, "field too long");
        }
    } else if (type == "header") {
        require(text_length(o.at("text")) <= limits::header_text, "header too long");
    } else if (type == "context") {
        require(o.at("elements").as_array().size() <= limits::context_elements, "too many context elements");
    } else if (type == "actions") {
        require(o.at("elements").as_array().size() <= 25, "too many actions");
    } else if (type == "button") {
        require(text_length(o.at("text")) <= limits::button_text, "button text too long");
        if (const auto* x = o.if_contains("value"))
            require(x->as_string().size() <= limits::button_value, "value too long");
        if (const auto* x = o.if_contains("url"))
            require(x->as_string().size() <= limits::button_url, "url too long");
        if (const auto* c = o.if_contains("confirm")) {
            const auto& d = c->as_object();
            require(text_length(d.at("title")) <= 100, "confirm title");
            require(text_length(d.at("text")) <= limits::confirm_text, "confirm text");
            require(text_length(d.at("confirm")) <= 30 && text_length(d.at("deny")) <= 30, "confirm buttons");
        }
    } else if (type == "input") {
        require(text_length(o.at("label")) <= limits::input_label, "label too long");
    } else if (type == "plain_text_input") {
        if (const auto* m = o.if_contains("max_length"))
            require(m->to_number<std::size_t>() <= limits::plain_text_input_max_length, "max_length");
        if (const auto* iv = o.if_contains("initial_value"))
            require(
                slack::slack_length(iv->as_string()) <= o.at("max_length").to_number<std::size_t>(),
                "initial value"
            );
    } else if (type == "static_select") {
        for (const auto& option : o.at("options").as_array())
            require(text_length(option.at("text")) <= limits::option_text, "option text");
    } else if (type == "modal") {
        for (const char* key : {"title", "submit", "close"})
            if (const auto* t = o.if_contains(key))
                require(text_length(*t) <= limits::view_title, "modal title/submit/close");
        if (const auto* m = o.if_contains("private_metadata"))
            require(m->as_string().size() <= limits::private_metadata, "private_metadata");
    } else if (type == "mrkdwn" || type == "plain_text") {
        require(!o.at("text").as_string().empty(), "empty text object");
    }
    for (const auto& member : o)
        collect_limit_problems(member.value(), path + "/" + std::string{member.key()}, problems);
}

void expect_within_limits(
    const json::value& payload,
    std::size_t max_blocks,
    const std::source_location where = std::source_location::current()
) {
    SCOPED_TRACE(testing::Message() << where.file_name() << ":" << where.line());
    std::vector<std::string> problems;
    collect_limit_problems(payload, "", problems);
    for (const auto& p : problems) ADD_FAILURE() << p;
    ASSERT_TRUE(payload.is_object());
    EXPECT_LE(payload.at("blocks").as_array().size(), max_blocks);
}

void expect_message(
    const json::object& payload, const std::source_location where = std::source_location::current()
) {
    SCOPED_TRACE(testing::Message() << where.file_name() << ":" << where.line());
    ASSERT_TRUE(payload.contains("text"));
    EXPECT_FALSE(payload.at("text").as_string().empty());
    EXPECT_LE(slack::slack_length(payload.at("text").as_string()), 4000u);
    expect_within_limits(payload, limits::message_blocks, where);
}

// All mrkdwn text of a payload, the top-level fallback included.
void collect_mrkdwn(const json::value& v, std::vector<std::string>& out) {
    if (v.is_array()) {
        for (const auto& item : v.as_array()) collect_mrkdwn(item, out);
    } else if (v.is_object()) {
        const auto& o = v.as_object();
        if (o.contains("type") && o.at("type") == "mrkdwn") out.emplace_back(o.at("text").as_string());
        for (const auto& member : o) collect_mrkdwn(member.value(), out);
    }
}

std::vector<std::string> mrkdwn_texts(const json::object& payload) {
    std::vector<std::string> out;
    if (const auto* t = payload.if_contains("text")) out.emplace_back(t->as_string());
    collect_mrkdwn(payload, out);
    return out;
}

// Every <…> token is one we put there (a date or an allowed mention) and every & starts an entity.
void expect_only_our_tokens(
    const json::object& payload, std::vector<std::string_view> allowed_mentions = {}
) {
    for (const auto& text : mrkdwn_texts(payload)) {
        SCOPED_TRACE(text.substr(0, 200));
        for (std::size_t i = text.find('<'); i != std::string::npos; i = text.find('<', i + 1)) {
            const auto end = text.find('>', i);
            ASSERT_NE(end, std::string::npos);
            const std::string_view token = std::string_view{text}.substr(i, end - i + 1);
            const bool ours =
                token.starts_with("<!date^") ||
                std::find(allowed_mentions.begin(), allowed_mentions.end(), token) != allowed_mentions.end();
            EXPECT_TRUE(ours) << token;
        }
        for (std::size_t i = text.find('&'); i != std::string::npos; i = text.find('&', i + 1)) {
            const std::string_view rest = std::string_view{text}.substr(i);
            EXPECT_TRUE(rest.starts_with("&amp;") || rest.starts_with("&lt;") || rest.starts_with("&gt;"))
                << rest.substr(0, 10);
        }
        EXPECT_EQ(text.find("\xE2\x80\xAE"), std::string::npos) << "bidi override survived";
    }
}

const json::array& blocks_of(const json::object& payload) {
    return payload.at("blocks").as_array();
}

std::vector<const json::object*> blocks_of_type(const json::object& payload, std::string_view type) {
    std::vector<const json::object*> out;
    for (const auto& b : blocks_of(payload))
        if (b.at("type").as_string() == type) out.push_back(&b.as_object());
    return out;
}

std::string all_text(const json::object& payload) {
    return json::serialize(payload);
}

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

// ---- text helpers -----------------------------------------------------------------------------

TEST(mrkdwn_user_text, escapes_ampersand_and_angle_brackets) {
    EXPECT_EQ(slack::mrkdwn_user_text("<!channel> & <@U1>", 100), "&lt;!channel&gt; &amp; &lt;@U1&gt;");
}

TEST(mrkdwn_user_text, leaves_short_text_alone) {
    EXPECT_EQ(
        slack::mrkdwn_user_text("Grüße, *bold* _it_ 😀\nsecond line", 100), "Grüße, *bold* _it_ 😀\nsecond line"
    );
}

TEST(mrkdwn_user_text, cuts_at_a_character_boundary_with_an_ellipsis) {
    std::string accents;
    for (int i = 0; i < 5000; ++i) accents += "é";
    const auto cut = slack::mrkdwn_user_text(accents, 100);
    EXPECT_TRUE(is_valid_utf8(cut));
    EXPECT_EQ(slack::slack_length(cut), 100u);
    EXPECT_TRUE(cut.ends_with("…"));
}

TEST(mrkdwn_user_text, counts_astral_characters_as_two_units_and_never_splits_them) {
    std::string emoji;
    for (int i = 0; i < 100; ++i) emoji += "😀";
    const auto cut = slack::mrkdwn_user_text(emoji, 11);
    EXPECT_EQ(cut, "😀😀😀😀😀…");
    EXPECT_EQ(slack::slack_length(cut), 11u);
}

TEST(mrkdwn_user_text, never_splits_an_entity) {
    EXPECT_EQ(slack::mrkdwn_user_text("&&&&", 7), "&amp;…");
    EXPECT_EQ(slack::mrkdwn_user_text("<<", 8), "&lt;&lt;");
    EXPECT_EQ(slack::mrkdwn_user_text("<<<", 8), "&lt;…");
}

TEST(mrkdwn_user_text, replaces_invalid_utf8_and_drops_controls_and_bidi_overrides) {
    EXPECT_EQ(
        slack::mrkdwn_user_text(
            "a\xFF"
            "b\xC0\xAF"
            "c",
            100
        ),
        "a\xEF\xBF\xBD"
        "b\xEF\xBF\xBD\xEF\xBF\xBD"
        "c"
    );
    EXPECT_EQ(slack::mrkdwn_user_text(std::string{"a\0b\x1b[31mc\td\n", 12}, 100), "ab[31mc\td\n");
    EXPECT_EQ(
        slack::mrkdwn_user_text(
            "\xE2\x80\xAE"
            "evil\xE2\x81\xA6"
            "x",
            100
        ),
        "evilx"
    );
    EXPECT_EQ(slack::mrkdwn_user_text("\xED\xA0\x80", 100), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD")
        << "a surrogate is not UTF-8";
}

TEST(mrkdwn_user_text, zero_length_gives_nothing) {
    EXPECT_EQ(slack::mrkdwn_user_text("abc", 0), "");
}

TEST(plain_user_text, cleans_and_cuts_without_escaping) {
    EXPECT_EQ(slack::plain_user_text("a < b & c", 100), "a < b & c");
    EXPECT_EQ(slack::plain_user_text("abcdef", 4), "abc…");
}

TEST(slack_length, counts_utf16_code_units) {
    EXPECT_EQ(slack::slack_length("abc"), 3u);
    EXPECT_EQ(slack::slack_length("é"), 1u);
    EXPECT_EQ(slack::slack_length("😀"), 2u);
}

TEST(person_text, keeps_a_well_formed_mention_and_escapes_anything_else) {
    EXPECT_EQ(slack::person_text("<@U0123ABC>"), "<@U0123ABC>");
    EXPECT_EQ(slack::person_text("<@W0123ABC>"), "<@W0123ABC>");
    EXPECT_EQ(slack::person_text("<@U1|boss>"), "&lt;@U1|boss&gt;");
    EXPECT_EQ(slack::person_text("<!channel>"), "&lt;!channel&gt;");
    EXPECT_EQ(slack::person_text("Alice & Bob\nSmith"), "Alice &amp; Bob Smith");
    EXPECT_EQ(slack::person_text(""), "Someone");
    EXPECT_LE(slack::slack_length(slack::person_text(std::string(10'000, 'n'))), 200u);
}

TEST(slack_mention, formats_user_ids_and_escapes_anything_else) {
    EXPECT_EQ(slack::slack_mention("U0123ABC"), "<@U0123ABC>");
    EXPECT_EQ(slack::slack_mention("u0123abc"), "u0123abc");
    EXPECT_EQ(slack::slack_mention("webhook<x>"), "webhook&lt;x&gt;");
}

TEST(slack_date, uses_slack_date_formatting_with_an_rfc3339_fallback) {
    EXPECT_EQ(
        slack::slack_date(at("2025-12-01T12:15:00Z")),
        "<!date^1764591300^{date_short_pretty} at {time}|2025-12-01T12:15:00Z>"
    );
}

// ---- the target's card -------------------------------------------------------------------------

TEST(target_card, has_the_requester_reason_expiry_and_both_buttons) {
    const auto card = slack::target_card(
        sample_challenge(), "<@U0REQUEST>", "https://chal.example/challenge/start/x", true
    );
    expect_message(card);
    EXPECT_TRUE(contains(card.at("text").as_string(), "<@U0REQUEST> asks you to verify your identity"));
    const std::string text = all_text(card);
    EXPECT_TRUE(contains(text, "Password reset requested by phone"));
    EXPECT_TRUE(
        contains(text, "Expires <!date^1764591300^{date_short_pretty} at {time}|2025-12-01T12:15:00Z>")
    );

    const auto actions = blocks_of_type(card, "actions");
    ASSERT_EQ(actions.size(), 1u);
    EXPECT_EQ(actions[0]->at("block_id"), "challenge_actions");
    const auto& buttons = actions[0]->at("elements").as_array();
    ASSERT_EQ(buttons.size(), 2u);
    EXPECT_EQ(buttons[0].at("action_id"), "verify");
    EXPECT_EQ(buttons[0].at("text").at("text"), "Verify, it was me");
    EXPECT_EQ(buttons[0].at("style"), "primary");
    EXPECT_EQ(buttons[0].at("url"), "https://chal.example/challenge/start/x");
    EXPECT_EQ(buttons[1].at("action_id"), "report_incident");
    EXPECT_EQ(buttons[1].at("text").at("text"), "Report incident, wasn't me");
    EXPECT_EQ(buttons[1].at("style"), "danger");
    EXPECT_EQ(buttons[1].at("value").as_string(), std::string_view{sample_challenge().id});
    const auto& confirm = buttons[1].at("confirm");
    EXPECT_EQ(confirm.at("style"), "danger");
    EXPECT_EQ(confirm.at("confirm").at("text"), "Report incident");
    expect_only_our_tokens(card, {"<@U0REQUEST>"});
}

TEST(target_card, puts_the_additional_context_input_before_the_buttons_when_enabled) {
    const auto card = slack::target_card(sample_challenge(), "Alice", "https://chal.example/v", true);
    const auto& blocks = blocks_of(card);
    std::size_t input_at = blocks.size(), actions_at = blocks.size();
    for (std::size_t i = 0; i < blocks.size(); ++i) {
        if (blocks[i].at("type") == "input") input_at = i;
        if (blocks[i].at("type") == "actions") actions_at = i;
    }
    ASSERT_LT(input_at, actions_at);
    const auto& input = blocks[input_at];
    EXPECT_EQ(input.at("block_id"), "additional_context");
    EXPECT_EQ(input.at("optional"), true);
    EXPECT_EQ(input.at("label").at("text"), "Additional context");
    EXPECT_FALSE(input.as_object().contains("dispatch_action"))
        << "read from state.values on the button click";
    EXPECT_EQ(input.at("element").at("type"), "plain_text_input");
    EXPECT_EQ(input.at("element").at("action_id"), "target_response");
    EXPECT_EQ(input.at("element").at("multiline"), true);
}

TEST(target_card, has_no_input_when_additional_context_is_disabled) {
    const auto card = slack::target_card(sample_challenge(), "Alice", "https://chal.example/v", false);
    expect_message(card);
    EXPECT_TRUE(blocks_of_type(card, "input").empty());
}

TEST(target_card, says_when_no_reason_was_given) {
    auto c = sample_challenge();
    c.context.reset();
    const auto card = slack::target_card(c, "Alice", "https://chal.example/v", false);
    expect_message(card);
    EXPECT_TRUE(contains(all_text(card), "_No reason given._"));
}

TEST(target_card, keeps_a_10_kb_hostile_reason_within_limits_and_inert) {
    for (const std::string& unit :
         {std::string{"x"}, std::string{"<"}, std::string{"&"}, std::string{"😀"}, hostile}) {
        auto c = sample_challenge();
        c.context.emplace();
        while (c.context->size() < 10 * 1024) *c.context += unit;
        SCOPED_TRACE(unit);
        const auto card = slack::target_card(c, hostile, "https://chal.example/v", true);
        expect_message(card);
        expect_only_our_tokens(card);
        EXPECT_FALSE(contains(all_text(card), "<!channel>"));
        EXPECT_FALSE(contains(all_text(card), "<@U1>"));
    }
}

TEST(target_card, refuses_a_verification_url_slack_cannot_carry) {
    EXPECT_THROW(
        slack::target_card(sample_challenge(), "A", std::string(3001, 'x'), true), std::invalid_argument
    );
    EXPECT_THROW(slack::target_card(sample_challenge(), "A", "", true), std::invalid_argument);
}

// ---- the requester's message -------------------------------------------------------------------

TEST(requester_message, shows_the_code_to_read_back_and_the_waiting_status) {
    const auto msg = slack::requester_message(sample_challenge(), "<@U0TARGET1>", "482913");
    expect_message(msg);
    const std::string text = all_text(msg);
    EXPECT_TRUE(contains(text, "`482913`"));
    EXPECT_TRUE(contains(text, "read this code back"));
    EXPECT_TRUE(contains(text, "Status: *waiting*"));
    EXPECT_TRUE(contains(text, "Challenge sent to *<@U0TARGET1>*"));
    EXPECT_TRUE(blocks_of_type(msg, "actions").empty());
    expect_only_our_tokens(msg, {"<@U0TARGET1>"});
}

TEST(requester_message, stays_within_limits_with_hostile_inputs) {
    auto c = sample_challenge();
    c.context = std::string(10 * 1024, '>');
    const auto msg = slack::requester_message(c, hostile, hostile);
    expect_message(msg);
    expect_only_our_tokens(msg);
}

// ---- outcomes ----------------------------------------------------------------------------------

struct outcome_case {
    std::string name;
    core::challenge challenge;
    std::string header;
};

std::vector<outcome_case> every_outcome() {
    auto incident = failed_challenge(core::failure_reason::incident_reported);
    incident.target_response = "I never asked for this " + hostile;
    return {
        {"verified", verified_challenge(), ":white_check_mark: Verified"},
        {"identity_mismatch",
         failed_challenge(core::failure_reason::identity_mismatch),
         ":x: Failed: identity mismatch"},
        {"authentication_failed",
         failed_challenge(core::failure_reason::authentication_failed),
         ":x: Failed: authentication failed"},
        {"canceled", failed_challenge(core::failure_reason::canceled), ":no_entry_sign: Canceled"},
        {"failed_without_reason", failed_challenge(std::nullopt), ":x: Failed"},
        {"incident_reported", incident, ":rotating_light: Incident reported"},
        {"expired", expired_challenge(), ":hourglass: Expired"},
    };
}

TEST(outcome_update, covers_every_terminal_outcome_for_both_roles_without_buttons) {
    for (const auto& outcome : every_outcome()) {
        for (const auto role : {slack::card_role::target, slack::card_role::requester}) {
            SCOPED_TRACE(outcome.name + (role == slack::card_role::target ? " target" : " requester"));
            const auto msg = slack::outcome_update(outcome.challenge, role, "<@U0TARGET1>", "<@U0REQUEST>");
            expect_message(msg);
            EXPECT_TRUE(blocks_of_type(msg, "actions").empty());
            EXPECT_TRUE(blocks_of_type(msg, "input").empty());
            const auto headers = blocks_of_type(msg, "header");
            ASSERT_EQ(headers.size(), 1u);
            EXPECT_EQ(headers[0]->at("text").at("text").as_string(), std::string_view{outcome.header});
            expect_only_our_tokens(msg, {"<@U0TARGET1>", "<@U0REQUEST>"});
        }
    }
}

TEST(outcome_update, says_why_a_challenge_failed_in_words) {
    const auto mismatch = slack::outcome_update(
        failed_challenge(core::failure_reason::identity_mismatch),
        slack::card_role::requester,
        "<@U0TARGET1>",
        "<@U0REQUEST>"
    );
    EXPECT_TRUE(contains(all_text(mismatch), "signed in as a different person"));
    const auto auth = slack::outcome_update(
        failed_challenge(core::failure_reason::authentication_failed),
        slack::card_role::target,
        "<@U0TARGET1>",
        "<@U0REQUEST>"
    );
    EXPECT_TRUE(contains(all_text(auth), "Signing in with the identity provider failed"));
    const auto canceled = slack::outcome_update(
        failed_challenge(core::failure_reason::canceled),
        slack::card_role::target,
        "<@U0TARGET1>",
        "<@U0REQUEST>"
    );
    EXPECT_TRUE(contains(all_text(canceled), "<@U0REQUEST> canceled this check"));
}

TEST(outcome_update, shows_the_device_details_to_both_sides_when_verified) {
    for (const auto role : {slack::card_role::target, slack::card_role::requester}) {
        const auto msg = slack::outcome_update(verified_challenge(), role, "<@U0TARGET1>", "<@U0REQUEST>");
        const std::string text = all_text(msg);
        for (const char* expected :
             {"*Browser*\\nChrome 120.0",
              "*Operating system*\\nWindows 11",
              "*Screen*\\n1920x1080, 24-bit colour",
              "*Renderer (WebGL)*\\nANGLE (NVIDIA GeForce RTX 3060)",
              "*Time zone / language*\\nEurope/Paris / fr-FR",
              "*Location*\\n48.8566, 2.3522 (\xC2\xB1"
              "35 m)",
              "*Public IP*\\n203.0.113.1",
              "<!date^1764590700^{date_short_pretty} at {time}|2025-12-01T12:05:00Z>"})
            EXPECT_TRUE(contains(text, expected)) << expected;
    }
}

TEST(outcome_update, shows_the_verification_code_to_the_requester_only) {
    const auto requester = slack::outcome_update(
        verified_challenge(), slack::card_role::requester, "<@U0TARGET1>", "<@U0REQUEST>"
    );
    const auto target =
        slack::outcome_update(verified_challenge(), slack::card_role::target, "<@U0TARGET1>", "<@U0REQUEST>");
    EXPECT_TRUE(contains(all_text(requester), "482913"));
    EXPECT_FALSE(contains(all_text(target), "482913"));
}

TEST(outcome_update, says_when_no_device_details_were_collected) {
    for (const std::optional<std::string>& device :
         {std::optional<std::string>{},
          std::optional<std::string>{"not json"},
          std::optional<std::string>{"[1,2]"},
          std::optional<std::string>{"{}"}}) {
        auto c = verified_challenge();
        c.device_fingerprint_json = device;
        const auto msg =
            slack::outcome_update(c, slack::card_role::requester, "<@U0TARGET1>", "<@U0REQUEST>");
        expect_message(msg);
        EXPECT_TRUE(contains(all_text(msg), "No device details were collected."));
        EXPECT_FALSE(contains(all_text(msg), "*Browser*"));
    }
}

TEST(outcome_update, notes_details_taken_from_the_request_alone) {
    auto c = verified_challenge();
    c.device_fingerprint_json =
        R"({"browser":"Firefox 121.0","os":"Linux","ip":"198.51.100.7","details_collected":false})";
    const auto msg = slack::outcome_update(c, slack::card_role::target, "<@U0TARGET1>", "<@U0REQUEST>");
    const std::string text = all_text(msg);
    EXPECT_TRUE(contains(text, "Firefox 121.0"));
    EXPECT_TRUE(contains(text, "198.51.100.7"));
    EXPECT_FALSE(contains(text, "*Location*"));
    EXPECT_TRUE(contains(text, "sent no details report"));
}

TEST(outcome_update, escapes_hostile_device_details) {
    auto c = verified_challenge();
    json::object device{
        {"browser", hostile},
        {"webgl_renderer", std::string(5000, '<')},
        {"timezone", hostile},
        {"ip", "<!here>"},
        {"location", json::object{{"latitude", 1e300}, {"longitude", 2}}}};
    c.device_fingerprint_json = json::serialize(device);
    const auto msg = slack::outcome_update(c, slack::card_role::requester, "<@U0TARGET1>", "<@U0REQUEST>");
    expect_message(msg);
    expect_only_our_tokens(msg, {"<@U0TARGET1>", "<@U0REQUEST>"});
    EXPECT_FALSE(contains(all_text(msg), "*Location*"));
}

TEST(outcome_update, warns_the_requester_in_red_words_about_an_incident) {
    const auto msg = slack::outcome_update(
        failed_challenge(core::failure_reason::incident_reported),
        slack::card_role::requester,
        "<@U0TARGET1>",
        "<@U0REQUEST>"
    );
    const std::string text = all_text(msg);
    EXPECT_TRUE(contains(text, ":rotating_light: *<@U0TARGET1> says they did not ask for this check*"));
    EXPECT_TRUE(contains(text, "impersonating"));
}

TEST(outcome_update, warns_when_no_identity_provider_signed_the_target_in) {
    auto c = verified_challenge();
    c.auth_method = "none";
    const auto msg = slack::outcome_update(c, slack::card_role::requester, "<@U0TARGET1>", "<@U0REQUEST>");
    EXPECT_TRUE(contains(all_text(msg), "No identity provider is set up"));
}

TEST(outcome_update, gives_a_live_challenge_its_status_line_without_buttons) {
    auto c = sample_challenge();
    c.status = core::challenge_status::in_progress;
    const auto msg = slack::outcome_update(c, slack::card_role::requester, "<@U0TARGET1>", "<@U0REQUEST>");
    expect_message(msg);
    EXPECT_TRUE(contains(all_text(msg), "<@U0TARGET1> opened the verification link."));
    EXPECT_TRUE(blocks_of_type(msg, "actions").empty());
}

TEST(outcome_update, keeps_hostile_names_and_long_responses_within_limits) {
    for (auto outcome : every_outcome()) {
        outcome.challenge.context = std::string(10 * 1024, '&');
        outcome.challenge.target_response = std::string(10 * 1024, '<');
        for (const auto role : {slack::card_role::target, slack::card_role::requester}) {
            const auto msg = slack::outcome_update(outcome.challenge, role, hostile, std::string(5000, '>'));
            expect_message(msg);
            expect_only_our_tokens(msg);
        }
    }
}

// ---- security alert ----------------------------------------------------------------------------

TEST(security_alert, names_both_people_and_the_challenge) {
    auto c = failed_challenge(core::failure_reason::incident_reported);
    c.target_response = "Not me! " + hostile;
    const auto alert = slack::security_alert(c, "<@U0TARGET1>", "<@U0REQUEST>");
    expect_message(alert);
    const std::string text = all_text(alert);
    EXPECT_TRUE(contains(text, ":rotating_light: Security alert: incident reported"));
    EXPECT_TRUE(contains(text, "*Target*\\n<@U0TARGET1>"));
    EXPECT_TRUE(contains(text, "*Requester*\\n<@U0REQUEST>"));
    EXPECT_TRUE(contains(text, c.id));
    EXPECT_TRUE(contains(text, "Not me!"));
    expect_only_our_tokens(alert, {"<@U0TARGET1>", "<@U0REQUEST>"});
}

// ---- App Home ----------------------------------------------------------------------------------

std::vector<slack::home_entry> entries(std::size_t n) {
    std::vector<slack::home_entry> out;
    for (std::size_t i = 0; i < n; ++i)
        out.push_back({sample_challenge(), "<@U0OTHER" + std::to_string(i) + ">"});
    return out;
}

TEST(app_home, lists_at_most_ten_of_each_with_status_and_time) {
    const auto sent = entries(12);
    auto received = entries(3);
    received[0].challenge = verified_challenge();
    received[1].challenge = failed_challenge(core::failure_reason::incident_reported);
    const auto view = slack::app_home(sent, received, at("2025-12-01T12:01:00Z"));
    EXPECT_EQ(view.at("type"), "home");
    expect_within_limits(view, limits::view_blocks);
    const auto sections = blocks_of_type(view, "section");
    ASSERT_EQ(sections.size(), 13u);
    const std::string first{sections[0]->at("text").at("text").as_string()};
    EXPECT_TRUE(first.starts_with(":hourglass_flowing_sand: *Waiting* · to <@U0OTHER0>")) << first;
    EXPECT_TRUE(contains(first, "Sent <!date^1764590400^"));
    EXPECT_TRUE(contains(all_text(view), "Showing the 10 most recent."));
    EXPECT_TRUE(contains(all_text(view), ":white_check_mark: *Verified* · from <@U0OTHER0>"));
    EXPECT_TRUE(contains(all_text(view), ":rotating_light: *Incident reported*"));
    const auto actions = blocks_of_type(view, "actions");
    ASSERT_EQ(actions.size(), 1u);
    EXPECT_EQ(actions[0]->at("elements").at(0).at("action_id"), "open_new_challenge");
}

TEST(app_home, shows_a_live_challenge_past_its_expiry_as_expired) {
    const auto view = slack::app_home(entries(1), {}, at("2025-12-01T13:00:00Z"));
    EXPECT_TRUE(contains(all_text(view), ":hourglass: *Expired*"));
}

TEST(app_home, says_so_when_there_is_nothing_to_list) {
    const auto view = slack::app_home({}, {}, at("2025-12-01T12:00:00Z"));
    expect_within_limits(view, limits::view_blocks);
    EXPECT_TRUE(contains(all_text(view), "You have not sent any challenges yet."));
    EXPECT_TRUE(contains(all_text(view), "Nobody has challenged you yet."));
}

TEST(app_home, stays_within_limits_with_hostile_entries) {
    auto sent = entries(10);
    for (auto& e : sent) {
        e.challenge.context = std::string(10 * 1024, '<');
        e.counterpart = hostile;
    }
    const auto view = slack::app_home(sent, sent, at("2025-12-01T12:00:00Z"));
    expect_within_limits(view, limits::view_blocks);
    std::vector<std::string> texts;
    collect_mrkdwn(view, texts);
    for (const auto& t : texts) EXPECT_FALSE(contains(t, "<!channel>"));
}

// ---- New challenge modal -----------------------------------------------------------------------

TEST(new_challenge_modal, has_the_picker_reason_and_expiry_choices) {
    const auto view = slack::new_challenge_modal(std::nullopt, std::nullopt, R"({"channel":"C1"})");
    expect_within_limits(view, limits::view_blocks);
    EXPECT_EQ(view.at("type"), "modal");
    EXPECT_EQ(view.at("callback_id"), "new_challenge");
    EXPECT_EQ(view.at("title").at("text"), "New challenge");
    EXPECT_EQ(view.at("submit").at("text"), "Send");
    EXPECT_EQ(view.at("private_metadata"), R"({"channel":"C1"})");
    const auto& blocks = blocks_of(view);
    ASSERT_EQ(blocks.size(), 3u);
    EXPECT_EQ(blocks[0].at("block_id"), "target");
    EXPECT_EQ(blocks[0].at("element").at("type"), "users_select");
    EXPECT_EQ(blocks[0].at("element").at("action_id"), "user");
    EXPECT_FALSE(blocks[0].at("element").as_object().contains("initial_user"));
    EXPECT_EQ(blocks[1].at("block_id"), "reason");
    EXPECT_EQ(blocks[1].at("element").at("type"), "plain_text_input");
    EXPECT_EQ(blocks[2].at("block_id"), "expiry");
    EXPECT_EQ(blocks[2].at("element").at("type"), "static_select");
    std::vector<std::string> values, labels;
    for (const auto& option : blocks[2].at("element").at("options").as_array()) {
        values.emplace_back(option.at("value").as_string());
        labels.emplace_back(option.at("text").at("text").as_string());
    }
    EXPECT_EQ(values, (std::vector<std::string>{"15", "60", "240", "1440"}));
    EXPECT_EQ(labels, (std::vector<std::string>{"15 minutes", "1 hour", "4 hours", "24 hours"}));
}

TEST(new_challenge_modal, prefills_a_valid_target_and_the_reason) {
    const auto view = slack::new_challenge_modal("U0TARGET1", std::string(10 * 1024, 'r'), "");
    expect_within_limits(view, limits::view_blocks);
    const auto& blocks = blocks_of(view);
    EXPECT_EQ(blocks[0].at("element").at("initial_user"), "U0TARGET1");
    EXPECT_TRUE(blocks[1].at("element").at("initial_value").as_string().ends_with("…"));
}

TEST(new_challenge_modal, leaves_out_a_prefilled_target_that_is_no_user_id) {
    const auto view = slack::new_challenge_modal("<!channel>", "<@U1> & more", "");
    EXPECT_FALSE(blocks_of(view)[0].at("element").as_object().contains("initial_user"));
    EXPECT_EQ(blocks_of(view)[1].at("element").at("initial_value"), "<@U1> & more")
        << "plain input value, not mrkdwn";
}

TEST(new_challenge_modal, refuses_metadata_longer_than_slack_keeps) {
    EXPECT_NO_THROW(slack::new_challenge_modal(std::nullopt, std::nullopt, std::string(3000, 'm')));
    EXPECT_THROW(
        slack::new_challenge_modal(std::nullopt, std::nullopt, std::string(3001, 'm')), std::invalid_argument
    );
}

// ---- ephemerals --------------------------------------------------------------------------------

TEST(ephemeral, answers_only_the_invoking_user) {
    const auto msg = slack::ephemeral("No user *bob@example.com* in this workspace.");
    expect_message(msg);
    EXPECT_EQ(msg.at("response_type"), "ephemeral");
    EXPECT_EQ(msg.at("text"), "No user *bob@example.com* in this workspace.");
    EXPECT_EQ(blocks_of(msg).size(), 1u);
}

TEST(ephemeral, cuts_text_longer_than_a_section) {
    const auto msg = slack::ephemeral(std::string(10 * 1024, 'e') + "<@U1>");
    expect_message(msg);
}

TEST(help_message, lists_every_form_of_the_command) {
    const auto msg = slack::help_message();
    expect_message(msg);
    EXPECT_EQ(msg.at("response_type"), "ephemeral");
    const std::string text = all_text(msg);
    for (const char* usage :
         {"/challenge @person [reason]",
          "/challenge person@example.com [reason]",
          "/challenge status &lt;id&gt;",
          "/challenge help"})
        EXPECT_TRUE(contains(text, usage)) << usage;
    expect_only_our_tokens(msg);
}

}  // namespace
