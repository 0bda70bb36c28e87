#include "app/core/time.hpp"

#include <gtest/gtest.h>

using namespace chal::core;

TEST(rfc3339, writes_whole_seconds_in_utc_with_z) {
    EXPECT_EQ(format_rfc3339(timestamp{std::chrono::seconds{1'764'590'400}}), "2025-12-01T12:00:00Z");
    EXPECT_EQ(format_rfc3339(timestamp{std::chrono::seconds{0}}), "1970-01-01T00:00:00Z");
}

TEST(rfc3339, reads_back_what_it_writes) {
    const timestamp t{std::chrono::seconds{1'893'456'000 + 86399}};
    EXPECT_EQ(parse_rfc3339(format_rfc3339(t)), t);
    EXPECT_EQ(parse_rfc3339("2025-12-01T12:00:00+00:00"), timestamp{std::chrono::seconds{1'764'590'400}});
}

TEST(rfc3339, refuses_other_shapes) {
    for (const char* bad : {"", "2025-12-01", "2025-12-01 12:00:00Z", "2025-13-01T12:00:00Z", "2025-02-30T12:00:00Z",
                            "2025-12-01T24:00:00Z", "2025-12-01T12:00:00+01:00", "2025-12-01T12:00:00Zjunk"}) {
        EXPECT_FALSE(parse_rfc3339(bad).has_value()) << bad;
    }
}
