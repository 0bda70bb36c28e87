#include "app/core/json_values.hpp"

#include <boost/json/parse.hpp>

namespace chal::core {

boost::json::value json_or_null(const std::optional<std::string>& s) {
    if (s) return boost::json::value(*s);
    return nullptr;
}

boost::json::value json_or_null(const std::optional<timestamp>& t) {
    if (t) return boost::json::value(format_rfc3339(*t));
    return nullptr;
}

boost::json::value device_details_json(const std::optional<std::string>& stored) {
    if (!stored) return nullptr;
    auto object = json_object_of(*stored);
    if (!object) return nullptr;
    return std::move(*object);
}

std::optional<boost::json::object> json_object_of(std::string_view text) {
    boost::system::error_code ec;
    auto value = boost::json::parse(text, ec);
    if (ec || !value.is_object()) return std::nullopt;
    return std::move(value.as_object());
}

std::string string_member(const boost::json::object& o, std::string_view name) {
    if (const auto* v = o.if_contains(name); v && v->is_string()) return std::string(v->as_string());
    return {};
}

}  // namespace chal::core
