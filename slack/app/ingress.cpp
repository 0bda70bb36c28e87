#include "slack/app/ingress.hpp"

#include "api/errors.hpp"
#include "app/core/text.hpp"
#include "app/core/verification.hpp"
#include "slack/blocks.hpp"
#include "slack/command.hpp"
#include "slack/manifest.hpp"
#include "slack/signature.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include <charconv>

namespace chal::slack_app {
namespace asio = boost::asio;
namespace bh = boost::beast::http;
namespace json = boost::json;

struct ingress::context {
    storage::slack_app_record app;
    storage::slack_installation_record installation;
    slack::caller as;
};

namespace {

http::response empty_ack() {
    http::response res{bh::status::ok, 11};
    res.set(bh::field::cache_control, "no-store");
    return res;
}

http::response json_answer(const json::object& body) {
    http::response res{bh::status::ok, 11};
    res.set(bh::field::content_type, "application/json");
    res.set(bh::field::cache_control, "no-store");
    res.body() = json::serialize(body);
    return res;
}

// Slack shows no body for these; the status is what Slack (and an attacker) learns.
http::response refusal(bh::status status) {
    http::response res{status, 11};
    res.set(bh::field::cache_control, "no-store");
    return res;
}

std::optional<std::string> non_empty(const std::string& s) {
    if (s.empty()) return std::nullopt;
    return s;
}

// The words the REST API uses for the same refusal (one error map), as a Slack ephemeral.
json::object ephemeral_for(const boost::system::error_code& e) {
    return slack::ephemeral(slack::mrkdwn_user_text(api::error_for(e).message, 2000));
}

json::object slack_unavailable_ephemeral() {
    return slack::ephemeral("Slack did not answer in time, so nothing was sent. Please try again in a moment.");
}

const json::value* at_path(const json::object& o, std::initializer_list<std::string_view> path) {
    const json::value* v = nullptr;
    const json::object* current = &o;
    for (auto key : path) {
        if (!current) return nullptr;
        v = current->if_contains(key);
        if (!v) return nullptr;
        current = v->if_object();
    }
    return v;
}

std::string string_at(const json::object& o, std::initializer_list<std::string_view> path) {
    const auto* v = at_path(o, path);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::size_t bytes_of(const std::optional<std::string>& s) {
    return s ? s->size() : 0;
}

// What a cached row holds beyond its object: its strings.
std::size_t bytes_of(const storage::slack_app_record& a) {
    return a.integration_id.size() + a.tenant_id.size() + a.display_name.size() + a.instance_id.size() + bytes_of(a.app_id) +
           bytes_of(a.signing_secret_sealed) + bytes_of(a.client_id) + bytes_of(a.client_secret_sealed) +
           bytes_of(a.security_channel_id);
}

std::size_t bytes_of(const storage::slack_installation_record& i) {
    return i.id.size() + i.integration_id.size() + i.tenant_id.size() + bytes_of(i.team_id) + bytes_of(i.enterprise_id) +
           i.bot_user_id.size() + bytes_of(i.bot_id) + i.scopes.size() + i.bot_token_sealed.size() +
           bytes_of(i.refresh_token_sealed);
}

std::string_view header(const http::request& req, std::string_view name) {
    auto it = req.find(name);
    return it == req.end() ? std::string_view{} : std::string_view(it->value());
}

}  // namespace

json::object view_errors(std::string_view block_id, std::string_view message) {
    return json::object{{"response_action", "errors"}, {"errors", json::object{{block_id, message}}}};
}

ingress::ingress(ingress_dependencies deps, ingress_settings settings)
    : deps_(std::move(deps)),
      settings_(settings),
      known_apps_(settings.known_apps),
      unknown_apps_(settings.unknown_apps),
      installations_(settings.installations) {}

ingress_cache_usage ingress::cache_usage() const noexcept {
    return {known_apps_.usage(), unknown_apps_.usage(), installations_.usage()};
}

asio::awaitable<std::optional<ingress::known_app>> ingress::app_for(std::string tenant_id, std::string instance_id) {
    const auto key = tenant_id + "/" + instance_id;
    const auto now = std::chrono::steady_clock::now();
    if (const auto* hit = known_apps_.find(key)) {
        if (now - hit->at < settings_.app_cache_ttl) co_return hit->value;
        known_apps_.erase(key);
    }
    if (const auto* miss = unknown_apps_.find(key)) {
        if (now - *miss < settings_.app_cache_ttl) co_return std::nullopt;
        unknown_apps_.erase(key);
    }
    std::optional<known_app> known;
    auto app = co_await deps_.slack.find_app(tenant_id, instance_id);
    if (app && app->signing_secret_sealed) {
        auto secret = deps_.secrets.open(*app->signing_secret_sealed, storage::slack_signing_secret_context(app->integration_id));
        if (secret)
            known = known_app{*app, std::move(*secret)};
        else
            spdlog::error("slack signing secret does not open integration_id={}", app->integration_id);
    }
    if (known) {
        const auto bytes = bytes_of(known->app) + known->signing_secret.size();
        known_apps_.insert_or_assign(key, fetched<known_app>{*known, now}, bytes);
    } else {
        unknown_apps_.insert_or_assign(key, now, 0);
    }
    co_return known;
}

void ingress::forget_app(const std::string& tenant_id, const std::string& instance_id) {
    known_apps_.erase(tenant_id + "/" + instance_id);
}

asio::awaitable<std::optional<storage::slack_installation_record>> ingress::installation_for(
    std::string integration_id, slack::installation_ref ref
) {
    const auto key = integration_id + "/" + ref.enterprise_id + "/" + ref.team_id + (ref.is_enterprise_install ? "/org" : "");
    const auto now = std::chrono::steady_clock::now();
    if (const auto* hit = installations_.find(key)) {
        if (now - hit->at < settings_.app_cache_ttl) co_return hit->value;
        installations_.erase(key);
    }
    auto found = co_await deps_.slack.find_installation(
        integration_id, non_empty(ref.enterprise_id), non_empty(ref.team_id), ref.is_enterprise_install
    );
    // Only hits are kept: a workspace that installs the app must work at once, and only signed
    // requests get this far, so misses cannot be used to flood the database.
    if (!found) co_return found;
    installations_.insert_or_assign(key, fetched<storage::slack_installation_record>{*found, now}, bytes_of(*found));
    co_return found;
}

asio::awaitable<http::response> ingress::events(http::request_context& ctx) {
    const std::string tenant_id(ctx.param("tenant"));
    const std::string instance_id(ctx.param("instance"));
    if (!crypto::is_uuid(tenant_id) || !slack::is_instance_id(instance_id)) co_return refusal(bh::status::unauthorized);
    auto known = co_await app_for(tenant_id, instance_id);
    if (!known) {
        spdlog::warn("slack request for an unknown app request_id={} tenant_id={}", ctx.request_id, tenant_id);
        co_return refusal(bh::status::unauthorized);
    }
    const auto& body = ctx.req.body();
    const auto signature = header(ctx.req, "X-Slack-Signature");
    const auto now_seconds = std::chrono::time_point_cast<std::chrono::seconds>(deps_.clock());
    const auto check = slack::verify_request(
        known->signing_secret, header(ctx.req, "X-Slack-Request-Timestamp"), signature, body,
        std::chrono::sys_seconds{now_seconds.time_since_epoch()}
    );
    if (check != slack::signature_check::ok) {
        spdlog::warn("slack request refused request_id={} integration_id={} reason={}", ctx.request_id,
                     known->app.integration_id, slack::to_string(check));
        co_return refusal(bh::status::unauthorized);
    }
    const auto content_type = header(ctx.req, "Content-Type");
    if (slack::is_ssl_check(content_type, body)) co_return empty_ack();
    // A signature is unique to its timestamp and body: seen twice within the window is a replay.
    // (Slack's own Events API retries are signed afresh and deduplicated by event_id instead.)
    std::string replay_key = "sig:" + std::string(signature);
    const bool first_time = co_await deps_.slack.first_delivery(known->app.integration_id, std::move(replay_key), deps_.clock());
    if (!first_time) {
        spdlog::warn("slack request replayed request_id={} integration_id={}", ctx.request_id, known->app.integration_id);
        co_return refusal(bh::status::unauthorized);
    }
    auto parsed = slack::parse_inbound(content_type, body);
    if (!parsed) {
        spdlog::warn("slack request unreadable request_id={} integration_id={} error={} detail={}", ctx.request_id,
                     known->app.integration_id, slack::to_string(parsed.error().code),
                     core::escaped_for_log(parsed.error().detail));
        switch (parsed.error().code) {
            case slack::inbound_errc::unsupported_media_type: co_return refusal(bh::status::unsupported_media_type);
            case slack::inbound_errc::body_too_large: co_return refusal(bh::status::payload_too_large);
            case slack::inbound_errc::unknown_type: co_return empty_ack();  // acknowledged, nothing to do
            default: co_return refusal(bh::status::bad_request);
        }
    }
    const bool for_this_app = co_await is_for_this_app(known->app, *parsed, ctx.request_id);
    if (!known->app.app_id) forget_app(tenant_id, instance_id);  // it may have just been recorded
    if (!for_this_app) co_return refusal(bh::status::unauthorized);
    if (auto retry = slack::read_retry_headers(header(ctx.req, "X-Slack-Retry-Num"), header(ctx.req, "X-Slack-Retry-Reason")))
        spdlog::info("slack retry request_id={} number={} reason={}", ctx.request_id, retry->number,
                     slack::to_string(retry->reason));
    co_return co_await dispatch(known->app, std::move(*parsed), ctx.request_id);
}

asio::awaitable<bool> ingress::is_for_this_app(
    storage::slack_app_record app, const slack::inbound_payload& payload, std::string request_id
) {
    auto verdict = slack::check_api_app_id(payload, app.app_id.value_or(""));
    if (verdict == slack::app_id_verdict::record) {
        // The signature proves Slack sent this for the app whose signing secret we hold, so its
        // api_app_id may name the app when nothing has (an app set up without --app-id).
        const std::string claimed(slack::api_app_id_of(payload));
        auto recorded = co_await deps_.slack.record_app_id(app.integration_id, claimed);
        verdict = recorded == claimed ? slack::app_id_verdict::matches : slack::app_id_verdict::mismatch;
        if (verdict == slack::app_id_verdict::matches)
            spdlog::info("slack app id recorded from a signed request integration_id={} app_id={}", app.integration_id, claimed);
    }
    if (verdict != slack::app_id_verdict::mismatch && verdict != slack::app_id_verdict::missing) co_return true;
    spdlog::warn("slack request refused request_id={} integration_id={} reason=api_app_id_{} recorded_app_id={}", request_id,
                 app.integration_id, slack::to_string(verdict), app.app_id.value_or("-"));
    co_return false;
}

asio::awaitable<http::response> ingress::dispatch(
    storage::slack_app_record app, slack::inbound_payload payload, std::string request_id
) {
    if (auto* verification = std::get_if<slack::url_verification>(&payload))
        co_return json_answer(json::object{{"challenge", verification->challenge}});
    if (auto* limited = std::get_if<slack::app_rate_limited>(&payload)) {
        spdlog::warn("slack is withholding events team_id={} minute={}", core::escaped_for_log(limited->team_id),
                     limited->minute_rate_limited);
        co_return empty_ack();
    }
    if (std::holds_alternative<slack::ssl_check>(payload)) co_return empty_ack();

    const slack::installation_ref* ref = std::visit(
        [](const auto& p) -> const slack::installation_ref* {
            if constexpr (requires { p.installation; }) return &p.installation;
            return nullptr;
        },
        payload
    );
    if (!ref) co_return empty_ack();
    auto* event = std::get_if<slack::event_callback>(&payload);
    if (event) {
        // Retries repeat the event_id: the first delivery is handled, the rest only acknowledged.
        std::string event_id = event->event_id;
        const bool first = co_await deps_.slack.first_delivery(app.integration_id, std::move(event_id), deps_.clock());
        if (!first) co_return empty_ack();
    }
    auto installation = co_await installation_for(app.integration_id, *ref);
    if (!installation) {
        spdlog::warn("slack request from an unknown installation request_id={} integration_id={} team_id={} enterprise_id={}",
                     request_id, app.integration_id, core::escaped_for_log(ref->team_id),
                     core::escaped_for_log(ref->enterprise_id));
        co_return refusal(bh::status::unauthorized);
    }
    auto token = co_await deps_.tokens.token_for(*installation);
    if (!token)
        co_return json_answer(slack::ephemeral(
            "This Slack app's credentials cannot be used right now; ask your administrator to reinstall it."
        ));
    context ctx{app, *installation, slack::caller{*token, workspace_of(*installation)}};

    if (event) {
        deps_.tasks.spawn(on_event(ctx, std::move(*event)), "slack event");
        co_return empty_ack();
    }
    if (auto* command = std::get_if<slack::slash_command>(&payload)) {
        std::string response_url = command->response_url;
        std::string name = "slack command";
        auto work = on_command(ctx, std::move(*command));
        co_return co_await answer_within_budget(std::move(work), std::move(response_url), std::move(name));
    }
    if (auto* actions = std::get_if<slack::block_actions>(&payload)) {
        std::string response_url = actions->response_url;
        std::string name = "slack block action";
        auto work = on_block_actions(ctx, std::move(*actions));
        co_return co_await answer_within_budget(std::move(work), std::move(response_url), std::move(name));
    }
    if (auto* submission = std::get_if<slack::view_submission>(&payload)) {
        if (submission->callback_id != slack::block_ids::new_challenge_callback) co_return empty_ack();
        std::string no_response_url;
        std::string name = "slack modal";
        auto work = on_new_challenge_submitted(ctx, std::move(*submission));
        co_return co_await answer_within_budget(std::move(work), std::move(no_response_url), std::move(name));
    }
    if (auto* shortcut = std::get_if<slack::global_shortcut>(&payload)) {
        deps_.tasks.spawn(open_new_challenge_modal(ctx, shortcut->trigger_id, {}, {}, {}), "slack shortcut");
        co_return empty_ack();
    }
    if (auto* shortcut = std::get_if<slack::message_shortcut>(&payload)) {
        deps_.tasks.spawn(on_message_shortcut(ctx, std::move(*shortcut)), "slack message shortcut");
        co_return empty_ack();
    }
    co_return empty_ack();  // block_suggestion, view_closed: nothing of ours uses them
}

namespace {

struct pending_reply {
    explicit pending_reply(asio::any_io_executor executor) : done(executor) {}
    asio::steady_timer done;
    std::optional<json::object> reply;
    bool finished = false;
    bool late = false;
};

}  // namespace

asio::awaitable<http::response> ingress::answer_within_budget(
    asio::awaitable<std::optional<json::object>> work, std::string response_url, std::string name
) {
    auto executor = co_await asio::this_coro::executor;
    auto state = std::make_shared<pending_reply>(executor);
    state->done.expires_after(settings_.ack_budget);
    auto run = [](std::shared_ptr<pending_reply> shared, asio::awaitable<std::optional<json::object>> job,
                  std::string late_url, slack::web_api_client& web_api) -> asio::awaitable<void> {
        std::optional<json::object> reply;
        try {
            reply = co_await std::move(job);
        } catch (const slack::web_api_failure& e) {
            spdlog::warn("slack work failed on a Slack call error={}", e.error().log_text());
            reply = slack_unavailable_ephemeral();
        } catch (const std::exception& e) {
            spdlog::error("slack work failed error={}", core::escaped_for_log(e.what()));
            reply = slack::ephemeral("Something went wrong on our side and nothing was sent. Please try again.");
        }
        if (!shared->late) {
            shared->reply = std::move(reply);
            shared->finished = true;
            shared->done.cancel();
            co_return;
        }
        if (!reply || late_url.empty()) co_return;
        std::chrono::milliseconds timeout = std::chrono::seconds(10);
        auto posted = co_await web_api.respond_to_response_url(std::move(late_url), std::move(*reply), timeout);
        if (!posted) spdlog::warn("slack late answer not delivered error={}", posted.error().log_text());
    };
    deps_.tasks.spawn(run(state, std::move(work), std::move(response_url), deps_.web_api), std::move(name));
    if (!state->finished) co_await state->done.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!state->finished) {
        state->late = true;
        co_return empty_ack();
    }
    if (!state->reply) co_return empty_ack();
    co_return json_answer(*state->reply);
}

asio::awaitable<json::object> ingress::create_and_confirm(slack_challenge_request request) {
    auto created = co_await deps_.requests.create(std::move(request));
    if (!created) co_return ephemeral_for(created.error());
    const auto& c = *created;
    co_return slack::ephemeral(
        "Challenge sent to " + slack::slack_mention(c.target_user_id.value_or("")) + ". When they have verified, ask them to "
        "read you the code *" + c.verification_code.value_or("") + "*: only the real person sees it after signing in. "
        "It expires " + slack::slack_date(c.expires_at) + "; the outcome arrives in your DM."
    );
}

asio::awaitable<std::optional<json::object>> ingress::on_command(context ctx, slack::slash_command command) {
    auto parsed = slack::parse_challenge_command(command.text);
    slack_challenge_request request;
    request.installation = ctx.installation;
    request.integration_id = ctx.app.integration_id;
    request.origin = core::challenge_origin::slack_command;
    request.requester_user_id = command.user_id;
    request.origin_channel_id = non_empty(command.channel_id);
    request.actor = "slack:" + command.user_id;

    if (std::holds_alternative<slack::show_help>(parsed)) co_return slack::help_message();
    if (auto* usage = std::get_if<slack::usage_error>(&parsed)) co_return slack::ephemeral(usage->message);
    if (std::holds_alternative<slack::open_challenge_modal>(parsed)) {
        std::optional<std::string> no_target, no_reason;
        co_await open_new_challenge_modal(ctx, command.trigger_id, no_target, no_reason, command.channel_id);
        co_return std::nullopt;
    }
    if (auto* status = std::get_if<slack::show_status>(&parsed)) {
        // Only the two people involved may read a challenge's status from Slack, and only in the
        // workspace it went through (another workspace of the tenant may have the same user ids).
        auto people = co_await deps_.jobs.people_of(ctx.installation.id, status->challenge_id);
        const bool involved = people && (people->requester_user_id == command.user_id || people->target_user_id == command.user_id);
        std::optional<core::challenge> found;
        if (involved) found = co_await deps_.challenges.find(ctx.installation.tenant_id, status->challenge_id);
        if (!found) co_return ephemeral_for(core::errc::challenge_not_found);
        const auto observed = core::observed_status(*found, deps_.clock());
        co_return slack::ephemeral(
            "Challenge `" + found->id + "` for " + slack::slack_mention(found->target_user_id.value_or("")) + ": *" +
            std::string(core::to_string(observed)) + "*" +
            (found->failure ? " (" + std::string(core::to_string(*found->failure)) + ")" : std::string()) + "."
        );
    }
    if (auto* user = std::get_if<slack::challenge_user>(&parsed)) {
        request.target_user_id = user->user_id;
        request.context = non_empty(user->reason);
        co_return co_await create_and_confirm(std::move(request));
    }
    const auto& by_email = std::get<slack::challenge_email>(parsed);
    auto user_id = co_await deps_.requests.user_id_for_email(ctx.installation, by_email.email);
    if (!user_id)
        co_return slack::ephemeral("No one in this workspace has that email address, so no challenge was sent.");
    request.target_user_id = *user_id;
    request.context = non_empty(by_email.reason);
    co_return co_await create_and_confirm(std::move(request));
}

asio::awaitable<void> ingress::open_new_challenge_modal(
    context ctx, std::string trigger_id, std::optional<std::string> target_user_id, std::optional<std::string> reason,
    std::string origin_channel_id
) {
    auto view = slack::new_challenge_modal(target_user_id, reason, origin_channel_id);
    auto opened = co_await deps_.web_api.views_open(ctx.as, std::move(trigger_id), std::move(view));
    if (!opened) spdlog::warn("slack modal not opened error={}", opened.error().log_text());
}

asio::awaitable<void> ingress::on_message_shortcut(context ctx, slack::message_shortcut shortcut) {
    std::optional<std::string> reason;
    json::object params{{"channel", shortcut.channel_id}, {"message_ts", shortcut.message_ts}};
    auto link = co_await deps_.web_api.call("chat.getPermalink", ctx.as, std::move(params), slack::body_encoding::form);
    if (link) {
        if (const auto* url = link->body.if_contains("permalink"); url && url->is_string())
            reason = "About this message: " + std::string(url->get_string());
    }
    std::optional<std::string> target;
    if (!shortcut.message_user.empty()) target = shortcut.message_user;
    co_await open_new_challenge_modal(ctx, shortcut.trigger_id, target, reason, shortcut.channel_id);
}

asio::awaitable<std::optional<json::object>> ingress::on_new_challenge_submitted(
    context ctx, slack::view_submission submission
) {
    namespace ids = slack::block_ids;
    const auto& values = submission.state_values;
    slack_challenge_request request;
    request.installation = ctx.installation;
    request.integration_id = ctx.app.integration_id;
    request.origin = core::challenge_origin::slack_command;
    request.requester_user_id = submission.user.id;
    request.origin_channel_id = non_empty(submission.private_metadata);
    request.actor = "slack:" + submission.user.id;
    request.target_user_id = string_at(values, {ids::target_block, ids::target_action, "selected_user"});
    request.context = non_empty(string_at(values, {ids::reason_block, ids::reason_action, "value"}));
    const auto minutes = string_at(values, {ids::expiry_block, ids::expiry_action, "selected_option", "value"});
    if (!minutes.empty()) {
        std::int64_t parsed = 0;
        auto [end, ec] = std::from_chars(minutes.data(), minutes.data() + minutes.size(), parsed);
        if (ec == std::errc{} && end == minutes.data() + minutes.size()) request.expiry_minutes = parsed;
    }
    if (request.target_user_id.empty()) co_return view_errors(ids::target_block, "Choose who to challenge.");
    auto created = co_await deps_.requests.create(std::move(request));
    if (!created) {
        const bool about_reason = created.error() == core::errc::field_too_long;
        co_return view_errors(about_reason ? ids::reason_block : ids::target_block, api::error_for(created.error()).message);
    }
    co_return std::nullopt;  // closes the modal; the requester's DM gets the code
}

asio::awaitable<std::optional<json::object>> ingress::on_block_actions(context ctx, slack::block_actions actions) {
    namespace ids = slack::block_ids;
    for (const auto& action : actions.actions) {
        if (action.action_id == ids::open_new_challenge_action) {
            std::optional<std::string> no_target, no_reason;
            std::string no_channel;
            co_await open_new_challenge_modal(ctx, actions.trigger_id, no_target, no_reason, no_channel);
            continue;
        }
        const bool reporting = action.action_id == ids::report_incident_action;
        if (!reporting && action.action_id != ids::verify_action) continue;
        const std::string challenge_id = action.value;
        if (!crypto::is_uuid(challenge_id)) co_return ephemeral_for(core::errc::challenge_not_found);
        auto people = co_await deps_.jobs.people_of(ctx.installation.id, challenge_id);
        // Only the person challenged can answer, from the workspace the card went to (the card
        // lives in their DM, but a forwarded or shared message, or a forged click from another
        // workspace of the tenant, must not let anyone else end it or speak for them).
        const bool by_target = people && people->target_user_id == actions.user.id;
        auto typed = string_at(actions.raw, {"state", "values", ids::additional_context_block,
                                             ids::additional_context_action, "value"});
        typed = slack::plain_user_text(typed, slack::max_target_response_length);
        if (!reporting) {
            // Verify is a link the browser opens; Slack tells us of the click with what the target
            // typed so far, which becomes target_response unless the page asks again.
            if (by_target && !typed.empty())
                co_await deps_.challenges.note_target_response(ctx.installation.tenant_id, challenge_id, typed, deps_.clock());
            continue;
        }
        if (!by_target) co_return ephemeral_for(core::errc::challenge_not_found);
        storage::transition_details details;
        if (!typed.empty()) details.target_response = typed;
        std::optional<std::string> tenant_scope = ctx.installation.tenant_id;
        std::string actor = "slack:" + actions.user.id;
        auto moved = co_await deps_.challenges.transition(
            tenant_scope, challenge_id, core::challenge_event::report_incident, details, actor, deps_.clock()
        );
        if (!moved) co_return ephemeral_for(moved.error());
        deps_.wake_outboxes();
        spdlog::info("challenge incident reported in slack challenge_id={} tenant_id={}", challenge_id,
                     ctx.installation.tenant_id);
    }
    co_return std::nullopt;
}

asio::awaitable<void> ingress::on_event(context ctx, slack::event_callback event) {
    if (auto* home = std::get_if<slack::app_home_opened>(&event.detail)) {
        if (home->tab == "home") co_await publish_home(ctx, home->user);
        co_return;
    }
    const bool uninstalled = std::holds_alternative<slack::app_uninstalled>(event.detail);
    const auto* revoked = std::get_if<slack::tokens_revoked>(&event.detail);
    if (uninstalled || (revoked && !revoked->bot.empty())) {
        std::optional<std::string> team;
        if (!ctx.installation.is_enterprise_install) team = ctx.installation.team_id;
        auto count = co_await deps_.slack.deactivate(
            ctx.app.integration_id, ctx.installation.enterprise_id, team, deps_.clock()
        );
        installations_.clear();  // this node stops at once; others within app_cache_ttl
        spdlog::info("slack installation deactivated integration_id={} event={} count={}", ctx.app.integration_id,
                     event.event_type, count);
    }
}

asio::awaitable<void> ingress::publish_home(context ctx, std::string user_id) {
    constexpr int per_list = 10;
    auto sent_rows = co_await deps_.jobs.sent_by(ctx.installation.id, user_id, per_list);
    auto received_rows = co_await deps_.jobs.received_by(ctx.installation.id, user_id, per_list);
    std::vector<slack::home_entry> sent, received;
    for (auto& row : sent_rows) sent.push_back({std::move(row.challenge), slack::slack_mention(row.counterpart_user_id)});
    for (auto& row : received_rows) {
        auto who = row.counterpart_user_id.empty() ? std::string("the Challenge app") : slack::slack_mention(row.counterpart_user_id);
        received.push_back({std::move(row.challenge), std::move(who)});
    }
    auto view = slack::app_home(sent, received, deps_.clock());
    auto published = co_await deps_.web_api.views_publish(ctx.as, std::move(user_id), std::move(view));
    if (!published) spdlog::warn("slack app home not published error={}", published.error().log_text());
}

}  // namespace chal::slack_app
