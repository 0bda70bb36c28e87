#include "slack/command.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

using namespace chal::slack;

namespace {

template <class T>
T parse_as(std::string_view text) {
    auto parsed = parse_challenge_command(text);
    if (auto* error = std::get_if<usage_error>(&parsed))
        if (!std::is_same_v<T, usage_error>) throw std::runtime_error("usage error: " + error->message);
    if (!std::holds_alternative<T>(parsed)) throw std::runtime_error("parsed as another command");
    return std::get<T>(parsed);
}

bool is_usage_error(std::string_view text) {
    return std::holds_alternative<usage_error>(parse_challenge_command(text));
}

}  // namespace

TEST(challenge_command, opens_the_modal_when_the_text_is_empty) {
    EXPECT_NO_THROW(parse_as<open_challenge_modal>(""));
    EXPECT_NO_THROW(parse_as<open_challenge_modal>("   \t\n "));
}

TEST(challenge_command, shows_help_in_any_case) {
    EXPECT_NO_THROW(parse_as<show_help>("help"));
    EXPECT_NO_THROW(parse_as<show_help>("  HELP "));
    EXPECT_NO_THROW(parse_as<show_help>("Help me"));
    EXPECT_NE(challenge_usage().find("/challenge @user [reason]"), std::string_view::npos);
}

TEST(challenge_command, reads_status_with_a_challenge_id) {
    EXPECT_EQ(parse_as<show_status>("status 0190f1a2-7c3b-7d4e-8f5a-1b2c3d4e5f60").challenge_id,
              "0190f1a2-7c3b-7d4e-8f5a-1b2c3d4e5f60");
    EXPECT_EQ(parse_as<show_status>("Status   0190F1A2-7C3B-7D4E-8F5A-1B2C3D4E5F60  ").challenge_id,
              "0190f1a2-7c3b-7d4e-8f5a-1b2c3d4e5f60");
}

TEST(challenge_command, explains_status_without_a_valid_id) {
    EXPECT_TRUE(is_usage_error("status"));
    EXPECT_TRUE(is_usage_error("status 1234"));
    EXPECT_TRUE(is_usage_error("status 0190f1a2-7c3b-7d4e-8f5a-1b2c3d4e5f60 extra"));
    EXPECT_TRUE(is_usage_error("status <@U012ABCDEF>"));
    EXPECT_NE(parse_as<usage_error>("status").message.find("/challenge status <challenge-id>"), std::string::npos);
}

TEST(challenge_command, reads_an_escaped_mention_with_its_label) {
    const auto c = parse_as<challenge_user>("<@U012ABCDEF|alice> Suspicious login from a new device");
    EXPECT_EQ(c.user_id, "U012ABCDEF");
    EXPECT_EQ(c.reason, "Suspicious login from a new device");
}

TEST(challenge_command, reads_a_mention_without_label_and_a_grid_user) {
    EXPECT_EQ(parse_as<challenge_user>("<@U012ABCDEF>").user_id, "U012ABCDEF");
    EXPECT_EQ(parse_as<challenge_user>("<@U012ABCDEF>").reason, "");
    EXPECT_EQ(parse_as<challenge_user>("<@W0123ABCD> why").user_id, "W0123ABCD");
    // A label may contain spaces; it is not the reason.
    const auto spaced = parse_as<challenge_user>("<@U012ABCDEF|Alice Smith>   reset MFA  ");
    EXPECT_EQ(spaced.user_id, "U012ABCDEF");
    EXPECT_EQ(spaced.reason, "reset MFA");
}

TEST(challenge_command, decodes_slack_escaping_in_the_reason_once) {
    EXPECT_EQ(parse_as<challenge_user>("<@U012ABCDEF> R&amp;D &lt;prod&gt; access").reason, "R&D <prod> access");
    EXPECT_EQ(parse_as<challenge_user>("<@U012ABCDEF> &amp;lt; stays").reason, "&lt; stays");
    EXPECT_EQ(parse_as<challenge_user>("<@U012ABCDEF> &quot;x&quot; &amp").reason, "&quot;x&quot; &amp");
}

TEST(challenge_command, keeps_a_multi_line_reason_trimmed) {
    EXPECT_EQ(parse_as<challenge_user>("<@U012ABCDEF>\n  line one\nline two \n").reason, "line one\nline two");
}

TEST(challenge_command, refuses_a_reason_over_the_limit) {
    const std::string at_limit(max_reason_length(), 'x');
    EXPECT_EQ(parse_as<challenge_user>("<@U012ABCDEF> " + at_limit).reason.size(), max_reason_length());
    const auto error = parse_as<usage_error>("<@U012ABCDEF> " + at_limit + "y");
    EXPECT_NE(error.message.find("2000"), std::string::npos);
    // The limit applies to the decoded text: 2000 escaped ampersands are 2000 characters.
    std::string escaped;
    for (std::size_t i = 0; i < max_reason_length(); ++i) escaped += "&amp;";
    EXPECT_EQ(parse_as<challenge_user>("<@U012ABCDEF> " + escaped).reason, std::string(max_reason_length(), '&'));
}

TEST(challenge_command, reads_a_plain_email_address) {
    const auto c = parse_as<challenge_email>("alice.smith+it@example.co.uk  lost phone");
    EXPECT_EQ(c.email, "alice.smith+it@example.co.uk");
    EXPECT_EQ(c.reason, "lost phone");
}

TEST(challenge_command, reads_slacks_auto_linked_email) {
    const auto c = parse_as<challenge_email>("<mailto:alice@example.com|alice@example.com> wire transfer &gt; $10k");
    EXPECT_EQ(c.email, "alice@example.com");
    EXPECT_EQ(c.reason, "wire transfer > $10k");
    EXPECT_EQ(parse_as<challenge_email>("<mailto:bob@example.com>").email, "bob@example.com");
    // The link target counts, not the label.
    EXPECT_EQ(parse_as<challenge_email>("<mailto:bob@example.com|someone@else.example>").email, "bob@example.com");
}

TEST(challenge_command, refuses_what_is_not_an_email_address) {
    for (std::string_view text : {"alice@", "@example.com", "alice@example", "a@b@example.com", "alice@.example.com",
                                  "alice@example.com.", "<mailto:not-an-email>", "<mailto:>", "al(ice@example.com",
                                  "alice@exa;mple.com"}) {
        EXPECT_TRUE(is_usage_error(text)) << text;
    }
}

TEST(challenge_command, explains_an_unresolved_at_name) {
    const auto error = parse_as<usage_error>("@alice please verify");
    EXPECT_NE(error.message.find("email"), std::string::npos);
    EXPECT_EQ(error.message.find("alice"), std::string::npos);  // never echoes input
}

TEST(challenge_command, refuses_channels_groups_and_links) {
    EXPECT_TRUE(is_usage_error("<#C123456789|general> reason"));
    EXPECT_TRUE(is_usage_error("<#C987654321|>"));
    EXPECT_TRUE(is_usage_error("<!here> everyone verify"));
    EXPECT_TRUE(is_usage_error("<!subteam^S0123|@security> verify"));
    EXPECT_TRUE(is_usage_error("<https://evil.example|click me>"));
    EXPECT_TRUE(is_usage_error("<@U012ABCDEF"));
}

TEST(challenge_command, refuses_malformed_mentions) {
    for (std::string_view text : {"<@>", "<@|alice>", "<@u012abcdef>", "<@B012ABCDEF>", "<@C012ABCDEF>", "<@U1>",
                                  "<@U012ABC-DEF>", "<@U012ABCDEF0123456789012345678901234>"}) {
        EXPECT_TRUE(is_usage_error(text)) << text;
    }
}

TEST(challenge_command, challenges_one_person_at_a_time) {
    const auto error = parse_as<usage_error>("<@U012ABCDEF> <@U0SECOND> both of you");
    EXPECT_NE(error.message.find("one person"), std::string::npos);
}

TEST(challenge_command, answers_anything_else_with_usage) {
    for (std::string_view text : {"alice", "please challenge alice", "12345", "statusx", "\xff\xfe"}) {
        const auto error = parse_as<usage_error>(text);
        EXPECT_NE(error.message.find("*Usage*"), std::string::npos) << text;
    }
}

TEST(challenge_command, survives_hostile_text) {
    EXPECT_TRUE(is_usage_error(std::string(100000, '<')));
    EXPECT_TRUE(is_usage_error(std::string(100000, 'a')));
    EXPECT_TRUE(is_usage_error("<@U012ABCDEF> " + std::string(1000000, 'z')));
    EXPECT_TRUE(is_usage_error(std::string("\0<@U012ABCDEF>", 14)));
    const auto nul_reason = parse_as<challenge_user>(std::string("<@U012ABCDEF> a\0b", 17));
    EXPECT_EQ(nul_reason.reason, std::string("a\0b", 3));
}

TEST(slack_mention, renders_a_valid_user_id_as_a_mention) {
    EXPECT_EQ(user_mention("U012ABCDEF"), "<@U012ABCDEF>");
    EXPECT_EQ(user_mention("W0123ABCD"), "<@W0123ABCD>");
}

TEST(slack_mention, renders_anything_else_as_escaped_text) {
    EXPECT_EQ(user_mention("U1><!channel"), "U1&gt;&lt;!channel");
    EXPECT_EQ(user_mention("<!here>"), "&lt;!here&gt;");
    EXPECT_EQ(user_mention("alice & bob"), "alice &amp; bob");
    EXPECT_EQ(user_mention(""), "");
}

TEST(slack_escaping, round_trips_the_three_characters) {
    const std::string text = "a < b && c > d &amp; e";
    EXPECT_EQ(escape_slack_text(text), "a &lt; b &amp;&amp; c &gt; d &amp;amp; e");
    EXPECT_EQ(unescape_slack_text(escape_slack_text(text)), text);
}

TEST(slack_user_id, accepts_only_slack_user_ids) {
    EXPECT_TRUE(is_user_id("U012ABCDEF"));
    EXPECT_TRUE(is_user_id("W012"));
    EXPECT_FALSE(is_user_id("U0"));
    EXPECT_FALSE(is_user_id("T012ABCDEF"));
    EXPECT_FALSE(is_user_id("U012abcdef"));
    EXPECT_FALSE(is_user_id("U012ABCDEF "));
}
