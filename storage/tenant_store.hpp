// Tenants, their integrations and API keys. Secrets arrive here already sealed; key material
// arrives as hashes: nothing in this file ever sees a plaintext secret.
#pragma once

#include "app/core/time.hpp"
#include "storage/pg/pool.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <vector>

namespace chal::storage {

struct tenant_record {
    std::string id;
    std::string name;
    int default_expiry_minutes = 15;
};

struct integration_record {
    std::string id;
    std::string tenant_id;
    std::string kind;  // "webhook" or "slack"
    std::string display_name;
    std::optional<std::string> callback_url;
    std::optional<std::string> webhook_secret_sealed;  // raw sealed bytes
};

// What an API key authenticates as: the integration and the tenant settings a request needs.
struct api_key_principal {
    std::string tenant_id;
    std::string integration_id;
    std::string integration_kind;
    int tenant_expiry_minutes = 15;
    std::string api_key_hash;  // raw SHA-256 of the key that authenticated: what its idempotency keys belong to
};

struct new_api_key {
    std::string key_hash;  // raw SHA-256 of the key
    std::string key_prefix;
};

class tenant_store {
public:
    explicit tenant_store(pg::pool& db) : db_(db) {}

    boost::asio::awaitable<void> create_tenant(tenant_record tenant);
    boost::asio::awaitable<std::optional<tenant_record>> find_tenant(std::string id);
    boost::asio::awaitable<std::vector<tenant_record>> list_tenants();
    // Returns false when no such tenant exists.
    boost::asio::awaitable<bool> set_default_expiry(std::string tenant_id, int minutes);

    // Creates the integration and its first key in one transaction.
    boost::asio::awaitable<void> create_integration(integration_record integration, new_api_key key);
    boost::asio::awaitable<std::optional<integration_record>> find_integration(std::string id);
    // Revokes every live key of the integration and stores the new one, atomically.
    // Returns false when the integration does not exist.
    boost::asio::awaitable<bool> replace_api_key(std::string integration_id, new_api_key key, core::timestamp now);

    // The principal behind an unrevoked key hash, if any.
    boost::asio::awaitable<std::optional<api_key_principal>> authenticate(std::string key_hash);

private:
    pg::pool& db_;
};

}  // namespace chal::storage
