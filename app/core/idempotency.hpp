// Idempotency-Key semantics for POST (Stripe's, which integrators know): same key and same
// body replay the first answer for 24 h; another body is refused; a twin still running is a
// conflict.
#pragma once

#include "app/core/time.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace chal::core {

inline constexpr std::chrono::hours idempotency_retention{24};
inline constexpr std::size_t max_idempotency_key_length = 255;
// How long a claimed key may stay "in progress" before a retry may take it over (the first
// request's process died between claiming the key and answering).
inline constexpr std::chrono::seconds idempotency_claim_lease{60};

bool is_valid_idempotency_key(std::string_view key) noexcept;

// What the store holds for a key.
struct idempotency_record {
    std::string request_fingerprint;  // hash of method, path and body
    bool completed = false;
    timestamp created_at{};
    timestamp claimed_until{};
    std::optional<unsigned> response_status;
    std::optional<std::string> response_body;
};

enum class idempotency_verdict {
    proceed,      // no usable record: run the request
    replay,       // return the stored response
    mismatch,     // same key, different request: 422
    in_progress,  // same request still running elsewhere: 409
};

idempotency_verdict judge_idempotent_retry(
    const std::optional<idempotency_record>& existing, std::string_view request_fingerprint, timestamp now
) noexcept;

}  // namespace chal::core
