// Shared fixture for the storage integration tests: an io_context, a pool of 8 on the test
// database (CHAL_TEST_DATABASE_URL), the schema migrated once per binary, every one of our
// tables emptied before each test, and small named helpers that build tenants and challenges.
// Time is fixed (t0 and offsets from it); ids are deterministic and increase with creation,
// like the UUIDv7 ids the service mints, so "newest first" is "highest id first".
#pragma once

#include "app/core/callback.hpp"
#include "app/core/challenge.hpp"
#include "app/core/time.hpp"
#include "app/crypto/crypto.hpp"
#include "storage/challenge_store.hpp"
#include "storage/delivery_store.hpp"
#include "storage/idempotency_store.hpp"
#include "storage/migrations.hpp"
#include "storage/pg/error.hpp"
#include "storage/pg/pool.hpp"
#include "storage/tenant_store.hpp"
#include "tests/support/run.hpp"
#include "tests/support/test_database.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace chal::storage {

// 2025-12-01T12:00:00Z: every test's "now" is this or an offset from it.
inline constexpr core::timestamp t0{std::chrono::seconds{1'764'590'400}};

// A fixed 32-byte master key for sealing webhook secrets in tests.
inline const std::string test_master_key(32, 'k');

// Reads the tests make to check what the stores wrote. Named like the stores' own queries.
inline constexpr pg::query test_select_audit_events{"test_select_audit_events", R"sql(
    SELECT actor, action, status_before, status_after, at
    FROM audit_events WHERE challenge_id = $1 ORDER BY id)sql"};

inline constexpr pg::query test_select_deliveries_for_challenge{"test_select_deliveries_for_challenge", R"sql(
    SELECT id, event_id, challenge_id, event_type, url, body, state, attempts, next_attempt_at, lease_until,
           leased_by, last_status, last_error, next_trigger, created_at, finished_at
    FROM webhook_deliveries WHERE challenge_id = $1 ORDER BY created_at, id)sql"};

inline constexpr pg::query test_select_delivery{"test_select_delivery", R"sql(
    SELECT id, event_id, challenge_id, event_type, url, body, state, attempts, next_attempt_at, lease_until,
           leased_by, last_status, last_error, next_trigger, created_at, finished_at
    FROM webhook_deliveries WHERE id = $1)sql"};

inline constexpr pg::query test_count_deliveries{"test_count_deliveries", "SELECT count(*) FROM webhook_deliveries"};

struct audit_row {
    std::string actor;
    std::string action;
    std::optional<std::string> status_before;
    std::optional<std::string> status_after;
    core::timestamp at{};
};

struct delivery_row {
    std::string id;
    std::string event_id;
    std::string challenge_id;
    std::string event_type;
    std::string url;
    std::string body;
    std::string state;
    int attempts = 0;
    core::timestamp next_attempt_at{};
    std::optional<core::timestamp> lease_until;
    std::optional<std::string> leased_by;
    std::optional<int> last_status;
    std::optional<std::string> last_error;
    std::string next_trigger;
    core::timestamp created_at{};
    std::optional<core::timestamp> finished_at;
};

inline delivery_row delivery_from(const pg::row& r) {
    return {
        r.get<std::string>(0),
        r.get<std::string>(1),
        r.get<std::string>(2),
        r.get<std::string>(3),
        r.get<std::string>(4),
        r.get<std::string>(5),
        r.get<std::string>(6),
        r.get<int>(7),
        r.get<core::timestamp>(8),
        r.get<std::optional<core::timestamp>>(9),
        r.get<std::optional<std::string>>(10),
        r.get<std::optional<int>>(11),
        r.get<std::optional<std::string>>(12),
        r.get<std::string>(13),
        r.get<core::timestamp>(14),
        r.get<std::optional<core::timestamp>>(15),
    };
}

// A tenant with one webhook integration and its live API key, all stored.
struct seeded_tenant {
    tenant_record tenant;
    integration_record integration;
    std::string api_key;   // the plaintext a client would send
    std::string key_hash;  // what the database holds
    std::string webhook_secret;
};

namespace detail {

// Applies the migrations once per test binary; every test after the first finds them applied.
inline void migrate_test_database_once(const std::string& url) {
    static bool migrated = false;
    if (migrated) return;
    boost::asio::io_context io;
    pg::pool_config config;
    config.conninfo = url;
    config.size = 1;
    pg::pool db{io.get_executor(), config, pg::log_function{}};
    testing::run(io, migrate(db));
    db.close();
    migrated = true;
}

// Shared by all_of's coroutines: each result lands in its slot; the last one wakes the waiter.
template <class T>
struct gathered {
    explicit gathered(const boost::asio::any_io_executor& executor, std::size_t count)
        : values(count), left(count), wake(executor, std::chrono::steady_clock::time_point::max()) {}
    std::vector<std::optional<T>> values;
    std::exception_ptr failure;
    std::size_t left;
    boost::asio::steady_timer wake;
};

}  // namespace detail

// Runs every coroutine concurrently on the current executor and returns their values in the
// order given; rethrows the first failure once all have finished.
template <class T>
boost::asio::awaitable<std::vector<T>> all_of(std::vector<boost::asio::awaitable<T>> ops) {
    auto executor = co_await boost::asio::this_coro::executor;
    auto state = std::make_shared<detail::gathered<T>>(executor, ops.size());
    for (std::size_t i = 0; i < ops.size(); ++i) {
        auto on_done = [state, i](std::exception_ptr e, T value) {
            if (e) {
                if (!state->failure) state->failure = e;
            } else {
                state->values[i].emplace(std::move(value));
            }
            if (--state->left == 0) state->wake.cancel();
        };
        boost::asio::co_spawn(executor, std::move(ops[i]), std::move(on_done));
    }
    while (state->left > 0) {
        co_await state->wake.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }
    if (state->failure) std::rethrow_exception(state->failure);
    std::vector<T> out;
    out.reserve(state->values.size());
    for (auto& v : state->values) out.push_back(std::move(*v));
    co_return out;
}

class storage_test : public ::testing::Test {
protected:
    storage_test() {
        detail::migrate_test_database_once(database.url());
        database.truncate(
            {"tenants", "integrations", "api_keys", "challenges", "audit_events", "webhook_deliveries", "webhook_endpoints",
             "webhook_attempts", "idempotency_keys", "tenant_verification_settings", "verification_flows",
             "saml_seen_assertions", "slack_apps", "slack_installations", "slack_events_seen",
             "slack_oauth_states", "slack_messages", "slack_challenges", "slack_jobs", "console_users", "memberships",
             "console_identities", "console_sessions", "console_setup_links", "console_sso_settings",
             "console_login_flows"}
        );
    }

    ~storage_test() override {
        pool.close();
        EXPECT_TRUE(testing::run_until_idle(io)) << "async work was left running after the test";
    }

    static pg::pool_config pool_settings(const std::string& url, std::size_t size) {
        pg::pool_config config;
        config.conninfo = url;
        config.size = size;
        return config;
    }

    template <class T>
    T run(boost::asio::awaitable<T> op) {
        return testing::run(io, std::move(op));
    }
    void run(boost::asio::awaitable<void> op) { testing::run(io, std::move(op)); }

    template <class T>
    std::vector<T> run_concurrently(std::vector<boost::asio::awaitable<T>> ops) {
        return run(all_of(std::move(ops)));
    }

    // Deterministic UUIDs, increasing with each call (so they sort by creation like UUIDv7).
    std::string next_id() {
        char text[40];
        std::snprintf(text, sizeof text, "0190a8e5-0000-7000-8000-%012u", ++id_counter_);
        return text;
    }

    // Stores a tenant, a webhook integration with `callback_url` as its default and a sealed
    // secret, and the integration's first API key.
    seeded_tenant make_tenant(
        std::optional<std::string> callback_url = std::string{"https://receiver.example/hooks"},
        int default_expiry_minutes = 15
    ) {
        seeded_tenant t;
        t.tenant = tenant_record{next_id(), "Tenant " + std::to_string(id_counter_), default_expiry_minutes};
        run(tenants.create_tenant(t.tenant));
        t.integration.id = next_id();
        t.integration.tenant_id = t.tenant.id;
        t.integration.kind = "webhook";
        t.integration.display_name = "Webhook " + std::to_string(id_counter_);
        t.integration.callback_url = std::move(callback_url);
        t.webhook_secret = "whsec_test_" + std::to_string(id_counter_);
        const crypto::secret_box box{test_master_key};
        t.integration.webhook_secret_sealed =
            box.seal(t.webhook_secret, "integration:" + t.integration.id + ":webhook_secret");
        t.api_key = "chal_test_key_" + std::to_string(id_counter_);
        t.key_hash = crypto::sha256(t.api_key);
        const new_api_key key{t.key_hash, t.api_key.substr(0, 12)};
        run(tenants.create_integration(t.integration, key));
        return t;
    }

    // An initiated challenge of `t`, created at `created_at`, live for 15 minutes, with every
    // optional field set except the per-request callback URL and what only a transition writes.
    core::challenge sample_challenge(const seeded_tenant& t, core::timestamp created_at = t0) {
        core::challenge c;
        c.id = next_id();
        c.tenant_id = t.tenant.id;
        c.integration_id = t.integration.id;
        c.origin = core::challenge_origin::webhook_api;
        c.status = core::challenge_status::initiated;
        c.target_user_id = "U0123456";
        c.target_user_email = "alice@example.com";
        c.context = "Password reset requested from the help desk";
        c.requester_id = "helpdesk-bot";
        c.created_at = created_at;
        c.expires_at = created_at + std::chrono::minutes{15};
        c.verification_code = "048213";
        return c;
    }

    // Stores `c` as the API would, and returns it.
    core::challenge insert(core::challenge c) {
        run(challenges.insert(c, "api_key:" + c.integration_id));
        return c;
    }

    // Cancels a stored challenge at `now` as its tenant's requester; the result must be a success.
    core::challenge cancel(const core::challenge& c, core::timestamp now) {
        const std::optional<std::string> scope = c.tenant_id;
        const transition_details none;
        auto moved = run(challenges.transition(scope, c.id, core::challenge_event::cancel, none, "requester", now));
        if (!moved) throw std::runtime_error("cancel refused: " + moved.error().message());
        return *moved;
    }

    std::vector<audit_row> audit_events_for(const std::string& challenge_id) {
        std::vector<audit_row> out;
        for (const auto& r : run(pool.execute(test_select_audit_events, pg::params{}.add(challenge_id)))) {
            out.push_back({
                r.get<std::string>(0),
                r.get<std::string>(1),
                r.get<std::optional<std::string>>(2),
                r.get<std::optional<std::string>>(3),
                r.get<core::timestamp>(4),
            });
        }
        return out;
    }

    std::vector<delivery_row> deliveries_for(const std::string& challenge_id) {
        std::vector<delivery_row> out;
        for (const auto& r : run(pool.execute(test_select_deliveries_for_challenge, pg::params{}.add(challenge_id))))
            out.push_back(delivery_from(r));
        return out;
    }

    std::optional<delivery_row> delivery(const std::string& delivery_id) {
        auto rows = run(pool.execute(test_select_delivery, pg::params{}.add(delivery_id)));
        if (rows.empty()) return std::nullopt;
        return delivery_from(rows[0]);
    }

    std::int64_t delivery_count() { return run(pool.execute(test_count_deliveries))[0].get<std::int64_t>(0); }

    boost::asio::io_context io;
    testing::test_database database;
    pg::pool pool{io.get_executor(), pool_settings(database.url(), 8), pg::log_function{}};
    tenant_store tenants{pool};
    challenge_store challenges{pool};
    delivery_store deliveries{pool};
    idempotency_store idempotency{pool};

private:
    unsigned id_counter_ = 0;
};

}  // namespace chal::storage
