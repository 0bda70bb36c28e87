// Creating Slack challenges, whichever door the request comes through (the slash command, the
// modal, the shortcuts, the REST API): who the target is (users.info, cached), the request policy
// (no self, no bots, per-person limits), the core's plan, and one insert that also queues the card.
#pragma once

#include "app/core/challenge.hpp"
#include "app/core/new_challenge.hpp"
#include "app/core/request_policy.hpp"
#include "slack/app/bot_tokens.hpp"
#include "slack/web_api.hpp"
#include "storage/challenge_store.hpp"
#include "storage/slack_job_store.hpp"
#include "storage/slack_store.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>

namespace chal::slack_app {

struct request_settings {
    core::request_limits limits;
    core::callback_url_policy callback_policy;
    // How long a users.info answer is trusted (bot and deactivated flags, email).
    std::chrono::seconds user_cache_ttl{300};
};

struct slack_challenge_request {
    storage::slack_installation_record installation;
    std::string integration_id;  // the challenge's integration: the Slack app, or the REST key's
    core::challenge_origin origin = core::challenge_origin::slack_command;
    std::optional<std::string> requester_user_id;  // nullopt: the app's own bot user asks
    std::string target_user_id;
    std::optional<std::string> context;
    std::optional<std::int64_t> expiry_minutes;
    std::optional<std::string> callback_url;
    std::optional<std::string> origin_channel_id;
    std::string actor;  // the audit actor: "slack:<user>" or "api_key:<integration>"
    // REST creates with an Idempotency-Key: the key's completion, stored with the challenge.
    std::function<storage::idempotent_completion(const core::challenge&)> complete;
};

class challenge_requests {
public:
    challenge_requests(
        storage::challenge_store& challenges, storage::slack_job_store& jobs, bot_tokens& tokens,
        slack::web_api_client& web_api, core::clock_function clock, request_settings settings,
        std::function<void()> wake_card_worker
    );

    // Stores the challenge and its card job, or says why not: slack_target_not_found,
    // cannot_challenge_self / _bot, target_deactivated, the rate limits, the core's validation
    // errors. Slack being unreachable, or the installation's token not opening, throws
    // slack::web_api_failure.
    boost::asio::awaitable<core::result<core::challenge>> create(slack_challenge_request request);

    // users.lookupByEmail for the installation: the user id, or nullopt for users_not_found.
    boost::asio::awaitable<std::optional<std::string>> user_id_for_email(
        storage::slack_installation_record installation, std::string email
    );

    // users.info through the per-node cache; nullopt for user_not_found. Throws web_api_failure
    // for any other failure.
    boost::asio::awaitable<std::optional<slack::workspace_user>> user(
        storage::slack_installation_record installation, std::string user_id
    );

    const request_settings& settings() const noexcept { return settings_; }

private:
    storage::challenge_store& challenges_;
    storage::slack_job_store& jobs_;
    bot_tokens& tokens_;
    slack::web_api_client& web_api_;
    core::clock_function clock_;
    request_settings settings_;
    std::function<void()> wake_card_worker_;

    struct cached_user {
        slack::workspace_user user;
        std::chrono::steady_clock::time_point fetched;
    };
    std::unordered_map<std::string, cached_user> users_;  // key: installation id + '/' + user id
};

// The installation's token could not be opened or refreshed: reported like a Slack refusal
// ("token_unavailable"), which no retry fixes.
slack::web_api_failure token_unavailable(std::string method);

// The workspace key Slack's rate limits are counted by: the enterprise for an org-wide install.
std::string workspace_of(const storage::slack_installation_record& installation);

}  // namespace chal::slack_app
