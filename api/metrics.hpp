// Prometheus text exposition of what the service does: requests by route and status with
// latency histograms, callback attempts by outcome, challenges by event. Touched only from the
// event-loop thread, so plain containers suffice.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>

namespace chal::api {

// Values read at scrape time from the database.
struct queue_gauges {
    std::int64_t pending = 0;
    std::int64_t in_flight = 0;
    std::optional<double> oldest_unfinished_age_seconds;
    std::int64_t slow_endpoints = 0;  // callback endpoints in the slow lane (breaker open)
    bool database_up = true;
};

class metrics {
public:
    void observe_request(std::string_view route, std::string_view method, unsigned status, double seconds);
    void count_delivery_attempt(std::string_view outcome, double seconds);
    void observe_first_attempt_delay(double seconds);
    void count_challenge_event(std::string_view event);
    // This node's callback attempts running now, per lane ("fast", "slow").
    void set_webhook_in_flight(std::string_view lane, int attempts);
    // Endpoints the breaker moved to the slow lane ("slow") or back ("fast").
    void count_breaker_moves(std::string_view to_lane, std::int64_t endpoints);
    // Requests refused before or after authentication ("address", "api_key").
    void count_throttled(std::string_view by);

    std::string render(const queue_gauges& gauges) const;

private:
    static constexpr std::array<double, 12> buckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};
    struct histogram {
        std::array<std::uint64_t, buckets.size()> counts{};
        std::uint64_t count = 0;
        double sum = 0;
        void observe(double seconds);
    };
    std::map<std::tuple<std::string, std::string, unsigned>, std::uint64_t> requests_;
    std::map<std::string, histogram> request_latency_;
    std::map<std::string, std::uint64_t> delivery_attempts_;
    histogram attempt_latency_;
    histogram first_attempt_delay_;
    std::map<std::string, std::uint64_t> challenge_events_;
    std::map<std::string, int> webhook_in_flight_;
    std::map<std::string, std::uint64_t> breaker_moves_;
    std::map<std::string, std::uint64_t> throttled_;

    static void render_histogram(std::string& out, std::string_view name, std::string_view labels, const histogram& h);
};

}  // namespace chal::api
