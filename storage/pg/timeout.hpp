// with_timeout: races an operation against a steady_timer (style guide B.6; Boost 1.81 has no
// cancel_after). Heavy includes: include this from .cpp files only.
#pragma once

#include "storage/pg/error.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace chal::pg {

namespace detail {

// `a || b` waits for one operand to *succeed* (wait_for_one_success): an operation that throws
// first would leave the race waiting for the timer and then report a timeout. So the operation
// is made non-throwing here, and its exception is rethrown after the race. (Not a std::variant:
// the operators flatten variants into their own result.)
template <class T>
struct outcome {
    std::exception_ptr failure;
    std::optional<T> value;
};

template <class T>
boost::asio::awaitable<outcome<T>> capture(boost::asio::awaitable<T> op) {
    outcome<T> out;
    try {
        T value = co_await std::move(op);
        out.value.emplace(std::move(value));
    } catch (...) {
        out.failure = std::current_exception();
    }
    co_return out;
}

inline boost::asio::awaitable<std::exception_ptr> capture(boost::asio::awaitable<void> op) {
    std::exception_ptr failure;
    try {
        co_await std::move(op);
    } catch (...) {
        failure = std::current_exception();
    }
    co_return failure;
}

inline std::string timeout_text(const std::string& what, std::chrono::steady_clock::duration limit) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(limit).count();
    return what + " timed out after " + std::to_string(ms) + " ms";
}

}  // namespace detail

// Returns op's value or rethrows its exception; throws timeout_error("<what> timed out after
// N ms", breaks_connection = true) if `limit` passes first. The operation is then cancelled
// and has finished unwinding before this returns; whatever it was changing (a libpq
// connection mid-query) is in an unknown state and must be discarded. Parameters are by value:
// the result may be handed to co_spawn.
template <class T>
boost::asio::awaitable<T> with_timeout(
    boost::asio::awaitable<T> op, std::chrono::steady_clock::duration limit, std::string what
) {
    using namespace boost::asio::experimental::awaitable_operators;
    auto executor = co_await boost::asio::this_coro::executor;
    boost::asio::steady_timer timer{executor, limit};
    auto winner = co_await (detail::capture(std::move(op)) || timer.async_wait(boost::asio::use_awaitable));
    if (winner.index() == 1) {
        throw timeout_error{detail::timeout_text(what, limit), true};
    }
    auto done = std::get<0>(std::move(winner));
    if (done.failure) {
        std::rethrow_exception(done.failure);
    }
    co_return std::move(*done.value);
}

inline boost::asio::awaitable<void> with_timeout(
    boost::asio::awaitable<void> op, std::chrono::steady_clock::duration limit, std::string what
) {
    using namespace boost::asio::experimental::awaitable_operators;
    auto executor = co_await boost::asio::this_coro::executor;
    boost::asio::steady_timer timer{executor, limit};
    auto winner = co_await (detail::capture(std::move(op)) || timer.async_wait(boost::asio::use_awaitable));
    if (winner.index() == 1) {
        throw timeout_error{detail::timeout_text(what, limit), true};
    }
    if (auto failure = std::get<0>(winner)) {
        std::rethrow_exception(failure);
    }
}

}  // namespace chal::pg
