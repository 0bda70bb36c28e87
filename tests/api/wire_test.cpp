#include "api/wire.hpp"
#include "tests/core/sample_challenge.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

using namespace chal;
using chal::testing_data::sample_challenge;

namespace {

api::create_request parse_ok(std::string_view body) {
    auto parsed = api::parse_create_request(body);
    if (auto* e = std::get_if<api::api_error>(&parsed)) ADD_FAILURE() << e->message;
    return std::get<api::create_request>(parsed);
}

api::api_error parse_error(std::string_view body) {
    auto parsed = api::parse_create_request(body);
    if (!std::holds_alternative<api::api_error>(parsed)) ADD_FAILURE() << "accepted: " << body;
    return std::holds_alternative<api::api_error>(parsed) ? std::get<api::api_error>(parsed) : api::api_error{0, ""};
}

}  // namespace

TEST(create_request, reads_the_guides_example_body) {
    auto r = parse_ok(R"({"target_user_id": "user123", "context": "Access request for sensitive system",
        "callback_url": "https://your-system.com/webhook/callback", "requester_id": "system-name", "expiry_minutes": 30})");
    EXPECT_FALSE(r.slack);
    EXPECT_EQ(r.challenge.target_user_id, "user123");
    EXPECT_EQ(r.challenge.context, "Access request for sensitive system");
    EXPECT_EQ(r.challenge.callback_url, "https://your-system.com/webhook/callback");
    EXPECT_EQ(r.challenge.requester_id, "system-name");
    EXPECT_EQ(r.challenge.expiry_minutes, 30);
}

TEST(create_request, treats_null_as_absent_and_ignores_unknown_fields) {
    auto r = parse_ok(R"({"target_user_email": "a@example.com", "context": null, "ticket": 7})");
    EXPECT_EQ(r.challenge.target_user_email, "a@example.com");
    EXPECT_FALSE(r.challenge.context.has_value());
}

TEST(create_request, names_the_field_with_the_wrong_type) {
    EXPECT_EQ(parse_error(R"({"target_user_id": 42})").message, "target_user_id must be a string");
    EXPECT_EQ(parse_error(R"({"target_user_id": "u", "context": ["x"]})").message, "context must be a string");
    EXPECT_EQ(parse_error(R"({"target_user_id": "u", "expiry_minutes": "30"})").status, 400u);
    EXPECT_EQ(parse_error(R"({"target_user_id": "u", "expiry_minutes": 1.5})").message,
              "expiry_minutes must be an integer between 1 and 10080");
}

TEST(create_request, refuses_a_nul_character_in_any_text_field) {
    for (const char* field : {"target_user_id", "target_user_email", "context", "callback_url", "requester_id"}) {
        const auto body = std::string(R"({"target_user_id": "u", ")") + field + R"(": "a\u0000b"})";
        const auto e = parse_error(body);
        EXPECT_EQ(e.status, 400u) << field;
        EXPECT_EQ(e.message, std::string(field) + " must not contain NUL characters");
    }
    EXPECT_EQ(parse_error(R"({"integration_type": "slack", "target_user_id": "U1", "requester_email": "\u0000"})").message,
              "requester_email must not contain NUL characters");
    // Other escapes stay what they are: a context may span lines.
    EXPECT_EQ(parse_ok(R"({"target_user_id": "u", "context": "line one\nline two"})").challenge.context, "line one\nline two");
}

TEST(create_request, needs_a_json_object) {
    for (const char* body : {"", "not json", "[1,2]", "\"text\"", "{\"a\":"}) {
        EXPECT_EQ(parse_error(body).message, "Request body must be a JSON object") << body;
    }
}

TEST(create_request, recognises_slack_and_refuses_unknown_integration_types) {
    EXPECT_TRUE(parse_ok(R"({"integration_type": "slack", "target_user_id": "U1"})").slack);
    EXPECT_EQ(parse_error(R"({"integration_type": "teams", "target_user_id": "U1"})").status, 400u);
}

TEST(content_type, accepts_json_with_parameters_only) {
    EXPECT_TRUE(api::is_json_content_type("application/json"));
    EXPECT_TRUE(api::is_json_content_type("Application/JSON; charset=utf-8"));
    EXPECT_FALSE(api::is_json_content_type("text/plain"));
    EXPECT_FALSE(api::is_json_content_type("application/x-www-form-urlencoded"));
    EXPECT_FALSE(api::is_json_content_type(""));
}

TEST(created_body, is_the_contracts_four_fields_and_the_call_binding_code) {
    auto c = sample_challenge();
    c.verification_code = "042917";
    auto body = boost::json::parse(api::created_body(c, "https://challenge.example.com/")).as_object();
    EXPECT_EQ(body.size(), 5u);
    EXPECT_EQ(body.at("verification_code").as_string(), "042917");
    EXPECT_EQ(body.at("challenge_id").as_string(), c.id);
    EXPECT_EQ(body.at("verification_url").as_string(), "https://challenge.example.com/challenge/start/" + c.id);
    EXPECT_EQ(body.at("status").as_string(), "initiated");
    EXPECT_EQ(body.at("expires_at").as_string(), "2025-12-01T12:15:00Z");
}

TEST(status_body, reads_a_lapsed_live_challenge_as_expired) {
    auto c = sample_challenge(core::challenge_status::in_progress);
    auto body = boost::json::parse(api::status_body(c, c.expires_at + std::chrono::seconds{5})).as_object();
    EXPECT_EQ(body.at("status").as_string(), "expired");
    EXPECT_TRUE(body.at("is_expired").as_bool());
    EXPECT_EQ(body.at("completed_at").as_string(), "2025-12-01T12:15:00Z");
    EXPECT_TRUE(body.at("device_fingerprint").is_null());
}

TEST(status_body, carries_device_details_as_an_object) {
    auto c = sample_challenge(core::challenge_status::verified);
    c.completed_at = c.created_at + std::chrono::minutes{5};
    c.device_fingerprint_json = R"({"browser":"Chrome","os":"Windows","screen":"1920x1080","ip":"203.0.113.1"})";
    auto body = boost::json::parse(api::status_body(c, c.created_at + std::chrono::minutes{6})).as_object();
    EXPECT_EQ(body.at("status").as_string(), "verified");
    EXPECT_FALSE(body.at("is_expired").as_bool());
    EXPECT_EQ(body.at("device_fingerprint").at("screen").as_string(), "1920x1080");
}

TEST(list_query, reads_status_limit_and_cursor) {
    auto cursor = api::encode_cursor("0190a8e5-0000-7000-8000-000000000001");
    EXPECT_EQ(std::get<api::list_query>(api::parse_list_query("limit=2")).limit, 2);
    auto parsed = api::parse_list_query("status=in-progress&limit=5&cursor=" + cursor);
    ASSERT_TRUE(std::holds_alternative<api::list_query>(parsed));
    const auto& q = std::get<api::list_query>(parsed);
    EXPECT_EQ(q.status, core::challenge_status::in_progress);
    EXPECT_EQ(q.limit, 5);
    EXPECT_EQ(q.before_id, "0190a8e5-0000-7000-8000-000000000001");
    EXPECT_EQ(std::get<api::list_query>(api::parse_list_query("")).limit, 20);
    // The server hands over views into the request line: nothing past the view may be read.
    const std::string target = "limit=3&status=verified HTTP/1.1";
    auto exact = std::get<api::list_query>(api::parse_list_query(std::string_view(target).substr(0, 23)));
    EXPECT_EQ(exact.limit, 3);
    EXPECT_EQ(exact.status, core::challenge_status::verified);
    // ... and a default-constructed view when the target has no '?'.
    EXPECT_EQ(std::get<api::list_query>(api::parse_list_query(std::string_view{})).limit, 20);
}

TEST(list_query, refuses_a_cursor_that_is_not_exactly_what_the_api_returned) {
    const auto cursor = api::encode_cursor("0190a8e5-0000-7000-8000-000000000001");
    for (const std::string& bad : {cursor + "%3D", cursor + "%3D%3D", "%3D" + cursor, cursor.substr(0, cursor.size() - 1)}) {
        auto parsed = api::parse_list_query("cursor=" + bad);
        ASSERT_TRUE(std::holds_alternative<api::api_error>(parsed)) << bad;
        EXPECT_EQ(std::get<api::api_error>(parsed).message, "cursor is not one this API returned");
    }
}

TEST(list_query, refuses_bad_values_with_a_reason) {
    for (const char* bad : {"status=done", "limit=0", "limit=101", "limit=ten", "cursor=abc", "limit=1 2", "a=%zz",
                            "cursor=%3D", "cursor=%3D%3D%3D", "cursor=", "status=%00"}) {
        auto parsed = api::parse_list_query(bad);
        ASSERT_TRUE(std::holds_alternative<api::api_error>(parsed)) << bad;
        EXPECT_EQ(std::get<api::api_error>(parsed).status, 400u);
    }
}
