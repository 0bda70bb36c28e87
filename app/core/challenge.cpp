#include "app/core/challenge.hpp"

#include <algorithm>
#include <array>

namespace chal::core {
namespace {

using enum challenge_status;

constexpr std::array live{initiated, in_progress};
constexpr std::array only_initiated{initiated};
constexpr std::array only_in_progress{in_progress};

// `start` only moves initiated -> in-progress; opening the link twice is not an error for the
// page, which reads the current state itself.
constexpr std::array rules{
    transition_rule{challenge_event::start, only_initiated, in_progress, std::nullopt, true, false},
    transition_rule{challenge_event::verify, live, verified, std::nullopt, true, false},
    transition_rule{challenge_event::fail_identity_mismatch, live, failed, failure_reason::identity_mismatch, true, true},
    transition_rule{challenge_event::fail_authentication, live, failed, failure_reason::authentication_failed, true, true},
    transition_rule{challenge_event::report_incident, live, failed, failure_reason::incident_reported, true, true},
    transition_rule{challenge_event::cancel, live, failed, failure_reason::canceled, true, true},
    transition_rule{challenge_event::expire, live, expired, std::nullopt, false, true},
};

}  // namespace

std::string_view to_string(challenge_status s) noexcept {
    switch (s) {
        case initiated: return "initiated";
        case in_progress: return "in-progress";
        case verified: return "verified";
        case failed: return "failed";
        case expired: return "expired";
    }
    return "unknown";
}

std::string_view to_string(failure_reason r) noexcept {
    switch (r) {
        case failure_reason::identity_mismatch: return "identity_mismatch";
        case failure_reason::authentication_failed: return "authentication_failed";
        case failure_reason::incident_reported: return "incident_reported";
        case failure_reason::canceled: return "canceled";
    }
    return "unknown";
}

std::string_view to_string(challenge_origin o) noexcept {
    switch (o) {
        case challenge_origin::webhook_api: return "webhook_api";
        case challenge_origin::slack_command: return "slack_command";
        case challenge_origin::slack_api: return "slack_api";
        case challenge_origin::console: return "console";
        case challenge_origin::mcp: return "mcp";
    }
    return "unknown";
}

std::string_view to_string(challenge_event e) noexcept {
    switch (e) {
        case challenge_event::start: return "start";
        case challenge_event::verify: return "verify";
        case challenge_event::fail_identity_mismatch: return "fail_identity_mismatch";
        case challenge_event::fail_authentication: return "fail_authentication";
        case challenge_event::report_incident: return "report_incident";
        case challenge_event::cancel: return "cancel";
        case challenge_event::expire: return "expire";
    }
    return "unknown";
}

namespace {
template <class Enum, std::size_t N>
std::optional<Enum> parse_enum(std::string_view text, const std::array<Enum, N>& all) noexcept {
    for (Enum e : all) {
        if (to_string(e) == text) return e;
    }
    return std::nullopt;
}
}  // namespace

std::optional<challenge_status> parse_challenge_status(std::string_view text) noexcept {
    return parse_enum(text, std::array{initiated, in_progress, verified, failed, expired});
}

std::optional<failure_reason> parse_failure_reason(std::string_view text) noexcept {
    using enum failure_reason;
    return parse_enum(text, std::array{identity_mismatch, authentication_failed, incident_reported, canceled});
}

std::optional<challenge_origin> parse_challenge_origin(std::string_view text) noexcept {
    using enum challenge_origin;
    return parse_enum(text, std::array{webhook_api, slack_command, slack_api, console, mcp});
}

bool is_terminal(challenge_status s) noexcept {
    return s == verified || s == failed || s == expired;
}

challenge_status observed_status(const challenge& c, timestamp now) noexcept {
    if (!is_terminal(c.status) && now >= c.expires_at && !c.authenticated_at) return expired;
    return c.status;
}

const transition_rule& rule_for(challenge_event e) noexcept {
    return *std::find_if(rules.begin(), rules.end(), [e](const transition_rule& r) { return r.event == e; });
}

result<challenge> apply(const challenge& c, challenge_event e, timestamp now) {
    const transition_rule& rule = rule_for(e);
    if (is_terminal(c.status)) return errc::challenge_already_finished;
    if (rule.refused_once_login_proven && c.authenticated_at) return errc::login_already_proven;
    const bool past_expiry = now >= c.expires_at;
    if (rule.requires_unexpired && past_expiry) return errc::challenge_expired;
    if (!rule.requires_unexpired && !past_expiry) return errc::invalid_transition;
    if (std::find(rule.from.begin(), rule.from.end(), c.status) == rule.from.end())
        return errc::invalid_transition;
    challenge next = c;
    next.status = rule.to;
    next.failure = rule.reason;
    if (e == challenge_event::start) {
        next.started_at = now;
    } else {
        // An expired challenge ended at its deadline, whenever the sweeper noticed.
        next.completed_at = e == challenge_event::expire ? c.expires_at : now;
    }
    return next;
}

bool sends_callbacks(challenge_origin o) noexcept {
    return o != challenge_origin::slack_command;
}

bool reports_in_slack(challenge_origin o) noexcept {
    return o == challenge_origin::slack_command || o == challenge_origin::slack_api;
}

}  // namespace chal::core
