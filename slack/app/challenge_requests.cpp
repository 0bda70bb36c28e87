#include "slack/app/challenge_requests.hpp"

#include "app/core/text.hpp"
#include "app/core/verification.hpp"
#include "app/crypto/crypto.hpp"
#include "slack/command.hpp"

#include <spdlog/spdlog.h>

namespace chal::slack_app {
namespace {

// Bounds the users.info cache against a flood of distinct ids.
constexpr std::size_t max_cached_users = 50'000;

}  // namespace

slack::web_api_failure token_unavailable(std::string method) {
    return slack::web_api_failure(
        {.kind = slack::web_api_errc::slack_error, .method = std::move(method), .code = "token_unavailable"}
    );
}

std::string workspace_of(const storage::slack_installation_record& installation) {
    if (installation.is_enterprise_install && installation.enterprise_id) return *installation.enterprise_id;
    return installation.team_id.value_or("");
}

challenge_requests::challenge_requests(
    storage::challenge_store& challenges, storage::slack_job_store& jobs, bot_tokens& tokens,
    slack::web_api_client& web_api, core::clock_function clock, request_settings settings,
    std::function<void()> wake_card_worker
)
    : challenges_(challenges),
      jobs_(jobs),
      tokens_(tokens),
      web_api_(web_api),
      clock_(std::move(clock)),
      settings_(std::move(settings)),
      wake_card_worker_(std::move(wake_card_worker)) {}

boost::asio::awaitable<std::optional<slack::workspace_user>> challenge_requests::user(
    storage::slack_installation_record installation, std::string user_id
) {
    const auto key = installation.id + "/" + user_id;
    const auto now = std::chrono::steady_clock::now();
    if (auto hit = users_.find(key); hit != users_.end()) {
        if (now - hit->second.fetched < settings_.user_cache_ttl) co_return hit->second.user;
        users_.erase(hit);
    }
    auto token = co_await tokens_.token_for(installation);
    if (!token) throw token_unavailable("users.info");
    slack::caller as{*token, workspace_of(installation)};
    auto info = co_await web_api_.users_info(as, user_id);
    if (!info) {
        if (info.error().is_slack_error("user_not_found")) co_return std::nullopt;
        throw slack::web_api_failure(info.error());
    }
    if (users_.size() >= max_cached_users) users_.clear();
    users_.insert_or_assign(key, cached_user{*info, now});
    co_return *info;
}

boost::asio::awaitable<std::optional<std::string>> challenge_requests::user_id_for_email(
    storage::slack_installation_record installation, std::string email
) {
    auto token = co_await tokens_.token_for(installation);
    if (!token) throw token_unavailable("users.lookupByEmail");
    slack::caller as{*token, workspace_of(installation)};
    auto found = co_await web_api_.users_lookup_by_email(as, email);
    if (!found) {
        if (found.error().is_slack_error("users_not_found")) co_return std::nullopt;
        throw slack::web_api_failure(found.error());
    }
    co_return found->id;
}

boost::asio::awaitable<core::result<core::challenge>> challenge_requests::create(slack_challenge_request request) {
    if (!slack::is_user_id(request.target_user_id)) co_return core::errc::slack_target_not_found;
    auto target = co_await user(request.installation, request.target_user_id);
    if (!target) co_return core::errc::slack_target_not_found;

    const auto now = clock_();
    const auto since = now - std::chrono::duration_cast<core::timestamp::duration>(settings_.limits.window);
    auto facts = co_await jobs_.request_facts(
        request.installation.tenant_id, request.requester_user_id, request.target_user_id, since
    );
    core::request_subject subject{
        request.requester_user_id.value_or(""), request.target_user_id,
        target->is_bot || target->is_app_user || request.target_user_id == request.installation.bot_user_id,
        target->deleted};
    if (auto allowed = core::check_request_policy(subject, {facts.by_requester, facts.to_target}, settings_.limits);
        !allowed)
        co_return allowed.error();

    core::challenge_request planned_request;
    planned_request.target_user_id = request.target_user_id;
    // The identity provider's login is compared with this address; without users:read.email
    // (or for a user without one) the Slack id alone is kept and the login cannot match.
    if (!target->email.empty()) planned_request.target_user_email = target->email;
    // Every door's reason (a command's text, a modal's field) is stored as text.
    if (request.context) planned_request.context = core::storable_text(*request.context, std::string::npos, core::line_breaks::keep);
    planned_request.callback_url = request.callback_url;
    planned_request.requester_id = request.requester_user_id.value_or(request.installation.bot_user_id);
    planned_request.expiry_minutes = request.expiry_minutes;
    core::challenge_origin_facts origin{
        crypto::new_uuid_v7(std::chrono::system_clock::now()),
        request.installation.tenant_id,
        request.integration_id,
        request.origin,
        std::chrono::minutes{facts.tenant_expiry_minutes},
    };
    auto planned = core::plan_challenge(planned_request, origin, settings_.callback_policy, now);
    if (!planned) co_return planned.error();
    planned->verification_code = core::verification_code_from(crypto::random_u32());

    storage::slack_delivery delivery{
        request.installation.id, request.requester_user_id, request.target_user_id, request.origin_channel_id};
    std::optional<storage::idempotent_completion> completion;
    if (request.complete) completion = request.complete(*planned);
    co_await challenges_.insert_for_slack(*planned, request.actor, delivery, std::move(completion));
    wake_card_worker_();
    co_return *planned;
}

}  // namespace chal::slack_app
