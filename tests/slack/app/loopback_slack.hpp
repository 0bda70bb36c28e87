// What the slack_app integration tests over HTTP share: the test database (storage_test), the
// fake Slack Web API, a loopback client and a web_api_client pointed at the fake, and a server
// on 127.0.0.1:0 for the routes under test.
#pragma once

#include "app/http/client.hpp"
#include "app/http/router.hpp"
#include "app/http/server.hpp"
#include "slack/web_api.hpp"
#include "storage/slack_store.hpp"
#include "tests/storage/storage_fixture.hpp"
#include "tests/support/fake_slack.hpp"

#include <boost/asio/co_spawn.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace chal::slack_app {

inline http::client_config loopback_client() {
    http::client_config cfg;
    cfg.address_policy.allow_loopback = true;
    cfg.allow_plain_http = true;
    return cfg;
}

class loopback_slack_test : public storage::storage_test {
protected:
    ~loopback_slack_test() override { stop_serving(); }

    // Serves `routes` until stop_serving(); call once, from the fixture's constructor.
    void serve(http::router routes) {
        server_ = std::make_unique<http::server>(io.get_executor(), http::server_config{}, std::move(routes), http::server_hooks{});
        auto on_done = [](const std::exception_ptr&) {};
        boost::asio::co_spawn(io, server_->run(), on_done);
    }

    // Stops the fake Slack and the server; idempotent. A fixture whose routes use its own members
    // calls it first in its destructor, before those members go.
    void stop_serving() {
        fake_.stop();
        if (!server_) return;
        server_->stop_accepting();
        run(server_->drain(std::chrono::seconds{1}));
        server_.reset();
    }

    std::string server_url(std::string_view path_and_query) const {
        return "http://127.0.0.1:" + std::to_string(server_->local_port()) + std::string(path_and_query);
    }

    // A Slack app of a new tenant, as the fake Slack knows it (app id A0FAKE), not stored yet.
    storage::slack_app_record unsaved_app(std::string instance) {
        storage::slack_app_record a;
        a.integration_id = next_id();
        a.tenant_id = make_tenant().tenant.id;
        a.display_name = "Slack " + instance;
        a.instance_id = std::move(instance);
        a.app_id = "A0FAKE";
        return a;
    }

    slack::web_api_config web_api_settings() const {
        slack::web_api_config cfg;
        cfg.base_url = fake_.base_url();
        cfg.timeout = std::chrono::seconds{5};
        return cfg;
    }

    testing::fake_slack fake_{io.get_executor()};
    http::client http_{io.get_executor(), loopback_client()};
    slack::web_api_client web_api_{http_, web_api_settings()};

private:
    std::unique_ptr<http::server> server_;
};

}  // namespace chal::slack_app
