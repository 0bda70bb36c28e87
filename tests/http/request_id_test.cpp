#include "app/http/request_id.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace chal::http {
namespace {

TEST(request_id, accepts_plain_tokens) {
    EXPECT_TRUE(is_sane_request_id("abc-DEF_123.4"));
    EXPECT_TRUE(is_sane_request_id(std::string(128, 'a')));
}

TEST(request_id, refuses_empty_long_or_unusual_ids) {
    EXPECT_FALSE(is_sane_request_id(""));
    EXPECT_FALSE(is_sane_request_id(std::string(129, 'a')));
    EXPECT_FALSE(is_sane_request_id("has space"));
    EXPECT_FALSE(is_sane_request_id("quote\""));
    EXPECT_FALSE(is_sane_request_id("line\nbreak"));
    EXPECT_FALSE(is_sane_request_id("slash/"));
}

TEST(request_id, generates_distinct_sane_ids) {
    request_id_generator generator;
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        const auto id = generator.next();
        EXPECT_EQ(id.size(), 32u);
        EXPECT_TRUE(is_sane_request_id(id));
        seen.insert(id);
    }
    EXPECT_EQ(seen.size(), 1000u);
}

}  // namespace
}  // namespace chal::http
