#include "app/core/callback.hpp"

#include "app/core/json_values.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>

namespace chal::core {
namespace {

std::string human_duration(std::chrono::seconds s) {
    using namespace std::chrono;
    char buffer[32];
    const auto h = duration_cast<hours>(s);
    const auto m = duration_cast<minutes>(s - h);
    const auto sec = s - h - m;
    std::snprintf(
        buffer, sizeof buffer, "%ldh %02ldm %02lds", static_cast<long>(h.count()), static_cast<long>(m.count()),
        static_cast<long>(sec.count())
    );
    return buffer;
}

}  // namespace

std::string_view callback_event_type(const challenge& c) noexcept {
    if (c.failure == failure_reason::incident_reported) return "challenge.incident_reported";
    return "challenge.completed";
}

std::string callback_body(const challenge& c) {
    boost::json::object body;
    body["event_type"] = callback_event_type(c);
    body["challenge_id"] = c.id;
    body["status"] = to_string(c.status);
    body["failure_reason"] = c.failure ? boost::json::value(to_string(*c.failure)) : nullptr;
    body["created_at"] = format_rfc3339(c.created_at);
    body["completed_at"] = json_or_null(c.completed_at);
    body["expires_at"] = format_rfc3339(c.expires_at);
    body["target_user_id"] = json_or_null(c.target_user_id);
    body["target_user_email"] = json_or_null(c.target_user_email);
    body["requester_id"] = c.requester_id;
    body["context"] = json_or_null(c.context);
    body["target_response"] = json_or_null(c.target_response);
    body["device_fingerprint"] = device_details_json(c.device_fingerprint_json);
    body["auth_method"] = json_or_null(c.auth_method);
    body["receipt"] = json_or_null(c.receipt);
    return boost::json::serialize(body);
}

std::optional<std::string> callback_target(
    const challenge& c, const std::optional<std::string>& integration_default
) {
    if (!sends_callbacks(c.origin)) return std::nullopt;
    if (c.callback_url && !c.callback_url->empty()) return c.callback_url;
    if (integration_default && !integration_default->empty()) return integration_default;
    return std::nullopt;
}

std::string retry_schedule_table() {
    std::string table = "| attempt | delay before it | time since the first attempt |\n|---|---|---|\n";
    std::chrono::seconds total{0};
    for (std::size_t i = 0; i < retry_delays.size(); ++i) {
        total += retry_delays[i];
        table += "| " + std::to_string(i + 1) + " | " + (i == 0 ? std::string("immediately") : human_duration(retry_delays[i])) +
                 " | " + human_duration(total) + " |\n";
    }
    return table;
}

std::string_view to_string(delivery_verdict v) noexcept {
    switch (v) {
        case delivery_verdict::delivered: return "delivered";
        case delivery_verdict::retry: return "retry";
        case delivery_verdict::exhausted: return "exhausted";
        case delivery_verdict::gone: return "gone";
    }
    return "unknown";
}

delivery_decision decide_after_attempt(
    const attempt_outcome& outcome, int attempts_made, timestamp now, double jitter_unit
) {
    if (outcome.http_status && *outcome.http_status >= 200 && *outcome.http_status < 300)
        return {delivery_verdict::delivered, std::nullopt};
    if (outcome.http_status == 410u) return {delivery_verdict::gone, std::nullopt};
    if (attempts_made < 1 || static_cast<std::size_t>(attempts_made) >= retry_delays.size())
        return {delivery_verdict::exhausted, std::nullopt};

    const double factor = 1.0 - retry_jitter + 2.0 * retry_jitter * jitter_unit;
    const auto base = retry_delays[static_cast<std::size_t>(attempts_made)];
    auto delay = std::chrono::seconds{static_cast<std::int64_t>(std::llround(static_cast<double>(base.count()) * factor))};

    const auto status = outcome.http_status.value_or(0);
    const bool overloaded = outcome.timed_out || status == 429 || status == 502 || status == 503 || status == 504;
    if (overloaded) delay = std::max(delay, overload_delay);
    if (outcome.retry_after && (status == 429 || status == 503))
        delay = std::max(delay, std::min(*outcome.retry_after, max_retry_after));
    return {delivery_verdict::retry, now + delay};
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view header) noexcept {
    while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
    while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
    std::int64_t seconds = 0;
    auto [ptr, ec] = std::from_chars(header.data(), header.data() + header.size(), seconds);
    if (ec != std::errc{} || ptr != header.data() + header.size() || seconds < 0) return std::nullopt;
    return std::chrono::seconds{seconds};
}

endpoint_signal endpoint_signal_of(const attempt_outcome& outcome) noexcept {
    if (outcome.timed_out) return endpoint_signal::timeout;
    if (outcome.http_status && *outcome.http_status >= 200 && *outcome.http_status < 300) return endpoint_signal::healthy;
    return endpoint_signal::none;
}

}  // namespace chal::core
