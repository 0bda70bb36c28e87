#include "app/core/cross_origin.hpp"

#include <algorithm>
#include <cctype>

namespace chal::core {
namespace {

bool is_safe_method(std::string_view method) {
    return method == "GET" || method == "HEAD" || method == "OPTIONS";
}

std::string lowercase(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool all_digits(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

}  // namespace

cross_origin_verdict check_cross_origin(const fetch_metadata& request, std::string_view public_origin) {
    if (is_safe_method(request.method)) return {true, cross_origin_reason::safe_method};
    if (request.sec_fetch_site == "same-origin") return {true, cross_origin_reason::same_origin_fetch};
    if (request.sec_fetch_site == "none") return {true, cross_origin_reason::user_initiated_fetch};
    if (!request.sec_fetch_site.empty()) return {false, cross_origin_reason::cross_origin_fetch};
    if (request.origin.empty()) return {true, cross_origin_reason::not_a_browser};
    // Exact bytes: browsers serialise Origin canonically, so any other spelling is not ours.
    if (!public_origin.empty() && request.origin == public_origin) return {true, cross_origin_reason::origin_matches};
    return {false, cross_origin_reason::foreign_origin};
}

std::string_view describe(cross_origin_reason reason) noexcept {
    switch (reason) {
        case cross_origin_reason::safe_method: return "Safe method";
        case cross_origin_reason::same_origin_fetch: return "Same-origin request";
        case cross_origin_reason::user_initiated_fetch: return "Request initiated by the user";
        case cross_origin_reason::origin_matches: return "Origin matches this service";
        case cross_origin_reason::not_a_browser: return "Not a browser request";
        case cross_origin_reason::cross_origin_fetch:
            return "Cross-origin request refused: the browser reports it comes from another site (Sec-Fetch-Site)";
        case cross_origin_reason::foreign_origin:
            return "Cross-origin request refused: its Origin is not this service's origin";
    }
    return "Cross-origin request refused";
}

std::optional<std::string> public_origin_of(std::string_view base_url) {
    const auto separator = base_url.find("://");
    if (separator == std::string_view::npos) return std::nullopt;
    const auto scheme = lowercase(base_url.substr(0, separator));
    if (scheme != "http" && scheme != "https") return std::nullopt;
    auto authority = base_url.substr(separator + 3);
    authority = authority.substr(0, authority.find_first_of("/?#"));
    if (authority.find('@') != std::string_view::npos) return std::nullopt;

    std::string_view host = authority;
    std::string_view port;
    if (authority.starts_with('[')) {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        host = authority.substr(0, close + 1);
        const auto rest = authority.substr(close + 1);
        if (!rest.empty()) {
            if (!rest.starts_with(':')) return std::nullopt;
            port = rest.substr(1);
            if (port.empty()) return std::nullopt;
        }
    } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
        if (port.empty()) return std::nullopt;
    }
    if (host.empty() || host == "[]") return std::nullopt;
    const bool plain_name = std::all_of(host.begin(), host.end(), [](unsigned char c) {
        return std::isalnum(c) != 0 || c == '.' || c == '-' || c == '_' || c == '~';
    });
    if (!host.starts_with('[') && !plain_name) return std::nullopt;
    if (!port.empty()) {
        if (!all_digits(port) || port.size() > 5) return std::nullopt;
        const auto number = std::stoi(std::string(port));
        if (number < 1 || number > 65535) return std::nullopt;
        port = port.substr(std::min(port.find_first_not_of('0'), port.size()));
        const bool default_port = (scheme == "http" && port == "80") || (scheme == "https" && port == "443");
        if (default_port) port = {};
    }
    std::string origin = scheme + "://" + lowercase(host);
    if (!port.empty()) origin += ':' + std::string(port);
    return origin;
}

}  // namespace chal::core
