#include "slack/oauth_state.hpp"

#include "app/crypto/crypto.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace chal;
using namespace std::chrono_literals;
using slack::oauth_state_claims;
using slack::oauth_state_refusal;

namespace {

const std::string key(32, 'K');
const core::timestamp t0{std::chrono::seconds{1'764'590'400}};
const std::string browser = crypto::sha256("browser secret of the installer");
const std::string integration = "0190f1a2-7c3b-7d4e-8f5a-1b2c3d4e5f60";

std::string issued(core::timestamp expires_at = t0 + 10min, std::string admitted_by = {}) {
    return slack::issue_oauth_state(key, oauth_state_claims{integration, browser, expires_at, std::move(admitted_by)});
}

oauth_state_refusal refusal_of(std::string_view state, std::string_view browser_hash = browser, core::timestamp now = t0) {
    auto read = slack::read_oauth_state(key, state, browser_hash, now);
    if (!std::holds_alternative<oauth_state_refusal>(read)) throw std::runtime_error("the state was accepted");
    return std::get<oauth_state_refusal>(read);
}

}  // namespace

TEST(slack_oauth_state, reads_back_what_it_issued_for_the_same_browser_in_time) {
    const auto state = issued();
    EXPECT_LT(state.size(), 256u) << "it travels in two URLs";
    auto read = slack::read_oauth_state(key, state, browser, t0 + 10min - 1s);
    ASSERT_TRUE(std::holds_alternative<oauth_state_claims>(read));
    const auto& claims = std::get<oauth_state_claims>(read);
    EXPECT_EQ(claims.integration_id, integration);
    EXPECT_EQ(claims.browser_hash, browser);
    EXPECT_EQ(claims.expires_at, t0 + 10min);
    EXPECT_EQ(claims.admitted_by, "");
    auto admitted = slack::read_oauth_state(key, issued(t0 + 10min, "admin:alice\nsmith"), browser, t0);
    ASSERT_TRUE(std::holds_alternative<oauth_state_claims>(admitted));
    EXPECT_EQ(std::get<oauth_state_claims>(admitted).admitted_by, "admin:alice\nsmith");
}

TEST(slack_oauth_state, refuses_another_browser_and_then_an_expired_state) {
    EXPECT_EQ(refusal_of(issued(), crypto::sha256("someone else")), oauth_state_refusal::other_browser);
    EXPECT_EQ(refusal_of(issued(), ""), oauth_state_refusal::other_browser);
    EXPECT_EQ(refusal_of(issued(), browser, t0 + 10min), oauth_state_refusal::expired);
    EXPECT_EQ(refusal_of(issued(t0 - 1s)), oauth_state_refusal::expired);
}

TEST(slack_oauth_state, refuses_anything_not_signed_with_the_key_as_unknown) {
    const auto state = issued();
    EXPECT_EQ(refusal_of(slack::issue_oauth_state(std::string(32, 'X'), {integration, browser, t0 + 10min, ""})),
              oauth_state_refusal::unknown);
    // A later expiry or another app, with the MAC of the original payload.
    const auto dot = state.rfind('.');
    const auto longer = slack::issue_oauth_state(key, {integration, browser, t0 + 24h, ""});
    EXPECT_EQ(refusal_of(longer.substr(0, longer.rfind('.')) + state.substr(dot)), oauth_state_refusal::unknown);
    for (std::size_t i = 0; i < state.size(); i += 7) {
        auto flipped = state;
        flipped[i] = flipped[i] == 'A' ? 'B' : 'A';
        EXPECT_EQ(refusal_of(flipped), oauth_state_refusal::unknown) << "changed at " << i;
    }
    const std::vector<std::string> bad_states{
        "", ".", "no-dot", state.substr(0, dot), state.substr(dot), state + "x", state + "." + state.substr(dot + 1),
        std::string(5000, 'a') + state};
    for (const auto& bad : bad_states)
        EXPECT_EQ(refusal_of(bad), oauth_state_refusal::unknown) << bad;
}

TEST(slack_oauth_state, a_genuine_mac_over_a_payload_it_cannot_read_is_unknown) {
    const std::string label = "slack-oauth-state:";
    const std::vector<std::string> payloads{
        "v2\n" + integration + "\n1\nAA\n", "v1\nnot-a-uuid\n1\nAA\n", "v1\n" + integration + "\nsoon\nAA\n",
        "v1\n" + integration + "\n1\nAA", "v1\n" + integration + "\n1\nAA\n\n", "\xff\xfe"};
    for (const auto& payload : payloads) {
        const auto encoded = crypto::base64url_encode(payload);
        const auto forged = encoded + "." + crypto::base64url_encode(crypto::hmac_sha256(key, label + encoded));
        EXPECT_EQ(refusal_of(forged), oauth_state_refusal::unknown) << payload;
    }
}

TEST(slack_oauth_state, reads_back_states_whose_encoding_uses_the_url_alphabet) {
    // base64url's '-' and '_' stand where base64 has '+' and '/': a reader with the wrong
    // alphabet would refuse about every other state. Many browsers, so both characters occur.
    int with_url_characters = 0;
    for (int i = 0; i < 64; ++i) {
        const auto hash = crypto::sha256("browser " + std::to_string(i));
        const auto state = slack::issue_oauth_state(key, oauth_state_claims{integration, hash, t0 + 10min, {}});
        if (state.find_first_of("-_") != std::string::npos) ++with_url_characters;
        EXPECT_TRUE(std::holds_alternative<oauth_state_claims>(slack::read_oauth_state(key, state, hash, t0))) << state;
    }
    EXPECT_GT(with_url_characters, 0);
}
