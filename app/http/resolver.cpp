#include "app/http/resolver.hpp"

#include "app/http/client_error.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>

namespace chal::http {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace detail {

// One caller's lookup. Touched only on the event-loop thread, apart from `host` and `port`,
// which the lookup thread reads and nobody writes after creation.
struct pending_lookup {
    explicit pending_lookup(const asio::any_io_executor& ex) : wake(ex) {}
    std::string host;
    std::uint16_t port = 0;
    std::string key;
    asio::steady_timer wake;  // cancelled when the result is in
    bool started = false;
    bool done = false;
    boost::system::result<resolved_endpoints> result{make_error_code(client_errc::dns_failure)};
};

struct resolver_state : std::enable_shared_from_this<resolver_state> {
    resolver_state(asio::any_io_executor ex, resolver_config cfg, blocking_lookup fn)
        : executor(std::move(ex)), config(cfg), lookup(std::move(fn)), pool(std::max<std::size_t>(1, cfg.threads)) {}

    asio::any_io_executor executor;
    resolver_config config;
    blocking_lookup lookup;
    asio::thread_pool pool;
    std::map<std::string, std::deque<std::shared_ptr<pending_lookup>>> queued_by_key;
    std::map<std::string, std::size_t> running_by_key;
    std::size_t running = 0;
    std::size_t queued = 0;
    std::string last_key;  // round robin: the next pick starts after this key

    void pump();
    void start(std::shared_ptr<pending_lookup> job);
    void finished(const std::shared_ptr<pending_lookup>& job, boost::system::result<resolved_endpoints> result);
    void drop_queued(const std::shared_ptr<pending_lookup>& job);
    bool key_has_room(const std::string& key) const {
        const auto it = running_by_key.find(key);
        return it == running_by_key.end() || it->second < config.max_running_per_key;
    }
};

// Starts waiting lookups while threads are free, one key after another, skipping keys at their
// share. The scan is over keys with lookups waiting, each holding at most max_queued_per_key.
void resolver_state::pump() {
    while (running < std::max<std::size_t>(1, config.threads) && queued > 0) {
        auto pick = queued_by_key.end();
        for (auto it = queued_by_key.upper_bound(last_key); it != queued_by_key.end(); ++it) {
            if (key_has_room(it->first)) {
                pick = it;
                break;
            }
        }
        if (pick == queued_by_key.end()) {
            for (auto it = queued_by_key.begin(); it != queued_by_key.end() && it->first <= last_key; ++it) {
                if (key_has_room(it->first)) {
                    pick = it;
                    break;
                }
            }
        }
        if (pick == queued_by_key.end()) return;  // every key with work is at its share
        auto job = std::move(pick->second.front());
        pick->second.pop_front();
        --queued;
        last_key = pick->first;
        if (pick->second.empty()) queued_by_key.erase(pick);
        start(std::move(job));
    }
}

void resolver_state::start(std::shared_ptr<pending_lookup> job) {
    job->started = true;
    ++running;
    ++running_by_key[job->key];
    asio::post(pool, [self = shared_from_this(), job]() mutable {
        auto result = self->lookup(job->host, job->port);
        auto back = self->executor;
        asio::post(back, [self = std::move(self), job = std::move(job), result = std::move(result)]() mutable {
            self->finished(job, std::move(result));
        });
    });
}

void resolver_state::finished(const std::shared_ptr<pending_lookup>& job, boost::system::result<resolved_endpoints> result) {
    --running;
    if (auto it = running_by_key.find(job->key); it != running_by_key.end() && --it->second == 0) running_by_key.erase(it);
    job->result = std::move(result);
    job->done = true;
    job->wake.cancel();
    pump();
}

void resolver_state::drop_queued(const std::shared_ptr<pending_lookup>& job) {
    if (job->started) return;  // running: it keeps its thread until getaddrinfo returns
    const auto it = queued_by_key.find(job->key);
    if (it == queued_by_key.end()) return;
    auto& waiting = it->second;
    const auto pos = std::find(waiting.begin(), waiting.end(), job);
    if (pos == waiting.end()) return;
    waiting.erase(pos);
    --queued;
    if (waiting.empty()) queued_by_key.erase(it);
}

}  // namespace detail

boost::system::result<resolved_endpoints> system_lookup(const std::string& host, std::uint16_t port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const std::string service = std::to_string(port);
    if (getaddrinfo(host.c_str(), service.c_str(), &hints, &found) != 0 || !found)
        return make_error_code(client_errc::dns_failure);
    resolved_endpoints out;
    for (const addrinfo* a = found; a; a = a->ai_next) {
        tcp::endpoint e;
        if (a->ai_addrlen > e.capacity()) continue;
        std::memcpy(e.data(), a->ai_addr, a->ai_addrlen);
        e.resize(a->ai_addrlen);
        if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(e);
    }
    freeaddrinfo(found);
    if (out.empty()) return make_error_code(client_errc::dns_failure);
    return out;
}

resolver::resolver(asio::any_io_executor executor, resolver_config config, blocking_lookup lookup)
    : state_(std::make_shared<detail::resolver_state>(std::move(executor), config, std::move(lookup))) {}

resolver::~resolver() {
    state_->pool.join();
}

std::size_t resolver::running() const noexcept {
    return state_->running;
}

std::size_t resolver::queued() const noexcept {
    return state_->queued;
}

asio::awaitable<boost::system::result<resolved_endpoints>> resolver::resolve(
    std::string host, std::uint16_t port, std::string key, std::chrono::steady_clock::time_point deadline
) {
    auto state = state_;  // the caller may let the resolver go while this waits
    const auto waiting = state->queued_by_key.find(key);
    if (waiting != state->queued_by_key.end() && waiting->second.size() >= state->config.max_queued_per_key)
        co_return make_error_code(client_errc::resolver_busy);

    auto job = std::make_shared<detail::pending_lookup>(state->executor);
    job->host = std::move(host);
    job->port = port;
    job->key = std::move(key);
    state->queued_by_key[job->key].push_back(job);
    ++state->queued;
    state->pump();

    job->wake.expires_at(std::min(deadline, std::chrono::steady_clock::now() + state->config.lookup_timeout));
    while (!job->done) {
        auto [ec] = co_await job->wake.async_wait(asio::as_tuple(asio::use_awaitable));
        if (job->done) break;
        state->drop_queued(job);
        if (!ec) co_return make_error_code(client_errc::timeout);
        throw boost::system::system_error(asio::error::operation_aborted, "chal::http::resolver::resolve cancelled");
    }
    co_return std::move(job->result);
}

}  // namespace chal::http
