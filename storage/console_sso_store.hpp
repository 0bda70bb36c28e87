// A tenant's console SSO client (its secret arrives sealed) and the state of console sign-ins
// between the redirect to the identity provider and its answer. Signing a person in once the
// provider has vouched for them is console_store::open_sso_session.
#pragma once

#include "app/core/time.hpp"
#include "storage/console_store.hpp"
#include "storage/pg/pool.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace chal::storage {

struct console_sso_record {
    std::string tenant_id;
    std::string issuer;
    std::string client_id;
    std::string client_secret_sealed;  // raw sealed bytes
    std::string client_secret_fingerprint;
    bool just_in_time_viewers = false;
    std::string updated_by;
    core::timestamp updated_at;
};

// The associated data sealing a tenant's console SSO client secret: binds it to its row, so the
// verification client's sealed secret never opens here, nor this one there.
std::string console_sso_secret_context(std::string_view tenant_id);

struct console_login_flow {
    std::string id;            // the OAuth state
    std::string browser_hash;  // raw SHA-256 of the login cookie's secret
    std::string tenant_id;
    std::string issuer;
    std::string client_id;
    std::string purpose;  // "sign_in" or "step_up"
    std::optional<std::string> step_up_user_id;
    std::optional<std::string> step_up_session_hash;
    std::string return_to;
    core::timestamp created_at;
    core::timestamp expires_at;
};

enum class login_flow_refusal { unknown, used, expired, other_browser };

// A tenant whose console SSO a person may sign in with.
struct sso_tenant {
    std::string tenant_id;
    std::string tenant_name;
};

class console_sso_store {
public:
    explicit console_sso_store(pg::pool& db) : db_(db) {}

    boost::asio::awaitable<std::optional<console_sso_record>> settings(std::string tenant_id);
    // Stores (or replaces) the settings and audits `event`, in one transaction.
    boost::asio::awaitable<void> save_settings(console_sso_record settings, admin_audit_event event, request_origin origin);
    // False when there was nothing to clear (and nothing is audited).
    boost::asio::awaitable<bool> clear_settings(std::string tenant_id, admin_audit_event event, request_origin origin,
                                                core::timestamp now);

    // The tenants with console SSO where `email` is a member (active or not: a suspended member
    // is told so after signing in, not before), by name.
    boost::asio::awaitable<std::vector<sso_tenant>> tenants_of_email(std::string email);
    boost::asio::awaitable<std::optional<sso_tenant>> sso_tenant_by_id(std::string tenant_id);

    // Also forgets flows that ended more than a day ago.
    boost::asio::awaitable<void> insert_flow(console_login_flow flow);
    // Spends the flow whatever follows; returns it only for the browser that started it, unexpired.
    boost::asio::awaitable<std::variant<console_login_flow, login_flow_refusal>> consume_flow(
        std::string flow_id, std::string browser_hash, core::timestamp now
    );

private:
    pg::pool& db_;
};

}  // namespace chal::storage
