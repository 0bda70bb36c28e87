// The one map from every failure a client can see to its HTTP status and the contract's
// {"error": "..."} body. Handlers name a problem; only this file decides status and text.
#pragma once

#include "app/core/errc.hpp"
#include "app/http/handler.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace chal::api {

// Failures that arise in the HTTP adapter itself rather than in the core.
enum class problem {
    body_not_json_object,  // 400
    wrong_field_type,      // 400, message names the field
    nul_in_field,          // 400, message names the field
    unknown_integration_type,
    invalid_query,         // 400, message names the parameter
    missing_api_key,       // 401
    payload_too_large,     // 413
    unsupported_media_type,  // 415
    rate_limited,          // 429
    route_not_found,       // 404
    method_not_allowed,    // 405
    internal_create,       // 500 "Failed to create challenge"
    internal,              // 500
    not_ready,             // 503
};

struct api_error {
    unsigned status;
    std::string message;
};

api_error error_for(core::errc e);
// Core codes map through the table; any other category is an internal error.
api_error error_for(const boost::system::error_code& ec);
api_error error_for(problem p, std::string_view detail = {});

// A JSON body with the status; JSON content type; no-store.
http::response json_response(unsigned status, std::string body);

// {"error": message} with the status; JSON content type; no-store.
http::response error_response(const api_error& e);
http::response error_response(unsigned status, std::string_view message);

// A 429 with Retry-After in whole seconds.
http::response rate_limited_response(std::chrono::seconds retry_after);

}  // namespace chal::api
