// The console's front-end assets (vendored htmx and its hx-csp extension, console.css,
// console.js), embedded in the binary and served from /console/static/{file} under names that
// change whenever the content does, so browsers may cache them forever.
#pragma once

#include "app/http/handler.hpp"

#include <span>
#include <string>
#include <string_view>

namespace chal::console {

struct static_asset {
    std::string name;  // versioned file name under /console/static/, e.g. "htmx-4.0.1.min.js"
    std::string url;   // "/console/static/" + name
    std::string_view content_type;
    std::string_view body;
    std::string etag;  // quoted strong validator derived from the body's SHA-256
};

// Every asset, in the order pages include them. Built once; never throws after the first call.
std::span<const static_asset> all_static_assets();
// The asset called `name`, or nullptr.
const static_asset* find_static_asset(std::string_view name);

// The URLs pages link. htmx's carry its version (web/vendor/htmx/VERSIONS); the console's own
// carry the first 12 hex digits of their SHA-256.
const std::string& htmx_url();
const std::string& htmx_csp_extension_url();
const std::string& stylesheet_url();
const std::string& script_url();

// What the <meta name="htmx-config"> carries: hx-csp on, htmx's injected indicator styles off
// (style-src 'self' forbids them). htmx 4 has no allowEval: eval is refused by the CSP (no
// 'unsafe-eval') and gated per element by hx-csp.
inline constexpr std::string_view htmx_config_json = R"({"extensions":"hx-csp","includeIndicatorCSS":false})";

// Everything a console page puts in its <head>, in this order: the htmx config, the stylesheet,
// then htmx, hx-csp and console.js as parser-blocking scripts carrying `nonce` (hx-csp reads the
// page nonce from the first script[nonce], and htmx reads its config when it loads). The page's
// CSP must name the same nonce in script-src, and every element with hx-* attributes must
// carry hx-nonce="<nonce>" or hx-csp strips them. `nonce` is base64 from a fresh random value
// per response; it is escaped here all the same.
std::string asset_head_html(std::string_view nonce);

// The answer for GET /console/static/{file}: 200 with the asset, its type, immutable caching,
// its ETag and the security headers; 304 when `if_none_match` names that ETag; 404 in the
// contract's error shape for an unknown name. Pure: no I/O.
http::response static_asset_response(std::string_view name, std::string_view if_none_match);

// The route's handler (app/service/routes.cpp).
class static_assets {
public:
    boost::asio::awaitable<http::response> serve(http::request_context& ctx);
};

}  // namespace chal::console
