// What a route handler sees and returns. Kept free of Beast's I/O headers so every handler
// file in api/, slack/ and web/ pays only for the message types (style guide B.13).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chal::http {

using request = boost::beast::http::request<boost::beast::http::string_body>;
using response = boost::beast::http::response<boost::beast::http::string_body>;

// Values captured by `{name}` segments of a route pattern, percent-decoded.
class path_params {
public:
    void add(std::string name, std::string value);

    // The value captured for `name`, or an empty view if the route has no such segment.
    std::string_view get(std::string_view name) const noexcept;
    bool contains(std::string_view name) const noexcept;

    const std::vector<std::pair<std::string, std::string>>& items() const noexcept { return items_; }

private:
    std::vector<std::pair<std::string, std::string>> items_;
};

struct request_context {
    const request& req;
    std::string_view path;   // target up to '?', still percent-encoded
    std::string_view query;  // raw query string after '?', without the '?'
    path_params params;
    std::string remote_address;
    std::string request_id;
    std::chrono::steady_clock::time_point received_at;

    std::string_view param(std::string_view name) const noexcept { return params.get(name); }
};

// Handlers build status, headers and body. The session sets version, keep-alive,
// Content-Length and X-Request-Id.
using handler = std::function<boost::asio::awaitable<response>(request_context&)>;

}  // namespace chal::http
