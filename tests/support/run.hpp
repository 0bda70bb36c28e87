// run(io, coroutine): drives an io_context until one coroutine finishes and hands back its value
// or exception, so tests read straight and ASSERT_* stays outside coroutine bodies (B.12.5).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <utility>

namespace chal::testing {

// How long run() waits for a coroutine before failing; CTest's own timeout is 120 s.
inline constexpr std::chrono::seconds run_limit{60};

namespace detail {

template <class T>
boost::asio::awaitable<void> store_into(boost::asio::awaitable<T> op, std::optional<T>* out) {
    T value = co_await std::move(op);
    out->emplace(std::move(value));
}

// Runs handlers until `done`; throws std::runtime_error if the context runs out of work first
// (the coroutine can never finish) or after `run_limit`.
void run_until(boost::asio::io_context& io, const bool& done);

}  // namespace detail

// Runs `op` on `io` to completion and returns its value or rethrows its exception. Other work
// on `io` (background tasks, servers) runs meanwhile and stays queued afterwards.
template <class T>
T run(boost::asio::io_context& io, boost::asio::awaitable<T> op) {
    std::optional<T> value;
    std::exception_ptr failure;
    bool done = false;
    auto on_done = [&failure, &done](std::exception_ptr e) {
        failure = e;
        done = true;
    };
    boost::asio::co_spawn(io, detail::store_into(std::move(op), &value), on_done);
    detail::run_until(io, done);
    if (failure) {
        std::rethrow_exception(failure);
    }
    return std::move(*value);
}

void run(boost::asio::io_context& io, boost::asio::awaitable<void> op);

// Runs `io` until it has no work left. Returns false if work remains after `limit`: a task that
// never ends (fixtures check this in their destructor: no async work may be left behind).
bool run_until_idle(
    boost::asio::io_context& io, std::chrono::steady_clock::duration limit = std::chrono::seconds{10}
);

}  // namespace chal::testing
