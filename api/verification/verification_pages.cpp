#include "api/verification/verification_pages.hpp"

#include "app/http/request_fields.hpp"

#include "api/errors.hpp"
#include "api/verification/html.hpp"
#include "app/core/device.hpp"
#include "app/core/json_values.hpp"
#include "app/core/network_address.hpp"
#include "app/core/text.hpp"
#include "app/core/verification.hpp"
#include "app/saml/service_provider.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/parse_query.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <spdlog/spdlog.h>

#include <map>

namespace chal::api {
namespace {

namespace bh = boost::beast::http;

constexpr std::size_t max_target_response = 2000;
constexpr std::size_t max_device_report = 16 * 1024;

std::string trimmed_response(std::string_view text) {
    auto out = core::storable_text(text, max_target_response, core::line_breaks::keep);
    while (!out.empty() && (out.back() == ' ' || out.back() == '\n' || out.back() == '\t')) out.pop_back();
    return out;
}

std::string base_url(std::string_view configured) {
    std::string base(configured);
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base;
}

std::string when_text(core::timestamp expires_at, core::timestamp now) {
    const auto minutes = std::chrono::duration_cast<std::chrono::minutes>(expires_at - now).count();
    std::string text = core::format_rfc3339(expires_at);
    text.replace(text.find('T'), 1, " at ");
    text.pop_back();  // 'Z'
    text += " UTC";
    if (minutes >= 1) text += " (in " + std::to_string(minutes) + (minutes == 1 ? " minute)" : " minutes)");
    else text += " (in less than a minute)";
    return text;
}

http::response message_page(unsigned status, std::string_view title, std::string_view message,
                            const storage::support_contacts& support) {
    std::string main = "<h1>" + html_escape(title) + "</h1><p>" + html_escape(message) + "</p>" + support_html(support);
    return html_response(status, html_page(title, main));
}

// The page for a challenge the target can no longer act on.
http::response state_page(core::link_state state, const std::optional<core::challenge>& c,
                          const storage::support_contacts& support) {
    switch (state) {
        case core::link_state::not_found:
            return message_page(404, "This link is not valid", "Check that you opened the whole link you were sent.", support);
        case core::link_state::expired:
            return message_page(410, "This request has expired",
                                "Nothing was verified. Ask the person who sent it for a new one if you still need to.",
                                support);
        case core::link_state::finished: {
            std::string what = "This request has already been completed.";
            if (c && c->status == core::challenge_status::verified) what = "This request was already verified.";
            if (c && c->failure == core::failure_reason::canceled) what = "This request was withdrawn by the person who sent it.";
            if (c && c->failure == core::failure_reason::incident_reported) what = "This request was reported as not made by you.";
            return message_page(409, "Nothing more to do", what + " Nothing was changed.", support);
        }
        case core::link_state::awaiting_verification:
            return message_page(409, "Already signed in", "Your sign-in was confirmed; the verification is being completed.", support);
        case core::link_state::open: break;
    }
    return message_page(500, "Something went wrong", "Please try again.", support);
}

}  // namespace

// The browser's cookie secret: its SHA-256 binds flows to the browser, HMACs of it make the
// CSRF tokens, the OIDC nonce and the PKCE verifier, so none of them is stored anywhere.
struct browser_session {
    std::string secret;
    std::string hash;   // raw SHA-256 of the secret
    bool fresh = false;  // no cookie came in; Set-Cookie goes out

    std::string derive(std::string_view purpose, std::string_view id) const {
        return crypto::base64url_encode(crypto::hmac_sha256(secret, std::string(purpose) + ":" + std::string(id)));
    }
    bool token_matches(std::string_view presented, std::string_view purpose, std::string_view id) const {
        return !presented.empty() && crypto::constant_time_equal(presented, derive(purpose, id));
    }
};

namespace {

// __Host- cookies must be Secure; over plain http (loopback development and tests only) the
// cookie goes without the prefix and without Secure, since browsers would drop it otherwise.
bool secure_base(std::string_view base) {
    return base.starts_with("https://");
}

std::string cookie_name(std::string_view base) {
    return secure_base(base) ? "__Host-chal_browser" : "chal_browser";
}

}  // namespace

verification_pages::verification_pages(verification_dependencies deps, verification_page_settings settings)
    : deps_(std::move(deps)), settings_(std::move(settings)) {
    settings_.public_base_url = base_url(settings_.public_base_url);
}

namespace {

browser_session browser_of(const http::request_context& ctx, std::string_view base) {
    browser_session b;
    auto secret = http::cookie_value(ctx.req, cookie_name(base));
    if (secret && secret->size() >= 43 && secret->size() <= 64) {
        b.secret = *secret;
    } else {
        b.secret = crypto::base64url_encode(crypto::random_bytes(32));
        b.fresh = true;
    }
    b.hash = crypto::sha256(b.secret);
    return b;
}

void set_cookie_if_fresh(http::response& res, const browser_session& b, std::string_view base) {
    if (!b.fresh) return;
    std::string cookie = cookie_name(base) + "=" + b.secret + "; Path=/; HttpOnly; SameSite=Lax";
    if (secure_base(base)) cookie += "; Secure";
    res.set(bh::field::set_cookie, cookie);
}

http::response no_cookie_page(const storage::support_contacts& support) {
    return message_page(403, "Please open the link again",
                        "This page needs a cookie from the page you started on. Open the link from your message "
                        "again in this browser, with cookies allowed. Nothing was changed.",
                        support);
}

http::response form_expired_page(const storage::support_contacts& support) {
    return message_page(403, "Please open the link again",
                        "This form has expired or did not come from this page. Nothing was changed.", support);
}

http::response json_status(unsigned status, std::string body) {
    http::response res{static_cast<bh::status>(status), 11};
    res.set(bh::field::content_type, "application/json");
    add_security_headers(res);
    res.body() = std::move(body);
    return res;
}

std::optional<std::string> header_value(const http::request& req, std::string_view name) {
    if (auto it = req.find(name); it != req.end()) return std::string(it->value());
    return std::nullopt;
}

}  // namespace

struct link_view {
    std::string id;
    browser_session b;
    std::optional<core::challenge> c;
    storage::verification_settings settings;
    core::timestamp now{};
    core::link_state state = core::link_state::not_found;
};

boost::asio::awaitable<link_view> verification_pages::open_link(const http::request_context& ctx) {
    link_view v;
    v.id = std::string(ctx.param("challenge_id"));
    v.b = browser_of(ctx, settings_.public_base_url);
    if (crypto::is_uuid(v.id)) v.c = co_await deps_.challenges.find_by_id(v.id);
    if (v.c) v.settings = co_await deps_.verification.settings(v.c->tenant_id);
    v.now = deps_.clock();
    v.state = core::link_state_for(v.c, v.c && v.c->authenticated_at, v.now);
    co_return v;
}

boost::asio::awaitable<void> verification_pages::start_if_new(link_view& link) {
    if (!link.c || link.c->status != core::challenge_status::initiated) co_return;
    // Opening the link is the start; a concurrent open has done it already if this refuses.
    auto started = co_await deps_.challenges.transition(
        std::nullopt, link.c->id, core::challenge_event::start, {}, "target", link.now
    );
    if (started) link.c = *started;
}

std::string verification_pages::client_ip(const http::request_context& ctx) const {
    return http::client_address(ctx, settings_.trusted_proxies);
}

std::string verification_pages::login_json(
    const http::request_context& ctx, const browser_session& b, const login_facts& login
) const {
    boost::json::object o;
    o["method"] = login.method;
    o["issuer"] = login.issuer;
    o["subject"] = login.subject;
    o["identity"] = login.identity;
    o["acr"] = login.acr ? boost::json::value(*login.acr) : nullptr;
    o["auth_time"] = login.auth_time ? boost::json::value(core::format_rfc3339(*login.auth_time)) : nullptr;
    o["browser"] = crypto::hex_encode(b.hash);
    o["ip"] = client_ip(ctx);
    o["user_agent"] = core::storable_text(ctx.req[bh::field::user_agent], 512);
    if (auto version = header_value(ctx.req, "Sec-CH-UA-Platform-Version")) o["ua_platform_version"] = core::storable_text(*version, 32);
    return boost::json::serialize(o);
}

boost::asio::awaitable<http::response> verification_pages::start(http::request_context& ctx) {
    auto link = co_await open_link(ctx);
    const auto& b = link.b;
    auto& c = link.c;
    const auto& settings = link.settings;
    const auto now = link.now;
    if (link.state != core::link_state::open) co_return state_page(link.state, c, settings.support);
    // Opening the link changes nothing: chat unfurlers and mail scanners fetch links too. The
    // challenge starts when the target acts (Verify or Report).

    std::string main = "<h1>Is this you?</h1><p>Someone asked you to confirm your identity before they act.</p><dl>";
    main += "<dt>Requested by</dt><dd>" + html_escape(c->requester_id) + "</dd>";
    if (c->context) main += "<dt>Reason</dt><dd>" + html_escape(*c->context) + "</dd>";
    main += "<dt>Expires</dt><dd>" + html_escape(when_text(c->expires_at, now)) + "</dd></dl>";
    if (settings.mode == core::auth_mode::unconfigured) {
        main += "<p class=\"notice weak\">" + html_escape(error_for(core::errc::verification_not_configured).message) + "</p>";
    } else {
        main += "<form method=\"post\" action=\"/challenge/start/" + html_escape(c->id) + "/verify\">";
        main += "<input type=\"hidden\" name=\"csrf\" value=\"" + b.derive("verify", c->id) + "\">";
        if (settings.additional_context_enabled)
            main += "<label for=\"target_response\">Additional context (optional)</label>"
                    "<textarea id=\"target_response\" name=\"target_response\" maxlength=\"2000\"></textarea>";
        if (settings.mode == core::auth_mode::none)
            main += "<p class=\"notice weak\">Your organisation uses click-through verification: it shows only that "
                    "you opened this link, not who you are.</p>";
        else
            main += "<p class=\"muted\">You will be asked to sign in again at your organisation's sign-in page.</p>";
        main += "<button class=\"verify\" type=\"submit\" id=\"verify\">Verify, it was me</button></form>";
    }
    main += "<a class=\"button report\" id=\"report\" href=\"/challenge/start/" + html_escape(c->id) +
            "/report\">Report incident, wasn't me</a>";
    main += support_html(settings.support);
    auto res = html_response(200, html_page("Verify your identity", main));
    set_cookie_if_fresh(res, b, settings_.public_base_url);
    co_return res;
}

boost::asio::awaitable<http::response> verification_pages::verify(http::request_context& ctx) {
    auto link = co_await open_link(ctx);
    const auto& b = link.b;
    auto& c = link.c;
    const auto& settings = link.settings;
    const auto now = link.now;
    if (b.fresh) co_return no_cookie_page(settings.support);
    auto form = http::decoded_fields(ctx.req.body());
    if (!b.token_matches(form["csrf"], "verify", link.id)) co_return form_expired_page(settings.support);
    if (link.state != core::link_state::open) co_return state_page(link.state, c, settings.support);
    co_await start_if_new(link);
    std::optional<std::string> target_response;
    if (settings.additional_context_enabled) {
        auto text = trimmed_response(form["target_response"]);
        if (!text.empty()) target_response = std::move(text);
    }
    switch (settings.mode) {
        case core::auth_mode::unconfigured: {
            const auto e = error_for(core::errc::verification_not_configured);
            co_return message_page(e.status, "Verification is not available", e.message, settings.support);
        }
        case core::auth_mode::none: {
            const login_facts click_through{"none", {}, {}, {}, std::nullopt, std::nullopt};
            storage::login_record login{"none", login_json(ctx, b, click_through), target_response};
            auto proven = co_await deps_.challenges.record_login(c->id, login, "target", now);
            if (!proven) co_return state_page(core::link_state::finished, c, settings.support);
            co_return redirect_response("/challenge/verified/" + c->id);
        }
        case core::auth_mode::oidc: co_return co_await begin_oidc(*c, settings, b, target_response);
        case core::auth_mode::saml: co_return co_await begin_saml(*c, settings, b, target_response);
    }
    co_return message_page(500, "Something went wrong", "Please try again.", settings.support);
}

boost::asio::awaitable<http::response> verification_pages::begin_oidc(
    const core::challenge& c, const storage::verification_settings& s, const browser_session& b,
    std::optional<std::string> target_response
) {
    auto discovered = co_await deps_.oidc.discover(*s.oidc_issuer);
    if (auto* f = std::get_if<oidc_failure>(&discovered)) {
        spdlog::warn("oidc discovery failed tenant_id={} challenge_id={} reason={}", c.tenant_id, c.id, core::escaped_for_log(f->reason));
        co_return message_page(502, "Your sign-in page is unreachable",
                               "We could not reach your organisation's sign-in service. Nothing was changed; try again shortly.",
                               s.support);
    }
    const auto& provider = std::get<oidc_provider>(discovered);
    const auto now = deps_.clock();
    storage::verification_flow flow;
    flow.id = crypto::new_uuid_v7(std::chrono::system_clock::now());
    flow.challenge_id = c.id;
    flow.tenant_id = c.tenant_id;
    flow.browser_hash = b.hash;
    flow.method = "oidc";
    flow.target_response = std::move(target_response);
    flow.created_at = now;
    flow.expires_at = now + settings_.flow_lifetime;
    flow.oidc_issuer = *s.oidc_issuer;
    flow.oidc_client_id = *s.oidc_client_id;

    std::string url = provider.authorization_endpoint;
    url += url.find('?') == std::string::npos ? '?' : '&';
    url += "response_type=code&client_id=" + http::url_component(*s.oidc_client_id);
    url += "&redirect_uri=" + http::url_component(settings_.public_base_url + "/auth/callback/oidc");
    url += "&scope=" + http::url_component(s.oidc_scopes);
    url += "&state=" + flow.id;
    url += "&nonce=" + b.derive("nonce", flow.id);
    url += "&code_challenge=" + crypto::jose::pkce_challenge_s256(b.derive("pkce", flow.id));
    url += "&code_challenge_method=S256&prompt=login&max_age=0";
    // OIDC Core 3.1.2.1: ask for the class the tenant will require, so the provider steps up.
    if (s.oidc_required_acr) url += "&acr_values=" + http::url_component(*s.oidc_required_acr);
    if (const auto email = core::expected_identity(c); !email.empty() && email.find('@') != std::string_view::npos)
        url += "&login_hint=" + http::url_component(email);
    if (!core::is_safe_redirect_url(url, settings_.allow_http_idp)) co_return unsafe_sign_in_page(c, "oidc", s.support);
    co_await deps_.verification.create_flow(flow);
    co_return redirect_response(url);
}

boost::asio::awaitable<http::response> verification_pages::oidc_callback(http::request_context& ctx) {
    auto query = http::decoded_fields(ctx.query);
    const auto b = browser_of(ctx, settings_.public_base_url);
    const storage::support_contacts no_support;
    const auto& state = query["state"];
    if (!crypto::is_uuid(state))
        co_return message_page(400, "This sign-in cannot be used", "The answer from the sign-in page is incomplete. Nothing was changed.", no_support);
    const auto now = deps_.clock();
    // Spent whatever follows: a refused answer (another browser, one without our cookie, a bad
    // token) can never be presented again, in this browser or any other.
    auto consumed = co_await deps_.verification.consume_flow(state, b.hash, now);
    if (auto* refused = std::get_if<storage::flow_refusal>(&consumed)) {
        if (b.fresh && *refused == storage::flow_refusal::other_browser) co_return no_cookie_page(no_support);
        co_return flow_refused_page(static_cast<int>(*refused));
    }
    co_return co_await complete_oidc(ctx, std::get<storage::verification_flow>(consumed), b);
}

http::response verification_pages::flow_refused_page(int refusal) {
    const storage::support_contacts none;
    switch (static_cast<storage::flow_refusal>(refusal)) {
        case storage::flow_refusal::other_browser:
            return message_page(403, "Finish in the browser you started in",
                                "This sign-in was started in another browser. Open the link again in this one. Nothing was changed.",
                                none);
        case storage::flow_refusal::used:
            return message_page(409, "This sign-in was already used", "Open the link again to start over. Nothing was changed.", none);
        case storage::flow_refusal::unanswered:
            return message_page(409, "This sign-in is not finished",
                                "Your sign-in page has not answered yet. Open the link again to start over. Nothing was changed.",
                                none);
        case storage::flow_refusal::expired:
        case storage::flow_refusal::unknown: break;
    }
    return message_page(410, "This sign-in has expired", "Open the link again to start over. Nothing was changed.", none);
}

http::response verification_pages::login_refused_page(
    const std::string& tenant_id, const std::string& challenge_id, core::errc why, const std::string& detail,
    const storage::support_contacts& support
) const {
    spdlog::warn("login refused tenant_id={} challenge_id={} reason={} detail={}", tenant_id, challenge_id,
                 core::error_category().message(static_cast<int>(why)), core::escaped_for_log(detail));
    const auto e = error_for(why);
    return message_page(e.status, "Your sign-in could not be confirmed", e.message, support);
}

boost::asio::awaitable<http::response> verification_pages::conclude_login(
    const http::request_context& ctx, const core::challenge& c, const storage::verification_settings& s,
    const browser_session& b, login_facts login, std::optional<std::string> target_response
) {
    const auto now = deps_.clock();
    if (!core::identity_matches(c, login.identity)) {
        storage::transition_details details;
        details.auth_method = login.method;
        auto failed = co_await deps_.challenges.transition(
            std::nullopt, c.id, core::challenge_event::fail_identity_mismatch, details, "target", now
        );
        // A login already proved the target (another tab, a moment ago): it stands.
        if (!failed) co_return co_await current_state_page(c.id, s.support);
        if (deps_.wake_delivery_worker) deps_.wake_delivery_worker();
        co_return message_page(403, "You signed in as someone else",
                               "You signed in as " + login.identity +
                                   ", but this request was for another person. It has been marked as failed and the "
                                   "requester will see that. If you share this device, ask the right person to open the link.",
                               s.support);
    }
    storage::login_record record{login.method, login_json(ctx, b, login), std::move(target_response)};
    auto proven = co_await deps_.challenges.record_login(c.id, record, "target", now);
    if (!proven) co_return co_await current_state_page(c.id, s.support);
    co_return redirect_response("/challenge/verified/" + c.id);
}

boost::asio::awaitable<http::response> verification_pages::current_state_page(
    std::string challenge_id, storage::support_contacts support
) {
    auto c = co_await deps_.challenges.find_by_id(challenge_id);
    auto state = core::link_state_for(c, c && c->authenticated_at, deps_.clock());
    // Still open means the refusal came from a race this read no longer sees: say "finished".
    if (state == core::link_state::open) state = core::link_state::finished;
    co_return state_page(state, c, support);
}

http::response verification_pages::unsafe_sign_in_page(
    const core::challenge& c, std::string_view method, const storage::support_contacts& support
) const {
    spdlog::error("refusing to redirect to an unsafe sign-in URL tenant_id={} challenge_id={} method={}", c.tenant_id,
                  c.id, method);
    return message_page(502, "Your sign-in page is not set up correctly",
                        "Your organisation's sign-in settings could not be used. Nothing was changed; contact support.",
                        support);
}

boost::asio::awaitable<http::response> verification_pages::complete_oidc(
    http::request_context& ctx, const storage::verification_flow& flow, const browser_session& b
) {
    auto query = http::decoded_fields(ctx.query);
    auto c = co_await deps_.challenges.find_by_id(flow.challenge_id);
    const auto s = co_await deps_.verification.settings(flow.tenant_id);
    const auto now = deps_.clock();
    const auto refuse = [&](core::errc why, const std::string& detail) {
        return login_refused_page(flow.tenant_id, flow.challenge_id, why, "oidc: " + detail, s.support);
    };
    if (!c || s.mode != core::auth_mode::oidc || !s.oidc_issuer || !s.oidc_client_id)
        co_return refuse(core::errc::verification_not_configured, "settings changed during the flow");
    // The answer must come from the provider and client the browser was sent to: a tenant that
    // switched providers meanwhile does not get the old one's answer judged by the new rules.
    if (!flow.oidc_issuer || !flow.oidc_client_id || *flow.oidc_issuer != *s.oidc_issuer ||
        *flow.oidc_client_id != *s.oidc_client_id)
        co_return refuse(core::errc::verification_not_configured, "provider or client changed during the flow");
    const auto state = core::link_state_for(c, c->authenticated_at.has_value(), now);
    if (state != core::link_state::open) co_return state_page(state, c, s.support);

    auto discovered = co_await deps_.oidc.discover(*flow.oidc_issuer);
    if (auto* f = std::get_if<oidc_failure>(&discovered)) co_return refuse(core::errc::login_malformed, f->reason);
    const auto provider = std::get<oidc_provider>(discovered);
    // RFC 9207 (mix-up defence): before anything else in the answer is believed, error included.
    std::optional<std::string_view> iss_parameter;
    if (auto iss = query.find("iss"); iss != query.end()) iss_parameter = iss->second;
    if (auto from = core::check_authorization_response_issuer(iss_parameter, *flow.oidc_issuer,
                                                              provider.sends_authorization_response_iss);
        !from)
        co_return refuse(core::errc::login_issuer_mismatch,
                         iss_parameter ? "iss parameter " + std::string(*iss_parameter) : "iss parameter missing");
    if (auto error = query.find("error"); error != query.end()) {
        storage::transition_details details;
        details.auth_method = "oidc";
        auto failed = co_await deps_.challenges.transition(
            std::nullopt, c->id, core::challenge_event::fail_authentication, details, "idp", now
        );
        if (!failed) co_return co_await current_state_page(c->id, s.support);
        if (deps_.wake_delivery_worker) deps_.wake_delivery_worker();
        spdlog::info("oidc provider refused the login challenge_id={} error={}", c->id, core::escaped_for_log(error->second));
        co_return message_page(401, "Sign-in was not completed",
                               "Your sign-in page did not confirm who you are, so this request was marked as failed. "
                               "If this was a mistake, ask for a new request.",
                               s.support);
    }
    const auto& code = query["code"];
    if (code.empty()) co_return refuse(core::errc::login_malformed, "no code");

    std::string client_secret;
    if (s.oidc_client_secret_sealed) {
        auto opened = deps_.secrets.open(*s.oidc_client_secret_sealed, storage::oidc_client_secret_context(flow.tenant_id));
        if (!opened) co_return refuse(core::errc::verification_not_configured, "client secret does not open");
        client_secret = std::move(*opened);
    }
    core::id_token_expectations expect;
    expect.issuer = *flow.oidc_issuer;
    expect.client_id = *flow.oidc_client_id;
    expect.nonce = b.derive("nonce", flow.id);
    expect.flow_started_at = flow.created_at;
    expect.now = now;
    expect.required_acr = s.oidc_required_acr;
    api::code_flow_request request{provider, *flow.oidc_client_id, client_secret, code,
                                   settings_.public_base_url + "/auth/callback/oidc", b.derive("pkce", flow.id), expect,
                                   s.oidc_identity_claim};
    auto completed = co_await deps_.oidc.complete_code_flow(std::move(request));
    if (auto* refused = std::get_if<api::code_flow_refusal>(&completed)) co_return refuse(refused->why, refused->detail);
    const auto& answer = std::get<api::code_flow_login>(completed);
    const auto& login = answer.login;

    // Who signed in: the ID token says so, or UserInfo does, for the same subject.
    const core::identity_expectations who{s.oidc_identity_claim, s.oidc_email_verified_absent};
    auto identity = core::asserted_identity(answer.identity_claims, who);
    if (!identity) co_return refuse(static_cast<core::errc>(identity.error().value()), "identity claim " + who.claim);

    // Named first: g++ 12 mis-destroys an aggregate temporary passed by value inside co_await.
    login_facts proven{"oidc", *flow.oidc_issuer, login.subject, *identity, login.acr, login.auth_time};
    co_return co_await conclude_login(ctx, *c, s, b, std::move(proven), flow.target_response);
}

namespace {

saml::sp_settings service_provider(const std::string& base) {
    return {base + "/saml/metadata", base + "/saml/acs", base + "/saml/metadata"};
}

// The cookie the IdP's POST to the ACS must carry. The IdP posts cross-site, so the browser
// cookie (SameSite=Lax) is not sent there; this one is SameSite=None, and proves the POST comes
// from the browser that started the flow before anything is parked on it. Over plain http
// (loopback development) browsers refuse SameSite=None without Secure: Lax, which a same-site
// development IdP still gets.
std::string acs_cookie_name(std::string_view base) {
    return secure_base(base) ? "__Host-chal_saml_acs" : "chal_saml_acs";
}

std::string acs_cookie(std::string_view base, std::string_view value, std::chrono::seconds lifetime) {
    std::string cookie = acs_cookie_name(base) + "=" + std::string(value) + "; Path=/; HttpOnly; Max-Age=" +
                         std::to_string(lifetime.count());
    cookie += secure_base(base) ? "; Secure; SameSite=None" : "; SameSite=Lax";
    return cookie;
}

}  // namespace

boost::asio::awaitable<http::response> verification_pages::begin_saml(
    const core::challenge& c, const storage::verification_settings& s, const browser_session& b,
    std::optional<std::string> target_response
) {
    const auto now = deps_.clock();
    storage::verification_flow flow;
    flow.id = crypto::new_uuid_v7(std::chrono::system_clock::now());
    auto request = saml::build_authn_request(
        service_provider(settings_.public_base_url),
        saml::idp_settings{s.saml_idp_metadata.value_or(""), settings_.allow_http_idp}, flow.id,
        s.saml_required_authn_context
    );
    if (!request) {
        spdlog::warn("saml authn request failed tenant_id={} challenge_id={} reason={}", c.tenant_id, c.id,
                     request.error().message());
        if (request.error() == saml::errc::idp_metadata_unsafe_sso_url) co_return unsafe_sign_in_page(c, "saml", s.support);
        co_return message_page(502, "Your sign-in page is not set up correctly",
                               "Your organisation's SAML settings could not be used. Nothing was changed; contact support.",
                               s.support);
    }
    // One value per browser (derived from its secret), so logins started in two tabs both work.
    const auto acs_binding = b.derive("saml-acs", "browser");
    flow.challenge_id = c.id;
    flow.tenant_id = c.tenant_id;
    flow.browser_hash = b.hash;
    flow.method = "saml";
    flow.saml_request_id = request->request_id;
    flow.target_response = std::move(target_response);
    flow.created_at = now;
    flow.expires_at = now + settings_.flow_lifetime;
    flow.acs_binding_hash = crypto::sha256(acs_binding);
    co_await deps_.verification.create_flow(flow);
    auto res = redirect_response(request->redirect_url);
    res.insert(bh::field::set_cookie, acs_cookie(settings_.public_base_url, acs_binding, settings_.flow_lifetime));
    co_return res;
}

boost::asio::awaitable<http::response> verification_pages::saml_metadata(http::request_context&) {
    http::response res{bh::status::ok, 11};
    res.set(bh::field::content_type, "application/samlmetadata+xml");
    res.set("X-Content-Type-Options", "nosniff");
    res.set(bh::field::cache_control, "public, max-age=300");
    res.body() = saml::sp_metadata_xml(service_provider(settings_.public_base_url));
    co_return res;
}

// The IdP's cross-site POST carries no SameSite=Lax cookie, so the answer is checked here and
// parked on its flow; the same-site redirect that follows carries the cookie and uses it. The
// POST itself must carry the flow's ACS cookie: an answer posted from any other browser (a
// target lured into finishing someone else's sign-in) is refused and spends the flow.
boost::asio::awaitable<http::response> verification_pages::saml_acs(http::request_context& ctx) {
    auto form = http::decoded_fields(ctx.req.body());
    const storage::support_contacts no_support;
    const auto& flow_id = form["RelayState"];
    if (!crypto::is_uuid(flow_id) || form["SAMLResponse"].empty())
        co_return message_page(400, "This sign-in cannot be used",
                               "The answer from the sign-in page is incomplete or was not started here. Nothing was changed.",
                               no_support);
    const auto now = deps_.clock();
    auto flow = co_await deps_.verification.find_open_flow(flow_id, now);
    if (!flow || flow->method != "saml" || !flow->saml_request_id)
        co_return flow_refused_page(static_cast<int>(storage::flow_refusal::expired));
    const auto binding = http::cookie_value(ctx.req, acs_cookie_name(settings_.public_base_url));
    if (!binding || !flow->acs_binding_hash ||
        !crypto::constant_time_equal(crypto::sha256(*binding), *flow->acs_binding_hash)) {
        co_await deps_.verification.spend_flow(flow->id, now);
        spdlog::warn("saml answer posted from another browser refused tenant_id={} challenge_id={} flow_id={}",
                     flow->tenant_id, flow->challenge_id, flow->id);
        co_return flow_refused_page(static_cast<int>(storage::flow_refusal::other_browser));
    }
    const auto s = co_await deps_.verification.settings(flow->tenant_id);
    if (s.mode != core::auth_mode::saml || !s.saml_idp_metadata)
        co_return login_refused_page(flow->tenant_id, flow->challenge_id, core::errc::verification_not_configured,
                                     "saml: settings changed during the flow", s.support);
    auto assertion = saml::consume_post_response(
        service_provider(settings_.public_base_url), saml::idp_settings{*s.saml_idp_metadata, settings_.allow_http_idp},
        form["SAMLResponse"], *flow->saml_request_id, now
    );
    if (!assertion)
        co_return login_refused_page(flow->tenant_id, flow->challenge_id, core::errc::login_malformed,
                                     "saml: " + assertion.error().message(), s.support);
    if (auto fresh = core::check_saml_login_fresh(assertion->authn_instant, flow->created_at, now, std::chrono::seconds{60}); !fresh)
        co_return login_refused_page(flow->tenant_id, flow->challenge_id, core::errc::login_not_fresh,
                                     "saml: AuthnInstant before the request", s.support);
    if (auto strong = core::check_saml_authn_context(assertion->authn_context_class_ref, s.saml_required_authn_context); !strong)
        co_return login_refused_page(flow->tenant_id, flow->challenge_id, core::errc::login_acr_insufficient,
                                     "saml: AuthnContextClassRef is not the required one", s.support);
    auto identity = core::saml_asserted_identity(
        assertion->name_id, assertion->name_id_format, assertion->attributes, {s.saml_identity_attribute}
    );
    if (!identity)
        co_return login_refused_page(flow->tenant_id, flow->challenge_id, static_cast<core::errc>(identity.error().value()),
                                     s.saml_identity_attribute ? "saml: no " + *s.saml_identity_attribute + " attribute"
                                                               : "saml: NameID Format is not emailAddress",
                                     s.support);
    const bool first_time = co_await deps_.verification.remember_assertion(
        assertion->issuer, assertion->assertion_id, flow->tenant_id, assertion->not_on_or_after
    );
    if (!first_time)
        co_return login_refused_page(flow->tenant_id, flow->challenge_id, core::errc::login_malformed,
                                     "saml: replayed assertion " + assertion->assertion_id, s.support);
    boost::json::object answer;
    answer["issuer"] = assertion->issuer;
    answer["name_id"] = assertion->name_id;
    answer["identity"] = *identity;
    answer["acr"] = assertion->authn_context_class_ref ? boost::json::value(*assertion->authn_context_class_ref) : nullptr;
    answer["authn_instant"] =
        assertion->authn_instant ? boost::json::value(core::format_rfc3339(*assertion->authn_instant)) : nullptr;
    answer["assertion_id"] = assertion->assertion_id;
    const bool parked =
        co_await deps_.verification.record_saml_answer(flow->id, *flow->acs_binding_hash, boost::json::serialize(answer), now);
    if (!parked) co_return flow_refused_page(static_cast<int>(storage::flow_refusal::used));
    co_return redirect_response("/saml/continue/" + flow->id);
}

boost::asio::awaitable<http::response> verification_pages::saml_continue(http::request_context& ctx) {
    const std::string flow_id(ctx.param("flow_id"));
    const auto b = browser_of(ctx, settings_.public_base_url);
    if (!crypto::is_uuid(flow_id)) co_return flow_refused_page(static_cast<int>(storage::flow_refusal::unknown));
    const auto now = deps_.clock();
    // Only a parked answer can be used, and presenting it in another browser (or one without
    // our cookie) spends it.
    auto consumed = co_await deps_.verification.consume_flow(flow_id, b.hash, now, storage::flow_use::saml_answered);
    if (auto* refused = std::get_if<storage::flow_refusal>(&consumed)) {
        if (b.fresh && *refused == storage::flow_refusal::other_browser) co_return no_cookie_page({});
        co_return flow_refused_page(static_cast<int>(*refused));
    }
    const auto& flow = std::get<storage::verification_flow>(consumed);
    auto c = co_await deps_.challenges.find_by_id(flow.challenge_id);
    const auto s = co_await deps_.verification.settings(flow.tenant_id);
    auto answer = flow.saml_answer_json ? core::json_object_of(*flow.saml_answer_json) : std::nullopt;
    if (!c || !answer)
        co_return login_refused_page(flow.tenant_id, flow.challenge_id, core::errc::login_malformed,
                                     "saml: no checked answer on the flow", s.support);
    const auto state = core::link_state_for(c, c->authenticated_at.has_value(), now);
    if (state != core::link_state::open) co_return state_page(state, c, s.support);
    std::optional<std::string> acr;
    if (auto text = core::string_member(*answer, "acr"); !text.empty()) acr = text;
    // Named first: g++ 12 mis-destroys an aggregate temporary passed by value inside co_await.
    login_facts proven{"saml", core::string_member(*answer, "issuer"), core::string_member(*answer, "name_id"), core::string_member(*answer, "identity"),
                       acr, core::parse_rfc3339(core::string_member(*answer, "authn_instant"))};
    co_return co_await conclude_login(ctx, *c, s, b, std::move(proven), flow.target_response);
}

boost::asio::awaitable<http::response> verification_pages::verified(http::request_context& ctx) {
    auto link = co_await open_link(ctx);
    const auto& b = link.b;
    const auto& c = link.c;
    const auto& settings = link.settings;
    std::optional<boost::json::object> login;
    if (c && c->login_json) login = core::json_object_of(*c->login_json);
    // Only the browser that signed in sees the code.
    if (!login || core::string_member(*login, "browser") != crypto::hex_encode(b.hash))
        co_return state_page(core::link_state::not_found, std::nullopt, settings.support);
    // "Verified" only for a challenge that is, or is turning, verified.
    const bool verified_or_turning = c->status == core::challenge_status::verified ||
                                     (c->status == core::challenge_status::in_progress && c->authenticated_at);
    if (!verified_or_turning) co_return state_page(link.state, c, settings.support);

    std::string main = "<h1>Thank you, you are verified</h1>";
    if (c->verification_code)
        main += "<p>If the person who asked is on a call with you, read them this code:</p><p class=\"code\" id=\"code\">" +
                html_escape(*c->verification_code) + "</p>";
    std::string attributes;
    if (c->status == core::challenge_status::in_progress) {
        main += "<p id=\"device-status\" class=\"muted\" role=\"status\">Sending details about this device…</p>"
                "<script src=\"/static/device.js\" defer></script>";
        attributes = "data-device-url=\"/challenge/verified/" + html_escape(c->id) + "/device\" data-csrf=\"" +
                     b.derive("device", c->id) + "\"";
    } else {
        main += "<p id=\"device-status\" class=\"muted\" role=\"status\">";
        auto device = c->device_fingerprint_json ? core::json_object_of(*c->device_fingerprint_json) : std::nullopt;
        const bool collected = device && device->contains("details_collected") && device->at("details_collected").is_bool() &&
                               device->at("details_collected").as_bool();
        main += collected ? "Device details were recorded." : "Device details were not collected.";
        main += "</p>";
    }
    main += "<p>You can close this page.</p>";
    co_return html_response(200, html_page("Verified", main, attributes));
}

boost::asio::awaitable<http::response> verification_pages::device_details(http::request_context& ctx) {
    const std::string id(ctx.param("challenge_id"));
    const auto b = browser_of(ctx, settings_.public_base_url);
    const auto refused = [](unsigned status, std::string_view message) {
        return json_status(status, boost::json::serialize(boost::json::object{{"error", message}}));
    };
    if (b.fresh || !b.token_matches(ctx.req["X-CSRF-Token"], "device", id))
        co_return refused(403, "Missing or invalid CSRF token");
    if (ctx.req.body().size() > max_device_report) co_return refused(413, "Device report is too large");
    std::optional<core::challenge> c;
    if (crypto::is_uuid(id)) c = co_await deps_.challenges.find_by_id(id);
    std::optional<boost::json::object> login;
    if (c && c->login_json) login = core::json_object_of(*c->login_json);
    if (!login || core::string_member(*login, "browser") != crypto::hex_encode(b.hash)) co_return refused(404, "Challenge not found");
    if (c->status != core::challenge_status::in_progress) co_return refused(409, "Challenge has already finished");
    std::optional<std::string_view> platform_version;
    const auto version_header = header_value(ctx.req, "Sec-CH-UA-Platform-Version");
    if (version_header) platform_version = *version_header;
    auto device = core::normalize_device_report(
        ctx.req.body(), ctx.req[bh::field::user_agent], client_ip(ctx), platform_version
    );
    const bool finished = co_await finish(*c, boost::json::serialize(device), "target");
    if (!finished) co_return refused(409, "Challenge has already finished");
    co_return json_status(200, R"({"status":"verified"})");
}

boost::asio::awaitable<bool> verification_pages::finish(const core::challenge& c, std::string device_json, std::string actor) {
    const auto now = deps_.clock();
    core::receipt_facts facts;
    facts.issuer = settings_.public_base_url;
    facts.auth_method = c.auth_method.value_or("none");
    if (auto login = c.login_json ? core::json_object_of(*c.login_json) : std::nullopt) {
        if (auto acr = core::string_member(*login, "acr"); !acr.empty()) facts.acr = acr;
        facts.auth_time = core::parse_rfc3339(core::string_member(*login, "auth_time"));
    }
    if (c.context) facts.context_sha256 = crypto::sha256_hex(*c.context);
    facts.device_sha256 = crypto::sha256_hex(device_json);
    facts.issued_at = now;
    auto receipt = deps_.receipts.sign(c, facts);
    auto moved = co_await deps_.challenges.finalize_verified(c.id, std::move(device_json), std::move(receipt), std::move(actor), now);
    if (moved && deps_.wake_delivery_worker) deps_.wake_delivery_worker();
    co_return moved.has_value();
}

boost::asio::awaitable<int> verification_pages::finish_unreported(core::timestamp now) {
    auto waiting = co_await deps_.challenges.awaiting_details(now - settings_.details_grace, 50);
    int finished = 0;
    for (const auto& c : waiting) {
        if (!c.login_json) continue;
        auto login = core::json_object_of(*c.login_json);
        if (!login) continue;
        std::optional<std::string_view> platform_version;
        const auto version = core::string_member(*login, "ua_platform_version");
        if (!version.empty()) platform_version = version;
        auto device = core::server_side_device_details(core::string_member(*login, "user_agent"), core::string_member(*login, "ip"), platform_version);
        const bool done = co_await finish(c, boost::json::serialize(device), "system:device-timeout");
        if (done) ++finished;
    }
    co_return finished;
}

boost::asio::awaitable<http::response> verification_pages::report_form(http::request_context& ctx) {
    auto link = co_await open_link(ctx);
    const auto& b = link.b;
    const auto& c = link.c;
    const auto& settings = link.settings;
    if (link.state != core::link_state::open) co_return state_page(link.state, c, settings.support);
    std::string main = "<h1>Report an incident</h1><p>You are saying that you did not expect this request from " +
                       html_escape(c->requester_id) + ". Your security team will be told.</p>";
    main += "<form method=\"post\" action=\"/challenge/start/" + html_escape(c->id) + "/report\">";
    main += "<input type=\"hidden\" name=\"csrf\" value=\"" + b.derive("report", c->id) + "\">";
    main += "<label for=\"details\">What happened? (optional)</label>"
            "<textarea id=\"details\" name=\"details\" maxlength=\"2000\"></textarea>";
    main += "<button class=\"report\" type=\"submit\" id=\"confirm-report\">Report incident</button></form>";
    main += "<a href=\"/challenge/start/" + html_escape(c->id) + "\">Back</a>";
    auto res = html_response(200, html_page("Report an incident", main));
    set_cookie_if_fresh(res, b, settings_.public_base_url);
    co_return res;
}

boost::asio::awaitable<http::response> verification_pages::report(http::request_context& ctx) {
    auto link = co_await open_link(ctx);
    const auto& b = link.b;
    const auto& c = link.c;
    const auto& settings = link.settings;
    const auto now = link.now;
    if (b.fresh) co_return no_cookie_page(settings.support);
    auto form = http::decoded_fields(ctx.req.body());
    if (!b.token_matches(form["csrf"], "report", link.id)) co_return form_expired_page(settings.support);
    if (link.state != core::link_state::open) co_return state_page(link.state, c, settings.support);
    storage::transition_details details;
    if (auto text = trimmed_response(form["details"]); !text.empty()) details.target_response = std::move(text);
    auto moved = co_await deps_.challenges.transition(std::nullopt, c->id, core::challenge_event::report_incident, details, "target", now);
    if (!moved) co_return state_page(core::link_state::finished, c, settings.support);
    if (deps_.wake_delivery_worker) deps_.wake_delivery_worker();
    co_return message_page(200, "Thank you for reporting this",
                           "The request was stopped and marked as an incident. Your security team has been told. "
                           "Do not act on the request.",
                           settings.support);
}

boost::asio::awaitable<http::response> verification_pages::jwks(http::request_context&) {
    http::response res{bh::status::ok, 11};
    res.set(bh::field::content_type, "application/jwk-set+json");
    res.set(bh::field::cache_control, "public, max-age=300");
    res.set("X-Content-Type-Options", "nosniff");
    res.body() = deps_.receipts.jwks();
    co_return res;
}

boost::asio::awaitable<http::response> verification_pages::device_script(http::request_context&) {
    http::response res{bh::status::ok, 11};
    res.set(bh::field::content_type, "text/javascript; charset=utf-8");
    add_security_headers(res);
    res.set(bh::field::cache_control, "public, max-age=300");
    res.body() = std::string(web::device_js());
    co_return res;
}

boost::asio::awaitable<http::response> verification_pages::stylesheet(http::request_context&) {
    http::response res{bh::status::ok, 11};
    res.set(bh::field::content_type, "text/css; charset=utf-8");
    add_security_headers(res);
    res.set(bh::field::cache_control, "public, max-age=300");
    res.body() = std::string(web::style_css());
    co_return res;
}

}  // namespace chal::api
