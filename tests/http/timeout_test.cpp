// with_timeout on timers only: no sockets, so this is a unit test.
#include "app/http/timeout.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>

namespace chal::http {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

asio::awaitable<int> value_after(std::chrono::milliseconds delay, int value) {
    asio::steady_timer timer{co_await asio::this_coro::executor, delay};
    co_await timer.async_wait(asio::use_awaitable);
    co_return value;
}

asio::awaitable<void> nothing_after(std::chrono::milliseconds delay) {
    asio::steady_timer timer{co_await asio::this_coro::executor, delay};
    co_await timer.async_wait(asio::use_awaitable);
}

asio::awaitable<int> failing() {
    co_await nothing_after(1ms);
    throw std::runtime_error("boom");
}

// Runs `op` to completion and hands back its exception, if any.
template <class Op>
std::exception_ptr run(Op op) {
    asio::io_context io;
    std::exception_ptr failure;
    auto on_done = [&failure](std::exception_ptr e, auto&&...) { failure = e; };
    asio::co_spawn(io, std::move(op), on_done);
    io.run();
    return failure;
}

asio::awaitable<void> expect_value() {
    const int v = co_await with_timeout(value_after(1ms, 42), 5s, "value");
    EXPECT_EQ(v, 42);
}

TEST(with_timeout, returns_the_value_when_the_operation_wins) {
    EXPECT_EQ(run(expect_value()), nullptr);
}

TEST(with_timeout, throws_timeout_error_when_the_timer_wins) {
    const auto started = std::chrono::steady_clock::now();
    const auto failure = run(with_timeout(value_after(10s, 1), 20ms, "slow value"));
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);  // the loser was cancelled
    ASSERT_NE(failure, nullptr);
    try {
        std::rethrow_exception(failure);
    } catch (const timeout_error& e) {
        EXPECT_EQ(e.code(), asio::error::timed_out);
        EXPECT_NE(std::string(e.what()).find("slow value"), std::string::npos);
    }
}

TEST(with_timeout, void_overload_completes_or_throws) {
    EXPECT_EQ(run(with_timeout(nothing_after(1ms), 5s, "quick")), nullptr);
    const auto failure = run(with_timeout(nothing_after(10s), 20ms, "stuck"));
    EXPECT_THROW(std::rethrow_exception(failure), timeout_error);
}

TEST(with_timeout, passes_the_operation_exception_through_at_once) {
    const auto started = std::chrono::steady_clock::now();
    const auto failure = run(with_timeout(failing(), 5s, "failing"));
    EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);  // not held until the timer fires
    ASSERT_NE(failure, nullptr);
    try {
        std::rethrow_exception(failure);
    } catch (const timeout_error&) {
        ADD_FAILURE() << "the operation's exception was reported as a timeout";
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "boom");
    }
}

asio::awaitable<void> failing_void() {
    co_await nothing_after(1ms);
    throw std::runtime_error("void boom");
}

TEST(with_timeout, void_overload_passes_the_operation_exception_through) {
    const auto failure = run(with_timeout(failing_void(), 5s, "failing"));
    ASSERT_NE(failure, nullptr);
    try {
        std::rethrow_exception(failure);
    } catch (const timeout_error&) {
        ADD_FAILURE() << "the operation's exception was reported as a timeout";
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "void boom");
    }
}

}  // namespace
}  // namespace chal::http
