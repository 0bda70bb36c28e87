#include "slack/app/rest_challenges.hpp"

#include "slack/command.hpp"

namespace chal::slack_app {

boost::asio::awaitable<core::result<core::challenge>> rest_challenges::create_from_api(
    storage::api_key_principal principal, core::challenge_request request, api::slack_fields slack,
    api::slack_completion complete
) {
    std::optional<storage::slack_app_record> app;
    if (slack.slack_instance_id) {
        app = co_await slack_.find_app(principal.tenant_id, *slack.slack_instance_id);
    } else {
        auto apps = co_await slack_.apps_of_tenant(principal.tenant_id);
        if (!apps.empty()) app = apps.front();
    }
    if (!app) co_return core::errc::slack_not_configured;
    auto installations = co_await slack_.installations_of_app(app->integration_id);
    if (installations.empty()) co_return core::errc::slack_not_configured;
    const auto& installation = installations.front();

    slack_challenge_request out;
    out.installation = installation;
    out.integration_id = principal.integration_id;  // its default callback URL applies
    out.origin = core::challenge_origin::slack_api;
    out.context = request.context;
    out.expiry_minutes = request.expiry_minutes;
    out.callback_url = request.callback_url;
    out.actor = "api_key:" + principal.integration_id;
    out.complete = std::move(complete);

    if (slack.slack_user_id) {
        if (!slack::is_user_id(*slack.slack_user_id)) co_return core::errc::slack_requester_not_found;
        out.requester_user_id = *slack.slack_user_id;
    } else if (slack.requester_email) {
        auto requester = co_await requests_.user_id_for_email(installation, *slack.requester_email);
        if (!requester) co_return core::errc::slack_requester_not_found;
        out.requester_user_id = *requester;
    }  // else the app's own bot user asks (its id came from auth.test when the app was installed)

    if (request.target_user_id) {
        out.target_user_id = *request.target_user_id;
    } else if (request.target_user_email) {
        auto target = co_await requests_.user_id_for_email(installation, *request.target_user_email);
        if (!target) co_return core::errc::slack_target_not_found;
        out.target_user_id = *target;
    } else {
        co_return core::errc::target_required;
    }
    co_return co_await requests_.create(std::move(out));
}

}  // namespace chal::slack_app
