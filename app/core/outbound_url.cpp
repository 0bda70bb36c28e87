#include "app/core/outbound_url.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm>
#include <optional>
#include <type_traits>
#include <vector>

namespace chal::core {
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
    if (text.empty()) return fallback;
    if (text.size() > 5) return 0;
    unsigned value = 0;
    for (const char c : text) value = value * 10 + static_cast<unsigned>(c - '0');  // the grammar allows digits only
    return value <= 65535 ? static_cast<std::uint16_t>(value) : 0;
}

std::vector<std::string_view> labels_of(std::string_view host) {
    std::vector<std::string_view> labels;
    for (;;) {
        const auto dot = host.find('.');
        labels.push_back(host.substr(0, dot));
        if (dot == std::string_view::npos) break;
        host.remove_prefix(dot + 1);
    }
    // One trailing dot is the root; "127.0.0.1." is still 127.0.0.1.
    if (labels.size() > 1 && labels.back().empty()) labels.pop_back();
    return labels;
}

// WHATWG URL "IPv4 number parser": "0x" hex, a leading "0" octal, else decimal. Values past
// 2^32 are as useless as malformed ones, so both are nullopt.
std::optional<std::uint64_t> ipv4_number(std::string_view text) noexcept {
    if (text.empty()) return std::nullopt;
    unsigned radix = 10;
    if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        radix = 16;
        text.remove_prefix(2);
    } else if (text.size() >= 2 && text[0] == '0') {
        radix = 8;
        text.remove_prefix(1);
    }
    std::uint64_t value = 0;
    for (const char c : text) {
        unsigned digit = 0;
        if (c >= '0' && c <= '9') digit = static_cast<unsigned>(c - '0');
        else if (c >= 'a' && c <= 'f') digit = static_cast<unsigned>(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') digit = static_cast<unsigned>(c - 'A' + 10);
        else return std::nullopt;
        if (digit >= radix) return std::nullopt;
        value = value * radix + digit;
        if (value > 0xFFFFFFFFu) return std::nullopt;
    }
    return value;
}

// WHATWG URL "ends in a number checker": such a host is an IPv4 address or nothing.
bool ends_in_a_number(const std::vector<std::string_view>& labels) noexcept {
    const auto last = labels.back();
    if (!last.empty() && std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; })) return true;
    return ipv4_number(last).has_value();
}

// WHATWG URL "IPv4 parser" (inet_aton's forms): up to four numbers, the last filling the
// bytes the others leave.
std::optional<ipv4_bytes> numeric_ipv4(const std::vector<std::string_view>& labels) noexcept {
    if (labels.size() > 4) return std::nullopt;
    std::uint64_t address = 0;
    for (std::size_t i = 0; i < labels.size(); ++i) {
        const auto number = ipv4_number(labels[i]);
        if (!number) return std::nullopt;
        const bool last = i + 1 == labels.size();
        const std::uint64_t room = last ? std::uint64_t{1} << (8 * (5 - labels.size())) : 256;
        if (*number >= room) return std::nullopt;
        address += last ? *number : *number << (8 * (3 - i));
    }
    return ipv4_bytes{static_cast<std::uint8_t>(address >> 24), static_cast<std::uint8_t>(address >> 16),
                      static_cast<std::uint8_t>(address >> 8), static_cast<std::uint8_t>(address)};
}

}  // namespace

result<outbound_url> parse_outbound_url(std::string_view url) {
    // Boost.URL 1.81 reads the views it is given up to a NUL; give it an owned copy.
    const std::string owned(url);
    const auto parsed = boost::urls::parse_uri(owned);
    if (!parsed) return errc::invalid_callback_url;
    const boost::urls::url_view& u = *parsed;

    outbound_url out;
    if (u.scheme_id() == boost::urls::scheme::https) out.tls = true;
    else if (u.scheme_id() != boost::urls::scheme::http) return errc::invalid_callback_url;
    if (!u.has_authority() || u.has_userinfo()) return errc::invalid_callback_url;
    // After an authority the path is empty or starts with '/' (RFC 3986 path-abempty). Boost.URL
    // 1.81 reads "https://127.0.0.1.example.com/" as host 127.0.0.1 and path ".example.com/";
    // such a split is refused rather than sent somewhere the URL does not name.
    if (!u.encoded_path().empty() && u.encoded_path().front() != '/') return errc::invalid_callback_url;

    switch (u.host_type()) {
        case boost::urls::host_type::ipv4:
            out.literal = ipv4_bytes(u.host_ipv4_address().to_bytes());
            out.host = u.host_ipv4_address().to_string();
            break;
        case boost::urls::host_type::ipv6:
            out.literal = ipv6_bytes(u.host_ipv6_address().to_bytes());
            out.host = u.host_ipv6_address().to_string();
            break;
        case boost::urls::host_type::name: {
            const std::string_view name = u.encoded_host();
            if (name.empty() || !std::all_of(name.begin(), name.end(), is_host_name_char)) return errc::invalid_callback_url;
            out.host.resize(name.size());
            std::transform(name.begin(), name.end(), out.host.begin(), to_lower_ascii);
            // Resolvers read "2130706433", "0x7f.1" and "0177.0.0.1" as addresses, so they are
            // literals here too, and judged like any other.
            const auto labels = labels_of(out.host);
            if (ends_in_a_number(labels)) {
                const auto v4 = numeric_ipv4(labels);
                if (!v4) return errc::invalid_callback_url;
                out.literal = *v4;
                out.host = to_string(ip_address{*v4});
            }
            break;
        }
        default:  // none, ipvfuture
            return errc::invalid_callback_url;
    }

    const std::uint16_t default_port = out.tls ? 443 : 80;
    out.port = u.has_port() ? port_from(u.port(), default_port) : default_port;
    if (out.port == 0) return errc::invalid_callback_url;

    out.host_header = u.encoded_host_and_port();
    if (!out.host_header.empty() && out.host_header.back() == ':') out.host_header.pop_back();  // "host:" is the default port
    out.target = u.encoded_target();
    if (out.target.empty() || out.target.front() != '/') out.target.insert(0, "/");
    return out;
}

result<outbound_url> vet_outbound_url(std::string_view url, const outbound_url_policy& policy) {
    auto parsed = parse_outbound_url(url);
    if (!parsed) return parsed.error();
    if (!parsed->tls && !policy.allow_plain_http) return errc::callback_scheme_not_allowed;
    const bool refused = std::visit(
        [&](const auto& literal) {
            if constexpr (std::is_same_v<std::decay_t<decltype(literal)>, std::monostate>) return false;
            else return !is_allowed(classify(literal), policy.address_policy);
        },
        parsed->literal
    );
    if (refused) return errc::callback_address_not_allowed;
    return parsed;
}

}  // namespace chal::core
