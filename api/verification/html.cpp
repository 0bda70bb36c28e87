#include "api/verification/html.hpp"

#include <boost/beast/http/field.hpp>

namespace chal::api {
namespace {
namespace bh = boost::beast::http;
}

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string html_page(std::string_view title, std::string_view main_html, std::string_view body_attributes) {
    std::string page =
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<meta name=\"referrer\" content=\"no-referrer\">"
        "<link rel=\"stylesheet\" href=\"/static/style.css\"><title>";
    page += html_escape(title);
    page += "</title></head><body";
    if (!body_attributes.empty()) {
        page += ' ';
        page += body_attributes;
    }
    page += "><main>";
    page += main_html;
    page += "</main></body></html>\n";
    return page;
}

std::string support_html(const storage::support_contacts& support) {
    if (support.empty()) return {};
    std::string out = "<section aria-labelledby=\"support\"><h2 id=\"support\">Need help?</h2><ul>";
    if (support.email)
        out += "<li>Email: <a href=\"mailto:" + html_escape(*support.email) + "\">" + html_escape(*support.email) + "</a></li>";
    if (support.phone)
        out += "<li>Phone: <a href=\"tel:" + html_escape(*support.phone) + "\">" + html_escape(*support.phone) + "</a></li>";
    if (support.slack_channel) out += "<li>Slack: " + html_escape(*support.slack_channel) + "</li>";
    if (support.portal_url && (support.portal_url->starts_with("https://") || support.portal_url->starts_with("http://")))
        out += "<li><a href=\"" + html_escape(*support.portal_url) + "\">Support portal</a></li>";
    out += "</ul></section>";
    return out;
}

void add_security_headers(http::response& res) {
    // No form-action: the Verify form's answer redirects to the tenant's identity provider,
    // whose origin varies per tenant; scripts, styles, frames and connections stay ours only.
    res.set(
        "Content-Security-Policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    );
    res.set("X-Frame-Options", "DENY");
    res.set("X-Content-Type-Options", "nosniff");
    res.set("Referrer-Policy", "no-referrer");
    res.set(bh::field::cache_control, "no-store");
}

http::response html_response(unsigned status, std::string body) {
    http::response res{static_cast<bh::status>(status), 11};
    res.set(bh::field::content_type, "text/html; charset=utf-8");
    add_security_headers(res);
    res.body() = std::move(body);
    return res;
}

http::response redirect_response(std::string_view location) {
    http::response res{bh::status::see_other, 11};
    res.set(bh::field::location, location);
    add_security_headers(res);
    return res;
}

}  // namespace chal::api
