#include "console/pages.hpp"

#include "console/layout.hpp"

#include "api/errors.hpp"
#include "api/verification/html.hpp"
#include "app/core/cross_origin.hpp"
#include "app/crypto/crypto.hpp"
#include "app/http/request_fields.hpp"
#include "app/services/audit_log.hpp"
#include "app/services/challenge_views.hpp"
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

std::string message_page_html(std::string_view heading, std::string_view text) {
    return "<h1>" + html_escape(heading) + "</h1><p>" + html_escape(text) + "</p>";
}

std::string csrf_input(std::string_view token) {
    return "<input type=\"hidden\" name=\"csrf\" value=\"" + html_escape(token) + "\">";
}

namespace {

// Too many made-up cookies or links from this address: refused before any lookup.
http::response too_many_attempts(std::chrono::seconds wait) {
    auto res = page(429, "Too many attempts", "",
                    message_page_html("Too many attempts", "Too many sign-in attempts came from your network. Wait a minute and try again."));
    res.set(bh::field::retry_after, std::to_string(wait.count()));
    return res;
}

std::string format_duration(double seconds) {
    char text[32];
    if (seconds < 60) std::snprintf(text, sizeof text, "%.0f s", seconds);
    else std::snprintf(text, sizeof text, "%.1f min", seconds / 60.0);
    return text;
}

}  // namespace

console_pages::console_pages(console_dependencies deps, console_settings settings)
    : deps_(std::move(deps)), settings_(std::move(settings)), auth_(deps_.auth) {}

http::response console_pages::sign_in_redirect() const {
    return api::redirect_response("/console/sign-in");
}

namespace {


std::string nav_html(const storage::console_session_record& s, std::string_view csrf, std::string_view current_path) {
    std::string out = "<header class=\"site-header\"><a class=\"brand\" href=\"/console\">Challenge</a>"
                      "<nav class=\"site-nav\" aria-label=\"Console\"><ul>";
    for (const auto& [href, label] : {std::pair{"/console", "Dashboard"}, std::pair{"/console/challenges", "Challenges"},
                                      std::pair{"/console/users", "Users"}, std::pair{"/console/audit", "Audit log"},
                                      std::pair{"/console/sessions", "Your sessions"}}) {
        // Only what the member's role opens (the pages check again).
        if (std::string_view(href) == "/console/users" && !core::role_grants(s.role, core::permission::view_members)) continue;
        if (std::string_view(href) == "/console/audit" && !core::role_grants(s.role, core::permission::view_audit)) continue;
        out += "<li><a href=\"" + std::string(href) + "\"" + (current_path == href ? " aria-current=\"page\"" : "") + ">" +
               label + "</a></li>";
    }
    out += "</ul></nav><div class=\"account\"><span>";
    out += html_escape(s.tenant_name) + " · " + html_escape(s.email) + " (" + role_label(s.role) + ")</span>";
    out += "<form method=\"post\" action=\"/console/sign-out\">" + csrf_input(csrf) +
           "<button type=\"submit\" class=\"button-secondary\">Sign out</button></form></div></header>";
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
    const auto refused = auth_.cross_origin_refusal(ctx);
    if (!refused) return std::nullopt;
    return page(403, "Refused", "", message_page_html("Refused", core::describe(*refused)));
}

boost::asio::awaitable<std::variant<console_pages::signed_in_request, http::response>> console_pages::signed_in(
    http::request_context& ctx, bool changes_state
) {
    if (changes_state) {
        if (auto refused = refuse_cross_origin(ctx)) co_return std::move(*refused);
    }
    if (auto wait = auth_.throttled(ctx)) co_return too_many_attempts(*wait);
    auto member = co_await auth_.member_of(ctx);
    if (!member) co_return sign_in_redirect();
    signed_in_request r;
    r.who = member->who;
    r.csrf = member->csrf;
    r.nav = nav_html(member->session, r.csrf, ctx.path);
    r.session = std::move(member->session);
    if (changes_state) {
        const auto form = http::decoded_fields(ctx.req.body());
        if (!auth_.csrf_matches(*member, http::field_or_empty(form, "csrf")))
            co_return page(403, "Form expired", r.nav,
                           message_page_html("This form has expired", "Nothing was changed. Go back, reload the page and try again."));
    }
    co_return r;
}

// ---- signing in ----

boost::asio::awaitable<http::response> console_pages::setup_form(http::request_context& ctx) {
    if (auto wait = auth_.throttled(ctx)) co_return too_many_attempts(*wait);
    const std::string token(ctx.param("token"));
    auto link = co_await deps_.access.inspect_setup_link(token);
    if (!link) {
        auth_.count_failure(ctx);
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
    if (auto wait = auth_.throttled(ctx)) co_return too_many_attempts(*wait);
    const std::string token(ctx.param("token"));
    auto in = co_await deps_.access.redeem_setup_link(token, auth_.origin_of(ctx));
    if (!in) {
        auth_.count_failure(ctx);
        co_return page(404, "Setup link not valid", "",
                       message_page_html("This link cannot be used", api::error_for(in.error()).message));
    }
    auto res = api::redirect_response("/console");
    res.set(bh::field::set_cookie, auth_.session_cookie(in->token));
    co_return res;
}

boost::asio::awaitable<http::response> console_pages::sign_out(http::request_context& ctx) {
    const auto form = http::decoded_fields(ctx.req.body());
    auto member = co_await auth_.member_of(ctx);
    if (member && auth_.csrf_matches(*member, http::field_or_empty(form, "csrf")))
        co_await deps_.access.sign_out(*http::cookie_value(ctx.req, auth_.cookie_name()));
    auto res = api::redirect_response("/console/sign-in");
    res.set(bh::field::set_cookie, auth_.cleared_session_cookie());
    co_return res;
}

// ---- signed-in pages ----

namespace {

// A number; with `href`, a link to the list it counts.
std::string tile(std::string_view label, std::string_view value, std::string_view href = {}) {
    const std::string inner = "<span class=\"stat-label\">" + html_escape(label) + "</span> <span class=\"stat-value\">" +
                              html_escape(value) + "</span>";
    if (href.empty()) return "<li><span class=\"stat\">" + inner + "</span></li>";
    return "<li><a class=\"stat\" href=\"" + html_escape(href) + "\">" + inner + "</a></li>";
}

proportion_bar proportion_of(std::string id, std::string title, const std::map<std::string, std::int64_t>& counts,
                             std::string (*label)(std::string_view)) {
    proportion_bar chart{std::move(id), std::move(title), {}};
    for (const auto& [key, count] : counts) {
        std::string css_key = key;  // the chart's class names take [a-z0-9-]
        for (auto& ch : css_key)
            if (ch == '_') ch = '-';
        chart.categories.push_back({{css_key, label(key)}, count});
    }
    return chart;
}

std::string_view window_title(services::stats_window w) {
    switch (w) {
        case services::stats_window::day: return "last 24 hours";
        case services::stats_window::week: return "last 7 days";
        case services::stats_window::month: return "last 30 days";
    }
    return "";
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
    auto* me = value_or_answer(in, answer);
    if (!me) co_return answer;
    const auto query = http::decoded_fields(ctx.query);
    const auto range = http::field_or_empty(query, "range");
    const auto window = range.empty() ? std::optional(services::stats_window::day) : services::parse_stats_window(range);
    if (!window)
        co_return page(400, "Dashboard", me->nav, message_page_html("Unknown time range", "range must be 24h, 7d or 30d."));
    auto overview = co_await deps_.dashboard.overview(me->who, me->session.tenant_id, *window);
    if (!overview) co_return refusal_page(overview.error(), me->nav);
    std::string main = "<h1>Dashboard</h1>" + window_links(*window);
    main += "<h2>Challenges</h2><ul class=\"stats\">";
    const auto since = "/console/challenges?from=" + http::url_component(core::format_rfc3339(overview->since));
    main += tile("Total", std::to_string(overview->total), since);
    for (const auto* s : {"verified", "failed", "expired", "in-progress", "initiated"})
        main += tile(status_label(s), std::to_string(overview->by_status.at(s)), since + "&status=" + s);
    main += tile("Success rate", overview->success_rate ? std::to_string(static_cast<int>(*overview->success_rate * 100 + 0.5)) + "%" : "—");
    main += tile("Median time to verify",
                 overview->median_seconds_to_verify ? format_duration(*overview->median_seconds_to_verify) : "—");
    main += "</ul>";
    stacked_bar_chart per_day{"per-day", "Challenges per day (UTC), " + std::string(window_title(*window)), {}, {}};
    for (const auto* s : {"verified", "failed", "expired", "in-progress", "initiated"}) per_day.series.push_back({s, status_label(s)});
    for (const auto& [day, counts] : overview->by_day) {
        day_counts bar{day.substr(5), {}};
        for (const auto& series : per_day.series) bar.counts.push_back(counts.at(series.key));
        per_day.days.push_back(std::move(bar));
    }
    main += render_stacked_bar_chart(per_day);
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
    std::string out = "<p class=\"field\"><label for=\"" + std::string(id) + "\">" + html_escape(label) + "</label> <input id=\"" +
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
           "\"><button type=\"submit\"" + (dangerous ? " class=\"button-danger\"" : "") + ">" + html_escape(label) +
           "<span class=\"visually-hidden\"> " + html_escape(who) + "</span></button></form>";
    return out;
}

}  // namespace

boost::asio::awaitable<http::response> console_pages::users(http::request_context& ctx) {
    auto in = co_await signed_in(ctx, false);
    http::response answer;
    auto* me = value_or_answer(in, answer);
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
        main += "<p class=\"error-summary\" role=\"alert\">" + html_escape(form.error) + "</p>";
    if (form.offer_step_up) main += step_up_form_html(me.csrf, "/console/users");
    // Focusable and named, so a table wider than a phone can be scrolled from the keyboard.
    main += "<div class=\"table-wrap\" tabindex=\"0\" role=\"region\" aria-labelledby=\"members-caption\"><table>"
            "<caption id=\"members-caption\">Members of " + html_escape(me.session.tenant_name) +
            "</caption><thead><tr><th scope=\"col\">Email</th><th scope=\"col\">Name</th><th scope=\"col\">Role</th>"
            "<th scope=\"col\">Status</th>";
    if (can_manage) main += "<th scope=\"col\">Actions</th>";
    main += "</tr></thead><tbody>";
    for (const auto& m : *listed) {
        main += "<tr><td>" + html_escape(m.email) + "</td><td>" + html_escape(m.display_name) + "</td><td>" +
                role_label(m.role) + "</td><td>" + status_text(m.status) + "</td>";
        if (can_manage) {
            main += "<td><div class=\"actions\">";
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
            main += "</div></td>";
        }
        main += "</tr>";
    }
    main += "</tbody></table></div>";
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
    auto* me = value_or_answer(in, answer);
    if (!me) co_return answer;
    const auto fields = http::decoded_fields(ctx.req.body());
    user_form form{http::field_or_empty(fields, "email"), http::field_or_empty(fields, "name"),
                   http::field_or_empty(fields, "role"), "", ""};
    auto added = co_await deps_.members.add(me->who, me->session.tenant_id, form.email, form.name, form.role, auth_.origin_of(ctx));
    if (added) co_return api::redirect_response("/console/users");
    const auto e = api::error_for(added.error());
    form.error_field = std::string(field_of(added.error()));
    form.error = e.message;
    co_return co_await users_page(*me, e.status, form);
}

boost::asio::awaitable<http::response> console_pages::change_user(http::request_context& ctx) {
    auto in = co_await signed_in(ctx, true);
    http::response answer;
    auto* me = value_or_answer(in, answer);
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
                                                 auth_.origin_of(ctx));
    if (changed) co_return api::redirect_response("/console/users");
    const auto e = api::error_for(changed.error());
    form.error = e.message;
    form.offer_step_up = changed.error() == core::errc::fresh_login_required;
    co_return co_await users_page(*me, e.status, form);
}

boost::asio::awaitable<http::response> console_pages::sessions(http::request_context& ctx) {
    auto in = co_await signed_in(ctx, false);
    http::response answer;
    auto* me = value_or_answer(in, answer);
    if (!me) co_return answer;
    const auto mine = co_await deps_.access.own_sessions(me->who);
    std::string main = "<h1>Your sessions</h1><p>Sessions end after 30 minutes without activity and 12 hours after "
                       "signing in. End any you do not recognise.</p><div class=\"table-wrap\" tabindex=\"0\" role=\"region\" "
                       "aria-labelledby=\"sessions-caption\"><table><caption id=\"sessions-caption\">Signed-in sessions</caption><thead><tr>"
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
    main += "</tbody></table></div>";
    co_return page(200, "Your sessions", me->nav, main);
}

boost::asio::awaitable<http::response> console_pages::end_session(http::request_context& ctx) {
    auto in = co_await signed_in(ctx, true);
    http::response answer;
    auto* me = value_or_answer(in, answer);
    if (!me) co_return answer;
    auto ended = co_await deps_.access.end_own_session(me->who, std::string(ctx.param("session_id")));
    if (!ended) co_return refusal_page(ended.error(), me->nav);
    co_return api::redirect_response("/console/sessions");
}

// ---- challenges ----

namespace {

std::string badge(std::string_view status) {
    return "<span class=\"badge badge-" + std::string(status) + "\">" + status_label(status) + "</span>";
}

std::string or_dash(const std::optional<std::string>& v) {
    return v && !v->empty() ? html_escape(*v) : "—";
}

std::string time_cell(core::timestamp t) {
    const auto text = core::format_rfc3339(t);
    return "<time datetime=\"" + text + "\">" + text + "</time>";
}

std::string query_of(const services::challenge_filter_text& f, std::string_view cursor) {
    std::string q;
    const auto add = [&](std::string_view name, std::string_view value) {
        if (value.empty()) return;
        q += q.empty() ? "?" : "&";
        q += std::string(name) + "=" + http::url_component(value);
    };
    add("status", f.status);
    add("source", f.source);
    add("target", f.target);
    add("requester", f.requester);
    add("from", f.from);
    add("to", f.to);
    add("cursor", cursor);
    return q;
}

std::string select_field(std::string_view id, std::string_view label, std::string_view selected,
                         std::initializer_list<std::pair<const char*, const char*>> options) {
    std::string out = "<p class=\"field\"><label for=\"" + std::string(id) + "\">" + html_escape(label) + "</label> <select id=\"" +
                      std::string(id) + "\" name=\"" + std::string(id) + "\"><option value=\"\">Any</option>";
    for (const auto& [value, text] : options)
        out += "<option value=\"" + std::string(value) + "\"" + (selected == value ? " selected" : "") + ">" + text + "</option>";
    return out + "</select></p>";
}

}  // namespace

boost::asio::awaitable<http::response> console_pages::challenges(http::request_context& ctx) {
    auto in = co_await signed_in(ctx, false);
    http::response answer;
    auto* me = value_or_answer(in, answer);
    if (!me) co_return answer;
    const auto q = http::decoded_fields(ctx.query);
    services::challenge_filter_text filter{http::field_or_empty(q, "status"), http::field_or_empty(q, "source"),
                                           http::field_or_empty(q, "target"), http::field_or_empty(q, "requester"),
                                           http::field_or_empty(q, "from"),   http::field_or_empty(q, "to"),
                                           http::field_or_empty(q, "cursor")};
    auto listed = co_await deps_.challenges.list(me->who, me->session.tenant_id, filter, 50);
    std::string main = "<h1>Challenges</h1><form method=\"get\" action=\"/console/challenges\" class=\"toolbar\" role=\"search\" "
                       "aria-label=\"Filter challenges\">";
    main += select_field("status", "Status", filter.status,
                         {{"verified", "Verified"}, {"failed", "Failed"}, {"expired", "Expired"},
                          {"in-progress", "In progress"}, {"initiated", "Initiated"}});
    main += select_field("source", "Source", filter.source,
                         {{"slack_command", "Slack command"}, {"slack_api", "Slack API"}, {"webhook_api", "Webhook API"},
                          {"console", "Console"}, {"mcp", "MCP"}});
    const auto input = [](std::string_view id, std::string_view label, std::string_view type, std::string_view value) {
        return "<p class=\"field\"><label for=\"" + std::string(id) + "\">" + html_escape(label) + "</label> <input id=\"" +
               std::string(id) + "\" name=\"" + std::string(id) + "\" type=\"" + std::string(type) + "\" value=\"" +
               html_escape(value) + "\"></p>";
    };
    main += input("target", "Target (email or user id)", "text", filter.target);
    main += input("requester", "Requester", "text", filter.requester);
    main += input("from", "Created from", filter.from.size() > 10 ? "text" : "date", filter.from);
    main += input("to", "Created to", "date", filter.to);
    main += "<p><button type=\"submit\">Filter</button> <a href=\"/console/challenges\">Clear</a></p></form>";
    if (!listed) {
        const auto e = api::error_for(listed.error());
        main += "<p class=\"error-summary\" role=\"alert\">" + html_escape(e.message) + "</p>";
        co_return page(e.status, "Challenges", me->nav, main);
    }
    if (listed->items.empty()) {
        main += "<p>No challenges match.</p>";
    } else {
        main += "<div class=\"table-wrap\" tabindex=\"0\" role=\"region\" aria-labelledby=\"challenges-caption\"><table>"
                "<caption id=\"challenges-caption\">Newest first</caption><thead><tr><th scope=\"col\">Created</th>"
                "<th scope=\"col\">Target</th><th scope=\"col\">Requester</th><th scope=\"col\">Source</th>"
                "<th scope=\"col\">Status</th></tr></thead><tbody>";
        const auto now = deps_.clock();
        for (const auto& c : listed->items) {
            const auto target = c.target_user_email ? *c.target_user_email : c.target_user_id.value_or("");
            main += "<tr><td><a href=\"/console/challenges/" + html_escape(c.id) + "\">" + time_cell(c.created_at) +
                    "</a></td><td>" + html_escape(target) + "</td><td>" + html_escape(c.requester_id) + "</td><td>" +
                    source_label(core::to_string(c.origin)) + "</td><td>" +
                    badge(core::to_string(core::observed_status(c, now))) + "</td></tr>";
        }
        main += "</tbody></table></div>";
    }
    if (listed->next_before_id)
        main += "<nav class=\"pagination\" aria-label=\"Pages\"><a href=\"/console/challenges" +
                html_escape(query_of(filter, *listed->next_before_id)) + "\" rel=\"next\">Older challenges</a></nav>";
    co_return page(200, "Challenges", me->nav, main);
}

boost::asio::awaitable<http::response> console_pages::challenge(http::request_context& ctx) {
    auto in = co_await signed_in(ctx, false);
    http::response answer;
    auto* me = value_or_answer(in, answer);
    if (!me) co_return answer;
    auto found = co_await deps_.challenges.detail(me->who, me->session.tenant_id, std::string(ctx.param("challenge_id")));
    if (!found) co_return refusal_page(found.error(), me->nav);
    const auto& c = found->challenge;
    const auto status = core::to_string(core::observed_status(c, deps_.clock()));
    std::string main = "<h1>Challenge " + html_escape(c.id) + "</h1><p>" + badge(status) + "</p><dl>";
    const auto row = [&](std::string_view term, std::string_view value_html) {
        main += "<dt>" + html_escape(term) + "</dt><dd>" + std::string(value_html) + "</dd>";
    };
    row("Target", c.target_user_email ? html_escape(*c.target_user_email) : or_dash(c.target_user_id));
    row("Requester", html_escape(c.requester_id));
    row("Source", source_label(core::to_string(c.origin)));
    row("Reason", or_dash(c.context));
    row("Created", time_cell(c.created_at));
    row("Expires", time_cell(c.expires_at));
    if (c.completed_at) row("Completed", time_cell(*c.completed_at));
    if (c.failure) row("Failure", html_escape(core::to_string(*c.failure)));
    if (c.auth_method) row("Sign-in method", auth_method_label(*c.auth_method));
    row("Target's note", or_dash(c.target_response));
    main += "</dl>";
    if (c.device_fingerprint_json)
        main += "<h2>Device details</h2><pre class=\"mono\">" + html_escape(*c.device_fingerprint_json) + "</pre>";
    if (c.receipt)
        main += "<h2>Receipt</h2><p>A signed JWT (ES256) any party can verify with <a href=\"/.well-known/jwks.json\">our "
                "public keys</a>.</p><pre class=\"secret-value mono\">" + html_escape(*c.receipt) + "</pre>";
    main += "<h2>Timeline</h2><ol>";
    for (const auto& e : found->timeline) {
        main += "<li>" + time_cell(e.at) + " " + html_escape(e.action) + " by " + html_escape(e.actor);
        if (e.status_before || e.status_after)
            main += " (" + html_escape(e.status_before.value_or("—")) + " → " + html_escape(e.status_after.value_or("—")) + ")";
        main += "</li>";
    }
    main += "</ol><h2>Callback deliveries</h2>";
    if (found->deliveries.empty()) main += "<p>None.</p>";
    for (const auto& d : found->deliveries) {
        main += "<h3>" + html_escape(d.delivery.event_type) + " to " + html_escape(d.delivery.url) + "</h3><p>" +
                html_escape(d.delivery.state) + ", " + std::to_string(d.delivery.attempts) + " attempt(s)</p>";
        if (d.attempts.empty()) continue;
        main += "<div class=\"table-wrap\" tabindex=\"0\" role=\"region\" aria-label=\"Attempts of " + html_escape(d.delivery.id) +
                "\"><table><thead><tr><th scope=\"col\">#</th><th scope=\"col\">Started</th><th scope=\"col\">Result</th>"
                "<th scope=\"col\">Duration</th></tr></thead><tbody>";
        for (const auto& a : d.attempts) {
            main += "<tr><td>" + std::to_string(a.attempt_no) + "</td><td>" + time_cell(a.started_at) + "</td><td>" +
                    (a.status_code ? "HTTP " + std::to_string(*a.status_code) : html_escape(a.error_class.value_or("—"))) +
                    "</td><td>" + std::to_string(a.duration_ms) + " ms</td></tr>";
        }
        main += "</tbody></table></div>";
    }
    co_return page(200, "Challenge", me->nav, main);
}

// ---- audit log ----

boost::asio::awaitable<http::response> console_pages::audit(http::request_context& ctx) {
    auto in = co_await signed_in(ctx, false);
    http::response answer;
    auto* me = value_or_answer(in, answer);
    if (!me) co_return answer;
    const auto q = http::decoded_fields(ctx.query);
    services::audit_filter_text filter{http::field_or_empty(q, "actor"), http::field_or_empty(q, "action"),
                                       http::field_or_empty(q, "outcome"), http::field_or_empty(q, "from"),
                                       http::field_or_empty(q, "to"), http::field_or_empty(q, "cursor")};
    auto listed = co_await deps_.audit.list(me->who, me->session.tenant_id, filter, 100);
    if (!listed && listed.error() != core::errc::invalid_filter) co_return refusal_page(listed.error(), me->nav);
    std::string main = "<h1>Audit log</h1><form method=\"get\" action=\"/console/audit\" class=\"toolbar\" role=\"search\" "
                       "aria-label=\"Filter the audit log\">";
    const auto input = [](std::string_view id, std::string_view label, std::string_view value) {
        return "<p class=\"field\"><label for=\"" + std::string(id) + "\">" + html_escape(label) + "</label> <input id=\"" +
               std::string(id) + "\" name=\"" + std::string(id) + "\" type=\"text\" value=\"" + html_escape(value) + "\"></p>";
    };
    main += input("actor", "Actor (e.g. cli, user:<id>)", filter.actor);
    main += input("action", "Action (e.g. member.)", filter.action);
    main += select_field("outcome", "Outcome", filter.outcome, {{"success", "Success"}, {"denied", "Denied"}, {"failed", "Failed"}});
    main += input("from", "From (YYYY-MM-DD)", filter.from);
    main += input("to", "To (YYYY-MM-DD)", filter.to);
    main += "<p><button type=\"submit\">Filter</button> <a href=\"/console/audit\">Clear</a></p></form>";
    if (!listed) {
        const auto e = api::error_for(listed.error());
        main += "<p class=\"error-summary\" role=\"alert\">" + html_escape(e.message) + "</p>";
        co_return page(e.status, "Audit log", me->nav, main);
    }
    main += "<div class=\"table-wrap\" tabindex=\"0\" role=\"region\" aria-labelledby=\"audit-caption\"><table>"
            "<caption id=\"audit-caption\">Newest first</caption><thead><tr><th scope=\"col\">When</th>"
            "<th scope=\"col\">Actor</th><th scope=\"col\">Action</th><th scope=\"col\">Target</th>"
            "<th scope=\"col\">Outcome</th><th scope=\"col\">From</th><th scope=\"col\">Details</th></tr></thead><tbody>";
    for (const auto& e : listed->entries) {
        std::string target;
        if (e.challenge_id) target = "<a href=\"/console/challenges/" + html_escape(*e.challenge_id) + "\">challenge</a>";
        else if (e.target_type) target = html_escape(*e.target_type) + " " + html_escape(e.target_id.value_or(""));
        std::string details;
        if (e.status_before || e.status_after)
            details = html_escape(e.status_before.value_or("—")) + " → " + html_escape(e.status_after.value_or("—"));
        if (e.detail_json) details += (details.empty() ? "" : " ") + std::string("<code>") + html_escape(*e.detail_json) + "</code>";
        main += "<tr><td>" + time_cell(e.at) + "</td><td>" + html_escape(e.actor) + "</td><td>" + html_escape(e.action) +
                "</td><td>" + target + "</td><td>" + html_escape(e.outcome) + "</td><td>" + html_escape(e.client_ip.value_or("")) +
                "</td><td>" + details + "</td></tr>";
    }
    main += "</tbody></table></div>";
    if (listed->next_cursor) {
        std::string next = "/console/audit?cursor=" + *listed->next_cursor;
        for (const auto& [name, value] : {std::pair{"actor", filter.actor}, std::pair{"action", filter.action},
                                          std::pair{"outcome", filter.outcome}, std::pair{"from", filter.from},
                                          std::pair{"to", filter.to}})
            if (!value.empty()) next += "&" + std::string(name) + "=" + http::url_component(value);
        main += "<nav class=\"pagination\" aria-label=\"Pages\"><a href=\"" + html_escape(next) + "\" rel=\"next\">Older events</a></nav>";
    }
    co_return page(200, "Audit log", me->nav, main);
}

}  // namespace chal::console
