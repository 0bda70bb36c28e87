#include "api/webhooks/delivery_worker.hpp"

#include "api/webhooks/signature.hpp"
#include "app/core/callback.hpp"
#include "app/core/text.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/verb.hpp>
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

// Endpoints remembered as having timed out on this instance (until their next success).
constexpr std::size_t max_timed_out_remembered = 10'000;

void release_count(std::map<std::string, int>& counts, const std::string& key) {
    if (--counts[key] <= 0) counts.erase(key);
}

// Counted when claimed (the attempt task starts later, and the next claim must see it)...
void occupy(delivery_worker::lane_usage& lane, const storage::claimed_delivery& d) {
    ++lane.total;
    ++lane.by_tenant[d.tenant_id];
    ++lane.by_endpoint[d.endpoint];
}

// ...and given back however the attempt ends.
struct in_flight_slot {
    delivery_worker::lane_usage& lane;
    std::string tenant;
    std::string endpoint;
    in_flight_slot(delivery_worker::lane_usage& l, std::string t, std::string e)
        : lane(l), tenant(std::move(t)), endpoint(std::move(e)) {}
    in_flight_slot(const in_flight_slot&) = delete;
    in_flight_slot& operator=(const in_flight_slot&) = delete;
    ~in_flight_slot() {
        --lane.total;
        release_count(lane.by_tenant, tenant);
        release_count(lane.by_endpoint, endpoint);
    }
};

std::vector<std::pair<std::string, int>> counts_of(const std::map<std::string, int>& counts) {
    return {counts.begin(), counts.end()};
}

}  // namespace

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

const delivery_lane_config& delivery_worker::lane_config(lane_index lane) const noexcept {
    return lane == fast_lane ? config_.fast : config_.slow;
}

core::endpoint_signal delivery_worker::breaker_signal(core::endpoint_signal signal, const std::string& endpoint, lane_index lane) {
    if (signal == core::endpoint_signal::timeout) {
        if (timed_out_here_.size() < max_timed_out_remembered) timed_out_here_.insert(endpoint);
        return signal;
    }
    if (signal != core::endpoint_signal::healthy) return signal;
    // A success only matters to an endpoint the breaker counts timeouts for: one in the slow
    // lane, or one that timed out here. Healthy endpoints cost the breaker no statement.
    if (lane == slow_lane || timed_out_here_.erase(endpoint) > 0) return signal;
    return core::endpoint_signal::none;
}

void delivery_worker::publish_in_flight() {
    counters_.set_webhook_in_flight("fast", lanes_[fast_lane].total);
    counters_.set_webhook_in_flight("slow", lanes_[slow_lane].total);
}

asio::awaitable<bool> delivery_worker::claim_and_start(lane_index lane) {
    const auto& budget = lane_config(lane);
    auto& usage = lanes_[lane];
    const int room = budget.max_in_flight - usage.total;
    if (room <= 0) co_return false;
    if (lane == slow_lane) {
        const auto now_steady = std::chrono::steady_clock::now();
        if (!slow_lane_busy_ && usage.total == 0 && now_steady < next_slow_claim_) co_return false;
        next_slow_claim_ = now_steady + config_.poll_interval;
    }
    storage::claim_fairness fairness;
    fairness.slow_lane = lane == slow_lane;
    fairness.max_per_tenant = budget.max_per_tenant;
    fairness.max_per_endpoint = budget.max_per_endpoint;
    fairness.tenants_in_flight = counts_of(usage.by_tenant);
    fairness.endpoints_in_flight = counts_of(usage.by_endpoint);
    const auto now = clock_();
    const int limit = std::min(room, config_.claim_batch);
    auto claimed = co_await store_.claim_due(now, limit, config_.worker_id, now + config_.lease, std::move(fairness));
    bool filled_a_tenant = false;
    for (auto& d : claimed) {
        occupy(usage, d);
        filled_a_tenant = filled_a_tenant || usage.by_tenant[d.tenant_id] >= budget.max_per_tenant;
        auto send = attempt(std::move(d), lane);
        asio::co_spawn(executor_, std::move(send), [](std::exception_ptr e) {
            if (!e) return;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                spdlog::error("webhook attempt task failed error={}", ex.what());
            }
        });
    }
    if (lane == slow_lane) slow_lane_busy_ = !claimed.empty();
    publish_in_flight();
    co_return static_cast<int>(claimed.size()) == limit || filled_a_tenant;
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
            const bool more_fast = co_await claim_and_start(fast_lane);
            const bool more_slow = co_await claim_and_start(slow_lane);
            if (more_fast || more_slow) continue;
        } catch (const std::exception& e) {
            spdlog::error("webhook worker cycle failed error={}", e.what());
        }
        co_await wait_for_wake(config_.poll_interval);
    }
    // Drain: attempts end within their timeout; results then flush.
    asio::steady_timer pause(executor_);
    while (in_flight() > 0 || flushing_ || !unrecorded_.empty()) {
        pause.expires_after(std::chrono::milliseconds{20});
        co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

asio::awaitable<void> delivery_worker::attempt(storage::claimed_delivery d, lane_index lane) {
    in_flight_slot slot{lanes_[lane], d.tenant_id, d.endpoint};
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
        req.total_timeout = lane_config(lane).attempt_timeout;
        req.fairness_key = d.tenant_id;  // one tenant's slow DNS waits behind its own lookups only
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
    record.lease_token = d.lease_token;
    record.endpoint = d.endpoint;
    record.signal = breaker_signal(core::endpoint_signal_of(outcome), d.endpoint, lane);
    const auto verdict = core::to_string(record.decision.verdict);
    counters_.count_delivery_attempt(
        verdict, std::chrono::duration<double>(std::chrono::steady_clock::now() - started_steady).count()
    );
    spdlog::info(
        "webhook attempt delivery_id={} event_id={} attempt={} lane={} status={} error={} verdict={} ms={}",
        d.id, d.event_id, d.attempt_no, lane == fast_lane ? "fast" : "slow", record.status_code.value_or(0),
        record.error_class.value_or("-"), verdict, record.duration_ms
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
            const auto done = co_await store_.record_attempts(std::move(batch), clock_(), config_.breaker);
            if (done.applied < static_cast<std::int64_t>(count))
                spdlog::warn("webhook results refused: their lease had passed to another claim count={}",
                             static_cast<std::int64_t>(count) - done.applied);
            counters_.count_breaker_moves("slow", done.moved_to_slow_lane);
            counters_.count_breaker_moves("fast", done.moved_to_fast_lane);
            if (done.moved_to_slow_lane > 0) slow_lane_busy_ = true;  // its deliveries wait there now
            if (done.moved_to_slow_lane > 0 || done.moved_to_fast_lane > 0)
                spdlog::warn("webhook endpoints changed lanes to_slow={} to_fast={}", done.moved_to_slow_lane,
                             done.moved_to_fast_lane);
        } catch (const std::exception& e) {
            // The rows stay leased; the lease rescue returns them and they are sent again.
            spdlog::error("webhook attempts not recorded count={} error={}", count, e.what());
        }
    }
}

}  // namespace chal::api::webhooks
