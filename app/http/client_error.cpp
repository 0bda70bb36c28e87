#include "app/http/client_error.hpp"

#include <string>

namespace chal::http {

namespace {

// boost::system::error_category has a protected non-virtual destructor by design (categories
// are never deleted through a base pointer), which -Wnon-virtual-dtor reports anyway.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class client_category_impl final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "chal.http.client"; }

    std::string message(int ev) const override {
        switch (static_cast<client_errc>(ev)) {
            case client_errc::invalid_url: return "invalid URL";
            case client_errc::scheme_not_allowed: return "URL scheme not allowed";
            case client_errc::dns_failure: return "host name did not resolve";
            case client_errc::forbidden_address: return "destination address is not allowed";
            case client_errc::connect_failed: return "could not connect";
            case client_errc::tls_failed: return "TLS handshake or certificate verification failed";
            case client_errc::timeout: return "request timed out";
            case client_errc::connection_closed: return "connection closed before a complete response";
            case client_errc::protocol_error: return "invalid HTTP response";
            case client_errc::resolver_busy: return "too many host name lookups waiting";
        }
        return "unknown client error";
    }
};
#pragma GCC diagnostic pop

}  // namespace

const boost::system::error_category& client_category() noexcept {
    static const client_category_impl instance;
    return instance;
}

std::string_view to_string(client_errc e) noexcept {
    switch (e) {
        case client_errc::invalid_url: return "invalid_url";
        case client_errc::scheme_not_allowed: return "scheme_not_allowed";
        case client_errc::dns_failure: return "dns_failure";
        case client_errc::forbidden_address: return "forbidden_address";
        case client_errc::connect_failed: return "connect_failed";
        case client_errc::tls_failed: return "tls_failed";
        case client_errc::timeout: return "timeout";
        case client_errc::connection_closed: return "connection_closed";
        case client_errc::protocol_error: return "protocol_error";
        case client_errc::resolver_busy: return "resolver_busy";
    }
    return "unknown";
}

}  // namespace chal::http
