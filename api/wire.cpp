#include "api/wire.hpp"

#include "app/core/json_values.hpp"
#include "app/crypto/crypto.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/parse_query.hpp>
#include <boost/url/params_view.hpp>

#include <charconv>

namespace chal::api {
namespace {

api_error wrong_type(std::string_view field, std::string_view expected) {
    return error_for(problem::wrong_field_type, std::string(field) + " must be " + std::string(expected));
}

// Reads an optional string field; null and absence are the same.
std::optional<api_error> read_string(
    const boost::json::object& body, std::string_view field, std::optional<std::string>& out
) {
    const auto* value = body.if_contains(field);
    if (!value || value->is_null()) return std::nullopt;
    if (!value->is_string()) return wrong_type(field, "a string");
    // JSON may spell one ("\u0000"); no text column can hold it.
    if (value->get_string().find('\0') != boost::json::string::npos) return error_for(problem::nul_in_field, field);
    out = std::string(value->get_string());
    return std::nullopt;
}

boost::json::object status_object(const core::challenge& c, core::timestamp now) {
    const auto observed = core::observed_status(c, now);
    // A lapsed challenge the sweeper has not reached yet reads exactly as it will once written.
    auto completed_at = c.completed_at;
    if (observed == core::challenge_status::expired && !completed_at) completed_at = c.expires_at;
    boost::json::object o;
    o["challenge_id"] = c.id;
    o["status"] = core::to_string(observed);
    o["created_at"] = core::format_rfc3339(c.created_at);
    o["expires_at"] = core::format_rfc3339(c.expires_at);
    o["completed_at"] = core::json_or_null(completed_at);
    o["is_expired"] = observed == core::challenge_status::expired;
    o["device_fingerprint"] = core::device_details_json(c.device_fingerprint_json);
    o["failure_reason"] = c.failure ? boost::json::value(core::to_string(*c.failure)) : nullptr;
    o["target_user_id"] = core::json_or_null(c.target_user_id);
    o["target_user_email"] = core::json_or_null(c.target_user_email);
    o["requester_id"] = c.requester_id;
    o["context"] = core::json_or_null(c.context);
    o["target_response"] = core::json_or_null(c.target_response);
    o["auth_method"] = core::json_or_null(c.auth_method);
    o["origin"] = core::to_string(c.origin);
    o["receipt"] = core::json_or_null(c.receipt);
    return o;
}

}  // namespace

std::variant<create_request, api_error> parse_create_request(std::string_view body) {
    boost::system::error_code ec;
    auto parsed = boost::json::parse(body, ec);
    if (ec || !parsed.is_object()) return error_for(problem::body_not_json_object);
    const auto& object = parsed.get_object();

    create_request out;
    std::optional<std::string> integration_type;
    if (auto e = read_string(object, "integration_type", integration_type)) return *e;
    if (integration_type && *integration_type == "slack") {
        out.slack = true;
    } else if (integration_type && !integration_type->empty() && *integration_type != "webhook") {
        return error_for(problem::unknown_integration_type);
    }

    auto& r = out.challenge;
    if (auto e = read_string(object, "target_user_id", r.target_user_id)) return *e;
    if (auto e = read_string(object, "target_user_email", r.target_user_email)) return *e;
    if (auto e = read_string(object, "context", r.context)) return *e;
    if (auto e = read_string(object, "callback_url", r.callback_url)) return *e;
    if (auto e = read_string(object, "requester_id", r.requester_id)) return *e;
    if (out.slack) {
        auto& f = out.slack_request;
        if (auto e = read_string(object, "slack_user_id", f.slack_user_id)) return *e;
        if (auto e = read_string(object, "requester_email", f.requester_email)) return *e;
        if (auto e = read_string(object, "slack_instance_id", f.slack_instance_id)) return *e;
    }

    if (const auto* expiry = object.if_contains("expiry_minutes"); expiry && !expiry->is_null()) {
        if (expiry->is_int64()) {
            r.expiry_minutes = expiry->get_int64();
        } else if (expiry->is_uint64()) {
            r.expiry_minutes = core::max_expiry_minutes + 1;  // certainly out of range
        } else {
            return error_for(core::errc::invalid_expiry);
        }
    }
    return out;
}

bool is_json_content_type(std::string_view content_type) noexcept {
    const auto semicolon = content_type.find(';');
    auto media = content_type.substr(0, semicolon);
    while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
    constexpr std::string_view expected = "application/json";
    if (media.size() != expected.size()) return false;
    for (std::size_t i = 0; i < media.size(); ++i) {
        const char c = media[i] >= 'A' && media[i] <= 'Z' ? static_cast<char>(media[i] - 'A' + 'a') : media[i];
        if (c != expected[i]) return false;
    }
    return true;
}

std::string verification_url(std::string_view public_base_url, std::string_view challenge_id) {
    std::string base(public_base_url);
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base + "/challenge/start/" + std::string(challenge_id);
}

std::string created_body(const core::challenge& c, std::string_view public_base_url) {
    return boost::json::serialize(boost::json::object{
        {"challenge_id", c.id},
        {"verification_url", verification_url(public_base_url, c.id)},
        {"status", core::to_string(c.status)},
        {"expires_at", core::format_rfc3339(c.expires_at)},
        {"verification_code", core::json_or_null(c.verification_code)},
    });
}

std::string status_body(const core::challenge& c, core::timestamp now) {
    return boost::json::serialize(status_object(c, now));
}

std::string page_body(
    const std::vector<core::challenge>& items, const std::optional<std::string>& next_cursor, core::timestamp now
) {
    boost::json::array list;
    list.reserve(items.size());
    for (const auto& c : items) list.push_back(status_object(c, now));
    boost::json::object o;
    o["challenges"] = std::move(list);
    o["next_cursor"] = next_cursor ? boost::json::value(*next_cursor) : nullptr;
    return boost::json::serialize(o);
}

std::string encode_cursor(std::string_view challenge_id) {
    return crypto::base64url_encode(challenge_id);
}

std::variant<list_query, api_error> parse_list_query(std::string_view raw_query) {
    list_query q;
    if (raw_query.empty()) return q;
    // Boost.URL 1.81 converts the views it is given through `const char*`, reading to the next
    // NUL, so a view into the request line would pick up " HTTP/1.1...": parse an owned copy.
    const std::string owned(raw_query);
    auto encoded = boost::urls::parse_query(owned);
    if (!encoded) return error_for(problem::invalid_query, "the query string is not valid URL syntax");
    for (auto param : boost::urls::params_view(*encoded)) {
        if (param.key == "status") {
            q.status = core::parse_challenge_status(param.value);
            if (!q.status)
                return error_for(
                    problem::invalid_query, "status must be one of initiated, in-progress, verified, failed, expired"
                );
        } else if (param.key == "limit") {
            int limit = 0;
            const auto& v = param.value;
            auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), limit);
            if (ec != std::errc{} || ptr != v.data() + v.size() || limit < 1 || limit > max_page_size)
                return error_for(problem::invalid_query, "limit must be an integer between 1 and 100");
            q.limit = limit;
        } else if (param.key == "cursor") {
            auto decoded = crypto::base64url_decode(param.value);
            if (!decoded || !crypto::is_uuid(*decoded))
                return error_for(problem::invalid_query, "cursor is not one this API returned");
            q.before_id = *decoded;
        }
    }
    return q;
}

}  // namespace chal::api
