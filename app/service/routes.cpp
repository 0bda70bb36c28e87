#include "app/service/routes.hpp"

namespace chal::service {
namespace {
using boost::beast::http::verb;

// Binds a member handler without a lambda capture at the call site of co_await (GCC 12).
template <class Api>
http::handler bind(Api& api, boost::asio::awaitable<http::response> (Api::*fn)(http::request_context&)) {
    return [&api, fn](http::request_context& ctx) { return (api.*fn)(ctx); };
}

}  // namespace

http::router make_router(api::challenge_api& challenges, api::ops_api& ops) {
    using api::challenge_api;
    using api::ops_api;
    return http::router({
        {verb::post, "/api/v1/challenges", "challenges.create", bind(challenges, &challenge_api::create)},
        {verb::get, "/api/v1/challenges", "challenges.list", bind(challenges, &challenge_api::list)},
        {verb::get, "/api/v1/challenges/{challenge_id}", "challenges.get", bind(challenges, &challenge_api::get)},
        {verb::post, "/api/v1/challenges/{challenge_id}/cancel", "challenges.cancel",
         bind(challenges, &challenge_api::cancel)},
        {verb::get, "/api/v1/openapi.json", "openapi", bind(ops, &ops_api::openapi)},
        {verb::get, "/healthz", "healthz", bind(ops, &ops_api::healthz)},
        {verb::get, "/readyz", "readyz", bind(ops, &ops_api::readyz)},
        {verb::get, "/metrics", "metrics", bind(ops, &ops_api::metrics_text)},
    });
}

}  // namespace chal::service
