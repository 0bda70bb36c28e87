// One PostgreSQL connection driven from Asio coroutines (style guide B.9): non-blocking libpq
// on the event loop, blocking libpq calls (connect steps, PQfinish) on a separate executor.
#pragma once

#include "storage/pg/params.hpp"
#include "storage/pg/query.hpp"
#include "storage/pg/result.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace chal::pg {

namespace log_level {
inline constexpr int debug = 0;
inline constexpr int info = 1;
inline constexpr int warn = 2;
inline constexpr int error = 3;
}  // namespace log_level

// How pg reports events (connects, dropped connections, server notices). May be empty.
using log_function = std::function<void(int level, std::string_view message)>;

struct connection_config {
    // libpq connection string or URI. Its password never appears in logs or errors.
    std::string conninfo;
    std::chrono::milliseconds connect_timeout{5000};
    // Client-side limit on each execute, from sending to the last result.
    std::chrono::milliseconds query_timeout{10000};
    // Sent as the server's statement_timeout; 0 disables it.
    std::chrono::milliseconds statement_timeout{8000};
    // Runs libpq's blocking calls (PQconnectStartParams, PQconnectPoll, PQfinish): a small
    // asio::thread_pool's executor. Must outlive the connection. Required.
    boost::asio::any_io_executor blocking;
    log_function log;
};

// PostgreSQL's view of the session, from PQtransactionStatus.
enum class session_state {
    idle,                   // no transaction open
    busy,                   // a command is in progress
    in_transaction,         // inside BEGIN ... ; usable
    in_failed_transaction,  // a statement failed; only ROLLBACK helps
    unknown,                // broken or closed
};

// Not thread-safe: use it from the one thread that runs its executor, one operation at a time
// (a second concurrent execute throws std::logic_error).
//
// Every session is opened with `-c statement_timeout=<config> -c TimeZone=UTC -c DateStyle=ISO
// -c bytea_output=hex` (appended to any `options` in conninfo) and client_encoding UTF8, which
// row::get relies on.
//
// Failures throw pg::error subclasses: the server's SQL errors as error / unique_violation /
// ..., connection loss as connection_error, a passed query_timeout as timeout_error. After a
// timeout, a cancelled operation, or any error that breaks_connection(), is_broken() is true
// and every later call throws connection_error: discard the object.
class connection {
public:
    // Connects on the calling coroutine's executor; throws connection_error on failure,
    // including when connect_timeout passes.
    static boost::asio::awaitable<connection> open(connection_config config);

    connection(connection&&) noexcept;
    connection& operator=(connection&&) noexcept;
    ~connection();  // hands PQfinish to the blocking executor

    // Runs a named statement, preparing it on this connection the first time the name is seen.
    // `q` and `p` must stay alive until the returned awaitable completes (co_await it directly).
    boost::asio::awaitable<result> execute(const query& q, const params& p = {});
    // Runs `q.text` once with parameters, without keeping a prepared statement.
    boost::asio::awaitable<result> execute_unprepared(const query& q, const params& p);
    // Runs SQL text with the simple protocol: several statements allowed, no parameters.
    // Returns the last statement's result; throws for the first failing statement. `tag` names
    // it in logs and errors and must outlive the call (a string literal).
    boost::asio::awaitable<result> execute_unprepared(std::string_view sql, const char* tag = "unprepared");

    bool is_broken() const noexcept;
    // Marks the connection broken so its owner drops it.
    void discard() noexcept;
    // Reads, without blocking, whatever the server sent while the connection was idle.
    // Returns false (and marks it broken) if the server has closed it, e.g. after
    // pg_terminate_backend or a server restart.
    bool check_alive() noexcept;
    session_state state() const noexcept;
    int backend_pid() const noexcept;
    // "host:port/dbname user=..." for logs; never contains the password.
    const std::string& target() const noexcept;

private:
    struct impl;
    explicit connection(std::unique_ptr<impl> state);

    std::unique_ptr<impl> impl_;
};

}  // namespace chal::pg
