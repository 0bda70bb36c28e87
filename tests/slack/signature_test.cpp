#include "slack/signature.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

using namespace chal::slack;

namespace {

// The worked example from Slack's "Verifying requests from Slack" page (slack-platform.md 1.1,
// recomputed there with Python's hmac).
constexpr std::string_view doc_secret = "8f742231b10e8888abcd99yyyzzz85a5";
constexpr std::string_view doc_timestamp = "1531420618";
constexpr std::string_view doc_body =
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name="
    "foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks."
    "slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015."
    "47445629121.803a0bc887a14d10d2c447fce8b6703c";
constexpr std::string_view doc_signature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

std::chrono::sys_seconds at(long long unix_seconds) {
    return std::chrono::sys_seconds{std::chrono::seconds{unix_seconds}};
}

const auto doc_now = at(1531420618);

signature_check check_doc(std::string_view signature, std::chrono::sys_seconds now = doc_now) {
    return verify_request(doc_secret, doc_timestamp, signature, doc_body, now);
}

}  // namespace

TEST(slack_signature, signs_the_documented_example_exactly) {
    EXPECT_EQ(sign_request(doc_secret, doc_timestamp, doc_body), doc_signature);
}

TEST(slack_signature, accepts_the_documented_example) {
    EXPECT_EQ(check_doc(doc_signature), signature_check::ok);
}

TEST(slack_signature, accepts_clock_skew_of_exactly_five_minutes_either_way) {
    EXPECT_EQ(check_doc(doc_signature, doc_now + std::chrono::seconds{300}), signature_check::ok);
    EXPECT_EQ(check_doc(doc_signature, doc_now - std::chrono::seconds{300}), signature_check::ok);
}

TEST(slack_signature, refuses_a_timestamp_older_than_five_minutes) {
    EXPECT_EQ(check_doc(doc_signature, doc_now + std::chrono::seconds{301}), signature_check::stale_timestamp);
    EXPECT_EQ(check_doc(doc_signature, doc_now + std::chrono::hours{24 * 365}), signature_check::stale_timestamp);
}

TEST(slack_signature, refuses_a_timestamp_from_the_future) {
    EXPECT_EQ(check_doc(doc_signature, doc_now - std::chrono::seconds{301}), signature_check::stale_timestamp);
}

TEST(slack_signature, treats_a_timestamp_that_is_not_plain_digits_as_stale) {
    for (std::string_view ts :
         {"abc", "-1531420618", "+1531420618", "1531420618.0", " 1531420618", "1531420618 ", "0x5b47", "1e9",
          "99999999999999999999999", "１５３１４２０６１８"}) {
        const auto body = std::string(doc_body);
        EXPECT_EQ(verify_request(doc_secret, ts, sign_request(doc_secret, ts, body), body, doc_now),
                  signature_check::stale_timestamp)
            << ts;
    }
}

TEST(slack_signature, reports_missing_headers) {
    EXPECT_EQ(verify_request(doc_secret, "", doc_signature, doc_body, doc_now), signature_check::missing_headers);
    EXPECT_EQ(verify_request(doc_secret, doc_timestamp, "", doc_body, doc_now), signature_check::missing_headers);
    EXPECT_EQ(verify_request(doc_secret, "", "", doc_body, doc_now), signature_check::missing_headers);
}

TEST(slack_signature, refuses_a_forged_digest) {
    std::string forged(doc_signature);
    forged.back() = forged.back() == '3' ? '4' : '3';
    EXPECT_EQ(check_doc(forged), signature_check::bad_signature);
    EXPECT_EQ(check_doc(doc_signature.substr(0, doc_signature.size() - 1)), signature_check::bad_signature);
    EXPECT_EQ(check_doc(std::string(doc_signature) + "0"), signature_check::bad_signature);
    EXPECT_EQ(check_doc("v0="), signature_check::bad_signature);
    EXPECT_EQ(check_doc("garbage"), signature_check::bad_signature);
}

TEST(slack_signature, refuses_another_version_prefix_or_upper_case_hex) {
    std::string v1(doc_signature);
    v1[1] = '1';
    EXPECT_EQ(check_doc(v1), signature_check::bad_signature);
    std::string upper(doc_signature);
    for (std::size_t i = 3; i < upper.size(); ++i)
        if (upper[i] >= 'a' && upper[i] <= 'f') upper[i] = static_cast<char>(upper[i] - 'a' + 'A');
    EXPECT_EQ(check_doc(upper), signature_check::bad_signature);
}

TEST(slack_signature, refuses_a_signature_made_with_another_secret) {
    const auto other = sign_request("another-signing-secret", doc_timestamp, doc_body);
    EXPECT_EQ(check_doc(other), signature_check::bad_signature);
}

TEST(slack_signature, never_verifies_with_an_empty_secret) {
    const auto with_empty_key = sign_request("", doc_timestamp, doc_body);
    EXPECT_EQ(verify_request("", doc_timestamp, with_empty_key, doc_body, doc_now), signature_check::bad_signature);
}

TEST(slack_signature, refuses_a_signature_replayed_with_another_body) {
    std::string tampered(doc_body);
    tampered.replace(tampered.find("text="), 5, "text=%40mallory");
    EXPECT_EQ(verify_request(doc_secret, doc_timestamp, doc_signature, tampered, doc_now),
              signature_check::bad_signature);
    EXPECT_EQ(verify_request(doc_secret, doc_timestamp, doc_signature, std::string(doc_body) + "&", doc_now),
              signature_check::bad_signature);
}

TEST(slack_signature, refuses_a_signature_replayed_with_a_fresher_timestamp) {
    // Within the window, but the signature covers the original timestamp.
    EXPECT_EQ(verify_request(doc_secret, "1531420700", doc_signature, doc_body, at(1531420700)),
              signature_check::bad_signature);
}

TEST(slack_signature, signs_and_verifies_binary_and_empty_bodies) {
    const std::string body("\0\xff{\"a\":1}\n", 11);
    const auto signature = sign_request("s3cret", "1700000000", body);
    EXPECT_EQ(signature.size(), 3u + 64u);
    EXPECT_EQ(verify_request("s3cret", "1700000000", signature, body, at(1700000000)), signature_check::ok);
    const auto empty = sign_request("s3cret", "1700000000", "");
    EXPECT_EQ(verify_request("s3cret", "1700000000", empty, "", at(1700000000)), signature_check::ok);
}

TEST(slack_signature, names_each_outcome_for_the_log) {
    EXPECT_EQ(to_string(signature_check::ok), "ok");
    EXPECT_EQ(to_string(signature_check::missing_headers), "missing_headers");
    EXPECT_EQ(to_string(signature_check::stale_timestamp), "stale_timestamp");
    EXPECT_EQ(to_string(signature_check::bad_signature), "bad_signature");
}
