// POST /api/v1/challenges bodies: api::parse_create_request, then core::plan_challenge on what it
// accepted. Properties: neither throws; an accepted request written back as JSON reads the same.
#include "api/wire.hpp"
#include "app/core/new_challenge.hpp"
#include "fuzz/fuzz_input.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>

namespace {

using chal::api::create_request;

void put(boost::json::object& o, std::string_view key, const std::optional<std::string>& value) {
    if (value) o[key] = *value;
}

std::string written_back(const create_request& r) {
    boost::json::object o;
    if (r.slack) o["integration_type"] = "slack";
    put(o, "target_user_id", r.challenge.target_user_id);
    put(o, "target_user_email", r.challenge.target_user_email);
    put(o, "context", r.challenge.context);
    put(o, "callback_url", r.challenge.callback_url);
    put(o, "requester_id", r.challenge.requester_id);
    if (r.challenge.expiry_minutes) o["expiry_minutes"] = *r.challenge.expiry_minutes;
    put(o, "slack_user_id", r.slack_request.slack_user_id);
    put(o, "requester_email", r.slack_request.requester_email);
    put(o, "slack_instance_id", r.slack_request.slack_instance_id);
    return boost::json::serialize(o);
}

bool same(const create_request& a, const create_request& b) {
    const auto& x = a.challenge;
    const auto& y = b.challenge;
    return a.slack == b.slack && x.target_user_id == y.target_user_id && x.target_user_email == y.target_user_email &&
           x.context == y.context && x.callback_url == y.callback_url && x.requester_id == y.requester_id &&
           x.expiry_minutes == y.expiry_minutes && a.slack_request.slack_user_id == b.slack_request.slack_user_id &&
           a.slack_request.requester_email == b.slack_request.requester_email &&
           a.slack_request.slack_instance_id == b.slack_request.slack_instance_id;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using chal::fuzz::require;
    const auto body = chal::fuzz::as_text(data, size);
    chal::api::is_json_content_type(body);
    const auto parsed = chal::api::parse_create_request(body);
    const auto* request = std::get_if<create_request>(&parsed);
    if (request == nullptr) return 0;

    const auto again = chal::api::parse_create_request(written_back(*request));
    const auto* reread = std::get_if<create_request>(&again);
    require(reread != nullptr && same(*request, *reread), "an accepted body written back as JSON reads the same");

    const chal::core::challenge_origin_facts origin{
        .challenge_id = "0193a5f0-0000-7000-8000-000000000000", .tenant_id = "t", .integration_id = "i"};
    const auto now = chal::core::timestamp{std::chrono::seconds{1'700'000'000}};
    for (const bool allow_plain_http : {false, true}) {
        const auto planned = chal::core::plan_challenge(request->challenge, origin, {allow_plain_http}, now);
        if (planned) require(planned->expires_at > now, "a planned challenge expires after it was made");
    }
    return 0;
}
