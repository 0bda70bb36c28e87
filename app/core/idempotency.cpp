#include "app/core/idempotency.hpp"

#include <algorithm>

namespace chal::core {

bool is_valid_idempotency_key(std::string_view key) noexcept {
    if (key.empty() || key.size() > max_idempotency_key_length) return false;
    return std::all_of(key.begin(), key.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

idempotency_verdict judge_idempotent_retry(
    const std::optional<idempotency_record>& existing, std::string_view request_fingerprint, timestamp now
) noexcept {
    if (!existing || now >= existing->created_at + idempotency_retention) return idempotency_verdict::proceed;
    if (existing->request_fingerprint != request_fingerprint) return idempotency_verdict::mismatch;
    if (existing->completed) return idempotency_verdict::replay;
    if (now >= existing->claimed_until) return idempotency_verdict::proceed;
    return idempotency_verdict::in_progress;
}

}  // namespace chal::core
