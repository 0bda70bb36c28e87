// Device details: core::parse_user_agent and the success page's report through
// core::normalize_device_report (and server_side_device_details when no report came).
// Input: User-Agent, client address and Sec-CH-UA-Platform-Version (an empty line: absent) one a
// line, then the posted JSON. Properties: nothing throws; the device type is one of the five;
// the stored object always has the server-side keys, and its JSON text reads back as the same
// object (it goes into a jsonb column, which takes valid UTF-8 only).
#include "app/core/device.hpp"
#include "fuzz/fuzz_input.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <array>

namespace {

void require_storable(const boost::json::object& details) {
    using chal::fuzz::require;
    for (const std::string_view key : {"browser", "os", "device_type", "ip", "user_agent", "details_collected"})
        require(details.contains(key), "device details have every server-side key");
    require(details.at("details_collected").is_bool(), "details_collected is a boolean");
    boost::system::error_code ec;
    const auto reread = boost::json::parse(boost::json::serialize(details), ec);
    require(!ec && reread == boost::json::value(details), "device details read back as written");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using chal::fuzz::require;
    namespace core = chal::core;
    const auto fields = chal::fuzz::split_fields(chal::fuzz::as_text(data, size), 4);
    const auto user_agent = fields[0];
    const auto platform_version = fields[2].empty() ? std::nullopt : std::optional<std::string_view>(fields[2]);

    const auto ua = core::parse_user_agent(user_agent);
    constexpr std::array<std::string_view, 5> device_types{"desktop", "mobile", "tablet", "bot", "unknown"};
    require(std::find(device_types.begin(), device_types.end(), ua.device_type) != device_types.end(),
            "the device type is one of the five");
    require(!core::browser_label(ua).empty() && !core::os_label(ua).empty(), "labels are never empty");

    require_storable(core::normalize_device_report(fields[3], user_agent, fields[1], platform_version));
    require_storable(core::server_side_device_details(user_agent, fields[1], platform_version));
    return 0;
}
