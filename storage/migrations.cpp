#include "storage/migrations.hpp"

#include <set>

namespace chal::storage {
namespace {

// Any constant shared by every instance of this service works; this one spells "chal".
constexpr const char* lock_migrations = "SELECT pg_advisory_xact_lock(1667787116)";
constexpr const char* create_migrations_table = R"sql(
    CREATE TABLE IF NOT EXISTS schema_migrations (
        version    integer PRIMARY KEY,
        name       text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()))sql";

constexpr pg::query applied_versions{"applied_versions", "SELECT version FROM schema_migrations"};
constexpr pg::query record_migration{
    "record_migration", "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)"};

}  // namespace

boost::asio::awaitable<std::vector<std::string>> migrate(pg::pool& db) {
    // One transaction for the lot: DDL is transactional in PostgreSQL, so a failed migration
    // leaves the schema as it was, and the transaction-scoped lock cannot outlive a crash.
    auto tx = co_await db.begin();
    co_await tx.execute_unprepared(lock_migrations);
    co_await tx.execute_unprepared(create_migrations_table);
    std::set<int> applied;
    for (const auto& row : co_await tx.execute(applied_versions)) applied.insert(row.get<int>(0));
    std::vector<std::string> names;
    for (const auto& m : all_migrations()) {
        if (applied.contains(m.version)) continue;
        co_await tx.execute_unprepared(m.sql);
        co_await tx.execute(record_migration, pg::params{}.add(m.version).add(m.name));
        names.push_back(m.name);
    }
    co_await tx.commit();
    co_return names;
}

}  // namespace chal::storage
