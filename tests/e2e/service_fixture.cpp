#include "tests/e2e/service_fixture.hpp"

#include "api/api_keys.hpp"
#include "api/webhooks/signature.hpp"
#include "app/crypto/crypto.hpp"
#include "storage/migrations.hpp"
#include "storage/tenant_store.hpp"
#include "tests/support/run.hpp"
#include "tests/support/test_database.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <future>

namespace chal::e2e {
namespace asio = boost::asio;

running_service::running_service(service::service_config config, shifted_clock& clock) {
    service_ = std::make_unique<service::service>(io_, std::move(config), clock.function());
    port_ = service_->port();
    auto run = service_->run();
    asio::co_spawn(io_, std::move(run), [](std::exception_ptr e) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                ADD_FAILURE() << "service stopped with an error: " << ex.what();
            }
        }
    });
    thread_ = std::thread([this] { io_.run(); });
}

running_service::~running_service() {
    asio::post(io_, [this] { service_->request_shutdown(); });
    thread_.join();
}

service::service_config test_config() {
    setenv("CHALLENGE_MASTER_KEY", test_master_key_base64, 1);
    auto c = service::read_config_from_environment();
    c.database.conninfo = testing::test_database_url();
    c.database.size = 8;
    c.server.port = 0;
    c.api.public_base_url = "https://challenge.test";
    c.api.callback_policy.allow_plain_http = true;
    c.api.per_key_limit = {.per_second = 1000, .burst = 1000};
    c.outbound.allow_plain_http = true;
    c.outbound.address_policy.allow_loopback = true;
    c.deliveries.poll_interval = std::chrono::milliseconds{50};
    c.expiry_sweep_interval = std::chrono::milliseconds{100};
    c.shutdown_grace = std::chrono::seconds{5};
    c.instance_id = "e2e-" + crypto::hex_encode(crypto::random_bytes(4));
    c.deliveries.worker_id = c.instance_id;
    return c;
}

std::string http_reply::header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
        if (k.size() == name.size() &&
            std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
            return v;
    }
    return {};
}

void service_test::SetUp() {
    testing::test_database database;
    pg::pool_config pool_config{.conninfo = database.url(), .size = 4};
    db_ = std::make_unique<pg::pool>(io_.get_executor(), pool_config, [](int, std::string_view) {});
    testing::run(io_, storage::migrate(*db_));
    database.truncate({"tenants", "integrations", "api_keys", "challenges", "audit_events", "webhook_deliveries", "webhook_endpoints",
                       "webhook_attempts", "idempotency_keys", "tenant_verification_settings", "verification_flows",
                       "saml_seen_assertions", "slack_apps", "slack_installations", "slack_events_seen",
                       "slack_oauth_states", "slack_messages", "slack_challenges", "slack_jobs"});
    http::client_config client_config;
    client_config.allow_plain_http = true;
    client_config.address_policy.allow_loopback = true;
    client_ = std::make_unique<http::client>(io_.get_executor(), client_config);
    receiver_ = std::make_unique<testing::webhook_receiver>(io_.get_executor());
    api_key_ = make_tenant("Acme");
}

void service_test::TearDown() {
    // Receivers first: a stalled receiver would otherwise hold attempts open during shutdown.
    for (auto& r : extra_receivers_) r->stop();
    if (receiver_) receiver_->stop();
    service_.reset();
    testing::run_until_idle(io_, std::chrono::seconds{2});
    db_->close();
}

void service_test::start_service(service::service_config config) {
    service_.reset();
    service_ = std::make_unique<running_service>(std::move(config), clock_);
}

std::string service_test::make_tenant(
    const std::string& name, std::optional<std::string> callback_url, std::optional<std::string> secret
) {
    storage::tenant_store tenants(*db_);
    const auto tenant_id = crypto::new_uuid_v7(std::chrono::system_clock::now());
    const auto integration_id = crypto::new_uuid_v7(std::chrono::system_clock::now());
    storage::tenant_record tenant{tenant_id, name, 15};
    testing::run(io_, tenants.create_tenant(tenant));
    std::optional<std::string> sealed;
    if (secret) {
        crypto::secret_box box(*crypto::base64_decode(test_master_key_base64));
        sealed = box.seal(*secret, api::webhooks::webhook_secret_context(integration_id));
    }
    storage::integration_record integration{integration_id, tenant_id, "webhook", name + " ITSM", callback_url, sealed};
    auto key = api::issue_api_key();
    testing::run(io_, tenants.create_integration(integration, key.stored));
    return key.key;
}

http_reply service_test::call(
    boost::beast::http::verb method,
    std::string path,
    std::string body,
    std::vector<std::pair<std::string, std::string>> headers
) {
    if (!service_ && !target_port_) start_service();
    http::outgoing_request req;
    req.method = method;
    req.url = "http://127.0.0.1:" + std::to_string(target_port_ ? *target_port_ : service_->port()) + path;
    req.headers = std::move(headers);
    req.body = std::move(body);
    auto answer = testing::run(io_, client_->send(std::move(req)));
    if (!answer) {
        ADD_FAILURE() << "request failed: " << answer.error().message();
        return {};
    }
    return {answer->status, answer->body, answer->headers};
}

std::optional<http_reply> service_test::try_call(boost::beast::http::verb method, std::string path) {
    http::outgoing_request req;
    req.method = method;
    req.url = "http://127.0.0.1:" + std::to_string(target_port_ ? *target_port_ : service_->port()) + path;
    req.total_timeout = std::chrono::milliseconds{2000};
    auto answer = testing::run(io_, client_->send(std::move(req)));
    if (!answer) return std::nullopt;
    return http_reply{answer->status, answer->body, answer->headers};
}

http_reply service_test::create(std::string body, std::vector<std::pair<std::string, std::string>> extra) {
    extra.emplace_back("X-API-Key", api_key_);
    extra.emplace_back("Content-Type", "application/json");
    return call(boost::beast::http::verb::post, "/api/v1/challenges", std::move(body), std::move(extra));
}

http_reply service_test::get_status(const std::string& id) {
    return call(boost::beast::http::verb::get, "/api/v1/challenges/" + id, {}, {{"X-API-Key", api_key_}});
}

bool service_test::wait_for_callbacks(std::size_t n, std::chrono::seconds limit) {
    const bool arrived = testing::run(io_, receiver_->wait_for_requests(n, std::chrono::steady_clock::now() + limit));
    if (!arrived) ADD_FAILURE() << "expected " << n << " callbacks, got " << receiver_->requests().size();
    return arrived;
}

bool service_test::eventually(const std::function<bool()>& condition, std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) return true;
        asio::steady_timer pause(io_, std::chrono::milliseconds{50});
        auto wait = pause.async_wait(asio::use_awaitable);
        testing::run(io_, std::move(wait));
    }
    return condition();
}

std::int64_t service_test::count_rows(const std::string& sql) {
    auto rows = testing::run(io_, db_->execute_unprepared(sql));
    return rows[0].get<std::int64_t>(0);
}

}  // namespace chal::e2e
