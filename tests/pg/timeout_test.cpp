// with_timeout without a server: an error wins the race at once; a timeout cancels the operation.
#include "storage/pg/error.hpp"
#include "storage/pg/timeout.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>

namespace chal::pg {
namespace {

namespace asio = boost::asio;
using namespace std::chrono;

asio::awaitable<int> fail_now() {
    throw std::runtime_error("broken");
    co_return 0;
}

asio::awaitable<int> answer_after(milliseconds delay) {
    asio::steady_timer timer{co_await asio::this_coro::executor, delay};
    co_await timer.async_wait(asio::use_awaitable);
    co_return 42;
}

asio::awaitable<void> wait_for(milliseconds delay, bool* cancelled) {
    asio::steady_timer timer{co_await asio::this_coro::executor, delay};
    try {
        co_await timer.async_wait(asio::use_awaitable);
    } catch (const boost::system::system_error&) {
        *cancelled = true;
        throw;
    }
}

// Runs one coroutine on a fresh io_context; returns its exception, if any.
template <class Awaitable>
std::exception_ptr run_alone(Awaitable op) {
    asio::io_context io;
    std::exception_ptr failure;
    asio::co_spawn(io, std::move(op), [&failure](std::exception_ptr e, auto&&...) { failure = e; });
    io.run();
    return failure;
}

TEST(with_timeout, an_error_propagates_at_once_not_after_the_limit) {
    const auto started = steady_clock::now();
    const auto failure = run_alone(with_timeout(fail_now(), seconds{10}, "op"));
    EXPECT_LT(steady_clock::now() - started, seconds{1});
    ASSERT_TRUE(failure);
    EXPECT_THROW(std::rethrow_exception(failure), std::runtime_error);
}

TEST(with_timeout, returns_the_value_when_in_time) {
    asio::io_context io;
    std::optional<int> value;
    asio::co_spawn(
        io, with_timeout(answer_after(milliseconds{1}), seconds{10}, "op"), [&value](std::exception_ptr, int v) {
            value = v;
        }
    );
    io.run();
    EXPECT_EQ(value, 42);
}

TEST(with_timeout, a_late_operation_is_cancelled_and_reported_as_a_timeout) {
    bool cancelled = false;
    const auto failure = run_alone(with_timeout(wait_for(seconds{10}, &cancelled), milliseconds{20}, "slow op"));
    ASSERT_TRUE(failure);
    try {
        std::rethrow_exception(failure);
    } catch (const timeout_error& e) {
        EXPECT_EQ(std::string{e.what()}, "slow op timed out after 20 ms");
    }
    EXPECT_TRUE(cancelled);
}

}  // namespace
}  // namespace chal::pg
