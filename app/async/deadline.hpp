// run_within: bounds any awaitable by racing it against a timer (Boost 1.81 has no
// cancel_after). Each layer wraps it to throw its own timeout error (pg::timeout_error,
// http::timeout_error). Heavy includes: include from .cpp files and layer timeout headers only.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <utility>
#include <variant>

namespace chal::async {

namespace detail {

// Asio's operator|| waits for the first operation to *succeed*: one that throws does not win,
// so the race would go on until the timer fired and report a timeout instead of the real
// error. Exceptions therefore travel through the race as values and are rethrown after it.
// A struct, not a std::variant: operator|| flattens variant results into its own variant.
template <class T>
struct captured {
    std::optional<T> value;
    std::exception_ptr failure;
};

template <class T>
boost::asio::awaitable<captured<T>> capture_exception(boost::asio::awaitable<T> operation) {
    captured<T> out;
    try {
        out.value.emplace(co_await std::move(operation));
    } catch (...) {
        out.failure = std::current_exception();
    }
    co_return out;
}

inline boost::asio::awaitable<std::exception_ptr> capture_exception(boost::asio::awaitable<void> operation) {
    std::exception_ptr failure;
    try {
        co_await std::move(operation);
    } catch (...) {
        failure = std::current_exception();
    }
    co_return failure;
}

}  // namespace detail

// The operation's value, or nullopt when `limit` passed first; the operation is then cancelled
// and has finished unwinding before this returns (whatever it was changing is in an unknown
// state). Its own exceptions propagate at once.
template <class T>
boost::asio::awaitable<std::optional<T>> run_within(
    boost::asio::awaitable<T> operation, std::chrono::steady_clock::duration limit
) {
    // One statement per co_await: g++ 12 mishandles temporaries in larger co_await expressions.
    auto executor = co_await boost::asio::this_coro::executor;
    boost::asio::steady_timer timer{executor, limit};
    auto race = boost::asio::experimental::awaitable_operators::operator||(
        detail::capture_exception(std::move(operation)), timer.async_wait(boost::asio::use_awaitable)
    );
    auto winner = co_await std::move(race);
    if (winner.index() == 1) co_return std::nullopt;
    auto& outcome = std::get<0>(winner);
    if (outcome.failure) std::rethrow_exception(outcome.failure);
    co_return std::move(outcome.value);
}

// True when the operation finished within `limit`.
inline boost::asio::awaitable<bool> run_within(
    boost::asio::awaitable<void> operation, std::chrono::steady_clock::duration limit
) {
    // One statement per co_await: g++ 12 mishandles temporaries in larger co_await expressions.
    auto executor = co_await boost::asio::this_coro::executor;
    boost::asio::steady_timer timer{executor, limit};
    auto race = boost::asio::experimental::awaitable_operators::operator||(
        detail::capture_exception(std::move(operation)), timer.async_wait(boost::asio::use_awaitable)
    );
    auto winner = co_await std::move(race);
    if (winner.index() == 1) co_return false;
    if (auto failure = std::get<0>(winner)) std::rethrow_exception(failure);
    co_return true;
}

}  // namespace chal::async
