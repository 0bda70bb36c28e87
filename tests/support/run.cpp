#include "tests/support/run.hpp"

#include <stdexcept>

namespace chal::testing {

namespace detail {

void run_until(boost::asio::io_context& io, const bool& done) {
    if (io.stopped()) {
        io.restart();
    }
    const auto deadline = std::chrono::steady_clock::now() + run_limit;
    while (!done) {
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) {
            throw std::runtime_error("run(): the coroutine did not finish within 60 s");
        }
        if (io.run_one_for(deadline - now) == 0 && io.stopped() && !done) {
            throw std::runtime_error("run(): the io_context ran out of work before the coroutine finished");
        }
    }
}

}  // namespace detail

void run(boost::asio::io_context& io, boost::asio::awaitable<void> op) {
    std::exception_ptr failure;
    bool done = false;
    auto on_done = [&failure, &done](std::exception_ptr e) {
        failure = e;
        done = true;
    };
    boost::asio::co_spawn(io, std::move(op), on_done);
    detail::run_until(io, done);
    if (failure) {
        std::rethrow_exception(failure);
    }
}

bool run_until_idle(boost::asio::io_context& io, std::chrono::steady_clock::duration limit) {
    if (io.stopped()) {
        io.restart();
    }
    io.run_for(limit);
    return io.stopped();
}

}  // namespace chal::testing
