#include "console/console_auth.hpp"

#include "app/crypto/crypto.hpp"
#include "app/http/request_fields.hpp"

#include <boost/beast/http/field.hpp>

namespace chal::console {
namespace {

// Derived from the session's own token, so it needs no storage and dies with the session.
std::string csrf_token_for(std::string_view session_token, std::string_view session_id) {
    return crypto::base64url_encode(crypto::hmac_sha256(session_token, "console-csrf:" + std::string(session_id)));
}

}  // namespace

std::string session_cookie_name(std::string_view public_base_url) {
    return public_base_url.starts_with("https://") ? "__Host-console" : "console";
}

console_auth::console_auth(services::console_access& access, std::string public_base_url,
                           std::vector<std::string> trusted_proxies, core::rate_limit failed_per_address,
                           core::cache_limits cache_limits)
    : access_(access),
      cookie_name_(session_cookie_name(public_base_url)),
      secure_(public_base_url.starts_with("https://")),
      public_origin_(core::public_origin_of(public_base_url).value_or("")),
      trusted_proxies_(std::move(trusted_proxies)),
      failures_(failed_per_address, cache_limits) {}

std::optional<std::chrono::seconds> console_auth::throttled(const http::request_context& ctx) const {
    return failures_.refusal(http::client_address(ctx, trusted_proxies_), std::chrono::steady_clock::now());
}

void console_auth::count_failure(const http::request_context& ctx) {
    failures_.count_failure(http::client_address(ctx, trusted_proxies_), std::chrono::steady_clock::now());
}

storage::request_origin console_auth::origin_of(const http::request_context& ctx) const {
    storage::request_origin o;
    o.client_ip = http::client_address(ctx, trusted_proxies_);
    if (auto it = ctx.req.find(boost::beast::http::field::user_agent); it != ctx.req.end()) o.user_agent = std::string(it->value());
    o.request_id = ctx.request_id;
    return o;
}

boost::asio::awaitable<std::optional<signed_in_member>> console_auth::member_of(const http::request_context& ctx) {
    auto token = http::cookie_value(ctx.req, cookie_name_);
    if (!token) co_return std::nullopt;
    auto session = co_await access_.session_for(*token);
    if (!session) {
        count_failure(ctx);
        co_return std::nullopt;
    }
    signed_in_member m;
    m.who = access_.principal_of(*session);
    m.csrf = csrf_token_for(*token, session->id);
    m.session = std::move(*session);
    co_return m;
}

std::optional<core::cross_origin_reason> console_auth::cross_origin_refusal(const http::request_context& ctx) const {
    const core::fetch_metadata request{ctx.req.method_string(), ctx.req["Sec-Fetch-Site"],
                                       ctx.req[boost::beast::http::field::origin]};
    const auto verdict = core::check_cross_origin(request, public_origin_);
    if (verdict.allowed) return std::nullopt;
    return verdict.reason;
}

bool console_auth::csrf_matches(const signed_in_member& m, std::string_view presented) const noexcept {
    return !presented.empty() && crypto::constant_time_equal(presented, m.csrf);
}

std::string console_auth::session_cookie(std::string_view token) const {
    std::string cookie = cookie_name_ + "=" + std::string(token) + "; Path=/; HttpOnly; SameSite=Lax";
    if (secure_) cookie += "; Secure";
    return cookie;
}

std::string console_auth::cleared_session_cookie() const {
    std::string cookie = cookie_name_ + "=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0";
    if (secure_) cookie += "; Secure";
    return cookie;
}

}  // namespace chal::console
