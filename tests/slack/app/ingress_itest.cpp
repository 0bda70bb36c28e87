// slack_app::ingress over real loopback HTTP, against the test PostgreSQL and the fake Slack:
// what a flood of requests naming apps that do not exist leaves in the node's memory.
#include "app/async/task_tracker.hpp"
#include "slack/app/bot_tokens.hpp"
#include "slack/app/challenge_requests.hpp"
#include "slack/app/ingress.hpp"
#include "slack/manifest.hpp"
#include "slack/signature.hpp"
#include "storage/challenge_store.hpp"
#include "storage/slack_job_store.hpp"
#include "storage/slack_store.hpp"
#include "tests/slack/app/loopback_slack.hpp"

#include <gtest/gtest.h>

#include <string>

namespace chal::slack_app {
namespace {

using namespace std::chrono_literals;
using boost::beast::http::verb;
using storage::t0;

constexpr const char* first_secret = "8f742231b10e8888abcd99yyyzzz85a5";
constexpr const char* second_secret = "a-rotated-signing-secret-0000001";
constexpr std::size_t flood_bound = 64;

// The ids an attacker picks are as long as an instance id may be, and all different.
std::string unknown_instance(int n) {
    auto id = "flood-" + std::to_string(n) + "-";
    id.resize(slack::max_instance_id_length, 'x');
    return id;
}

class ingress_itest : public loopback_slack_test {
protected:
    ingress_itest() { serve(routes()); }

    ~ingress_itest() override {
        stop_serving();
        run(tasks_.wait_all(2s));
    }

    static ingress_settings settings() {
        ingress_settings s;
        s.app_cache_ttl = 1h;  // nothing expires during a test: what is cached stays until evicted
        s.unknown_apps = {.max_entries = flood_bound, .max_bytes = 1 << 20};
        return s;
    }

    http::router routes() {
        auto events = [this](http::request_context& ctx) { return ingress_.events(ctx); };
        return http::router({{verb::post, "/slack/{tenant}/{instance}/events", "slack.events", events}});
    }

    // A tenant's Slack app `instance` whose signing secret is `secret`.
    storage::slack_app_record make_app(std::string instance, const std::string& secret) {
        auto a = unsaved_app(std::move(instance));
        a.signing_secret_sealed = box_.seal(secret, storage::slack_signing_secret_context(a.integration_id));
        run(slack_.create_app(a));
        return a;
    }

    // Slack's ssl_check, signed with `secret` at the fixed clock: 200 when the app's secret verifies it.
    unsigned ssl_check(const std::string& tenant_id, const std::string& instance, const std::string& secret) {
        const std::string body = "ssl_check=1&token=x";
        const auto ts = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(t0.time_since_epoch()).count());
        return post(tenant_id, instance, body,
                    {{"Content-Type", "application/x-www-form-urlencoded"}, {"X-Slack-Request-Timestamp", ts},
                     {"X-Slack-Signature", slack::sign_request(secret, ts, body)}});
    }

    unsigned post(const std::string& tenant_id, const std::string& instance, std::string body,
                  std::vector<std::pair<std::string, std::string>> headers) {
        http::outgoing_request req;
        req.method = verb::post;
        req.url = server_url("/slack/" + tenant_id + "/" + instance + "/events");
        req.headers = std::move(headers);
        req.body = std::move(body);
        req.total_timeout = 10s;
        auto answer = run(http_.send(std::move(req)));
        if (!answer) throw std::runtime_error("request failed: " + answer.error().message());
        return answer->status;
    }

    core::clock_function clock_ = [] { return t0; };
    crypto::secret_box box_{storage::test_master_key};
    storage::slack_store slack_{pool};
    storage::challenge_store challenges_{pool};
    storage::slack_job_store jobs_{pool};
    bot_tokens tokens_{slack_, box_, web_api_, clock_};
    challenge_requests requests_{challenges_, jobs_, tokens_, web_api_, clock_, request_settings{}, [] {}};
    async::task_tracker tasks_{io.get_executor()};
    ingress ingress_{{slack_, challenges_, jobs_, box_, web_api_, tokens_, requests_, tasks_, clock_, [] {}}, settings()};
};

TEST_F(ingress_itest, a_flood_of_unknown_app_ids_stays_within_the_miss_cache_and_evicts_no_known_app) {
    const auto a = make_app("acme-prod", first_secret);
    ASSERT_EQ(ssl_check(a.tenant_id, a.instance_id, first_secret), 200u);  // now cached
    // The secret is rotated in the database: this node keeps the cached one until it is evicted.
    auto rotated = a;
    rotated.signing_secret_sealed = box_.seal(second_secret, storage::slack_signing_secret_context(a.integration_id));
    ASSERT_TRUE(run(slack_.save_app_credentials(rotated, std::nullopt, t0)));

    for (int n = 0; n < 20 * static_cast<int>(flood_bound); ++n)
        ASSERT_EQ(post(a.tenant_id, unknown_instance(n), "ssl_check=1", {}), 401u);

    const auto usage = ingress_.cache_usage();
    EXPECT_EQ(usage.unknown_apps.entries, flood_bound);
    // Each miss costs its key (tenant id, '/', instance id), its value (when it was read) and the
    // cache's overhead.
    using miss_cache = core::bounded_cache<std::chrono::steady_clock::time_point>;
    EXPECT_LE(usage.unknown_apps.bytes, flood_bound * (36 + 1 + slack::max_instance_id_length +
                                                       sizeof(std::chrono::steady_clock::time_point) +
                                                       miss_cache::entry_overhead));
    EXPECT_EQ(usage.known_apps.entries, 1u);
    EXPECT_EQ(ssl_check(a.tenant_id, a.instance_id, first_secret), 200u) << "the known app was still cached";
    EXPECT_EQ(ssl_check(a.tenant_id, a.instance_id, second_secret), 401u);
}

TEST_F(ingress_itest, a_path_that_cannot_name_an_instance_is_refused_without_a_lookup_or_a_cache_entry) {
    const auto a = make_app("acme-prod", first_secret);
    const std::string too_long(slack::max_instance_id_length + 1, 'a');
    EXPECT_EQ(ssl_check(a.tenant_id, too_long, first_secret), 401u);
    EXPECT_EQ(ssl_check(a.tenant_id, "acme%20prod", first_secret), 401u);
    EXPECT_EQ(ssl_check("not-a-tenant", a.instance_id, first_secret), 401u);
    const auto usage = ingress_.cache_usage();
    EXPECT_EQ(usage.unknown_apps.entries, 0u);
    EXPECT_EQ(usage.known_apps.entries, 0u);
}

TEST_F(ingress_itest, an_unknown_app_is_remembered_so_repeating_it_costs_no_query) {
    const auto a = make_app("acme-prod", first_secret);
    EXPECT_EQ(ssl_check(a.tenant_id, "not-yet", first_secret), 401u);
    EXPECT_EQ(ingress_.cache_usage().unknown_apps.entries, 1u);
    // Created after the miss was cached: within the cache's lifetime this node still says no.
    auto later = a;
    later.integration_id = next_id();
    later.instance_id = "not-yet";
    later.signing_secret_sealed = box_.seal(first_secret, storage::slack_signing_secret_context(later.integration_id));
    run(slack_.create_app(later));
    EXPECT_EQ(ssl_check(a.tenant_id, "not-yet", first_secret), 401u);
}

}  // namespace
}  // namespace chal::slack_app
