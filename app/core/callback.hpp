// Webhook callbacks as decisions: which event a finished challenge emits, the exact body
// bytes, where it goes, and what to do after each delivery attempt.
#pragma once

#include "app/core/challenge.hpp"

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace chal::core {

// "challenge.incident_reported" for a reported incident, "challenge.completed" otherwise.
std::string_view callback_event_type(const challenge& c) noexcept;

// The callback body, serialised once at enqueue and never again (retries resend these bytes).
// Fields are the contract's, plus failure_reason, target_user_email and requester_id (ours).
std::string callback_body(const challenge& c);

// Contract priority: the request's own URL, else the integration default, else none.
std::optional<std::string> callback_target(const challenge& c, const std::optional<std::string>& integration_default);

// Delay before each attempt, counted from the previous one: 10 attempts over about 3 days
// (the Standard Webhooks schedule). The README's table is printed from this constant.
inline constexpr std::array<std::chrono::seconds, 10> retry_delays{
    std::chrono::seconds{0},
    std::chrono::seconds{5},
    std::chrono::minutes{5},
    std::chrono::minutes{30},
    std::chrono::hours{2},
    std::chrono::hours{5},
    std::chrono::hours{10},
    std::chrono::hours{14},
    std::chrono::hours{20},
    std::chrono::hours{24},
};
inline constexpr double retry_jitter = 0.2;  // each delay is scaled by a factor in [0.8, 1.2)
// A receiver that is overloaded (timeout, 429, 502, 503, 504) waits at least this long.
inline constexpr std::chrono::seconds overload_delay{60};
inline constexpr std::chrono::seconds max_retry_after{std::chrono::hours{24}};

// A Markdown table of the schedule: attempt, delay, time since the first attempt.
std::string retry_schedule_table();

struct attempt_outcome {
    std::optional<unsigned> http_status;           // absent when no response arrived
    bool timed_out = false;
    std::optional<std::chrono::seconds> retry_after;  // from a 429 or 503
};

enum class delivery_verdict {
    delivered,  // 2xx
    retry,      // try again at next_attempt_at
    exhausted,  // the schedule is used up
    gone,       // 410: the receiver unsubscribed; never retried
};

std::string_view to_string(delivery_verdict v) noexcept;

struct delivery_decision {
    delivery_verdict verdict;
    std::optional<timestamp> next_attempt_at;
};

// `attempts_made` counts the attempt just finished. `jitter_unit` is uniform in [0, 1).
// Redirects (3xx) count as failures: they are never followed.
delivery_decision decide_after_attempt(
    const attempt_outcome& outcome, int attempts_made, timestamp now, double jitter_unit
);

// The circuit breaker each callback endpoint has (its state lives in PostgreSQL, shared by every
// instance): an endpoint whose attempts time out `trip_after_timeouts` times in a row moves to
// the slow lane (its own small budget, shorter attempts) until an attempt there succeeds or
// `hold` passes without another timeout.
struct breaker_policy {
    int trip_after_timeouts = 3;
    std::chrono::seconds hold{300};
};

// What one attempt says about its endpoint's health: a timeout counts against it, a 2xx clears
// it, anything else (a 500, a refused connection) says nothing about slowness.
enum class endpoint_signal { none, timeout, healthy };
endpoint_signal endpoint_signal_of(const attempt_outcome& outcome) noexcept;

// Parses a Retry-After header: delay-seconds or an HTTP-date is not needed by receivers we
// know; only the seconds form is honoured.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view header) noexcept;

}  // namespace chal::core
