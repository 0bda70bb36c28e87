// The callback sender: claims due deliveries from the outbox, sends each signed within the
// attempt timeout, lets the core decide what follows, and records attempts in batches.
// Bounded in total and per endpoint, so one stalled receiver cannot hold up the others.
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
#include <string>
#include <vector>

namespace chal::api::webhooks {

struct delivery_worker_config {
    std::string worker_id;  // unique per process; fences recorded results to the lease holder
    int claim_batch = 64;
    int max_in_flight = 256;
    int max_per_endpoint = 8;
    std::chrono::seconds lease{60};  // > attempt timeout + recording, so a live attempt keeps its row
    std::chrono::milliseconds poll_interval{500};  // other instances' commits are seen this fast
    std::chrono::milliseconds attempt_timeout{10000};
    std::chrono::seconds busy_endpoint_delay{1};
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

    int in_flight() const noexcept { return in_flight_; }

private:
    boost::asio::awaitable<void> attempt(storage::claimed_delivery delivery);
    boost::asio::awaitable<void> flush_results();
    boost::asio::awaitable<void> wait_for_wake(std::chrono::steady_clock::duration limit);
    void queue_result(storage::attempt_record result);

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
    int in_flight_ = 0;
    std::map<std::string, int> in_flight_by_endpoint_;
    std::vector<storage::attempt_record> unrecorded_;
    bool flushing_ = false;
};

// "https://host:443" for a URL, the unit the per-endpoint bound counts.
std::string endpoint_of(std::string_view url);

}  // namespace chal::api::webhooks
