// The challenge columns in the order challenge_from_row reads them, for the stores whose
// queries return whole challenges. A macro so queries stay compile-time string literals.
#pragma once

#define CHAL_CHALLENGE_COLUMNS                                                                           \
    "c.id, c.tenant_id, c.integration_id, c.origin, c.status, c.failure_reason, c.target_user_id, "     \
    "c.target_user_email, c.context, c.requester_id, c.callback_url, c.created_at, c.expires_at, "      \
    "c.started_at, c.completed_at, c.target_response, c.device_fingerprint::text, c.auth_method, "           \
    "c.verification_code, c.receipt, c.authenticated_at, c.login::text"

namespace chal::storage {
inline constexpr int challenge_column_count = 22;
}  // namespace chal::storage
