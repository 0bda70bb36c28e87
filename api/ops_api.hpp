// Operations endpoints: liveness, readiness (database reachable), Prometheus metrics and the
// OpenAPI document.
#pragma once

#include "api/metrics.hpp"
#include "app/core/time.hpp"
#include "app/http/handler.hpp"
#include "storage/delivery_store.hpp"
#include "storage/pg/pool.hpp"

#include <boost/asio/awaitable.hpp>

namespace chal::api {

class ops_api {
public:
    ops_api(pg::pool& db, storage::delivery_store& deliveries, metrics& counters, core::clock_function clock)
        : db_(db), deliveries_(deliveries), counters_(counters), clock_(std::move(clock)) {}

    boost::asio::awaitable<http::response> healthz(http::request_context& ctx);
    // Browsers ask for /favicon.ico on every site: an empty, cacheable answer rather than a 404.
    boost::asio::awaitable<http::response> favicon(http::request_context& ctx);
    boost::asio::awaitable<http::response> readyz(http::request_context& ctx);
    boost::asio::awaitable<http::response> metrics_text(http::request_context& ctx);
    boost::asio::awaitable<http::response> openapi(http::request_context& ctx);

    // Set during shutdown so load balancers stop sending before the listener closes.
    void mark_draining() noexcept { draining_ = true; }

private:
    pg::pool& db_;
    storage::delivery_store& deliveries_;
    metrics& counters_;
    core::clock_function clock_;
    bool draining_ = false;
};

// The OpenAPI 3.1 document (api/openapi.json), embedded at build time.
std::string_view openapi_document() noexcept;

}  // namespace chal::api
