#include "app/http/url.hpp"

#include "app/http/client_error.hpp"

namespace chal::http {
namespace {

client_errc client_error_for(const boost::system::error_code& ec) noexcept {
    if (ec == core::errc::callback_scheme_not_allowed) return client_errc::scheme_not_allowed;
    if (ec == core::errc::callback_address_not_allowed) return client_errc::forbidden_address;
    return client_errc::invalid_url;
}

}  // namespace

boost::system::result<outbound_url> parse_outbound_url(std::string_view url) {
    auto parsed = core::parse_outbound_url(url);
    if (!parsed) return make_error_code(client_errc::invalid_url);
    return std::move(*parsed);
}

boost::system::result<outbound_url> vet_outbound_url(std::string_view url, const core::outbound_url_policy& policy) {
    auto vetted = core::vet_outbound_url(url, policy);
    if (!vetted) return make_error_code(client_error_for(vetted.error()));
    return std::move(*vetted);
}

}  // namespace chal::http
