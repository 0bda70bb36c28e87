// The Slack app manifest for one tenant's Slack integration (install mode 1: the admin creates
// the app from this manifest, then enters its credentials). manifests/challenge.manifest.json
// is manifest_json(manifest_template_params()), checked in; a test keeps the two equal.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace chal::slack {

struct manifest_params {
    std::string base_url;     // the service's public base, e.g. "https://challenge.example.com"
    std::string tenant_id;    // the URL names the integration whose signing secret verifies a request
    std::string instance_id;
    // Slack makes this irreversible for the app once on; the service refreshes tokens when it is.
    bool token_rotation_enabled = false;
    // Lets an Enterprise Grid org admin install the app org-wide.
    bool org_deploy_enabled = false;
};

// What the app asks for; see manifest.cpp for why each scope is needed.
inline constexpr std::array<std::string_view, 5> bot_scopes{
    "commands", "chat:write", "im:write", "users:read", "users:read.email"};
inline constexpr std::array<std::string_view, 3> bot_events{"app_home_opened", "app_uninstalled", "tokens_revoked"};
inline constexpr std::string_view slash_command_name = "/challenge";
inline constexpr std::string_view global_shortcut_callback_id = "new_challenge";
inline constexpr std::string_view message_shortcut_callback_id = "challenge_sender";

// An instance id as the CLI makes them: 1 to 64 letters, digits, '-' and '_', one URL path
// segment without escaping. A request naming anything else names no app, without a lookup.
inline constexpr std::size_t max_instance_id_length = 64;
bool is_instance_id(std::string_view id) noexcept;

// Why these parameters cannot make a valid manifest (base URL not an absolute http(s) URL
// without user-info, query or fragment; empty ids; URLs over Slack's length limits), or
// nullopt when they can.
std::optional<std::string> manifest_params_problem(const manifest_params& params);

// `<base>/slack/<tenant_id>/<instance_id>/events`, ids percent-encoded: the one URL for slash
// commands, interactivity and events (Bolt's convention).
std::string events_url(const manifest_params& params);
// `<base>/slack/oauth_redirect`
std::string oauth_redirect_url(const manifest_params& params);

// The manifest (schema major version 1). Throw std::invalid_argument with the text of
// manifest_params_problem when the parameters have one.
boost::json::object manifest(const manifest_params& params);
std::string manifest_json(const manifest_params& params);  // two-space indented, ends with "\n"
std::string manifest_yaml(const manifest_params& params);

// Placeholders the checked-in template is generated from.
manifest_params manifest_template_params();

// Block-style YAML for a JSON value: strings are quoted (JSON-compatible double quotes, C1
// controls and U+2028/9 escaped) unless they are plainly safe in both YAML 1.1 and 1.2.
std::string to_yaml(const boost::json::value& value);
// JSON with two-space indentation and a final newline.
std::string to_pretty_json(const boost::json::value& value);

}  // namespace chal::slack
