#include "api/ops_api.hpp"

#include "api/errors.hpp"

#include <boost/beast/http/field.hpp>
#include <spdlog/spdlog.h>

namespace chal::api {
namespace {
namespace bh = boost::beast::http;

http::response text_response(unsigned status, std::string content_type, std::string body) {
    http::response res{static_cast<bh::status>(status), 11};
    res.set(bh::field::content_type, content_type);
    res.set(bh::field::cache_control, "no-store");
    res.body() = std::move(body);
    return res;
}

}  // namespace

boost::asio::awaitable<http::response> ops_api::healthz(http::request_context&) {
    co_return text_response(200, "application/json", R"({"status":"ok"})");
}

boost::asio::awaitable<http::response> ops_api::favicon(http::request_context&) {
    http::response res{bh::status::no_content, 11};
    res.set(bh::field::cache_control, "public, max-age=86400");
    co_return res;
}

boost::asio::awaitable<http::response> ops_api::readyz(http::request_context&) {
    if (draining_) co_return error_response(error_for(problem::not_ready));
    const bool up = co_await db_.ping(std::chrono::milliseconds{1000});
    if (!up) co_return error_response(503, "Database unreachable");
    co_return text_response(200, "application/json", R"({"status":"ready"})");
}

boost::asio::awaitable<http::response> ops_api::metrics_text(http::request_context&) {
    queue_gauges gauges;
    try {
        auto stats = co_await deliveries_.stats(clock_());
        gauges.pending = stats.pending;
        gauges.slow_endpoints = stats.slow_endpoints;
        gauges.in_flight = stats.in_flight;
        if (stats.oldest_unfinished_created_at)
            gauges.oldest_unfinished_age_seconds = static_cast<double>((clock_() - *stats.oldest_unfinished_created_at).count());
    } catch (const std::exception& e) {
        gauges.database_up = false;
        spdlog::warn("metrics could not read queue stats error={}", e.what());
    }
    co_return text_response(200, "text/plain; version=0.0.4; charset=utf-8", counters_.render(gauges));
}

boost::asio::awaitable<http::response> ops_api::openapi(http::request_context&) {
    co_return text_response(200, "application/json", std::string(openapi_document()));
}

}  // namespace chal::api
