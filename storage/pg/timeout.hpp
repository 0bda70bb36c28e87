// with_timeout: races an operation against a steady_timer (style guide B.6; Boost 1.81 has no
// cancel_after). Heavy includes: include this from .cpp files only.
#pragma once

#include "app/async/deadline.hpp"
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
inline std::string timeout_text(const std::string& what, std::chrono::steady_clock::duration limit) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(limit).count();
    return what + " timed out after " + std::to_string(ms) + " ms";
}
}  // namespace detail

// Returns op's value or rethrows its exception; throws timeout_error("<what> timed out after
// N ms", breaks_connection = true) if `limit` passes first. The operation is then cancelled;
// whatever it was changing (a libpq connection mid-query) must be discarded. Parameters are
// by value: the result may be handed to co_spawn.
template <class T>
boost::asio::awaitable<T> with_timeout(
    boost::asio::awaitable<T> op, std::chrono::steady_clock::duration limit, std::string what
) {
    auto value = co_await async::run_within(std::move(op), limit);
    if (!value) throw timeout_error{detail::timeout_text(what, limit), true};
    co_return std::move(*value);
}

inline boost::asio::awaitable<void> with_timeout(
    boost::asio::awaitable<void> op, std::chrono::steady_clock::duration limit, std::string what
) {
    const bool finished = co_await async::run_within(std::move(op), limit);
    if (!finished) throw timeout_error{detail::timeout_text(what, limit), true};
}

}  // namespace chal::pg
