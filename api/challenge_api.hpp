// The /api/v1/challenges handlers: authenticate, rate-limit, parse, let the core decide,
// store, answer. Each handler is fetch -> decide -> store; no rule is made here.
#pragma once

#include "api/metrics.hpp"
#include "api/wire.hpp"
#include "app/core/bounded_cache.hpp"
#include "app/core/failure_throttle.hpp"
#include "app/core/new_challenge.hpp"
#include "app/core/rate_limit.hpp"
#include "app/http/handler.hpp"
#include "storage/challenge_store.hpp"
#include "storage/idempotency_store.hpp"
#include "storage/tenant_store.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace chal::api {

struct api_settings {
    std::string public_base_url = "http://127.0.0.1:8080";
    core::callback_url_policy callback_policy;
    core::rate_limit per_key_limit;
    // Failed authentications (no key, an unknown or revoked key) per client address. Checked
    // before a key is looked up, so a flood of made-up keys costs at most this many queries per
    // address; requests with a good key never spend it.
    core::rate_limit failed_auth_per_address{.per_second = 5, .burst = 20};
    // Our reverse proxies, whose X-Forwarded-For names the client (core::forwarded_client_address).
    std::vector<std::string> trusted_proxies;
    // Every per-node map keyed by what clients send (addresses, keys) is bounded by these.
    core::cache_limits cache_limits;
    // How long this node trusts an API key lookup before asking the database again; a revoked or
    // regenerated key keeps working on other nodes for at most this long. Zero: every request asks.
    std::chrono::milliseconds principal_cache_ttl{2000};
};

// For an idempotent create: the key's completion for the challenge about to be stored, so both
// commit in one statement. Empty when the request had no Idempotency-Key.
using slack_completion = std::function<storage::idempotent_completion(const core::challenge&)>;

// Slack challenges created through the REST API: the Slack adapter implements this (it needs the
// workspace's users and the card outbox); the REST layer only authenticates, parses and answers.
class slack_challenge_port {
public:
    virtual ~slack_challenge_port() = default;
    // The stored challenge, or the core's reason (slack_not_configured, slack_requester_not_found,
    // slack_target_not_found, target_required, the policy's refusals, validation errors). Slack
    // being unreachable throws.
    virtual boost::asio::awaitable<core::result<core::challenge>> create_from_api(
        storage::api_key_principal principal, core::challenge_request request, slack_fields slack,
        slack_completion complete
    ) = 0;
};

struct api_dependencies {
    storage::tenant_store& tenants;
    storage::challenge_store& challenges;
    storage::idempotency_store& idempotency;
    metrics& counters;
    core::clock_function clock;
    std::function<void()> wake_delivery_worker;  // after a commit that may have queued a callback
    slack_challenge_port* slack = nullptr;       // null: Slack challenges answer slack_not_configured
};

class challenge_api {
public:
    challenge_api(api_dependencies deps, api_settings settings);

    boost::asio::awaitable<http::response> create(http::request_context& ctx);
    boost::asio::awaitable<http::response> get(http::request_context& ctx);
    boost::asio::awaitable<http::response> list(http::request_context& ctx);
    boost::asio::awaitable<http::response> cancel(http::request_context& ctx);

private:
    api_dependencies deps_;
    api_settings settings_;
    // Per-node buckets: by the hash of keys that authenticated, and by the address of clients
    // that failed to.
    core::bounded_cache<core::token_bucket> key_buckets_;
    core::failure_throttle failed_auth_;
    // Recent successful key lookups by key hash (failures are never cached: a new key works at once).
    struct cached_principal {
        storage::api_key_principal principal;
        std::chrono::steady_clock::time_point fetched;
    };
    core::bounded_cache<cached_principal> principals_;

    boost::asio::awaitable<std::optional<storage::api_key_principal>> look_up_principal(std::string key_hash);

    // An Idempotency-Key as this request uses it: whose it is, the key, the request's fingerprint.
    struct idempotent_request {
        storage::idempotency_scope scope;
        std::string key;
        std::string fingerprint;
    };
    // Claims the key for this request; otherwise the answer to give instead (the stored one
    // replayed, 422 for another body, 409 while the first is still running).
    boost::asio::awaitable<std::optional<http::response>> claim_idempotency_key(
        const idempotent_request& idempotent, core::timestamp now
    );
    storage::idempotent_completion completion_of(const idempotent_request& idempotent, std::string created) const;
    std::string client_address(const http::request_context& ctx) const;
    // Refuses the request (429) once `address` has used up its failed authentications; checked
    // before the key is looked up.
    std::optional<http::response> refuse_if_address_exhausted(const std::string& address);
    // A 401 that spends one of the address's failed authentications.
    http::response refuse_unauthenticated(const std::string& address);
    // The per-key limit of a key that authenticated; `create` false only peeks at an existing bucket.
    std::optional<http::response> refuse_if_key_limited(const std::string& key_hash, bool create);
    // The calling key's principal, or the 401/429 to answer instead.
    boost::asio::awaitable<std::variant<storage::api_key_principal, http::response>> authorize(http::request_context& ctx);
    boost::asio::awaitable<http::response> create_slack_challenge(
        const storage::api_key_principal& principal, const create_request& request,
        std::optional<idempotent_request> idempotent, std::string request_id
    );
    boost::asio::awaitable<http::response> create_challenge(
        const storage::api_key_principal& principal, const core::challenge_request& request,
        std::optional<idempotent_request> idempotent, std::string request_id
    );
};

// The key from X-API-Key, else from `Authorization: Bearer`; empty when neither is present.
std::string_view presented_api_key(const http::request& req) noexcept;

}  // namespace chal::api
