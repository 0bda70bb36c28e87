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
    boost::system::error_code ec;
    auto value = boost::json::parse(*stored, ec);
    if (ec || !value.is_object()) return nullptr;
    return value;
}

}  // namespace chal::core
