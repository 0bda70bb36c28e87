#include "storage/console_sso_store.hpp"

#include "storage/admin_audit.hpp"

namespace chal::storage {
namespace {

constexpr pg::query select_console_sso{"select_console_sso_settings", R"sql(
    SELECT tenant_id, issuer, client_id, client_secret_sealed, client_secret_fingerprint, just_in_time_viewers,
           updated_by, updated_at
    FROM console_sso_settings WHERE tenant_id = $1)sql"};

constexpr pg::query upsert_console_sso{"upsert_console_sso_settings", R"sql(
    INSERT INTO console_sso_settings (tenant_id, issuer, client_id, client_secret_sealed, client_secret_fingerprint,
                                      just_in_time_viewers, updated_by, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
    ON CONFLICT (tenant_id) DO UPDATE
    SET issuer = EXCLUDED.issuer, client_id = EXCLUDED.client_id, client_secret_sealed = EXCLUDED.client_secret_sealed,
        client_secret_fingerprint = EXCLUDED.client_secret_fingerprint,
        just_in_time_viewers = EXCLUDED.just_in_time_viewers, updated_by = EXCLUDED.updated_by,
        updated_at = EXCLUDED.updated_at)sql"};

constexpr pg::query delete_console_sso{"delete_console_sso_settings", R"sql(
    DELETE FROM console_sso_settings WHERE tenant_id = $1)sql"};

constexpr pg::query select_sso_tenants_of_email{"select_sso_tenants_of_email", R"sql(
    SELECT t.id, t.name FROM console_users u
    JOIN memberships m ON m.user_id = u.id
    JOIN console_sso_settings s ON s.tenant_id = m.tenant_id
    JOIN tenants t ON t.id = m.tenant_id
    WHERE lower(u.email) = lower($1) ORDER BY t.name, t.id LIMIT 50)sql"};

constexpr pg::query select_sso_tenant{"select_sso_tenant", R"sql(
    SELECT t.id, t.name FROM console_sso_settings s JOIN tenants t ON t.id = s.tenant_id WHERE s.tenant_id = $1)sql"};

constexpr pg::query forget_old_login_flows{"forget_old_console_login_flows", R"sql(
    DELETE FROM console_login_flows WHERE expires_at < $1::timestamptz - interval '1 day')sql"};

constexpr pg::query insert_login_flow{"insert_console_login_flow", R"sql(
    INSERT INTO console_login_flows (id, browser_hash, tenant_id, issuer, client_id, purpose, step_up_user_id,
                                     step_up_session_hash, return_to, created_at, expires_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11))sql"};

// Spent by the first answer, from any browser: a refused answer cannot be presented again.
constexpr pg::query spend_login_flow{"spend_console_login_flow", R"sql(
    UPDATE console_login_flows SET used_at = $3 WHERE id = $1 AND used_at IS NULL
    RETURNING tenant_id, issuer, client_id, purpose, step_up_user_id, step_up_session_hash, return_to, created_at,
              expires_at, browser_hash = $2)sql"};

constexpr pg::query login_flow_exists{"console_login_flow_exists", R"sql(
    SELECT 1 FROM console_login_flows WHERE id = $1)sql"};

console_sso_record settings_from(const pg::row& r) {
    return {r.get<std::string>(0), r.get<std::string>(1),    r.get<std::string>(2), r.get_bytea(3),
            r.get<std::string>(4), r.get<bool>(5),           r.get<std::string>(6), r.get<core::timestamp>(7)};
}

}  // namespace

std::string console_sso_secret_context(std::string_view tenant_id) {
    return "console_sso:" + std::string(tenant_id) + ":client_secret";
}

boost::asio::awaitable<std::optional<console_sso_record>> console_sso_store::settings(std::string tenant_id) {
    auto rows = co_await db_.execute(select_console_sso, pg::params{}.add(tenant_id));
    if (rows.size() == 0) co_return std::nullopt;
    co_return settings_from(rows[0]);
}

boost::asio::awaitable<void> console_sso_store::save_settings(
    console_sso_record s, admin_audit_event event, request_origin origin
) {
    auto tx = co_await db_.begin();
    pg::params p;
    p.add(s.tenant_id).add(s.issuer).add(s.client_id);
    p.add_bytea(s.client_secret_sealed);
    p.add(s.client_secret_fingerprint).add(s.just_in_time_viewers).add(s.updated_by).add(s.updated_at);
    co_await tx.execute(upsert_console_sso, p);
    co_await tx.execute(insert_admin_audit_event, admin_audit_params(event, origin, s.updated_at));
    co_await tx.commit();
}

boost::asio::awaitable<bool> console_sso_store::clear_settings(
    std::string tenant_id, admin_audit_event event, request_origin origin, core::timestamp now
) {
    auto tx = co_await db_.begin();
    auto deleted = co_await tx.execute(delete_console_sso, pg::params{}.add(tenant_id));
    if (deleted.affected_rows() == 0) co_return false;  // the pool rolls back
    co_await tx.execute(insert_admin_audit_event, admin_audit_params(event, origin, now));
    co_await tx.commit();
    co_return true;
}

boost::asio::awaitable<std::vector<sso_tenant>> console_sso_store::tenants_of_email(std::string email) {
    std::vector<sso_tenant> out;
    for (const auto& row : co_await db_.execute(select_sso_tenants_of_email, pg::params{}.add(email)))
        out.push_back({row.get<std::string>(0), row.get<std::string>(1)});
    co_return out;
}

boost::asio::awaitable<std::optional<sso_tenant>> console_sso_store::sso_tenant_by_id(std::string tenant_id) {
    auto rows = co_await db_.execute(select_sso_tenant, pg::params{}.add(tenant_id));
    if (rows.size() == 0) co_return std::nullopt;
    co_return sso_tenant{rows[0].get<std::string>(0), rows[0].get<std::string>(1)};
}

boost::asio::awaitable<void> console_sso_store::insert_flow(console_login_flow f) {
    co_await db_.execute(forget_old_login_flows, pg::params{}.add(f.created_at));
    pg::params p;
    p.add(f.id);
    p.add_bytea(f.browser_hash);
    p.add(f.tenant_id).add(f.issuer).add(f.client_id).add(f.purpose).add(f.step_up_user_id);
    if (f.step_up_session_hash) p.add_bytea(*f.step_up_session_hash);
    else p.add_null();
    p.add(f.return_to).add(f.created_at).add(f.expires_at);
    co_await db_.execute(insert_login_flow, p);
}

boost::asio::awaitable<std::variant<console_login_flow, login_flow_refusal>> console_sso_store::consume_flow(
    std::string flow_id, std::string browser_hash, core::timestamp now
) {
    pg::params p;
    p.add(flow_id);
    p.add_bytea(browser_hash);
    p.add(now);
    auto rows = co_await db_.execute(spend_login_flow, p);
    if (rows.size() == 0) {
        auto known = co_await db_.execute(login_flow_exists, pg::params{}.add(flow_id));
        co_return known.size() == 0 ? login_flow_refusal::unknown : login_flow_refusal::used;
    }
    const auto& r = rows[0];
    if (!r.get<bool>(9)) co_return login_flow_refusal::other_browser;
    console_login_flow f{flow_id,
                         browser_hash,
                         r.get<std::string>(0),
                         r.get<std::string>(1),
                         r.get<std::string>(2),
                         r.get<std::string>(3),
                         r.get<std::optional<std::string>>(4),
                         r.get_optional_bytea(5),
                         r.get<std::string>(6),
                         r.get<core::timestamp>(7),
                         r.get<core::timestamp>(8)};
    if (now >= f.expires_at) co_return login_flow_refusal::expired;
    co_return f;
}

}  // namespace chal::storage
