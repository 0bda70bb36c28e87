#include "app/service/expiry_sweeper.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace chal::service {
namespace asio = boost::asio;

namespace {
constexpr int sweep_batch = 500;
constexpr auto purge_every = std::chrono::minutes{10};
// Slack event ids and request signatures are remembered this long: far beyond Slack's retries
// (minutes) and the signature window (5 minutes either way).
constexpr auto slack_dedupe_memory = std::chrono::hours{1};
}  // namespace

expiry_sweeper::expiry_sweeper(
    asio::any_io_executor executor,
    storage::challenge_store& challenges,
    storage::idempotency_store& idempotency,
    storage::verification_store& verification,
    storage::slack_store& slack,
    api::verification_pages& pages,
    api::metrics& counters,
    core::clock_function clock,
    std::chrono::milliseconds interval,
    std::function<void()> on_expired
)
    : challenges_(challenges),
      idempotency_(idempotency),
      verification_(verification),
      slack_(slack),
      pages_(pages),
      counters_(counters),
      clock_(std::move(clock)),
      interval_(interval),
      on_expired_(std::move(on_expired)),
      timer_(executor) {}

void expiry_sweeper::stop() {
    stopping_ = true;
    timer_.cancel();
}

asio::awaitable<std::size_t> expiry_sweeper::sweep_once() {
    std::size_t total = 0;
    for (;;) {
        auto expired = co_await challenges_.expire_due(clock_(), sweep_batch);
        for (const auto& c : expired) {
            counters_.count_challenge_event("expire");
            spdlog::info("challenge expired challenge_id={} tenant_id={}", c.id, c.tenant_id);
        }
        total += expired.size();
        if (expired.size() < static_cast<std::size_t>(sweep_batch)) break;
    }
    const int unreported = co_await pages_.finish_unreported(clock_());
    if (unreported > 0) spdlog::info("verified without device details count={}", unreported);
    if (total > 0 || unreported > 0) on_expired_();
    co_return total;
}

asio::awaitable<void> expiry_sweeper::run() {
    auto next_purge = std::chrono::steady_clock::now();
    while (!stopping_) {
        try {
            co_await sweep_once();
            if (std::chrono::steady_clock::now() >= next_purge) {
                next_purge = std::chrono::steady_clock::now() + purge_every;
                co_await idempotency_.purge_expired(clock_());
                co_await verification_.prune(clock_());
                co_await slack_.prune(clock_() - slack_dedupe_memory);
            }
        } catch (const std::exception& e) {
            spdlog::error("expiry sweep failed error={}", e.what());
        }
        if (stopping_) break;
        timer_.expires_after(interval_);
        co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

}  // namespace chal::service
