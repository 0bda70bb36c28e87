#include "storage/tenant_store.hpp"

namespace chal::storage {
namespace {

constexpr pg::query insert_tenant{"insert_tenant", R"sql(
    INSERT INTO tenants (id, name, default_expiry_minutes) VALUES ($1, $2, $3))sql"};

constexpr pg::query select_tenant{"select_tenant", R"sql(
    SELECT id, name, default_expiry_minutes FROM tenants WHERE id = $1)sql"};

constexpr pg::query select_tenants{"select_tenants", R"sql(
    SELECT id, name, default_expiry_minutes FROM tenants ORDER BY created_at, id)sql"};

constexpr pg::query update_tenant_expiry{"update_tenant_expiry", R"sql(
    UPDATE tenants SET default_expiry_minutes = $2 WHERE id = $1)sql"};

constexpr pg::query insert_integration{"insert_integration", R"sql(
    INSERT INTO integrations (id, tenant_id, kind, display_name, callback_url, webhook_secret_sealed)
    VALUES ($1, $2, $3, $4, $5, $6))sql"};

constexpr pg::query select_integration{"select_integration", R"sql(
    SELECT id, tenant_id, kind, display_name, callback_url, webhook_secret_sealed
    FROM integrations WHERE id = $1)sql"};

constexpr pg::query insert_api_key{"insert_api_key", R"sql(
    INSERT INTO api_keys (key_hash, key_prefix, integration_id, tenant_id)
    SELECT $1, $2, id, tenant_id FROM integrations WHERE id = $3)sql"};

constexpr pg::query revoke_api_keys{"revoke_api_keys", R"sql(
    UPDATE api_keys SET revoked_at = $2 WHERE integration_id = $1 AND revoked_at IS NULL)sql"};

constexpr pg::query select_principal{"select_principal", R"sql(
    SELECT k.tenant_id, k.integration_id, i.kind, t.default_expiry_minutes
    FROM api_keys k
    JOIN integrations i ON i.id = k.integration_id
    JOIN tenants t ON t.id = k.tenant_id
    WHERE k.key_hash = $1 AND k.revoked_at IS NULL)sql"};

tenant_record tenant_from(const pg::row& r) {
    return {r.get<std::string>(0), r.get<std::string>(1), r.get<int>(2)};
}

integration_record integration_from(const pg::row& r) {
    return {
        r.get<std::string>(0),
        r.get<std::string>(1),
        r.get<std::string>(2),
        r.get<std::string>(3),
        r.get<std::optional<std::string>>(4),
        r.is_null(5) ? std::nullopt : std::optional<std::string>(r.get_bytea(5)),
    };
}

}  // namespace

boost::asio::awaitable<void> tenant_store::create_tenant(tenant_record tenant) {
    co_await db_.execute(insert_tenant, pg::params{}.add(tenant.id).add(tenant.name).add(tenant.default_expiry_minutes));
}

boost::asio::awaitable<std::optional<tenant_record>> tenant_store::find_tenant(std::string id) {
    auto rows = co_await db_.execute(select_tenant, pg::params{}.add(id));
    if (rows.size() == 0) co_return std::nullopt;
    co_return tenant_from(rows[0]);
}

boost::asio::awaitable<std::vector<tenant_record>> tenant_store::list_tenants() {
    std::vector<tenant_record> out;
    for (const auto& row : co_await db_.execute(select_tenants)) out.push_back(tenant_from(row));
    co_return out;
}

boost::asio::awaitable<bool> tenant_store::set_default_expiry(std::string tenant_id, int minutes) {
    auto done = co_await db_.execute(update_tenant_expiry, pg::params{}.add(tenant_id).add(minutes));
    co_return done.affected_rows() == 1;
}

boost::asio::awaitable<void> tenant_store::create_integration(integration_record integration, new_api_key key) {
    auto tx = co_await db_.begin();
    pg::params integration_params;
    integration_params.add(integration.id)
        .add(integration.tenant_id)
        .add(integration.kind)
        .add(integration.display_name)
        .add(integration.callback_url);
    if (integration.webhook_secret_sealed) {
        integration_params.add_bytea(*integration.webhook_secret_sealed);
    } else {
        integration_params.add_null();
    }
    co_await tx.execute(insert_integration, integration_params);
    pg::params key_params;
    key_params.add_bytea(key.key_hash).add(key.key_prefix).add(integration.id);
    co_await tx.execute(insert_api_key, key_params);
    co_await tx.commit();
}

boost::asio::awaitable<std::optional<integration_record>> tenant_store::find_integration(std::string id) {
    auto rows = co_await db_.execute(select_integration, pg::params{}.add(id));
    if (rows.size() == 0) co_return std::nullopt;
    co_return integration_from(rows[0]);
}

boost::asio::awaitable<bool> tenant_store::replace_api_key(
    std::string integration_id, new_api_key key, core::timestamp now
) {
    auto tx = co_await db_.begin();
    co_await tx.execute(revoke_api_keys, pg::params{}.add(integration_id).add(now));
    pg::params key_params;
    key_params.add_bytea(key.key_hash).add(key.key_prefix).add(integration_id);
    auto inserted = co_await tx.execute(insert_api_key, key_params);
    if (inserted.affected_rows() != 1) co_return false;  // rolled back by the pool
    co_await tx.commit();
    co_return true;
}

boost::asio::awaitable<std::optional<api_key_principal>> tenant_store::authenticate(std::string key_hash) {
    pg::params p;
    p.add_bytea(key_hash);
    auto rows = co_await db_.execute(select_principal, p);
    if (rows.size() == 0) co_return std::nullopt;
    co_return api_key_principal{
        rows[0].get<std::string>(0), rows[0].get<std::string>(1), rows[0].get<std::string>(2), rows[0].get<int>(3),
        std::move(key_hash)};
}

}  // namespace chal::storage
