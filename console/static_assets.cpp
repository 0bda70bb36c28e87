#include "console/static_assets.hpp"

#include "api/errors.hpp"
#include "api/verification/html.hpp"
#include "app/crypto/crypto.hpp"

#include <boost/beast/http/field.hpp>

#include <array>
#include <vector>

namespace chal::console {
namespace embedded {
std::string_view htmx_min_js() noexcept;
std::string_view hx_csp_js() noexcept;
std::string_view console_css() noexcept;
std::string_view console_js() noexcept;
}  // namespace embedded

namespace {
namespace bh = boost::beast::http;

constexpr std::string_view static_prefix = "/console/static/";
constexpr std::string_view javascript = "text/javascript; charset=utf-8";
constexpr std::string_view stylesheet = "text/css; charset=utf-8";
// Enough digits that two versions of one file never share a name; the full hash is the ETag.
constexpr std::size_t name_hash_digits = 12;

enum asset_index : std::size_t { htmx, htmx_csp, console_stylesheet, console_script, asset_count };

static_asset make_asset(std::string name, std::string_view content_type, std::string_view body) {
    std::string url = std::string(static_prefix) + name;
    return {std::move(name), std::move(url), content_type, body, '"' + crypto::sha256_hex(body) + '"'};
}

// "console.css" -> "console-<hash>.css"
std::string content_addressed(std::string_view stem, std::string_view extension, std::string_view body) {
    return std::string(stem) + '-' + crypto::sha256_hex(body).substr(0, name_hash_digits) + std::string(extension);
}

const std::array<static_asset, asset_count>& catalogue() {
    static const std::array<static_asset, asset_count> assets{
        make_asset("htmx-" CHAL_HTMX_VERSION ".min.js", javascript, embedded::htmx_min_js()),
        make_asset("hx-csp-" CHAL_HTMX_VERSION ".js", javascript, embedded::hx_csp_js()),
        make_asset(content_addressed("console", ".css", embedded::console_css()), stylesheet, embedded::console_css()),
        make_asset(content_addressed("console", ".js", embedded::console_js()), javascript, embedded::console_js()),
    };
    return assets;
}

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// If-None-Match uses the weak comparison (RFC 9110 §13.1.2): "*" or any listed tag, W/ or not.
bool matches_any(std::string_view if_none_match, std::string_view etag) {
    while (!if_none_match.empty()) {
        const auto comma = if_none_match.find(',');
        auto tag = trimmed(if_none_match.substr(0, comma));
        if (tag == "*") return true;
        if (tag.starts_with("W/")) tag.remove_prefix(2);
        if (tag == etag) return true;
        if (comma == std::string_view::npos) break;
        if_none_match.remove_prefix(comma + 1);
    }
    return false;
}

}  // namespace

std::span<const static_asset> all_static_assets() {
    return catalogue();
}

const static_asset* find_static_asset(std::string_view name) {
    for (const auto& asset : catalogue())
        if (asset.name == name) return &asset;
    return nullptr;
}

const std::string& htmx_url() {
    return catalogue()[htmx].url;
}
const std::string& htmx_csp_extension_url() {
    return catalogue()[htmx_csp].url;
}
const std::string& stylesheet_url() {
    return catalogue()[console_stylesheet].url;
}
const std::string& script_url() {
    return catalogue()[console_script].url;
}

std::string asset_head_html(std::string_view nonce) {
    const auto quoted_nonce = api::html_escape(nonce);
    std::string head = "<meta name=\"htmx-config\" content=\"" + api::html_escape(htmx_config_json) + "\">";
    head += "<link rel=\"stylesheet\" href=\"" + stylesheet_url() + "\">";
    for (const auto* url : {&htmx_url(), &htmx_csp_extension_url(), &script_url()})
        head += "<script nonce=\"" + quoted_nonce + "\" src=\"" + *url + "\"></script>";
    return head;
}

http::response static_asset_response(std::string_view name, std::string_view if_none_match) {
    const auto* asset = find_static_asset(name);
    if (!asset) {
        auto res = api::error_response(api::error_for(api::problem::route_not_found));
        api::add_security_headers(res);
        return res;
    }
    const bool unchanged = matches_any(if_none_match, asset->etag);
    http::response res{unchanged ? bh::status::not_modified : bh::status::ok, 11};
    res.set(bh::field::content_type, asset->content_type);
    api::add_security_headers(res);
    // The name changes whenever the content does, so a cached copy never goes stale.
    res.set(bh::field::cache_control, "public, max-age=31536000, immutable");
    res.set(bh::field::etag, asset->etag);
    if (!unchanged) res.body() = std::string(asset->body);
    return res;
}

boost::asio::awaitable<http::response> static_assets::serve(http::request_context& ctx) {
    co_return static_asset_response(ctx.param("file"), ctx.req[bh::field::if_none_match]);
}

}  // namespace chal::console
