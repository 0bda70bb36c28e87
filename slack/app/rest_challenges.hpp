// POST /api/v1/challenges with "integration_type": "slack": the REST API's port into the Slack
// adapter. Resolves the tenant's Slack app (slack_instance_id or the first), its installation,
// the requester (slack_user_id, requester_email looked up, or the app's bot user) and the target
// (Slack id or email looked up), then creates through challenge_requests like the slash command.
#pragma once

#include "api/challenge_api.hpp"
#include "slack/app/challenge_requests.hpp"
#include "storage/slack_store.hpp"

namespace chal::slack_app {

class rest_challenges final : public api::slack_challenge_port {
public:
    rest_challenges(storage::slack_store& slack, challenge_requests& requests) : slack_(slack), requests_(requests) {}

    boost::asio::awaitable<core::result<core::challenge>> create_from_api(
        storage::api_key_principal principal, core::challenge_request request, api::slack_fields slack,
        api::slack_completion complete
    ) override;

private:
    storage::slack_store& slack_;
    challenge_requests& requests_;
};

}  // namespace chal::slack_app
