#include "console/charts.hpp"

#include "api/verification/html.hpp"

#include <algorithm>
#include <charconv>
#include <numeric>
#include <stdexcept>

namespace chal::console {
namespace {

using api::html_escape;

// The SVG's coordinate system; CSS scales it to the container's width.
constexpr double bars_width = 720;
constexpr double bars_height = 240;
constexpr double plot_left = 48;
constexpr double plot_right = bars_width - 8;
constexpr double plot_top = 12;
constexpr double plot_bottom = bars_height - 28;
constexpr double bar_fill_ratio = 0.7;  // of each day's slot; the rest is the gap between bars
constexpr std::size_t max_day_labels = 10;
constexpr double proportion_width = 720;
constexpr double proportion_height = 32;

std::string number(double value) {
    char buffer[32];
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed, 2);
    return ec == std::errc{} ? std::string(buffer, end) : std::string("0");
}

std::int64_t non_negative(std::int64_t count) {
    return std::max<std::int64_t>(count, 0);
}

std::string series_class(const chart_series& s) {
    const bool plain = !s.key.empty() && std::all_of(s.key.begin(), s.key.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    });
    return "chart-series-" + (plain ? s.key : std::string("other"));
}

// "33.3%" of `total`, rounded to a tenth.
std::string percent(std::int64_t count, std::int64_t total) {
    const auto tenths = (count * 1000 + total / 2) / total;
    return std::to_string(tenths / 10) + '.' + std::to_string(tenths % 10) + '%';
}

std::string svg_open(const std::string& id, double width, double height, const std::string& title, const std::string& desc) {
    const auto title_id = html_escape(id + "-title");
    const auto desc_id = html_escape(id + "-desc");
    return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + number(width) + ' ' + number(height) +
           "\" role=\"img\" aria-labelledby=\"" + title_id + ' ' + desc_id + "\"><title id=\"" + title_id + "\">" +
           html_escape(title) + "</title><desc id=\"" + desc_id + "\">" + html_escape(desc) + "</desc>";
}

std::string rect(const std::string& classes, double x, double y, double width, double height, const std::string& tooltip) {
    return "<rect class=\"" + classes + "\" x=\"" + number(x) + "\" y=\"" + number(y) + "\" width=\"" + number(width) +
           "\" height=\"" + number(height) + "\"><title>" + html_escape(tooltip) + "</title></rect>";
}

std::string text(const std::string& classes, double x, double y, std::string_view anchor, const std::string& content) {
    return "<text class=\"" + classes + "\" x=\"" + number(x) + "\" y=\"" + number(y) + "\" text-anchor=\"" +
           std::string(anchor) + "\">" + html_escape(content) + "</text>";
}

std::string line(const std::string& classes, double x1, double y1, double x2, double y2) {
    return "<line class=\"" + classes + "\" x1=\"" + number(x1) + "\" y1=\"" + number(y1) + "\" x2=\"" + number(x2) +
           "\" y2=\"" + number(y2) + "\"/>";
}

// "Verified 3, Failed 1": the figures a sentence or a tooltip names.
std::string counts_phrase(const std::vector<chart_series>& series, const std::vector<std::int64_t>& totals) {
    std::string out;
    for (std::size_t i = 0; i < series.size(); ++i) {
        if (!out.empty()) out += ", ";
        out += series[i].label + ' ' + std::to_string(totals[i]);
    }
    return out;
}

std::string legend(const std::vector<chart_series>& series, const std::vector<std::string>& notes) {
    // The table below carries the same facts for assistive technology.
    std::string out = "<ul class=\"chart-legend\" aria-hidden=\"true\">";
    for (std::size_t i = 0; i < series.size(); ++i) {
        out += "<li><span class=\"chart-swatch " + series_class(series[i]) + "\"></span>" + html_escape(series[i].label);
        if (i < notes.size()) out += ' ' + html_escape(notes[i]);
        out += "</li>";
    }
    return out + "</ul>";
}

std::string table_head(const std::string& title, std::string_view first_column, const std::vector<std::string>& columns) {
    std::string out = "<table class=\"visually-hidden\"><caption>" + html_escape(title) + "</caption><thead><tr><th scope=\"col\">" +
                      std::string(first_column) + "</th>";
    for (const auto& c : columns) out += "<th scope=\"col\">" + html_escape(c) + "</th>";
    return out + "</tr></thead><tbody>";
}

std::string table_row(const std::string& header, const std::vector<std::string>& cells) {
    std::string out = "<tr><th scope=\"row\">" + html_escape(header) + "</th>";
    for (const auto& c : cells) out += "<td>" + html_escape(c) + "</td>";
    return out + "</tr>";
}

}  // namespace

std::string render_stacked_bar_chart(const stacked_bar_chart& chart) {
    const auto& series = chart.series;
    std::vector<std::int64_t> day_totals;
    std::vector<std::int64_t> series_totals(series.size(), 0);
    for (const auto& day : chart.days) {
        if (day.counts.size() != series.size())
            throw std::invalid_argument("chart " + chart.id + ": day " + day.label + " has " +
                                        std::to_string(day.counts.size()) + " counts for " +
                                        std::to_string(series.size()) + " series");
        std::int64_t total = 0;
        for (std::size_t i = 0; i < series.size(); ++i) {
            total += non_negative(day.counts[i]);
            series_totals[i] += non_negative(day.counts[i]);
        }
        day_totals.push_back(total);
    }
    const auto grand_total = std::accumulate(day_totals.begin(), day_totals.end(), std::int64_t{0});
    const auto tallest = day_totals.empty() ? 0 : *std::max_element(day_totals.begin(), day_totals.end());

    std::string period = std::to_string(chart.days.size()) + (chart.days.size() == 1 ? " day" : " days");
    if (!chart.days.empty()) period += ", " + chart.days.front().label;
    if (chart.days.size() > 1) period += " to " + chart.days.back().label;
    const std::string desc = grand_total == 0
        ? "No challenges in " + period + "."
        : std::to_string(grand_total) + " challenges in " + period + ": " + counts_phrase(series, series_totals) +
              ". Busiest day: " + std::to_string(tallest) + '.';

    std::string out = "<figure class=\"chart chart-stacked\">" + svg_open(chart.id, bars_width, bars_height, chart.title, desc);
    out += line("chart-axis", plot_left, plot_bottom, plot_right, plot_bottom);
    out += line("chart-axis", plot_left, plot_top, plot_left, plot_bottom);
    out += text("chart-label", plot_left - 6, plot_bottom + 4, "end", "0");
    if (grand_total == 0) {
        out += text("chart-empty", (plot_left + plot_right) / 2, (plot_top + plot_bottom) / 2, "middle", "No challenges");
    } else {
        out += line("chart-grid", plot_left, plot_top, plot_right, plot_top);
        out += text("chart-label", plot_left - 6, plot_top + 4, "end", std::to_string(tallest));
    }
    const double slot = chart.days.empty() ? 0 : (plot_right - plot_left) / static_cast<double>(chart.days.size());
    const double bar_width = slot * bar_fill_ratio;
    const double per_challenge = tallest == 0 ? 0 : (plot_bottom - plot_top) / static_cast<double>(tallest);
    const std::size_t label_every = (chart.days.size() + max_day_labels - 1) / max_day_labels;
    for (std::size_t d = 0; d < chart.days.size(); ++d) {
        const auto& day = chart.days[d];
        const double x = plot_left + slot * static_cast<double>(d) + (slot - bar_width) / 2;
        double y = plot_bottom;
        for (std::size_t i = 0; i < series.size(); ++i) {
            const auto count = non_negative(day.counts[i]);
            if (count == 0) continue;
            const double height = per_challenge * static_cast<double>(count);
            y -= height;
            out += rect("chart-bar " + series_class(series[i]), x, y, bar_width, height,
                        day.label + ": " + series[i].label + ' ' + std::to_string(count));
        }
        if (d % label_every == 0)
            out += text("chart-label", x + bar_width / 2, plot_bottom + 18, "middle", day.label);
    }
    out += "</svg>" + legend(series, {});

    std::vector<std::string> columns;
    for (const auto& s : series) columns.push_back(s.label);
    columns.emplace_back("Total");
    out += table_head(chart.title, "Day", columns);
    for (std::size_t d = 0; d < chart.days.size(); ++d) {
        std::vector<std::string> cells;
        for (const auto count : chart.days[d].counts) cells.push_back(std::to_string(non_negative(count)));
        cells.push_back(std::to_string(day_totals[d]));
        out += table_row(chart.days[d].label, cells);
    }
    return out + "</tbody></table></figure>";
}

std::string render_proportion_bar(const proportion_bar& chart) {
    std::int64_t total = 0;
    for (const auto& c : chart.categories) total += non_negative(c.count);

    std::vector<chart_series> series;
    std::vector<std::string> notes;
    std::string parts;
    for (const auto& c : chart.categories) {
        series.push_back(c.category);
        const auto count = non_negative(c.count);
        const auto share = total == 0 ? std::string("0.0%") : percent(count, total);
        notes.push_back(std::to_string(count) + " (" + share + ')');
        if (!parts.empty()) parts += ", ";
        parts += c.category.label + ' ' + std::to_string(count) + " (" + share + ')';
    }
    const std::string desc = total == 0 ? std::string("No challenges.")
                                        : std::to_string(total) + " challenges: " + parts + '.';

    std::string out = "<figure class=\"chart chart-proportion\">" +
                      svg_open(chart.id, proportion_width, proportion_height, chart.title, desc);
    if (total == 0) {
        out += "<rect class=\"chart-grid\" x=\"0.50\" y=\"0.50\" width=\"" + number(proportion_width - 1) + "\" height=\"" +
               number(proportion_height - 1) + "\" fill=\"none\"/>";
        out += text("chart-empty", proportion_width / 2, proportion_height / 2 + 5, "middle", "No challenges");
    } else {
        double x = 0;
        for (std::size_t i = 0; i < chart.categories.size(); ++i) {
            const auto count = non_negative(chart.categories[i].count);
            if (count == 0) continue;
            const double width = proportion_width * static_cast<double>(count) / static_cast<double>(total);
            out += rect("chart-bar " + series_class(series[i]), x, 0, width, proportion_height,
                        series[i].label + ' ' + notes[i]);
            x += width;
        }
    }
    out += "</svg>" + legend(series, notes);
    out += table_head(chart.title, "Category", {"Challenges", "Share"});
    for (std::size_t i = 0; i < series.size(); ++i) {
        const auto count = non_negative(chart.categories[i].count);
        out += table_row(series[i].label, {std::to_string(count), total == 0 ? std::string("0.0%") : percent(count, total)});
    }
    return out + "</tbody></table></figure>";
}

}  // namespace chal::console
