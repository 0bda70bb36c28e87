// The CLI's usage table: the full usage and `help <topic>` are generated from its rows, and a
// command's accepted options are the ones its usage names.
#include "app/service/cli_usage.hpp"

#include <gtest/gtest.h>

using namespace chal::service;

namespace {

std::size_t count_of(const std::string& text, const std::string& part) {
    std::size_t n = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
    return n;
}

}  // namespace

TEST(cli_usage, full_usage_lists_every_command_once) {
    const auto usage = full_usage();
    for (const auto& row : command_usages()) {
        EXPECT_EQ(count_of(usage, "\n  " + std::string(row.command) + (row.synopsis.empty() ? "" : " ")), 1u)
            << row.command;
    }
}

TEST(cli_usage, a_command_topic_prints_only_that_command) {
    const auto text = usage_of("tenant set-oidc");
    ASSERT_TRUE(text);
    EXPECT_NE(text->find("challenge tenant set-oidc --tenant T --issuer URL"), std::string::npos) << *text;
    EXPECT_NE(text->find("[--when-email-verified-absent refuse|accept]"), std::string::npos) << *text;
    EXPECT_EQ(text->find("set-saml"), std::string::npos) << *text;
    EXPECT_EQ(text->find("tenant create"), std::string::npos) << *text;
}

TEST(cli_usage, a_group_topic_prints_all_its_commands_and_no_other) {
    const auto text = usage_of("deliveries");
    ASSERT_TRUE(text);
    for (const char* sub : {"list", "attempts", "redeliver", "endpoints"})
        EXPECT_NE(text->find(std::string("challenge deliveries ") + sub), std::string::npos) << sub;
    EXPECT_EQ(text->find("challenge tenant"), std::string::npos) << *text;
    EXPECT_EQ(text->find("slack"), std::string::npos) << *text;
}

TEST(cli_usage, an_unknown_topic_has_no_usage) {
    EXPECT_FALSE(usage_of("x"));
    EXPECT_FALSE(usage_of("tenant frobnicate"));
    EXPECT_FALSE(usage_of(""));
}

TEST(cli_usage, options_are_the_ones_the_synopsis_names) {
    const auto* set_oidc = find_command({"tenant", "set-oidc"});
    ASSERT_NE(set_oidc, nullptr);
    EXPECT_EQ(options_of(*set_oidc),
              (std::vector<std::string>{"tenant", "issuer", "client-id", "client-secret", "client-secret-file", "scopes",
                                        "identity-claim", "require-acr", "when-email-verified-absent"}));
    const auto* allow = find_command({"slack", "allow-workspace"});
    ASSERT_NE(allow, nullptr);
    EXPECT_EQ(options_of(*allow), (std::vector<std::string>{"tenant", "instance", "team", "enterprise"}));
    const auto* list = find_command({"tenant", "list"});
    ASSERT_NE(list, nullptr);
    EXPECT_TRUE(options_of(*list).empty());
}

TEST(cli_usage, find_command_takes_the_row_the_words_begin_with) {
    const auto* row = find_command({"tenant", "set-additional-context", "on"});
    ASSERT_NE(row, nullptr);
    EXPECT_EQ(row->command, "tenant set-additional-context");
    EXPECT_EQ(find_command({"tenant"}), nullptr);
    EXPECT_EQ(find_command({"tenant", "frobnicate"}), nullptr);
    EXPECT_TRUE(is_command_group("tenant"));
    EXPECT_FALSE(is_command_group("frobnicate"));
}
