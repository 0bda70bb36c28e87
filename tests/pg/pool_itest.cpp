// pg::pool against a real PostgreSQL: transactions, timeouts, broken connections, exhaustion,
// concurrency. No sleeps: waits end on conditions (pg_terminate_backend waits for the exit).
#include "storage/pg/error.hpp"
#include "storage/pg/pool.hpp"
#include "tests/pg/pg_test_fixture.hpp"

#include <boost/asio/co_spawn.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace chal::pg {
namespace {

namespace asio = boost::asio;
using namespace std::chrono;

constexpr query insert_item{"insert_item", "INSERT INTO chal_pg_itest.items (name) VALUES ($1)"};
constexpr query count_items{"count_items", "SELECT count(*) FROM chal_pg_itest.items"};
constexpr query backend_pid{"backend_pid", "SELECT pg_backend_pid()"};
constexpr query sleep_for{"sleep_for", "SELECT pg_sleep($1::float8)"};
constexpr query echo_after_a_moment{"echo_after_a_moment", "SELECT $1::int FROM pg_sleep(0.01)"};
// True inside a transaction that has written something; a fresh implicit transaction has no id.
constexpr query holds_a_transaction_id{
    "holds_a_transaction_id", "SELECT pg_current_xact_id_if_assigned() IS NOT NULL"};
constexpr query one{"one", "SELECT 1"};

class pool_itest : public pg_test {
protected:
    pool make_pool(pool_config config) { return pool{io.get_executor(), std::move(config), capture_log()}; }
    pool make_pool(std::size_t size) { return make_pool(pool_settings(size)); }

    std::int64_t count(pool& p) { return run(p.execute(count_items))[0].get<std::int64_t>(0); }
    int pid_of(pool& p) { return run(p.execute(backend_pid))[0].get<int>(0); }
};

TEST_F(pool_itest, runs_a_query_and_returns_the_connection) {
    pool p = make_pool(2);
    EXPECT_EQ(run(p.execute(one))[0].get<int>(0), 1);
    const pool_stats stats = p.stats();
    EXPECT_EQ(stats.size, 2u);
    EXPECT_EQ(stats.open, 1u);
    EXPECT_EQ(stats.idle, 1u);
    EXPECT_EQ(stats.in_use, 0u);
    EXPECT_EQ(stats.waiting, 0u);
}

TEST_F(pool_itest, committed_transactions_are_visible) {
    pool p = make_pool(2);
    transaction tx = run(p.begin());
    run(tx.execute(insert_item, params{}.add("committed")));
    EXPECT_TRUE(run(tx.execute(holds_a_transaction_id))[0].get<bool>(0));
    run(tx.commit());
    EXPECT_FALSE(tx.is_open());
    EXPECT_EQ(count(p), 1);
}

TEST_F(pool_itest, a_transaction_dropped_uncommitted_is_rolled_back_before_reuse) {
    pool p = make_pool(1);
    int pid = 0;
    {
        transaction tx = run(p.begin(isolation::serializable));
        pid = tx.backend_pid();
        run(tx.execute(insert_item, params{}.add("abandoned")));
    }
    // The same (only) connection, idle again: the row is gone and a new BEGIN is clean.
    EXPECT_EQ(pid_of(p), pid);
    EXPECT_EQ(count(p), 0);
    EXPECT_FALSE(run(p.execute(holds_a_transaction_id))[0].get<bool>(0));
    transaction next = run(p.begin());
    EXPECT_EQ(next.backend_pid(), pid);
    run(next.rollback());
    EXPECT_FALSE(logged(log_level::warn, "already a transaction in progress"));
    EXPECT_EQ(p.stats().in_use, 0u);
}

TEST_F(pool_itest, a_failed_transaction_cannot_commit_and_its_connection_is_reused) {
    pool p = make_pool(1);
    const int pid = pid_of(p);
    transaction tx = run(p.begin());
    run(tx.execute(insert_item, params{}.add("twice")));
    EXPECT_THROW(run(tx.execute(insert_item, params{}.add("twice"))), unique_violation);
    try {
        run(tx.commit());
        FAIL() << "commit of an aborted transaction succeeded";
    } catch (const error& e) {
        EXPECT_EQ(e.sqlstate(), "25P02");
    }
    EXPECT_FALSE(tx.is_open());
    EXPECT_EQ(count(p), 0);
    EXPECT_EQ(pid_of(p), pid);
}

TEST_F(pool_itest, a_query_timeout_discards_the_connection_and_the_pool_recovers) {
    pool_config config = pool_settings(1);
    config.query_timeout = milliseconds{200};
    config.statement_timeout = milliseconds{0};
    pool p = make_pool(std::move(config));
    const int pid = pid_of(p);
    EXPECT_THROW(run(p.execute(sleep_for, params{}.add("3"))), timeout_error);
    EXPECT_EQ(p.stats().open, 0u);
    const int fresh = pid_of(p);
    EXPECT_NE(fresh, pid);
    EXPECT_EQ(p.stats().open, 1u);
}

TEST_F(pool_itest, statement_timeout_raises_query_canceled_and_keeps_the_connection) {
    pool_config config = pool_settings(1);
    config.statement_timeout = milliseconds{100};
    pool p = make_pool(std::move(config));
    const int pid = pid_of(p);
    EXPECT_THROW(run(p.execute(sleep_for, params{}.add("5"))), query_canceled);
    EXPECT_EQ(pid_of(p), pid);
}

TEST_F(pool_itest, recovers_after_its_connection_is_terminated) {
    pool p = make_pool(1);
    const int pid = pid_of(p);
    terminate_backend(pid);
    // Either the pool notices on acquire and reconnects, or this one query fails.
    try {
        EXPECT_EQ(run(p.execute(one))[0].get<int>(0), 1);
    } catch (const connection_error&) {
    }
    const int fresh = pid_of(p);
    EXPECT_NE(fresh, pid);
    EXPECT_EQ(p.stats().open, 1u);
}

TEST_F(pool_itest, a_transaction_whose_connection_dies_fails_and_the_pool_recovers) {
    pool p = make_pool(1);
    {
        transaction tx = run(p.begin());
        terminate_backend(tx.backend_pid());
        EXPECT_THROW(run(tx.execute(one)), connection_error);
        EXPECT_THROW(run(tx.commit()), connection_error);
    }
    EXPECT_EQ(p.stats().open, 0u);
    EXPECT_EQ(run(p.execute(one))[0].get<int>(0), 1);
    EXPECT_EQ(p.stats().in_use, 0u);
}

TEST_F(pool_itest, waiting_for_a_connection_times_out_when_the_pool_is_exhausted) {
    pool_config config = pool_settings(1);
    config.acquire_timeout = milliseconds{150};
    pool p = make_pool(std::move(config));
    transaction holder = run(p.begin());
    const auto started = steady_clock::now();
    try {
        run(p.execute(one));
        FAIL() << "acquired from an exhausted pool";
    } catch (const timeout_error& e) {
        EXPECT_FALSE(e.breaks_connection());
    }
    EXPECT_GE(steady_clock::now() - started, milliseconds{150});
    EXPECT_EQ(p.stats().waiting, 0u);
    run(holder.commit());
    EXPECT_EQ(run(p.execute(one))[0].get<int>(0), 1);
}

// Shared by the concurrent tasks below; they are spawned, so they take it by value.
struct concurrency_record {
    std::set<int> echoed;
    std::set<int> backends;
    std::size_t most_in_use = 0;
    std::size_t most_waiting = 0;
    std::vector<std::string> failures;
};

asio::awaitable<void> echo_task(
    std::shared_ptr<pool> p, std::shared_ptr<concurrency_record> record, int value
) {
    const pool_stats before = p->stats();
    record->most_waiting = std::max(record->most_waiting, before.waiting);
    const result r = co_await p->execute(echo_after_a_moment, params{}.add(value));
    record->echoed.insert(r[0].get<int>(0));
    record->most_in_use = std::max(record->most_in_use, p->stats().in_use);
}

TEST_F(pool_itest, fifty_concurrent_queries_share_four_connections) {
    pool_config config = pool_settings(4);
    config.acquire_timeout = seconds{30};
    auto p = std::make_shared<pool>(io.get_executor(), std::move(config), capture_log());
    auto record = std::make_shared<concurrency_record>();
    for (int i = 0; i < 50; ++i) {
        auto on_done = [record](std::exception_ptr failure) {
            if (failure) {
                try {
                    std::rethrow_exception(failure);
                } catch (const std::exception& e) {
                    record->failures.emplace_back(e.what());
                }
            }
        };
        asio::co_spawn(io, echo_task(p, record, i), on_done);
    }
    ASSERT_TRUE(testing::run_until_idle(io, seconds{30}));
    EXPECT_TRUE(record->failures.empty()) << record->failures.front();
    EXPECT_EQ(record->echoed.size(), 50u);
    EXPECT_LE(record->most_in_use, 4u);
    EXPECT_GT(record->most_waiting, 0u);
    const pool_stats after = p->stats();
    EXPECT_LE(after.open, 4u);
    EXPECT_EQ(after.in_use, 0u);
    EXPECT_EQ(after.waiting, 0u);
}

TEST_F(pool_itest, ping_reports_health) {
    pool p = make_pool(1);
    EXPECT_TRUE(run(p.ping()));
    pool_config nowhere = pool_settings(1);
    nowhere.conninfo = "host=127.0.0.1 port=1 dbname=nowhere";
    pool dead = make_pool(std::move(nowhere));
    EXPECT_FALSE(run(dead.ping()));
}

TEST_F(pool_itest, fails_with_connection_error_while_the_server_is_unreachable) {
    pool_config nowhere = pool_settings(2);
    nowhere.conninfo = "host=127.0.0.1 port=1 dbname=nowhere";
    pool p = make_pool(std::move(nowhere));
    for (int attempt = 0; attempt < 3; ++attempt) {
        EXPECT_THROW(run(p.execute(one)), connection_error);
    }
    EXPECT_EQ(p.stats().open, 0u);
}

TEST_F(pool_itest, a_closed_pool_refuses_work) {
    pool p = make_pool(1);
    run(p.execute(one));
    p.close();
    EXPECT_EQ(p.stats().idle, 0u);
    EXPECT_THROW(run(p.execute(one)), connection_error);
}

// Needs a way to restart the server: CHAL_TEST_PG_RESTART_COMMAND, e.g.
// "runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl restart -w -m fast -D /tmp/chal-dev-test-db".
TEST_F(pool_itest, survives_a_server_restart) {
    const char* restart = std::getenv("CHAL_TEST_PG_RESTART_COMMAND");
    if (restart == nullptr || *restart == '\0') {
        GTEST_SKIP() << "set CHAL_TEST_PG_RESTART_COMMAND to run this test";
    }
    pool p = make_pool(2);
    const int pid = pid_of(p);
    ASSERT_EQ(std::system(restart), 0) << restart;
    try {
        run(p.execute(one));
    } catch (const connection_error&) {
    }
    EXPECT_NE(pid_of(p), pid);
    EXPECT_TRUE(run(p.ping()));
}

}  // namespace
}  // namespace chal::pg
