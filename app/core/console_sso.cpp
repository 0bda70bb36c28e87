#include "app/core/console_sso.hpp"

#include "app/core/network_address.hpp"
#include "app/core/outbound_url.hpp"
#include "app/core/text.hpp"

namespace chal::core {

result<void> check_sso_issuer(std::string_view issuer) {
    if (issuer.empty() || issuer.size() > 2048 || issuer.find_first_of("?#") != std::string_view::npos)
        return errc::invalid_sso_issuer;
    for (const char ch : issuer) {
        const auto u = static_cast<unsigned char>(ch);
        if (u <= 0x20 || u >= 0x7f) return errc::invalid_sso_issuer;
    }
    auto url = parse_outbound_url(issuer);
    if (!url) return errc::invalid_sso_issuer;
    if (url->tls) return {};
    bool loopback = url->host == "localhost";
    if (const auto* v4 = std::get_if<ipv4_bytes>(&url->literal)) loopback = classify(*v4) == address_class::loopback;
    if (const auto* v6 = std::get_if<ipv6_bytes>(&url->literal)) loopback = classify(*v6) == address_class::loopback;
    if (!loopback) return errc::invalid_sso_issuer;
    return {};
}

result<void> check_sso_client(std::string_view client_id, std::string_view client_secret) {
    if (client_id.empty() || client_id.size() > 512) return errc::invalid_sso_client_id;
    for (const char ch : client_id) {
        const auto u = static_cast<unsigned char>(ch);
        if (u < 0x20 || u >= 0x7f) return errc::invalid_sso_client_id;
    }
    if (client_secret.empty() || client_secret.size() > 4096 || !is_clean_text(client_secret))
        return errc::invalid_sso_client_secret;
    return {};
}

std::string safe_return_path(std::string_view requested) {
    constexpr std::string_view fallback = "/console";
    if (requested.size() > 512) return std::string(fallback);
    for (const char ch : requested) {
        const auto u = static_cast<unsigned char>(ch);
        if (u <= 0x20 || u >= 0x7f || ch == '\\') return std::string(fallback);
    }
    const auto path = requested.substr(0, requested.find('?'));
    const bool in_console = path == "/console" || path.starts_with("/console/");
    if (!in_console || requested.find("//") != std::string_view::npos || path.find("..") != std::string_view::npos ||
        requested.find('#') != std::string_view::npos)
        return std::string(fallback);
    return std::string(requested);
}

result<sso_binding> decide_sso_binding(const sso_binding_facts& facts) {
    if (facts.bound_user_id) return sso_binding{sso_binding::kind::existing, *facts.bound_user_id};
    if (facts.verified_email && facts.by_email) {
        // An email that moved to another account at the IdP must not take over a bound member.
        if (facts.by_email->bound_to_this_issuer) return errc::sso_identity_conflict;
        return sso_binding{sso_binding::kind::link, facts.by_email->user_id};
    }
    if (facts.verified_email && facts.just_in_time) return sso_binding{sso_binding::kind::create_viewer, ""};
    return errc::sso_not_a_member;
}

result<void> judge_sso_member(membership_status status, const std::optional<std::string>& step_up_user_id,
                              std::string_view signed_in_user_id) {
    if (step_up_user_id && *step_up_user_id != signed_in_user_id) return errc::sso_other_person;
    if (status != membership_status::active) return errc::sso_member_suspended;
    return {};
}

}  // namespace chal::core
