// The listener: bind, accept, spawn one session per connection, and drain on shutdown.
#include "app/http/server.hpp"

#include "app/http/session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <string>
#include <utility>

namespace chal::http {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct server::state : detail::server_shared {
    using detail::server_shared::server_shared;
};

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// After the drain limit, cancelled handlers get this long to unwind before drain() returns.
constexpr std::chrono::seconds unwind_limit{1};

// A failed accept (EMFILE, ENOBUFS) is retried after a pause rather than in a tight loop.
constexpr std::chrono::milliseconds accept_retry_pause{100};

void spawn_session(const std::shared_ptr<detail::server_shared>& shared, tcp::socket socket) {
    auto conn = std::make_shared<detail::connection>();
    conn->id = ++shared->next_connection_id;
    shared->connections.emplace(conn->id, conn);

    auto on_done = [shared, conn](const std::exception_ptr& failure) {
        if (failure) {
            shared->log(log_level::error, "session ended with an exception");
        }
        // The cancellation signal must outlive co_spawn's use of its slot, which lasts until
        // this handler returns: drop the record from a later handler.
        auto release = [shared, conn] {
            shared->connections.erase(conn->id);
            shared->changes.notify_all();
        };
        asio::post(shared->executor, std::move(release));
    };
    asio::co_spawn(
        shared->executor,
        detail::run_session(shared, conn, std::move(socket)),
        asio::bind_cancellation_slot(conn->cancel.slot(), std::move(on_done))
    );
}

void close_acceptor(detail::server_shared& shared) {
    boost::system::error_code ignored;
    shared.acceptor.close(ignored);
    shared.changes.notify_all();
}

asio::awaitable<void> accept_loop(std::shared_ptr<detail::server_shared> shared);
asio::awaitable<void> drain_sessions(
    std::shared_ptr<detail::server_shared> shared, std::chrono::steady_clock::duration limit
);

}  // namespace

server::server(asio::any_io_executor executor, server_config config, router routes, server_hooks hooks)
    : state_(std::make_shared<state>(executor, std::move(config), std::move(routes), std::move(hooks))) {
    const tcp::endpoint endpoint{asio::ip::make_address(state_->config.address), state_->config.port};
    auto& acceptor = state_->acceptor;
    acceptor.open(endpoint.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);
    state_->port = acceptor.local_endpoint().port();
}

server::~server() {
    // Sessions keep the shared state alive; closing their streams makes them end the next
    // time the io_context runs.
    stop_accepting();
    for (auto& [id, conn] : state_->connections) {
        if (conn->stream != nullptr) {
            conn->stream->close();
        }
    }
}

std::uint16_t server::local_port() const noexcept {
    return state_->port;
}

std::size_t server::open_connections() const noexcept {
    return state_->connections.size();
}

void server::stop_accepting() {
    close_acceptor(*state_);
}

// run() and drain() hand the shared state to free coroutines by value: a coroutine started
// with co_spawn may outlive the server object it was called on (B.6).
asio::awaitable<void> server::run() {
    return accept_loop(state_);
}

asio::awaitable<void> server::drain(std::chrono::steady_clock::duration limit) {
    return drain_sessions(state_, limit);
}

namespace {

asio::awaitable<void> accept_loop(std::shared_ptr<detail::server_shared> shared) {
    for (;;) {
        while (shared->acceptor.is_open() && shared->connections.size() >= shared->config.max_connections) {
            co_await shared->changes.wait_until(std::chrono::steady_clock::time_point::max());
        }
        if (!shared->acceptor.is_open()) {
            break;
        }
        auto [ec, socket] = co_await shared->acceptor.async_accept(use_tuple);
        if (ec) {
            if (ec == asio::error::operation_aborted || !shared->acceptor.is_open()) {
                break;
            }
            shared->log(log_level::warning, "accept failed: " + ec.message());
            asio::steady_timer pause{shared->executor, accept_retry_pause};
            co_await pause.async_wait(use_tuple);
            continue;
        }
        if (shared->draining) {
            continue;  // accepted in the same turn as drain(): the socket closes here
        }
        spawn_session(shared, std::move(socket));
    }
}

asio::awaitable<void> drain_sessions(
    std::shared_ptr<detail::server_shared> shared, std::chrono::steady_clock::duration limit
) {
    close_acceptor(*shared);
    shared->draining = true;

    // Idle keep-alive connections (waiting for the first byte of a request) close now.
    // Sessions that have not started yet see `draining` and end on their own.
    for (auto& [id, conn] : shared->connections) {
        if (!conn->busy && conn->stream != nullptr) {
            conn->stream->close();
        }
    }

    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!shared->connections.empty() && std::chrono::steady_clock::now() < deadline) {
        co_await shared->changes.wait_until(deadline);
    }
    if (shared->connections.empty()) {
        co_return;
    }

    shared->log(
        log_level::warning,
        "drain limit reached with " + std::to_string(shared->connections.size()) +
            " connection(s) busy; cancelling them"
    );
    for (auto& [id, conn] : shared->connections) {
        if (conn->ended) {
            continue;
        }
        conn->cancelled = true;
        conn->cancel.emit(asio::cancellation_type::terminal);
        if (conn->stream != nullptr) {
            conn->stream->close();
        }
    }
    const auto unwind_deadline = std::chrono::steady_clock::now() + unwind_limit;
    while (!shared->connections.empty() && std::chrono::steady_clock::now() < unwind_deadline) {
        co_await shared->changes.wait_until(unwind_deadline);
    }
}

}  // namespace

}  // namespace chal::http
