// What browsers send besides the body: form fields or query parameters, and cookies. Shared by
// the pages that take a browser through a redirect dance (verification, the Slack install).
#pragma once

#include "app/http/handler.hpp"

#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace chal::http {

using decoded_field_map = std::map<std::string, std::string, std::less<>>;

// application/x-www-form-urlencoded fields or a query string: '+' is a space, %XX decoded, a
// later duplicate is ignored; an undecodable string gives no fields.
decoded_field_map decoded_fields(std::string_view encoded);

// The field's value, or "" when it is absent.
std::string field_or_empty(const decoded_field_map& fields, std::string_view name);

// The first cookie called `name` over every Cookie header, or nullopt.
std::optional<std::string> cookie_value(const request& req, std::string_view name);

// Percent-encodes everything but RFC 3986's unreserved characters (for a query value).
std::string url_component(std::string_view value);

// Who sent the request: the peer, or, when the peer is one of `trusted_proxies` (addresses or
// CIDR blocks), what every X-Forwarded-For line says past them (core::forwarded_client_address).
// Everything that needs the client's address asks here.
std::string client_address(const request_context& ctx, std::span<const std::string> trusted_proxies);

}  // namespace chal::http
