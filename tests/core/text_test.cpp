#include "app/core/text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace chal::core {
namespace {

const std::string fffd = "\xEF\xBF\xBD";

std::string repeated(std::string_view piece, int times) {
    std::string out;
    for (int i = 0; i < times; ++i) out += piece;
    return out;
}

TEST(decode_utf8, reads_one_to_four_byte_characters) {
    EXPECT_EQ(decode_utf8("A", 0).value, U'A');
    const auto two = decode_utf8("\xD0\xB4", 0);  // д
    EXPECT_TRUE(two.valid);
    EXPECT_EQ(two.value, U'\u0434');
    EXPECT_EQ(two.bytes, 2u);
    const auto three = decode_utf8("\xE2\x82\xAC", 0);  // €
    EXPECT_EQ(three.value, U'\u20AC');
    EXPECT_EQ(three.bytes, 3u);
    const auto four = decode_utf8("\xF0\x9F\x98\x80", 0);  // 😀
    EXPECT_EQ(four.value, U'\U0001F600');
    EXPECT_EQ(four.bytes, 4u);
    EXPECT_EQ(decode_utf8("\xF4\x8F\xBF\xBF", 0).value, U'\U0010FFFF');
}

TEST(decode_utf8, counts_an_invalid_sequence_by_its_maximal_subpart) {
    // Lead bytes that never start a character, and stray continuation bytes: one byte each.
    for (const std::string_view one : {"\x80", "\xBF", "\xC0\xAF", "\xC1\xBF", "\xF5\x80\x80\x80", "\xFF"}) {
        const auto c = decode_utf8(one, 0);
        EXPECT_FALSE(c.valid) << one;
        EXPECT_EQ(c.bytes, 1u) << one;
        EXPECT_EQ(c.value, 0xFFFDu);
    }
    // Overlongs and surrogates fail on their second byte.
    EXPECT_EQ(decode_utf8("\xE0\x80\xAF", 0).bytes, 1u);
    EXPECT_EQ(decode_utf8("\xF0\x80\x80\xAF", 0).bytes, 1u);
    EXPECT_EQ(decode_utf8("\xED\xA0\x80", 0).bytes, 1u);      // U+D800
    EXPECT_EQ(decode_utf8("\xF4\x90\x80\x80", 0).bytes, 1u);  // above U+10FFFF
    // A sequence cut short covers what it had.
    EXPECT_EQ(decode_utf8("\xE2\x82", 0).bytes, 2u);
    EXPECT_EQ(decode_utf8("\xF0\x9F\x98", 0).bytes, 3u);
    EXPECT_EQ(decode_utf8("\xF0\x9F\x98" "A", 0).bytes, 3u);
    EXPECT_FALSE(decode_utf8("\xD0", 0).valid);
}

TEST(storable_text, keeps_valid_text_as_it_is) {
    const std::string text = "Reisen mit neuem Gerät – 出張中 😀";
    EXPECT_EQ(storable_text(text, 2000), text);
}

TEST(storable_text, cuts_on_a_code_point_boundary) {
    // "a" then 1,000 Cyrillic letters is 2,001 bytes: the last letter does not fit whole.
    const std::string report = "a" + repeated("\xD0\xB4", 1000);
    EXPECT_EQ(storable_text(report, 2000), "a" + repeated("\xD0\xB4", 999));
    EXPECT_EQ(storable_text(repeated("\xE2\x82\xAC", 3), 8), repeated("\xE2\x82\xAC", 2));
    EXPECT_EQ(storable_text(repeated("\xE2\x82\xAC", 3), 9), repeated("\xE2\x82\xAC", 3));
    EXPECT_EQ(storable_text("x\xF0\x9F\x98\x80", 4), "x");
    EXPECT_EQ(storable_text("x\xF0\x9F\x98\x80", 5), "x\xF0\x9F\x98\x80");
    EXPECT_EQ(storable_text("abc", 0), "");
}

TEST(storable_text, replaces_each_invalid_sequence_with_one_replacement_character) {
    EXPECT_EQ(storable_text("a\xFF" "b", 100), "a" + fffd + "b");
    EXPECT_EQ(storable_text("\xC0\xAF", 100), fffd + fffd);              // overlong '/'
    EXPECT_EQ(storable_text("\xE0\x80\xAF", 100), fffd + fffd + fffd);  // overlong '/'
    EXPECT_EQ(storable_text("\xED\xA0\x80", 100), fffd + fffd + fffd);  // a lone surrogate
    EXPECT_EQ(storable_text("ok\xE2\x82", 100), "ok" + fffd);           // truncated tail
    EXPECT_EQ(storable_text("ok\xF0\x9F\x98", 100), "ok" + fffd);
    // A replacement that does not fit is left out whole, like any other character.
    EXPECT_EQ(storable_text("ab\xFF", 4), "ab");
}

TEST(storable_text, drops_control_characters) {
    EXPECT_EQ(storable_text(std::string("a\0b\x1b[31m\x7f\xC2\x85z", 12), 100), "ab[31mz");
    EXPECT_EQ(storable_text("line one\r\nline two\tend", 100), "line oneline twoend");
    EXPECT_EQ(storable_text("line one\r\nline two\tend", 100, line_breaks::keep), "line one\nline two\tend");
}

TEST(is_clean_text, accepts_valid_text_without_controls_only) {
    EXPECT_TRUE(is_clean_text(""));
    EXPECT_TRUE(is_clean_text("abc-123_x"));
    EXPECT_TRUE(is_clean_text("Grüße 😀"));
    EXPECT_FALSE(is_clean_text(std::string("a\0b", 3)));
    EXPECT_FALSE(is_clean_text("a\nb"));
    EXPECT_FALSE(is_clean_text("a\xFF"));
    EXPECT_FALSE(is_clean_text("\xD0"));
    EXPECT_FALSE(is_clean_text("\xC2\x85"));
}

TEST(escaped_for_log, keeps_plain_values) {
    EXPECT_EQ(escaped_for_log("access_denied"), "access_denied");
    EXPECT_EQ(escaped_for_log("Grüße"), "Grüße");
}

TEST(escaped_for_log, cannot_start_a_new_line) {
    const auto forged = escaped_for_log("x\n2025-01-01T00:00:00.000Z info challenge verified\r");
    EXPECT_EQ(forged.find('\n'), std::string::npos);
    EXPECT_EQ(forged.find('\r'), std::string::npos);
    EXPECT_EQ(forged, "x\\n2025-01-01T00:00:00.000Z info challenge verified\\r");
}

TEST(escaped_for_log, escapes_controls_backslashes_invalid_bytes_and_disguises) {
    EXPECT_EQ(escaped_for_log(std::string("a\0b", 3)), "a\\x00b");
    EXPECT_EQ(escaped_for_log("\x1b[2J\t"), "\\x1b[2J\\t");
    EXPECT_EQ(escaped_for_log("C:\\x00"), "C:\\\\x00");
    EXPECT_EQ(escaped_for_log("\xFF\xC0\xAF"), "\\xff\\xc0\\xaf");
    EXPECT_EQ(escaped_for_log("\xC2\x85"), "\\u{0085}");
    EXPECT_EQ(escaped_for_log("a\xE2\x80\xAE" "b"), "a\\u{202e}b");
    EXPECT_EQ(escaped_for_log("a\xE2\x80\xA8" "b"), "a\\u{2028}b");
}

TEST(escaped_for_log, bounds_the_value_and_says_how_much_was_left_out) {
    const std::string long_value(1000, 'x');
    EXPECT_EQ(escaped_for_log(long_value), std::string(256, 'x') + "...[+744 bytes]");
    EXPECT_EQ(escaped_for_log("abc\xD0\xB4", 4), "abc...[+2 bytes]");
    EXPECT_EQ(escaped_for_log("abcd", 4), "abcd");
}

}  // namespace
}  // namespace chal::core
