#include "console/pages.hpp"

#include "console/layout.hpp"

#include "api/errors.hpp"
#include "api/verification/html.hpp"
#include "app/core/cross_origin.hpp"
#include "app/crypto/crypto.hpp"
#include "app/http/request_fields.hpp"
#include "console/charts.hpp"
#include "console/static_assets.hpp"

#include <boost/beast/http/field.hpp>

#include <cstdio>
#include <map>
#include <variant>

namespace chal::console {
namespace {

namespace bh = boost::beast::http;
using api::html_escape;

std::string role_label(core::role r) {
    switch (r) {
        case core::role::owner: return "Owner";
        case core::role::admin: return "Admin";
        case core::role::analyst: return "Analyst";
        case core::role::viewer: return "Viewer";
    }
    return "Viewer";
}

std::string status_label(std::string_view status) {
    if (status == "in-progress") return "In progress";
    if (status == "initiated") return "Initiated";
    if (status == "verified") return "Verified";
    if (status == "failed") return "Failed";
    if (status == "expired") return "Expired";
    return std::string(status);
}

std::string source_label(std::string_view origin) {
    if (origin == "slack_command") return "Slack command";
    if (origin == "slack_api") return "Slack API";
    if (origin == "webhook_api") return "Webhook API";
    if (origin == "console") return "Console";
    if (origin == "mcp") return "MCP";
    return std::string(origin);
}

std::string auth_method_label(std::string_view method) {
    if (method == "oidc") return "OIDC";
    if (method == "saml") return "SAML";
    if (method == "none") return "Click-through (none)";
    return std::string(method);
}

// A fresh nonce per page: hx-csp lets htmx act only on elements carrying it.
std::string new_nonce() {
    return crypto::base64_encode(crypto::random_bytes(18));
}

void set_console_headers(http::response& res, std::string_view nonce, std::string_view extra_form_action) {
    api::add_security_headers(res);
    res.set(
        "Content-Security-Policy",
        "default-src 'none'; script-src 'nonce-" + std::string(nonce) +
            "'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'" +
            (extra_form_action.empty() ? "" : " " + std::string(extra_form_action)) +
            "; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
    );
}

std::string field_error_html(std::string_view id, std::string_view message) {
    return "<p class=\"field-error\" id=\"" + std::string(id) + "-error\">" + html_escape(message) + "</p>";
}


std::string format_count(std::int64_t n) {
    return std::to_string(n);
}

std::string format_duration(double seconds) {
    char text[32];
    if (seconds < 60) std::snprintf(text, sizeof text, "%.0f s", seconds);
    else std::snprintf(text, sizeof text, "%.1f min", seconds / 60.0);
    return text;
}

}  // namespace

http::response page(unsigned status, std::string_view title, std::string_view nav, std::string_view main_html,
                    std::string_view extra_form_action) {
    const auto nonce = new_nonce();
    std::string body =
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<meta name=\"referrer\" content=\"no-referrer\"><title>";
    body += html_escape(title);
    body += " · Challenge console</title>";
    body += asset_head_html(nonce);
    body += "</head><body><a class=\"skip-link\" href=\"#main\">Skip to content</a>";
    body += nav;
    body += "<main id=\"main\" tabindex=\"-1\">";
    body += main_html;
    body += "</main></body></html>\n";
    http::response res{static_cast<bh::status>(status), 11};
    res.set(bh::field::content_type, "text/html; charset=utf-8");
    set_console_headers(res, nonce, extra_form_action);
    res.body() = std::move(body);
    return res;
}

http::response see_other(std::string_view location) {
    http::response res{bh::status::see_other, 11};
    res.set(bh::field::location, location);
    api::add_security_headers(res);
    return res;
}

std::string message_page_html(std::string_view heading, std::string_view text) {
    return "<h1>" + html_escape(heading) + "</h1><p>" + html_escape(text) + "</p>";
}

std::string csrf_input(std::string_view token) {
    return "<input type=\"hidden\" name=\"csrf\" value=\"" + html_escape(token) + "\">";
}

std::string session_cookie_name(std::string_view public_base_url) {
    return public_base_url.starts_with("https://") ? "__Host-console" : "console";
}

console_pages::console_pages(console_dependencies deps, console_settings settings)
    : deps_(std::move(deps)),
      settings_(std::move(settings)),
      cookie_name_(session_cookie_name(settings_.public_base_url)),
      secure_cookie_(settings_.public_base_url.starts_with("https://")),
      public_origin_(core::public_origin_of(settings_.public_base_url).value_or("")) {}

storage::request_origin console_pages::origin_of(const http::request_context& ctx) const {
    storage::request_origin o;
    o.client_ip = http::client_address(ctx, settings_.trusted_proxies);
    if (auto it = ctx.req.find(bh::field::user_agent); it != ctx.req.end()) o.user_agent = std::string(it->value());
    o.request_id = ctx.request_id;
    return o;
}

std::string console_pages::session_cookie(std::string_view token) const {
    std::string cookie = cookie_name_ + "=" + std::string(token) + "; Path=/; HttpOnly; SameSite=Lax";
    if (secure_cookie_) cookie += "; Secure";
    return cookie;
}

http::response console_pages::sign_in_redirect() const {
    return see_other("/console/sign-in");
}

namespace {

std::string csrf_token_for(std::string_view session_token, std::string_view session_id) {
    return crypto::base64url_encode(crypto::hmac_sha256(session_token, "console-csrf:" + std::string(session_id)));
}


std::string nav_html(const storage::console_session_record& s, std::string_view csrf) {
    std::string out = "<header class=\"console-header\"><nav aria-label=\"Console\"><ul>"
                      "<li><a href=\"/console\">Dashboard</a></li>"
                      "<li><a href=\"/console/users\">Users</a></li>"
                      "<li><a href=\"/console/sessions\">Your sessions</a></li></ul></nav>"
                      "<p class=\"signed-in-as\">";
    out += html_escape(s.tenant_name) + " · " + html_escape(s.email) + " (" + role_label(s.role) + ")</p>";
    out += "<form method=\"post\" action=\"/console/sign-out\">" + csrf_input(csrf) +
           "<button type=\"submit\">Sign out</button></form></header>";
    return out;
}

// A refusal as a page (403 for a missing permission, 404 for anything not in the tenant).
http::response refusal_page(const boost::system::error_code& ec, std::string_view nav) {
    const auto e = api::error_for(ec);
    const std::string heading = e.status == 403 ? "Not allowed" : e.status == 404 ? "Not found" : "Could not do that";
    return page(e.status, heading, nav, message_page_html(heading, e.message));
}

}  // namespace

std::optional<http::response> console_pages::refuse_cross_origin(const http::request_context& ctx) const {
    const core::fetch_metadata request{ctx.req.method_string(), ctx.req["Sec-Fetch-Site"], ctx.req[bh::field::origin]};
    const auto verdict = core::check_cross_origin(request, public_origin_);
    if (verdict.allowed) return std::nullopt;
    return page(403, "Refused", "", message_page_html("Refused", core::describe(verdict.reason)));
}

boost::asio::awaitable<std::variant<console_pages::signed_in_request, http::response>> console_pages::signed_in(
    http::request_context& ctx, bool changes_state
) {
    if (changes_state) {
        if (auto refused = refuse_cross_origin(ctx)) co_return std::move(*refused);
    }
    auto token = http::cookie_value(ctx.req, cookie_name_);
    std::optional<storage::console_session_record> session;
    if (token) session = co_await deps_.access.session_for(*token);
    if (!session) co_return sign_in_redirect();
    signed_in_request r;
    r.who = deps_.access.principal_of(*session);
    r.csrf = csrf_token_for(*token, session->id);
    r.nav = nav_html(*session, r.csrf);
    r.session = std::move(*session);
    if (changes_state) {
        const auto form = http::decoded_fields(ctx.req.body());
        if (!crypto::constant_time_equal(http::field_or_empty(form, "csrf"), r.csrf))
            co_return page(403, "Form expired", r.nav,
                           message_page_html("This form has expired", "Nothing was changed. Go back, reload the page and try again."));
    }
    co_return r;
}

// ---- signing in ----

boost::asio::awaitable<http::response> console_pages::setup_form(http::request_context& ctx) {
    const std::string token(ctx.param("token"));
    auto link = co_await deps_.access.inspect_setup_link(token);
    if (!link) {
        co_return page(404, "Setup link not valid", "",
                       message_page_html("This link cannot be used", api::error_for(core::errc::setup_link_invalid).message));
    }
    // Showing the page spends nothing (a mail or chat scanner may fetch it); the button does.
    std::string main = "<h1>Set up your console access</h1><p>This link signs in <strong>" + html_escape(link->email) +
                       "</strong> as <strong>" + role_label(link->role) +
                       "</strong>. It works once and expires at " + html_escape(core::format_rfc3339(link->expires_at)) +
                       ".</p><form method=\"post\" action=\"/console/setup/" + html_escape(token) +
                       "\"><button type=\"submit\">Continue to the console</button></form>";
    co_return page(200, "Set up your console access", "", main);
}

boost::asio::awaitable<http::response> console_pages::setup(http::request_context& ctx) {
    if (auto refused = refuse_cross_origin(ctx)) co_return std::move(*refused);
    const std::string token(ctx.param("token"));
    auto in = co_await deps_.access.redeem_setup_link(token, origin_of(ctx));
    if (!in) {
        co_return page(404, "Setup link not valid", "",
                       message_page_html("This link cannot be used", api::error_for(in.error()).message));
    }
    auto res = see_other("/console");
    res.set(bh::field::set_cookie, session_cookie(in->token));
    co_return res;
}

boost::asio::awaitable<http::response> console_pages::sign_out(http::request_context& ctx) {
    auto token = http::cookie_value(ctx.req, cookie_name_);
    const auto form = http::decoded_fields(ctx.req.body());
    if (token) {
        auto session = co_await deps_.access.session_for(*token);
        if (session && crypto::constant_time_equal(http::field_or_empty(form, "csrf"), csrf_token_for(*token, session->id)))
            co_await deps_.access.sign_out(*token);
    }
    auto res = see_other("/console/sign-in");
    std::string cookie = cookie_name_ + "=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0";
    if (secure_cookie_) cookie += "; Secure";
    res.set(bh::field::set_cookie, cookie);
    co_return res;
}

// ---- signed-in pages ----

namespace {

template <class T>
T* request_or_answer(std::variant<T, http::response>& v, http::response& answer) {
    if (auto* r = std::get_if<http::response>(&v)) {
        answer = std::move(*r);
        return nullptr;
    }
    return &std::get<T>(v);
}

std::string tile(std::string_view label, std::string_view value) {
    return "<li class=\"stat-tile\"><span class=\"stat-label\">" + html_escape(label) + "</span> <span class=\"stat-value\">" +
           html_escape(value) + "</span></li>";
}

proportion_bar proportion_of(std::string id, std::string title, const std::map<std::string, std::int64_t>& counts,
                             std::string (*label)(std::string_view)) {
    proportion_bar chart{std::move(id), std::move(title), {}};
    for (const auto& [key, count] : counts) chart.categories.push_back({{key, label(key)}, count});
    return chart;
}

std::string window_links(services::stats_window current) {
    std::string out = "<nav aria-label=\"Time range\" class=\"range-picker\"><ul>";
    for (const auto w : {services::stats_window::day, services::stats_window::week, services::stats_window::month}) {
        const std::string name(services::to_string(w));
        out += "<li><a href=\"/console?range=" + name + "\"" + (w == current ? " aria-current=\"page\"" : "") + ">" +
               (w == services::stats_window::day ? "24 hours" : w == services::stats_window::week ? "7 days" : "30 days") +
               "</a></li>";
    }
    return out + "</ul></nav>";
}

}  // namespace

boost::asio::awaitable<http::response> console_pages::dashboard(http::request_context& ctx) {
    auto in = co_await signed_in(ctx, false);
    http::response answer;
    auto* me = request_or_answer(in, answer);
    if (!me) co_return answer;
    const auto query = http::decoded_fields(ctx.query);
    const auto range = http::field_or_empty(query, "range");
    const auto window = range.empty() ? std::optional(services::stats_window::day) : services::parse_stats_window(range);
    if (!window)
        co_return page(400, "Dashboard", me->nav, message_page_html("Unknown time range", "range must be 24h, 7d or 30d."));
    auto overview = co_await deps_.dashboard.overview(me->who, me->session.tenant_id, *window);
    if (!overview) co_return refusal_page(overview.error(), me->nav);
    std::string main = "<h1>Dashboard</h1>" + window_links(*window);
    main += "<h2>Challenges</h2><ul class=\"stat-tiles\">";
    main += tile("Total", format_count(overview->total));
    for (const auto* s : {"verified", "failed", "expired", "in-progress", "initiated"})
        main += tile(status_label(s), format_count(overview->by_status.at(s)));
    main += tile("Success rate", overview->success_rate ? std::to_string(static_cast<int>(*overview->success_rate * 100 + 0.5)) + "%" : "—");
    main += tile("Median time to verify",
                 overview->median_seconds_to_verify ? format_duration(*overview->median_seconds_to_verify) : "—");
    main += "</ul>";
    main += render_proportion_bar(proportion_of("by-source", "Challenges by source", overview->by_source, source_label));
    main += render_proportion_bar(
        proportion_of("by-auth-method", "Verified challenges by sign-in method", overview->by_auth_method, auth_method_label)
    );
    co_return page(200, "Dashboard", me->nav, main);
}

struct console_pages::user_form {
    std::string email, name, role = "viewer";
    std::string error_field;  // "email", "name", "role", or "" for an error about the whole page
    std::string error;
    bool offer_step_up = false;  // the refusal was errc::fresh_login_required
};

namespace {

std::string role_options(std::string_view selected, bool include_owner) {
    std::string out;
    for (const auto r : {core::role::owner, core::role::admin, core::role::analyst, core::role::viewer}) {
        if (r == core::role::owner && !include_owner) continue;
        const auto name = core::to_string(r);
        out += "<option value=\"" + std::string(name) + "\"" + (name == selected ? " selected" : "") + ">" + role_label(r) +
               "</option>";
    }
    return out;
}

std::string text_field(std::string_view id, std::string_view label, std::string_view type, std::string_view value,
                       std::string_view error_field, std::string_view error, std::string_view autocomplete) {
    const bool invalid = error_field == id;
    std::string out = "<p><label for=\"" + std::string(id) + "\">" + html_escape(label) + "</label> <input id=\"" +
                      std::string(id) + "\" name=\"" + std::string(id) + "\" type=\"" + std::string(type) + "\" value=\"" +
                      html_escape(value) + "\" autocomplete=\"" + std::string(autocomplete) + "\"";
    if (invalid) out += " aria-invalid=\"true\" aria-describedby=\"" + std::string(id) + "-error\"";
    out += ">";
    if (invalid) out += field_error_html(id, error);
    return out + "</p>";
}

std::string_view field_of(const boost::system::error_code& ec) {
    if (ec == core::errc::invalid_member_email || ec == core::errc::member_exists) return "email";
    if (ec == core::errc::invalid_display_name) return "name";
    if (ec == core::errc::invalid_role || ec == core::errc::only_owner_may_touch_owner) return "role";
    return "";
}

std::string status_text(core::membership_status s) {
    return s == core::membership_status::active ? "Active" : "Suspended";
}

// One action button for a member row, as its own small form (works without JavaScript).
std::string member_action(std::string_view user_id, std::string_view csrf, std::string_view action, std::string_view label,
                          std::string_view who, bool dangerous) {
    std::string out = "<form method=\"post\" action=\"/console/users/" + html_escape(user_id) + "\"";
    if (dangerous) out += " data-confirm=\"" + html_escape(std::string(label) + " " + std::string(who) + "?") + "\"";
    out += ">" + csrf_input(csrf) + "<input type=\"hidden\" name=\"action\" value=\"" + std::string(action) +
           "\"><button type=\"submit\"" + (dangerous ? " class=\"danger\"" : "") + ">" + html_escape(label) +
           "<span class=\"visually-hidden\"> " + html_escape(who) + "</span></button></form>";
    return out;
}

}  // namespace

boost::asio::awaitable<http::response> console_pages::users(http::request_context& ctx) {
    auto in = co_await signed_in(ctx, false);
    http::response answer;
    auto* me = request_or_answer(in, answer);
    if (!me) co_return answer;
    const user_form empty;
    co_return co_await users_page(*me, 200, empty);
}

boost::asio::awaitable<http::response> console_pages::users_page(const signed_in_request& me, unsigned status, const user_form& form) {
    auto listed = co_await deps_.members.list(me.who, me.session.tenant_id);
    if (!listed) co_return refusal_page(listed.error(), me.nav);
    const bool can_manage = core::authorize(me.who, me.session.tenant_id, core::permission::manage_members).has_value();
    const bool is_owner = me.who.member_role == core::role::owner;
    std::string main = "<h1>Users</h1>";
    if (!form.error.empty() && form.error_field.empty())
        main += "<p class=\"alert\" role=\"alert\">" + html_escape(form.error) + "</p>";
    if (form.offer_step_up) main += step_up_form_html(me.csrf, "/console/users");
    main += "<table><caption>Members of " + html_escape(me.session.tenant_name) +
            "</caption><thead><tr><th scope=\"col\">Email</th><th scope=\"col\">Name</th><th scope=\"col\">Role</th>"
            "<th scope=\"col\">Status</th>";
    if (can_manage) main += "<th scope=\"col\">Actions</th>";
    main += "</tr></thead><tbody>";
    for (const auto& m : *listed) {
        main += "<tr><td>" + html_escape(m.email) + "</td><td>" + html_escape(m.display_name) + "</td><td>" +
                role_label(m.role) + "</td><td>" + status_text(m.status) + "</td>";
        if (can_manage) {
            main += "<td class=\"actions\">";
            if (m.user_id != me.session.user_id && (is_owner || m.role != core::role::owner)) {
                const auto select_id = "role-" + m.user_id;
                main += "<form method=\"post\" action=\"/console/users/" + html_escape(m.user_id) + "\">" + csrf_input(me.csrf) +
                        "<input type=\"hidden\" name=\"action\" value=\"role\"><label for=\"" + select_id +
                        "\" class=\"visually-hidden\">Role of " + html_escape(m.email) + "</label><select id=\"" + select_id +
                        "\" name=\"role\">" + role_options(core::to_string(m.role), is_owner) +
                        "</select> <button type=\"submit\">Change role<span class=\"visually-hidden\"> of " +
                        html_escape(m.email) + "</span></button></form>";
                if (m.status == core::membership_status::active)
                    main += member_action(m.user_id, me.csrf, "suspend", "Suspend", m.email, true);
                else
                    main += member_action(m.user_id, me.csrf, "unsuspend", "Unsuspend", m.email, false);
                main += member_action(m.user_id, me.csrf, "remove", "Remove", m.email, true);
            } else if (m.user_id == me.session.user_id) {
                main += "You";
            }
            main += "</td>";
        }
        main += "</tr>";
    }
    main += "</tbody></table>";
    if (can_manage) {
        main += "<section aria-labelledby=\"add-user\"><h2 id=\"add-user\">Add a user</h2>"
                "<p>They sign in with your organisation's console sign-in, or with a setup link from your operator.</p>"
                "<form method=\"post\" action=\"/console/users\" novalidate>" + csrf_input(me.csrf);
        main += text_field("email", "Email", "email", form.email, form.error_field, form.error, "off");
        main += text_field("name", "Name (optional)", "text", form.name, form.error_field, form.error, "off");
        const bool role_invalid = form.error_field == "role";
        main += std::string("<p><label for=\"role\">Role</label> <select id=\"role\" name=\"role\"") +
                (role_invalid ? " aria-invalid=\"true\" aria-describedby=\"role-error\"" : "") + ">" +
                role_options(form.role, is_owner) + "</select>" + (role_invalid ? field_error_html("role", form.error) : "") +
                "</p><p><button type=\"submit\">Add user</button></p></form></section>";
    }
    co_return page(status, "Users", me.nav, main,
                   form.offer_step_up ? identity_provider_form_targets(settings_.allow_http_idp) : "");
}

boost::asio::awaitable<http::response> console_pages::add_user(http::request_context& ctx) {
    auto in = co_await signed_in(ctx, true);
    http::response answer;
    auto* me = request_or_answer(in, answer);
    if (!me) co_return answer;
    const auto fields = http::decoded_fields(ctx.req.body());
    user_form form{http::field_or_empty(fields, "email"), http::field_or_empty(fields, "name"),
                   http::field_or_empty(fields, "role"), "", ""};
    auto added = co_await deps_.members.add(me->who, me->session.tenant_id, form.email, form.name, form.role, origin_of(ctx));
    if (added) co_return see_other("/console/users");
    const auto e = api::error_for(added.error());
    form.error_field = std::string(field_of(added.error()));
    form.error = e.message;
    co_return co_await users_page(*me, e.status, form);
}

boost::asio::awaitable<http::response> console_pages::change_user(http::request_context& ctx) {
    auto in = co_await signed_in(ctx, true);
    http::response answer;
    auto* me = request_or_answer(in, answer);
    if (!me) co_return answer;
    const auto fields = http::decoded_fields(ctx.req.body());
    const auto action = http::field_or_empty(fields, "action");
    core::membership_change change;
    using kind = core::membership_change::kind;
    user_form form;
    if (action == "role") {
        const auto role = core::parse_role(http::field_or_empty(fields, "role"));
        if (!role) {
            form.error = api::error_for(core::errc::invalid_role).message;
            co_return co_await users_page(*me, 400, form);
        }
        change = {kind::change_role, *role};
    } else if (action == "suspend") {
        change = {kind::suspend};
    } else if (action == "unsuspend") {
        change = {kind::unsuspend};
    } else if (action == "remove") {
        change = {kind::remove};
    } else {
        form.error = "action must be role, suspend, unsuspend or remove";
        co_return co_await users_page(*me, 400, form);
    }
    auto changed = co_await deps_.members.change(me->who, me->session.tenant_id, std::string(ctx.param("user_id")), change,
                                                 origin_of(ctx));
    if (changed) co_return see_other("/console/users");
    const auto e = api::error_for(changed.error());
    form.error = e.message;
    form.offer_step_up = changed.error() == core::errc::fresh_login_required;
    co_return co_await users_page(*me, e.status, form);
}

boost::asio::awaitable<http::response> console_pages::sessions(http::request_context& ctx) {
    auto in = co_await signed_in(ctx, false);
    http::response answer;
    auto* me = request_or_answer(in, answer);
    if (!me) co_return answer;
    const auto mine = co_await deps_.access.own_sessions(me->who);
    std::string main = "<h1>Your sessions</h1><p>Sessions end after 30 minutes without activity and 12 hours after "
                       "signing in. End any you do not recognise.</p><table><caption>Signed-in sessions</caption><thead><tr>"
                       "<th scope=\"col\">Signed in</th><th scope=\"col\">Last active</th><th scope=\"col\">From</th>"
                       "<th scope=\"col\">Browser</th><th scope=\"col\">Action</th></tr></thead><tbody>";
    for (const auto& s : mine) {
        main += "<tr><td>" + html_escape(core::format_rfc3339(s.facts.created_at)) + "</td><td>" +
                html_escape(core::format_rfc3339(s.facts.last_seen_at)) + "</td><td>" + html_escape(s.client_ip.value_or("")) +
                "</td><td>" + html_escape(s.user_agent.value_or("")) + "</td><td>";
        if (s.id == me->session.id) {
            main += "This session";
        } else {
            main += "<form method=\"post\" action=\"/console/sessions/" + html_escape(s.id) + "/end\">" + csrf_input(me->csrf) +
                    "<button type=\"submit\">End<span class=\"visually-hidden\"> the session from " +
                    html_escape(core::format_rfc3339(s.facts.created_at)) + "</span></button></form>";
        }
        main += "</td></tr>";
    }
    main += "</tbody></table>";
    co_return page(200, "Your sessions", me->nav, main);
}

boost::asio::awaitable<http::response> console_pages::end_session(http::request_context& ctx) {
    auto in = co_await signed_in(ctx, true);
    http::response answer;
    auto* me = request_or_answer(in, answer);
    if (!me) co_return answer;
    auto ended = co_await deps_.access.end_own_session(me->who, std::string(ctx.param("session_id")));
    if (!ended) co_return refusal_page(ended.error(), me->nav);
    co_return see_other("/console/sessions");
}

}  // namespace chal::console
