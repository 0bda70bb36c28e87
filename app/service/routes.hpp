// The one route table of the service. Every endpoint is listed here, nowhere else.
#pragma once

#include "api/challenge_api.hpp"
#include "api/ops_api.hpp"
#include "api/verification/verification_pages.hpp"
#include "app/http/router.hpp"

namespace chal::service {

http::router make_router(api::challenge_api& challenges, api::ops_api& ops, api::verification_pages& pages);

}  // namespace chal::service
