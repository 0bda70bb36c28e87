// The pg exception family (style guide B.5): thrown when the database or the link to it
// fails. Subclasses exist only for the SQLSTATEs callers branch on.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

namespace chal::pg {

// What PostgreSQL (or libpq) said about a failure; empty strings for absent fields.
struct error_fields {
    std::string sqlstate;    // e.g. "23505"; empty for client-side failures
    std::string primary;     // the primary message
    std::string detail;      // may quote row values: log it, never show it to clients
    std::string constraint;  // the violated constraint's name, if any
};

// what() is the log text: "pg query=<name> sqlstate=<code>: <primary> ...". It contains no
// password or parameter values beyond what the server put in `detail`. Clients get a fixed
// message from the api layer, never this text.
class error : public std::runtime_error {
public:
    error(const std::string& what, error_fields fields, bool breaks_connection);

    const std::string& sqlstate() const noexcept { return fields_->sqlstate; }
    const std::string& primary() const noexcept { return fields_->primary; }
    const std::string& detail() const noexcept { return fields_->detail; }
    const std::string& constraint() const noexcept { return fields_->constraint; }
    // True if the connection that raised this is unusable afterwards; the pool then drops it.
    bool breaks_connection() const noexcept { return breaks_connection_; }

private:
    std::shared_ptr<const error_fields> fields_;  // shared: exceptions must copy without throwing
    bool breaks_connection_;
};

// 23505
class unique_violation : public error {
public:
    using error::error;
};

// 40001: retry the whole transaction.
class serialization_failure : public error {
public:
    using error::error;
};

// 40P01: retry the whole transaction.
class deadlock_detected : public error {
public:
    using error::error;
};

// 57014: statement_timeout fired, or someone called pg_cancel_backend. The server reported
// it in an orderly way, so the connection stays usable.
class query_canceled : public error {
public:
    using error::error;
};

// A client-side deadline passed: a query (breaks_connection(): the connection is discarded) or
// waiting for a free pooled connection (does not). A connect that times out is a
// connection_error: to callers, the server is unreachable.
class timeout_error : public error {
public:
    timeout_error(const std::string& what, bool breaks_connection);
};

// The server cannot be reached or the link broke (refused, reset, server shut down:
// SQLSTATE class 08, 57P01-57P03). The connection is gone; a later query may work again.
class connection_error : public error {
public:
    using error::error;
    explicit connection_error(const std::string& what);
};

}  // namespace chal::pg
