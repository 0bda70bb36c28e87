#include "api/webhooks/delivery_worker.hpp"

#include "api/webhooks/signature.hpp"
#include "app/core/callback.hpp"
#include "app/core/text.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

namespace chal::api::webhooks {
namespace asio = boost::asio;

namespace {

storage::attempt_record outcome_record(
    const storage::claimed_delivery& d,
    core::timestamp started,
    std::chrono::steady_clock::duration took
) {
    storage::attempt_record r;
    r.delivery_id = d.id;
    r.attempt_no = d.attempt_no;
    r.trigger = d.trigger;
    r.started_at = started;
    r.duration_ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count());
    return r;
}

// Keeps the in-flight counts right however an attempt ends.
struct in_flight_slot {
    int& total;
    std::map<std::string, int>& by_endpoint;
    std::string endpoint;
    ~in_flight_slot() {
        --total;
        if (--by_endpoint[endpoint] <= 0) by_endpoint.erase(endpoint);
    }
};

}  // namespace

std::string endpoint_of(std::string_view url) {
    auto parsed = boost::urls::parse_uri(url);
    if (!parsed) return std::string(url);
    std::string port(parsed->port());
    if (port.empty()) port = parsed->scheme_id() == boost::urls::scheme::https ? "443" : "80";
    return std::string(parsed->scheme()) + "://" + std::string(parsed->encoded_host()) + ":" + port;
}

delivery_worker::delivery_worker(
    asio::any_io_executor executor,
    storage::delivery_store& store,
    http::client& client,
    const crypto::secret_box& secrets,
    metrics& counters,
    core::clock_function clock,
    delivery_worker_config config
)
    : executor_(executor),
      store_(store),
      client_(client),
      secrets_(secrets),
      counters_(counters),
      clock_(std::move(clock)),
      config_(std::move(config)),
      wake_timer_(executor) {}

void delivery_worker::wake() {
    woken_ = true;
    wake_timer_.cancel();
}

void delivery_worker::stop() {
    stopping_ = true;
    wake_timer_.cancel();
}

asio::awaitable<void> delivery_worker::wait_for_wake(std::chrono::steady_clock::duration limit) {
    if (woken_ || stopping_) co_return;
    wake_timer_.expires_after(limit);
    co_await wake_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<void> delivery_worker::run() {
    auto next_rescue = std::chrono::steady_clock::now();
    while (!stopping_) {
        woken_ = false;
        try {
            if (std::chrono::steady_clock::now() >= next_rescue) {
                next_rescue = std::chrono::steady_clock::now() + config_.rescue_interval;
                if (auto rescued = co_await store_.rescue_expired_leases(clock_()); rescued > 0)
                    spdlog::warn("webhook leases rescued count={}", rescued);
            }
            const int room = config_.max_in_flight - in_flight_;
            std::size_t claimed_count = 0;
            if (room > 0) {
                const auto now = clock_();
                auto claimed = co_await store_.claim_due(
                    now, std::min(room, config_.claim_batch), config_.worker_id, now + config_.lease
                );
                claimed_count = claimed.size();
                for (auto& d : claimed) {
                    auto endpoint = endpoint_of(d.url);
                    if (in_flight_by_endpoint_[endpoint] >= config_.max_per_endpoint) {
                        co_await store_.release(d.id, config_.worker_id, now + config_.busy_endpoint_delay);
                        counters_.count_delivery_attempt("deferred_busy_endpoint", 0);
                        continue;
                    }
                    ++in_flight_;
                    ++in_flight_by_endpoint_[endpoint];
                    auto send = attempt(std::move(d));
                    asio::co_spawn(executor_, std::move(send), [](std::exception_ptr e) {
                        if (!e) return;
                        try {
                            std::rethrow_exception(e);
                        } catch (const std::exception& ex) {
                            spdlog::error("webhook attempt task failed error={}", ex.what());
                        }
                    });
                }
            }
            // A full batch means more may be due: claim again at once.
            if (claimed_count >= static_cast<std::size_t>(config_.claim_batch) && room > 0) continue;
        } catch (const std::exception& e) {
            spdlog::error("webhook worker cycle failed error={}", e.what());
        }
        co_await wait_for_wake(config_.poll_interval);
    }
    // Drain: attempts end within their timeout; results then flush.
    asio::steady_timer pause(executor_);
    while (in_flight_ > 0 || flushing_ || !unrecorded_.empty()) {
        pause.expires_after(std::chrono::milliseconds{20});
        co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

asio::awaitable<void> delivery_worker::attempt(storage::claimed_delivery d) {
    in_flight_slot slot{in_flight_, in_flight_by_endpoint_, endpoint_of(d.url)};
    const auto started = clock_();
    const auto started_steady = std::chrono::steady_clock::now();
    if (d.attempt_no == 1)
        counters_.observe_first_attempt_delay(static_cast<double>((started - d.created_at).count()));

    std::optional<std::string> secret;
    bool secret_ok = true;
    if (d.secret_sealed) {
        secret = secrets_.open(*d.secret_sealed, webhook_secret_context(d.integration_id));
        secret_ok = secret.has_value();
    }

    core::attempt_outcome outcome;
    storage::attempt_record record;
    const auto attempt_timestamp = static_cast<std::int64_t>(started.time_since_epoch().count());
    auto headers = callback_headers(d.event_id, d.event_type, attempt_timestamp, d.body, secret);
    if (!secret_ok) {
        // Sending unsigned would teach receivers to accept unsigned calls; fail and retry instead.
        spdlog::error("webhook secret cannot be opened integration_id={} (master key changed?)", d.integration_id);
        record = outcome_record(d, started, std::chrono::steady_clock::now() - started_steady);
        record.error_class = "secret_unreadable";
    } else if (!headers) {
        // Stored before secrets were checked on the way in: a failed attempt like any other, so
        // the schedule runs out instead of the attempt failing the same way forever.
        spdlog::error("webhook secret cannot sign integration_id={} (not whsec_<base64>)", d.integration_id);
        record = outcome_record(d, started, std::chrono::steady_clock::now() - started_steady);
        record.error_class = "secret_unusable";
    } else {
        http::outgoing_request req;
        req.method = boost::beast::http::verb::post;
        req.url = d.url;
        req.headers = std::move(*headers);
        req.body = d.body;
        req.total_timeout = config_.attempt_timeout;
        req.max_body_override = config_.response_snippet_limit;
        auto sent = co_await client_.send(std::move(req));
        record = outcome_record(d, started, std::chrono::steady_clock::now() - started_steady);
        if (sent) {
            outcome.http_status = sent->status;
            if (auto retry_after = sent->header("Retry-After")) outcome.retry_after = core::parse_retry_after(*retry_after);
            record.status_code = static_cast<int>(sent->status);
            record.peer_address = sent->peer_address;
            record.response_snippet = core::storable_text(sent->body, config_.response_snippet_limit, core::line_breaks::keep);
            if (sent->status < 200 || sent->status >= 300) record.error_class = "http_status";
        } else {
            outcome.timed_out = sent.error() == http::client_errc::timeout;
            // Stable short names ("timeout", "forbidden_address") for the attempt log and metrics.
            const auto& ec = sent.error();
            record.error_class = ec.category() == http::client_category()
                                     ? std::string(http::to_string(static_cast<http::client_errc>(ec.value())))
                                     : ec.message();
        }
    }
    record.decision = core::decide_after_attempt(outcome, d.attempt_no, clock_(), crypto::random_unit());
    const auto verdict = core::to_string(record.decision.verdict);
    counters_.count_delivery_attempt(
        verdict, std::chrono::duration<double>(std::chrono::steady_clock::now() - started_steady).count()
    );
    spdlog::info(
        "webhook attempt delivery_id={} event_id={} attempt={} status={} error={} verdict={} ms={}",
        d.id, d.event_id, d.attempt_no, record.status_code.value_or(0), record.error_class.value_or("-"), verdict,
        record.duration_ms
    );
    queue_result(std::move(record));
    // Room for another claim.
    wake();
}

void delivery_worker::queue_result(storage::attempt_record result) {
    unrecorded_.push_back(std::move(result));
    if (flushing_) return;
    flushing_ = true;
    auto flush = flush_results();
    asio::co_spawn(executor_, std::move(flush), [this](std::exception_ptr e) {
        flushing_ = false;
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            spdlog::error("webhook results flush failed error={}", ex.what());
        }
    });
}

asio::awaitable<void> delivery_worker::flush_results() {
    // Results that arrive while a batch is being written form the next batch: under load one
    // statement records many attempts (group commit), idle it records one at once.
    while (!unrecorded_.empty()) {
        auto batch = std::move(unrecorded_);
        unrecorded_.clear();
        const auto count = batch.size();
        try {
            co_await store_.record_attempts(std::move(batch), config_.worker_id, clock_());
        } catch (const std::exception& e) {
            // The rows stay leased; the lease rescue returns them and they are sent again.
            spdlog::error("webhook attempts not recorded count={} error={}", count, e.what());
        }
    }
}

}  // namespace chal::api::webhooks
