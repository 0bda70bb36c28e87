// A small, valid challenge for core tests.
#pragma once

#include "app/core/challenge.hpp"

namespace chal::testing_data {

inline core::timestamp at(long long seconds) {
    return core::timestamp{std::chrono::seconds{seconds}};
}

inline core::challenge sample_challenge(core::challenge_status status = core::challenge_status::initiated) {
    core::challenge c;
    c.id = "0190a8e5-0000-7000-8000-000000000001";
    c.tenant_id = "tenant-1";
    c.integration_id = "integration-1";
    c.status = status;
    c.target_user_id = "user123";
    c.requester_id = "webhook";
    c.created_at = at(1'764'590'400);  // 2025-12-01T12:00:00Z
    c.expires_at = c.created_at + std::chrono::minutes{15};
    return c;
}

}  // namespace chal::testing_data
