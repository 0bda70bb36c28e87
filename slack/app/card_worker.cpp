#include "slack/app/card_worker.hpp"

#include "api/wire.hpp"
#include "slack/app/challenge_requests.hpp"
#include "slack/blocks.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <string_view>

namespace chal::slack_app {
namespace asio = boost::asio;
namespace {

// A message for chat.postMessage / chat.update from a blocks.hpp payload ({"text", "blocks"}).
slack::outgoing_message message_from(const boost::json::object& payload, std::string channel, std::string ts = {}) {
    slack::outgoing_message m;
    m.channel = std::move(channel);
    m.ts = std::move(ts);
    if (const auto* text = payload.if_contains("text"); text && text->is_string()) m.text = std::string(text->get_string());
    if (const auto* blocks = payload.if_contains("blocks"); blocks && blocks->is_array()) m.blocks = blocks->get_array();
    return m;
}

std::string mention(std::string_view user_id) {
    return slack::slack_mention(user_id);
}

// The job ran past its lease and another claim took it: that claim's result is the one kept.
void log_lost_lease(const storage::slack_job& job) {
    spdlog::warn("slack job result refused: its lease passed to another claim job_id={} challenge_id={}", job.id,
                 job.challenge.id);
}

}  // namespace

bool is_permanent_slack_error(const slack::web_api_error& error) noexcept {
    if (error.kind == slack::web_api_errc::refused_url || error.kind == slack::web_api_errc::bad_response) return true;
    if (error.kind != slack::web_api_errc::slack_error) return false;
    static constexpr std::array<std::string_view, 16> permanent{
        "channel_not_found", "user_not_found", "user_not_visible", "cannot_dm_bot", "not_in_channel",
        "is_archived", "account_inactive", "invalid_auth", "token_revoked", "not_authed", "missing_scope",
        "message_not_found", "cant_update_message", "invalid_blocks", "msg_too_long", "token_unavailable"};
    return std::find(permanent.begin(), permanent.end(), error.code) != permanent.end();
}

std::chrono::seconds card_retry_delay(int attempts) noexcept {
    const int exponent = std::clamp(attempts, 1, 9);
    return std::min(std::chrono::seconds{1 << exponent}, std::chrono::seconds{300});
}

card_worker::card_worker(
    asio::any_io_executor executor, storage::slack_job_store& jobs, storage::slack_store& slack,
    storage::verification_store& verification, bot_tokens& tokens, slack::web_api_client& web_api,
    core::clock_function clock, card_worker_config config
)
    : executor_(executor),
      jobs_(jobs),
      slack_(slack),
      verification_(verification),
      tokens_(tokens),
      web_api_(web_api),
      clock_(std::move(clock)),
      config_(std::move(config)),
      wake_timer_(executor) {}

void card_worker::wake() {
    woken_ = true;
    wake_timer_.cancel();
}

void card_worker::stop() {
    stopping_ = true;
    wake_timer_.cancel();
}

asio::awaitable<void> card_worker::wait_for_wake(std::chrono::steady_clock::duration limit) {
    if (woken_ || stopping_) co_return;
    wake_timer_.expires_after(limit);
    co_await wake_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<void> card_worker::run() {
    while (!stopping_) {
        woken_ = false;
        std::size_t claimed_count = 0;
        int room = config_.max_in_flight - in_flight_;
        try {
            if (room > 0) {
                const auto now = clock_();
                storage::slack_claim_fairness fairness;
                fairness.max_per_installation = config_.max_per_installation;
                fairness.installations_in_flight = {in_flight_by_installation_.begin(), in_flight_by_installation_.end()};
                auto claimed = co_await jobs_.claim_due(
                    now, std::min(room, config_.claim_batch), now + config_.lease, std::move(fairness)
                );
                claimed_count = claimed.size();
                for (auto& job : claimed) {
                    ++in_flight_;
                    ++in_flight_by_installation_[job.installation_id];
                    auto installation = job.installation_id;
                    asio::co_spawn(executor_, run_job(std::move(job)), [this, installation](std::exception_ptr) {
                        --in_flight_;
                        if (--in_flight_by_installation_[installation] <= 0) in_flight_by_installation_.erase(installation);
                        if (!stopping_)
                            wake();  // room for another job
                        else if (in_flight_ == 0)
                            wake_timer_.cancel();  // ends the shutdown wait below
                    });
                }
            }
        } catch (const std::exception& e) {
            spdlog::error("slack card jobs could not be claimed error={}", e.what());
        }
        // Jobs of installations at their share are skipped by a claim: more may wait behind them.
        if (claimed_count > 0) continue;
        co_await wait_for_wake(config_.poll_interval);
    }
    // Each job's Slack calls are bounded by the client's timeout; its lease covers the rest. The
    // last job to end cancels this wait.
    if (in_flight_ > 0) {
        wake_timer_.expires_after(config_.lease);
        co_await wake_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

asio::awaitable<void> card_worker::run_job(storage::slack_job job) {
    const std::string_view kind = job.kind == storage::slack_job_kind::deliver ? "deliver" : "outcome";
    std::optional<slack::web_api_error> failure;
    std::string failure_text;
    try {
        auto installation = co_await slack_.find_installation_by_id(job.installation_id);
        if (!installation) {
            co_await jobs_.give_up(job.id, job.lease_token, clock_(), "the Slack installation was removed");
            spdlog::warn("slack job given up job_id={} kind={} challenge_id={} reason=installation_removed", job.id,
                         kind, job.challenge.id);
            co_return;
        }
        auto token = co_await tokens_.token_for(*installation);
        if (!token) throw token_unavailable("token");
        slack::caller as{*token, workspace_of(*installation)};
        if (job.kind == storage::slack_job_kind::deliver)
            co_await deliver(job, as);
        else
            co_await report_outcome(job, as, installation->integration_id);
        if (co_await jobs_.finish(job.id, job.lease_token, clock_()))
            spdlog::info("slack job done job_id={} kind={} challenge_id={}", job.id, kind, job.challenge.id);
        else
            log_lost_lease(job);
        co_return;
    } catch (const slack::web_api_failure& e) {
        failure = e.error();
        failure_text = e.error().log_text();
    } catch (const std::exception& e) {
        failure_text = e.what();
    }
    // Recorded outside the catch blocks: no co_await inside a handler.
    const auto now = clock_();
    try {
        if ((failure && is_permanent_slack_error(*failure)) || job.attempts >= config_.max_attempts) {
            if (!co_await jobs_.give_up(job.id, job.lease_token, now, failure_text)) {
                log_lost_lease(job);
                co_return;
            }
            spdlog::error("slack job given up job_id={} kind={} challenge_id={} attempts={} error={}", job.id, kind,
                          job.challenge.id, job.attempts, failure_text);
            co_return;
        }
        auto delay = card_retry_delay(job.attempts);
        if (failure && failure->kind == slack::web_api_errc::ratelimited) delay = std::max(delay, failure->retry_after);
        if (!co_await jobs_.retry_at(job.id, job.lease_token, now + delay, failure_text)) {
            log_lost_lease(job);
            co_return;
        }
        spdlog::warn("slack job retrying job_id={} kind={} challenge_id={} attempts={} in_seconds={} error={}", job.id,
                     kind, job.challenge.id, job.attempts, delay.count(), failure_text);
    } catch (const std::exception& e) {
        // The lease runs out and another pass takes the job again.
        spdlog::error("slack job outcome not recorded job_id={} error={}", job.id, e.what());
    }
}

asio::awaitable<void> card_worker::deliver(const storage::slack_job& job, const slack::caller& as) {
    const auto& c = job.challenge;
    auto existing = co_await slack_.messages_of(c.id);
    auto has = [&](std::string_view role) {
        return std::any_of(existing.begin(), existing.end(), [&](const auto& m) { return m.role == role; });
    };
    if (!has("target")) {
        auto settings = co_await verification_.settings(c.tenant_id);
        auto dm = co_await web_api_.conversations_open(as, job.target_user_id);
        auto channel = dm.value();
        auto card = slack::target_card(
            c, mention(c.requester_id), api::verification_url(config_.public_base_url, c.id),
            settings.additional_context_enabled
        );
        auto posted = co_await web_api_.chat_post_message(as, message_from(card, channel));
        storage::slack_message_record record{c.id, "target", job.installation_id, posted.value().channel, posted.value().ts, {}};
        co_await slack_.save_message(record);
    }
    // The requester's message carries the call-binding code, so it goes to their DM, never to the
    // channel the command ran in (where others would read it).
    if (job.requester_user_id && !has("requester")) {
        auto dm = co_await web_api_.conversations_open(as, *job.requester_user_id);
        auto channel = dm.value();
        auto message = slack::requester_message(c, mention(job.target_user_id), c.verification_code.value_or(""));
        auto posted = co_await web_api_.chat_post_message(as, message_from(message, channel));
        storage::slack_message_record record{
            c.id, "requester", job.installation_id, posted.value().channel, posted.value().ts, {}};
        co_await slack_.save_message(record);
    }
}

asio::awaitable<void> card_worker::report_outcome(
    const storage::slack_job& job, const slack::caller& as, std::string app_integration_id
) {
    const auto& c = job.challenge;
    auto messages = co_await slack_.messages_of(c.id);
    bool alerted = false;
    for (const auto& m : messages) {
        if (m.role == "security") {
            alerted = true;
            continue;
        }
        const auto role = m.role == "target" ? slack::card_role::target : slack::card_role::requester;
        auto update = slack::outcome_update(c, role, mention(job.target_user_id), mention(c.requester_id));
        auto updated = co_await web_api_.chat_update(as, message_from(update, m.channel_id, m.ts));
        if (!updated && !updated.error().is_slack_error("message_not_found")) throw slack::web_api_failure(updated.error());
    }
    if (alerted || c.failure != core::failure_reason::incident_reported) co_return;
    auto app = co_await slack_.find_app_by_integration(app_integration_id);
    if (!app || !app->security_channel_id || app->security_channel_id->empty()) co_return;
    auto alert = slack::security_alert(c, mention(job.target_user_id), mention(c.requester_id));
    auto posted = co_await web_api_.chat_post_message(as, message_from(alert, *app->security_channel_id));
    storage::slack_message_record record{c.id, "security", job.installation_id, posted.value().channel, posted.value().ts, {}};
    co_await slack_.save_message(record);
}

}  // namespace chal::slack_app
