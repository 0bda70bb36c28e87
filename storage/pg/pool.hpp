// A fixed-size pool of PostgreSQL connections and the transactions run on them (style guide
// B.9.7-8). One io_context on one thread: no locks, so use a pool only from that thread.
#pragma once

#include "storage/pg/connection.hpp"
#include "storage/pg/params.hpp"
#include "storage/pg/query.hpp"
#include "storage/pg/result.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace chal::pg {

namespace detail {
class pool_state;
}

struct pool_config {
    std::string conninfo;  // libpq connection string or URI
    std::size_t size = 8;  // most connections open at once
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds query_timeout{10000};     // client-side, per statement
    std::chrono::milliseconds acquire_timeout{5000};    // waiting for a free connection
    std::chrono::milliseconds statement_timeout{8000};  // server-side; 0 disables
};

struct pool_stats {
    std::size_t size = 0;     // configured maximum
    std::size_t open = 0;     // idle + in_use
    std::size_t idle = 0;     // connected, waiting to be used
    std::size_t in_use = 0;   // lent out, connecting, or rolling back an abandoned transaction
    std::size_t waiting = 0;  // callers queued for a connection
};

enum class isolation { read_committed, repeatable_read, serializable };

// A transaction on one pooled connection, from pool::begin(). Move-only. Finish it with
// commit() or rollback(); one destroyed unfinished is rolled back by the pool before the
// connection is reused (a destructor cannot co_await). A failed statement leaves the
// transaction aborted: later statements fail and commit() throws; let it go or roll back.
class transaction {
public:
    transaction(transaction&& other) noexcept;
    transaction& operator=(transaction&& other) noexcept;
    ~transaction();

    // As pool::execute, on this transaction's connection.
    boost::asio::awaitable<result> execute(const query& q, const params& p = {});
    boost::asio::awaitable<result> execute_unprepared(std::string_view sql, const char* tag = "unprepared");
    // Throws the server's error if COMMIT fails (e.g. serialization_failure), and pg::error with
    // SQLSTATE 25P02 if an earlier failure had aborted the transaction (COMMIT then rolls back).
    // Either way the transaction is over and its connection goes back to the pool.
    boost::asio::awaitable<void> commit();
    boost::asio::awaitable<void> rollback();
    // False after commit(), rollback() or a move.
    bool is_open() const noexcept { return conn_.has_value(); }
    int backend_pid() const noexcept;

private:
    friend class pool;
    transaction(std::shared_ptr<detail::pool_state> state, connection conn);
    connection& open_connection();  // std::logic_error once finished
    void give_back() noexcept;

    std::shared_ptr<detail::pool_state> state_;
    std::optional<connection> conn_;
};

// Connections open lazily on demand, up to `size`. A connection is dropped after a timeout or
// an error that breaks it, and after the server closed it while idle (found on the next
// acquire); its slot then reconnects on the next demand, so the pool recovers by itself after
// pg_terminate_backend or a server restart. While the server is down, calls fail with
// connection_error. Waiting for a free connection is FIFO and limited by acquire_timeout
// (timeout_error).
//
// Coroutines taking `const query&` / `const params&` / `std::string_view` must be co_awaited
// directly (their arguments must outlive them).
class pool {
public:
    pool(boost::asio::any_io_executor executor, pool_config config, log_function log);
    ~pool();  // close(); in-flight operations keep the shared state alive until they finish
    pool(const pool&) = delete;
    pool& operator=(const pool&) = delete;

    // Acquire, run `q` as a prepared statement (prepared once per connection), release.
    boost::asio::awaitable<result> execute(const query& q, const params& p = {});
    // `q` run once with parameters, not kept prepared: for rarely run statements.
    boost::asio::awaitable<result> execute_unprepared(const query& q, const params& p);
    // SQL text with the simple protocol: migrations and multi-statement scripts, no parameters.
    // `tag` (a string literal) names it in logs and errors.
    boost::asio::awaitable<result> execute_unprepared(std::string_view sql, const char* tag = "unprepared");
    // BEGIN (with the given isolation level) on a pooled connection.
    boost::asio::awaitable<transaction> begin(isolation level = isolation::read_committed);
    // SELECT 1 within `limit` (acquire included); false on any failure. For health checks.
    boost::asio::awaitable<bool> ping(std::chrono::milliseconds limit = std::chrono::milliseconds{1000});
    // Stops lending connections: idle ones close now, lent ones when they come back, waiters and
    // later callers get connection_error. For shutdown.
    void close();

    pool_stats stats() const noexcept;

private:
    std::shared_ptr<detail::pool_state> state_;
};

}  // namespace chal::pg
