#include "app/http/router.hpp"

#include "app/core/text.hpp"

#include <algorithm>
#include <stdexcept>

namespace chal::http {

namespace {

// "/a/b" -> {"a", "b"}; "/" -> {""}; "/a/" -> {"a", ""}. `path` starts with '/'.
std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> out;
    path.remove_prefix(1);
    for (;;) {
        const auto slash = path.find('/');
        out.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) {
            return out;
        }
        path.remove_prefix(slash + 1);
    }
}

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

// Percent-decodes a path segment. A malformed escape is kept as written: the handler
// validates the value anyway (an id that is not a UUID is a 404 either way).
std::string percent_decode(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] == '%' && i + 2 < in.size()) {
            const int hi = hex_value(in[i + 1]);
            const int lo = hex_value(in[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out.push_back(static_cast<char>(hi * 16 + lo));
                i += 2;
                continue;
            }
        }
        out.push_back(in[i]);
    }
    return out;
}

}  // namespace

void path_params::add(std::string name, std::string value) {
    items_.emplace_back(std::move(name), std::move(value));
}

std::string_view path_params::get(std::string_view name) const noexcept {
    for (const auto& [key, value] : items_) {
        if (key == name) {
            return value;
        }
    }
    return {};
}

bool path_params::contains(std::string_view name) const noexcept {
    return std::any_of(items_.begin(), items_.end(), [name](const auto& item) { return item.first == name; });
}

std::string router::method_not_allowed::allow_header() const {
    std::string out;
    for (const auto verb : allowed) {
        if (!out.empty()) {
            out += ", ";
        }
        out += boost::beast::http::to_string(verb);
    }
    return out;
}

std::vector<router::segment> router::compile(std::string_view pattern) {
    if (pattern.empty() || pattern.front() != '/') {
        throw std::invalid_argument("route pattern must start with '/': " + std::string(pattern));
    }
    std::vector<segment> segments;
    for (const auto part : split_path(pattern)) {
        const bool opens = part.find('{') != std::string_view::npos;
        const bool closes = part.find('}') != std::string_view::npos;
        if (!opens && !closes) {
            segments.push_back({std::string(part), false});
            continue;
        }
        const std::string_view name = part.size() >= 2 ? part.substr(1, part.size() - 2) : std::string_view{};
        if (part.front() != '{' || part.back() != '}' || name.empty() ||
            name.find_first_of("{}") != std::string_view::npos) {
            throw std::invalid_argument(
                "route pattern segment must be a literal or a whole {name}: " + std::string(pattern)
            );
        }
        const bool repeated = std::any_of(segments.begin(), segments.end(), [name](const segment& s) {
            return s.is_param && s.text == name;
        });
        if (repeated) {
            throw std::invalid_argument("route pattern repeats a parameter name: " + std::string(pattern));
        }
        segments.push_back({std::string(name), true});
    }
    return segments;
}

bool router::more_specific(const compiled_route& a, const compiled_route& b) {
    for (std::size_t i = 0; i < a.segments.size() && i < b.segments.size(); ++i) {
        if (a.segments[i].is_param != b.segments[i].is_param) {
            return !a.segments[i].is_param;
        }
    }
    return false;
}

router::router(std::vector<route> routes) {
    routes_.reserve(routes.size());
    for (auto& r : routes) {
        auto segments = compile(r.pattern);
        for (const auto& existing : routes_) {
            if (existing.def.method != r.method || existing.segments.size() != segments.size()) {
                continue;
            }
            const bool same_shape = std::equal(
                segments.begin(),
                segments.end(),
                existing.segments.begin(),
                [](const segment& x, const segment& y) {
                    return x.is_param == y.is_param && (x.is_param || x.text == y.text);
                }
            );
            if (same_shape) {
                throw std::invalid_argument("two routes for the same verb and pattern: " + r.pattern);
            }
        }
        if (!r.fn) {
            throw std::invalid_argument("route without a handler: " + r.pattern);
        }
        routes_.push_back({std::move(r), std::move(segments)});
    }
}

router::match_result router::match(boost::beast::http::verb method, std::string_view path) const {
    if (path.empty() || path.front() != '/') {
        return not_found{};
    }
    const auto parts = split_path(path);

    const compiled_route* best = nullptr;
    std::vector<boost::beast::http::verb> allowed;
    for (const auto& candidate : routes_) {
        if (candidate.segments.size() != parts.size()) {
            continue;
        }
        bool matches = true;
        for (std::size_t i = 0; i < parts.size() && matches; ++i) {
            const auto& seg = candidate.segments[i];
            matches = seg.is_param ? !parts[i].empty() : seg.text == parts[i];
        }
        if (!matches) {
            continue;
        }
        if (candidate.def.method == method) {
            if (best == nullptr || more_specific(candidate, *best)) {
                best = &candidate;
            }
        } else if (std::find(allowed.begin(), allowed.end(), candidate.def.method) == allowed.end()) {
            allowed.push_back(candidate.def.method);
        }
    }

    if (best != nullptr) {
        found result{&best->def.fn, {}, best->def.name};
        for (std::size_t i = 0; i < parts.size(); ++i) {
            if (best->segments[i].is_param) {
                auto value = percent_decode(parts[i]);
                // No handler has to think about "%00" or "%FF": such a value reaches no database.
                if (!core::is_clean_text(value)) {
                    return bad_parameter{best->def.name};
                }
                result.params.add(best->segments[i].text, std::move(value));
            }
        }
        return result;
    }
    if (!allowed.empty()) {
        return method_not_allowed{std::move(allowed)};
    }
    return not_found{};
}

}  // namespace chal::http
