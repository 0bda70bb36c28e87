#include "api/errors.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

using namespace chal;

TEST(error_map, speaks_the_contracts_words_for_its_published_errors) {
    EXPECT_EQ(api::error_for(api::problem::missing_api_key).status, 401u);
    EXPECT_EQ(api::error_for(api::problem::missing_api_key).message, "Invalid or missing API key");
    EXPECT_EQ(api::error_for(core::errc::target_required).message, "target_user_id or target_user_email is required");
    EXPECT_EQ(api::error_for(core::errc::challenge_not_found).status, 404u);
    EXPECT_EQ(api::error_for(core::errc::challenge_not_found).message, "Challenge not found");
    EXPECT_EQ(api::error_for(api::problem::internal_create).message, "Failed to create challenge");
}

TEST(error_map, gives_every_core_code_a_client_error_status) {
    for (int code = static_cast<int>(core::errc::target_required); code <= static_cast<int>(core::errc::slack_not_configured);
         ++code) {
        auto e = api::error_for(static_cast<core::errc>(code));
        EXPECT_GE(e.status, 400u) << code;
        EXPECT_LT(e.status, 500u) << code;
        EXPECT_FALSE(e.message.empty()) << code;
    }
}

TEST(error_map, maps_idempotency_conflicts_as_documented) {
    EXPECT_EQ(api::error_for(core::errc::idempotency_key_reused).status, 422u);
    EXPECT_EQ(api::error_for(core::errc::idempotency_request_in_progress).status, 409u);
}

TEST(error_response, has_only_an_error_field_and_a_json_type) {
    auto res = api::error_response(api::error_for(api::problem::payload_too_large));
    EXPECT_EQ(res.result_int(), 413u);
    EXPECT_EQ(res[boost::beast::http::field::content_type], "application/json");
    auto body = boost::json::parse(res.body()).as_object();
    EXPECT_EQ(body.size(), 1u);
    EXPECT_TRUE(body.at("error").is_string());
}

TEST(error_response, a_429_says_when_to_retry) {
    auto res = api::rate_limited_response(std::chrono::seconds{3});
    EXPECT_EQ(res.result_int(), 429u);
    EXPECT_EQ(res[boost::beast::http::field::retry_after], "3");
}

TEST(error_map, an_error_code_from_elsewhere_is_internal) {
    EXPECT_EQ(api::error_for(boost::system::error_code(core::errc::challenge_expired)).status, 409u);
    EXPECT_EQ(api::error_for(make_error_code(boost::system::errc::io_error)).status, 500u);
}
