// with_timeout: bound any awaitable by racing it against a timer (Boost 1.81 has no
// cancel_after). The loser is cancelled and awaited, so an operation that ignores
// cancellation still delays the result: Beast streams use expires_after instead, and the
// client's DNS lookup walks away from its resolver (see client.cpp).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace chal::http {

// Thrown by with_timeout. A system_error with asio::error::timed_out, so generic handlers that
// classify system_error see a timeout; what() names the operation.
class timeout_error : public boost::system::system_error {
public:
    explicit timeout_error(const std::string& operation)
        : boost::system::system_error(make_error_code(boost::asio::error::timed_out), operation) {}
};

namespace detail {

// Asio's operator|| waits for the first operation to *succeed*: an operation that throws does
// not win, so the race would go on until the timer fired and report a timeout instead of the
// real error. Exceptions therefore travel as values through the race and are rethrown after.
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

// Runs `operation`, or throws timeout_error once `limit` has passed (the operation is then
// cancelled and awaited). Exceptions from the operation propagate unchanged. T must be
// movable. `what` is taken by value: the coroutine may be co_spawned and outlive the caller's
// string.
template <class T>
boost::asio::awaitable<T> with_timeout(
    boost::asio::awaitable<T> operation, std::chrono::steady_clock::duration limit, std::string what
) {
    boost::asio::steady_timer timer{co_await boost::asio::this_coro::executor, limit};
    auto winner = co_await boost::asio::experimental::awaitable_operators::operator||(
        detail::capture_exception(std::move(operation)), timer.async_wait(boost::asio::use_awaitable)
    );
    if (winner.index() == 1) {
        throw timeout_error{what};
    }
    auto& outcome = std::get<0>(winner);
    if (outcome.failure) {
        std::rethrow_exception(outcome.failure);
    }
    co_return std::move(*outcome.value);
}

inline boost::asio::awaitable<void> with_timeout(
    boost::asio::awaitable<void> operation, std::chrono::steady_clock::duration limit, std::string what
) {
    boost::asio::steady_timer timer{co_await boost::asio::this_coro::executor, limit};
    auto winner = co_await boost::asio::experimental::awaitable_operators::operator||(
        detail::capture_exception(std::move(operation)), timer.async_wait(boost::asio::use_awaitable)
    );
    if (winner.index() == 1) {
        throw timeout_error{what};
    }
    if (auto failure = std::get<0>(winner)) {
        std::rethrow_exception(failure);
    }
}

}  // namespace chal::http
