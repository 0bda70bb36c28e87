// Console sign-in by each tenant's own OIDC client: its settings (Owner-only; the CLI today, the
// console settings page and JSON API next), the login state between the redirect and the
// provider's answer, and signing the person in once the provider vouched for them. The OIDC
// protocol itself (discovery, code exchange, ID token checks) runs in the adapter, through the
// one OIDC client (api/verification/oidc_client).
#pragma once

#include "app/core/permissions.hpp"
#include "app/crypto/crypto.hpp"
#include "app/services/console_access.hpp"
#include "storage/console_sso_store.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace chal::services {

// The settings as anyone may see them: the secret only as a keyed fingerprint.
struct console_sso_view {
    std::string tenant_id;
    std::string issuer;
    std::string client_id;
    std::string client_secret_fingerprint;
    bool just_in_time_viewers = false;
    std::string updated_by;
    core::timestamp updated_at;
};

struct console_sso_change {
    std::string issuer;
    std::string client_id;
    std::string client_secret;
    bool just_in_time_viewers = false;  // off by default: new people must be added first
};

// What the adapter needs to send a browser to the tenant's provider and judge its answer.
struct console_sso_client {
    std::string tenant_id;
    std::string issuer;
    std::string client_id;
    std::string client_secret;
    bool just_in_time_viewers = false;
};

// A sign-in the adapter is about to start; the flow's id is the OAuth state.
struct console_login_start {
    std::string tenant_id;
    std::string browser_hash;  // raw SHA-256 of the login cookie's secret
    std::string return_to;     // any text: made safe here (core::safe_return_path)
    // For a step-up: the session being re-authenticated, and its token.
    std::optional<storage::console_session_record> step_up_session;
    std::optional<std::string> step_up_token;
};

// What the provider vouched for, after the adapter checked the ID token.
struct console_sso_assertion {
    std::string subject;
    std::optional<std::string> verified_email;
    core::timestamp auth_time;
};

class console_sso {
public:
    console_sso(storage::console_sso_store& store, storage::console_store& console, console_access& access,
                const crypto::secret_box& secrets,
                core::clock_function clock, std::chrono::seconds login_lifetime = std::chrono::minutes{10});

    // Owner-only (permission::manage_owners). Checks the issuer, client id and secret
    // (errc::invalid_sso_*), seals the secret, audits "console.sso_configured".
    boost::asio::awaitable<core::result<console_sso_view>> configure(
        core::principal who, std::string tenant_id, console_sso_change change, storage::request_origin origin
    );
    boost::asio::awaitable<core::result<std::optional<console_sso_view>>> show(core::principal who, std::string tenant_id);
    // errc::sso_not_configured when there was nothing to clear.
    boost::asio::awaitable<core::result<void>> clear(core::principal who, std::string tenant_id, storage::request_origin origin);

    // The tenants with console SSO that `email` belongs to (empty for a malformed address).
    boost::asio::awaitable<std::vector<storage::sso_tenant>> tenants_for_email(std::string email);
    // The tenant's client with its secret opened, or errc::sso_not_configured (also when the
    // sealed secret no longer opens, e.g. after a master key change).
    boost::asio::awaitable<core::result<console_sso_client>> client_for(std::string tenant_id);

    // Records a new sign-in (valid for the login lifetime) and returns it; its id is the state.
    boost::asio::awaitable<storage::console_login_flow> start(console_login_start start, const console_sso_client& client);
    // Spends the flow (whatever happens next) and returns it for the browser that started it.
    boost::asio::awaitable<std::variant<storage::console_login_flow, storage::login_flow_refusal>> consume(
        std::string state, std::string browser_hash
    );
    // Signs the person in (console_access::open_sso_session) under the tenant's current settings;
    // errc::sso_not_configured if the provider or client changed since the flow started.
    boost::asio::awaitable<core::result<signed_in>> complete(
        storage::console_login_flow flow, console_sso_assertion assertion, storage::request_origin origin
    );
    // Audits a sign-in the provider's answer did not prove (bad token, refused by the IdP...).
    boost::asio::awaitable<void> record_refusal(
        const storage::console_login_flow& flow, std::string reason, storage::request_origin origin
    );

private:
    console_sso_view view_of(const storage::console_sso_record& r) const;

    storage::console_sso_store& store_;
    storage::console_store& console_;
    console_access& access_;
    const crypto::secret_box& secrets_;
    core::clock_function clock_;
    std::chrono::seconds login_lifetime_;
};

}  // namespace chal::services
