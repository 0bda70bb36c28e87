// libpq driven from the event loop (style guide B.9): connect steps and PQfinish on the
// blocking executor, everything else non-blocking with waits on the socket.
#include "storage/pg/connection.hpp"

#include "storage/pg/error.hpp"
#include "storage/pg/timeout.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <libpq-fe.h>

#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace chal::pg {

namespace asio = boost::asio;

namespace {

using wait_type = asio::posix::descriptor_base::wait_type;

// libpq messages end with a newline and may span lines; logs want one line.
std::string one_line(const char* message) {
    std::string text = message ? message : "";
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
        text.pop_back();
    }
    for (char& c : text) {
        if (c == '\n') {
            c = ' ';
        }
    }
    return text;
}

// Runs a blocking libpq call on `blocking` and resumes on the caller's executor (B.6).
template <class Function>
asio::awaitable<std::invoke_result_t<Function&>> run_blocking(
    const asio::any_io_executor& blocking, Function f
) {
    using value = std::invoke_result_t<Function&>;
    auto task = [f = std::move(f)]() mutable -> asio::awaitable<value> { co_return f(); };
    co_return co_await asio::co_spawn(blocking, std::move(task), asio::use_awaitable);
}

struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept {
        return std::hash<std::string_view>{}(text);
    }
};

// libpq's conninfo syntax errors quote the offending text, which can be the whole URI with its
// password (B.5.3: never log it). Only an unknown keyword's name is kept.
std::string redact_quoted(const std::string& message) {
    if (message.starts_with("invalid connection option")) {
        return message;
    }
    std::string out;
    bool quoted = false;
    for (const char c : message) {
        if (c == '"') {
            out += quoted ? "(redacted)\"" : "\"";
            quoted = !quoted;
        } else if (!quoted) {
            out += c;
        }
    }
    return out;
}

struct connect_parameters {
    std::vector<std::string> keywords;
    std::vector<std::string> values;
    std::string target;  // for logs: no password
};

std::string options_for(const connection_config& config, std::string user_options) {
    if (!user_options.empty()) {
        user_options += ' ';
    }
    // Later -c settings win, so ours come last: row::get and params depend on them.
    return user_options + "-c statement_timeout=" + std::to_string(config.statement_timeout.count()) +
           " -c TimeZone=UTC -c DateStyle=ISO -c bytea_output=hex";
}

// Splits conninfo (key=value or URI) so our settings can be merged into `options`; an
// expanded dbname would otherwise override or be overridden wholesale.
connect_parameters parse_conninfo(const connection_config& config) {
    char* failure = nullptr;
    PQconninfoOption* parsed = PQconninfoParse(config.conninfo.c_str(), &failure);
    if (parsed == nullptr) {
        std::string why = failure ? redact_quoted(one_line(failure)) : "out of memory";
        PQfreemem(failure);
        throw connection_error("pg connect: invalid conninfo: " + why);
    }
    connect_parameters out;
    std::string user_options;
    std::string host;
    std::string port;
    std::string dbname;
    std::string user;
    for (const PQconninfoOption* option = parsed; option->keyword != nullptr; ++option) {
        if (option->val == nullptr) {
            continue;
        }
        const std::string_view key = option->keyword;
        if (key == "options") {
            user_options = option->val;
            continue;
        }
        if (key == "client_encoding") {
            continue;
        }
        if (key == "host" || (key == "hostaddr" && host.empty())) {
            host = option->val;
        } else if (key == "port") {
            port = option->val;
        } else if (key == "dbname") {
            dbname = option->val;
        } else if (key == "user") {
            user = option->val;
        }
        out.keywords.emplace_back(key);
        out.values.emplace_back(option->val);
    }
    PQconninfoFree(parsed);
    out.keywords.emplace_back("options");
    out.values.push_back(options_for(config, std::move(user_options)));
    out.keywords.emplace_back("client_encoding");
    out.values.emplace_back("UTF8");
    out.keywords.emplace_back("fallback_application_name");
    out.values.emplace_back("chal");
    out.target = (host.empty() ? "(default host)" : host) + ':' + (port.empty() ? "(default port)" : port) +
                 '/' + (dbname.empty() ? "(default db)" : dbname) + (user.empty() ? "" : " user=" + user);
    return out;
}

// A command's deadline without racing two coroutines (which costs frames, a co_spawn and a
// thrown operation_aborted per statement): one timer per connection, armed per command, whose
// expiry cancels the socket wait. Shared with the timer's handler, which may run after the
// connection is gone or after the command it was armed for has finished: `generation` and the
// nulled `socket` make such a late handler a no-op.
struct command_watchdog {
    asio::posix::stream_descriptor* socket = nullptr;
    std::uint64_t generation = 0;
    bool fired = false;
};

}  // namespace

struct connection::impl {
    impl(asio::any_io_executor io, connection_config config_)
        : socket{io}, deadline{io}, watchdog{std::make_shared<command_watchdog>()}, config{std::move(config_)} {
        watchdog->socket = &socket;
    }

    impl(const impl&) = delete;
    impl& operator=(const impl&) = delete;

    ~impl() {
        watchdog->socket = nullptr;
        // libpq owns the descriptor: Asio must forget it, never close it (B.9.5).
        socket.release();
        if (conn == nullptr) {
            return;
        }
        PGconn* raw = conn;
        try {
            asio::post(config.blocking, [raw] { PQfinish(raw); });
        } catch (...) {
            PQfinish(raw);  // no executor to hand it to: finishing here beats leaking the socket
        }
    }

    void log(int level, const std::string& message) const {
        if (config.log) {
            config.log(level, message);
        }
    }

    // libpq may move to a new socket during PQconnectPoll, possibly with the old descriptor
    // number, so the Asio registration is always renewed (B.9.1).
    void refresh_socket() {
        socket.release();
        const int fd = PQsocket(conn);
        if (fd >= 0) {
            socket.assign(fd);
        }
    }

    [[noreturn]] void throw_connect_failure(const char* what) const {
        throw connection_error(
            "pg connect target=" + target + ' ' + what + ": " + one_line(PQerrorMessage(conn))
        );
    }

    asio::awaitable<void> connect() {
        connect_parameters parameters = parse_conninfo(config);
        target = parameters.target;
        auto start = [keywords = std::move(parameters.keywords), values = std::move(parameters.values)] {
            std::vector<const char*> k;
            std::vector<const char*> v;
            for (std::size_t i = 0; i < keywords.size(); ++i) {
                k.push_back(keywords[i].c_str());
                v.push_back(values[i].c_str());
            }
            k.push_back(nullptr);
            v.push_back(nullptr);
            return PQconnectStartParams(k.data(), v.data(), 0);
        };
        conn = co_await run_blocking(config.blocking, std::move(start));
        if (conn == nullptr) {
            throw connection_error("pg connect target=" + target + ": out of memory");
        }
        if (PQstatus(conn) == CONNECTION_BAD) {
            throw_connect_failure("failed");
        }
        // libpq: before the first PQconnectPoll, behave as if it returned PGRES_POLLING_WRITING.
        PostgresPollingStatusType polled = PGRES_POLLING_WRITING;
        for (;;) {
            refresh_socket();
            if (polled == PGRES_POLLING_OK) {
                break;
            }
            if (polled == PGRES_POLLING_FAILED) {
                throw_connect_failure("failed");
            }
            if (!socket.is_open()) {
                throw_connect_failure("has no socket");
            }
            if (polled == PGRES_POLLING_READING) {
                co_await socket.async_wait(wait_type::wait_read, asio::use_awaitable);
            } else if (polled == PGRES_POLLING_WRITING) {
                co_await socket.async_wait(wait_type::wait_write, asio::use_awaitable);
            }
            PGconn* raw = conn;
            auto poll = [raw] { return PQconnectPoll(raw); };
            polled = co_await run_blocking(config.blocking, poll);
        }
        if (PQsetnonblocking(conn, 1) != 0) {
            throw_connect_failure("could not switch to non-blocking mode");
        }
        PQsetNoticeProcessor(conn, &impl::notice_to_log, this);
    }

    static void notice_to_log(void* arg, const char* message) {
        const auto* self = static_cast<const impl*>(arg);
        const std::string text = one_line(message);
        // NOTICE, INFO, LOG and DEBUG are routine (a migration's "already exists, skipping");
        // a FATAL "notice" is the server saying goodbye (pg_terminate_backend, shutdown).
        const bool serious = text.starts_with("WARNING") || text.starts_with("ERROR") ||
                             text.starts_with("FATAL") || text.starts_with("PANIC");
        const int level = serious ? log_level::warn : log_level::debug;
        self->log(level, "pg notice target=" + self->target + ": " + text);
    }

    [[noreturn]] void throw_broken(const char* tag, const char* what) {
        broken = true;
        throw connection_error(
            std::string{"pg query="} + tag + " target=" + target + ' ' + what + ": " +
            one_line(PQerrorMessage(conn))
        );
    }

    // PQsend* returned 0: nothing was dispatched. Broken link or misuse.
    [[noreturn]] void throw_send_failure(const char* tag) {
        in_flight = false;
        if (PQstatus(conn) == CONNECTION_BAD) {
            throw_broken(tag, "could not send");
        }
        throw error(
            std::string{"pg query="} + tag + " could not send: " + one_line(PQerrorMessage(conn)), {}, false
        );
    }

    // Per the libpq manual: while PQflush reports queued output, wait for the socket to be
    // writable or readable, consuming input when readable so the server never stalls on us.
    asio::awaitable<void> flush(const char* tag) {
        using namespace asio::experimental::awaitable_operators;
        for (;;) {
            const int pending = PQflush(conn);
            if (pending == 0) {
                co_return;
            }
            if (pending < 0) {
                throw_broken(tag, "could not send");
            }
            throw_if_timed_out(tag);
            auto ready = co_await (
                socket.async_wait(wait_type::wait_read, asio::use_awaitable) ||
                socket.async_wait(wait_type::wait_write, asio::use_awaitable)
            );
            if (ready.index() == 0 && PQconsumeInput(conn) == 0) {
                throw_broken(tag, "lost the connection");
            }
        }
    }

    // Waits until PQgetResult will not block. Input is normally consumed *before* waiting: data
    // that arrived while nobody waited produced its readiness edge already (Asio's epoll reactor
    // is edge-triggered), so waiting first could miss it. Right after a send that cannot be:
    // the answer arrives after the send, and the one thread running this io_context registers
    // the wait before it next polls, so `just_sent` skips a read that would only say EAGAIN.
    asio::awaitable<void> wait_for_result(const char* tag, bool just_sent) {
        if (just_sent) {
            co_await wait_readable(tag);
        }
        for (;;) {
            if (PQconsumeInput(conn) == 0) {
                broken = true;
                // libpq has dropped the connection, so PQgetResult returns its error at once.
                if (PQisBusy(conn) != 0) {
                    throw_broken(tag, "lost the connection");
                }
                co_return;
            }
            if (PQisBusy(conn) == 0) {
                co_return;
            }
            co_await wait_readable(tag);
        }
    }

    // One socket wait; an error code, not an exception, on the paths that end in an error.
    asio::awaitable<void> wait_readable(const char* tag) {
        throw_if_timed_out(tag);
        auto [failure] = co_await socket.async_wait(wait_type::wait_read, asio::as_tuple(asio::use_awaitable));
        if (failure) {
            throw_if_timed_out(tag);
            throw boost::system::system_error(failure, std::string{"pg query="} + tag + " wait");
        }
    }

    void throw_if_timed_out(const char* tag) const {
        if (watchdog->fired) {
            throw timeout_error(
                detail::timeout_text(std::string{"pg query="} + tag, config.query_timeout), true
            );
        }
    }

    void arm_watchdog() {
        watchdog->fired = false;
        const std::uint64_t generation = ++watchdog->generation;
        deadline.expires_after(config.query_timeout);
        deadline.async_wait([w = watchdog, generation](const boost::system::error_code& ec) {
            if (ec || w->generation != generation || w->socket == nullptr) {
                return;
            }
            w->fired = true;
            w->socket->cancel();
        });
    }

    void disarm_watchdog() {
        ++watchdog->generation;
        deadline.cancel();
    }

    [[noreturn]] void throw_result_error(const char* tag, const PGresult* failed) {
        auto field = [failed](int code) {
            const char* value = PQresultErrorField(failed, code);
            return std::string{value ? value : ""};
        };
        error_fields fields{
            field(PG_DIAG_SQLSTATE),
            field(PG_DIAG_MESSAGE_PRIMARY),
            field(PG_DIAG_MESSAGE_DETAIL),
            field(PG_DIAG_CONSTRAINT_NAME)};
        if (fields.primary.empty()) {
            fields.primary = one_line(PQresultErrorMessage(failed));
        }
        const std::string& code = fields.sqlstate;
        const bool link_lost = PQstatus(conn) == CONNECTION_BAD || code.starts_with("08") ||
                               code == "57P01" || code == "57P02" || code == "57P03";
        std::string what = std::string{"pg query="} + tag + " sqlstate=" + (code.empty() ? "none" : code) +
                           ": " + fields.primary;
        if (!fields.detail.empty()) {
            what += " detail: " + fields.detail;
        }
        if (link_lost) {
            broken = true;
            throw connection_error(what + " target=" + target, std::move(fields), true);
        }
        if (code == "23505") {
            throw unique_violation(what, std::move(fields), false);
        }
        if (code == "40001") {
            throw serialization_failure(what, std::move(fields), false);
        }
        if (code == "40P01") {
            throw deadlock_detected(what, std::move(fields), false);
        }
        if (code == "57014") {
            throw query_canceled(what, std::move(fields), false);
        }
        throw error(what, std::move(fields), false);
    }

    // Reads every result of the command in flight. Returns the last one; throws for the first
    // failure, but only after draining, so a plain SQL error leaves the connection idle and
    // reusable.
    asio::awaitable<result> read_results(const char* tag) {
        result last;
        result first_failure;
        bool failed = false;
        bool just_sent = true;
        for (;;) {
            co_await wait_for_result(tag, just_sent);
            just_sent = false;
            PGresult* raw = PQgetResult(conn);
            if (raw == nullptr) {
                break;
            }
            result current{raw};
            switch (PQresultStatus(raw)) {
            case PGRES_COMMAND_OK:
            case PGRES_TUPLES_OK:
            case PGRES_EMPTY_QUERY:
            case PGRES_SINGLE_TUPLE:
                last = std::move(current);
                break;
            case PGRES_COPY_IN:
            case PGRES_COPY_OUT:
            case PGRES_COPY_BOTH:
                // We never start COPY; the protocol state is now beyond us.
                broken = true;
                throw std::logic_error(std::string{"pg query="} + tag + ": COPY is not supported");
            default:
                if (!failed) {
                    first_failure = std::move(current);
                    failed = true;
                }
                break;
            }
        }
        in_flight = false;
        if (PQstatus(conn) == CONNECTION_BAD) {
            broken = true;
        }
        if (failed) {
            throw_result_error(tag, first_failure.res_.get());
        }
        if (broken) {
            throw_broken(tag, "lost the connection");
        }
        co_return last;
    }

    asio::awaitable<result> run_prepared(const query& q, const params& p) {
        const auto known = prepared.find(std::string_view{q.name});
        if (known == prepared.end()) {
            in_flight = true;
            // No parameter types: the server infers them, like an untyped PREPARE.
            if (PQsendPrepare(conn, q.name, q.text, 0, nullptr) == 0) {
                throw_send_failure(q.name);
            }
            co_await flush(q.name);
            co_await read_results(q.name);
            prepared.emplace(q.name, q.text);
        } else if (known->second != q.text && std::strcmp(known->second, q.text) != 0) {
            throw std::logic_error(std::string{"pg: two different statements share the name "} + q.name);
        }
        const wire_params wire{p};
        in_flight = true;
        if (PQsendQueryPrepared(
                conn, q.name, wire.count(), wire.values.data(), wire.lengths.data(), wire.formats.data(), 0
            ) == 0) {
            throw_send_failure(q.name);
        }
        co_await flush(q.name);
        co_return co_await read_results(q.name);
    }

    asio::awaitable<result> run_once(const query& q, const params& p) {
        const wire_params wire{p};
        in_flight = true;
        if (PQsendQueryParams(
                conn,
                q.text,
                wire.count(),
                nullptr,
                wire.values.data(),
                wire.lengths.data(),
                wire.formats.data(),
                0
            ) == 0) {
            throw_send_failure(q.name);
        }
        co_await flush(q.name);
        co_return co_await read_results(q.name);
    }

    asio::awaitable<result> run_simple(std::string sql, const char* tag) {
        in_flight = true;
        if (PQsendQuery(conn, sql.c_str()) == 0) {
            throw_send_failure(tag);
        }
        co_await flush(tag);
        co_return co_await read_results(tag);
    }

    // Bounds a whole command by query_timeout. Afterwards the connection is broken if the
    // command did not end cleanly: a timeout, a cancellation, or an exception mid-protocol.
    asio::awaitable<result> guarded(asio::awaitable<result> command, const char* tag) {
        arm_watchdog();
        std::exception_ptr failure;
        try {
            result done = co_await std::move(command);
            disarm_watchdog();
            co_return done;
        } catch (...) {
            failure = std::current_exception();
        }
        const bool timed_out = watchdog->fired;
        disarm_watchdog();
        if (timed_out) {
            broken = true;
            const timeout_error e{
                detail::timeout_text(std::string{"pg query="} + tag, config.query_timeout), true};
            log(log_level::warn, std::string{e.what()} + " target=" + target + "; dropping the connection");
            throw e;
        }
        if (in_flight) {
            broken = true;
        }
        std::rethrow_exception(failure);
    }

    void check_usable(const char* tag) const {
        if (broken || conn == nullptr) {
            throw connection_error(
                std::string{"pg query="} + tag + " target=" + target + ": connection is broken"
            );
        }
        if (in_flight) {
            throw std::logic_error(
                std::string{"pg query="} + tag + ": connection used by two operations at once"
            );
        }
    }

    // The three arrays libpq takes, pointing into `params` (which must outlive the send).
    struct wire_params {
        explicit wire_params(const params& p) {
            for (std::size_t i = 0; i < p.size(); ++i) {
                values.push_back(p.is_null(i) ? nullptr : p.value(i).c_str());
                lengths.push_back(static_cast<int>(p.value(i).size()));
                formats.push_back(p.is_binary(i) ? 1 : 0);
            }
        }
        int count() const noexcept { return static_cast<int>(values.size()); }
        std::vector<const char*> values;
        std::vector<int> lengths;
        std::vector<int> formats;
    };

    asio::posix::stream_descriptor socket;
    asio::steady_timer deadline;
    std::shared_ptr<command_watchdog> watchdog;
    connection_config config;
    PGconn* conn = nullptr;
    std::string target;
    // Statements prepared on this session: name -> text, to catch two texts under one name.
    std::unordered_map<std::string, const char*, string_hash, std::equal_to<>> prepared;
    bool broken = false;
    bool in_flight = false;  // a command was sent and its results are not all read
};

connection::connection(std::unique_ptr<impl> state) : impl_{std::move(state)} {}
connection::connection(connection&&) noexcept = default;
connection& connection::operator=(connection&&) noexcept = default;
connection::~connection() = default;

asio::awaitable<connection> connection::open(connection_config config) {
    if (!config.blocking) {
        throw std::logic_error("pg: connection_config.blocking is required");
    }
    auto io = co_await asio::this_coro::executor;
    const auto limit = config.connect_timeout;
    connection c{std::make_unique<impl>(io, std::move(config))};
    impl& self = *c.impl_;
    const auto started = std::chrono::steady_clock::now();
    bool timed_out = false;
    try {
        co_await with_timeout(self.connect(), limit, "pg connect");
    } catch (const timeout_error&) {
        timed_out = true;
    } catch (const connection_error& e) {
        self.log(log_level::error, e.what());  // a broken dependency (B.11)
        throw;
    }
    if (timed_out) {
        const std::string what =
            "pg connect target=" + self.target + " timed out after " + std::to_string(limit.count()) + " ms";
        self.log(log_level::error, what);
        throw connection_error(what);
    }
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
            .count();
    self.log(
        log_level::debug,
        "pg connected target=" + self.target + " pid=" + std::to_string(PQbackendPID(self.conn)) +
            " ms=" + std::to_string(ms)
    );
    co_return c;
}

asio::awaitable<result> connection::execute(const query& q, const params& p) {
    impl& self = *impl_;
    self.check_usable(q.name);
    co_return co_await self.guarded(self.run_prepared(q, p), q.name);
}

asio::awaitable<result> connection::execute_unprepared(const query& q, const params& p) {
    impl& self = *impl_;
    self.check_usable(q.name);
    co_return co_await self.guarded(self.run_once(q, p), q.name);
}

asio::awaitable<result> connection::execute_unprepared(std::string_view sql, const char* tag) {
    impl& self = *impl_;
    self.check_usable(tag);
    co_return co_await self.guarded(self.run_simple(std::string{sql}, tag), tag);
}

bool connection::is_broken() const noexcept {
    return !impl_ || impl_->broken || impl_->conn == nullptr;
}

void connection::discard() noexcept {
    if (impl_) {
        impl_->broken = true;
    }
}

bool connection::check_alive() noexcept {
    if (is_broken() || impl_->in_flight) {
        return false;
    }
    if (PQconsumeInput(impl_->conn) == 0 || PQstatus(impl_->conn) != CONNECTION_OK) {
        impl_->broken = true;
        impl_->log(
            log_level::info,
            "pg connection target=" + impl_->target +
                " closed by the server while idle: " + one_line(PQerrorMessage(impl_->conn))
        );
        return false;
    }
    return true;
}

session_state connection::state() const noexcept {
    if (is_broken()) {
        return session_state::unknown;
    }
    switch (PQtransactionStatus(impl_->conn)) {
    case PQTRANS_IDLE:
        return session_state::idle;
    case PQTRANS_ACTIVE:
        return session_state::busy;
    case PQTRANS_INTRANS:
        return session_state::in_transaction;
    case PQTRANS_INERROR:
        return session_state::in_failed_transaction;
    case PQTRANS_UNKNOWN:
        break;
    }
    return session_state::unknown;
}

int connection::backend_pid() const noexcept {
    return impl_ && impl_->conn ? PQbackendPID(impl_->conn) : 0;
}

const std::string& connection::target() const noexcept {
    static const std::string none = "(closed)";
    return impl_ ? impl_->target : none;
}

}  // namespace chal::pg
