// The published guide's flow and the contract's error cases, against the whole service over
// real HTTP on loopback and the real PostgreSQL.
#include "app/crypto/crypto.hpp"
#include "tests/e2e/service_fixture.hpp"
#include "tests/support/run.hpp"

#include <boost/json/parse.hpp>

using namespace chal;
using boost::beast::http::verb;

namespace {

boost::json::object json_of(const e2e::http_reply& r) {
    boost::system::error_code ec;
    auto v = boost::json::parse(r.body, ec);
    if (ec || !v.is_object()) {
        ADD_FAILURE() << "not a JSON object: " << r.body;
        return {};
    }
    return v.as_object();
}

std::string error_of(const e2e::http_reply& r) {
    auto o = json_of(r);
    EXPECT_EQ(o.size(), 1u) << r.body;
    return o.contains("error") ? std::string(o.at("error").as_string()) : std::string();
}

}  // namespace

class api_e2e : public e2e::service_test {};

TEST_F(api_e2e, creates_a_challenge_as_the_guide_shows) {
    auto r = create(R"({"target_user_email": "alice@example.com", "context": "Access request for production database",
                        "callback_url": "https://your-system.com/webhook/callback", "expiry_minutes": 30})");
    ASSERT_EQ(r.status, 201u) << r.body;
    auto body = json_of(r);
    const std::string id(body.at("challenge_id").as_string());
    EXPECT_TRUE(crypto::is_uuid(id));
    EXPECT_EQ(body.at("verification_url").as_string(), "https://challenge.test/challenge/start/" + id);
    EXPECT_EQ(body.at("status").as_string(), "initiated");
    auto expires = core::parse_rfc3339(body.at("expires_at").as_string());
    ASSERT_TRUE(expires.has_value());
    EXPECT_NEAR(static_cast<double>((*expires - clock_.now()).count()), 30 * 60, 5);
    EXPECT_EQ(r.header("Content-Type"), "application/json");
}

TEST_F(api_e2e, reports_status_with_the_contracts_fields) {
    const std::string id(json_of(create(R"({"target_user_id": "user123", "context": "Ticket 42"})")).at("challenge_id").as_string());
    auto r = get_status(id);
    ASSERT_EQ(r.status, 200u);
    auto body = json_of(r);
    EXPECT_EQ(body.at("challenge_id").as_string(), id);
    EXPECT_EQ(body.at("status").as_string(), "initiated");
    EXPECT_TRUE(body.at("completed_at").is_null());
    EXPECT_FALSE(body.at("is_expired").as_bool());
    EXPECT_TRUE(body.at("device_fingerprint").is_null());
    EXPECT_TRUE(core::parse_rfc3339(body.at("created_at").as_string()).has_value());
    EXPECT_EQ(body.at("requester_id").as_string(), "webhook");
}

TEST_F(api_e2e, accepts_the_key_as_a_bearer_token_too) {
    const std::string id(json_of(create(R"({"target_user_id": "u"})")).at("challenge_id").as_string());
    auto r = call(verb::get, "/api/v1/challenges/" + id, {}, {{"Authorization", "Bearer " + api_key_}});
    EXPECT_EQ(r.status, 200u);
}

TEST_F(api_e2e, refuses_missing_and_unknown_keys_with_the_contracts_text) {
    auto none = call(verb::post, "/api/v1/challenges", R"({"target_user_id":"u"})", {{"Content-Type", "application/json"}});
    EXPECT_EQ(none.status, 401u);
    EXPECT_EQ(error_of(none), "Invalid or missing API key");
    auto wrong = call(verb::get, "/api/v1/challenges/" + crypto::new_uuid_v7(std::chrono::system_clock::now()), {},
                      {{"X-API-Key", "chk_not-a-real-key"}});
    EXPECT_EQ(wrong.status, 401u);
    EXPECT_EQ(error_of(wrong), "Invalid or missing API key");
}

TEST_F(api_e2e, never_shows_another_tenants_challenge) {
    const auto other_key = make_tenant("Globex");
    const std::string id(json_of(create(R"({"target_user_id": "u"})")).at("challenge_id").as_string());
    for (auto method : {verb::get, verb::post}) {
        const std::string path = "/api/v1/challenges/" + id + (method == verb::post ? "/cancel" : "");
        auto r = call(method, path, {}, {{"X-API-Key", other_key}});
        EXPECT_EQ(r.status, 404u) << path;
        EXPECT_EQ(error_of(r), "Challenge not found");
    }
    auto list = call(verb::get, "/api/v1/challenges", {}, {{"X-API-Key", other_key}});
    EXPECT_EQ(json_of(list).at("challenges").as_array().size(), 0u);
    EXPECT_EQ(json_of(get_status(id)).at("status").as_string(), "initiated");  // the cancel did nothing
}

TEST_F(api_e2e, answers_unknown_and_malformed_ids_with_not_found) {
    EXPECT_EQ(get_status(crypto::new_uuid_v7(std::chrono::system_clock::now())).status, 404u);
    auto malformed = get_status("not-a-uuid");
    EXPECT_EQ(malformed.status, 404u);
    EXPECT_EQ(error_of(malformed), "Challenge not found");
}

TEST_F(api_e2e, explains_each_bad_input_and_stores_nothing) {
    const std::pair<const char*, const char*> cases[] = {
        {R"({})", "target_user_id or target_user_email is required"},
        {R"({"target_user_id": "u", "expiry_minutes": 0})", "expiry_minutes must be an integer between 1 and 10080"},
        {R"({"target_user_id": "u", "expiry_minutes": 10081})", "expiry_minutes must be an integer between 1 and 10080"},
        {R"({"target_user_id": "u", "expiry_minutes": "30"})", "expiry_minutes must be an integer between 1 and 10080"},
        {R"({"target_user_id": 7})", "target_user_id must be a string"},
        {R"({"target_user_id": "u", "callback_url": "ftp://x.example/"})",
         "callback_url must be an absolute https:// URL with a host and no user name or password"},
        {R"([1, 2])", "Request body must be a JSON object"},
        {R"({"target_user_id": )", "Request body must be a JSON object"},
    };
    for (auto [body, message] : cases) {
        auto r = create(body);
        EXPECT_EQ(r.status, 400u) << body;
        EXPECT_EQ(error_of(r), message) << body;
    }
    EXPECT_EQ(count_rows("SELECT count(*) FROM challenges"), 0);
    EXPECT_EQ(count_rows("SELECT count(*) FROM audit_events"), 0);
}

TEST_F(api_e2e, says_slack_is_not_configured_for_a_slack_challenge) {
    auto r = create(R"({"integration_type": "slack", "target_user_id": "U05678EFGH"})");
    EXPECT_EQ(r.status, 400u);
    EXPECT_EQ(error_of(r), "Slack is not configured for this tenant");
}

TEST_F(api_e2e, refuses_bodies_that_are_not_json_or_too_large) {
    auto form = call(verb::post, "/api/v1/challenges", "target_user_id=u",
                     {{"X-API-Key", api_key_}, {"Content-Type", "application/x-www-form-urlencoded"}});
    EXPECT_EQ(form.status, 415u);
    EXPECT_EQ(error_of(form), "Content-Type must be application/json");
    auto huge = create(R"({"target_user_id": "u", "context": ")" + std::string(70 * 1024, 'x') + R"("})");
    EXPECT_EQ(huge.status, 413u);
    EXPECT_FALSE(error_of(huge).empty());
    EXPECT_EQ(count_rows("SELECT count(*) FROM challenges"), 0);
}

TEST_F(api_e2e, answers_unknown_routes_and_wrong_methods_in_the_error_shape) {
    auto missing = call(verb::get, "/api/v1/nothing-here", {}, {{"X-API-Key", api_key_}});
    EXPECT_EQ(missing.status, 404u);
    EXPECT_FALSE(error_of(missing).empty());
    auto wrong = call(verb::delete_, "/api/v1/challenges", {}, {{"X-API-Key", api_key_}});
    EXPECT_EQ(wrong.status, 405u);
    EXPECT_FALSE(error_of(wrong).empty());
    EXPECT_NE(wrong.header("Allow").find("POST"), std::string::npos);
}

TEST_F(api_e2e, cancels_a_live_challenge_once) {
    const std::string id(json_of(create(R"({"target_user_id": "u"})")).at("challenge_id").as_string());
    auto first = call(verb::post, "/api/v1/challenges/" + id + "/cancel", {}, {{"X-API-Key", api_key_}});
    ASSERT_EQ(first.status, 200u) << first.body;
    EXPECT_EQ(json_of(first).at("status").as_string(), "failed");
    EXPECT_EQ(json_of(first).at("failure_reason").as_string(), "canceled");
    EXPECT_FALSE(json_of(first).at("completed_at").is_null());
    auto again = call(verb::post, "/api/v1/challenges/" + id + "/cancel", {}, {{"X-API-Key", api_key_}});
    EXPECT_EQ(again.status, 409u);
    EXPECT_EQ(error_of(again), "Challenge has already finished");
}

TEST_F(api_e2e, lists_newest_first_in_pages_and_by_status) {
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i)
        ids.emplace_back(json_of(create(R"({"target_user_id": "u)" + std::to_string(i) + R"("})")).at("challenge_id").as_string());
    call(verb::post, "/api/v1/challenges/" + ids[1] + "/cancel", {}, {{"X-API-Key", api_key_}});

    std::vector<std::string> seen;
    std::string path = "/api/v1/challenges?limit=2";
    for (int page = 0; page < 5; ++page) {
        auto body = json_of(call(verb::get, path, {}, {{"X-API-Key", api_key_}}));
        for (const auto& c : body.at("challenges").as_array()) seen.emplace_back(c.at("challenge_id").as_string());
        if (body.at("next_cursor").is_null()) break;
        path = "/api/v1/challenges?limit=2&cursor=" + std::string(body.at("next_cursor").as_string());
    }
    EXPECT_EQ(seen, std::vector<std::string>(ids.rbegin(), ids.rend()));

    auto failed = json_of(call(verb::get, "/api/v1/challenges?status=failed", {}, {{"X-API-Key", api_key_}}));
    ASSERT_EQ(failed.at("challenges").as_array().size(), 1u);
    EXPECT_EQ(failed.at("challenges").as_array()[0].at("challenge_id").as_string(), ids[1]);
    auto bad = call(verb::get, "/api/v1/challenges?status=done", {}, {{"X-API-Key", api_key_}});
    EXPECT_EQ(bad.status, 400u);
}

TEST_F(api_e2e, replays_an_idempotent_create_and_refuses_a_changed_body) {
    const std::string body = R"({"target_user_email": "bob@example.com"})";
    auto first = create(body, {{"Idempotency-Key", "order-42"}});
    ASSERT_EQ(first.status, 201u);
    auto second = create(body, {{"Idempotency-Key", "order-42"}});
    EXPECT_EQ(second.status, 201u);
    EXPECT_EQ(second.body, first.body);
    EXPECT_EQ(second.header("Idempotent-Replayed"), "true");
    EXPECT_EQ(count_rows("SELECT count(*) FROM challenges"), 1);

    auto changed = create(R"({"target_user_email": "eve@example.com"})", {{"Idempotency-Key", "order-42"}});
    EXPECT_EQ(changed.status, 422u);
    EXPECT_EQ(count_rows("SELECT count(*) FROM challenges"), 1);
    auto invalid = create(body, {{"Idempotency-Key", std::string(300, 'k')}});
    EXPECT_EQ(invalid.status, 400u);
}

TEST_F(api_e2e, answers_a_conflict_while_the_same_request_is_still_running) {
    const std::string body = R"({"target_user_email": "bob@example.com"})";
    // A claim held by a request still in flight elsewhere (another instance, same key and body).
    const auto fingerprint = crypto::sha256_hex("POST /api/v1/challenges\n" + body);
    chal::testing::run(io_, db_->execute_unprepared(
                          "INSERT INTO idempotency_keys (tenant_id, api_key_hash, key, request_fingerprint, created_at, claimed_until) "
                          "SELECT tenant_id, key_hash, 'busy-key', '" + fingerprint + "', now(), now() + interval '1 minute' FROM api_keys"));
    auto r = create(body, {{"Idempotency-Key", "busy-key"}});
    EXPECT_EQ(r.status, 409u);
    EXPECT_EQ(count_rows("SELECT count(*) FROM challenges"), 0);
}

TEST_F(api_e2e, limits_each_key_and_says_when_to_retry) {
    auto config = e2e::test_config();
    config.api.per_key_limit = {.per_second = 0.5, .burst = 3};
    start_service(config);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(create(R"({"target_user_id": "u"})").status, 201u);
    auto limited = create(R"({"target_user_id": "u"})");
    EXPECT_EQ(limited.status, 429u);
    EXPECT_GE(std::stoi(limited.header("Retry-After")), 1);
    EXPECT_FALSE(error_of(limited).empty());
    // Another key is not held back by the first one's bucket.
    auto other = call(verb::get, "/api/v1/challenges", {}, {{"X-API-Key", make_tenant("Initech")}});
    EXPECT_EQ(other.status, 200u);
}

// A flood of made-up keys used to cost a database lookup each, unthrottled (the per-key limit
// only ever saw new keys). Failed authentications are now counted per client address and
// checked before any lookup; good keys never spend them.
TEST_F(api_e2e, made_up_keys_are_throttled_by_client_address_before_they_are_looked_up) {
    auto config = e2e::test_config();
    config.api.failed_auth_per_address = {.per_second = 0.01, .burst = 5};
    start_service(config);
    for (int i = 0; i < 10; ++i)
        ASSERT_EQ(call(verb::get, "/api/v1/challenges", {}, {{"X-API-Key", api_key_}}).status, 200u);
    for (int i = 0; i < 5; ++i)
        EXPECT_EQ(call(verb::get, "/api/v1/challenges", {}, {{"X-API-Key", "chk_made_up_" + std::to_string(i)}}).status, 401u);

    auto refused = call(verb::get, "/api/v1/challenges", {}, {{"X-API-Key", "chk_made_up_again"}});
    EXPECT_EQ(refused.status, 429u);
    EXPECT_GE(std::stoi(refused.header("Retry-After")), 1);
    // Every route counts, and an X-Forwarded-For from a peer that is not our proxy names no one else.
    EXPECT_EQ(call(verb::get, "/api/v1/challenges/0190a8e5-0000-7000-8000-000000000001", {},
                   {{"X-API-Key", "chk_other"}, {"X-Forwarded-For", "198.51.100.1"}})
                  .status,
              429u);
    EXPECT_EQ(call(verb::post, "/api/v1/challenges", "{}", {{"X-Forwarded-For", "203.0.113.5"}}).status, 429u);
    // The address's own good key is held back with it (the address is what is throttled).
    EXPECT_EQ(call(verb::get, "/api/v1/challenges", {}, {{"X-API-Key", api_key_}}).status, 429u);
    EXPECT_NE(call(verb::get, "/metrics").body.find("challenge_api_throttled_total{by=\"address\"} 4\n"), std::string::npos);
}

TEST_F(api_e2e, a_revoked_key_stops_working_once_the_node_cache_lapses) {
    auto config = e2e::test_config();
    config.api.principal_cache_ttl = std::chrono::milliseconds{300};
    start_service(config);
    ASSERT_EQ(call(verb::get, "/api/v1/challenges", {}, {{"X-API-Key", api_key_}}).status, 200u);
    EXPECT_EQ(count_rows("WITH r AS (UPDATE api_keys SET revoked_at = now() RETURNING 1) SELECT count(*) FROM r"), 1);
    const auto revoked = std::chrono::steady_clock::now();
    EXPECT_TRUE(eventually([&] {
        return call(verb::get, "/api/v1/challenges", {}, {{"X-API-Key", api_key_}}).status == 401u;
    }, std::chrono::seconds{5}));
    // The cache may serve the old answer for its TTL, never much longer.
    EXPECT_LT(std::chrono::steady_clock::now() - revoked, std::chrono::milliseconds{300 + 3000});
    EXPECT_EQ(create(R"({"target_user_id": "u"})").status, 401u);
}

TEST_F(api_e2e, without_the_cache_a_revoked_key_is_refused_at_once) {
    auto config = e2e::test_config();
    config.api.principal_cache_ttl = std::chrono::milliseconds{0};
    start_service(config);
    ASSERT_EQ(create(R"({"target_user_id": "u"})").status, 201u);
    EXPECT_EQ(count_rows("WITH r AS (UPDATE api_keys SET revoked_at = now() RETURNING 1) SELECT count(*) FROM r"), 1);
    EXPECT_EQ(create(R"({"target_user_id": "u"})").status, 401u);
}

TEST_F(api_e2e, expires_lapsed_challenges_within_seconds_and_reads_them_as_expired) {
    const std::string id(json_of(create(R"({"target_user_id": "u", "expiry_minutes": 1})")).at("challenge_id").as_string());
    clock_.advance(std::chrono::seconds{61});
    EXPECT_TRUE(eventually([&] { return count_rows("SELECT count(*) FROM challenges WHERE status = 'expired'") == 1; },
                           std::chrono::seconds{5}));
    auto body = json_of(get_status(id));
    EXPECT_EQ(body.at("status").as_string(), "expired");
    EXPECT_TRUE(body.at("is_expired").as_bool());
    EXPECT_EQ(body.at("completed_at"), body.at("expires_at"));
}

TEST_F(api_e2e, serves_health_readiness_metrics_and_the_openapi_document) {
    EXPECT_EQ(call(verb::get, "/healthz").status, 200u);
    EXPECT_EQ(call(verb::get, "/readyz").status, 200u);
    create(R"({"target_user_id": "u"})");
    auto metrics = call(verb::get, "/metrics");
    EXPECT_EQ(metrics.status, 200u);
    EXPECT_NE(metrics.body.find("challenge_http_requests_total{route=\"challenges.create\",method=\"POST\",status=\"201\"} 1"),
              std::string::npos) << metrics.body;
    EXPECT_NE(metrics.body.find("challenge_webhook_queue_depth{state=\"pending\"}"), std::string::npos);
    EXPECT_NE(metrics.body.find("challenge_webhook_oldest_unfinished_age_seconds"), std::string::npos);
    auto openapi = call(verb::get, "/api/v1/openapi.json");
    EXPECT_EQ(openapi.status, 200u);
    EXPECT_EQ(json_of(openapi).at("openapi").as_string().subview(0, 3), "3.1");
}

TEST_F(api_e2e, echoes_a_request_id_for_log_correlation) {
    auto r = call(verb::get, "/healthz", {}, {{"X-Request-Id", "trace-abc.123"}});
    EXPECT_EQ(r.header("X-Request-Id"), "trace-abc.123");
}
