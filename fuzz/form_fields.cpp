// application/x-www-form-urlencoded bodies as both readers see them: http::decoded_fields (the
// verification pages, the Slack install) and slack::decode_form (Slack's commands and payloads).
// Properties: neither throws; every field either reader decoded, encoded again with
// http::url_component, decodes to the same name and value.
#include "app/http/request_fields.hpp"
#include "fuzz/fuzz_input.hpp"
#include "slack/inbound.hpp"

namespace {

void require_round_trip(const std::string& name, const std::string& value) {
    if (name.empty()) return;
    const auto again =
        chal::http::decoded_fields(chal::http::url_component(name) + "=" + chal::http::url_component(value));
    chal::fuzz::require(
        again.size() == 1 && again.begin()->first == name && again.begin()->second == value,
        "a decoded field encodes and decodes to itself"
    );
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto body = chal::fuzz::as_text(data, size);
    for (const auto& [name, value] : chal::http::decoded_fields(body)) require_round_trip(name, value);
    if (const auto slack_fields = chal::slack::decode_form(body)) {
        for (const auto& [name, value] : *slack_fields) require_round_trip(name, value);
    }
    return 0;
}
