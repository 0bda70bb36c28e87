// HTML for the verification pages: escaping, the page frame, and the security headers every
// page carries. No templates engine: each page is a few escaped strings.
#pragma once

#include "app/http/handler.hpp"
#include "storage/verification_store.hpp"

#include <string>
#include <string_view>

namespace chal::api {

namespace web {
std::string_view device_js() noexcept;
std::string_view style_css() noexcept;
}  // namespace web

std::string html_escape(std::string_view text);

// A complete page: <title>, one <main>, our stylesheet; `body_attributes` go on <body> (data-*).
std::string html_page(std::string_view title, std::string_view main_html, std::string_view body_attributes = {});

// The support contacts block (mailto, tel, Slack channel, portal link), or "" when none are set.
std::string support_html(const storage::support_contacts& support);

// A response with the page and its headers: CSP (scripts and styles from us only, nothing may
// frame it), no referrer, nosniff, no caching.
http::response html_response(unsigned status, std::string body);
// A 303 See Other to `location`, with the same headers.
http::response redirect_response(std::string_view location);
// Adds the headers every verification response carries (also to JSON/JS answers).
void add_security_headers(http::response& res);

}  // namespace chal::api
