// Prints every Block Kit payload of slack/blocks.hpp, in several variants, as one JSON object
// {"name": payload, ...}. tests/slack/types/check_block_kit.mjs type-checks the output against
// Slack's @slack/types; `slack_block_kit_samples | jq .target_card` shows a card by hand.
#include "app/core/time.hpp"
#include "slack/blocks.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace {

namespace core = chal::core;
namespace slack = chal::slack;

core::timestamp at(std::string_view rfc3339) {
    return core::parse_rfc3339(rfc3339).value();
}

core::challenge live() {
    core::challenge c;
    c.id = "0193a5b4-7c1e-7d2a-9b3c-4d5e6f708192";
    c.tenant_id = "tenant-1";
    c.origin = core::challenge_origin::slack_command;
    c.target_user_id = "U0TARGET1";
    c.requester_id = "U0REQUEST";
    c.context = "Password reset requested by phone for the VPN token";
    c.created_at = at("2025-12-01T12:00:00Z");
    c.expires_at = at("2025-12-01T12:15:00Z");
    return c;
}

core::challenge ended(
    core::challenge_status status, std::optional<core::failure_reason> reason = std::nullopt
) {
    auto c = live();
    c.status = status;
    c.failure = reason;
    if (core::is_terminal(status))
        c.completed_at =
            status == core::challenge_status::expired ? c.expires_at : at("2025-12-01T12:05:00Z");
    return c;
}

core::challenge verified() {
    auto c = ended(core::challenge_status::verified);
    c.auth_method = "saml";
    c.verification_code = "482913";
    c.target_response = "On my new laptop today.";
    c.device_fingerprint_json = R"json({"browser":"Chrome 120.0","os":"Windows 11","device_type":"desktop",
        "ip":"203.0.113.1","user_agent":"Mozilla/5.0","details_collected":true,"screen":"1920x1080","color_depth":24,
        "timezone":"Europe/Paris","language":"fr-FR","webgl_renderer":"ANGLE (NVIDIA GeForce RTX 3060)",
        "location":{"latitude":48.8566,"longitude":2.3522,"accuracy":35}})json";
    return c;
}

std::string hostile_reason() {
    std::string text;
    while (text.size() < 10 * 1024)
        text += "<!channel> <@U1> & <https://evil.example|click> \xF0\x9F\x98\x80 ";
    return text;
}

}  // namespace

int main() {
    const std::string requester = "<@U0REQUEST>";
    const std::string target = "<@U0TARGET1>";
    const std::string url =
        "https://challenge.example.com/challenge/start/0193a5b4-7c1e-7d2a-9b3c-4d5e6f708192";
    boost::json::object out;

    out["target_card"] = slack::target_card(live(), requester, url, true);
    out["target_card_without_context_input"] = slack::target_card(live(), "Helpdesk bot", url, false);
    auto no_reason = live();
    no_reason.context.reset();
    out["target_card_without_reason"] = slack::target_card(no_reason, requester, url, true);
    auto hostile = live();
    hostile.context = hostile_reason();
    out["target_card_hostile"] = slack::target_card(hostile, "<!here> & co", url, true);

    out["requester_message"] = slack::requester_message(live(), target, "482913");
    out["requester_message_hostile"] = slack::requester_message(hostile, hostile_reason(), "<code>");

    const std::vector<std::pair<std::string, core::challenge>> outcomes = {
        {"verified", verified()},
        {"verified_without_device", ended(core::challenge_status::verified)},
        {"identity_mismatch", ended(core::challenge_status::failed, core::failure_reason::identity_mismatch)},
        {"authentication_failed",
         ended(core::challenge_status::failed, core::failure_reason::authentication_failed)},
        {"canceled", ended(core::challenge_status::failed, core::failure_reason::canceled)},
        {"failed", ended(core::challenge_status::failed)},
        {"incident_reported", ended(core::challenge_status::failed, core::failure_reason::incident_reported)},
        {"expired", ended(core::challenge_status::expired)},
        {"in_progress", ended(core::challenge_status::in_progress)},
    };
    for (const auto& [name, c] : outcomes) {
        out["outcome_" + name + "_target"] =
            slack::outcome_update(c, slack::card_role::target, target, requester);
        out["outcome_" + name + "_requester"] =
            slack::outcome_update(c, slack::card_role::requester, target, requester);
    }

    auto incident = ended(core::challenge_status::failed, core::failure_reason::incident_reported);
    incident.target_response = "I was in a meeting, this was not me.";
    out["security_alert"] = slack::security_alert(incident, target, requester);

    std::vector<slack::home_entry> sent, received;
    for (int i = 0; i < 12; ++i) sent.push_back({live(), "<@U0OTHER" + std::to_string(i) + ">"});
    for (const auto& [name, c] : outcomes) received.push_back({c, requester});
    const auto now = at("2025-12-01T12:10:00Z");
    out["app_home"] = slack::app_home(sent, received, now);
    out["app_home_empty"] = slack::app_home({}, {}, now);

    out["new_challenge_modal"] = slack::new_challenge_modal(std::nullopt, std::nullopt, "");
    out["new_challenge_modal_prefilled"] = slack::new_challenge_modal(
        "U0TARGET1", "Message https://example.slack.com/archives/C1/p1 looked odd", R"({"channel":"C0123"})"
    );

    out["ephemeral"] = slack::ephemeral("No user *bob@example.com* in this workspace.");
    out["help_message"] = slack::help_message();

    std::cout << boost::json::serialize(out) << '\n';
    return 0;
}
