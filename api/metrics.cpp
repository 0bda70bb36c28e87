#include "api/metrics.hpp"

#include <cstdio>

namespace chal::api {
namespace {

std::string number(double v) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.17g", v);
    return buffer;
}

// One metric family with one label: HELP, TYPE and a line per label value.
template <class Map>
void render_family(
    std::string& out, std::string_view name, std::string_view type, std::string_view help, std::string_view label,
    const Map& values
) {
    const std::string n(name);
    out += "# HELP " + n + " " + std::string(help) + "\n";
    out += "# TYPE " + n + " " + std::string(type) + "\n";
    for (const auto& [key, value] : values)
        out += n + "{" + std::string(label) + "=\"" + key + "\"} " + std::to_string(value) + "\n";
}

}  // namespace

void metrics::histogram::observe(double seconds) {
    for (std::size_t i = 0; i < buckets.size(); ++i) {
        if (seconds <= buckets[i]) ++counts[i];
    }
    ++count;
    sum += seconds;
}

void metrics::observe_request(std::string_view route, std::string_view method, unsigned status, double seconds) {
    ++requests_[{std::string(route), std::string(method), status}];
    request_latency_[std::string(route)].observe(seconds);
}

void metrics::count_delivery_attempt(std::string_view outcome, double seconds) {
    ++delivery_attempts_[std::string(outcome)];
    attempt_latency_.observe(seconds);
}

void metrics::observe_first_attempt_delay(double seconds) {
    first_attempt_delay_.observe(seconds);
}

void metrics::count_challenge_event(std::string_view event) {
    ++challenge_events_[std::string(event)];
}

void metrics::set_webhook_in_flight(std::string_view lane, int attempts) {
    webhook_in_flight_[std::string(lane)] = attempts;
}

void metrics::count_breaker_moves(std::string_view to_lane, std::int64_t endpoints) {
    if (endpoints > 0) breaker_moves_[std::string(to_lane)] += static_cast<std::uint64_t>(endpoints);
}

void metrics::count_throttled(std::string_view by) {
    ++throttled_[std::string(by)];
}

void metrics::render_histogram(std::string& out, std::string_view name, std::string_view labels, const histogram& h) {
    const std::string sep = labels.empty() ? "" : ",";
    for (std::size_t i = 0; i < buckets.size(); ++i) {
        out += std::string(name) + "_bucket{" + std::string(labels) + sep + "le=\"" + number(buckets[i]) + "\"} " +
               std::to_string(h.counts[i]) + "\n";
    }
    out += std::string(name) + "_bucket{" + std::string(labels) + sep + "le=\"+Inf\"} " + std::to_string(h.count) + "\n";
    const std::string braces = labels.empty() ? "" : "{" + std::string(labels) + "}";
    out += std::string(name) + "_sum" + braces + " " + number(h.sum) + "\n";
    out += std::string(name) + "_count" + braces + " " + std::to_string(h.count) + "\n";
}

std::string metrics::render(const queue_gauges& gauges) const {
    std::string out;
    out += "# HELP challenge_http_requests_total HTTP requests by route, method and status.\n";
    out += "# TYPE challenge_http_requests_total counter\n";
    for (const auto& [key, value] : requests_) {
        const auto& [route, method, status] = key;
        out += "challenge_http_requests_total{route=\"" + route + "\",method=\"" + method + "\",status=\"" +
               std::to_string(status) + "\"} " + std::to_string(value) + "\n";
    }
    out += "# HELP challenge_http_request_duration_seconds Time from request read to response written.\n";
    out += "# TYPE challenge_http_request_duration_seconds histogram\n";
    for (const auto& [route, h] : request_latency_)
        render_histogram(out, "challenge_http_request_duration_seconds", "route=\"" + route + "\"", h);

    render_family(out, "challenge_webhook_attempts_total", "counter", "Callback delivery attempts by outcome.", "outcome",
                  delivery_attempts_);
    out += "# HELP challenge_webhook_attempt_duration_seconds Duration of callback attempts.\n";
    out += "# TYPE challenge_webhook_attempt_duration_seconds histogram\n";
    render_histogram(out, "challenge_webhook_attempt_duration_seconds", "", attempt_latency_);
    out += "# HELP challenge_webhook_first_attempt_delay_seconds From enqueue to the start of the first attempt.\n";
    out += "# TYPE challenge_webhook_first_attempt_delay_seconds histogram\n";
    render_histogram(out, "challenge_webhook_first_attempt_delay_seconds", "", first_attempt_delay_);

    out += "# HELP challenge_webhook_queue_depth Deliveries waiting (pending) or being attempted (in_flight).\n";
    out += "# TYPE challenge_webhook_queue_depth gauge\n";
    out += "challenge_webhook_queue_depth{state=\"pending\"} " + std::to_string(gauges.pending) + "\n";
    out += "challenge_webhook_queue_depth{state=\"in_flight\"} " + std::to_string(gauges.in_flight) + "\n";
    out += "# HELP challenge_webhook_oldest_unfinished_age_seconds Age of the oldest delivery not yet finished.\n";
    out += "# TYPE challenge_webhook_oldest_unfinished_age_seconds gauge\n";
    out += "challenge_webhook_oldest_unfinished_age_seconds " + number(gauges.oldest_unfinished_age_seconds.value_or(0)) + "\n";

    out += "# HELP challenge_webhook_slow_endpoints Callback endpoints in the slow lane (their breaker is open).\n";
    out += "# TYPE challenge_webhook_slow_endpoints gauge\n";
    out += "challenge_webhook_slow_endpoints " + std::to_string(gauges.slow_endpoints) + "\n";
    render_family(out, "challenge_webhook_in_flight", "gauge", "Callback attempts this instance is running, by lane.",
                  "lane", webhook_in_flight_);
    render_family(out, "challenge_webhook_breaker_moves_total", "counter",
                  "Endpoints moved to the slow lane or back to the fast one.", "to", breaker_moves_);
    render_family(out, "challenge_api_throttled_total", "counter",
                  "API requests refused by a rate limit, by what was limited.", "by", throttled_);

    render_family(out, "challenge_events_total", "counter", "Challenge lifecycle events (created, verify, expire, ...).",
                  "event", challenge_events_);
    out += "# HELP challenge_database_up Whether the last scrape reached PostgreSQL.\n";
    out += "# TYPE challenge_database_up gauge\n";
    out += std::string("challenge_database_up ") + (gauges.database_up ? "1" : "0") + "\n";
    return out;
}

}  // namespace chal::api
