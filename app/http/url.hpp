// Outbound URLs as the client reads them: core's parse and vetting (app/core/outbound_url.hpp)
// reported with the client's error codes.
#pragma once

#include "app/core/outbound_url.hpp"

#include <boost/system/result.hpp>

#include <string_view>

namespace chal::http {

using outbound_url = core::outbound_url;

// core::parse_outbound_url; every refusal is client_errc::invalid_url.
boost::system::result<outbound_url> parse_outbound_url(std::string_view url);

// core::vet_outbound_url: client_errc::invalid_url, scheme_not_allowed, or forbidden_address
// for an IP literal (in any numeric form) the policy refuses.
boost::system::result<outbound_url> vet_outbound_url(std::string_view url, const core::outbound_url_policy& policy);

}  // namespace chal::http
