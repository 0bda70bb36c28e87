#include "console/charts.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>
#include <stdexcept>

using namespace chal;
using console::chart_series;

namespace {

std::vector<chart_series> outcome_series() {
    return {{"verified", "Verified"}, {"failed", "Failed"}, {"expired", "Expired"}, {"in-progress", "In progress"}};
}

console::stacked_bar_chart week(std::vector<console::day_counts> days) {
    return {"per-day", "Challenges per day", outcome_series(), std::move(days)};
}

struct drawn_rect {
    std::string classes;
    double x, y, width, height;
};

std::vector<drawn_rect> bars(const std::string& svg) {
    static const std::regex rect_re(
        R"re(<rect class="(chart-bar [^"]*)" x="([0-9.]+)" y="([0-9.]+)" width="([0-9.]+)" height="([0-9.]+)")re"
    );
    std::vector<drawn_rect> out;
    for (auto it = std::sregex_iterator(svg.begin(), svg.end(), rect_re); it != std::sregex_iterator(); ++it)
        out.push_back({(*it)[1], std::stod((*it)[2]), std::stod((*it)[3]), std::stod((*it)[4]), std::stod((*it)[5])});
    return out;
}

std::size_t occurrences(const std::string& haystack, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
    return n;
}

}  // namespace

TEST(stacked_bar_chart, is_an_image_named_by_its_title_and_description) {
    const auto html = console::render_stacked_bar_chart(week({{"1 May", {3, 1, 0, 0}}}));
    EXPECT_THAT(html, ::testing::HasSubstr("role=\"img\" aria-labelledby=\"per-day-title per-day-desc\""));
    EXPECT_THAT(html, ::testing::HasSubstr("<title id=\"per-day-title\">Challenges per day</title>"));
    EXPECT_THAT(html, ::testing::HasSubstr(
        "<desc id=\"per-day-desc\">4 challenges in 1 day, 1 May: Verified 3, Failed 1, Expired 0, In progress 0. "
        "Busiest day: 4.</desc>"));
}

TEST(stacked_bar_chart, draws_heights_proportional_to_counts_on_one_scale) {
    const auto drawn = bars(console::render_stacked_bar_chart(week({{"1 May", {3, 1, 0, 0}}, {"2 May", {1, 0, 1, 0}}})));
    ASSERT_EQ(drawn.size(), 4u);  // zero counts draw nothing
    const double unit = drawn[1].height;  // day 1, failed: one challenge
    EXPECT_NEAR(drawn[0].height, 3 * unit, 0.02);
    EXPECT_NEAR(drawn[2].height, unit, 0.02);
    EXPECT_NEAR(drawn[3].height, unit, 0.02);
    // The tallest day fills the plot (212 - 12 = 200 units high).
    EXPECT_NEAR(drawn[0].height + drawn[1].height, 200, 0.02);
}

TEST(stacked_bar_chart, stacks_series_bottom_up_in_series_order_with_their_classes) {
    const auto drawn = bars(console::render_stacked_bar_chart(week({{"1 May", {2, 1, 1, 0}}})));
    ASSERT_EQ(drawn.size(), 3u);
    EXPECT_EQ(drawn[0].classes, "chart-bar chart-series-verified");
    EXPECT_EQ(drawn[1].classes, "chart-bar chart-series-failed");
    EXPECT_EQ(drawn[2].classes, "chart-bar chart-series-expired");
    EXPECT_NEAR(drawn[0].y + drawn[0].height, 212, 0.02);  // on the x axis
    EXPECT_NEAR(drawn[1].y + drawn[1].height, drawn[0].y, 0.02);
    EXPECT_NEAR(drawn[2].y + drawn[2].height, drawn[1].y, 0.02);
    for (const auto& r : drawn) EXPECT_DOUBLE_EQ(r.x, drawn[0].x);
}

TEST(stacked_bar_chart, places_days_left_to_right_in_equal_slots) {
    const auto drawn = bars(console::render_stacked_bar_chart(week({{"1 May", {1, 0, 0, 0}}, {"2 May", {1, 0, 0, 0}}, {"3 May", {1, 0, 0, 0}}})));
    ASSERT_EQ(drawn.size(), 3u);
    EXPECT_LT(drawn[0].x, drawn[1].x);
    EXPECT_NEAR(drawn[1].x - drawn[0].x, drawn[2].x - drawn[1].x, 0.02);
    EXPECT_LT(drawn[2].x + drawn[2].width, 712.01);
}

TEST(stacked_bar_chart, labels_the_axes_with_zero_the_busiest_total_and_the_days) {
    const auto html = console::render_stacked_bar_chart(week({{"1 May", {3, 1, 0, 0}}, {"2 May", {1, 0, 0, 0}}}));
    EXPECT_THAT(html, ::testing::HasSubstr("text-anchor=\"end\">0</text>"));
    EXPECT_THAT(html, ::testing::HasSubstr("text-anchor=\"end\">4</text>"));
    EXPECT_THAT(html, ::testing::HasSubstr("text-anchor=\"middle\">1 May</text>"));
    EXPECT_THAT(html, ::testing::HasSubstr("text-anchor=\"middle\">2 May</text>"));
}

TEST(stacked_bar_chart, labels_at_most_ten_days_when_there_are_thirty) {
    std::vector<console::day_counts> days;
    for (int d = 1; d <= 30; ++d) days.push_back({"D" + std::to_string(d), {1, 0, 0, 0}});
    const auto html = console::render_stacked_bar_chart(week(days));
    EXPECT_EQ(occurrences(html, "class=\"chart-label\""), 2u + 10u);  // two y labels, ten day labels
    EXPECT_EQ(bars(html).size(), 30u);
}

TEST(stacked_bar_chart, renders_an_empty_chart_saying_no_challenges_when_all_counts_are_zero) {
    const auto html = console::render_stacked_bar_chart(week({{"1 May", {0, 0, 0, 0}}, {"2 May", {0, 0, 0, 0}}}));
    EXPECT_TRUE(bars(html).empty());
    EXPECT_THAT(html, ::testing::HasSubstr("<desc id=\"per-day-desc\">No challenges in 2 days, 1 May to 2 May.</desc>"));
    EXPECT_THAT(html, ::testing::HasSubstr(">No challenges</text>"));
    EXPECT_THAT(html, ::testing::HasSubstr("<tr><th scope=\"row\">1 May</th><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td></tr>"));
}

TEST(stacked_bar_chart, renders_an_empty_chart_for_no_days) {
    const auto html = console::render_stacked_bar_chart(week({}));
    EXPECT_TRUE(bars(html).empty());
    EXPECT_THAT(html, ::testing::HasSubstr("No challenges in 0 days.</desc>"));
}

TEST(stacked_bar_chart, repeats_its_numbers_in_a_visually_hidden_table) {
    const auto html = console::render_stacked_bar_chart(week({{"1 May", {3, 1, 0, 2}}}));
    EXPECT_THAT(html, ::testing::HasSubstr("<table class=\"visually-hidden\"><caption>Challenges per day</caption>"));
    EXPECT_THAT(html, ::testing::HasSubstr(
        "<th scope=\"col\">Day</th><th scope=\"col\">Verified</th><th scope=\"col\">Failed</th><th scope=\"col\">Expired</th>"
        "<th scope=\"col\">In progress</th><th scope=\"col\">Total</th>"));
    EXPECT_THAT(html, ::testing::HasSubstr("<tr><th scope=\"row\">1 May</th><td>3</td><td>1</td><td>0</td><td>2</td><td>6</td></tr>"));
    EXPECT_LT(html.find("</svg>"), html.find("<table"));
}

TEST(stacked_bar_chart, escapes_every_label_and_the_id) {
    console::stacked_bar_chart chart{
        "x\"><script>", "<b>Title</b> & \"more\"", {{"verified", "<img src=x onerror=alert(1)>"}}, {{"<i>day</i>", {1}}}};
    const auto html = console::render_stacked_bar_chart(chart);
    EXPECT_THAT(html, ::testing::Not(::testing::HasSubstr("<script>")));
    EXPECT_THAT(html, ::testing::Not(::testing::HasSubstr("<img")));
    EXPECT_THAT(html, ::testing::Not(::testing::HasSubstr("<b>")));
    EXPECT_THAT(html, ::testing::Not(::testing::HasSubstr("<i>")));
    EXPECT_THAT(html, ::testing::HasSubstr("&lt;b&gt;Title&lt;/b&gt; &amp; &quot;more&quot;"));
    EXPECT_THAT(html, ::testing::HasSubstr("id=\"x&quot;&gt;&lt;script&gt;-title\""));
    EXPECT_THAT(html, ::testing::HasSubstr("&lt;img src=x onerror=alert(1)&gt;"));
}

TEST(stacked_bar_chart, colours_by_class_only_and_never_by_style_attribute) {
    console::stacked_bar_chart chart{"c", "t", {{"failed\" style=\"fill:red", "Odd"}, {"Verified", "Upper"}}, {{"d", {1, 1}}}};
    const auto html = console::render_stacked_bar_chart(chart);
    EXPECT_THAT(html, ::testing::Not(::testing::HasSubstr("style")));
    EXPECT_THAT(html, ::testing::Not(::testing::HasSubstr(" fill=")));
    EXPECT_EQ(occurrences(html, "chart-series-other"), 4u);  // two bars, two legend swatches
}

TEST(stacked_bar_chart, counts_negative_numbers_as_zero) {
    const auto drawn = bars(console::render_stacked_bar_chart(week({{"1 May", {-5, 2, 0, 0}}})));
    ASSERT_EQ(drawn.size(), 1u);
    EXPECT_NEAR(drawn[0].height, 200, 0.02);
}

TEST(stacked_bar_chart, refuses_a_day_whose_counts_do_not_match_the_series) {
    EXPECT_THROW(console::render_stacked_bar_chart(week({{"1 May", {1, 2}}})), std::invalid_argument);
}

TEST(proportion_bar, splits_the_width_in_proportion_to_the_counts) {
    const auto html = console::render_proportion_bar(
        {"by-source", "By source", {{{"verified", "Slack"}, 3}, {{"failed", "Webhook API"}, 1}, {{"expired", "Console"}, 0}}}
    );
    const auto drawn = bars(html);
    ASSERT_EQ(drawn.size(), 2u);
    EXPECT_NEAR(drawn[0].width, 540, 0.02);
    EXPECT_NEAR(drawn[1].width, 180, 0.02);
    EXPECT_NEAR(drawn[1].x, drawn[0].x + drawn[0].width, 0.02);
    EXPECT_THAT(html, ::testing::HasSubstr("role=\"img\" aria-labelledby=\"by-source-title by-source-desc\""));
    EXPECT_THAT(html, ::testing::HasSubstr(
        "<desc id=\"by-source-desc\">4 challenges: Slack 3 (75.0%), Webhook API 1 (25.0%), Console 0 (0.0%).</desc>"));
    EXPECT_THAT(html, ::testing::HasSubstr("<tr><th scope=\"row\">Slack</th><td>3</td><td>75.0%</td></tr>"));
    EXPECT_THAT(html, ::testing::Not(::testing::HasSubstr("style")));
}

TEST(proportion_bar, rounds_shares_to_a_tenth) {
    const auto html = console::render_proportion_bar({"p", "t", {{{"a", "A"}, 1}, {{"b", "B"}, 2}}});
    EXPECT_THAT(html, ::testing::HasSubstr("A 1 (33.3%), B 2 (66.7%)"));
}

TEST(proportion_bar, renders_an_empty_outline_saying_no_challenges_when_all_are_zero) {
    const auto html = console::render_proportion_bar({"p", "By method", {{{"a", "OIDC"}, 0}, {{"b", "SAML"}, 0}}});
    EXPECT_TRUE(bars(html).empty());
    EXPECT_THAT(html, ::testing::HasSubstr("<desc id=\"p-desc\">No challenges.</desc>"));
    EXPECT_THAT(html, ::testing::HasSubstr(">No challenges</text>"));
    EXPECT_THAT(html, ::testing::HasSubstr("<tr><th scope=\"row\">OIDC</th><td>0</td><td>0.0%</td></tr>"));
}

TEST(proportion_bar, escapes_category_labels) {
    const auto html = console::render_proportion_bar({"p", "t", {{{"a", "<script>x</script>"}, 2}}});
    EXPECT_THAT(html, ::testing::Not(::testing::HasSubstr("<script>")));
    EXPECT_THAT(html, ::testing::HasSubstr("&lt;script&gt;x&lt;/script&gt;"));
}
