// The operator CLI's front door, run as the real binary: help goes to stdout and exits 0, a
// usage error is one line naming the problem and the help to read (exit 2), and an id that is
// malformed or names nothing says so (exit 1) without a database error.
#include "app/crypto/crypto.hpp"
#include "tests/e2e/cli_runner.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

using chal::e2e::cli_result;
using chal::e2e::describe;
using chal::e2e::run_challenge;

namespace {

std::size_t lines_in(const std::string& text) {
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::string unknown_uuid() {
    return chal::crypto::new_uuid_v7(std::chrono::system_clock::now());
}

}  // namespace

TEST(cli_front_door, help_and_dash_dash_help_print_the_whole_usage_to_stdout) {
    for (const auto& args : std::vector<std::vector<std::string>>{{"--help"}, {"help"}}) {
        const auto r = run_challenge(args);
        EXPECT_EQ(r.exit_code, 0) << describe(r);
        EXPECT_TRUE(r.err.empty()) << describe(r);
        for (const char* command : {"serve", "tenant set-oidc", "deliveries endpoints", "slack set-credentials",
                                    "demo bootstrap", "retry-schedule"})
            EXPECT_TRUE(contains(r.out, std::string("\n  ") + command)) << command << "\n" << describe(r);
    }
}

TEST(cli_front_door, bare_challenge_prints_the_usage_on_stderr_and_exits_2) {
    const auto r = run_challenge({});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_TRUE(r.out.empty()) << describe(r);
    EXPECT_TRUE(contains(r.err, "usage: challenge <command>")) << describe(r);
    EXPECT_TRUE(contains(r.err, "\n  tenant set-expiry --tenant T --expiry-minutes M")) << describe(r);
}

TEST(cli_front_door, help_for_a_command_prints_only_its_usage) {
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"help", "tenant", "set-oidc"}, {"tenant", "set-oidc", "--help"}}) {
        const auto r = run_challenge(args);
        EXPECT_EQ(r.exit_code, 0) << describe(r);
        EXPECT_TRUE(contains(r.out, "challenge tenant set-oidc --tenant T --issuer URL")) << describe(r);
        EXPECT_TRUE(contains(r.out, "[--when-email-verified-absent refuse|accept]")) << describe(r);
        EXPECT_FALSE(contains(r.out, "set-saml")) << describe(r);
        EXPECT_FALSE(contains(r.out, "serve")) << describe(r);
    }
}

TEST(cli_front_door, help_for_a_group_prints_each_of_its_commands) {
    const auto r = run_challenge({"help", "deliveries"});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    for (const char* sub : {"list", "attempts", "redeliver", "endpoints"})
        EXPECT_TRUE(contains(r.out, std::string("challenge deliveries ") + sub)) << describe(r);
    EXPECT_FALSE(contains(r.out, "challenge tenant")) << describe(r);
}

TEST(cli_front_door, help_for_an_unknown_topic_says_so_in_one_line) {
    const auto r = run_challenge({"help", "x"});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_TRUE(r.out.empty()) << describe(r);
    EXPECT_EQ(r.err, "challenge: no command x (see: challenge help)\n") << describe(r);
}

TEST(cli_front_door, a_usage_error_is_one_line_naming_the_problem_and_the_help) {
    const std::string tenant = unknown_uuid();
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
        {{"tenant", "set-expiry", "--tenant", tenant, "--expiry-minutes", "5", "--foo", "1"},
         "challenge: unknown option --foo for tenant set-expiry (see: challenge help tenant set-expiry)\n"},
        {{"tenant", "set-expiry", "--tenant", tenant},
         "challenge: missing --expiry-minutes for tenant set-expiry (see: challenge help tenant set-expiry)\n"},
        {{"tenant", "set-expiry", "--tenant", tenant, "--expiry-minutes", "0"},
         "challenge: --expiry-minutes must be between 1 and 10080 for tenant set-expiry (see: challenge help tenant set-expiry)\n"},
        {{"tenant", "set-expiry", "--tenant", tenant, "--expiry-minutes"},
         "challenge: --expiry-minutes needs a value for tenant set-expiry (see: challenge help tenant set-expiry)\n"},
        {{"tenant", "frobnicate"}, "challenge: unknown command tenant frobnicate (see: challenge help tenant)\n"},
        {{"frobnicate"}, "challenge: unknown command frobnicate (see: challenge help)\n"},
        {{"tenant", "list", "extra"}, "challenge: unexpected argument extra for tenant list (see: challenge help tenant list)\n"},
        {{"deliveries", "list", "--state", "lost"},
         "challenge: --state must be one of pending, in_flight, delivered, exhausted, gone (see: challenge help deliveries list)\n"},
        {{"deliveries", "list", "--limit", "-1"},
         "challenge: --limit must be between 1 and 1000 (see: challenge help deliveries list)\n"},
        {{"integration", "regenerate-key", "--integration", unknown_uuid(), "--tenant", tenant},
         "challenge: unknown option --tenant for integration regenerate-key (see: challenge help integration regenerate-key)\n"},
    };
    for (const auto& [args, expected] : cases) {
        const auto r = run_challenge(args);
        EXPECT_EQ(r.exit_code, 2) << describe(r);
        EXPECT_TRUE(r.out.empty()) << describe(r);
        EXPECT_EQ(r.err, expected) << describe(r);
    }
}

TEST(cli_front_door, a_malformed_or_unknown_id_says_there_is_no_such_record) {
    const std::string tenant = unknown_uuid();
    const std::string integration = unknown_uuid();
    const std::string delivery = unknown_uuid();
    struct id_case {
        std::vector<std::string> args;
        std::string says;
    };
    std::vector<id_case> cases;
    for (const std::string& id : {std::string("nope"), tenant}) {
        const std::string no_tenant = "challenge: no tenant " + id + " (tenant ids are UUIDs; see challenge tenant list)\n";
        cases.push_back({{"tenant", "set-expiry", "--tenant", id, "--expiry-minutes", "5"}, no_tenant});
        cases.push_back({{"tenant", "show-verification", "--tenant", id}, no_tenant});
        cases.push_back({{"integration", "create-webhook", "--tenant", id, "--name", "N"}, no_tenant});
        cases.push_back({{"deliveries", "list", "--tenant", id}, no_tenant});
        cases.push_back({{"deliveries", "endpoints", "--tenant", id}, no_tenant});
        cases.push_back({{"slack", "create-app", "--tenant", id, "--name", "N"}, no_tenant});
        cases.push_back({{"slack", "list", "--tenant", id}, no_tenant});
    }
    for (const std::string& id : {std::string("12"), integration}) {
        cases.push_back({{"integration", "regenerate-key", "--integration", id},
                         "challenge: no integration " + id + " (integration ids are UUIDs, printed when the integration was created)\n"});
    }
    for (const std::string& id : {std::string("d-1"), delivery}) {
        const std::string no_delivery = "challenge: no delivery " + id + " (delivery ids are UUIDs; see challenge deliveries list)\n";
        cases.push_back({{"deliveries", "attempts", "--delivery", id}, no_delivery});
        cases.push_back({{"deliveries", "redeliver", "--delivery", id}, no_delivery});
    }
    for (const auto& c : cases) {
        const auto r = run_challenge(c.args);
        EXPECT_EQ(r.exit_code, 1) << describe(r);
        EXPECT_EQ(r.err, c.says) << describe(r);
        EXPECT_EQ(lines_in(r.err), 1u) << describe(r);
        EXPECT_FALSE(contains(r.err, "sqlstate")) << describe(r);
        EXPECT_TRUE(r.out.empty()) << describe(r);
    }
}
