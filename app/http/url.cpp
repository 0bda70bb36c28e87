#include "app/http/url.hpp"

#include "app/http/client_error.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm>

namespace chal::http {

namespace {

bool is_host_name_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_';
}

char to_lower_ascii(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Port text as written ("" when the URL says "host:"), 0 when unusable.
std::uint16_t port_from(std::string_view text, std::uint16_t fallback) noexcept {
    if (text.empty()) {
        return fallback;
    }
    if (text.size() > 5) {
        return 0;
    }
    unsigned value = 0;
    for (const char c : text) {
        value = value * 10 + static_cast<unsigned>(c - '0');  // the URL grammar allows digits only
    }
    return value <= 65535 ? static_cast<std::uint16_t>(value) : 0;
}

}  // namespace

boost::system::result<outbound_url> parse_outbound_url(std::string_view url) {
    const auto parsed = boost::urls::parse_uri(url);
    if (!parsed) {
        return make_error_code(client_errc::invalid_url);
    }
    const boost::urls::url_view& u = *parsed;

    outbound_url out;
    if (u.scheme_id() == boost::urls::scheme::https) {
        out.tls = true;
    } else if (u.scheme_id() != boost::urls::scheme::http) {
        return make_error_code(client_errc::invalid_url);
    }
    if (!u.has_authority() || u.has_userinfo()) {
        return make_error_code(client_errc::invalid_url);
    }

    switch (u.host_type()) {
        case boost::urls::host_type::ipv4:
            out.literal = core::ipv4_bytes(u.host_ipv4_address().to_bytes());
            out.host = u.host_ipv4_address().to_string();
            break;
        case boost::urls::host_type::ipv6:
            out.literal = core::ipv6_bytes(u.host_ipv6_address().to_bytes());
            out.host = u.host_ipv6_address().to_string();
            break;
        case boost::urls::host_type::name: {
            const std::string_view name = u.encoded_host();
            if (name.empty() || !std::all_of(name.begin(), name.end(), is_host_name_char)) {
                return make_error_code(client_errc::invalid_url);
            }
            out.host.resize(name.size());
            std::transform(name.begin(), name.end(), out.host.begin(), to_lower_ascii);
            break;
        }
        default:  // none, ipvfuture
            return make_error_code(client_errc::invalid_url);
    }

    const std::uint16_t default_port = out.tls ? 443 : 80;
    out.port = u.has_port() ? port_from(u.port(), default_port) : default_port;
    if (out.port == 0) {
        return make_error_code(client_errc::invalid_url);
    }

    out.host_header = u.encoded_host_and_port();
    if (!out.host_header.empty() && out.host_header.back() == ':') {
        out.host_header.pop_back();  // "host:" means the default port
    }
    out.target = u.encoded_target();
    if (out.target.empty() || out.target.front() != '/') {
        out.target.insert(0, "/");
    }
    return out;
}

}  // namespace chal::http
