// Who a console request comes from, shared by the HTML pages and the JSON admin API: the session
// cookie resolved to a principal, the session's synchronizer (CSRF) token, and the cross-origin
// check every state-changing request passes. One copy, so the two front doors cannot differ.
#pragma once

#include "app/core/cross_origin.hpp"
#include "app/core/failure_throttle.hpp"
#include "app/http/handler.hpp"
#include "app/services/console_access.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace chal::console {

struct signed_in_member {
    storage::console_session_record session;
    core::principal who;
    std::string csrf;  // forms carry it as `csrf`, JSON requests as X-CSRF-Token
};

class console_auth {
public:
    // `failed_per_address` bounds made-up cookies and setup links per client address (as the API
    // bounds made-up keys): past it the address is refused before any lookup.
    console_auth(services::console_access& access, std::string public_base_url, std::vector<std::string> trusted_proxies,
                 core::rate_limit failed_per_address = {}, core::cache_limits cache_limits = {});

    // The live session behind the request's cookie, or nullopt (a cookie that opens nothing
    // counts as a failure of the client's address).
    boost::asio::awaitable<std::optional<signed_in_member>> member_of(const http::request_context& ctx);
    // How long the client must wait because of its failures, or nullopt: ask before member_of or
    // a setup link lookup.
    std::optional<std::chrono::seconds> throttled(const http::request_context& ctx) const;
    void count_failure(const http::request_context& ctx);
    // Nullopt when the request may change state; else why not (a browser on another origin).
    std::optional<core::cross_origin_reason> cross_origin_refusal(const http::request_context& ctx) const;
    bool csrf_matches(const signed_in_member& m, std::string_view presented) const noexcept;
    // Where the request came from, for the audit log (the client address past trusted proxies).
    storage::request_origin origin_of(const http::request_context& ctx) const;

    // Set-Cookie values that open and end a session.
    std::string session_cookie(std::string_view token) const;
    std::string cleared_session_cookie() const;
    const std::string& cookie_name() const noexcept { return cookie_name_; }
    // Whether cookies are Secure (the public base URL is https).
    bool is_secure() const noexcept { return secure_; }

private:
    services::console_access& access_;
    std::string cookie_name_;
    bool secure_;
    std::string public_origin_;
    std::vector<std::string> trusted_proxies_;
    core::failure_throttle failures_;
};

// The handlers' first step: the value, or (moved into `answer`) the response to give instead.
template <class T>
T* value_or_answer(std::variant<T, http::response>& v, http::response& answer) {
    if (auto* r = std::get_if<http::response>(&v)) {
        answer = std::move(*r);
        return nullptr;
    }
    return &std::get<T>(v);
}

// "__Host-console" on https, "console" on plain http (browsers refuse a __Host- cookie without
// Secure, and Secure needs https).
std::string session_cookie_name(std::string_view public_base_url);

}  // namespace chal::console
