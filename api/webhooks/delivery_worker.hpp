// The callback sender: claims due deliveries from the outbox, sends each signed within the
// attempt timeout, lets the core decide what follows, and records attempts in batches.
// Two lanes, each bounded in total, per tenant and per endpoint: endpoints whose breaker is open
// (they time out) run in the slow lane with its own small budget and shorter attempts, so
// stalled receivers, however many and whoever owns them, leave healthy endpoints their capacity.
#pragma once

#include "api/metrics.hpp"
#include "app/core/time.hpp"
#include "app/crypto/crypto.hpp"
#include "app/http/client.hpp"
#include "storage/delivery_store.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace chal::api::webhooks {

// One lane's budget on this instance (a local budget: in-flight attempts are this process's).
struct delivery_lane_config {
    int max_in_flight;
    int max_per_tenant;    // so one tenant's endpoints, however many names they have, cannot take the lane
    int max_per_endpoint;  // scheme://host[:port]
    std::chrono::milliseconds attempt_timeout;
};

struct delivery_worker_config {
    std::string worker_id;  // unique per process; shown as the lease holder
    int claim_batch = 64;
    delivery_lane_config fast{256, 64, 8, std::chrono::milliseconds{10000}};
    delivery_lane_config slow{32, 8, 2, std::chrono::milliseconds{5000}};
    core::breaker_policy breaker;
    std::chrono::seconds lease{60};  // > attempt timeout + recording, so a live attempt keeps its row
    std::chrono::milliseconds poll_interval{500};  // other instances' commits are seen this fast
    std::chrono::seconds rescue_interval{5};
    std::size_t response_snippet_limit = 1024;
};

class delivery_worker {
public:
    delivery_worker(
        boost::asio::any_io_executor executor,
        storage::delivery_store& store,
        http::client& client,
        const crypto::secret_box& secrets,
        metrics& counters,
        core::clock_function clock,
        delivery_worker_config config
    );

    // Claims and sends until stop(); then waits for attempts in flight (each is bounded by the
    // attempt timeout) and their recording, and returns.
    boost::asio::awaitable<void> run();

    // Something may be due now (a commit on this node queued a callback).
    void wake();
    void stop();

    int in_flight() const noexcept { return lanes_[0].total + lanes_[1].total; }

    // What one lane has running now, by tenant and by endpoint.
    struct lane_usage {
        int total = 0;
        std::map<std::string, int> by_tenant;
        std::map<std::string, int> by_endpoint;
    };

private:
    enum lane_index { fast_lane = 0, slow_lane = 1 };
    const delivery_lane_config& lane_config(lane_index lane) const noexcept;
    // Claims what `lane` has room for and starts the attempts. True when more may be due at
    // once: the claim was full, or it filled some tenant's share (a claim skips a full tenant's
    // rows, so rows behind them are reached only by claiming again).
    boost::asio::awaitable<bool> claim_and_start(lane_index lane);
    boost::asio::awaitable<void> attempt(storage::claimed_delivery delivery, lane_index lane);
    boost::asio::awaitable<void> flush_results();
    boost::asio::awaitable<void> wait_for_wake(std::chrono::steady_clock::duration limit);
    void queue_result(storage::attempt_record result);
    void publish_in_flight();
    // What the breaker is told about an attempt's endpoint (none: nothing it needs to know).
    core::endpoint_signal breaker_signal(core::endpoint_signal signal, const std::string& endpoint, lane_index lane);

    boost::asio::any_io_executor executor_;
    storage::delivery_store& store_;
    http::client& client_;
    const crypto::secret_box& secrets_;
    metrics& counters_;
    core::clock_function clock_;
    delivery_worker_config config_;

    boost::asio::steady_timer wake_timer_;
    bool woken_ = false;
    bool stopping_ = false;
    lane_usage lanes_[2];
    // The slow lane is asked only while it has work, and otherwise once per poll interval (an
    // endpoint can turn slow on another instance): no second claim per wake-up while all is well.
    std::chrono::steady_clock::time_point next_slow_claim_{};
    bool slow_lane_busy_ = false;
    std::set<std::string> timed_out_here_;
    std::vector<storage::attempt_record> unrecorded_;
    bool flushing_ = false;
};

}  // namespace chal::api::webhooks
