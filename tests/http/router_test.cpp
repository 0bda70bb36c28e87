#include "app/http/router.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace chal::http {
namespace {

using boost::beast::http::verb;

// Handlers are never called here; each route only needs a non-empty function.
handler unused_handler() {
    return [](request_context&) -> boost::asio::awaitable<response> { co_return response{}; };
}

router sample_router() {
    return router{{
        {verb::post, "/api/v1/challenges", "challenges.create", unused_handler()},
        {verb::get, "/api/v1/challenges/{id}", "challenges.get", unused_handler()},
        {verb::delete_, "/api/v1/challenges/{id}", "challenges.cancel", unused_handler()},
        {verb::get, "/api/v1/challenges/search", "challenges.search", unused_handler()},
        {verb::post, "/api/v1/challenges/{id}/events/{event}", "challenges.event", unused_handler()},
        {verb::get, "/", "root", unused_handler()},
    }};
}

TEST(router, matches_a_literal_route) {
    const auto r = sample_router();
    const auto result = r.match(verb::post, "/api/v1/challenges");
    const auto* found = std::get_if<router::found>(&result);
    ASSERT_NE(found, nullptr);
    EXPECT_EQ(found->route_name, "challenges.create");
    EXPECT_TRUE(found->params.items().empty());
}

TEST(router, captures_a_parameter) {
    const auto r = sample_router();
    const auto result = r.match(verb::get, "/api/v1/challenges/ch_123");
    const auto* found = std::get_if<router::found>(&result);
    ASSERT_NE(found, nullptr);
    EXPECT_EQ(found->route_name, "challenges.get");
    EXPECT_EQ(found->params.get("id"), "ch_123");
}

TEST(router, captures_several_parameters) {
    const auto r = sample_router();
    const auto result = r.match(verb::post, "/api/v1/challenges/a/events/b");
    const auto* found = std::get_if<router::found>(&result);
    ASSERT_NE(found, nullptr);
    EXPECT_EQ(found->params.get("id"), "a");
    EXPECT_EQ(found->params.get("event"), "b");
    EXPECT_EQ(found->params.get("missing"), "");
    EXPECT_FALSE(found->params.contains("missing"));
}

TEST(router, percent_decodes_parameters) {
    const auto r = sample_router();
    const auto result = r.match(verb::get, "/api/v1/challenges/a%20b%2Fc%zz");
    const auto* found = std::get_if<router::found>(&result);
    ASSERT_NE(found, nullptr);
    EXPECT_EQ(found->params.get("id"), "a b/c%zz");
}

TEST(router, reports_a_parameter_that_is_not_valid_text_as_bad_input) {
    const auto r = sample_router();
    for (const char* path : {"/api/v1/challenges/%00", "/api/v1/challenges/a%00b", "/api/v1/challenges/%FF",
                             "/api/v1/challenges/%C0%AF", "/api/v1/challenges/a%0Ab", "/api/v1/challenges/%7F"}) {
        const auto result = r.match(verb::get, path);
        const auto* bad = std::get_if<router::bad_parameter>(&result);
        ASSERT_NE(bad, nullptr) << path;
        EXPECT_EQ(bad->route_name, "challenges.get");
    }
    const auto second = r.match(verb::post, "/api/v1/challenges/a/events/%00");
    EXPECT_TRUE(std::holds_alternative<router::bad_parameter>(second));
    EXPECT_TRUE(std::holds_alternative<router::found>(r.match(verb::get, "/api/v1/challenges/%C3%A9t%C3%A9")));
}

TEST(router, prefers_a_literal_over_a_parameter) {
    const auto r = sample_router();
    const auto result = r.match(verb::get, "/api/v1/challenges/search");
    const auto* found = std::get_if<router::found>(&result);
    ASSERT_NE(found, nullptr);
    EXPECT_EQ(found->route_name, "challenges.search");
}

TEST(router, falls_back_to_a_parameter_route_for_another_verb) {
    const auto r = sample_router();
    const auto result = r.match(verb::delete_, "/api/v1/challenges/search");
    const auto* found = std::get_if<router::found>(&result);
    ASSERT_NE(found, nullptr);
    EXPECT_EQ(found->route_name, "challenges.cancel");
    EXPECT_EQ(found->params.get("id"), "search");
}

TEST(router, reports_unknown_paths_as_not_found) {
    const auto r = sample_router();
    EXPECT_TRUE(std::holds_alternative<router::not_found>(r.match(verb::get, "/api/v2/challenges")));
    EXPECT_TRUE(std::holds_alternative<router::not_found>(r.match(verb::get, "/api/v1/challenges/a/b")));
    EXPECT_TRUE(std::holds_alternative<router::not_found>(r.match(verb::get, "/api/v1/challenges/")));
    EXPECT_TRUE(std::holds_alternative<router::not_found>(r.match(verb::get, "")));
    EXPECT_TRUE(std::holds_alternative<router::not_found>(r.match(verb::get, "api/v1/challenges")));
}

TEST(router, is_case_sensitive_for_literals) {
    const auto r = sample_router();
    EXPECT_TRUE(std::holds_alternative<router::not_found>(r.match(verb::post, "/API/v1/challenges")));
}

TEST(router, matches_the_root) {
    const auto r = sample_router();
    const auto result = r.match(verb::get, "/");
    const auto* found = std::get_if<router::found>(&result);
    ASSERT_NE(found, nullptr);
    EXPECT_EQ(found->route_name, "root");
}

TEST(router, reports_wrong_verb_with_the_allowed_verbs) {
    const auto r = sample_router();
    const auto result = r.match(verb::put, "/api/v1/challenges/ch_1");
    const auto* not_allowed = std::get_if<router::method_not_allowed>(&result);
    ASSERT_NE(not_allowed, nullptr);
    EXPECT_EQ(not_allowed->allow_header(), "GET, DELETE");
}

TEST(router, allowed_verbs_include_every_matching_pattern) {
    const auto r = sample_router();
    const auto result = r.match(verb::put, "/api/v1/challenges/search");
    const auto* not_allowed = std::get_if<router::method_not_allowed>(&result);
    ASSERT_NE(not_allowed, nullptr);
    EXPECT_EQ(not_allowed->allow_header(), "GET, DELETE");
}

TEST(router, rejects_malformed_patterns) {
    EXPECT_THROW(router({{verb::get, "no-slash", "x", unused_handler()}}), std::invalid_argument);
    EXPECT_THROW(router({{verb::get, "/a/{id", "x", unused_handler()}}), std::invalid_argument);
    EXPECT_THROW(router({{verb::get, "/a/x{id}", "x", unused_handler()}}), std::invalid_argument);
    EXPECT_THROW(router({{verb::get, "/a/{}", "x", unused_handler()}}), std::invalid_argument);
    EXPECT_THROW(router({{verb::get, "/a/{id}/{id}", "x", unused_handler()}}), std::invalid_argument);
    EXPECT_THROW(router({{verb::get, "/a", "x", handler{}}}), std::invalid_argument);
}

TEST(router, rejects_two_routes_with_the_same_verb_and_shape) {
    EXPECT_THROW(
        router({
            {verb::get, "/a/{id}", "one", unused_handler()},
            {verb::get, "/a/{other}", "two", unused_handler()},
        }),
        std::invalid_argument
    );
}

}  // namespace
}  // namespace chal::http
