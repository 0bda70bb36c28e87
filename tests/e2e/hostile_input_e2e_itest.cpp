// Inputs that used to break the service or make it believe something untrue, sent over real
// HTTP to the whole service (and, for the CLI, to the real binary): text that is not UTF-8 or is
// cut inside a character, padded cursors, NUL characters, numeric loopback callback URLs,
// unusable webhook secrets, one integration's Idempotency-Key replayed to another, and
// X-Forwarded-For spread over several header lines.
#include "api/api_keys.hpp"
#include "app/crypto/crypto.hpp"
#include "storage/tenant_store.hpp"
#include "storage/verification_store.hpp"
#include "tests/e2e/cli_runner.hpp"
#include "tests/e2e/service_fixture.hpp"
#include "tests/support/run.hpp"

#include <boost/json/parse.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

using namespace chal;
using boost::beast::http::verb;

namespace {

std::string repeated(std::string_view piece, int times) {
    std::string out;
    for (int i = 0; i < times; ++i) out += piece;
    return out;
}

std::string form_value(std::string_view text) {
    return boost::urls::encode(text, boost::urls::unreserved_chars);
}

std::string error_of(const e2e::http_reply& r) {
    return std::string(boost::json::parse(r.body).at("error").as_string());
}

}  // namespace

class hostile_input_e2e : public e2e::service_test {
protected:
    std::string scalar(const std::string& sql) {
        auto rows = chal::testing::run(io_, db_->execute_unprepared(sql));
        return rows.size() && !rows[0].is_null(0) ? rows[0].get<std::string>(0) : "";
    }

    std::string challenge_id_of(const e2e::http_reply& created) {
        EXPECT_EQ(created.status, 201u) << created.body;
        return std::string(boost::json::parse(created.body).at("challenge_id").as_string());
    }

    // The target's browser: the cookie the link sets, and the CSRF token of a form of `page`.
    struct browser {
        std::string cookie;
        std::string csrf;
    };
    browser open_form(const std::string& id, const std::string& page_suffix) {
        auto start = call(verb::get, "/challenge/start/" + id);
        EXPECT_EQ(start.status, 200u) << start.body;
        browser b;
        const auto set_cookie = start.header("Set-Cookie");
        b.cookie = set_cookie.substr(0, set_cookie.find(';'));
        auto page = call(verb::get, "/challenge/start/" + id + page_suffix, {}, {{"Cookie", b.cookie}});
        constexpr std::string_view marker = R"(name="csrf" value=")";
        const auto at = page.body.find(marker);
        EXPECT_NE(at, std::string::npos) << page.body;
        if (at != std::string::npos) {
            const auto from = at + marker.size();
            b.csrf = page.body.substr(from, page.body.find('"', from) - from);
        }
        return b;
    }

    std::string tenant_of_key(const std::string& key) {
        return scalar("SELECT tenant_id::text FROM api_keys WHERE key_hash = '\\x" +
                      crypto::hex_encode(crypto::sha256(key)) + "'");
    }

    // Another webhook integration of the same tenant, with its own API key.
    std::string second_integration_key(const std::string& tenant_id) {
        storage::tenant_store tenants(*db_);
        const auto integration_id = crypto::new_uuid_v7(std::chrono::system_clock::now());
        auto key = api::issue_api_key();
        chal::testing::run(io_, tenants.create_integration({integration_id, tenant_id, "webhook", "SOAR", std::nullopt,
                                                      std::nullopt},
                                                     key.stored));
        return key.key;
    }
};

// --- text ---------------------------------------------------------------------------------

TEST_F(hostile_input_e2e, an_incident_report_in_cyrillic_is_recorded_cut_on_a_character_boundary) {
    const auto id = challenge_id_of(create(R"({"target_user_email": "alice@example.com"})"));
    const auto b = open_form(id, "/report");
    // "a" and 1,000 Cyrillic letters: 2,001 bytes, one more than is kept.
    const std::string report = "a" + repeated("\xD0\xB4", 1000);
    auto answer = call(verb::post, "/challenge/start/" + id + "/report",
                       "csrf=" + b.csrf + "&details=" + form_value(report),
                       {{"Cookie", b.cookie}, {"Content-Type", "application/x-www-form-urlencoded"}});
    EXPECT_EQ(answer.status, 200u) << answer.body;
    auto status = boost::json::parse(get_status(id).body).as_object();
    EXPECT_EQ(status.at("status").as_string(), "failed");
    EXPECT_EQ(status.at("failure_reason").as_string(), "incident_reported");
    EXPECT_EQ(status.at("target_response").as_string(), "a" + repeated("\xD0\xB4", 999));
}

TEST_F(hostile_input_e2e, a_report_that_is_not_utf8_is_recorded_with_replacement_characters) {
    const auto id = challenge_id_of(create(R"({"target_user_email": "alice@example.com"})"));
    const auto b = open_form(id, "/report");
    auto answer = call(verb::post, "/challenge/start/" + id + "/report", "csrf=" + b.csrf + "&details=caf%E9%00%FF!",
                       {{"Cookie", b.cookie}, {"Content-Type", "application/x-www-form-urlencoded"}});
    EXPECT_EQ(answer.status, 200u) << answer.body;
    auto status = boost::json::parse(get_status(id).body).as_object();
    EXPECT_EQ(status.at("target_response").as_string(), "caf\xEF\xBF\xBD\xEF\xBF\xBD!");
}

// --- base64 -------------------------------------------------------------------------------

TEST_F(hostile_input_e2e, a_padded_or_malformed_cursor_is_bad_input_not_a_server_error) {
    for (const char* cursor : {"%3D", "%3D%3D%3D%3D", "AAAA%3D", "%00", "not*base64"}) {
        auto r = call(verb::get, std::string("/api/v1/challenges?cursor=") + cursor, {}, {{"X-API-Key", api_key_}});
        EXPECT_EQ(r.status, 400u) << cursor;
        EXPECT_EQ(error_of(r), "cursor is not one this API returned") << cursor;
    }
}

// --- NUL ------------------------------------------------------------------------------------

TEST_F(hostile_input_e2e, a_nul_character_in_a_json_field_is_bad_input) {
    auto r = create(R"({"target_user_email": "alice@example.com", "context": "a\u0000b"})");
    EXPECT_EQ(r.status, 400u) << r.body;
    EXPECT_EQ(error_of(r), "context must not contain NUL characters");
    auto slack = create(R"({"integration_type": "slack", "target_user_id": "U1", "slack_instance_id": "\u0000"})");
    EXPECT_EQ(slack.status, 400u) << slack.body;
    EXPECT_EQ(count_rows("SELECT count(*) FROM challenges"), 0);
}

TEST_F(hostile_input_e2e, a_nul_or_invalid_byte_in_a_path_parameter_is_bad_input) {
    const auto tenant = tenant_of_key(api_key_);
    for (const std::string& path : {"/slack/" + tenant + "/%00/events", "/slack/" + tenant + "/%FF/events"}) {
        auto r = call(verb::post, path, "x=1", {{"Content-Type", "application/x-www-form-urlencoded"}});
        EXPECT_EQ(r.status, 400u) << path << " " << r.body;
        EXPECT_EQ(error_of(r), "Bad request: a path parameter is not valid text") << path;
    }
    auto api = call(verb::get, "/api/v1/challenges/%00", {}, {{"X-API-Key", api_key_}});
    EXPECT_EQ(api.status, 400u) << api.body;
    // A query parameter the same way: no app is called that.
    for (const char* instance : {"%00", "%FF"}) {
        EXPECT_EQ(call(verb::get, std::string("/slack/install?instance=") + instance).status, 404u) << instance;
    }
}

// --- callback URLs ------------------------------------------------------------------------

TEST_F(hostile_input_e2e, a_numeric_loopback_callback_url_is_refused_when_the_challenge_is_created) {
    auto config = e2e::test_config();
    config.outbound.address_policy.allow_loopback = false;
    config.outbound.allow_plain_http = false;
    start_service(config);
    for (const char* url : {"https://2130706433/x", "https://0x7f000001/x", "https://0177.0.0.1/x", "https://127.1/x",
                            "https://[::1]/x", "https://[3fff::1]/x", "https://[2001:2::1]/x"}) {
        auto r = create(std::string(R"({"target_user_email": "alice@example.com", "callback_url": ")") + url + "\"}");
        EXPECT_EQ(r.status, 400u) << url << " " << r.body;
        EXPECT_EQ(error_of(r), "callback_url must not point at a loopback, private, link-local or other non-public address")
            << url;
    }
    EXPECT_EQ(count_rows("SELECT count(*) FROM challenges"), 0);
    EXPECT_EQ(create(R"({"target_user_email": "alice@example.com", "callback_url": "https://hooks.example.com/x"})").status,
              201u);
}

TEST_F(hostile_input_e2e, the_cli_refuses_an_integration_callback_url_the_delivery_would_refuse) {
    const auto tenant = tenant_of_key(api_key_);
    auto refused = e2e::run_challenge({"integration", "create-webhook", "--tenant", tenant, "--name", "Local",
                                       "--callback-url", "https://0x7f000001/hook"});
    EXPECT_EQ(refused.exit_code, 2) << e2e::describe(refused);
    EXPECT_NE(refused.err.find("non-public address"), std::string::npos) << refused.err;
    auto allowed = e2e::run_challenge({"integration", "create-webhook", "--tenant", tenant, "--name", "Local",
                                       "--callback-url", "https://0x7f000001/hook"},
                                      {"CHALLENGE_ALLOW_LOOPBACK_CALLBACKS=true"});
    EXPECT_EQ(allowed.exit_code, 0) << e2e::describe(allowed);
    EXPECT_EQ(count_rows("SELECT count(*) FROM integrations WHERE callback_url = 'https://0x7f000001/hook'"), 1);
}

// --- secrets ------------------------------------------------------------------------------

TEST_F(hostile_input_e2e, the_cli_refuses_a_webhook_secret_that_cannot_sign) {
    const auto tenant = tenant_of_key(api_key_);
    for (const char* secret : {"whsec_=", "whsec_not base64!", "whsec_"}) {
        auto r = e2e::run_challenge({"integration", "create-webhook", "--tenant", tenant, "--name", "Bad", "--secret", secret});
        EXPECT_EQ(r.exit_code, 2) << secret << " " << e2e::describe(r);
        EXPECT_NE(r.err.find("--secret cannot sign callbacks"), std::string::npos) << r.err;
    }
    EXPECT_EQ(count_rows("SELECT count(*) FROM integrations WHERE display_name = 'Bad'"), 0);
    auto good = e2e::run_challenge({"integration", "create-webhook", "--tenant", tenant, "--name", "Good", "--secret",
                                    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"});
    EXPECT_EQ(good.exit_code, 0) << e2e::describe(good);
}

// --- idempotency --------------------------------------------------------------------------

TEST_F(hostile_input_e2e, the_same_idempotency_key_from_two_integrations_creates_two_challenges) {
    const auto other_key = second_integration_key(tenant_of_key(api_key_));
    const std::string body = R"({"target_user_email": "alice@example.com"})";
    auto first = create(body, {{"Idempotency-Key", "ticket-1"}});
    auto second = call(verb::post, "/api/v1/challenges", body,
                       {{"X-API-Key", other_key}, {"Content-Type", "application/json"}, {"Idempotency-Key", "ticket-1"}});
    ASSERT_EQ(first.status, 201u) << first.body;
    ASSERT_EQ(second.status, 201u) << second.body;
    EXPECT_EQ(second.header("Idempotent-Replayed"), "");
    EXPECT_NE(challenge_id_of(first), challenge_id_of(second));
    EXPECT_EQ(count_rows("SELECT count(*) FROM challenges"), 2);
    // Each key still replays its own answer, verification code included.
    auto again = call(verb::post, "/api/v1/challenges", body,
                      {{"X-API-Key", other_key}, {"Content-Type", "application/json"}, {"Idempotency-Key", "ticket-1"}});
    EXPECT_EQ(again.header("Idempotent-Replayed"), "true");
    EXPECT_EQ(again.body, second.body);
    EXPECT_EQ(create(body, {{"Idempotency-Key", "ticket-1"}}).body, first.body);
}

// --- X-Forwarded-For ----------------------------------------------------------------------

TEST_F(hostile_input_e2e, x_forwarded_for_over_several_lines_is_read_as_one_list_from_the_right) {
    auto config = e2e::test_config();
    config.verification.trusted_proxies = {"127.0.0.1"};
    start_service(config);
    storage::verification_store verification(*db_);
    auto settings = chal::testing::run(io_, verification.settings(tenant_of_key(api_key_)));
    settings.mode = core::auth_mode::none;
    chal::testing::run(io_, verification.save_settings(settings));

    const auto id = challenge_id_of(create(R"({"target_user_email": "alice@example.com"})"));
    const auto b = open_form(id, "");
    // The client wrote the first line (a lie); our proxy, the trusted peer, added the second.
    auto answer = call(verb::post, "/challenge/start/" + id + "/verify", "csrf=" + b.csrf,
                       {{"Cookie", b.cookie},
                        {"Content-Type", "application/x-www-form-urlencoded"},
                        {"X-Forwarded-For", "198.51.100.1"},
                        {"X-Forwarded-For", "203.0.113.50"}});
    EXPECT_EQ(answer.status, 303u) << answer.body;
    EXPECT_EQ(scalar("SELECT login->>'ip' FROM challenges WHERE id = '" + id + "'"), "203.0.113.50");
}
