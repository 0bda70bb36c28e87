// Query strings and cookies: api::parse_list_query (GET /api/v1/challenges) on the first line,
// and http::cookie_value over a request whose Cookie headers are the remaining lines.
// Properties: neither throws; an accepted query is within the contract (limit 1..100, a cursor
// that decodes to a challenge id); a cookie value found is one item's value, ';'-free.
#include "api/wire.hpp"
#include "app/crypto/crypto.hpp"
#include "app/http/request_fields.hpp"
#include "fuzz/fuzz_input.hpp"

#include <boost/beast/http/field.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using chal::fuzz::require;
    const auto input = chal::fuzz::as_text(data, size);
    const auto newline = input.find('\n');
    const auto query = input.substr(0, newline);

    const auto parsed = chal::api::parse_list_query(query);
    if (const auto* q = std::get_if<chal::api::list_query>(&parsed)) {
        require(q->limit >= 1 && q->limit <= chal::api::max_page_size, "an accepted limit is 1..100");
        require(!q->before_id || chal::crypto::is_uuid(*q->before_id), "an accepted cursor names a challenge id");
    }

    if (newline == std::string_view::npos) return 0;
    chal::http::request req;
    auto rest = input.substr(newline + 1);
    while (!rest.empty()) {
        const auto end = rest.find('\n');
        req.insert(boost::beast::http::field::cookie, rest.substr(0, end));
        rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
    }
    for (const std::string_view name : {"chal_browser", "__Host-chal_browser", "__Secure-chal_slack_install", "a"}) {
        const auto value = chal::http::cookie_value(req, name);
        if (!value) continue;
        require(value->find(';') == std::string::npos, "a cookie value never spans items");
        const auto item = std::string(name) + "=" + *value;
        require(input.find(item) != std::string_view::npos, "a cookie value is what followed its name");
    }
    return 0;
}
