// pg::connection against a real PostgreSQL: types, prepared statements, errors, timeouts.
#include "storage/pg/connection.hpp"
#include "storage/pg/error.hpp"
#include "tests/pg/pg_test_fixture.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace chal::pg {
namespace {

namespace asio = boost::asio;
using namespace std::chrono;
using namespace std::string_literals;

constexpr query show_settings{"show_settings", R"sql(
    SELECT current_setting('TimeZone'), current_setting('DateStyle'),
           current_setting('statement_timeout'), current_setting('bytea_output'),
           current_setting('client_encoding'), current_setting('application_name'))sql"};
constexpr query insert_everything{"insert_everything", R"sql(
    INSERT INTO chal_pg_itest.everything (t, n, i, b, at, maybe_t, maybe_n, maybe_at, raw, tags)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id)sql"};
constexpr query select_everything{"select_everything", R"sql(
    SELECT t, n, i, b, at, maybe_t, maybe_n, maybe_at, raw, tags
    FROM chal_pg_itest.everything WHERE id = $1)sql"};
constexpr query select_tags{"select_tags", R"sql(
    SELECT tag FROM chal_pg_itest.everything, unnest(tags) WITH ORDINALITY AS u(tag, position)
    WHERE id = $1 ORDER BY position)sql"};
constexpr query measure_text{
    "measure_text", "SELECT char_length($1::text), octet_length($1::text), $1::text"};
constexpr query measure_bytes{"measure_bytes", "SELECT length($1::bytea), $1::bytea"};
constexpr query timestamps{"timestamps", R"sql(
    SELECT '2024-02-29 12:34:56.789+00'::timestamptz, '2024-01-01 10:00:00+05:30'::timestamptz,
           '1969-12-31 23:59:59.5+00'::timestamptz, $1::timestamptz, 'infinity'::timestamptz)sql"};
constexpr query backend_pid{"backend_pid", "SELECT pg_backend_pid()"};
constexpr query count_prepared{
    "count_prepared", "SELECT count(*) FROM pg_prepared_statements WHERE name = $1"};
constexpr query divide{"divide", "SELECT 10 / $1::int"};
constexpr query broken_syntax{"broken_syntax", "SELEC 1"};
constexpr query insert_item{"insert_item", "INSERT INTO chal_pg_itest.items (name) VALUES ($1)"};
constexpr query sleep_for{"sleep_for", "SELECT pg_sleep($1::float8)"};
constexpr query one{"one", "SELECT 1"};
constexpr query also_one{"one", "SELECT 2"};

sys_seconds at(int y, unsigned mo, unsigned d, int h, int mi, int s) {
    return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s};
}

class connection_itest : public pg_test {
protected:
    connection open(connection_config config) { return run(connection::open(std::move(config))); }
    connection open() { return open(connection_settings()); }
};

TEST_F(connection_itest, forces_utc_iso_hex_utf8_and_the_statement_timeout) {
    connection c = open();
    const result settings = run(c.execute(show_settings));
    ASSERT_EQ(settings.size(), 1u);
    EXPECT_EQ(settings[0].get<std::string>(0), "UTC");
    EXPECT_EQ(settings[0].get<std::string>(1), "ISO, MDY");
    EXPECT_EQ(settings[0].get<std::string>(2), "8s");
    EXPECT_EQ(settings[0].get<std::string>(3), "hex");
    EXPECT_EQ(settings[0].get<std::string>(4), "UTF8");
    EXPECT_EQ(settings[0].get<std::string>(5), "chal");
    // Routine: a pool opens connections all the time.
    EXPECT_TRUE(logged(log_level::debug, "pg connected"));
    EXPECT_FALSE(logged(log_level::info, "pg connected"));
}

TEST_F(connection_itest, keeps_options_from_the_conninfo_and_overrides_ours) {
    connection_config config = connection_settings();
    config.conninfo += config.conninfo.find('?') == std::string::npos ? '?' : '&';
    config.conninfo += "options=-c%20search_path%3Dchal_pg_itest%20-c%20TimeZone%3DEurope/Paris";
    connection c = open(std::move(config));
    const result r =
        run(c.execute_unprepared("SELECT current_setting('search_path'), current_setting('TimeZone')"));
    EXPECT_EQ(r[0].get<std::string>(0), "chal_pg_itest");
    EXPECT_EQ(r[0].get<std::string>(1), "UTC");
}

TEST_F(connection_itest, round_trips_every_parameter_and_column_type) {
    connection c = open();
    std::string all_bytes;
    for (int b = 0; b < 256; ++b) {
        all_bytes += static_cast<char>(b);
    }
    const std::vector<std::string> tags{
        "plain", "", "NULL", "comma,brace}{", "quote\"back\\slash", " spaced ", "ünï ✓"};
    const sys_seconds when = at(2031, 7, 15, 23, 59, 1);
    params p;
    p.add("héllo wörld ✓ 😀 日本語")
        .add(std::int64_t{-9007199254740993})
        .add(-2147483647 - 1)
        .add(true)
        .add(when);
    p.add(std::optional<std::string>{}).add(std::optional<std::int64_t>{}).add(std::optional<sys_seconds>{});
    p.add_bytea(all_bytes).add_text_array(tags);
    const result inserted = run(c.execute(insert_everything, p));
    ASSERT_EQ(inserted.affected_rows(), 1);
    const auto id = inserted[0].get<std::int64_t>(0);

    const result selected = run(c.execute(select_everything, params{}.add(id)));
    ASSERT_EQ(selected.size(), 1u);
    const row r = selected[0];
    EXPECT_EQ(r.get<std::string>(0), "héllo wörld ✓ 😀 日本語");
    EXPECT_EQ(r.get<std::int64_t>(1), std::int64_t{-9007199254740993});
    EXPECT_EQ(r.get<int>(2), -2147483647 - 1);
    EXPECT_TRUE(r.get<bool>(3));
    EXPECT_EQ(r.get<sys_seconds>(4), when);
    EXPECT_TRUE(r.is_null(5));
    EXPECT_EQ(r.get<std::optional<std::string>>(5), std::nullopt);
    EXPECT_EQ(r.get<std::optional<std::int64_t>>(6), std::nullopt);
    EXPECT_EQ(r.get<std::optional<sys_seconds>>(7), std::nullopt);
    EXPECT_EQ(r.get_bytea(8), all_bytes);
    EXPECT_EQ(r.get<std::optional<std::string>>(0), "héllo wörld ✓ 😀 日本語");
    EXPECT_EQ(r.get<std::optional<sys_seconds>>(4), when);
    EXPECT_EQ(selected.column("raw"), 8);

    std::vector<std::string> read_back;
    for (const row tag : run(c.execute(select_tags, params{}.add(id)))) {
        read_back.push_back(tag.get<std::string>(0));
    }
    EXPECT_EQ(read_back, tags);
}

TEST_F(connection_itest, sends_missing_array_elements_as_null) {
    connection c = open();
    const std::vector<std::optional<std::string>> elements{"NULL", std::nullopt, ""};
    const result r = run(c.execute_unprepared(
        query{
            "array_elements",
            "SELECT ($1::text[])[1], ($1::text[])[2] IS NULL, ($1::text[])[3], cardinality($1::text[])"},
        params{}.add_text_array(elements)
    ));
    EXPECT_EQ(r[0].get<std::string>(0), "NULL");
    EXPECT_TRUE(r[0].get<bool>(1));
    EXPECT_EQ(r[0].get<std::string>(2), "");
    EXPECT_EQ(r[0].get<int>(3), 3);
}

TEST_F(connection_itest, reading_a_column_as_the_wrong_type_is_a_logic_error) {
    connection c = open();
    const result r = run(c.execute_unprepared("SELECT NULL::text, 'x'::text, 5000000000::bigint"));
    EXPECT_THROW(r[0].get<std::string>(0), std::logic_error);
    EXPECT_THROW(r[0].get<std::int64_t>(1), std::logic_error);
    EXPECT_THROW(r[0].get<int>(2), std::logic_error);
    EXPECT_THROW(r[0].get<bool>(1), std::logic_error);
    EXPECT_THROW(r[0].get<std::string>(3), std::out_of_range);
    EXPECT_THROW(r[1], std::out_of_range);
}

TEST_F(connection_itest, sends_unicode_text_unchanged) {
    connection c = open();
    const std::string text = "Grüße — ✓ 😀 日本語 עברית";
    const result r = run(c.execute(measure_text, params{}.add(text)));
    EXPECT_EQ(r[0].get<std::int64_t>(0), 21);
    EXPECT_EQ(r[0].get<std::int64_t>(1), static_cast<std::int64_t>(text.size()));
    EXPECT_EQ(r[0].get<std::string>(2), text);
}

TEST_F(connection_itest, sends_bytea_with_every_byte_value) {
    connection c = open();
    std::string bytes;
    for (int b = 255; b >= 0; --b) {
        bytes += static_cast<char>(b);
    }
    const result r = run(c.execute(measure_bytes, params{}.add_bytea(bytes)));
    EXPECT_EQ(r[0].get<std::int64_t>(0), 256);
    EXPECT_EQ(r[0].get_bytea(1), bytes);
}

TEST_F(connection_itest, reads_timestamps_as_utc_and_truncates_fractions) {
    connection c = open();
    const result r = run(c.execute(timestamps, params{}.add(at(1999, 12, 31, 23, 59, 59))));
    EXPECT_EQ(r[0].get<sys_seconds>(0), at(2024, 2, 29, 12, 34, 56));
    EXPECT_EQ(r[0].get<sys_seconds>(1), at(2024, 1, 1, 4, 30, 0));
    EXPECT_EQ(r[0].get<sys_seconds>(2), at(1969, 12, 31, 23, 59, 59));
    EXPECT_EQ(r[0].get<sys_seconds>(3), at(1999, 12, 31, 23, 59, 59));
    EXPECT_THROW(r[0].get<sys_seconds>(4), std::logic_error);
}

TEST_F(connection_itest, prepares_each_named_statement_once_per_connection) {
    connection c = open();
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(run(c.execute(divide, params{}.add(5)))[0].get<int>(0), 2);
    }
    const result prepared = run(c.execute(count_prepared, params{}.add(divide.name)));
    EXPECT_EQ(prepared[0].get<std::int64_t>(0), 1);
}

TEST_F(connection_itest, refuses_two_texts_under_one_name) {
    connection c = open();
    run(c.execute(one));
    EXPECT_THROW(run(c.execute(also_one)), std::logic_error);
    EXPECT_FALSE(c.is_broken());
}

TEST_F(connection_itest, reports_the_sqlstate_and_stays_usable_after_an_sql_error) {
    connection c = open();
    const int pid = run(c.execute(backend_pid))[0].get<int>(0);
    try {
        run(c.execute(divide, params{}.add(0)));
        FAIL() << "division by zero succeeded";
    } catch (const error& e) {
        EXPECT_EQ(e.sqlstate(), "22012");
        EXPECT_EQ(e.primary(), "division by zero");
        EXPECT_FALSE(e.breaks_connection());
        EXPECT_NE(std::string{e.what()}.find("query=divide"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(c.is_broken());
    EXPECT_EQ(c.state(), session_state::idle);
    EXPECT_EQ(run(c.execute(divide, params{}.add(2)))[0].get<int>(0), 5);
    EXPECT_EQ(run(c.execute(backend_pid))[0].get<int>(0), pid);
}

TEST_F(connection_itest, does_not_remember_a_statement_that_failed_to_prepare) {
    connection c = open();
    for (int attempt = 0; attempt < 2; ++attempt) {
        try {
            run(c.execute(broken_syntax));
            FAIL() << "a syntax error was accepted";
        } catch (const error& e) {
            EXPECT_EQ(e.sqlstate(), "42601") << "attempt " << attempt << ": " << e.what();
        }
    }
    EXPECT_EQ(run(c.execute(one))[0].get<int>(0), 1);
}

TEST_F(connection_itest, maps_a_duplicate_key_to_unique_violation) {
    connection c = open();
    run(c.execute(insert_item, params{}.add("alice")));
    try {
        run(c.execute(insert_item, params{}.add("alice")));
        FAIL() << "duplicate accepted";
    } catch (const unique_violation& e) {
        EXPECT_EQ(e.sqlstate(), "23505");
        EXPECT_EQ(e.constraint(), "items_name_key");
        EXPECT_NE(e.detail().find("alice"), std::string::npos) << e.detail();
    }
    EXPECT_FALSE(c.is_broken());
}

TEST_F(connection_itest, runs_unprepared_scripts_and_returns_the_last_result) {
    connection c = open();
    const result r = run(c.execute_unprepared(
        "INSERT INTO chal_pg_itest.items (name) VALUES ('a'), ('b'); SELECT count(*) FROM chal_pg_itest.items"
    ));
    EXPECT_EQ(r[0].get<std::int64_t>(0), 2);
    const result once = run(c.execute_unprepared(insert_item, params{}.add("c")));
    EXPECT_EQ(once.affected_rows(), 1);
    EXPECT_EQ(run(c.execute(count_prepared, params{}.add(insert_item.name)))[0].get<std::int64_t>(0), 0);
}

TEST_F(connection_itest, a_failing_statement_in_a_script_throws_and_leaves_the_connection_usable) {
    connection c = open();
    EXPECT_THROW(run(c.execute_unprepared("SELECT 1; SELECT 1/0; SELECT 3")), error);
    EXPECT_EQ(run(c.execute(one))[0].get<int>(0), 1);
}

TEST_F(connection_itest, statement_timeout_cancels_on_the_server_and_keeps_the_connection) {
    connection_config config = connection_settings();
    config.statement_timeout = milliseconds{200};
    connection c = open(std::move(config));
    EXPECT_THROW(run(c.execute(sleep_for, params{}.add("5"))), query_canceled);
    EXPECT_FALSE(c.is_broken());
    EXPECT_EQ(run(c.execute(one))[0].get<int>(0), 1);
}

TEST_F(connection_itest, a_client_timeout_breaks_the_connection) {
    connection_config config = connection_settings();
    config.query_timeout = milliseconds{200};
    config.statement_timeout = milliseconds{0};
    connection c = open(std::move(config));
    const auto started = steady_clock::now();
    try {
        run(c.execute(sleep_for, params{}.add("3")));
        FAIL() << "no timeout";
    } catch (const timeout_error& e) {
        EXPECT_TRUE(e.breaks_connection());
    }
    EXPECT_LT(steady_clock::now() - started, seconds{2});
    EXPECT_TRUE(c.is_broken());
    EXPECT_EQ(c.state(), session_state::unknown);
    EXPECT_THROW(run(c.execute(one)), connection_error);
    EXPECT_TRUE(logged(log_level::warn, "query=sleep_for timed out"));
}

TEST_F(connection_itest, a_connection_terminated_by_the_server_is_found_dead) {
    connection c = open();
    terminate_backend(c.backend_pid());
    // Either check_alive notices first, or the next query fails: never a hang, never success.
    if (c.check_alive()) {
        EXPECT_THROW(run(c.execute(one)), connection_error);
    }
    EXPECT_TRUE(c.is_broken());
}

TEST_F(connection_itest, a_query_on_a_terminated_connection_fails_with_connection_error) {
    connection c = open();
    terminate_backend(c.backend_pid());
    try {
        run(c.execute(one));
        FAIL() << "query on a terminated backend succeeded";
    } catch (const connection_error& e) {
        EXPECT_TRUE(e.breaks_connection());
    }
    EXPECT_TRUE(c.is_broken());
}

TEST_F(connection_itest, refusing_server_fails_fast_with_connection_error) {
    connection_config config = connection_settings();
    config.conninfo = "host=127.0.0.1 port=1 dbname=nowhere user=nobody password=s3cret-value";
    const auto started = steady_clock::now();
    try {
        open(std::move(config));
        FAIL() << "connected to port 1";
    } catch (const connection_error& e) {
        EXPECT_EQ(std::string{e.what()}.find("s3cret-value"), std::string::npos) << e.what();
        EXPECT_NE(std::string{e.what()}.find("127.0.0.1:1/nowhere"), std::string::npos) << e.what();
    }
    EXPECT_LT(steady_clock::now() - started, seconds{3});
}

TEST_F(connection_itest, invalid_conninfo_is_a_connection_error_naming_the_bad_keyword) {
    connection_config config = connection_settings();
    config.conninfo = "host=127.0.0.1 nonsense_keyword=1";
    try {
        open(std::move(config));
        FAIL() << "accepted an unknown keyword";
    } catch (const connection_error& e) {
        EXPECT_NE(std::string{e.what()}.find("nonsense_keyword"), std::string::npos) << e.what();
    }
}

TEST_F(connection_itest, a_malformed_uri_does_not_leak_its_password) {
    connection_config config = connection_settings();
    config.conninfo = "postgresql://user:s3cret-value@[::1/db";
    try {
        open(std::move(config));
        FAIL() << "accepted a malformed URI";
    } catch (const connection_error& e) {
        EXPECT_EQ(std::string{e.what()}.find("s3cret-value"), std::string::npos) << e.what();
    }
}

TEST_F(connection_itest, server_notices_reach_the_log) {
    connection c = open();
    run(c.execute_unprepared("DO $$ BEGIN RAISE WARNING 'careful now'; END $$"));
    EXPECT_TRUE(logged(log_level::warn, "careful now"));
}

TEST_F(connection_itest, routine_server_messages_are_logged_at_debug_only) {
    connection c = open();
    run(c.execute_unprepared("DO $$ BEGIN RAISE NOTICE 'just so you know'; RAISE INFO 'for your information'; END $$"));
    // The migrations' `CREATE TABLE IF NOT EXISTS` says NOTICE on every start.
    run(c.execute_unprepared("CREATE TEMP TABLE IF NOT EXISTS routine_notice (x int)"));
    run(c.execute_unprepared("CREATE TEMP TABLE IF NOT EXISTS routine_notice (x int)"));
    EXPECT_TRUE(logged(log_level::debug, "just so you know"));
    EXPECT_TRUE(logged(log_level::debug, "for your information"));
    EXPECT_TRUE(logged(log_level::debug, "already exists, skipping"));
    for (int level : {log_level::info, log_level::warn, log_level::error}) {
        EXPECT_FALSE(logged(level, "NOTICE")) << level;
        EXPECT_FALSE(logged(level, "INFO")) << level;
    }
}

}  // namespace
}  // namespace chal::pg
