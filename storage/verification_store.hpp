// The verification side of a tenant (identity provider, page settings, support contacts), the
// browser flows that carry a login round trip, and SAML replay protection. Secrets arrive here
// sealed; browser secrets arrive as hashes.
#pragma once

#include "app/core/time.hpp"
#include "app/core/verification.hpp"
#include "storage/pg/pool.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace chal::storage {

struct support_contacts {
    std::optional<std::string> email;
    std::optional<std::string> phone;
    std::optional<std::string> slack_channel;
    std::optional<std::string> portal_url;
    bool empty() const { return !email && !phone && !slack_channel && !portal_url; }
};

struct verification_settings {
    std::string tenant_id;
    core::auth_mode mode = core::auth_mode::unconfigured;
    std::optional<std::string> oidc_issuer;
    std::optional<std::string> oidc_client_id;
    std::optional<std::string> oidc_client_secret_sealed;  // raw sealed bytes
    std::string oidc_scopes = "openid email";
    std::string oidc_identity_claim = "email";
    std::optional<std::string> oidc_required_acr;
    std::optional<std::string> saml_idp_metadata;
    bool additional_context_enabled = false;
    support_contacts support;
};

struct verification_flow {
    std::string id;
    std::string challenge_id;
    std::string tenant_id;
    std::string browser_hash;  // raw SHA-256 of the browser's cookie secret
    std::string method;        // "oidc", "saml", "none"
    std::optional<std::string> saml_request_id;
    std::optional<std::string> target_response;
    std::optional<std::string> saml_answer_json;  // what a checked SAML assertion proved
    core::timestamp created_at{};
    core::timestamp expires_at{};
};

// The associated data sealing a tenant's OIDC client secret: binds the ciphertext to its row.
std::string oidc_client_secret_context(std::string_view tenant_id);

enum class flow_refusal { unknown, other_browser, used, expired };

class verification_store {
public:
    explicit verification_store(pg::pool& db) : db_(db) {}

    // A tenant without a row has the defaults (unconfigured, no contacts).
    boost::asio::awaitable<verification_settings> settings(std::string tenant_id);
    // Writes every field of `s` (an upsert). The caller read, changed and writes back.
    boost::asio::awaitable<void> save_settings(verification_settings s);

    boost::asio::awaitable<void> create_flow(verification_flow flow);
    // Marks the flow used and returns it, if it exists, belongs to this browser, is unused and
    // unexpired; otherwise says which of those failed. One statement: a flow is used once.
    boost::asio::awaitable<std::variant<verification_flow, flow_refusal>> consume_flow(
        std::string flow_id, std::string browser_hash, core::timestamp now
    );

    // An unused, unexpired flow by id, without using it (the SAML ACS, which cannot see the cookie).
    boost::asio::awaitable<std::optional<verification_flow>> find_open_flow(std::string flow_id, core::timestamp now);
    // Parks a checked SAML answer on an open flow, once. False if the flow is used, expired or answered.
    boost::asio::awaitable<bool> record_saml_answer(std::string flow_id, std::string answer_json, core::timestamp now);

    // Remembers a SAML assertion id until it expires; false when it was already seen (replay).
    boost::asio::awaitable<bool> remember_assertion(
        std::string assertion_id, std::string tenant_id, core::timestamp expires_at
    );
    // Forgets expired flows and assertion ids; returns how many rows went.
    boost::asio::awaitable<std::int64_t> prune(core::timestamp now);

private:
    pg::pool& db_;
};

}  // namespace chal::storage
