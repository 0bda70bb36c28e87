// Shared fixture for the pg integration tests: an io_context, the test database, a blocking
// executor for bare connections, captured log lines, and a scratch schema of our own.
#pragma once

#include "storage/pg/connection.hpp"
#include "storage/pg/pool.hpp"
#include "tests/support/run.hpp"
#include "tests/support/test_database.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chal::pg {

struct log_line {
    int level;
    std::string text;
};

class pg_test : public ::testing::Test {
protected:
    pg_test() {
        db.execute(R"sql(
            CREATE SCHEMA IF NOT EXISTS chal_pg_itest;
            CREATE TABLE IF NOT EXISTS chal_pg_itest.items (
                id bigserial PRIMARY KEY,
                name text NOT NULL UNIQUE
            );
            CREATE TABLE IF NOT EXISTS chal_pg_itest.everything (
                id bigserial PRIMARY KEY,
                t text, n bigint, i int, b bool, at timestamptz,
                maybe_t text, maybe_n bigint, maybe_at timestamptz,
                raw bytea, tags text[]
            );
        )sql");
        db.truncate({"chal_pg_itest.items", "chal_pg_itest.everything"});
    }

    ~pg_test() override {
        // Queued PQfinish calls must run: join(), never stop().
        blocking.join();
        EXPECT_TRUE(testing::run_until_idle(io)) << "async work was left running after the test";
    }

    log_function capture_log() {
        return [lines = logs](int level, std::string_view text) {
            lines->push_back({level, std::string{text}});
        };
    }

    bool logged(int level, std::string_view fragment) const {
        for (const auto& line : *logs) {
            if (line.level == level && line.text.find(fragment) != std::string::npos) {
                return true;
            }
        }
        return false;
    }

    connection_config connection_settings() {
        connection_config config;
        config.conninfo = db.url();
        config.blocking = blocking.get_executor();
        config.log = capture_log();
        return config;
    }

    pool_config pool_settings(std::size_t size) const {
        pool_config config;
        config.conninfo = db.url();
        config.size = size;
        return config;
    }

    template <class T>
    T run(boost::asio::awaitable<T> op) {
        return testing::run(io, std::move(op));
    }
    void run(boost::asio::awaitable<void> op) { testing::run(io, std::move(op)); }

    // Ends a backend from outside, as an operator or a failover would; waits until it is gone.
    void terminate_backend(int pid) {
        db.execute("SELECT pg_terminate_backend(" + std::to_string(pid) + ", 10000)");
    }

    boost::asio::io_context io;
    testing::test_database db;
    boost::asio::thread_pool blocking{1};
    std::shared_ptr<std::vector<log_line>> logs = std::make_shared<std::vector<log_line>>();
};

}  // namespace chal::pg
