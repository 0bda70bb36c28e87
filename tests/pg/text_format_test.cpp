// The text wire formats and parameter encoding, without a server.
#include "storage/pg/text_format.hpp"

#include "storage/pg/params.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace chal::pg {
namespace {

using namespace std::chrono;
using namespace std::string_literals;

sys_seconds at(int y, unsigned mo, unsigned d, int h, int mi, int s) {
    return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s};
}

TEST(text_format, formats_timestamps_as_utc_iso) {
    EXPECT_EQ(text_format::format_timestamp(at(2024, 2, 29, 7, 5, 9)), "2024-02-29 07:05:09+00");
    EXPECT_EQ(text_format::format_timestamp(sys_seconds{}), "1970-01-01 00:00:00+00");
    EXPECT_EQ(text_format::format_timestamp(at(1969, 12, 31, 23, 59, 59)), "1969-12-31 23:59:59+00");
}

TEST(text_format, refuses_timestamps_outside_four_digit_years) {
    EXPECT_THROW(text_format::format_timestamp(at(10000, 1, 1, 0, 0, 0)), std::out_of_range);
    EXPECT_THROW(text_format::format_timestamp(at(0, 12, 31, 0, 0, 0)), std::out_of_range);
}

TEST(text_format, parses_iso_timestamps_with_offsets_and_fractions) {
    EXPECT_EQ(text_format::parse_timestamp("2024-02-29 12:34:56+00"), at(2024, 2, 29, 12, 34, 56));
    EXPECT_EQ(text_format::parse_timestamp("2024-02-29 12:34:56.999999+00"), at(2024, 2, 29, 12, 34, 56));
    EXPECT_EQ(text_format::parse_timestamp("2024-02-29 12:34:56+05:30"), at(2024, 2, 29, 7, 4, 56));
    EXPECT_EQ(text_format::parse_timestamp("2024-02-29 12:34:56-08"), at(2024, 2, 29, 20, 34, 56));
    EXPECT_EQ(text_format::parse_timestamp("1900-01-01 00:00:00+00:09:21"), at(1899, 12, 31, 23, 50, 39));
    EXPECT_EQ(text_format::parse_timestamp("2024-02-29 12:34:56"), at(2024, 2, 29, 12, 34, 56));
    EXPECT_EQ(text_format::parse_timestamp("2024-02-29T12:34:56Z"), std::nullopt);
    EXPECT_EQ(text_format::parse_timestamp("2024-02-29"), at(2024, 2, 29, 0, 0, 0));
    EXPECT_EQ(text_format::parse_timestamp("12345-01-01 00:00:00+00"), at(12345, 1, 1, 0, 0, 0));
}

TEST(text_format, truncates_fractions_before_1970_toward_the_earlier_second) {
    EXPECT_EQ(text_format::parse_timestamp("1969-12-31 23:59:59.5+00"), at(1969, 12, 31, 23, 59, 59));
}

TEST(text_format, rejects_what_is_not_an_iso_timestamp) {
    for (const char* text :
         {"infinity",
          "-infinity",
          "2024-02-30 00:00:00+00",
          "2024-02-29 24:00:00+00",
          "0044-03-15 00:00:00+00 BC",
          "02/29/2024",
          "2024-02-29 12:34",
          "2024-02-29 12:34:56.",
          "",
          "2024-2-29"}) {
        EXPECT_EQ(text_format::parse_timestamp(text), std::nullopt) << text;
    }
}

using texts = std::vector<std::string>;
using optional_texts = std::vector<std::optional<std::string>>;

TEST(text_format, quotes_every_array_element) {
    EXPECT_EQ(text_format::format_text_array(texts{}), "{}");
    EXPECT_EQ(text_format::format_text_array(texts{"a", "b"}), R"({"a","b"})");
    EXPECT_EQ(
        text_format::format_text_array(texts{"", "NULL", "x,y", "{z}", "say \"hi\"", R"(back\slash)", " pad "}
        ),
        R"({"","NULL","x,y","{z}","say \"hi\"","back\\slash"," pad "})"
    );
}

TEST(text_format, writes_missing_array_elements_as_unquoted_null) {
    EXPECT_EQ(
        text_format::format_text_array(optional_texts{"NULL", std::nullopt, ""}), R"({"NULL",NULL,""})"
    );
}

TEST(text_format, refuses_nul_in_array_elements) {
    EXPECT_THROW(text_format::format_text_array(texts{"a\0b"s}), std::invalid_argument);
}

TEST(text_format, decodes_bytea_hex_output) {
    EXPECT_EQ(text_format::decode_bytea(R"(\x)"), ""s);
    EXPECT_EQ(text_format::decode_bytea(R"(\x00ff7F)"), "\x00\xff\x7f"s);
    EXPECT_EQ(text_format::decode_bytea(R"(\x0)"), std::nullopt);
    EXPECT_EQ(text_format::decode_bytea(R"(\xzz)"), std::nullopt);
    EXPECT_EQ(text_format::decode_bytea(R"(abc)"), std::nullopt);
}

TEST(params, encodes_each_type_in_text_format) {
    params p;
    p.add("text"s).add("literal").add(std::int64_t{-9007199254740993}).add(42).add(true).add(false);
    p.add(at(2024, 2, 29, 1, 2, 3)).add(std::optional<int>{}).add(std::optional<std::string>{"x"});
    p.add_text_array(texts{"a", "b"}).add(static_cast<const char*>(nullptr));
    ASSERT_EQ(p.size(), 11u);
    const std::vector<std::string> expected{
        "text",
        "literal",
        "-9007199254740993",
        "42",
        "true",
        "false",
        "2024-02-29 01:02:03+00",
        "",
        "x",
        R"({"a","b"})",
        ""};
    for (std::size_t i = 0; i < p.size(); ++i) {
        EXPECT_EQ(p.value(i), expected[i]) << i;
        EXPECT_FALSE(p.is_binary(i)) << i;
    }
    EXPECT_TRUE(p.is_null(7));
    EXPECT_TRUE(p.is_null(10));
    EXPECT_FALSE(p.is_null(8));
}

TEST(params, sends_bytea_in_binary_format_with_embedded_nuls) {
    params p;
    p.add_bytea("\0\x01\xff"s);
    EXPECT_TRUE(p.is_binary(0));
    EXPECT_EQ(p.value(0), "\0\x01\xff"s);
}

TEST(params, refuses_text_with_a_nul_byte) {
    params p;
    EXPECT_THROW(p.add("a\0b"s), std::invalid_argument);
    EXPECT_TRUE(p.empty());
}

}  // namespace
}  // namespace chal::pg
