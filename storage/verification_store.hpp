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
    core::email_verified_absent oidc_email_verified_absent = core::email_verified_absent::refuse;
    std::optional<std::string> saml_idp_metadata;
    std::optional<std::string> saml_identity_attribute;  // nullopt: an emailAddress-format NameID
    std::optional<std::string> saml_required_authn_context;
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
    std::optional<std::string> oidc_issuer;       // the provider and client the browser was sent to
    std::optional<std::string> oidc_client_id;
    std::optional<std::string> acs_binding_hash;  // raw SHA-256 of the SAML ACS cookie
    core::timestamp created_at{};
    core::timestamp expires_at{};
};

// The associated data sealing a tenant's OIDC client secret: binds the ciphertext to its row.
std::string oidc_client_secret_context(std::string_view tenant_id);

// unanswered: a SAML flow the ACS has not parked an answer on (it stays open for that answer).
enum class flow_refusal { unknown, other_browser, used, expired, unanswered };

// What using a flow requires beyond "unused and unexpired".
enum class flow_use { any, saml_answered };

class verification_store {
public:
    explicit verification_store(pg::pool& db) : db_(db) {}

    // A tenant without a row has the defaults (unconfigured, no contacts).
    boost::asio::awaitable<verification_settings> settings(std::string tenant_id);
    // Writes every field of `s` (an upsert). The caller read, changed and writes back.
    boost::asio::awaitable<void> save_settings(verification_settings s);

    boost::asio::awaitable<void> create_flow(verification_flow flow);
    // Uses an unused, unexpired flow (with `saml_answered`: only once the ACS parked its answer)
    // and returns it when it belongs to this browser. Another browser's attempt uses it up too,
    // so an answer lured into the wrong browser can never be replayed in the right-looking one.
    // Otherwise says which condition failed. One statement: a flow is used once.
    boost::asio::awaitable<std::variant<verification_flow, flow_refusal>> consume_flow(
        std::string flow_id, std::string browser_hash, core::timestamp now, flow_use use = flow_use::any
    );
    // Uses up an open flow without an answer (the ACS refused the browser that posted to it).
    boost::asio::awaitable<void> spend_flow(std::string flow_id, core::timestamp now);

    // An unused, unexpired flow by id, without using it (the SAML ACS, which cannot see the cookie).
    boost::asio::awaitable<std::optional<verification_flow>> find_open_flow(std::string flow_id, core::timestamp now);
    // Parks a checked SAML answer on an open flow, once, when the ACS saw the flow's binding
    // cookie (`acs_binding_hash`). False if the flow is used, expired, answered or bound elsewhere.
    boost::asio::awaitable<bool> record_saml_answer(
        std::string flow_id, std::string acs_binding_hash, std::string answer_json, core::timestamp now
    );

    // Remembers an issuer's SAML assertion id until it expires; false when it was already seen
    // (replay). Ids are unique per issuer only, so the issuer is part of the key.
    boost::asio::awaitable<bool> remember_assertion(
        std::string issuer, std::string assertion_id, std::string tenant_id, core::timestamp expires_at
    );
    // Forgets expired flows and assertion ids; returns how many rows went.
    boost::asio::awaitable<std::int64_t> prune(core::timestamp now);

private:
    pg::pool& db_;
};

}  // namespace chal::storage
