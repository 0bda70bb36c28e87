#include "app/service/service.hpp"

#include "api/errors.hpp"
#include "api/ops_api.hpp"
#include "app/async/task_tracker.hpp"
#include "app/core/text.hpp"
#include "app/service/expiry_sweeper.hpp"
#include "app/saml/service_provider.hpp"
#include "app/service/routes.hpp"
#include "slack/app/oauth_install.hpp"
#include "slack/app/rest_challenges.hpp"
#include "storage/migrations.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/verb.hpp>
#include <spdlog/spdlog.h>

namespace chal::service {
namespace asio = boost::asio;

namespace {

// Messages from the database and the HTTP server may quote what a client sent (a handler's
// exception, a notice about a value): escaped, so each stays one line.
constexpr std::size_t library_message_limit = 4096;

void log_pg(int level, std::string_view raw) {
    const auto message = core::escaped_for_log(raw, library_message_limit);
    switch (level) {
        case 0: spdlog::debug("pg {}", message); break;
        case 1: spdlog::info("pg {}", message); break;
        case 2: spdlog::warn("pg {}", message); break;
        default: spdlog::error("pg {}", message); break;
    }
}

void log_http(http::log_level level, std::string_view raw) {
    const auto message = core::escaped_for_log(raw, library_message_limit);
    switch (level) {
        case http::log_level::debug: spdlog::debug("http {}", message); break;
        case http::log_level::info: spdlog::info("http {}", message); break;
        case http::log_level::warning: spdlog::warn("http {}", message); break;
        case http::log_level::error: spdlog::error("http {}", message); break;
    }
}

// The server's own errors in the contract's shape and words.
http::response server_error_response(unsigned status, std::string_view message) {
    switch (status) {
        case 404: return api::error_response(api::error_for(api::problem::route_not_found));
        case 405: return api::error_response(api::error_for(api::problem::method_not_allowed));
        case 413: return api::error_response(api::error_for(api::problem::payload_too_large));
        case 500: return api::error_response(api::error_for(api::problem::internal));
        default: return api::error_response(status, message);
    }
}

// However the configuration was put together, callback URLs are vetted when stored with the
// policy their delivery uses.
service_config with_delivery_callback_policy(service_config config) {
    config.api.callback_policy = callback_url_policy_of(config.outbound);
    config.slack_requests.callback_policy = config.api.callback_policy;
    return config;
}

crypto::secret_box make_secret_box(const service_config& config) {
    if (!config.master_key) throw std::invalid_argument("CHALLENGE_MASTER_KEY is required (32 random bytes, base64)");
    return crypto::secret_box(*config.master_key);
}

slack::web_api_config slack_web_api_config(const service_config& config) {
    slack::web_api_config api;
    api.base_url = config.slack_api_base_url;
    api.response_url_prefix = config.slack_response_url_prefix;
    return api;
}

api::receipt_signer make_receipt_signer(const service_config& config) {
    auto current = config.receipt_key_pem ? crypto::jose::signing_key::from_pem(*config.receipt_key_pem)
                                          : crypto::jose::signing_key::generate();
    if (!config.receipt_key_pem)
        spdlog::warn("CHALLENGE_RECEIPT_KEY_FILE is not set: receipts are signed with a key of this process only "
                     "(kid={}); they stop verifying after a restart and differ between instances",
                     current.kid());
    std::vector<crypto::jose::signing_key> retired;
    for (const auto& pem : config.retired_receipt_key_pems) retired.push_back(crypto::jose::signing_key::from_pem(pem));
    return api::receipt_signer(std::move(current), std::move(retired), config.verification.public_base_url);
}

}  // namespace

struct service::parts {
    service_config config;
    core::clock_function clock;
    crypto::secret_box secrets;
    pg::pool db;
    storage::tenant_store tenants;
    storage::challenge_store challenges;
    storage::idempotency_store idempotency;
    storage::delivery_store deliveries;
    api::metrics counters;
    http::client outbound;
    storage::verification_store verification;
    http::client idp_http;
    api::oidc_client oidc;
    api::receipt_signer receipts;
    api::verification_pages pages;
    api::webhooks::delivery_worker worker;
    storage::slack_store slack_store;
    storage::slack_job_store slack_jobs;
    http::client slack_http;
    slack::web_api_client slack_api;
    slack_app::bot_tokens bot_tokens;
    slack_app::challenge_requests slack_requests;
    slack_app::rest_challenges slack_rest;
    slack_app::card_worker cards;
    async::task_tracker tasks;
    slack_app::ingress slack_ingress;
    slack_app::oauth_install slack_install;
    api::challenge_api challenge_api;
    api::ops_api ops;
    expiry_sweeper sweeper;
    console::static_assets console_assets;
    storage::console_store console_store;
    storage::console_sso_store console_sso_store;
    storage::stats_store stats;
    services::console_access console_access;
    services::members members;
    services::console_sso console_sso;
    services::dashboard dashboard;
    services::challenge_views challenge_views;
    services::audit_log audit_log;
    console::console_auth console_auth;
    console::console_pages console;
    console::admin_api admin_api;
    http::server server;
    asio::steady_timer shutdown_signal;

    parts(asio::io_context& io, service_config cfg, core::clock_function clk)
        : config(with_delivery_callback_policy(std::move(cfg))),
          clock(std::move(clk)),
          secrets(make_secret_box(config)),
          db(io.get_executor(), config.database, log_pg),
          tenants(db),
          challenges(db, config.create_batching),
          idempotency(db),
          deliveries(db),
          outbound(io.get_executor(), config.outbound),
          verification(db),
          idp_http(io.get_executor(), config.identity_providers),
          oidc(idp_http, config.identity_providers.allow_plain_http),
          receipts(make_receipt_signer(config)),
          pages(
              api::verification_dependencies{challenges, verification, secrets, oidc, receipts, clock, [this] { wake_outboxes(); }},
              config.verification
          ),
          worker(io.get_executor(), deliveries, outbound, secrets, counters, clock, config.deliveries),
          slack_store(db),
          slack_jobs(db),
          slack_http(io.get_executor(), slack_client_config(config.slack_api_base_url)),
          slack_api(slack_http, slack_web_api_config(config)),
          bot_tokens(slack_store, secrets, slack_api, clock),
          slack_requests(challenges, slack_jobs, bot_tokens, slack_api, clock, config.slack_requests, [this] { wake_outboxes(); }),
          slack_rest(slack_store, slack_requests),
          cards(io.get_executor(), slack_jobs, slack_store, verification, bot_tokens, slack_api, clock, config.slack_cards),
          tasks(io.get_executor()),
          slack_ingress(
              slack_app::ingress_dependencies{
                  slack_store, challenges, slack_jobs, secrets, slack_api, bot_tokens, slack_requests, tasks, clock,
                  [this] { wake_outboxes(); }},
              config.slack_ingress
          ),
          slack_install(slack_app::oauth_install_dependencies{slack_store, secrets, slack_api, clock}, config.slack_install),
          challenge_api(
              api::api_dependencies{tenants, challenges, idempotency, counters, clock, [this] { wake_outboxes(); }, &slack_rest},
              config.api
          ),
          ops(db, deliveries, counters, clock),
          sweeper(
              io.get_executor(), challenges, idempotency, verification, slack_store, pages, counters, clock,
              config.expiry_sweep_interval,
              [this] { wake_outboxes(); }
          ),
          console_store(db),
          console_sso_store(db),
          stats(db),
          console_access(console_store, clock),
          members(console_store, clock),
          console_sso(console_sso_store, console_store, console_access, secrets, clock),
          dashboard(stats, clock),
          challenge_views(challenges, deliveries, clock),
          audit_log(console_store),
          console_auth(console_access, config.verification.public_base_url, config.verification.trusted_proxies,
                       config.api.failed_auth_per_address, config.api.cache_limits),
          console(console::console_dependencies{console_auth, console_access, members, dashboard, challenge_views, audit_log,
                                                console_sso, oidc, clock},
                  console::console_settings{config.verification.public_base_url, config.verification.trusted_proxies,
                                            config.identity_providers.allow_plain_http}),
          admin_api(console::admin_api_dependencies{console_auth, console_access, members, dashboard, audit_log}),
          server(io.get_executor(), config.server,
                 make_router(challenge_api, ops, pages, slack_ingress, slack_install, console_assets, console, admin_api), hooks()),
          shutdown_signal(io.get_executor()) {}

    // A commit may have queued a callback or a Slack card update.
    void wake_outboxes() {
        worker.wake();
        cards.wake();
    }

    http::server_hooks hooks() {
        http::server_hooks h;
        h.error_response = server_error_response;
        h.log = log_http;
        h.on_complete = [this](const http::completed_request& r) {
            const double seconds = std::chrono::duration<double>(r.duration).count();
            counters.observe_request(r.route_name, boost::beast::http::to_string(r.method), r.status, seconds);
            spdlog::info(
                "request request_id={} route={} method={} status={} ms={:.2f} remote={}", r.request_id, r.route_name,
                std::string_view(boost::beast::http::to_string(r.method)), r.status, seconds * 1000, r.remote_address
            );
        };
        return h;
    }
};

service::service(asio::io_context& io, service_config config, core::clock_function clock)
    : parts_(std::make_unique<parts>(io, std::move(config), std::move(clock))) {
    // Before anything is served: a weakened SAML library must stop the process, not one login.
    saml::initialize();
}

service::~service() = default;

std::uint16_t service::port() const noexcept {
    return parts_->server.local_port();
}

void service::request_shutdown() {
    parts_->shutdown_signal.cancel();
}

asio::awaitable<void> service::run() {
    auto& p = *parts_;
    auto applied = co_await storage::migrate(p.db);
    for (const auto& name : applied) spdlog::info("migration applied name={}", name);

    p.tasks.spawn(p.server.run(), "http server");
    p.tasks.spawn(p.worker.run(), "webhook worker");
    p.tasks.spawn(p.sweeper.run(), "expiry sweeper");
    p.tasks.spawn(p.cards.run(), "slack card worker");
    spdlog::info(
        "listening on http://{}:{} instance={} database={}", p.config.server.address, p.server.local_port(),
        p.config.instance_id, redact_conninfo(p.config.database.conninfo)
    );

    p.shutdown_signal.expires_at(asio::steady_timer::time_point::max());
    co_await p.shutdown_signal.async_wait(asio::as_tuple(asio::use_awaitable));

    spdlog::info("shutting down grace_seconds={}", p.config.shutdown_grace.count());
    p.ops.mark_draining();
    p.server.stop_accepting();
    p.sweeper.stop();
    p.worker.stop();
    p.cards.stop();
    co_await p.server.drain(p.config.shutdown_grace);
    if (!co_await p.tasks.wait_all(p.config.shutdown_grace))
        spdlog::warn("shutdown deadline passed with tasks still running; their work resumes from the database");
    p.db.close();
    spdlog::info("stopped");
}

}  // namespace chal::service
