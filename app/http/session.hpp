// Internal to app/http: the state the listener and its sessions share, and the session
// coroutine. Not for use outside app/http (it pulls in socket headers).
#pragma once

#include "app/http/request_id.hpp"
#include "app/http/router.hpp"
#include "app/http/server.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <chrono>
#include <cstdint>
#include <list>
#include <map>
#include <memory>

namespace chal::http::detail {

// A condition variable for one thread: waiters sleep on their own timer until notify_all()
// or their deadline; they re-check their condition after waking.
class notifier {
public:
    explicit notifier(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}

    boost::asio::awaitable<void> wait_until(std::chrono::steady_clock::time_point deadline);
    void notify_all();

private:
    boost::asio::any_io_executor executor_;
    std::list<boost::asio::steady_timer*> waiters_;
};

// One accepted connection as the listener and drain() see it.
struct connection {
    std::uint64_t id = 0;
    boost::beast::tcp_stream* stream = nullptr;  // set while the session coroutine is alive
    bool busy = false;   // a request has started arriving and its response is not written yet
    bool ended = false;  // the session coroutine has returned
    bool cancelled = false;  // drain() gave up on it: errors from here on are expected
    boost::asio::cancellation_signal cancel;  // bound to the session's co_spawn; outlives it
};

struct server_shared {
    server_shared(boost::asio::any_io_executor ex, server_config cfg, router r, server_hooks h);

    boost::asio::any_io_executor executor;
    server_config config;
    router routes;
    server_hooks hooks;
    boost::asio::ip::tcp::acceptor acceptor;
    std::uint16_t port = 0;
    request_id_generator ids;
    std::map<std::uint64_t, std::shared_ptr<connection>> connections;
    std::uint64_t next_connection_id = 0;
    bool draining = false;
    notifier changes;  // a connection ended, or accepting stopped

    void log(log_level level, std::string_view message) const;
};

boost::asio::awaitable<void> run_session(
    std::shared_ptr<server_shared> shared,
    std::shared_ptr<connection> conn,
    boost::asio::ip::tcp::socket socket
);

}  // namespace chal::http::detail
