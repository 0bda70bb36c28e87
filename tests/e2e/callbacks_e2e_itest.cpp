// Callbacks end to end: a challenge ends over the API, the service signs and sends its callback
// to a loopback receiver that misbehaves on cue, and the published guide's own verifiers (and
// an independent Standard Webhooks check) accept what arrives.
#include "app/crypto/crypto.hpp"
#include "storage/delivery_store.hpp"
#include "tests/e2e/cli_runner.hpp"
#include "tests/e2e/service_fixture.hpp"
#include "tests/support/run.hpp"

#include <boost/json/parse.hpp>

#include <cstdio>
#include <fstream>

using namespace chal;
using boost::beast::http::verb;
using chal::testing::receiver_behaviour;

namespace {

int run_with_stdin(const std::string& command, const std::string& input) {
    char path[] = "/tmp/chal-e2e-XXXXXX";
    const int fd = mkstemp(path);
    if (fd < 0) return -1;
    {
        std::ofstream out(path, std::ios::binary);
        out << input;
    }
    close(fd);
    const int status = std::system((command + " < " + path).c_str());
    std::remove(path);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

const std::string source_dir = CHAL_SOURCE_DIR;

// The guide's Python verify_webhook_signature, as published.
bool python_guide_accepts(const std::string& body, const std::string& header) {
    return run_with_stdin("python3 " + source_dir + "/tests/e2e_node/guide_verifier.py '" + e2e::test_webhook_secret +
                              "' '" + header + "'",
                          body) == 0;
}

// The guide's Node.js verifyWebhookSignature, as published.
bool node_guide_accepts(const std::string& body, const std::string& header) {
    const std::string script =
        "import('" + source_dir + "/tests/e2e_node/guide_verifiers.mjs').then(async (m) => {"
        " const chunks = []; for await (const c of process.stdin) chunks.push(c);"
        " process.exit(m.verifyWebhookSignature(Buffer.concat(chunks), process.argv[1], process.argv[2]) ? 0 : 1); })";
    return run_with_stdin("cd " + source_dir + "/tests && node -e \"" + script + "\" '" + header + "' '" +
                              e2e::test_webhook_secret + "'",
                          body) == 0;
}

// Standard Webhooks v1 checked with Python's hmac, not our code: HMAC-SHA256 over
// "id.timestamp.body" keyed with the secret's bytes, base64.
bool standard_webhooks_accepts(const std::string& body, const std::string& id, const std::string& ts,
                               const std::string& signature) {
    const std::string script =
        "import base64,hmac,hashlib,sys; body=sys.stdin.buffer.read(); "
        "mac=base64.b64encode(hmac.new(sys.argv[1].encode(), (sys.argv[2]+'.'+sys.argv[3]+'.').encode()+body, "
        "hashlib.sha256).digest()).decode(); "
        "sys.exit(0 if any(hmac.compare_digest('v1,'+mac, s) for s in sys.argv[4].split(' ')) else 1)";
    return run_with_stdin("python3 -c \"" + script + "\" '" + e2e::test_webhook_secret + "' '" + id + "' '" + ts + "' '" +
                              signature + "'",
                          body) == 0;
}

}  // namespace

class callbacks_e2e : public e2e::service_test {
protected:
    std::string create_with_callback(const std::string& url, const std::string& extra = "") {
        auto r = create(R"({"target_user_id": "user123", "context": "Access request", "callback_url": ")" + url + "\"" +
                        extra + "}");
        EXPECT_EQ(r.status, 201u) << r.body;
        return std::string(boost::json::parse(r.body).at("challenge_id").as_string());
    }
    void cancel(const std::string& id) {
        auto r = call(verb::post, "/api/v1/challenges/" + id + "/cancel", {}, {{"X-API-Key", api_key_}});
        EXPECT_EQ(r.status, 200u) << r.body;
    }
    std::string delivery_state(const std::string& challenge_id) {
        auto rows = chal::testing::run(io_, db_->execute_unprepared("SELECT state FROM webhook_deliveries WHERE challenge_id = '" +
                                                               challenge_id + "'"));
        return rows.size() ? rows[0].get<std::string>(0) : "";
    }
    std::int64_t attempts_of(const std::string& challenge_id) {
        return count_rows("SELECT count(*) FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id "
                          "WHERE d.challenge_id = '" + challenge_id + "'");
    }
    std::string last_error_of(const std::string& challenge_id) {
        auto rows = chal::testing::run(io_, db_->execute_unprepared(
                                          "SELECT coalesce(last_error, '') FROM webhook_deliveries WHERE challenge_id = '" +
                                          challenge_id + "'"));
        return rows.size() ? rows[0].get<std::string>(0) : "";
    }
};

TEST_F(callbacks_e2e, a_signed_callback_is_accepted_by_the_guides_verifiers) {
    const auto id = create_with_callback(receiver_->url("/webhook/callback"));
    cancel(id);
    ASSERT_TRUE(wait_for_callbacks(1));
    const auto request = receiver_->requests()[0];
    EXPECT_EQ(request.method, "POST");
    EXPECT_EQ(request.target, "/webhook/callback");
    EXPECT_EQ(request.header("Content-Type"), "application/json");

    const std::string signature(request.header("X-Webhook-Signature").value_or(""));
    EXPECT_EQ(signature.rfind("sha256=", 0), 0u);
    EXPECT_TRUE(python_guide_accepts(request.body, signature));
    EXPECT_TRUE(node_guide_accepts(request.body, signature));
    EXPECT_FALSE(python_guide_accepts(request.body + " ", signature));  // the check can fail

    const std::string webhook_id(request.header("webhook-id").value_or(""));
    const std::string timestamp(request.header("webhook-timestamp").value_or(""));
    EXPECT_EQ(webhook_id.rfind("msg_", 0), 0u);
    EXPECT_NEAR(std::stod(timestamp), static_cast<double>(clock_.now().time_since_epoch().count()), 30);
    EXPECT_TRUE(standard_webhooks_accepts(request.body, webhook_id, timestamp,
                                          std::string(request.header("webhook-signature").value_or(""))));

    auto body = boost::json::parse(request.body).as_object();
    EXPECT_EQ(body.at("event_type").as_string(), "challenge.completed");
    EXPECT_EQ(body.at("challenge_id").as_string(), id);
    EXPECT_EQ(body.at("status").as_string(), "failed");
    EXPECT_EQ(body.at("failure_reason").as_string(), "canceled");
    EXPECT_EQ(body.at("target_user_id").as_string(), "user123");
    EXPECT_EQ(body.at("context").as_string(), "Access request");
    EXPECT_TRUE(eventually([&] { return delivery_state(id) == "delivered"; }));
}

TEST_F(callbacks_e2e, uses_the_integration_default_when_the_request_names_no_url) {
    api_key_ = make_tenant("Defaults Inc", receiver_->url("/default"));
    auto r = create(R"({"target_user_id": "u"})");
    const std::string id(boost::json::parse(r.body).at("challenge_id").as_string());
    cancel(id);
    ASSERT_TRUE(wait_for_callbacks(1));
    EXPECT_EQ(receiver_->requests()[0].target, "/default");
}

TEST_F(callbacks_e2e, sends_nothing_without_a_callback_url) {
    const std::string id(boost::json::parse(create(R"({"target_user_id": "u"})").body).at("challenge_id").as_string());
    cancel(id);
    EXPECT_EQ(count_rows("SELECT count(*) FROM webhook_deliveries"), 0);
}

TEST_F(callbacks_e2e, retries_after_a_server_error_with_the_same_id_and_body) {
    receiver_->script({receiver_behaviour::respond(500)});
    const auto id = create_with_callback(receiver_->url("/hook"));
    cancel(id);
    ASSERT_TRUE(wait_for_callbacks(1));
    ASSERT_TRUE(eventually([&] { return delivery_state(id) == "pending"; }));
    clock_.advance(std::chrono::seconds{10});  // past the 5 s (+-20 %) second step
    ASSERT_TRUE(wait_for_callbacks(2));
    const auto requests = receiver_->requests();
    EXPECT_EQ(requests[0].header("webhook-id"), requests[1].header("webhook-id"));
    EXPECT_EQ(requests[0].body, requests[1].body);
    EXPECT_TRUE(eventually([&] { return delivery_state(id) == "delivered"; }));
    EXPECT_EQ(attempts_of(id), 2);
}

TEST_F(callbacks_e2e, gives_up_an_attempt_that_stalls_past_ten_seconds) {
    receiver_->script({receiver_behaviour::stall()});
    const auto id = create_with_callback(receiver_->url("/slow"));
    const auto started = std::chrono::steady_clock::now();
    cancel(id);
    ASSERT_TRUE(eventually([&] { return attempts_of(id) == 1; }, std::chrono::seconds{20}));
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_GE(took, std::chrono::seconds{10});
    EXPECT_LT(took, std::chrono::seconds{14});
    EXPECT_EQ(last_error_of(id), "timeout");
    EXPECT_EQ(count_rows("SELECT count(*) FROM webhook_deliveries WHERE state = 'pending' AND "
                         "next_attempt_at >= (SELECT started_at FROM webhook_attempts) + interval '60 seconds'"),
              1);  // an overloaded receiver is left alone for at least a minute
    clock_.advance(std::chrono::seconds{90});
    ASSERT_TRUE(wait_for_callbacks(2));
    EXPECT_TRUE(eventually([&] { return delivery_state(id) == "delivered"; }));
}

TEST_F(callbacks_e2e, retries_when_the_receiver_closes_mid_response) {
    receiver_->script({receiver_behaviour::close_mid_response()});
    const auto id = create_with_callback(receiver_->url("/flaky"));
    cancel(id);
    ASSERT_TRUE(eventually([&] { return attempts_of(id) == 1; }));
    const auto error = last_error_of(id);
    EXPECT_TRUE(error == "connection_closed" || error == "protocol_error") << error;
    clock_.advance(std::chrono::seconds{10});
    EXPECT_TRUE(eventually([&] { return delivery_state(id) == "delivered"; }));
}

TEST_F(callbacks_e2e, stops_for_good_on_410_gone) {
    receiver_->script({receiver_behaviour::respond(410)});
    const auto id = create_with_callback(receiver_->url("/gone"));
    cancel(id);
    ASSERT_TRUE(eventually([&] { return delivery_state(id) == "gone"; }));
    clock_.advance(std::chrono::hours{100});
    EXPECT_FALSE(chal::testing::run(io_, receiver_->wait_for_requests(2, std::chrono::steady_clock::now() + std::chrono::seconds{1})));
    EXPECT_EQ(attempts_of(id), 1);
}

TEST_F(callbacks_e2e, honours_retry_after_on_429) {
    receiver_->script({receiver_behaviour::respond(429, {{"Retry-After", "120"}})});
    const auto id = create_with_callback(receiver_->url("/busy"));
    cancel(id);
    ASSERT_TRUE(eventually([&] { return delivery_state(id) == "pending" && attempts_of(id) == 1; }));
    EXPECT_EQ(count_rows("SELECT count(*) FROM webhook_deliveries WHERE next_attempt_at >= "
                         "(SELECT started_at FROM webhook_attempts) + interval '120 seconds'"),
              1);
}

TEST_F(callbacks_e2e, never_follows_a_redirect) {
    receiver_->script({receiver_behaviour::respond(301, {{"Location", receiver_->url("/elsewhere")}})});
    const auto id = create_with_callback(receiver_->url("/moved"));
    cancel(id);
    ASSERT_TRUE(eventually([&] { return attempts_of(id) == 1 && delivery_state(id) == "pending"; }));
    EXPECT_EQ(receiver_->requests().size(), 1u);
    EXPECT_EQ(last_error_of(id), "http_status");
}

TEST_F(callbacks_e2e, refuses_internal_and_metadata_targets_when_the_challenge_is_created) {
    for (const std::string url : {"http://169.254.169.254/latest/meta-data", "http://0xa9fea9fe/latest/meta-data",
                                  "http://10.1.2.3/hook", "http://012.1.2.3/hook", "http://[::ffff:169.254.169.254]/hook",
                                  "http://100.64.0.1/hook", "http://168.63.129.16/machine"}) {
        auto r = create(R"({"target_user_id": "user123", "callback_url": ")" + url + "\"}");
        EXPECT_EQ(r.status, 400u) << url;
        EXPECT_EQ(boost::json::parse(r.body).at("error").as_string(),
                  "callback_url must not point at a loopback, private, link-local or other non-public address")
            << url;
    }
    EXPECT_EQ(count_rows("SELECT count(*) FROM challenges"), 0);
}

TEST_F(callbacks_e2e, refuses_a_stored_internal_target_again_before_connecting) {
    // An integration's default URL stored before URLs were vetted on the way in.
    api_key_ = make_tenant("Legacy", std::string("http://169.254.169.254/latest/meta-data"));
    auto r = create(R"({"target_user_id": "user123"})");
    ASSERT_EQ(r.status, 201u) << r.body;
    const std::string id(boost::json::parse(r.body).at("challenge_id").as_string());
    cancel(id);
    EXPECT_TRUE(eventually([&] { return attempts_of(id) == 1; }));
    EXPECT_EQ(last_error_of(id), "forbidden_address");
}

TEST_F(callbacks_e2e, judges_a_host_name_by_what_it_resolves_to_at_every_send) {
    auto config = e2e::test_config();
    config.outbound.address_policy.allow_loopback = false;
    start_service(config);
    // A name is accepted when stored (DNS may change before the send)...
    const auto id = create_with_callback("http://localhost:" + std::to_string(receiver_->port()) + "/hook");
    cancel(id);
    // ...and refused at the send, when it resolves to loopback; the receiver hears nothing.
    EXPECT_TRUE(eventually([&] { return attempts_of(id) == 1; }));
    EXPECT_EQ(last_error_of(id), "forbidden_address");
    EXPECT_TRUE(receiver_->requests().empty());
    // The same receiver by its loopback literal is refused at once.
    auto literal = create(R"({"target_user_id": "u", "callback_url": ")" + receiver_->url("/hook") + "\"}");
    EXPECT_EQ(literal.status, 400u) << literal.body;
}

TEST_F(callbacks_e2e, keeps_a_receivers_answer_in_the_attempt_log_as_utf8_text) {
    receiver_->script({receiver_behaviour::respond(500, {}, "Zugriff verweigert \xE2\x80\x93 Gr\xC3\xB6\xC3\x9F" "e\xFF\x1b\n")});
    const auto id = create_with_callback(receiver_->url("/hook"));
    cancel(id);
    ASSERT_TRUE(eventually([&] { return attempts_of(id) == 1; }));
    auto rows = chal::testing::run(io_, db_->execute_unprepared(
                                      "SELECT a.response_snippet FROM webhook_attempts a JOIN webhook_deliveries d "
                                      "ON d.id = a.delivery_id WHERE d.challenge_id = '" + id + "'"));
    ASSERT_EQ(rows.size(), 1u);
    // Non-ASCII text survives; an invalid byte is U+FFFD; a control character is gone.
    EXPECT_EQ(rows[0].get<std::string>(0), "Zugriff verweigert \xE2\x80\x93 Gr\xC3\xB6\xC3\x9F" "e\xEF\xBF\xBD\n");
}

TEST_F(callbacks_e2e, an_unusable_stored_secret_is_a_recorded_failure_not_an_endless_retry) {
    // Stored before secrets were checked on the way in: "whsec_" and no base64 after it.
    api_key_ = make_tenant("Malformed secret", std::nullopt, std::string("whsec_="));
    const auto id = create_with_callback(receiver_->url("/hook"));
    cancel(id);
    ASSERT_TRUE(eventually([&] { return attempts_of(id) == 1; }));
    EXPECT_EQ(last_error_of(id), "secret_unusable");
    EXPECT_EQ(delivery_state(id), "pending");  // the retry schedule runs its course, like any failure
    EXPECT_TRUE(receiver_->requests().empty());
}

TEST_F(callbacks_e2e, a_stalled_receiver_holds_at_most_eight_attempts_and_delays_no_one_else) {
    receiver_->set_default(receiver_behaviour::stall());
    std::vector<std::string> stalled;
    for (int i = 0; i < 12; ++i) stalled.push_back(create_with_callback(receiver_->url("/stuck")));
    for (const auto& id : stalled) cancel(id);
    ASSERT_TRUE(wait_for_callbacks(8));

    auto& healthy = *extra_receivers_.emplace_back(std::make_unique<chal::testing::webhook_receiver>(io_.get_executor()));
    const auto id = create_with_callback(healthy.url("/fine"));
    cancel(id);
    const auto started = std::chrono::steady_clock::now();
    EXPECT_TRUE(chal::testing::run(io_, healthy.wait_for_requests(1, started + std::chrono::seconds{3})));
    EXPECT_LE(receiver_->requests().size(), 8u);
    EXPECT_LE(receiver_->connections_accepted(), 8u);
}

// The issue's finding in small: one tenant's callbacks go to more stalling receivers than the
// instance has attempts in flight. With a budget per tenant, another tenant's callback still
// goes out at once instead of waiting for a timeout.
TEST_F(callbacks_e2e, a_tenant_whose_receivers_all_stall_leaves_other_tenants_their_capacity) {
    using namespace std::chrono_literals;
    auto config = e2e::test_config();
    config.deliveries.fast = {.max_in_flight = 8, .max_per_tenant = 4, .max_per_endpoint = 2, .attempt_timeout = 10s};
    start_service(config);
    std::vector<std::unique_ptr<chal::testing::webhook_receiver>> stalled;
    for (int r = 0; r < 6; ++r) {
        stalled.push_back(std::make_unique<chal::testing::webhook_receiver>(io_.get_executor()));
        stalled.back()->set_default(receiver_behaviour::stall());
        for (int i = 0; i < 2; ++i) cancel(create_with_callback(stalled.back()->url("/stuck")));
    }
    const auto stalled_requests = [&] {
        std::size_t n = 0;
        for (const auto& r : stalled) n += r->requests().size();
        return n;
    };
    ASSERT_TRUE(eventually([&] { return stalled_requests() >= 4; }, std::chrono::seconds{5}));

    api_key_ = make_tenant("Other Inc");
    auto healthy = std::make_unique<chal::testing::webhook_receiver>(io_.get_executor());
    const auto id = create_with_callback(healthy->url("/fine"));
    cancel(id);
    const auto started = std::chrono::steady_clock::now();
    EXPECT_TRUE(chal::testing::run(io_, healthy->wait_for_requests(1, started + 2s)))
        << "another tenant's stalled receivers delayed this callback";
    EXPECT_EQ(stalled_requests(), 4u) << "the stalling tenant kept to its share";
    for (auto& r : stalled) r->stop();
}

// Timeouts move an endpoint to the slow lane (visible in /metrics and the CLI); a success there
// moves it back.
TEST_F(callbacks_e2e, the_breaker_opens_after_timeouts_and_closes_after_a_success) {
    using namespace std::chrono_literals;
    auto config = e2e::test_config();
    config.deliveries.fast.attempt_timeout = 1s;
    config.deliveries.slow.attempt_timeout = 1s;
    config.deliveries.breaker = {.trip_after_timeouts = 2, .hold = 300s};
    start_service(config);
    receiver_->set_default(receiver_behaviour::stall());
    const auto first = create_with_callback(receiver_->url("/slow"));
    const auto second = create_with_callback(receiver_->url("/slow"));
    cancel(first);
    cancel(second);
    ASSERT_TRUE(eventually([&] { return attempts_of(first) == 1 && attempts_of(second) == 1; }, std::chrono::seconds{10}));
    const auto metric_has = [&](const std::string& line) {
        return call(verb::get, "/metrics").body.find(line + "\n") != std::string::npos;
    };
    EXPECT_TRUE(eventually([&] { return metric_has("challenge_webhook_slow_endpoints 1"); }));
    EXPECT_TRUE(metric_has("challenge_webhook_breaker_moves_total{to=\"slow\"} 1"));
    const std::string endpoint = "http://127.0.0.1:" + std::to_string(receiver_->port());
    auto listed = e2e::run_challenge({"deliveries", "endpoints", "--slow", "--json"});
    ASSERT_EQ(listed.exit_code, 0) << e2e::describe(listed);
    auto endpoints = e2e::last_json_line(listed.out).at("endpoints").as_array();
    ASSERT_EQ(endpoints.size(), 1u) << listed.out;
    EXPECT_EQ(endpoints[0].at("endpoint").as_string(), endpoint);
    EXPECT_EQ(endpoints[0].at("lane").as_string(), "slow");
    EXPECT_EQ(endpoints[0].at("consecutive_timeouts").as_int64(), 2);

    receiver_->set_default(receiver_behaviour::respond(200));
    clock_.advance(std::chrono::seconds{90});  // past the overload delay (60 s, +-20 %)
    EXPECT_TRUE(eventually([&] { return delivery_state(first) == "delivered" && delivery_state(second) == "delivered"; }));
    EXPECT_TRUE(eventually([&] { return metric_has("challenge_webhook_slow_endpoints 0"); }));
    EXPECT_TRUE(metric_has("challenge_webhook_breaker_moves_total{to=\"fast\"} 1"));
    listed = e2e::run_challenge({"deliveries", "endpoints", "--json"});
    endpoints = e2e::last_json_line(listed.out).at("endpoints").as_array();
    ASSERT_EQ(endpoints.size(), 1u) << listed.out;
    EXPECT_EQ(endpoints[0].at("lane").as_string(), "fast");
    EXPECT_EQ(endpoints[0].at("consecutive_timeouts").as_int64(), 0);
}

TEST_F(callbacks_e2e, an_operator_can_redeliver_with_the_same_webhook_id) {
    const auto id = create_with_callback(receiver_->url("/again"));
    cancel(id);
    ASSERT_TRUE(wait_for_callbacks(1));
    ASSERT_TRUE(eventually([&] { return delivery_state(id) == "delivered"; }));
    storage::delivery_store deliveries(*db_);
    auto listed = chal::testing::run(io_, deliveries.list(std::nullopt, std::string("delivered"), 10));
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_TRUE(chal::testing::run(io_, deliveries.redeliver(listed[0].id, clock_.now())));
    ASSERT_TRUE(wait_for_callbacks(2));
    const auto requests = receiver_->requests();
    EXPECT_EQ(requests[0].header("webhook-id"), requests[1].header("webhook-id"));
    auto attempts = chal::testing::run(io_, deliveries.attempts(listed[0].id));
    ASSERT_TRUE(eventually([&] { return chal::testing::run(io_, deliveries.attempts(listed[0].id)).size() == 2; }));
    attempts = chal::testing::run(io_, deliveries.attempts(listed[0].id));
    EXPECT_EQ(attempts[1].trigger, "manual");
}

TEST_F(callbacks_e2e, an_expired_challenge_sends_its_callback) {
    const auto id = create_with_callback(receiver_->url("/expired"), R"(, "expiry_minutes": 1)");
    clock_.advance(std::chrono::seconds{61});
    ASSERT_TRUE(wait_for_callbacks(1));
    auto body = boost::json::parse(receiver_->requests()[0].body).as_object();
    EXPECT_EQ(body.at("status").as_string(), "expired");
    EXPECT_EQ(body.at("challenge_id").as_string(), id);
    EXPECT_EQ(body.at("completed_at"), body.at("expires_at"));
}
