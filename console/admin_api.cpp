#include "console/admin_api.hpp"

#include "api/errors.hpp"
#include "app/core/time.hpp"
#include "app/http/request_fields.hpp"

#include <boost/beast/http/status.hpp>
#include <charconv>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace chal::console {
namespace {

namespace json = boost::json;

http::response json_ok(unsigned status, const json::value& body) {
    return api::json_response(status, json::serialize(body));
}

http::response no_content() {
    http::response res{boost::beast::http::status::no_content, 11};
    res.set(boost::beast::http::field::cache_control, "no-store");
    return res;
}

http::response error_of(const boost::system::error_code& ec) {
    return api::error_response(api::error_for(ec));
}

json::object member_json(const storage::member_record& m) {
    return {{"user_id", m.user_id},
            {"email", m.email},
            {"name", m.display_name},
            {"role", core::to_string(m.role)},
            {"status", core::to_string(m.status)},
            {"created_at", core::format_rfc3339(m.created_at)}};
}

json::object session_json(const storage::console_session_record& s, std::string_view current_id) {
    return {{"session_id", s.id},
            {"created_at", core::format_rfc3339(s.facts.created_at)},
            {"last_seen_at", core::format_rfc3339(s.facts.last_seen_at)},
            {"auth_method", s.auth_method},
            {"client_ip", s.client_ip ? json::value(*s.client_ip) : json::value(nullptr)},
            {"user_agent", s.user_agent ? json::value(*s.user_agent) : json::value(nullptr)},
            {"current", s.id == current_id}};
}

// The body as a JSON object, or the 400 to answer.
std::variant<json::object, http::response> object_body(const http::request& req) {
    boost::system::error_code ec;
    auto parsed = json::parse(req.body(), ec);
    if (ec || !parsed.is_object()) return api::error_response(api::error_for(api::problem::body_not_json_object));
    return std::move(parsed.as_object());
}

// An optional string field; a present field of another type is a 400 naming it.
std::variant<std::optional<std::string>, http::response> string_field(const json::object& body, std::string_view name) {
    const auto* v = body.if_contains(name);
    if (!v || v->is_null()) return std::optional<std::string>{};
    if (!v->is_string())
        return api::error_response(api::error_for(api::problem::wrong_field_type, std::string(name) + " must be a string"));
    const auto& s = v->as_string();
    if (std::string_view(s.data(), s.size()).find('\0') != std::string_view::npos)
        return api::error_response(api::error_for(api::problem::nul_in_field, name));
    return std::optional<std::string>(std::string(s.data(), s.size()));
}

}  // namespace

boost::asio::awaitable<std::variant<signed_in_member, http::response>> admin_api::caller(
    http::request_context& ctx, bool changes_state
) {
    if (changes_state) {
        if (const auto refused = deps_.auth.cross_origin_refusal(ctx))
            co_return api::error_response(403, core::describe(*refused));
    }
    if (auto wait = deps_.auth.throttled(ctx)) {
        auto res = api::error_response(429, "Too many failed sign-in attempts from this address; retry after the Retry-After delay");
        res.set(boost::beast::http::field::retry_after, std::to_string(wait->count()));
        co_return res;
    }
    auto member = co_await deps_.auth.member_of(ctx);
    if (!member) co_return api::error_response(401, "Sign in to the console first: these endpoints take a console session");
    if (changes_state && !deps_.auth.csrf_matches(*member, ctx.req["X-CSRF-Token"]))
        co_return api::error_response(403, "Missing or invalid X-CSRF-Token (the console session's form token)");
    co_return std::move(*member);
}

boost::asio::awaitable<http::response> admin_api::list_users(http::request_context& ctx) {
    auto in = co_await caller(ctx, false);
    http::response answer;
    auto* me = value_or_answer(in, answer);
    if (!me) co_return answer;
    auto listed = co_await deps_.members.list(me->who, me->session.tenant_id);
    if (!listed) co_return error_of(listed.error());
    json::array users;
    for (const auto& m : *listed) users.push_back(member_json(m));
    co_return json_ok(200, json::object{{"users", std::move(users)}});
}

boost::asio::awaitable<http::response> admin_api::add_user(http::request_context& ctx) {
    auto in = co_await caller(ctx, true);
    http::response answer;
    auto* me = value_or_answer(in, answer);
    if (!me) co_return answer;
    auto body = object_body(ctx.req);
    if (auto* bad = std::get_if<http::response>(&body)) co_return std::move(*bad);
    const auto& fields = std::get<json::object>(body);
    std::optional<std::string> values[3];
    const char* names[3] = {"email", "name", "role"};
    for (int i = 0; i < 3; ++i) {
        auto v = string_field(fields, names[i]);
        if (auto* bad = std::get_if<http::response>(&v)) co_return std::move(*bad);
        values[i] = std::get<std::optional<std::string>>(v);
    }
    auto added = co_await deps_.members.add(me->who, me->session.tenant_id, values[0].value_or(""), values[1].value_or(""),
                                            values[2].value_or("viewer"), deps_.auth.origin_of(ctx));
    if (!added) co_return error_of(added.error());
    co_return json_ok(201, member_json(*added));
}

boost::asio::awaitable<http::response> admin_api::get_user(http::request_context& ctx) {
    auto in = co_await caller(ctx, false);
    http::response answer;
    auto* me = value_or_answer(in, answer);
    if (!me) co_return answer;
    auto found = co_await deps_.members.get(me->who, me->session.tenant_id, std::string(ctx.param("user_id")));
    if (!found) co_return error_of(found.error());
    co_return json_ok(200, member_json(*found));
}

boost::asio::awaitable<http::response> admin_api::update_user(http::request_context& ctx) {
    auto in = co_await caller(ctx, true);
    http::response answer;
    auto* me = value_or_answer(in, answer);
    if (!me) co_return answer;
    auto body = object_body(ctx.req);
    if (auto* bad = std::get_if<http::response>(&body)) co_return std::move(*bad);
    const auto& fields = std::get<json::object>(body);
    auto role = string_field(fields, "role");
    if (auto* bad = std::get_if<http::response>(&role)) co_return std::move(*bad);
    auto status = string_field(fields, "status");
    if (auto* bad = std::get_if<http::response>(&status)) co_return std::move(*bad);
    const auto& role_text = std::get<std::optional<std::string>>(role);
    const auto& status_text = std::get<std::optional<std::string>>(status);
    // One change per request, so each is decided (and audited) on its own.
    if (role_text.has_value() == status_text.has_value())
        co_return api::error_response(400, "Send exactly one of role or status");
    using kind = core::membership_change::kind;
    core::membership_change change;
    if (role_text) {
        const auto parsed = core::parse_role(*role_text);
        if (!parsed) co_return error_of(core::errc::invalid_role);
        change = {kind::change_role, *parsed};
    } else {
        const auto parsed = core::parse_membership_status(*status_text);
        if (!parsed) co_return api::error_response(400, "status must be active or suspended");
        change = {*parsed == core::membership_status::suspended ? kind::suspend : kind::unsuspend};
    }
    const std::string user_id(ctx.param("user_id"));
    auto changed = co_await deps_.members.change(me->who, me->session.tenant_id, user_id, change,
                                                 deps_.auth.origin_of(ctx));
    if (!changed) co_return error_of(changed.error());
    auto found = co_await deps_.members.get(me->who, me->session.tenant_id, user_id);
    if (!found) co_return error_of(found.error());
    co_return json_ok(200, member_json(*found));
}

boost::asio::awaitable<http::response> admin_api::remove_user(http::request_context& ctx) {
    auto in = co_await caller(ctx, true);
    http::response answer;
    auto* me = value_or_answer(in, answer);
    if (!me) co_return answer;
    auto removed = co_await deps_.members.change(me->who, me->session.tenant_id, std::string(ctx.param("user_id")),
                                                 {core::membership_change::kind::remove},
                                                 deps_.auth.origin_of(ctx));
    if (!removed) co_return error_of(removed.error());
    co_return no_content();
}

boost::asio::awaitable<http::response> admin_api::list_sessions(http::request_context& ctx) {
    auto in = co_await caller(ctx, false);
    http::response answer;
    auto* me = value_or_answer(in, answer);
    if (!me) co_return answer;
    const auto mine = co_await deps_.access.own_sessions(me->who);
    json::array sessions;
    for (const auto& s : mine) sessions.push_back(session_json(s, me->session.id));
    co_return json_ok(200, json::object{{"sessions", std::move(sessions)}});
}

boost::asio::awaitable<http::response> admin_api::end_session(http::request_context& ctx) {
    auto in = co_await caller(ctx, true);
    http::response answer;
    auto* me = value_or_answer(in, answer);
    if (!me) co_return answer;
    auto ended = co_await deps_.access.end_own_session(me->who, std::string(ctx.param("session_id")));
    if (!ended) co_return error_of(ended.error());
    co_return no_content();
}

boost::asio::awaitable<http::response> admin_api::audit_events(http::request_context& ctx) {
    auto in = co_await caller(ctx, false);
    http::response answer;
    auto* me = value_or_answer(in, answer);
    if (!me) co_return answer;
    const auto q = http::decoded_fields(ctx.query);
    int limit = 100;
    if (const auto text = http::field_or_empty(q, "limit"); !text.empty()) {
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
        if (ec != std::errc{} || end != text.data() + text.size() || limit < 1 || limit > 500)
            co_return api::error_response(400, "limit must be an integer from 1 to 500");
    }
    services::audit_filter_text filter{http::field_or_empty(q, "actor"), http::field_or_empty(q, "action"),
                                       http::field_or_empty(q, "outcome"), http::field_or_empty(q, "from"),
                                       http::field_or_empty(q, "to"), http::field_or_empty(q, "cursor")};
    auto listed = co_await deps_.audit.list(me->who, me->session.tenant_id, filter, limit);
    if (!listed) co_return error_of(listed.error());
    const auto optional_text = [](const std::optional<std::string>& v) { return v ? json::value(*v) : json::value(nullptr); };
    json::array events;
    for (const auto& e : listed->entries) {
        json::value detail = nullptr;
        if (e.detail_json) {
            boost::system::error_code ec;
            detail = json::parse(*e.detail_json, ec);
            if (ec) detail = nullptr;
        }
        events.push_back(json::object{{"id", std::to_string(e.id)}, {"at", core::format_rfc3339(e.at)}, {"actor", e.actor},
                                      {"action", e.action}, {"challenge_id", optional_text(e.challenge_id)},
                                      {"target_type", optional_text(e.target_type)}, {"target_id", optional_text(e.target_id)},
                                      {"outcome", e.outcome}, {"status_before", optional_text(e.status_before)},
                                      {"status_after", optional_text(e.status_after)}, {"client_ip", optional_text(e.client_ip)},
                                      {"user_agent", optional_text(e.user_agent)}, {"request_id", optional_text(e.request_id)},
                                      {"detail", std::move(detail)}});
    }
    co_return json_ok(200, json::object{{"events", std::move(events)},
                                        {"next_cursor", listed->next_cursor ? json::value(*listed->next_cursor) : json::value(nullptr)}});
}

boost::asio::awaitable<http::response> admin_api::challenge_stats(http::request_context& ctx) {
    auto in = co_await caller(ctx, false);
    http::response answer;
    auto* me = value_or_answer(in, answer);
    if (!me) co_return answer;
    const auto query = http::decoded_fields(ctx.query);
    const auto window_text = http::field_or_empty(query, "window");
    const auto window = window_text.empty() ? std::optional(services::stats_window::day) : services::parse_stats_window(window_text);
    if (!window) co_return api::error_response(400, "window must be 24h, 7d or 30d");
    auto overview = co_await deps_.dashboard.overview(me->who, me->session.tenant_id, *window);
    if (!overview) co_return error_of(overview.error());
    const auto counts = [](const std::map<std::string, std::int64_t>& m) {
        json::object out;
        for (const auto& [k, v] : m) out[k] = v;
        return out;
    };
    json::object body{{"window", services::to_string(overview->window)},
                      {"since", core::format_rfc3339(overview->since)},
                      {"total", overview->total},
                      {"by_status", counts(overview->by_status)},
                      {"by_source", counts(overview->by_source)},
                      {"by_auth_method", counts(overview->by_auth_method)},
                      {"success_rate", overview->success_rate ? json::value(*overview->success_rate) : json::value(nullptr)},
                      {"median_seconds_to_verify", overview->median_seconds_to_verify
                                                       ? json::value(*overview->median_seconds_to_verify)
                                                       : json::value(nullptr)}};
    co_return json_ok(200, body);
}

}  // namespace chal::console
