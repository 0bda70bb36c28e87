#include "tests/support/test_database.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>

namespace chal::testing {

namespace {

[[noreturn]] void fail_at(const std::source_location& where, const std::string& message) {
    ADD_FAILURE_AT(where.file_name(), static_cast<int>(where.line())) << message;
    throw std::runtime_error(message);
}

std::string one_line(const char* message) {
    std::string text = message ? message : "";
    while (!text.empty() && text.back() == '\n') {
        text.pop_back();
    }
    return text;
}

}  // namespace

std::string test_database_url(std::source_location where) {
    const char* url = std::getenv(test_database_variable);
    if (url == nullptr || *url == '\0') {
        fail_at(
            where,
            std::string{test_database_variable} +
                " is not set. Start a test database and export its URL, e.g.\n"
                "    eval \"$(scripts/dev-test-db start)\"\n"
                "then run the integration tests again."
        );
    }
    return url;
}

test_database::test_database(std::source_location where) : url_{test_database_url(where)} {
    conn_ = PQconnectdb(url_.c_str());
    if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
        const std::string why = conn_ ? one_line(PQerrorMessage(conn_)) : "out of memory";
        PQfinish(conn_);
        conn_ = nullptr;
        fail_at(where, std::string{"cannot connect to "} + test_database_variable + ": " + why);
    }
    // Test scripts often CREATE ... IF NOT EXISTS; the notices are noise.
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr
    );
}

test_database::~test_database() {
    PQfinish(conn_);
}

void test_database::execute(std::string_view sql, std::source_location where) const {
    const std::string text{sql};
    std::unique_ptr<PGresult, decltype(&PQclear)> res{PQexec(conn_, text.c_str()), &PQclear};
    const auto status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY) {
        fail_at(
            where, "test database script failed: " + one_line(PQerrorMessage(conn_)) + "\nscript: " + text
        );
    }
}

void test_database::truncate(std::initializer_list<std::string_view> tables, std::source_location where)
    const {
    std::string sql = "TRUNCATE TABLE ";
    bool first = true;
    for (const std::string_view table : tables) {
        if (!first) {
            sql += ", ";
        }
        first = false;
        // Quote each part of "schema.table" on its own.
        std::size_t start = 0;
        for (;;) {
            const std::size_t dot = table.find('.', start);
            const std::string part{table.substr(start, dot == std::string_view::npos ? dot : dot - start)};
            char* quoted = PQescapeIdentifier(conn_, part.c_str(), part.size());
            if (quoted == nullptr) {
                fail_at(where, "cannot quote table name " + std::string{table});
            }
            sql += quoted;
            PQfreemem(quoted);
            if (dot == std::string_view::npos) {
                break;
            }
            sql += '.';
            start = dot + 1;
        }
    }
    if (first) {
        return;
    }
    sql += " RESTART IDENTITY CASCADE";
    execute(sql, where);
}

}  // namespace chal::testing
