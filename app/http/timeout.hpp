// with_timeout: bound any awaitable by racing it against a timer (Boost 1.81 has no
// cancel_after). The loser is cancelled and awaited, so an operation that ignores
// cancellation still delays the result: Beast streams use expires_after instead, and the
// client's DNS lookup walks away from its resolver (see client.cpp).
#pragma once

#include "app/async/deadline.hpp"

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

// Runs `operation`, or throws timeout_error once `limit` has passed (the operation is then
// cancelled and awaited). Exceptions from the operation propagate unchanged. `what` is taken by
// value: the coroutine may be co_spawned and outlive the caller's string.
template <class T>
boost::asio::awaitable<T> with_timeout(
    boost::asio::awaitable<T> operation, std::chrono::steady_clock::duration limit, std::string what
) {
    auto value = co_await async::run_within(std::move(operation), limit);
    if (!value) throw timeout_error{what};
    co_return std::move(*value);
}

inline boost::asio::awaitable<void> with_timeout(
    boost::asio::awaitable<void> operation, std::chrono::steady_clock::duration limit, std::string what
) {
    const bool finished = co_await async::run_within(std::move(operation), limit);
    if (!finished) throw timeout_error{what};
}

}  // namespace chal::http
