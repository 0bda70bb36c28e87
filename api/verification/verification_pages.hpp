// The target's side of a challenge, as server-rendered pages: the link, the step-up login at
// the tenant's identity provider (OIDC here; SAML through the same flow store), the outcome,
// the device details, and the receipt keys. Every form is bound to the browser by a cookie
// secret (HttpOnly, Secure, SameSite=Lax) and carries a CSRF token derived from it.
#pragma once

#include "api/verification/oidc_client.hpp"
#include "api/verification/receipts.hpp"
#include "app/core/time.hpp"
#include "app/crypto/crypto.hpp"
#include "app/http/handler.hpp"
#include "storage/challenge_store.hpp"
#include "storage/verification_store.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace chal::api {

struct verification_page_settings {
    std::string public_base_url = "http://127.0.0.1:8080";
    std::chrono::seconds flow_lifetime{600};
    // How long a proven login waits for the page's device details before it is verified without them.
    std::chrono::seconds details_grace{5};
    // Peers whose X-Forwarded-For is believed (addresses or CIDR blocks); everyone else's is ignored.
    std::vector<std::string> trusted_proxies;
    // The development setting (CHALLENGE_ALLOW_HTTP_IDP): identity providers may be plain http,
    // so the browser may also be sent to an http sign-in page.
    bool allow_http_idp = false;
};

struct verification_dependencies {
    storage::challenge_store& challenges;
    storage::verification_store& verification;
    const crypto::secret_box& secrets;
    oidc_client& oidc;
    const receipt_signer& receipts;
    core::clock_function clock;
    std::function<void()> wake_delivery_worker;
};

// The browser's cookie secret and what is derived from it (defined in the .cpp).
struct browser_session;
// What a request about one challenge's link starts from (defined in the .cpp).
struct link_view;

// What a login proved, whichever protocol proved it; recorded with the challenge.
struct login_facts {
    std::string method;   // "oidc", "saml", "none"
    std::string issuer;   // the OIDC issuer or SAML IdP entity id ("" for none)
    std::string subject;  // the ID token's `sub` or the SAML NameID, as asserted
    std::string identity;  // what was compared with the target (email by default)
    std::optional<std::string> acr;
    std::optional<core::timestamp> auth_time;
};

class verification_pages {
public:
    verification_pages(verification_dependencies deps, verification_page_settings settings);

    boost::asio::awaitable<http::response> start(http::request_context& ctx);
    boost::asio::awaitable<http::response> verify(http::request_context& ctx);
    boost::asio::awaitable<http::response> report_form(http::request_context& ctx);
    boost::asio::awaitable<http::response> report(http::request_context& ctx);
    boost::asio::awaitable<http::response> oidc_callback(http::request_context& ctx);
    boost::asio::awaitable<http::response> saml_metadata(http::request_context& ctx);
    boost::asio::awaitable<http::response> saml_acs(http::request_context& ctx);
    boost::asio::awaitable<http::response> saml_continue(http::request_context& ctx);
    boost::asio::awaitable<http::response> verified(http::request_context& ctx);
    boost::asio::awaitable<http::response> device_details(http::request_context& ctx);
    boost::asio::awaitable<http::response> jwks(http::request_context& ctx);
    boost::asio::awaitable<http::response> device_script(http::request_context& ctx);
    boost::asio::awaitable<http::response> stylesheet(http::request_context& ctx);

    // Verifies, without device details, every proven login older than the grace period
    // (the page never reported). Returns how many it finished.
    boost::asio::awaitable<int> finish_unreported(core::timestamp now);

private:
    boost::asio::awaitable<bool> finish(const core::challenge& c, std::string device_json, std::string actor);
    boost::asio::awaitable<http::response> begin_oidc(
        const core::challenge& c, const storage::verification_settings& s, const browser_session& b,
        std::optional<std::string> target_response
    );
    boost::asio::awaitable<http::response> complete_oidc(
        http::request_context& ctx, const storage::verification_flow& flow, const browser_session& b
    );
    boost::asio::awaitable<http::response> begin_saml(
        const core::challenge& c, const storage::verification_settings& s, const browser_session& b,
        std::optional<std::string> target_response
    );
    // What every login ends with: the proven identity against the target (identity_mismatch
    // fails the challenge and says so), else the login recorded and the success page.
    boost::asio::awaitable<http::response> conclude_login(
        const http::request_context& ctx, const core::challenge& c, const storage::verification_settings& s,
        const browser_session& b, login_facts login, std::optional<std::string> target_response
    );
    // The page for a challenge whose state changed under us (a concurrent answer won).
    boost::asio::awaitable<http::response> current_state_page(std::string challenge_id, storage::support_contacts support);
    // The browser would have been sent to a URL that could break the Location header or leave https.
    http::response unsafe_sign_in_page(
        const core::challenge& c, std::string_view method, const storage::support_contacts& support
    ) const;
    // A used flow's refusal page (another browser, used twice, expired).
    static http::response flow_refused_page(int refusal);
    http::response login_refused_page(
        const std::string& tenant_id, const std::string& challenge_id, core::errc why, const std::string& detail,
        const storage::support_contacts& support
    ) const;
    std::string client_ip(const http::request_context& ctx) const;
    // The {challenge_id} of the path, the browser, the challenge and its tenant's settings, and
    // what the link may show now.
    boost::asio::awaitable<link_view> open_link(const http::request_context& ctx);
    // Opening an open link starts an initiated challenge (initiated -> in-progress).
    boost::asio::awaitable<void> start_if_new(link_view& link);
    std::string login_json(const http::request_context& ctx, const browser_session& b, const login_facts& login) const;

    verification_dependencies deps_;
    verification_page_settings settings_;
};

}  // namespace chal::api
