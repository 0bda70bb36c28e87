// The integration-test database named by CHAL_TEST_DATABASE_URL (B.12.3), with synchronous
// set-up helpers. They use blocking libpq, which is fine in test set-up and never on an event loop.
#pragma once

#include <initializer_list>
#include <memory>
#include <source_location>
#include <string>
#include <string_view>

struct pg_conn;  // libpq's PGconn

namespace chal::testing {

inline constexpr const char* test_database_variable = "CHAL_TEST_DATABASE_URL";

// The DSN from CHAL_TEST_DATABASE_URL. If it is unset, records a test failure at `where` that
// says how to start a test database, and throws std::runtime_error to end the test.
std::string test_database_url(std::source_location where = std::source_location::current());

// One set-up connection to the test database. Failures are reported at the caller's line and
// thrown as std::runtime_error.
class test_database {
public:
    explicit test_database(std::source_location where = std::source_location::current());
    ~test_database();
    test_database(const test_database&) = delete;
    test_database& operator=(const test_database&) = delete;

    const std::string& url() const noexcept { return url_; }

    // Runs an SQL script (several statements allowed).
    void execute(std::string_view sql, std::source_location where = std::source_location::current()) const;

    // TRUNCATE ... RESTART IDENTITY CASCADE; names may be schema-qualified ("chal_pg_itest.items").
    void truncate(
        std::initializer_list<std::string_view> tables,
        std::source_location where = std::source_location::current()
    ) const;

private:
    std::string url_;
    pg_conn* conn_ = nullptr;
};

}  // namespace chal::testing
