#include "app/core/request_policy.hpp"

namespace chal::core {

result<void> check_request_policy(const request_subject& subject, const recent_requests& recent, const request_limits& limits) {
    if (!subject.requester_id.empty() && subject.requester_id == subject.target_id) return errc::cannot_challenge_self;
    if (subject.target_is_bot) return errc::cannot_challenge_bot;
    if (subject.target_deactivated) return errc::target_deactivated;
    if (limits.per_target > 0 && recent.to_target >= limits.per_target) return errc::target_rate_limited;
    if (!subject.requester_id.empty() && limits.per_requester > 0 && recent.by_requester >= limits.per_requester)
        return errc::requester_rate_limited;
    return {};
}

}  // namespace chal::core
