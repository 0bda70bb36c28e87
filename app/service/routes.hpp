// The one route table of the service. Every endpoint is listed here, nowhere else.
#pragma once

#include "api/challenge_api.hpp"
#include "api/ops_api.hpp"
#include "api/verification/verification_pages.hpp"
#include "app/http/router.hpp"
#include "console/admin_api.hpp"
#include "console/pages.hpp"
#include "console/static_assets.hpp"
#include "slack/app/ingress.hpp"
#include "slack/app/oauth_install.hpp"

namespace chal::service {

http::router make_router(
    api::challenge_api& challenges, api::ops_api& ops, api::verification_pages& pages, slack_app::ingress& slack,
    slack_app::oauth_install& install, console::static_assets& console_assets, console::console_pages& console, console::admin_api& admin
);

}  // namespace chal::service
