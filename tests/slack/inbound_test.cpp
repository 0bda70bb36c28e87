#include "slack/inbound.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

using namespace chal::slack;

namespace {

constexpr std::string_view form = "application/x-www-form-urlencoded";
constexpr std::string_view json_type = "application/json";

// Form-encodes like Slack does: unreserved characters as they are, everything else %XX.
std::string form_encode(std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
            c == '_' || c == '*') {
            out.push_back(c);
        } else if (c == ' ') {
            out.push_back('+');
        } else {
            out += '%';
            out += hex[u >> 4];
            out += hex[u & 15];
        }
    }
    return out;
}

std::string interactive_body(std::string_view payload_json) {
    return "payload=" + form_encode(payload_json);
}

template <class T>
T parse_as(std::string_view content_type, std::string_view body) {
    auto r = parse_inbound(content_type, body);
    if (!r) throw std::runtime_error("parse failed: " + std::string(to_string(r.error().code)) + ": " + r.error().detail);
    if (!std::holds_alternative<T>(*r)) throw std::runtime_error("parsed as another payload type");
    return std::get<T>(*r);
}

inbound_errc error_of(std::string_view content_type, std::string_view body) {
    auto r = parse_inbound(content_type, body);
    if (r) throw std::runtime_error("expected a parse error");
    return r.error().code;
}

// Slack's documented slash command body (the signing example, slack-platform.md 1.1).
constexpr std::string_view doc_command =
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name="
    "foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks."
    "slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015."
    "47445629121.803a0bc887a14d10d2c447fce8b6703c";

constexpr std::string_view challenge_command_body =
    "token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0001&team_domain=example&enterprise_id=E0001&enterprise_name=Globular%20"
    "Construct%20Inc&channel_id=C2147483705&channel_name=test&user_id=U2147483697&user_name=Steve&command=%2Fchallenge"
    "&text=%3C%40U012ABCDEF%7Calice%3E+New+laptop+%26amp%3B+VPN&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands"
    "%2F1234%2F5678&trigger_id=13345224609.738474920.8088930838d88f008e0&api_app_id=A123456";

constexpr std::string_view block_actions_json = R"({
  "type": "block_actions",
  "user": {"id": "U0CA5", "username": "Amy McGee", "name": "Amy McGee", "team_id": "T3MDE"},
  "api_app_id": "A0CA5",
  "token": "Shh_its_a_seekrit",
  "container": {"type": "message", "text": "The contents of the original message where the action originated",
                "message_ts": "1548261231.000200", "channel_id": "D0CA5", "is_ephemeral": false},
  "trigger_id": "12466734323.1395872398",
  "team": {"id": "T0CAG", "domain": "acme-creamery"},
  "enterprise": null,
  "is_enterprise_install": false,
  "channel": {"id": "D0CA5", "name": "directmessage"},
  "message": {"type": "message", "ts": "1548261231.000200", "text": "Challenge", "blocks": []},
  "state": {"values": {}},
  "response_url": "https://hooks.slack.com/actions/AABA1ABCD/1232321423432/D09sSasdasdAS9091209",
  "actions": [
    {"action_id": "challenge_verify", "block_id": "challenge_actions", "text": {"type": "plain_text", "text": "Verify, it was me"},
     "value": "0190f1a2-7c3b-7d4e-8f5a-1b2c3d4e5f60", "type": "button", "action_ts": "1548426417.840180"}
  ]
})";

}  // namespace

// --- slash commands ----------------------------------------------------------------------

TEST(slack_inbound, parses_the_documented_slash_command) {
    const auto c = parse_as<slash_command>(form, doc_command);
    EXPECT_EQ(c.command, "/webhook-collect");
    EXPECT_EQ(c.text, "");
    EXPECT_EQ(c.user_id, "U2CERLKJA");
    EXPECT_EQ(c.user_name, "roadrunner");
    EXPECT_EQ(c.team_id, "T1DC2JH3J");
    EXPECT_EQ(c.team_domain, "testteamnow");
    EXPECT_EQ(c.channel_id, "G8PSS9T3V");
    EXPECT_EQ(c.channel_name, "foobar");
    EXPECT_EQ(c.response_url, "https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN");
    EXPECT_EQ(c.trigger_id, "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c");
    EXPECT_FALSE(c.is_enterprise_install);
    EXPECT_EQ(c.installation.team_id, "T1DC2JH3J");
    EXPECT_EQ(c.installation.enterprise_id, "");
}

TEST(slack_inbound, decodes_plus_as_space_and_keeps_slack_escaping_in_the_text) {
    const auto c = parse_as<slash_command>(form, challenge_command_body);
    EXPECT_EQ(c.command, "/challenge");
    EXPECT_EQ(c.text, "<@U012ABCDEF|alice> New laptop &amp; VPN");
    EXPECT_EQ(c.enterprise_id, "E0001");
    EXPECT_EQ(c.api_app_id, "A123456");
    EXPECT_EQ(c.installation.enterprise_id, "E0001");
    EXPECT_EQ(c.installation.team_id, "T0001");
}

TEST(slack_inbound, reads_is_enterprise_install_from_its_string_form) {
    const auto c = parse_as<slash_command>(
        form, "command=%2Fchallenge&user_id=W012&enterprise_id=E1&is_enterprise_install=true&text=help"
    );
    EXPECT_TRUE(c.is_enterprise_install);
    EXPECT_TRUE(c.installation.is_enterprise_install);
    EXPECT_EQ(c.installation.enterprise_id, "E1");
    EXPECT_FALSE(parse_as<slash_command>(form, "command=%2Fchallenge&user_id=U1&is_enterprise_install=false")
                     .is_enterprise_install);
}

TEST(slack_inbound, matches_the_media_type_without_case_or_parameters) {
    EXPECT_NO_THROW(parse_as<slash_command>("Application/X-WWW-Form-Urlencoded; charset=utf-8", doc_command));
    EXPECT_NO_THROW(parse_as<url_verification>(" application/json;charset=UTF-8", R"({"type":"url_verification","challenge":"x"})"));
}

TEST(slack_inbound, refuses_a_slash_command_without_command_or_user) {
    EXPECT_EQ(error_of(form, "command=%2Fchallenge&text=hi"), inbound_errc::missing_field);
    EXPECT_EQ(error_of(form, "command=challenge&user_id=U1"), inbound_errc::missing_field);
    EXPECT_EQ(error_of(form, "command=&user_id=U1"), inbound_errc::missing_field);
    EXPECT_EQ(error_of(form, "user_id=U1&text=hello"), inbound_errc::unknown_type);
    EXPECT_EQ(error_of(form, ""), inbound_errc::unknown_type);
}

// --- form decoding -----------------------------------------------------------------------

TEST(slack_form, decodes_percent_escapes_plus_and_valueless_fields) {
    auto fields = decode_form("a=1+2%2B3&b=%E2%9C%93&c&&d=%3d%3D");
    ASSERT_TRUE(fields);
    ASSERT_EQ(fields->size(), 4u);
    EXPECT_EQ((*fields)[0], (std::pair<std::string, std::string>{"a", "1 2+3"}));
    EXPECT_EQ((*fields)[1].second, "\xE2\x9C\x93");
    EXPECT_EQ((*fields)[2], (std::pair<std::string, std::string>{"c", ""}));
    EXPECT_EQ((*fields)[3].second, "==");
}

TEST(slack_form, refuses_bad_escapes) {
    for (std::string_view body : {"a=%", "a=%2", "a=%zz", "a=%g0", "%=1", "a=1&b=%0"}) {
        auto fields = decode_form(body);
        ASSERT_FALSE(fields) << body;
        EXPECT_EQ(fields.error().code, inbound_errc::malformed_body) << body;
    }
}

TEST(slack_form, refuses_a_repeated_field_so_no_two_parsers_can_disagree) {
    EXPECT_EQ(error_of(form, "command=%2Fchallenge&user_id=U1&user_id=U2"), inbound_errc::malformed_body);
    EXPECT_EQ(error_of(form, "payload=%7B%7D&payload=%7B%7D"), inbound_errc::malformed_body);
    EXPECT_EQ(error_of(form, "=x"), inbound_errc::malformed_body);
}

TEST(slack_form, keeps_nul_bytes_and_long_values_intact) {
    auto fields = decode_form("a=x%00y&b=" + std::string(100000, 'z'));
    ASSERT_TRUE(fields);
    EXPECT_EQ((*fields)[0].second, std::string("x\0y", 3));
    EXPECT_EQ((*fields)[1].second.size(), 100000u);
}

// --- ssl_check ---------------------------------------------------------------------------

TEST(slack_inbound, recognises_ssl_check_and_keeps_nothing_else) {
    EXPECT_TRUE(std::holds_alternative<ssl_check>(*parse_inbound(form, "ssl_check=1&token=abc")));
    // A command smuggled alongside must never be dispatched.
    EXPECT_TRUE(std::holds_alternative<ssl_check>(*parse_inbound(form, "ssl_check=1&command=%2Fchallenge&user_id=U1")));
    EXPECT_TRUE(is_ssl_check(form, "token=abc&ssl_check=1"));
    EXPECT_FALSE(is_ssl_check(form, "ssl_check=0"));
    EXPECT_FALSE(is_ssl_check(json_type, "ssl_check=1"));
    EXPECT_FALSE(is_ssl_check(form, "ssl_check=1&ssl_check=1"));
    EXPECT_FALSE(is_ssl_check(form, doc_command));
}

// --- interactivity -----------------------------------------------------------------------

TEST(slack_inbound, parses_a_button_click) {
    const auto a = parse_as<block_actions>(form, interactive_body(block_actions_json));
    EXPECT_EQ(a.user.id, "U0CA5");
    EXPECT_EQ(a.user.username, "Amy McGee");
    EXPECT_EQ(a.user.team_id, "T3MDE");
    EXPECT_EQ(a.api_app_id, "A0CA5");
    EXPECT_EQ(a.trigger_id, "12466734323.1395872398");
    EXPECT_EQ(a.response_url, "https://hooks.slack.com/actions/AABA1ABCD/1232321423432/D09sSasdasdAS9091209");
    EXPECT_EQ(a.container_type, "message");
    EXPECT_EQ(a.channel_id, "D0CA5");
    EXPECT_EQ(a.message_ts, "1548261231.000200");
    ASSERT_EQ(a.actions.size(), 1u);
    EXPECT_EQ(a.actions[0].action_id, "challenge_verify");
    EXPECT_EQ(a.actions[0].block_id, "challenge_actions");
    EXPECT_EQ(a.actions[0].type, "button");
    EXPECT_EQ(a.actions[0].value, "0190f1a2-7c3b-7d4e-8f5a-1b2c3d4e5f60");
    EXPECT_EQ(a.actions[0].raw.at("text").at("text"), "Verify, it was me");
    ASSERT_TRUE(a.message.has_value());
    EXPECT_FALSE(a.view.has_value());
    EXPECT_EQ(a.installation.team_id, "T0CAG");
    EXPECT_EQ(a.installation.enterprise_id, "");
    EXPECT_EQ(a.raw.at("token"), "Shh_its_a_seekrit");
}

TEST(slack_inbound, resolves_an_org_wide_install_from_enterprise_and_user) {
    const auto a = parse_as<block_actions>(form, interactive_body(R"({
      "type": "block_actions", "team": null, "is_enterprise_install": true,
      "enterprise": {"id": "E0ORG", "name": "Globular Construct"},
      "user": {"id": "W0USER", "team_id": "T0WORK"},
      "container": {"type": "view", "view_id": "V0VIEW"},
      "view": {"id": "V0VIEW", "type": "home", "team_id": "T0VIEW"},
      "actions": [{"action_id": "open_new_challenge", "block_id": "home", "type": "button", "action_ts": "1"}]
    })"));
    EXPECT_TRUE(a.installation.is_enterprise_install);
    EXPECT_EQ(a.installation.enterprise_id, "E0ORG");
    EXPECT_EQ(a.installation.team_id, "T0WORK");
    EXPECT_EQ(a.view_id, "V0VIEW");
    EXPECT_EQ(a.response_url, "");
    ASSERT_TRUE(a.view.has_value());
}

TEST(slack_inbound, refuses_block_actions_without_actions_or_user) {
    EXPECT_EQ(error_of(form, interactive_body(R"({"type":"block_actions","user":{"id":"U1"}})")), inbound_errc::missing_field);
    EXPECT_EQ(error_of(form, interactive_body(R"({"type":"block_actions","user":{"id":"U1"},"actions":[]})")),
              inbound_errc::missing_field);
    EXPECT_EQ(error_of(form, interactive_body(R"({"type":"block_actions","user":{"id":"U1"},"actions":[{"value":"x"}]})")),
              inbound_errc::missing_field);
    EXPECT_EQ(error_of(form, interactive_body(R"({"type":"block_actions","user":{"id":"U1"},"actions":[1]})")),
              inbound_errc::missing_field);
    EXPECT_EQ(error_of(form, interactive_body(R"({"type":"block_actions","actions":[{"action_id":"a"}]})")),
              inbound_errc::missing_field);
    EXPECT_EQ(error_of(form, interactive_body(R"({"type":"block_actions","user":"U1","actions":[{"action_id":"a"}]})")),
              inbound_errc::missing_field);
}

TEST(slack_inbound, parses_a_modal_submission) {
    const auto v = parse_as<view_submission>(form, interactive_body(R"({
      "type": "view_submission",
      "team": {"id": "T0TEAM", "domain": "example"},
      "user": {"id": "U0REQ", "username": "req", "name": "req", "team_id": "T0TEAM"},
      "api_app_id": "A0APP", "trigger_id": "123.456.abc",
      "view": {
        "id": "V0MODAL", "team_id": "T0TEAM", "type": "modal", "callback_id": "new_challenge",
        "private_metadata": "{\"channel\":\"C1\"}", "hash": "156772938.1827394",
        "app_installed_team_id": "T0INSTALLED",
        "state": {"values": {
          "target": {"target_user": {"type": "users_select", "selected_user": "U0TARGET"}},
          "reason": {"reason_input": {"type": "plain_text_input", "value": "Password reset"}}
        }}
      },
      "response_urls": [{"block_id": "b", "action_id": "a", "channel_id": "C1", "response_url": "https://hooks.slack.com/app/1"}]
    })"));
    EXPECT_EQ(v.user.id, "U0REQ");
    EXPECT_EQ(v.view_id, "V0MODAL");
    EXPECT_EQ(v.callback_id, "new_challenge");
    EXPECT_EQ(v.private_metadata, R"({"channel":"C1"})");
    EXPECT_EQ(v.hash, "156772938.1827394");
    EXPECT_EQ(v.trigger_id, "123.456.abc");
    EXPECT_EQ(v.state_values.at("target").at("target_user").at("selected_user"), "U0TARGET");
    EXPECT_EQ(v.state_values.at("reason").at("reason_input").at("value"), "Password reset");
    ASSERT_EQ(v.response_urls.size(), 1u);
    EXPECT_EQ(v.response_urls[0], "https://hooks.slack.com/app/1");
    // A modal opened from a Slack Connect channel names the installing workspace in the view.
    EXPECT_EQ(v.installation.team_id, "T0INSTALLED");
}

TEST(slack_inbound, parses_a_submission_without_state_and_refuses_one_without_a_view) {
    const auto v = parse_as<view_submission>(
        form, interactive_body(R"({"type":"view_submission","user":{"id":"U1"},"view":{"id":"V1"}})")
    );
    EXPECT_TRUE(v.state_values.empty());
    EXPECT_TRUE(v.response_urls.empty());
    EXPECT_EQ(error_of(form, interactive_body(R"({"type":"view_submission","user":{"id":"U1"}})")), inbound_errc::missing_field);
    EXPECT_EQ(error_of(form, interactive_body(R"({"type":"view_submission","user":{"id":"U1"},"view":{}})")),
              inbound_errc::missing_field);
    EXPECT_EQ(error_of(form, interactive_body(R"({"type":"view_submission","user":{"id":"U1"},"view":{"id":"V","state":{"values":[]}}})")),
              inbound_errc::missing_field);
}

TEST(slack_inbound, parses_a_closed_modal) {
    const auto v = parse_as<view_closed>(form, interactive_body(R"({
      "type": "view_closed", "team": {"id": "T1"}, "user": {"id": "U1"},
      "view": {"id": "V1", "callback_id": "new_challenge", "private_metadata": "m"}, "is_cleared": true
    })"));
    EXPECT_EQ(v.view_id, "V1");
    EXPECT_EQ(v.callback_id, "new_challenge");
    EXPECT_EQ(v.private_metadata, "m");
    EXPECT_TRUE(v.is_cleared);
    EXPECT_EQ(v.installation.team_id, "T1");
}

TEST(slack_inbound, parses_the_global_shortcut) {
    const auto s = parse_as<global_shortcut>(form, interactive_body(R"({
      "type": "shortcut", "token": "XXXXXXXXXXXXX", "action_ts": "1581106241.371594",
      "team": {"id": "TXXXXXXXX", "domain": "shortcuts-test"},
      "user": {"id": "UXXXXXXXXX", "username": "aman", "team_id": "TXXXXXXXX"},
      "callback_id": "new_challenge", "trigger_id": "944799105734.773906753841.38b5894552bdd4a780554ee59d1f3638"
    })"));
    EXPECT_EQ(s.callback_id, "new_challenge");
    EXPECT_EQ(s.trigger_id, "944799105734.773906753841.38b5894552bdd4a780554ee59d1f3638");
    EXPECT_EQ(s.action_ts, "1581106241.371594");
    EXPECT_EQ(s.user.id, "UXXXXXXXXX");
    EXPECT_EQ(s.installation.team_id, "TXXXXXXXX");
    EXPECT_EQ(error_of(form, interactive_body(R"({"type":"shortcut","user":{"id":"U1"},"trigger_id":"t"})")),
              inbound_errc::missing_field);
    EXPECT_EQ(error_of(form, interactive_body(R"({"type":"shortcut","user":{"id":"U1"},"callback_id":"c"})")),
              inbound_errc::missing_field);
}

TEST(slack_inbound, parses_the_message_shortcut_with_the_sender) {
    const auto s = parse_as<message_shortcut>(form, interactive_body(R"({
      "type": "message_action", "callback_id": "challenge_sender", "trigger_id": "13345224609.738474920.8088930838d88f008e0",
      "response_url": "https://hooks.slack.com/app-actions/T0MJR11A4/21974584944/yk1S9ndf35Q1flupVG5JbpM6",
      "team": {"id": "T0MJRM1A7", "domain": "pandamonium"},
      "channel": {"id": "D0LFFBKLZ", "name": "cats"},
      "user": {"id": "U0D15K92L", "name": "dr_maomao"},
      "message": {"type": "message", "user": "U0MJRG1AL", "ts": "1516229207.000133", "text": "Can you send me the VPN token?"},
      "message_ts": "1516229207.000133", "action_ts": "1516229219.317344"
    })"));
    EXPECT_EQ(s.callback_id, "challenge_sender");
    EXPECT_EQ(s.channel_id, "D0LFFBKLZ");
    EXPECT_EQ(s.channel_name, "cats");
    EXPECT_EQ(s.message_user, "U0MJRG1AL");
    EXPECT_EQ(s.message_bot_id, "");
    EXPECT_EQ(s.message_ts, "1516229207.000133");
    EXPECT_EQ(s.response_url, "https://hooks.slack.com/app-actions/T0MJR11A4/21974584944/yk1S9ndf35Q1flupVG5JbpM6");
    EXPECT_EQ(s.message.at("text"), "Can you send me the VPN token?");
    EXPECT_EQ(s.user.id, "U0D15K92L");
}

TEST(slack_inbound, reports_a_bot_message_for_the_message_shortcut) {
    const auto s = parse_as<message_shortcut>(form, interactive_body(R"({
      "type": "message_action", "callback_id": "challenge_sender", "trigger_id": "t", "user": {"id": "U1"},
      "message": {"type": "message", "subtype": "bot_message", "bot_id": "B0BOT", "ts": "1.2"}
    })"));
    EXPECT_EQ(s.message_user, "");
    EXPECT_EQ(s.message_bot_id, "B0BOT");
    EXPECT_EQ(s.message_ts, "1.2");
    EXPECT_EQ(error_of(form, interactive_body(R"({"type":"message_action","callback_id":"c","trigger_id":"t","user":{"id":"U1"}})")),
              inbound_errc::missing_field);
}

TEST(slack_inbound, parses_an_options_load) {
    const auto s = parse_as<block_suggestion>(form, interactive_body(R"({
      "type": "block_suggestion", "user": {"id": "U1", "team_id": "E0ORG"}, "team": null,
      "enterprise": {"id": "E0ORG"}, "is_enterprise_install": true, "api_app_id": "A1",
      "action_id": "target_picker", "block_id": "target", "value": "ali",
      "container": {"type": "view", "view_id": "V1"}, "view": {"id": "V1"}
    })"));
    EXPECT_EQ(s.action_id, "target_picker");
    EXPECT_EQ(s.block_id, "target");
    EXPECT_EQ(s.value, "ali");
    EXPECT_TRUE(s.view.has_value());
    EXPECT_EQ(s.installation.enterprise_id, "E0ORG");
    EXPECT_TRUE(s.installation.is_enterprise_install);
    EXPECT_EQ(error_of(form, interactive_body(R"({"type":"block_suggestion","user":{"id":"U1"}})")), inbound_errc::missing_field);
}

TEST(slack_inbound, refuses_unknown_or_malformed_interactivity_payloads) {
    EXPECT_EQ(error_of(form, interactive_body(R"({"type":"interactive_message","user":{"id":"U1"}})")), inbound_errc::unknown_type);
    EXPECT_EQ(error_of(form, interactive_body(R"({"type":"dialog_submission"})")), inbound_errc::unknown_type);
    EXPECT_EQ(error_of(form, interactive_body(R"({"type":7})")), inbound_errc::missing_field);
    EXPECT_EQ(error_of(form, interactive_body(R"({})")), inbound_errc::missing_field);
    EXPECT_EQ(error_of(form, interactive_body(R"([{"type":"block_actions"}])")), inbound_errc::malformed_body);
    EXPECT_EQ(error_of(form, interactive_body(R"({"type":"block_actions",)")), inbound_errc::malformed_body);
    EXPECT_EQ(error_of(form, interactive_body("")), inbound_errc::malformed_body);
    EXPECT_EQ(error_of(form, "payload=%7B%22type%22"), inbound_errc::malformed_body);
}

TEST(slack_inbound, never_echoes_body_content_in_the_error_detail) {
    auto r = parse_inbound(form, interactive_body(R"({"type":"<script>alert(1)</script>\n"})"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, inbound_errc::unknown_type);
    EXPECT_EQ(r.error().detail.find("script"), std::string::npos);
    EXPECT_NE(r.error().detail.find("(unprintable)"), std::string::npos);
}

// --- Events API --------------------------------------------------------------------------

TEST(slack_inbound, answers_url_verification_with_its_challenge) {
    const auto v = parse_as<url_verification>(json_type, R"({
      "token": "Jhj5dZrVaK7ZwHHjRyZWjbDl",
      "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
      "type": "url_verification"
    })");
    EXPECT_EQ(v.challenge, "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P");
    EXPECT_EQ(error_of(json_type, R"({"type":"url_verification"})"), inbound_errc::missing_field);
    EXPECT_EQ(error_of(json_type, R"({"type":"url_verification","challenge":42})"), inbound_errc::missing_field);
}

TEST(slack_inbound, parses_app_home_opened_with_its_installation) {
    const auto e = parse_as<event_callback>(json_type, R"({
      "token": "XXYYZZ", "team_id": "T0SHARED", "api_app_id": "A0APP",
      "event": {"type": "app_home_opened", "user": "U061F7AUR", "channel": "D0LAN2Q65", "event_ts": "1515449522000016",
                "tab": "home", "view": {"id": "V1"}},
      "type": "event_callback", "event_id": "Ev0PV52K25", "event_time": 1515449522,
      "authorizations": [{"enterprise_id": null, "team_id": "T0INSTALLED", "user_id": "U0BOT", "is_bot": true,
                          "is_enterprise_install": false}],
      "event_context": "4-eyJldCI6ImFwcF9ob21lX29wZW5lZCJ9"
    })");
    EXPECT_EQ(e.event_id, "Ev0PV52K25");
    EXPECT_EQ(e.event_time, 1515449522);
    EXPECT_EQ(e.event_type, "app_home_opened");
    EXPECT_EQ(e.team_id, "T0SHARED");
    EXPECT_EQ(e.api_app_id, "A0APP");
    EXPECT_EQ(e.installation.team_id, "T0INSTALLED");
    EXPECT_EQ(e.installation.enterprise_id, "");
    const auto* home = std::get_if<app_home_opened>(&e.detail);
    ASSERT_NE(home, nullptr);
    EXPECT_EQ(home->user, "U061F7AUR");
    EXPECT_EQ(home->channel, "D0LAN2Q65");
    EXPECT_EQ(home->tab, "home");
    EXPECT_EQ(e.event.at("view").at("id"), "V1");
}

TEST(slack_inbound, falls_back_to_top_level_team_without_authorizations) {
    const auto e = parse_as<event_callback>(json_type, R"({
      "type": "event_callback", "team_id": "T1", "enterprise_id": "E1", "event_id": "Ev1", "event_time": 1,
      "event": {"type": "app_uninstalled"}
    })");
    EXPECT_EQ(e.installation.team_id, "T1");
    EXPECT_EQ(e.installation.enterprise_id, "E1");
    EXPECT_TRUE(std::holds_alternative<app_uninstalled>(e.detail));
}

TEST(slack_inbound, parses_tokens_revoked) {
    const auto e = parse_as<event_callback>(json_type, R"({
      "token": "XXYYZZ", "team_id": "TXXXXXXXX", "api_app_id": "AXXXXXXXXX", "type": "event_callback",
      "event": {"type": "tokens_revoked", "tokens": {"oauth": ["UXXXXXXXX"], "bot": ["UXXXXXXXX", "UYYYYYYYY"]}},
      "event_id": "EvXXXXXXXX", "event_time": 1234567890,
      "authorizations": [{"enterprise_id": "E0ORG", "team_id": null, "user_id": "U0BOT", "is_enterprise_install": true}]
    })");
    const auto* revoked = std::get_if<tokens_revoked>(&e.detail);
    ASSERT_NE(revoked, nullptr);
    EXPECT_EQ(revoked->oauth, std::vector<std::string>{"UXXXXXXXX"});
    EXPECT_EQ(revoked->bot, (std::vector<std::string>{"UXXXXXXXX", "UYYYYYYYY"}));
    EXPECT_TRUE(e.installation.is_enterprise_install);
    EXPECT_EQ(e.installation.enterprise_id, "E0ORG");
    EXPECT_EQ(e.installation.team_id, "TXXXXXXXX");  // authorizations had none: the top-level one
}

TEST(slack_inbound, refuses_tokens_revoked_with_malformed_tokens) {
    const auto body = [](std::string_view tokens) {
        return R"({"type":"event_callback","event_id":"Ev1","event_time":1,"event":{"type":"tokens_revoked")" +
               std::string(tokens) + "}}";
    };
    EXPECT_EQ(error_of(json_type, body("")), inbound_errc::missing_field);
    EXPECT_EQ(error_of(json_type, body(R"(,"tokens":{"bot":"U1"})")), inbound_errc::missing_field);
    EXPECT_EQ(error_of(json_type, body(R"(,"tokens":{"bot":[1]})")), inbound_errc::missing_field);
    const auto ok = parse_as<event_callback>(json_type, body(R"(,"tokens":{"oauth":null})"));
    EXPECT_TRUE(std::get<tokens_revoked>(ok.detail).bot.empty());
}

TEST(slack_inbound, keeps_events_it_does_not_subscribe_to_as_other_events) {
    const auto e = parse_as<event_callback>(json_type, R"({
      "type": "event_callback", "event_id": "Ev2", "event_time": 2,
      "event": {"type": "message", "channel": "C1", "user": "U1", "text": "hi", "ts": "1.1"}
    })");
    EXPECT_EQ(e.event_type, "message");
    EXPECT_TRUE(std::holds_alternative<other_event>(e.detail));
}

TEST(slack_inbound, refuses_an_event_callback_without_its_identity) {
    EXPECT_EQ(error_of(json_type, R"({"type":"event_callback","event_time":1,"event":{"type":"app_uninstalled"}})"),
              inbound_errc::missing_field);
    EXPECT_EQ(error_of(json_type, R"({"type":"event_callback","event_id":"Ev","event":{"type":"app_uninstalled"}})"),
              inbound_errc::missing_field);
    EXPECT_EQ(error_of(json_type, R"({"type":"event_callback","event_id":"Ev","event_time":"1","event":{"type":"x"}})"),
              inbound_errc::missing_field);
    EXPECT_EQ(error_of(json_type, R"({"type":"event_callback","event_id":"Ev","event_time":-1.5,"event":{"type":"x"}})"),
              inbound_errc::missing_field);
    EXPECT_EQ(error_of(json_type, R"({"type":"event_callback","event_id":"Ev","event_time":1})"), inbound_errc::missing_field);
    EXPECT_EQ(error_of(json_type, R"({"type":"event_callback","event_id":"Ev","event_time":1,"event":{}})"),
              inbound_errc::missing_field);
    EXPECT_EQ(error_of(json_type, R"({"type":"event_callback","event_id":"Ev","event_time":1,"event":{"type":"app_home_opened"}})"),
              inbound_errc::missing_field);
}

TEST(slack_inbound, parses_app_rate_limited) {
    const auto r = parse_as<app_rate_limited>(json_type, R"({
      "token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "type": "app_rate_limited", "team_id": "T123456",
      "minute_rate_limited": 1518467820, "api_app_id": "A123456"
    })");
    EXPECT_EQ(r.team_id, "T123456");
    EXPECT_EQ(r.api_app_id, "A123456");
    EXPECT_EQ(r.minute_rate_limited, 1518467820);
}

TEST(slack_inbound, refuses_malformed_or_unknown_event_bodies) {
    EXPECT_EQ(error_of(json_type, ""), inbound_errc::malformed_body);
    EXPECT_EQ(error_of(json_type, "null"), inbound_errc::malformed_body);
    EXPECT_EQ(error_of(json_type, R"(["event_callback"])"), inbound_errc::malformed_body);
    EXPECT_EQ(error_of(json_type, R"({"type":"event_callback"} trailing)"), inbound_errc::malformed_body);
    EXPECT_EQ(error_of(json_type, "{\"type\":\"\xff\xfe\"}"), inbound_errc::malformed_body);
    EXPECT_EQ(error_of(json_type, R"({"type":"block_actions"})"), inbound_errc::unknown_type);
    EXPECT_EQ(error_of(json_type, R"({"challenge":"x"})"), inbound_errc::missing_field);
    EXPECT_EQ(error_of(json_type, doc_command), inbound_errc::malformed_body);
}

TEST(slack_inbound, survives_deeply_nested_json) {
    const std::string deep = R"({"type":"event_callback","event":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
    EXPECT_EQ(error_of(json_type, deep), inbound_errc::malformed_body);
    EXPECT_EQ(error_of(form, interactive_body(std::string(5000, '{'))), inbound_errc::malformed_body);
}

TEST(slack_inbound, refuses_bodies_over_the_size_limit_and_unknown_media_types) {
    const std::string huge(max_inbound_body_size + 1, 'a');
    EXPECT_EQ(error_of(json_type, huge), inbound_errc::body_too_large);
    EXPECT_EQ(error_of(form, huge), inbound_errc::body_too_large);
    EXPECT_FALSE(is_ssl_check(form, huge));
    EXPECT_EQ(error_of("text/plain", "ssl_check=1"), inbound_errc::unsupported_media_type);
    EXPECT_EQ(error_of("", R"({"type":"url_verification","challenge":"x"})"), inbound_errc::unsupported_media_type);
    EXPECT_EQ(error_of("multipart/form-data; boundary=x", "x"), inbound_errc::unsupported_media_type);
}

TEST(slack_inbound, parses_a_large_form_of_empty_pairs_without_trouble) {
    EXPECT_EQ(error_of(form, std::string(1000000, '&')), inbound_errc::unknown_type);
}

TEST(slack_inbound, throws_from_value_only_when_asked) {
    auto r = parse_inbound("text/plain", "");
    ASSERT_FALSE(r);
    EXPECT_THROW((void)r.value(), std::invalid_argument);
}

// --- api_app_id --------------------------------------------------------------------------

namespace {

inbound_payload parsed(std::string_view content_type, std::string_view body) {
    auto r = parse_inbound(content_type, body);
    if (!r) throw std::runtime_error("parse failed: " + r.error().detail);
    return *r;
}

}  // namespace

TEST(slack_app_id, accepts_only_the_recorded_app_on_every_type_slack_always_labels) {
    const std::vector<inbound_payload> labelled{
        parsed(form, challenge_command_body),  // A123456
        parsed(form, interactive_body(R"({"type":"block_actions","user":{"id":"U1"},"api_app_id":"A123456",
                                         "actions":[{"action_id":"a"}]})")),
        parsed(form, interactive_body(R"({"type":"view_submission","user":{"id":"U1"},"api_app_id":"A123456",
                                         "view":{"id":"V1"}})")),
        parsed(form, interactive_body(R"({"type":"block_suggestion","user":{"id":"U1"},"api_app_id":"A123456",
                                         "action_id":"a","block_id":"b","value":"x"})")),
        parsed(json_type, R"({"type":"event_callback","api_app_id":"A123456","event_id":"Ev1","event_time":1,
                              "event":{"type":"app_uninstalled"}})"),
        parsed(json_type, R"({"type":"app_rate_limited","api_app_id":"A123456","minute_rate_limited":1})"),
    };
    for (const auto& p : labelled) {
        EXPECT_EQ(api_app_id_of(p), "A123456");
        EXPECT_EQ(check_api_app_id(p, "A123456"), app_id_verdict::matches);
        EXPECT_EQ(check_api_app_id(p, "A0OTHER"), app_id_verdict::mismatch);
        EXPECT_EQ(check_api_app_id(p, ""), app_id_verdict::record) << "the first signed request names the app";
    }
}

TEST(slack_app_id, refuses_a_type_slack_always_labels_when_it_comes_without_one) {
    const std::vector<inbound_payload> unlabelled{
        parsed(form, doc_command),
        parsed(form, interactive_body(R"({"type":"block_actions","user":{"id":"U1"},"actions":[{"action_id":"a"}]})")),
        parsed(form, interactive_body(R"({"type":"view_submission","user":{"id":"U1"},"view":{"id":"V1"}})")),
        parsed(json_type, R"({"type":"event_callback","event_id":"Ev1","event_time":1,"event":{"type":"app_uninstalled"}})"),
        parsed(json_type, R"({"type":"app_rate_limited","minute_rate_limited":1})"),
    };
    for (const auto& p : unlabelled) {
        EXPECT_EQ(check_api_app_id(p, "A123456"), app_id_verdict::missing);
        EXPECT_EQ(check_api_app_id(p, ""), app_id_verdict::missing);
    }
}

TEST(slack_app_id, checks_shortcuts_and_closed_modals_only_when_they_name_an_app) {
    const auto global = parsed(form, interactive_body(R"({"type":"shortcut","user":{"id":"U1"},"callback_id":"c",
                                                         "trigger_id":"t"})"));
    const auto closed = parsed(form, interactive_body(R"({"type":"view_closed","user":{"id":"U1"},"view":{"id":"V1"}})"));
    EXPECT_EQ(check_api_app_id(global, "A123456"), app_id_verdict::not_claimed);
    EXPECT_EQ(check_api_app_id(closed, "A123456"), app_id_verdict::not_claimed);
    const auto labelled = parsed(form, interactive_body(R"({"type":"message_action","user":{"id":"U1"},"callback_id":"c",
                                                           "trigger_id":"t","message":{"ts":"1.2"},"api_app_id":"A0OTHER"})"));
    EXPECT_EQ(check_api_app_id(labelled, "A123456"), app_id_verdict::mismatch);
    EXPECT_EQ(check_api_app_id(labelled, "A0OTHER"), app_id_verdict::matches);
}

TEST(slack_app_id, never_records_an_app_id_that_is_not_shaped_like_slacks) {
    for (const auto* odd : {"A0FAKE\\nINJECTED", "a0fake", "A0 FAKE", "A0123456789012345678901234567890123"}) {
        const auto p = parsed(form, interactive_body(std::string(R"({"type":"block_actions","user":{"id":"U1"},"api_app_id":")") +
                                                     odd + R"(","actions":[{"action_id":"a"}]})"));
        EXPECT_EQ(check_api_app_id(p, ""), app_id_verdict::mismatch) << odd;
    }
}

TEST(slack_app_id, lets_ssl_check_and_url_verification_through_since_they_name_no_app) {
    EXPECT_EQ(check_api_app_id(parsed(form, "ssl_check=1&token=x"), "A123456"), app_id_verdict::not_claimed);
    EXPECT_EQ(check_api_app_id(parsed(json_type, R"({"type":"url_verification","challenge":"c"})"), ""),
              app_id_verdict::not_claimed);
}

// --- retry headers -----------------------------------------------------------------------

TEST(slack_retry, reads_the_retry_number_and_reason) {
    const auto r = read_retry_headers("1", "http_timeout");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->number, 1);
    EXPECT_EQ(r->reason, retry_reason::http_timeout);
    EXPECT_EQ(read_retry_headers("3", "connection_failed")->reason, retry_reason::connection_failed);
    EXPECT_EQ(read_retry_headers("2", "too_many_redirects")->reason, retry_reason::too_many_redirects);
    EXPECT_EQ(read_retry_headers("2", "ssl_error")->reason, retry_reason::ssl_error);
    EXPECT_EQ(read_retry_headers("2", "http_error")->reason, retry_reason::http_error);
    EXPECT_EQ(read_retry_headers("2", "unknown_error")->reason, retry_reason::unknown_error);
}

TEST(slack_retry, is_absent_on_a_first_delivery_or_an_unreadable_number) {
    EXPECT_FALSE(read_retry_headers("", "").has_value());
    EXPECT_FALSE(read_retry_headers("", "http_timeout").has_value());
    for (std::string_view n : {"0", "-1", "x", "1.0", " 1", "1000", "99999999999999999999"})
        EXPECT_FALSE(read_retry_headers(n, "http_timeout").has_value()) << n;
}

TEST(slack_retry, marks_an_undocumented_reason_unrecognised) {
    EXPECT_EQ(read_retry_headers("1", "")->reason, retry_reason::unrecognised);
    EXPECT_EQ(read_retry_headers("1", "HTTP_TIMEOUT")->reason, retry_reason::unrecognised);
    EXPECT_EQ(read_retry_headers("1", "http_timeout\r\nX-Evil: 1")->reason, retry_reason::unrecognised);
    EXPECT_EQ(to_string(retry_reason::unrecognised), "unrecognised");
    EXPECT_EQ(to_string(retry_reason::http_timeout), "http_timeout");
}
