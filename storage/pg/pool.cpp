// The pool's state lives in one shared object so that leases, transactions and background
// rollbacks can outlive the `pool` handle safely (Boost.MySQL's connection_pool does the same).
#include "storage/pg/pool.hpp"

#include "storage/pg/error.hpp"
#include "storage/pg/timeout.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <deque>
#include <exception>
#include <stdexcept>
#include <utility>
#include <vector>

namespace chal::pg {

namespace asio = boost::asio;

namespace detail {

namespace {

// Threads for libpq's blocking calls. Connects are rare and each step is short (B.9.1).
constexpr int blocking_threads = 2;

constexpr query ping_query{"chal_pg_ping", "SELECT 1"};

}  // namespace

class lease;

class pool_state : public std::enable_shared_from_this<pool_state> {
public:
    pool_state(asio::any_io_executor executor, pool_config config, log_function log)
        : executor_{std::move(executor)}, config_{std::move(config)}, log_{std::move(log)} {
        if (config_.size == 0) {
            throw std::invalid_argument("pg: pool size must be at least 1");
        }
    }

    pool_state(const pool_state&) = delete;
    pool_state& operator=(const pool_state&) = delete;

    ~pool_state() {
        idle_.clear();     // queues PQfinish for each
        blocking_.join();  // runs them: join() waits for queued work when stop() was not called
    }

    asio::awaitable<lease> acquire();
    void release(connection c) noexcept;

    void close() noexcept {
        closed_ = true;
        idle_.clear();
        while (!waiters_.empty()) {
            waiter* w = waiters_.front();
            waiters_.pop_front();
            w->timer.cancel();
        }
    }

    pool_stats stats() const noexcept {
        return pool_stats{config_.size, idle_.size() + leased_, idle_.size(), leased_, waiters_.size()};
    }

    void log(int level, const std::string& message) const {
        if (log_) {
            log_(level, message);
        }
    }

private:
    // A caller queued for a connection. Whoever frees one hands it over directly (FIFO, no
    // barging), or grants the free slot to connect with, then cancels the timer to wake it.
    struct waiter {
        waiter(const asio::any_io_executor& executor, std::chrono::steady_clock::time_point deadline)
            : timer{executor, deadline} {}
        asio::steady_timer timer;
        std::optional<connection> handed_over;
        bool slot_granted = false;
    };

    // Removes a waiter from the queue however the coroutine leaves, and returns a grant that
    // arrived but was never used (the coroutine was destroyed or cancelled meanwhile).
    struct waiter_guard {
        pool_state& pool;
        waiter& w;
        ~waiter_guard() {
            auto found = std::find(pool.waiters_.begin(), pool.waiters_.end(), &w);
            if (found != pool.waiters_.end()) {
                pool.waiters_.erase(found);
            }
            if (w.handed_over) {
                connection unused = std::move(*w.handed_over);
                w.handed_over.reset();
                pool.release(std::move(unused));
            }
            if (w.slot_granted) {
                pool.free_slot();
            }
        }
    };

    asio::awaitable<lease> open_in_slot();
    void hand_over(connection c);
    void free_slot() noexcept;
    void roll_back_later(connection c);
    connection_config connection_config_for() {
        return connection_config{
            config_.conninfo,
            config_.connect_timeout,
            config_.query_timeout,
            config_.statement_timeout,
            blocking_.get_executor(),
            log_};
    }

    asio::thread_pool blocking_{blocking_threads};
    asio::any_io_executor executor_;
    pool_config config_;
    log_function log_;
    std::vector<connection> idle_;  // most recently used last: reused first, stays warm
    std::deque<waiter*> waiters_;
    std::size_t leased_ = 0;  // slots lent out, connecting or rolling back
    bool closed_ = false;
};

// A connection lent by the pool; goes back on destruction.
class lease {
public:
    lease(std::shared_ptr<pool_state> state, connection c) : state_{std::move(state)}, conn_{std::move(c)} {}
    lease(lease&& other) noexcept : state_{std::move(other.state_)}, conn_{std::move(other.conn_)} {
        other.conn_.reset();  // a moved-from optional stays engaged
    }
    lease& operator=(lease&&) = delete;
    ~lease() {
        if (conn_) {
            connection c = std::move(*conn_);
            conn_.reset();
            state_->release(std::move(c));
        }
    }
    connection& get() { return *conn_; }
    connection take() {
        connection c = std::move(*conn_);
        conn_.reset();
        return c;
    }

private:
    std::shared_ptr<pool_state> state_;  // declared first: outlives conn_
    std::optional<connection> conn_;
};

asio::awaitable<lease> pool_state::acquire() {
    auto self = shared_from_this();
    const auto deadline = std::chrono::steady_clock::now() + config_.acquire_timeout;
    for (;;) {
        if (closed_) {
            throw connection_error("pg pool is closed");
        }
        while (!idle_.empty()) {
            connection c = std::move(idle_.back());
            idle_.pop_back();
            if (c.check_alive()) {
                ++leased_;
                co_return lease{self, std::move(c)};
            }
            // check_alive logged why; the slot is free again.
        }
        if (idle_.size() + leased_ < config_.size) {
            ++leased_;
            co_return co_await open_in_slot();
        }
        waiter w{executor_, deadline};
        waiters_.push_back(&w);
        const waiter_guard guard{*this, w};
        auto [ec] = co_await w.timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (w.handed_over) {
            connection c = std::move(*w.handed_over);
            w.handed_over.reset();
            co_return lease{self, std::move(c)};
        }
        if (w.slot_granted) {
            w.slot_granted = false;
            co_return co_await open_in_slot();
        }
        if (closed_) {
            throw connection_error("pg pool is closed");
        }
        if (ec == asio::error::operation_aborted) {
            throw boost::system::system_error(ec, "pg pool acquire");  // the caller was cancelled
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            throw timeout_error(
                "pg pool acquire timed out after " + std::to_string(config_.acquire_timeout.count()) +
                    " ms size=" + std::to_string(config_.size) +
                    " waiting=" + std::to_string(waiters_.size()),
                false
            );
        }
    }
}

// Connects in a slot already counted in leased_; gives the slot back if that fails.
asio::awaitable<lease> pool_state::open_in_slot() {
    auto self = shared_from_this();
    bool opened = false;
    struct slot_guard {
        pool_state& pool;
        const bool& opened;
        ~slot_guard() {
            if (!opened) {
                pool.free_slot();
            }
        }
    } guard{*this, opened};
    connection c = co_await connection::open(connection_config_for());
    opened = true;
    co_return lease{self, std::move(c)};
}

void pool_state::hand_over(connection c) {
    if (!waiters_.empty()) {
        waiter* w = waiters_.front();
        waiters_.pop_front();
        w->handed_over.emplace(std::move(c));
        w->timer.cancel();
        return;
    }
    idle_.push_back(std::move(c));
    --leased_;
}

void pool_state::free_slot() noexcept {
    --leased_;
    if (!closed_ && !waiters_.empty() && idle_.size() + leased_ < config_.size) {
        waiter* w = waiters_.front();
        waiters_.pop_front();
        w->slot_granted = true;
        ++leased_;
        w->timer.cancel();
    }
}

asio::awaitable<void> roll_back_then_release(std::shared_ptr<pool_state> self, connection c) {
    try {
        co_await c.execute_unprepared("ROLLBACK", "rollback_abandoned");
    } catch (const std::exception& e) {
        self->log(
            log_level::warn, std::string{"pg pool rollback of an abandoned transaction failed: "} + e.what()
        );
        c.discard();
    }
    if (c.state() != session_state::idle) {
        c.discard();
    }
    self->release(std::move(c));
}

void pool_state::roll_back_later(connection c) {
    auto on_done = [self = shared_from_this()](std::exception_ptr failure) {
        if (failure) {
            try {
                std::rethrow_exception(failure);
            } catch (const std::exception& e) {
                self->log(log_level::error, std::string{"pg pool rollback task failed: "} + e.what());
            }
        }
    };
    asio::co_spawn(executor_, roll_back_then_release(shared_from_this(), std::move(c)), std::move(on_done));
}

void pool_state::release(connection c) noexcept {
    try {
        if (closed_) {
            --leased_;
            return;  // c closes on leaving scope
        }
        switch (c.state()) {
        case session_state::idle:
            hand_over(std::move(c));
            return;
        case session_state::in_transaction:
        case session_state::in_failed_transaction:
            // The slot stays lent until ROLLBACK is done (B.9.7).
            log(log_level::debug, "pg pool rolling back an abandoned transaction");
            roll_back_later(std::move(c));
            return;
        case session_state::busy:
        case session_state::unknown:
            break;
        }
        if (!c.is_broken()) {
            log(log_level::warn, "pg pool dropping a connection in an unknown state target=" + c.target());
        }
    } catch (const std::exception& e) {
        log(log_level::error, std::string{"pg pool could not take a connection back: "} + e.what());
    }
    free_slot();
}

}  // namespace detail

// ---- transaction ----

transaction::transaction(std::shared_ptr<detail::pool_state> state, connection conn)
    : state_{std::move(state)}, conn_{std::move(conn)} {}

transaction::transaction(transaction&& other) noexcept
    : state_{std::move(other.state_)}, conn_{std::move(other.conn_)} {
    other.conn_.reset();
}

transaction& transaction::operator=(transaction&& other) noexcept {
    if (this != &other) {
        give_back();
        state_ = std::move(other.state_);
        conn_ = std::move(other.conn_);
        other.conn_.reset();
    }
    return *this;
}

transaction::~transaction() {
    give_back();
}

void transaction::give_back() noexcept {
    if (conn_) {
        connection c = std::move(*conn_);
        conn_.reset();
        state_->release(std::move(c));
    }
}

connection& transaction::open_connection() {
    if (!conn_) {
        throw std::logic_error("pg: transaction already finished");
    }
    return *conn_;
}

int transaction::backend_pid() const noexcept {
    return conn_ ? conn_->backend_pid() : 0;
}

asio::awaitable<result> transaction::execute(const query& q, const params& p) {
    connection& c = open_connection();
    co_return co_await c.execute(q, p);
}

asio::awaitable<result> transaction::execute_unprepared(std::string_view sql, const char* tag) {
    connection& c = open_connection();
    co_return co_await c.execute_unprepared(sql, tag);
}

asio::awaitable<void> transaction::commit() {
    connection& c = open_connection();
    const result done = co_await c.execute_unprepared("COMMIT", "commit");
    give_back();
    // COMMIT of an aborted transaction succeeds with the tag ROLLBACK.
    if (done.command_tag() == "ROLLBACK") {
        throw error(
            "pg commit: the transaction had failed and was rolled back",
            error_fields{"25P02", "transaction was aborted; COMMIT rolled it back", {}, {}},
            false
        );
    }
}

asio::awaitable<void> transaction::rollback() {
    connection& c = open_connection();
    co_await c.execute_unprepared("ROLLBACK", "rollback");
    give_back();
}

// ---- pool ----

namespace {

const char* begin_statement(isolation level) {
    switch (level) {
    case isolation::repeatable_read:
        return "BEGIN ISOLATION LEVEL REPEATABLE READ";
    case isolation::serializable:
        return "BEGIN ISOLATION LEVEL SERIALIZABLE";
    case isolation::read_committed:
        break;
    }
    return "BEGIN";
}

asio::awaitable<void> ping_once(std::shared_ptr<detail::pool_state> state) {
    detail::lease l = co_await state->acquire();
    co_await l.get().execute(detail::ping_query);
}

}  // namespace

pool::pool(asio::any_io_executor executor, pool_config config, log_function log)
    : state_{std::make_shared<detail::pool_state>(std::move(executor), std::move(config), std::move(log))} {}

pool::~pool() {
    close();
}

asio::awaitable<result> pool::execute(const query& q, const params& p) {
    auto state = state_;
    detail::lease l = co_await state->acquire();
    co_return co_await l.get().execute(q, p);
}

asio::awaitable<result> pool::execute_unprepared(const query& q, const params& p) {
    auto state = state_;
    detail::lease l = co_await state->acquire();
    co_return co_await l.get().execute_unprepared(q, p);
}

asio::awaitable<result> pool::execute_unprepared(std::string_view sql, const char* tag) {
    auto state = state_;
    detail::lease l = co_await state->acquire();
    co_return co_await l.get().execute_unprepared(sql, tag);
}

asio::awaitable<transaction> pool::begin(isolation level) {
    auto state = state_;
    detail::lease l = co_await state->acquire();
    transaction tx{state, l.take()};
    co_await tx.open_connection().execute_unprepared(begin_statement(level), "begin");
    co_return tx;
}

asio::awaitable<bool> pool::ping(std::chrono::milliseconds limit) {
    auto state = state_;
    bool healthy = false;
    try {
        co_await with_timeout(ping_once(state), limit, "pg ping");
        healthy = true;
    } catch (const std::exception& e) {
        state->log(log_level::debug, std::string{"pg ping failed: "} + e.what());
    }
    co_return healthy;
}

void pool::close() {
    if (state_) {
        state_->close();
    }
}

pool_stats pool::stats() const noexcept {
    return state_->stats();
}

}  // namespace chal::pg
