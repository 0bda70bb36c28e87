#include "app/http/request_fields.hpp"

#include "app/core/network_address.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/parse_query.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <vector>

namespace chal::http {

decoded_field_map decoded_fields(std::string_view encoded) {
    decoded_field_map out;
    // An owned copy (Boost.URL 1.81 reads views as C strings) with '+' spelled %20: the
    // library's space_as_plus constructor is not in Debian's 1.81 build.
    std::string owned;
    owned.reserve(encoded.size());
    for (const char c : encoded) {
        if (c == '+') owned += "%20";
        else owned += c;
    }
    auto parsed = boost::urls::parse_query(owned);
    if (!parsed) return out;
    for (auto param : boost::urls::params_view(*parsed)) out.emplace(param.key, param.value);
    return out;
}

std::string field_or_empty(const decoded_field_map& fields, std::string_view name) {
    const auto it = fields.find(name);
    return it == fields.end() ? std::string{} : it->second;
}

std::optional<std::string> cookie_value(const request& req, std::string_view name) {
    namespace bh = boost::beast::http;
    for (auto it = req.find(bh::field::cookie); it != req.end() && it->name() == bh::field::cookie; ++it) {
        std::string_view rest = it->value();
        while (!rest.empty()) {
            const auto end = rest.find(';');
            auto item = rest.substr(0, end);
            while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
            if (item.size() > name.size() && item.starts_with(name) && item[name.size()] == '=')
                return std::string(item.substr(name.size() + 1));
            if (end == std::string_view::npos) break;
            rest.remove_prefix(end + 1);
        }
    }
    return std::nullopt;
}

std::string url_component(std::string_view value) {
    return boost::urls::encode(value, boost::urls::unreserved_chars);
}

std::string client_address(const request_context& ctx, std::span<const std::string> trusted_proxies) {
    std::vector<std::string_view> lines;
    for (auto [it, end] = ctx.req.equal_range("X-Forwarded-For"); it != end; ++it) lines.push_back(it->value());
    return core::forwarded_client_address(ctx.remote_address, lines, trusted_proxies);
}

}  // namespace chal::http
