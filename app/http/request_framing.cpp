#include "app/http/request_framing.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>

#include <vector>

namespace chal::http {
namespace {

namespace bhttp = boost::beast::http;

std::string_view trimmed(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// The coding names of every Transfer-Encoding line in order (RFC 9110 section 5.3: the lines
// form one list), parameters dropped, empty list elements skipped (section 5.6.1).
std::vector<std::string_view> transfer_codings(const bhttp::request_header<>& header) {
    std::vector<std::string_view> codings;
    for (auto [it, end] = header.equal_range(bhttp::field::transfer_encoding); it != end; ++it) {
        std::string_view rest = it->value();
        for (;;) {
            const auto comma = rest.find(',');
            auto element = rest.substr(0, comma);
            element = trimmed(element.substr(0, element.find(';')));
            if (!element.empty()) codings.push_back(element);
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
    }
    return codings;
}

}  // namespace

std::optional<framing_refusal> refuse_unsafe_framing(const bhttp::request_header<>& header) noexcept {
    try {
        std::size_t length_fields = 0;
        for (auto [it, end] = header.equal_range(bhttp::field::content_length); it != end; ++it) {
            ++length_fields;
            if (it->value().find(',') != std::string_view::npos) ++length_fields;
        }
        const bool has_transfer_encoding = header.find(bhttp::field::transfer_encoding) != header.end();
        if (!has_transfer_encoding) {
            if (length_fields > 1) return framing_refusal{400, "Bad request: more than one Content-Length"};
            return std::nullopt;
        }
        if (header.version() < 11) return framing_refusal{400, "Bad request: Transfer-Encoding in an HTTP/1.0 request"};
        if (length_fields > 0) return framing_refusal{400, "Bad request: both Transfer-Encoding and Content-Length"};
        const auto codings = transfer_codings(header);
        if (codings.empty() || !boost::beast::iequals(codings.back(), "chunked"))
            return framing_refusal{400, "Bad request: Transfer-Encoding does not end in chunked"};
        for (std::size_t i = 0; i + 1 < codings.size(); ++i) {
            if (boost::beast::iequals(codings[i], "chunked"))
                return framing_refusal{400, "Bad request: chunked applied more than once"};
        }
        if (codings.size() > 1) return framing_refusal{501, "Transfer codings other than chunked are not implemented"};
        return std::nullopt;
    } catch (...) {
        // Only allocation can fail here; without memory there is no safe way to read on.
        return framing_refusal{400, "Bad request"};
    }
}

}  // namespace chal::http
