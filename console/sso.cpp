// Console sign-in by the tenant's own OIDC client, and the step-up before sensitive actions: the
// browser's side of console_pages (declared in pages.hpp). The provider's answer is judged by the
// one OIDC client (api::oidc_client::complete_code_flow); who it signs in is decided by
// services::console_sso.
#include "console/pages.hpp"

#include "api/errors.hpp"
#include "api/verification/html.hpp"
#include "api/verification/oidc_client.hpp"
#include "app/core/console_sso.hpp"
#include "app/core/text.hpp"
#include "app/crypto/crypto.hpp"
#include "app/crypto/jose.hpp"
#include "app/http/request_fields.hpp"
#include "console/layout.hpp"

#include <boost/beast/http/field.hpp>
#include <spdlog/spdlog.h>

#include <variant>

namespace chal::console {
namespace {

namespace bh = boost::beast::http;
using api::html_escape;

constexpr std::string_view callback_path = "/console/auth/callback";
constexpr std::string_view login_cookie_max_age = "600";  // the login state's 10 minutes

// The login state's own cookie (never the session's, never the verification flow's): its secret
// binds a flow to this browser by hash, and HMACs of it are the flow's nonce and PKCE verifier.
struct login_browser {
    std::string secret;
    std::string hash;
    std::string derive(std::string_view purpose, std::string_view flow_id) const {
        return crypto::base64url_encode(crypto::hmac_sha256(secret, "console-" + std::string(purpose) + ":" + std::string(flow_id)));
    }
};

std::string login_cookie_name(bool secure) {
    return secure ? "__Host-console_login" : "console_login";
}

std::optional<login_browser> existing_login_browser(const http::request_context& ctx, bool secure) {
    auto secret = http::cookie_value(ctx.req, login_cookie_name(secure));
    if (!secret || secret->size() < 43 || secret->size() > 64) return std::nullopt;
    return login_browser{*secret, crypto::sha256(*secret)};
}

std::string login_cookie(const login_browser& b, bool secure, bool clear) {
    std::string cookie = login_cookie_name(secure) + "=" + (clear ? "" : b.secret) +
                         "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" + std::string(clear ? "0" : login_cookie_max_age);
    if (secure) cookie += "; Secure";
    return cookie;
}

std::string email_form(std::string_view email, std::string_view error) {
    std::string out = "<form method=\"post\" action=\"/console/sign-in\" novalidate><p><label for=\"email\">Work email</label> "
                      "<input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"email\" value=\"" + html_escape(email) + "\"";
    if (!error.empty()) out += " aria-invalid=\"true\" aria-describedby=\"email-error\"";
    out += ">";
    if (!error.empty()) out += "<p class=\"field-error\" id=\"email-error\">" + html_escape(error) + "</p>";
    return out + "</p><p><button type=\"submit\">Continue</button></p></form>";
}

std::string tenant_button(std::string_view tenant_id, std::string_view label) {
    return "<form method=\"post\" action=\"/console/sign-in\"><input type=\"hidden\" name=\"tenant\" value=\"" +
           html_escape(tenant_id) + "\"><button type=\"submit\">" + html_escape(label) + "</button></form>";
}

constexpr std::string_view no_sso_help =
    "<p>No identity provider yet? Ask your Challenge operator for a setup link "
    "(<code>challenge console setup-link</code>) or, if you are locked out, a recovery link "
    "(<code>challenge console recover</code>). Links work once and last 24 hours.</p>";

std::string sign_in_main(std::string_view email, std::string_view error) {
    return "<h1>Sign in to the console</h1><p>Sign in with your organisation's identity provider.</p>" +
           email_form(email, error) + std::string(no_sso_help);
}

std::string refusal_reason(storage::login_flow_refusal r) {
    switch (r) {
        case storage::login_flow_refusal::unknown: return "unknown";
        case storage::login_flow_refusal::used: return "used";
        case storage::login_flow_refusal::expired: return "expired";
        case storage::login_flow_refusal::other_browser: return "other_browser";
    }
    return "unknown";
}

}  // namespace

std::string_view identity_provider_form_targets(bool allow_http_idp) {
    return allow_http_idp ? "https: http:" : "https:";
}

std::string step_up_form_html(std::string_view csrf, std::string_view return_to) {
    return "<form method=\"post\" action=\"/console/reauth\">" + csrf_input(csrf) +
           "<input type=\"hidden\" name=\"return_to\" value=\"" + html_escape(return_to) +
           "\"><button type=\"submit\" id=\"sign-in-again\">Sign in again</button></form>";
}

http::response console_pages::sso_refusal_page(unsigned status, std::string_view text) const {
    return page(status, "Sign-in refused", "",
                message_page_html("You could not be signed in", text) +
                    "<p><a href=\"/console/sign-in\">Back to sign in</a></p>");
}

boost::asio::awaitable<http::response> console_pages::sign_in(http::request_context& ctx) {
    const auto query = http::decoded_fields(ctx.query);
    const auto tenant = http::field_or_empty(query, "tenant");
    // The form's answer redirects to the person's identity provider, which is not known yet.
    const auto targets = identity_provider_form_targets(settings_.allow_http_idp);
    if (crypto::is_uuid(tenant)) {
        co_return page(200, "Sign in", "",
                       "<h1>Sign in to the console</h1><p>Continue with your organisation's identity provider.</p>" +
                           tenant_button(tenant, "Continue to sign in") + std::string(no_sso_help),
                       targets);
    }
    co_return page(200, "Sign in", "", sign_in_main("", ""), targets);
}

boost::asio::awaitable<http::response> console_pages::start_sign_in(http::request_context& ctx) {
    if (auto refused = refuse_cross_origin(ctx)) co_return std::move(*refused);
    const auto fields = http::decoded_fields(ctx.req.body());
    const auto targets = identity_provider_form_targets(settings_.allow_http_idp);
    if (auto tenant = http::field_or_empty(fields, "tenant"); !tenant.empty())
        co_return co_await redirect_to_provider(ctx, tenant, "/console", nullptr);
    const auto email = http::field_or_empty(fields, "email");
    if (!core::checked_member_email(email))
        co_return page(400, "Sign in", "", sign_in_main(email, api::error_for(core::errc::invalid_member_email).message), targets);
    const auto tenants = co_await deps_.sso.tenants_for_email(email);
    if (tenants.empty()) {
        co_return page(404, "Sign in", "",
                       sign_in_main(email, "No organisation with console sign-in by identity provider knows this address. "
                                           "Check it, or ask an admin to add you."),
                       targets);
    }
    if (tenants.size() == 1) co_return co_await redirect_to_provider(ctx, tenants.front().tenant_id, "/console", nullptr);
    std::string main = "<h1>Choose an organisation</h1><p>" + html_escape(email) +
                       " belongs to several organisations. Which one do you want to sign in to?</p><ul class=\"tenant-choices\">";
    for (const auto& t : tenants) main += "<li>" + tenant_button(t.tenant_id, t.tenant_name) + "</li>";
    co_return page(200, "Choose an organisation", "", main + "</ul>", targets);
}

boost::asio::awaitable<http::response> console_pages::redirect_to_provider(
    const http::request_context& ctx, std::string tenant_id, std::string return_to, const signed_in_request* step_up
) {
    auto client = co_await deps_.sso.client_for(tenant_id);
    if (!client) co_return sso_refusal_page(404, api::error_for(client.error()).message);
    auto discovered = co_await deps_.oidc.discover(client->issuer);
    if (auto* f = std::get_if<api::oidc_failure>(&discovered)) {
        spdlog::warn("console sso discovery failed tenant_id={} reason={}", tenant_id, core::escaped_for_log(f->reason));
        co_return sso_refusal_page(502, "Your organisation's identity provider could not be reached. Try again shortly.");
    }
    const auto& provider = std::get<api::oidc_provider>(discovered);
    auto browser = existing_login_browser(ctx, auth_.is_secure());
    if (!browser) {
        const auto secret = crypto::base64url_encode(crypto::random_bytes(32));
        browser = login_browser{secret, crypto::sha256(secret)};
    }
    services::console_login_start start{tenant_id, browser->hash, std::move(return_to), std::nullopt, std::nullopt};
    if (step_up) {
        start.step_up_session = step_up->session;
        start.step_up_token = http::cookie_value(ctx.req, auth_.cookie_name());
    }
    const auto flow = co_await deps_.sso.start(std::move(start), *client);

    std::string url = provider.authorization_endpoint;
    url += url.find('?') == std::string::npos ? '?' : '&';
    url += "response_type=code&client_id=" + http::url_component(client->client_id);
    url += "&redirect_uri=" + http::url_component(settings_.public_base_url + std::string(callback_path));
    url += "&scope=" + http::url_component("openid email");
    url += "&state=" + flow.id;
    url += "&nonce=" + browser->derive("nonce", flow.id);
    url += "&code_challenge=" + crypto::jose::pkce_challenge_s256(browser->derive("pkce", flow.id));
    url += "&code_challenge_method=S256";
    // The product's own step-up: the provider must ask for the password again, now.
    if (step_up) url += "&prompt=login&max_age=0&login_hint=" + http::url_component(step_up->session.email);
    if (!core::is_safe_redirect_url(url, settings_.allow_http_idp))
        co_return sso_refusal_page(502, "Your organisation's identity provider settings cannot be used. Ask an admin.");
    auto res = api::redirect_response(url);
    res.set(bh::field::set_cookie, login_cookie(*browser, auth_.is_secure(), false));
    co_return res;
}

boost::asio::awaitable<http::response> console_pages::sso_callback(http::request_context& ctx) {
    const auto query = http::decoded_fields(ctx.query);
    const auto origin = auth_.origin_of(ctx);
    const auto browser = existing_login_browser(ctx, auth_.is_secure());
    const auto state = http::field_or_empty(query, "state");
    // Spent whatever follows, so a refused or replayed answer can never be presented again.
    // Without the cookie no flow can match; named first (g++ 12 mishandles temporaries of a
    // conditional expression inside co_await).
    std::string browser_hash = browser ? browser->hash : crypto::sha256(crypto::random_bytes(32));
    auto consumed = co_await deps_.sso.consume(state, std::move(browser_hash));
    if (auto* refused = std::get_if<storage::login_flow_refusal>(&consumed)) {
        spdlog::info("console sso callback refused reason={} cookie={}", refusal_reason(*refused), browser ? "yes" : "no");
        if (!browser && *refused == storage::login_flow_refusal::other_browser)
            co_return sso_refusal_page(400, "This browser did not keep the sign-in cookie. Allow cookies for this site and start again.");
        co_return sso_refusal_page(400, api::error_for(core::errc::sso_login_state_invalid).message);
    }
    const auto flow = std::get<storage::console_login_flow>(consumed);
    if (!browser) co_return sso_refusal_page(400, api::error_for(core::errc::sso_login_state_invalid).message);
    const auto refuse = [&](unsigned status, core::errc why, const std::string& detail) {
        spdlog::warn("console sso sign-in refused tenant_id={} reason={} detail={}", flow.tenant_id,
                     core::error_category().message(static_cast<int>(why)), core::escaped_for_log(detail));
        return sso_refusal_page(status, api::error_for(why).message);
    };
    auto client = co_await deps_.sso.client_for(flow.tenant_id);
    if (!client || client->issuer != flow.issuer || client->client_id != flow.client_id) {
        co_await deps_.sso.record_refusal(flow, "console SSO settings changed during the sign-in", origin);
        co_return refuse(409, core::errc::sso_not_configured, "settings changed during the flow");
    }
    auto discovered = co_await deps_.oidc.discover(flow.issuer);
    if (auto* f = std::get_if<api::oidc_failure>(&discovered)) {
        co_await deps_.sso.record_refusal(flow, "discovery failed", origin);
        co_return refuse(502, core::errc::login_malformed, f->reason);
    }
    const auto provider = std::get<api::oidc_provider>(discovered);
    // RFC 9207 (mix-up defence): before anything else in the answer is believed, error included.
    std::optional<std::string_view> iss_parameter;
    if (auto iss = query.find("iss"); iss != query.end()) iss_parameter = iss->second;
    if (!core::check_authorization_response_issuer(iss_parameter, flow.issuer, provider.sends_authorization_response_iss)) {
        co_await deps_.sso.record_refusal(flow, "authorization response iss mismatch", origin);
        co_return refuse(401, core::errc::login_issuer_mismatch, "iss parameter");
    }
    if (auto error = query.find("error"); error != query.end()) {
        co_await deps_.sso.record_refusal(flow, "the identity provider answered error=" + core::escaped_for_log(error->second), origin);
        co_return sso_refusal_page(401, "Your identity provider did not confirm who you are. Nothing was changed.");
    }
    const auto code = http::field_or_empty(query, "code");
    if (code.empty()) {
        co_await deps_.sso.record_refusal(flow, "no code", origin);
        co_return refuse(400, core::errc::login_malformed, "no code");
    }

    core::id_token_expectations expect;
    expect.issuer = flow.issuer;
    expect.client_id = flow.client_id;
    expect.nonce = browser->derive("nonce", flow.id);
    expect.flow_started_at = flow.created_at;
    expect.now = deps_.clock();
    // A normal sign-in may reuse the person's session at the provider; a step-up may not.
    expect.require_fresh_login = flow.purpose == "step_up";
    api::code_flow_request request{provider, client->client_id, client->client_secret, code,
                                   settings_.public_base_url + std::string(callback_path), browser->derive("pkce", flow.id),
                                   expect, "email"};
    auto completed = co_await deps_.oidc.complete_code_flow(std::move(request));
    if (auto* refused = std::get_if<api::code_flow_refusal>(&completed)) {
        co_await deps_.sso.record_refusal(flow, core::error_category().message(static_cast<int>(refused->why)), origin);
        co_return refuse(401, refused->why, refused->detail);
    }
    const auto& answer = std::get<api::code_flow_login>(completed);
    // The verification side's rule: an email links a member only when the provider verified it.
    const core::identity_expectations email_claim{"email", core::email_verified_absent::refuse};
    std::optional<std::string> verified_email;
    if (auto email = core::asserted_identity(answer.identity_claims, email_claim)) verified_email = std::move(*email);

    services::console_sso_assertion assertion{answer.login.subject, std::move(verified_email), answer.login.auth_time};
    auto in = co_await deps_.sso.complete(flow, std::move(assertion), origin);
    if (!in) {
        const auto e = api::error_for(in.error());
        co_return sso_refusal_page(e.status, e.message);
    }
    auto res = api::redirect_response(flow.return_to);
    res.set(bh::field::set_cookie, auth_.session_cookie(in->token));
    res.insert(bh::field::set_cookie, login_cookie(*browser, auth_.is_secure(), true));
    co_return res;
}

boost::asio::awaitable<http::response> console_pages::reauthenticate(http::request_context& ctx) {
    auto in = co_await signed_in(ctx, true);
    if (auto* answer = std::get_if<http::response>(&in)) co_return std::move(*answer);
    const auto& me = std::get<signed_in_request>(in);
    const auto fields = http::decoded_fields(ctx.req.body());
    auto client = co_await deps_.sso.client_for(me.session.tenant_id);
    if (!client) {
        // The first Owner before SSO exists: a recovery link's session is fresh for its first minutes.
        co_return page(409, "Sign in again", me.nav,
                       message_page_html("Your organisation has no console sign-in yet",
                                         "To do this, ask your Challenge operator for a recovery link "
                                         "(challenge console recover). For five minutes after you use it, "
                                         "sensitive actions are allowed. Nothing was changed."));
    }
    co_return co_await redirect_to_provider(ctx, me.session.tenant_id, http::field_or_empty(fields, "return_to"), &me);
}

}  // namespace chal::console
