// The whole service in-process on 127.0.0.1:0, on its own thread and io_context, against the
// test PostgreSQL; the test drives it over real HTTP from its own io_context, where the
// loopback webhook receiver also runs. Only the clock is replaced: a real clock shifted by an
// offset the test moves forward.
#pragma once

#include "app/core/time.hpp"
#include "app/http/client.hpp"
#include "app/service/config.hpp"
#include "app/service/service.hpp"
#include "storage/pg/pool.hpp"
#include "tests/support/webhook_receiver.hpp"

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <source_location>
#include <string>
#include <thread>

namespace chal::e2e {

class shifted_clock {
public:
    core::timestamp now() const { return core::system_now() + std::chrono::seconds{offset_.load()}; }
    void advance(std::chrono::seconds by) { offset_ += by.count(); }
    core::clock_function function() {
        return [this] { return now(); };
    }

private:
    std::atomic<long long> offset_{0};
};

// A service running on a thread of its own until destroyed (graceful shutdown).
class running_service {
public:
    running_service(service::service_config config, shifted_clock& clock);
    ~running_service();
    std::uint16_t port() const { return port_; }

private:
    boost::asio::io_context io_;
    std::unique_ptr<service::service> service_;
    std::thread thread_;
    std::uint16_t port_ = 0;
};

inline constexpr const char* test_master_key_base64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
inline constexpr const char* test_webhook_secret = "your-webhook-secret";

// Port 0, loopback and plain-http callbacks allowed, fast polling, generous rate limit.
service::service_config test_config();

struct http_reply {
    unsigned status = 0;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string header(std::string_view name) const;
};

class service_test : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;

    // Starts the service with `config` (call from a test to change settings; SetUp uses the default).
    void start_service(service::service_config config = test_config());

    http_reply call(
        boost::beast::http::verb method,
        std::string path,
        std::string body = {},
        std::vector<std::pair<std::string, std::string>> headers = {}
    );
    // As call(), but a connection failure is an answer (nullopt), not a test failure.
    std::optional<http_reply> try_call(boost::beast::http::verb method, std::string path);
    // POST /api/v1/challenges with the tenant's key.
    http_reply create(std::string body, std::vector<std::pair<std::string, std::string>> extra = {});
    http_reply get_status(const std::string& id);

    // Creates another tenant with a webhook integration; returns its API key.
    std::string make_tenant(const std::string& name, std::optional<std::string> callback_url = std::nullopt,
                            std::optional<std::string> secret = std::string(test_webhook_secret));

    // Waits until the receiver has recorded `n` requests (fails the test after `limit`).
    bool wait_for_callbacks(std::size_t n, std::chrono::seconds limit = std::chrono::seconds{20});
    // Polls a condition on the database side with a deadline (runs the test io_context between tries).
    bool eventually(const std::function<bool()>& condition, std::chrono::seconds limit = std::chrono::seconds{20});
    std::int64_t count_rows(const std::string& sql);

    boost::asio::io_context io_;
    shifted_clock clock_;
    std::unique_ptr<pg::pool> db_;
    std::unique_ptr<http::client> client_;
    std::unique_ptr<testing::webhook_receiver> receiver_;
    std::vector<std::unique_ptr<testing::webhook_receiver>> extra_receivers_;
    // When set, call() talks to a service on this port (e.g. a child process) instead.
    std::optional<std::uint16_t> target_port_;
    std::unique_ptr<running_service> service_;
    std::string api_key_;
};

}  // namespace chal::e2e
