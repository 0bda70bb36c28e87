// The frame every console page shares (head, assets under a per-page nonce, CSP, security
// headers), redirects, and the small pieces of markup the pages' handlers have in common.
#pragma once

#include "app/http/handler.hpp"

#include <string>
#include <string_view>

namespace chal::console {

// A whole console page. `nav` is empty on pages shown before signing in. `extra_form_action`
// adds CSP form-action sources for a page whose form's answer redirects to an identity provider
// (browsers apply form-action to the redirect too).
http::response page(unsigned status, std::string_view title, std::string_view nav, std::string_view main_html,
                    std::string_view extra_form_action = "");
std::string message_page_html(std::string_view heading, std::string_view text);
// The synchronizer token's hidden field.
std::string csrf_input(std::string_view token);

// The "Sign in again" button of a page whose action needs a fresh sign-in (console/sso.cpp), and
// the form-action sources that page needs for it.
std::string step_up_form_html(std::string_view csrf, std::string_view return_to);
std::string_view identity_provider_form_targets(bool allow_http_idp);

}  // namespace chal::console
