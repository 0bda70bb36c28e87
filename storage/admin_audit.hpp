// The one statement that writes an admin action to the audit log, for the stores whose
// transactions must record what they did (console_store, console_sso_store).
#pragma once

#include "app/core/time.hpp"
#include "storage/console_store.hpp"
#include "storage/pg/params.hpp"
#include "storage/pg/query.hpp"

namespace chal::storage {

inline constexpr pg::query insert_admin_audit_event{"insert_admin_audit_event", R"sql(
    INSERT INTO audit_events (tenant_id, challenge_id, actor, action, status_before, status_after, at,
                              target_type, target_id, outcome, client_ip, user_agent, request_id, detail)
    VALUES ($1, NULL, $2, $3, NULL, NULL, $4, $5, $6, $7, $8, $9, $10, $11::jsonb))sql"};

pg::params admin_audit_params(const admin_audit_event& e, const request_origin& origin, core::timestamp now);

}  // namespace chal::storage
