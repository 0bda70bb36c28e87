// The dashboard's charts, drawn as SVG on the server (no script, no external asset). Pure:
// data in, markup out. Each chart is a <figure> holding an SVG with role="img", a <title> and a
// <desc> named by aria-labelledby, colours by CSS class only (web/console.css: the CSP forbids
// style attributes), and a visually hidden <table> with the same numbers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace chal::console {

// One colour of a chart. `key` picks the class chart-series-<key> (verified, failed, expired,
// in-progress, initiated, other); a key outside [a-z0-9-] is drawn as "other".
struct chart_series {
    std::string key;
    std::string label;  // "Verified"
};

struct day_counts {
    std::string label;                 // "12 May"
    std::vector<std::int64_t> counts;  // one per series, in the chart's series order; < 0 counts as 0
};

struct stacked_bar_chart {
    std::string id;     // unique in the page; prefixes the ids of <title> and <desc>
    std::string title;  // "Challenges per day, last 7 days"
    std::vector<chart_series> series;
    std::vector<day_counts> days;  // oldest first
};

// A bar per day, its series stacked bottom-up in series order, all bars on one scale (the tallest
// day's total fills the plot). With no challenges at all: axes, "No challenges" and a desc saying
// so. Throws std::invalid_argument if a day's counts do not match the series.
std::string render_stacked_bar_chart(const stacked_bar_chart& chart);

struct category_count {
    chart_series category;
    std::int64_t count = 0;  // < 0 counts as 0
};

struct proportion_bar {
    std::string id;
    std::string title;  // "Challenges by source"
    std::vector<category_count> categories;
};

// One horizontal bar split into segments whose widths are proportional to the counts, with a
// legend of counts and percentages. An empty outline and "No challenges" when all are zero.
std::string render_proportion_bar(const proportion_bar& chart);

}  // namespace chal::console
