// The route table: one list of {verb, pattern, route name, handler}, matched without I/O.
#pragma once

#include "app/http/handler.hpp"

#include <boost/beast/http/verb.hpp>

#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace chal::http {

struct route {
    boost::beast::http::verb method;
    std::string pattern;  // "/api/v1/challenges/{id}": literal segments and whole-segment {name}s
    std::string name;     // stable label for metrics and logs, e.g. "challenges.get"
    handler fn;
};

class router {
public:
    struct found {
        const handler* fn;
        path_params params;
        std::string_view route_name;
    };
    struct not_found {};
    // The path matched a route, but a parameter decodes to something no identifier is: invalid
    // UTF-8 or control characters (a NUL among them). Bad input, answered 400.
    struct bad_parameter {
        std::string_view route_name;
    };
    struct method_not_allowed {
        std::vector<boost::beast::http::verb> allowed;  // in table order, no duplicates
        std::string allow_header() const;               // "GET, DELETE"
    };
    using match_result = std::variant<found, not_found, method_not_allowed, bad_parameter>;

    // Throws std::invalid_argument for a malformed pattern, a repeated parameter name or two
    // routes with the same verb and the same pattern shape.
    explicit router(std::vector<route> routes);

    // `path` is the request target up to '?', still percent-encoded. Where several patterns
    // match, the most specific wins: at the first segment where they differ, a literal beats
    // a parameter (so "/challenges/search" beats "/challenges/{id}").
    match_result match(boost::beast::http::verb method, std::string_view path) const;

private:
    struct segment {
        std::string text;  // the literal, or the parameter name
        bool is_param;
    };
    struct compiled_route {
        route def;
        std::vector<segment> segments;
    };

    static std::vector<segment> compile(std::string_view pattern);
    static bool more_specific(const compiled_route& a, const compiled_route& b);

    std::vector<compiled_route> routes_;
};

}  // namespace chal::http
