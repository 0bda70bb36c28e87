// The REST wire format: JSON request bodies into core requests, core challenges into the
// contract's response bodies. Pure functions, unit-tested without a server.
#pragma once

#include "api/errors.hpp"
#include "app/core/challenge.hpp"
#include "app/core/new_challenge.hpp"

#include <boost/system/result.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace chal::api {

// A Slack challenge's own fields (contract: "Slack challenge"); target_user_id and
// target_user_email in `challenge` name the target by Slack id or by email.
struct slack_fields {
    std::optional<std::string> slack_user_id;     // the requester
    std::optional<std::string> requester_email;   // the requester, looked up in the workspace
    std::optional<std::string> slack_instance_id;  // which Slack app of the tenant; default the first
};

// What POST /api/v1/challenges asked for.
struct create_request {
    bool slack = false;
    core::challenge_request challenge;
    slack_fields slack_request;  // read only when `slack`
};

// Parses the body: a JSON object whose known fields have the contract's types (null counts
// as absent; unknown fields are ignored so integrators can send extras). Errors are api_error
// values with a message naming the field.
std::variant<create_request, api_error> parse_create_request(std::string_view body);

// True for application/json with or without parameters (charset).
bool is_json_content_type(std::string_view content_type) noexcept;

std::string created_body(const core::challenge& c, std::string_view public_base_url);
std::string verification_url(std::string_view public_base_url, std::string_view challenge_id);

// GET /api/v1/challenges/{id}: the contract's fields plus ours (see api/openapi.json).
std::string status_body(const core::challenge& c, core::timestamp now);

// GET /api/v1/challenges: {"challenges": [...], "next_cursor": "..." | null}
std::string page_body(const std::vector<core::challenge>& items, const std::optional<std::string>& next_cursor, core::timestamp now);

struct list_query {
    std::optional<core::challenge_status> status;
    int limit = 20;
    std::optional<std::string> before_id;  // decoded from the cursor
};
inline constexpr int max_page_size = 100;

std::variant<list_query, api_error> parse_list_query(std::string_view raw_query);
std::string encode_cursor(std::string_view challenge_id);

}  // namespace chal::api
