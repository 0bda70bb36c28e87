#include "app/core/callback.hpp"
#include "tests/core/sample_challenge.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

using namespace chal::core;
using chal::testing_data::at;
using chal::testing_data::sample_challenge;

TEST(callback_body, carries_the_contract_fields) {
    auto c = sample_challenge(challenge_status::verified);
    c.completed_at = c.created_at + std::chrono::minutes{5};
    c.context = "Access request";
    c.target_response = "I am traveling.";
    c.device_fingerprint_json = R"({"browser":"Chrome 120.0","os":"Windows 11","ip":"203.0.113.1"})";
    c.auth_method = "saml";
    auto body = boost::json::parse(callback_body(c)).as_object();
    EXPECT_EQ(body.at("event_type"), "challenge.completed");
    EXPECT_EQ(body.at("challenge_id").as_string(), c.id);
    EXPECT_EQ(body.at("status"), "verified");
    EXPECT_EQ(body.at("created_at"), "2025-12-01T12:00:00Z");
    EXPECT_EQ(body.at("completed_at"), "2025-12-01T12:05:00Z");
    EXPECT_EQ(body.at("expires_at"), "2025-12-01T12:15:00Z");
    EXPECT_EQ(body.at("target_user_id"), "user123");
    EXPECT_EQ(body.at("context"), "Access request");
    EXPECT_EQ(body.at("target_response"), "I am traveling.");
    EXPECT_EQ(body.at("device_fingerprint").at("browser"), "Chrome 120.0");
    EXPECT_EQ(body.at("auth_method"), "saml");
    EXPECT_TRUE(body.at("failure_reason").is_null());
}

TEST(callback_body, names_an_incident_report_by_its_event_type) {
    auto c = sample_challenge(challenge_status::failed);
    c.failure = failure_reason::incident_reported;
    auto body = boost::json::parse(callback_body(c)).as_object();
    EXPECT_EQ(body.at("event_type"), "challenge.incident_reported");
    EXPECT_EQ(body.at("status"), "failed");
    EXPECT_EQ(body.at("failure_reason"), "incident_reported");
}

TEST(callback_target, prefers_the_request_url_then_the_integration_default) {
    auto c = sample_challenge();
    EXPECT_FALSE(callback_target(c, std::nullopt).has_value());
    EXPECT_EQ(callback_target(c, std::string("https://default.example/")), "https://default.example/");
    c.callback_url = "https://request.example/";
    EXPECT_EQ(callback_target(c, std::string("https://default.example/")), "https://request.example/");
    c.origin = challenge_origin::slack_command;
    EXPECT_FALSE(callback_target(c, std::string("https://default.example/")).has_value());
}

TEST(delivery_decision, a_2xx_is_delivered_and_410_stops_for_good) {
    const auto now = at(1000);
    EXPECT_EQ(decide_after_attempt({.http_status = 204}, 1, now, 0.5).verdict, delivery_verdict::delivered);
    EXPECT_EQ(decide_after_attempt({.http_status = 410}, 1, now, 0.5).verdict, delivery_verdict::gone);
}

TEST(delivery_decision, retries_follow_the_schedule_with_twenty_percent_jitter) {
    const auto now = at(1000);
    auto low = decide_after_attempt({.http_status = 500}, 2, now, 0.0);
    auto high = decide_after_attempt({.http_status = 500}, 2, now, 0.999999);
    ASSERT_EQ(low.verdict, delivery_verdict::retry);
    EXPECT_EQ(*low.next_attempt_at, now + std::chrono::seconds{240});   // 5 min * 0.8
    EXPECT_EQ(*high.next_attempt_at, now + std::chrono::seconds{360});  // 5 min * 1.2
    EXPECT_EQ(*decide_after_attempt({.http_status = 301}, 1, now, 0.5).next_attempt_at, now + std::chrono::seconds{5});
}

TEST(delivery_decision, gives_up_after_the_last_scheduled_attempt) {
    const auto now = at(1000);
    EXPECT_EQ(decide_after_attempt({.http_status = 500}, 9, now, 0.5).verdict, delivery_verdict::retry);
    EXPECT_EQ(decide_after_attempt({.http_status = 500}, 10, now, 0.5).verdict, delivery_verdict::exhausted);
}

TEST(delivery_decision, an_overloaded_receiver_waits_at_least_a_minute_or_its_retry_after) {
    const auto now = at(1000);
    EXPECT_EQ(*decide_after_attempt({.timed_out = true}, 1, now, 0.5).next_attempt_at, now + overload_delay);
    EXPECT_EQ(*decide_after_attempt({.http_status = 429, .retry_after = std::chrono::seconds{600}}, 1, now, 0.5)
                   .next_attempt_at,
              now + std::chrono::seconds{600});
    EXPECT_EQ(*decide_after_attempt({.http_status = 503, .retry_after = std::chrono::hours{1000}}, 1, now, 0.5)
                   .next_attempt_at,
              now + max_retry_after);
}

TEST(delivery_decision, the_schedule_spans_about_three_days) {
    std::chrono::seconds total{0};
    for (auto d : retry_delays) total += d;
    EXPECT_EQ(total, std::chrono::seconds{75 * 3600 + 35 * 60 + 5});
    const auto table = retry_schedule_table();
    EXPECT_NE(table.find("| 10 | 24h 00m 00s | 75h 35m 05s |"), std::string::npos) << table;
}

TEST(retry_after, reads_delay_seconds_only) {
    EXPECT_EQ(parse_retry_after(" 7 "), std::chrono::seconds{7});
    EXPECT_FALSE(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT").has_value());
    EXPECT_FALSE(parse_retry_after("-1").has_value());
}

TEST(endpoint_signal, a_timeout_counts_against_the_endpoint_and_a_2xx_clears_it) {
    EXPECT_EQ(endpoint_signal_of({.http_status = std::nullopt, .timed_out = true}), endpoint_signal::timeout);
    EXPECT_EQ(endpoint_signal_of({.http_status = 204}), endpoint_signal::healthy);
    EXPECT_EQ(endpoint_signal_of({.http_status = 503}), endpoint_signal::none);
    EXPECT_EQ(endpoint_signal_of({.http_status = std::nullopt}), endpoint_signal::none);  // refused, reset
}
