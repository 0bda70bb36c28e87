// Posts each Slack challenge's card (the target's DM) and the requester's message, then updates
// both in place when the challenge ends, from the slack_jobs outbox written with the challenge.
// Jobs are leased, so several instances share the work and a crash only delays a job; Slack's
// 429s are honoured; errors retrying cannot fix (the target cannot be messaged) end the job.
#pragma once

#include "app/core/time.hpp"
#include "slack/app/bot_tokens.hpp"
#include "slack/web_api.hpp"
#include "storage/slack_job_store.hpp"
#include "storage/slack_store.hpp"
#include "storage/verification_store.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <map>
#include <string>

namespace chal::slack_app {

struct card_worker_config {
    std::string public_base_url;  // the card's Verify button opens <base>/challenge/start/<id>
    int claim_batch = 32;
    int max_in_flight = 64;
    // One workspace whose Slack calls hang holds at most this many jobs; the others keep the rest.
    int max_per_installation = 16;
    std::chrono::seconds lease{60};  // longer than a job's Slack calls (each bounded by the client timeout)
    std::chrono::milliseconds poll_interval{1000};  // other instances' commits are seen this fast
    int max_attempts = 12;                          // then the job is given up (dead)
};

class card_worker {
public:
    card_worker(
        boost::asio::any_io_executor executor, storage::slack_job_store& jobs, storage::slack_store& slack,
        storage::verification_store& verification, bot_tokens& tokens, slack::web_api_client& web_api,
        core::clock_function clock, card_worker_config config
    );

    // Claims and runs jobs until stop(); then waits (bounded) for the jobs in flight.
    boost::asio::awaitable<void> run();
    void wake();
    void stop();

private:
    boost::asio::awaitable<void> run_job(storage::slack_job job);
    boost::asio::awaitable<void> deliver(const storage::slack_job& job, const slack::caller& as);
    boost::asio::awaitable<void> report_outcome(
        const storage::slack_job& job, const slack::caller& as, std::string app_integration_id
    );
    boost::asio::awaitable<void> wait_for_wake(std::chrono::steady_clock::duration limit);

    boost::asio::any_io_executor executor_;
    storage::slack_job_store& jobs_;
    storage::slack_store& slack_;
    storage::verification_store& verification_;
    bot_tokens& tokens_;
    slack::web_api_client& web_api_;
    core::clock_function clock_;
    card_worker_config config_;
    boost::asio::steady_timer wake_timer_;
    bool woken_ = false;
    bool stopping_ = false;
    int in_flight_ = 0;
    std::map<std::string, int> in_flight_by_installation_;
};

// Slack errors no retry can fix: the job ends (dead) at once.
bool is_permanent_slack_error(const slack::web_api_error& error) noexcept;

// How long before attempt `attempts + 1`: 2, 4, 8 ... seconds, at most five minutes.
std::chrono::seconds card_retry_delay(int attempts) noexcept;

}  // namespace chal::slack_app
