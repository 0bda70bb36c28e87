// Whether a request's body can be delimited without doubt (RFC 9112 section 6), decided from
// its parsed header alone before any of the body is read. A request that fails is answered
// and its connection closed: whatever bytes follow could be a second, smuggled request.
#pragma once

#include <boost/beast/http/message.hpp>

#include <optional>
#include <string_view>

namespace chal::http {

struct framing_refusal {
    unsigned status;           // 400, or 501 for a transfer coding we do not implement
    std::string_view message;  // for the client
};

// nullopt when the body is delimited unambiguously: no Transfer-Encoding and at most one
// Content-Length field holding one value, or Transfer-Encoding exactly "chunked" (any case,
// over one or more field lines) on HTTP/1.1 without Content-Length. Otherwise the refusal:
// Transfer-Encoding on HTTP/1.0 (section 6.1: the framing is faulty), Transfer-Encoding whose
// final coding is not chunked (section 6.3 rule 4: 400), Transfer-Encoding together with
// Content-Length (section 6.3 rule 3, a smuggling attempt), more than one Content-Length field
// or value, even equal ones (section 6.3 rule 5), chunked applied twice (section 7.1), and any
// other coding before chunked (501: we decode none). Pure; never throws.
std::optional<framing_refusal> refuse_unsafe_framing(const boost::beast::http::request_header<>& header) noexcept;

}  // namespace chal::http
