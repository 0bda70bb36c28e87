// POST /slack/{tenant}/{instance}/events: the one URL Slack calls for slash commands,
// interactivity and events (Bolt's convention). Every request is authenticated by the app's
// signing secret (sealed at rest) and refused once replayed; ssl_check and url_verification are
// answered; a request labelled for another Slack app (api_app_id) and an unknown installation
// get 401. Slack needs an answer within 3 seconds: the work
// runs as a tracked task, its result is the answer when it is ready within the budget, and goes
// to the response_url when it is not. Failures reach the user as ephemeral messages, never a 5xx.
#pragma once

#include "app/async/task_tracker.hpp"
#include "app/core/bounded_cache.hpp"
#include "app/core/time.hpp"
#include "app/crypto/crypto.hpp"
#include "app/http/handler.hpp"
#include "slack/app/bot_tokens.hpp"
#include "slack/app/challenge_requests.hpp"
#include "slack/inbound.hpp"
#include "slack/web_api.hpp"
#include "storage/challenge_store.hpp"
#include "storage/slack_job_store.hpp"
#include "storage/slack_store.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace chal::slack_app {

struct ingress_settings {
    // Answers inline when the work is done within this; Slack gives up at 3 s.
    std::chrono::milliseconds ack_budget{2500};
    // How long this node trusts an app's signing secret (and a live installation) before
    // reading it again.
    std::chrono::milliseconds app_cache_ttl{5000};
    // Apps and installations this node has seen: as many as operators and installs create.
    core::cache_limits known_apps{.max_entries = 10'000, .max_bytes = 8 * 1024 * 1024};
    core::cache_limits installations{.max_entries = 10'000, .max_bytes = 8 * 1024 * 1024};
    // Unknown apps, so requests naming them cost no query each. Their ids come from a URL path
    // anyone can send, so they have a cache of their own: a flood of them evicts only others.
    core::cache_limits unknown_apps{.max_entries = 10'000, .max_bytes = 2 * 1024 * 1024};
};

// What this node's ingress caches hold now.
struct ingress_cache_usage {
    core::cache_usage known_apps;
    core::cache_usage unknown_apps;
    core::cache_usage installations;
};

struct ingress_dependencies {
    storage::slack_store& slack;
    storage::challenge_store& challenges;
    storage::slack_job_store& jobs;
    const crypto::secret_box& secrets;
    slack::web_api_client& web_api;
    bot_tokens& tokens;
    challenge_requests& requests;
    async::task_tracker& tasks;
    core::clock_function clock;
    std::function<void()> wake_outboxes;  // after a commit that may have queued a callback or card update
};

class ingress {
public:
    ingress(ingress_dependencies deps, ingress_settings settings);

    boost::asio::awaitable<http::response> events(http::request_context& ctx);

    ingress_cache_usage cache_usage() const noexcept;

private:
    struct known_app {
        storage::slack_app_record app;
        std::string signing_secret;
    };
    template <class T>
    struct fetched {
        T value;
        std::chrono::steady_clock::time_point at;
    };
    struct context;  // one verified request: its app and installation

    boost::asio::awaitable<std::optional<known_app>> app_for(std::string tenant_id, std::string instance_id);
    void forget_app(const std::string& tenant_id, const std::string& instance_id);
    // Whether the verified `payload` was sent to `app` (its api_app_id); logs a refusal.
    boost::asio::awaitable<bool> is_for_this_app(
        storage::slack_app_record app, const slack::inbound_payload& payload, std::string request_id
    );
    boost::asio::awaitable<http::response> dispatch(
        storage::slack_app_record app, slack::inbound_payload payload, std::string request_id
    );
    // Runs `work` as a tracked task; its reply is the HTTP answer if it is ready within the
    // budget, else the answer is an empty 200 and the reply goes to `response_url`.
    boost::asio::awaitable<http::response> answer_within_budget(
        boost::asio::awaitable<std::optional<boost::json::object>> work, std::string response_url, std::string name
    );

    boost::asio::awaitable<std::optional<boost::json::object>> on_command(context ctx, slack::slash_command command);
    boost::asio::awaitable<std::optional<boost::json::object>> on_block_actions(context ctx, slack::block_actions actions);
    boost::asio::awaitable<std::optional<boost::json::object>> on_new_challenge_submitted(
        context ctx, slack::view_submission submission
    );
    boost::asio::awaitable<void> open_new_challenge_modal(
        context ctx, std::string trigger_id, std::optional<std::string> target_user_id, std::optional<std::string> reason,
        std::string origin_channel_id
    );
    boost::asio::awaitable<void> on_message_shortcut(context ctx, slack::message_shortcut shortcut);
    boost::asio::awaitable<void> on_event(context ctx, slack::event_callback event);
    boost::asio::awaitable<void> publish_home(context ctx, std::string user_id);
    boost::asio::awaitable<boost::json::object> create_and_confirm(slack_challenge_request request);

    ingress_dependencies deps_;
    ingress_settings settings_;
    // Keyed by tenant id + '/' + instance id.
    core::bounded_cache<fetched<known_app>> known_apps_;
    core::bounded_cache<std::chrono::steady_clock::time_point> unknown_apps_;  // when the miss was read
    // Live installations by app and workspace, trusted for app_cache_ttl like the apps: an
    // uninstall takes effect on every node within that time.
    core::bounded_cache<fetched<storage::slack_installation_record>> installations_;
    boost::asio::awaitable<std::optional<storage::slack_installation_record>> installation_for(
        std::string integration_id, slack::installation_ref ref
    );
};

// The `response_action: errors` answer to a view_submission, one message on one input block.
boost::json::object view_errors(std::string_view block_id, std::string_view message);

}  // namespace chal::slack_app
