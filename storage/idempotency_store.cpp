#include "storage/idempotency_store.hpp"

namespace chal::storage {
namespace {

constexpr pg::query claim_idempotency_key{"claim_idempotency_key", R"sql(
    INSERT INTO idempotency_keys (api_key_hash, key, tenant_id, request_fingerprint, created_at, claimed_until)
    VALUES ($1, $2, $3, $4, $5, $6)
    ON CONFLICT (api_key_hash, key) DO NOTHING)sql"};

constexpr pg::query select_idempotency_key{"select_idempotency_key", R"sql(
    SELECT request_fingerprint, completed, created_at, claimed_until, response_status, response_body
    FROM idempotency_keys WHERE api_key_hash = $1 AND key = $2)sql"};

constexpr pg::query take_over_idempotency_key{"take_over_idempotency_key", R"sql(
    UPDATE idempotency_keys
    SET request_fingerprint = $5, created_at = $6, claimed_until = $7, completed = false,
        response_status = NULL, response_body = NULL
    WHERE api_key_hash = $1 AND key = $2 AND created_at = $3 AND claimed_until = $4)sql"};

constexpr pg::query abandon_idempotency_key{"abandon_idempotency_key", R"sql(
    DELETE FROM idempotency_keys
    WHERE api_key_hash = $1 AND key = $2 AND request_fingerprint = $3 AND NOT completed)sql"};

constexpr pg::query purge_idempotency_keys{"purge_idempotency_keys", R"sql(
    DELETE FROM idempotency_keys WHERE created_at < $1)sql"};

}  // namespace

boost::asio::awaitable<bool> idempotency_store::claim_new(
    idempotency_scope scope, std::string key, std::string fingerprint, core::timestamp now
) {
    auto done = co_await db_.execute(
        claim_idempotency_key,
        pg::params{}
            .add_bytea(scope.api_key_hash)
            .add(key)
            .add(scope.tenant_id)
            .add(fingerprint)
            .add(now)
            .add(now + core::idempotency_claim_lease)
    );
    co_return done.affected_rows() == 1;
}

boost::asio::awaitable<std::optional<core::idempotency_record>> idempotency_store::find(
    idempotency_scope scope, std::string key
) {
    auto rows = co_await db_.execute(select_idempotency_key, pg::params{}.add_bytea(scope.api_key_hash).add(key));
    if (rows.size() == 0) co_return std::nullopt;
    const auto r = rows[0];
    core::idempotency_record record;
    record.request_fingerprint = r.get<std::string>(0);
    record.completed = r.get<bool>(1);
    record.created_at = r.get<core::timestamp>(2);
    record.claimed_until = r.get<core::timestamp>(3);
    if (auto status = r.get<std::optional<std::int64_t>>(4)) record.response_status = static_cast<unsigned>(*status);
    record.response_body = r.get<std::optional<std::string>>(5);
    co_return record;
}

boost::asio::awaitable<bool> idempotency_store::take_over(
    idempotency_scope scope, std::string key, core::idempotency_record seen, std::string fingerprint, core::timestamp now
) {
    auto done = co_await db_.execute(
        take_over_idempotency_key,
        pg::params{}
            .add_bytea(scope.api_key_hash)
            .add(key)
            .add(seen.created_at)
            .add(seen.claimed_until)
            .add(fingerprint)
            .add(now)
            .add(now + core::idempotency_claim_lease)
    );
    co_return done.affected_rows() == 1;
}

boost::asio::awaitable<void> idempotency_store::abandon(idempotency_scope scope, std::string key, std::string fingerprint) {
    co_await db_.execute(abandon_idempotency_key, pg::params{}.add_bytea(scope.api_key_hash).add(key).add(fingerprint));
}

boost::asio::awaitable<std::int64_t> idempotency_store::purge_expired(core::timestamp now) {
    auto done = co_await db_.execute(purge_idempotency_keys, pg::params{}.add(now - core::idempotency_retention));
    co_return done.affected_rows();
}

}  // namespace chal::storage
