// Ends challenges whose deadline passed, with their callbacks, every sweep interval; verifies
// proven logins whose page never sent device details; and forgets idempotency keys, browser
// flows and SAML assertion ids past retention. Safe with several instances (SKIP LOCKED,
// conditional updates).
#pragma once

#include "api/metrics.hpp"
#include "api/verification/verification_pages.hpp"
#include "app/core/time.hpp"
#include "storage/challenge_store.hpp"
#include "storage/idempotency_store.hpp"
#include "storage/slack_store.hpp"
#include "storage/verification_store.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>

namespace chal::service {

class expiry_sweeper {
public:
    expiry_sweeper(
        boost::asio::any_io_executor executor,
        storage::challenge_store& challenges,
        storage::idempotency_store& idempotency,
        storage::verification_store& verification,
        storage::slack_store& slack,
        api::verification_pages& pages,
        api::metrics& counters,
        core::clock_function clock,
        std::chrono::milliseconds interval,
        std::function<void()> on_expired
    );

    boost::asio::awaitable<void> run();  // until stop()
    void stop();

    // One pass: expires everything due now, in batches. Returns how many it expired.
    boost::asio::awaitable<std::size_t> sweep_once();

private:
    storage::challenge_store& challenges_;
    storage::idempotency_store& idempotency_;
    storage::verification_store& verification_;
    storage::slack_store& slack_;
    api::verification_pages& pages_;
    api::metrics& counters_;
    core::clock_function clock_;
    std::chrono::milliseconds interval_;
    std::function<void()> on_expired_;
    boost::asio::steady_timer timer_;
    bool stopping_ = false;
};

}  // namespace chal::service
