#include "slack/manifest.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <string>

using namespace chal::slack;
namespace json = boost::json;

namespace {

manifest_params acme() {
    return {
        .base_url = "https://challenge.example.com",
        .tenant_id = "0190f1a2-7c3b-7d4e-8f5a-1b2c3d4e5f60",
        .instance_id = "primary",
    };
}

const std::string acme_url = "https://challenge.example.com/slack/0190f1a2-7c3b-7d4e-8f5a-1b2c3d4e5f60/primary/events";

json::array strings(std::initializer_list<std::string_view> items) {
    json::array out;
    for (auto s : items) out.emplace_back(s);
    return out;
}

}  // namespace

TEST(slack_manifest, names_the_app_and_describes_it_within_slacks_limits) {
    const auto m = manifest(acme());
    EXPECT_EQ(m.at("_metadata").at("major_version"), 1);
    const auto& info = m.at("display_information").as_object();
    EXPECT_EQ(info.at("name"), "Challenge");
    EXPECT_LE(info.at("description").as_string().size(), 140u);
    EXPECT_GE(info.at("long_description").as_string().size(), 175u);
    EXPECT_LE(info.at("long_description").as_string().size(), 4000u);
    EXPECT_EQ(m.at("features").at("bot_user").at("display_name"), "Challenge");
}

TEST(slack_manifest, declares_the_challenge_slash_command_from_the_contract) {
    const auto m = manifest(acme());
    const auto& commands = m.at("features").at("slash_commands").as_array();
    ASSERT_EQ(commands.size(), 1u);
    const auto& c = commands[0].as_object();
    EXPECT_EQ(c.at("command"), "/challenge");
    EXPECT_EQ(c.at("usage_hint"), "@username [reason]");
    EXPECT_EQ(c.at("description"), "Request an identity verification challenge for a user");
    EXPECT_EQ(c.at("should_escape"), true);
    EXPECT_EQ(c.at("url").as_string(), acme_url);
}

TEST(slack_manifest, declares_both_shortcuts) {
    const auto m = manifest(acme());
    const auto& shortcuts = m.at("features").at("shortcuts").as_array();
    ASSERT_EQ(shortcuts.size(), 2u);
    EXPECT_EQ(shortcuts[0].at("name"), "New challenge");
    EXPECT_EQ(shortcuts[0].at("type"), "global");
    EXPECT_EQ(shortcuts[0].at("callback_id").as_string(), global_shortcut_callback_id);
    EXPECT_EQ(shortcuts[1].at("name"), "Challenge the sender");
    EXPECT_EQ(shortcuts[1].at("type"), "message");
    EXPECT_EQ(shortcuts[1].at("callback_id").as_string(), message_shortcut_callback_id);
    for (const auto& s : shortcuts) {
        EXPECT_LE(s.at("name").as_string().size(), 24u);
        EXPECT_LE(s.at("description").as_string().size(), 150u);
    }
}

TEST(slack_manifest, enables_app_home_with_a_read_only_messages_tab) {
    const auto m = manifest(acme());
    const auto& home = m.at("features").at("app_home");
    EXPECT_EQ(home.at("home_tab_enabled"), true);
    EXPECT_EQ(home.at("messages_tab_enabled"), true);
    EXPECT_EQ(home.at("messages_tab_read_only_enabled"), true);
}

TEST(slack_manifest, asks_for_exactly_the_bot_scopes_it_uses) {
    const auto m = manifest(acme());
    EXPECT_EQ(
        m.at("oauth_config").at("scopes").at("bot"),
        strings({"commands", "chat:write", "im:write", "users:read", "users:read.email"})
    );
    EXPECT_FALSE(m.at("oauth_config").at("scopes").as_object().contains("user"));
}

TEST(slack_manifest, sends_commands_interactivity_and_events_to_one_url) {
    const auto m = manifest(acme());
    const auto& settings = m.at("settings").as_object();
    EXPECT_EQ(settings.at("event_subscriptions").at("request_url").as_string(), acme_url);
    EXPECT_EQ(settings.at("event_subscriptions").at("bot_events"),
              strings({"app_home_opened", "app_uninstalled", "tokens_revoked"}));
    EXPECT_EQ(settings.at("interactivity").at("is_enabled"), true);
    EXPECT_EQ(settings.at("interactivity").at("request_url").as_string(), acme_url);
    EXPECT_EQ(settings.at("interactivity").at("message_menu_options_url").as_string(), acme_url);
    EXPECT_EQ(m.at("oauth_config").at("redirect_urls"), strings({"https://challenge.example.com/slack/oauth_redirect"}));
    EXPECT_EQ(settings.at("socket_mode_enabled"), false);
}

TEST(slack_manifest, leaves_token_rotation_and_org_deploy_off_unless_asked) {
    auto p = acme();
    EXPECT_EQ(manifest(p).at("settings").at("token_rotation_enabled"), false);
    EXPECT_EQ(manifest(p).at("settings").at("org_deploy_enabled"), false);
    p.token_rotation_enabled = true;
    p.org_deploy_enabled = true;
    EXPECT_EQ(manifest(p).at("settings").at("token_rotation_enabled"), true);
    EXPECT_EQ(manifest(p).at("settings").at("org_deploy_enabled"), true);
}

TEST(slack_manifest, builds_urls_from_the_base_without_doubling_slashes) {
    auto p = acme();
    p.base_url = "https://sso.example.org/tools/challenge///";
    EXPECT_EQ(events_url(p), "https://sso.example.org/tools/challenge/slack/0190f1a2-7c3b-7d4e-8f5a-1b2c3d4e5f60/primary/events");
    EXPECT_EQ(oauth_redirect_url(p), "https://sso.example.org/tools/challenge/slack/oauth_redirect");
}

TEST(slack_manifest, percent_encodes_ids_in_the_path) {
    auto p = acme();
    p.tenant_id = "acme corp/ü";
    p.instance_id = "../x?y#z";
    EXPECT_EQ(events_url(p), "https://challenge.example.com/slack/acme%20corp%2F%C3%BC/..%2Fx%3Fy%23z/events");
}

TEST(slack_manifest, refuses_parameters_that_cannot_make_a_manifest) {
    const auto problem = [](auto change) {
        auto p = acme();
        change(p);
        return manifest_params_problem(p).has_value();
    };
    EXPECT_FALSE(problem([](manifest_params&) {}));
    EXPECT_FALSE(problem([](manifest_params& p) { p.base_url = "http://127.0.0.1:8080"; }));
    EXPECT_TRUE(problem([](manifest_params& p) { p.base_url = ""; }));
    EXPECT_TRUE(problem([](manifest_params& p) { p.base_url = "challenge.example.com"; }));
    EXPECT_TRUE(problem([](manifest_params& p) { p.base_url = "ftp://challenge.example.com"; }));
    EXPECT_TRUE(problem([](manifest_params& p) { p.base_url = "https://"; }));
    EXPECT_TRUE(problem([](manifest_params& p) { p.base_url = "https://user:pw@challenge.example.com"; }));
    EXPECT_TRUE(problem([](manifest_params& p) { p.base_url = "https://challenge.example.com/?x=1"; }));
    EXPECT_TRUE(problem([](manifest_params& p) { p.base_url = "https://challenge.example.com/#top"; }));
    EXPECT_TRUE(problem([](manifest_params& p) { p.base_url = "https://challenge.example.com/a b"; }));
    EXPECT_TRUE(problem([](manifest_params& p) { p.tenant_id.clear(); }));
    EXPECT_TRUE(problem([](manifest_params& p) { p.instance_id.clear(); }));
    EXPECT_TRUE(problem([](manifest_params& p) { p.instance_id = std::string(3000, 'i'); }));
    EXPECT_TRUE(problem([](manifest_params& p) { p.base_url = "https://challenge.example.com/" + std::string(2470, 'p'); }));
    EXPECT_THROW(manifest(manifest_params{}), std::invalid_argument);
    EXPECT_THROW(manifest_json(manifest_params{}), std::invalid_argument);
    EXPECT_THROW(manifest_yaml(manifest_params{}), std::invalid_argument);
}

TEST(slack_manifest, prints_json_that_parses_back_to_the_manifest) {
    const auto text = manifest_json(acme());
    EXPECT_EQ(json::parse(text), json::value(manifest(acme())));
    EXPECT_EQ(text.back(), '\n');
    EXPECT_NE(text.find("\n  \"display_information\": {\n    \"name\": \"Challenge\""), std::string::npos);
}

TEST(slack_manifest, template_uses_placeholders) {
    const auto text = manifest_json(manifest_template_params());
    EXPECT_NE(text.find("https://challenge.example.com/slack/TENANT_ID/INSTANCE_ID/events"), std::string::npos);
}

TEST(slack_manifest, prints_yaml_in_block_style) {
    const auto yaml = manifest_yaml(acme());
    EXPECT_TRUE(yaml.starts_with("_metadata:\n  major_version: 1\n  minor_version: 1\ndisplay_information:\n  name: Challenge\n"));
    EXPECT_NE(yaml.find("  slash_commands:\n    - command: /challenge\n      url: " + acme_url + "\n"), std::string::npos);
    EXPECT_NE(yaml.find("      usage_hint: \"@username [reason]\"\n      should_escape: true\n"), std::string::npos);
    EXPECT_NE(yaml.find("    bot:\n      - commands\n      - chat:write\n"), std::string::npos);
    EXPECT_NE(yaml.find("  token_rotation_enabled: false\n"), std::string::npos);
}

TEST(slack_yaml, quotes_strings_a_yaml_reader_would_take_for_something_else) {
    const auto yaml_of = [](std::string_view s) { return to_yaml(json::value(s)); };
    for (std::string_view s : {"yes", "No", "ON", "off", "y", "N", "true", "False", "null", "~", "123", "-1", "1e3",
                               ".5", "", " lead", "trail ", "a: b", "a:", "a #b", "#c", "- x", "@user", "[x]",
                               "{x}", "*a", "&a", "!t", "|", ">", "%x", "'q'", "a,b"}) {
        EXPECT_EQ(yaml_of(s).front(), '"') << s;
    }
    for (std::string_view s : {"Challenge", "chat:write", "/challenge", "https://x.example/a/b", "New challenge", "_x"})
        EXPECT_EQ(yaml_of(s), std::string(s) + "\n") << s;
}

TEST(slack_yaml, escapes_what_yaml_cannot_hold_literally) {
    EXPECT_EQ(to_yaml(json::value("a\"b\\c\nd\te\r")), "\"a\\\"b\\\\c\\nd\\te\\r\"\n");
    EXPECT_EQ(to_yaml(json::value(std::string_view("\x01\x7f", 2))), "\"\\x01\\x7F\"\n");
    EXPECT_EQ(to_yaml(json::value("nel\xC2\x85x")), "\"nel\\u0085x\"\n");
    EXPECT_EQ(to_yaml(json::value("ls\xE2\x80\xA8ps\xE2\x80\xA9")), "\"ls\\u2028ps\\u2029\"\n");
    EXPECT_EQ(to_yaml(json::value("é ü 日本")), "\"é ü 日本\"\n");
}

TEST(slack_yaml, writes_nested_and_empty_containers) {
    const auto v = json::parse(R"({"a":[[1,[2,[]]],{"b":{},"c":[{"d":null}]},[],{}],"e":{"f":1.5,"g":-7}})");
    EXPECT_EQ(
        to_yaml(v),
        "a:\n"
        "  - - 1\n"
        "    - - 2\n"
        "      - []\n"
        "  - b: {}\n"
        "    c:\n"
        "      - d: null\n"
        "  - []\n"
        "  - {}\n"
        "e:\n"
        "  f: 1.5\n"
        "  g: -7\n"
    );
    EXPECT_EQ(to_yaml(json::value(true)), "true\n");
    EXPECT_EQ(to_yaml(json::value(3.0)), "3.0\n");
    EXPECT_EQ(to_yaml(json::value(1e20)), "1.0e+20\n");
    EXPECT_EQ(to_yaml(json::value(-2.5e-7)), "-2.5e-07\n");
    EXPECT_EQ(to_yaml(json::object{}), "{}\n");
}
