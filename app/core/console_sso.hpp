// Console sign-in by a tenant's own OIDC client (issue 10 §2): what its settings may hold, where
// a sign-in may return to, and whom an identity provider's answer signs in. Bindings are by
// (issuer, subject); an email links a member only on their first SSO sign-in.
#pragma once

#include "app/core/errc.hpp"
#include "app/core/permissions.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace chal::core {

// An OpenID Provider's issuer (OpenID Connect Discovery 1.0, 3): an absolute https URL without
// query or fragment; plain http only for a loopback address or localhost (development and tests).
// errc::invalid_sso_issuer otherwise.
result<void> check_sso_issuer(std::string_view issuer);

// The console SSO client's id and secret as given: a client id of 1 to 512 printable ASCII
// characters (errc::invalid_sso_client_id), a secret of 1 to 4096 bytes without control
// characters (errc::invalid_sso_client_secret).
result<void> check_sso_client(std::string_view client_id, std::string_view client_secret);

// Where a sign-in may send the browser back to: a path of the console on this origin
// ("/console" or below, optional query), printable ASCII, no "//", no backslash, no "..", at most
// 512 characters. Anything else returns "/console", so an attacker's link cannot make the console
// redirect elsewhere after the person signs in.
std::string safe_return_path(std::string_view requested);

// What the database holds about the person an identity provider vouched for, read inside the
// transaction that signs them in.
struct sso_binding_facts {
    // The member bound to (tenant, issuer, subject), if any.
    std::optional<std::string> bound_user_id;
    // The tenant's member whose email is the one asserted (only when the IdP verified it).
    struct member_by_email {
        std::string user_id;
        bool bound_to_this_issuer = false;  // already linked to another subject at this issuer
    };
    std::optional<member_by_email> by_email;
    bool verified_email = false;  // an email came with email_verified true
    bool just_in_time = false;    // the tenant's setting
};

struct sso_binding {
    enum class kind { existing, link, create_viewer };
    kind type = kind::existing;
    std::string user_id;  // for existing and link
};

// Whom the sign-in is for: the bound member; else, on a first SSO sign-in, the member with the
// verified email (never one already bound to another subject at this issuer:
// errc::sso_identity_conflict); else a new Viewer when just-in-time creation is on (and the email
// is verified); else errc::sso_not_a_member.
result<sso_binding> decide_sso_binding(const sso_binding_facts& facts);

// A step-up re-authenticates the session's member: the sign-in must be theirs
// (errc::sso_other_person) and they must still be active (errc::sso_member_suspended).
result<void> judge_sso_member(membership_status status, const std::optional<std::string>& step_up_user_id,
                              std::string_view signed_in_user_id);

}  // namespace chal::core
