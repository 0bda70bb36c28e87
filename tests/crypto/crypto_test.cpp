#include "app/crypto/crypto.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <vector>

using namespace chal::crypto;

TEST(sha256, matches_the_fips_vector) {
    EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// RFC 4231 test case 2.
TEST(hmac_sha256, matches_rfc_4231) {
    EXPECT_EQ(hex_encode(hmac_sha256("Jefe", "what do ya want for nothing?")),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(constant_time_equal, compares_content_and_length) {
    EXPECT_TRUE(constant_time_equal("abc", "abc"));
    EXPECT_FALSE(constant_time_equal("abc", "abd"));
    EXPECT_FALSE(constant_time_equal("abc", "abcd"));
}

TEST(base64, round_trips_with_and_without_padding) {
    for (const std::string& raw : std::vector<std::string>{"", "f", "fo", "foo", "foob", std::string("\xff\xfe\x00\x01", 4)}) {
        EXPECT_EQ(base64_decode(base64_encode(raw)), raw);
        EXPECT_EQ(base64url_decode(base64url_encode(raw)), raw);
        auto unpadded = base64_encode(raw);
        while (!unpadded.empty() && unpadded.back() == '=') unpadded.pop_back();
        EXPECT_EQ(base64_decode(unpadded), raw);
    }
    EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
    EXPECT_EQ(base64url_encode(std::string("\xff\xfe\x00\x01", 4)), "__4AAQ");
    EXPECT_FALSE(base64_decode("not base64!").has_value());
}

TEST(base64, refuses_every_text_that_is_not_a_canonical_encoding_and_never_throws) {
    for (const std::string_view bad : {
             "=", "==", "===", "====",     // padding alone
             "Zg===", "Zm8==", "Zm9v=",    // too much padding for the length
             "Zg=", "Z", "Zm9vY",          // lengths no encoding has
             "Zg==Zg==", "QQ==QQ==", "Zg=a",  // padding before the end (data would be lost)
             "Zh==", "Zm9=",               // pad bits not zero (a second text for "f", "fo")
             "Zm9v\n", "Zm 9v", " Zm9v",   // whitespace is not the alphabet
             "Zm9v!", "__4AAQ", "-_==",    // other characters, the URL alphabet
         }) {
        std::optional<std::string> decoded;
        EXPECT_NO_THROW(decoded = base64_decode(bad)) << bad;
        EXPECT_FALSE(decoded.has_value()) << bad;
    }
    for (const std::string_view bad : {"Zg==", "Zg=", "+/", "Zh", "Z", "__4AA=", "Zm9v\n"}) {
        std::optional<std::string> decoded;
        EXPECT_NO_THROW(decoded = base64url_decode(bad)) << bad;
        EXPECT_FALSE(decoded.has_value()) << bad;
    }
}

TEST(uuid_v7, is_well_formed_time_ordered_and_unique) {
    const auto t = std::chrono::system_clock::time_point{std::chrono::milliseconds{1'764'590'400'123}};
    const auto a = new_uuid_v7(t);
    const auto b = new_uuid_v7(t + std::chrono::milliseconds{1});
    EXPECT_TRUE(is_uuid(a));
    EXPECT_EQ(a[14], '7');
    EXPECT_LT(a, b);
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) seen.insert(new_uuid_v7(t));
    EXPECT_EQ(seen.size(), 1000u);
    EXPECT_FALSE(is_uuid("not-a-uuid"));
    EXPECT_FALSE(is_uuid("0190a8e5-0000-7000-8000-00000000000g"));
}

TEST(uuid_v7, the_floor_of_a_time_sorts_before_every_id_minted_then_and_after_every_earlier_one) {
    const auto t = std::chrono::system_clock::time_point{std::chrono::milliseconds{1'764'590'400'123}};
    const auto floor = uuid_v7_floor(t);
    EXPECT_TRUE(is_uuid(floor));
    for (int i = 0; i < 200; ++i) {
        EXPECT_LE(floor, new_uuid_v7(t));
        EXPECT_GT(floor, new_uuid_v7(t - std::chrono::milliseconds{1}));
    }
}

TEST(secret_box, opens_what_it_sealed_only_in_the_same_place) {
    secret_box box(std::string(32, 'k'));
    const auto sealed = box.seal("whsec-value", "integration:1:webhook_secret");
    EXPECT_EQ(sealed.find("whsec-value"), std::string::npos);
    EXPECT_EQ(box.open(sealed, "integration:1:webhook_secret"), "whsec-value");
    EXPECT_FALSE(box.open(sealed, "integration:2:webhook_secret").has_value());
    EXPECT_NE(box.seal("whsec-value", "a"), box.seal("whsec-value", "a"));  // fresh nonce each time
}

TEST(secret_box, refuses_tampered_ciphertext_and_other_keys) {
    secret_box box(std::string(32, 'k'));
    auto sealed = box.seal("secret", "aad");
    sealed[sealed.size() / 2] = static_cast<char>(sealed[sealed.size() / 2] ^ 1);
    EXPECT_FALSE(box.open(sealed, "aad").has_value());
    EXPECT_FALSE(secret_box(std::string(32, 'x')).open(box.seal("secret", "aad"), "aad").has_value());
    EXPECT_THROW(secret_box(std::string(16, 'k')), std::invalid_argument);
}

TEST(secret_box, derives_a_distinct_stable_key_per_purpose_and_master_key) {
    const secret_box box(std::string(32, 'k'));
    const auto state_key = box.derive_key("slack oauth state");
    EXPECT_EQ(state_key.size(), 32u);
    EXPECT_EQ(state_key, secret_box(std::string(32, 'k')).derive_key("slack oauth state"));
    EXPECT_NE(state_key, box.derive_key("another purpose"));
    EXPECT_NE(state_key, secret_box(std::string(32, 'x')).derive_key("slack oauth state"));
    EXPECT_NE(state_key, std::string(32, 'k'));
}
