#include "app/service/service.hpp"

#include "api/errors.hpp"
#include "api/ops_api.hpp"
#include "app/service/expiry_sweeper.hpp"
#include "app/service/routes.hpp"
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

void log_pg(int level, std::string_view message) {
    switch (level) {
        case 0: spdlog::debug("pg {}", message); break;
        case 1: spdlog::info("pg {}", message); break;
        case 2: spdlog::warn("pg {}", message); break;
        default: spdlog::error("pg {}", message); break;
    }
}

void log_http(http::log_level level, std::string_view message) {
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

crypto::secret_box make_secret_box(const service_config& config) {
    if (!config.master_key) throw std::invalid_argument("CHALLENGE_MASTER_KEY is required (32 random bytes, base64)");
    return crypto::secret_box(*config.master_key);
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

// Counts the long-lived tasks so shutdown can wait for them with a deadline.
class task_tracker {
public:
    explicit task_tracker(asio::any_io_executor executor) : executor_(executor), idle_(executor) {}

    void spawn(asio::awaitable<void> task, std::string name) {
        ++running_;
        asio::co_spawn(executor_, std::move(task), [this, name = std::move(name)](std::exception_ptr e) {
            if (e) {
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& ex) {
                    spdlog::error("task ended with an error task={} error={}", name, ex.what());
                }
            }
            if (--running_ == 0) idle_.cancel();
        });
    }

    // True if every task ended before `limit`.
    asio::awaitable<bool> wait_all(std::chrono::steady_clock::duration limit) {
        if (running_ == 0) co_return true;
        idle_.expires_after(limit);
        co_await idle_.async_wait(asio::as_tuple(asio::use_awaitable));
        co_return running_ == 0;
    }

private:
    asio::any_io_executor executor_;
    asio::steady_timer idle_;
    int running_ = 0;
};

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
    api::challenge_api challenge_api;
    api::ops_api ops;
    expiry_sweeper sweeper;
    http::server server;
    task_tracker tasks;
    asio::steady_timer shutdown_signal;

    parts(asio::io_context& io, service_config cfg, core::clock_function clk)
        : config(std::move(cfg)),
          clock(std::move(clk)),
          secrets(make_secret_box(config)),
          db(io.get_executor(), config.database, log_pg),
          tenants(db),
          challenges(db),
          idempotency(db),
          deliveries(db),
          outbound(io.get_executor(), config.outbound),
          verification(db),
          idp_http(io.get_executor(), config.identity_providers),
          oidc(idp_http),
          receipts(make_receipt_signer(config)),
          pages(
              api::verification_dependencies{challenges, verification, secrets, oidc, receipts, clock, [this] { worker.wake(); }},
              config.verification
          ),
          worker(io.get_executor(), deliveries, outbound, secrets, counters, clock, config.deliveries),
          challenge_api(
              api::api_dependencies{tenants, challenges, idempotency, counters, clock, [this] { worker.wake(); }},
              config.api
          ),
          ops(db, deliveries, counters, clock),
          sweeper(
              io.get_executor(), challenges, idempotency, verification, pages, counters, clock,
              config.expiry_sweep_interval,
              [this] { worker.wake(); }
          ),
          server(io.get_executor(), config.server, make_router(challenge_api, ops, pages), hooks()),
          tasks(io.get_executor()),
          shutdown_signal(io.get_executor()) {}

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
    : parts_(std::make_unique<parts>(io, std::move(config), std::move(clock))) {}

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
    spdlog::info(
        "serving address={} port={} instance={} database={}", p.config.server.address, p.server.local_port(),
        p.config.instance_id, redact_conninfo(p.config.database.conninfo)
    );

    p.shutdown_signal.expires_at(asio::steady_timer::time_point::max());
    co_await p.shutdown_signal.async_wait(asio::as_tuple(asio::use_awaitable));

    spdlog::info("shutting down grace_seconds={}", p.config.shutdown_grace.count());
    p.ops.mark_draining();
    p.server.stop_accepting();
    p.sweeper.stop();
    p.worker.stop();
    co_await p.server.drain(p.config.shutdown_grace);
    if (!co_await p.tasks.wait_all(p.config.shutdown_grace))
        spdlog::warn("shutdown deadline passed with tasks still running; their work resumes from the database");
    p.db.close();
    spdlog::info("stopped");
}

}  // namespace chal::service
