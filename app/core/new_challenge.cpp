#include "app/core/new_challenge.hpp"

#include <algorithm>

namespace chal::core {
namespace {

std::optional<std::string> non_empty(const std::optional<std::string>& s) {
    if (s && !s->empty()) return s;
    return std::nullopt;
}

bool too_long(const std::optional<std::string>& s, std::size_t limit) {
    return s && s->size() > limit;
}

}  // namespace

bool is_valid_expiry_minutes(std::int64_t minutes) noexcept {
    return minutes >= min_expiry_minutes && minutes <= max_expiry_minutes;
}

bool is_acceptable_target_email(std::string_view text) noexcept {
    if (text.size() > 254) return false;
    return std::none_of(text.begin(), text.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7f;
    });
}

result<void> validate_callback_url(std::string_view text, const callback_url_policy& policy) {
    if (auto vetted = vet_outbound_url(text, policy); !vetted) return vetted.error();
    return {};
}

result<challenge> plan_challenge(
    const challenge_request& request,
    const challenge_origin_facts& origin,
    const callback_url_policy& url_policy,
    timestamp now
) {
    const auto target_id = non_empty(request.target_user_id);
    const auto target_email = non_empty(request.target_user_email);
    if (!target_id && !target_email) return errc::target_required;
    if (target_email && !is_acceptable_target_email(*target_email)) return errc::invalid_email;
    if (too_long(target_id, max_identifier_length) || too_long(request.requester_id, max_identifier_length) ||
        too_long(request.context, max_context_length) || too_long(request.callback_url, 2048))
        return errc::field_too_long;

    std::chrono::minutes lifetime = origin.tenant_expiry;
    if (request.expiry_minutes) {
        if (!is_valid_expiry_minutes(*request.expiry_minutes)) return errc::invalid_expiry;
        lifetime = std::chrono::minutes{*request.expiry_minutes};
    }

    const auto callback_url = non_empty(request.callback_url);
    if (callback_url) {
        if (auto valid = validate_callback_url(*callback_url, url_policy); !valid) return valid.error();
    }

    challenge c;
    c.id = origin.challenge_id;
    c.tenant_id = origin.tenant_id;
    c.integration_id = origin.integration_id;
    c.origin = origin.origin;
    c.status = challenge_status::initiated;
    c.target_user_id = target_id;
    c.target_user_email = target_email;
    c.context = non_empty(request.context);
    c.requester_id = non_empty(request.requester_id).value_or("webhook");
    c.callback_url = callback_url;
    c.created_at = now;
    c.expires_at = now + lifetime;
    return c;
}

}  // namespace chal::core
