// All configuration, read once from the environment (documented in README, "Configuration").
// Parts receive the sub-structs they need; nothing else reads the environment.
#pragma once

#include "api/challenge_api.hpp"
#include "api/verification/verification_pages.hpp"
#include "api/webhooks/delivery_worker.hpp"
#include "app/http/client.hpp"
#include "app/http/server.hpp"
#include "slack/app/card_worker.hpp"
#include "slack/app/challenge_requests.hpp"
#include "slack/app/ingress.hpp"
#include "slack/app/oauth_install.hpp"
#include "storage/challenge_store.hpp"
#include "storage/pg/pool.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace chal::service {

struct service_config {
    pg::pool_config database;
    storage::insert_batching create_batching;  // concurrent creates sharing one statement
    http::server_config server;
    http::client_config outbound;
    api::api_settings api;
    api::webhooks::delivery_worker_config deliveries;
    // Requests to tenants' identity providers (discovery, token, JWKS): their own SSRF policy.
    http::client_config identity_providers;
    api::verification_page_settings verification;
    // PKCS#8 PEM of the receipt signing key (ES256); none: a key for this process only.
    std::optional<std::string> receipt_key_pem;
    std::vector<std::string> retired_receipt_key_pems;  // still published in the JWKS
    std::optional<std::string> master_key;  // 32 raw bytes, from base64
    // Slack Web API methods are appended to it ("<base>auth.test"); always ends with '/'.
    std::string slack_api_base_url = "https://slack.com/api/";
    // respond_to_response_url only posts under this prefix (Slack's hooks host; tests: the fake).
    std::string slack_response_url_prefix = "https://hooks.slack.com/";
    slack_app::request_settings slack_requests;  // per-person limits, user cache
    slack_app::ingress_settings slack_ingress;   // the 3-second acknowledgement budget
    slack_app::card_worker_config slack_cards;   // the card and outcome outbox
    slack_app::oauth_install_settings slack_install;  // "Add to Slack"
    std::chrono::milliseconds expiry_sweep_interval{1000};
    std::chrono::seconds shutdown_grace{10};
    std::string log_level = "info";
    std::string instance_id;
};

// The policy a callback URL is vetted with when it is stored: the callback client's own, so
// nothing is accepted that every attempt would refuse.
core::callback_url_policy callback_url_policy_of(const http::client_config& outbound);

// Reads CHALLENGE_* variables and DATABASE_URL. Throws std::invalid_argument naming the
// variable when a value is malformed.
service_config read_config_from_environment();

// The HTTP client settings for Slack's Web API at `api_base_url`. Slack's own host keeps the SSRF
// guard; any other base is the operator's choice (a test server, an egress proxy) and may be
// loopback, private or plain http.
http::client_config slack_client_config(const std::string& api_base_url);

// The connection string with any password replaced by "***", for logs.
std::string redact_conninfo(std::string_view conninfo);

}  // namespace chal::service
