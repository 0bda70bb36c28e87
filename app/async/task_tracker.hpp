// Tasks that outlive the request or loop that started them (the HTTP server, workers, work
// done after a Slack acknowledgement): counted, their failures logged, and waited for with a
// deadline at shutdown. Use from the executor's thread only.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <exception>
#include <string>

namespace chal::async {
namespace asio = boost::asio;

class task_tracker {
public:
    explicit task_tracker(asio::any_io_executor executor) : executor_(executor), idle_(executor) {}

    void spawn(asio::awaitable<void> task, std::string name) {
        ++running_;
        asio::co_spawn(executor_, std::move(task), [this, name = std::move(name)](std::exception_ptr e) {
            if (e) {
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& ex) {
                    spdlog::error("task ended with an error task={} error={}", name, ex.what());
                }
            }
            if (--running_ == 0) idle_.cancel();
        });
    }

    // True if every task ended before `limit`.
    asio::awaitable<bool> wait_all(std::chrono::steady_clock::duration limit) {
        if (running_ == 0) co_return true;
        idle_.expires_after(limit);
        co_await idle_.async_wait(asio::as_tuple(asio::use_awaitable));
        co_return running_ == 0;
    }

private:
    asio::any_io_executor executor_;
    asio::steady_timer idle_;
    int running_ = 0;
};

}  // namespace chal::async
