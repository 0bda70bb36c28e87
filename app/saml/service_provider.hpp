// SAML 2.0 Web Browser SSO, service-provider side, over Lasso (the engine behind
// mod_auth_mellon): our metadata, the AuthnRequest redirect, and the checks on the IdP's POSTed
// Response. Synchronous CPU-only work on in-memory metadata; no I/O, no Asio.
#pragma once

#include "app/core/time.hpp"
#include "app/core/verification.hpp"
#include "app/saml/errc.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chal::saml {

inline constexpr std::string_view name_id_format_email = core::saml_name_id_format_email;

// Starts Lasso once and refuses to go on if its signature checks are weakened: lasso_init reads
// LASSO_FLAG from the environment, and an inherited `no-verify-signature` would let unsigned,
// forged Responses pass. Also refuses RSA-SHA1 (and DSA/HMAC-SHA1) signatures from then on.
// Throws std::runtime_error; the service calls it before it serves anything.
void initialize();

struct sp_settings {
    std::string entity_id;     // our entityID, also the Audience we require
    std::string acs_url;       // HTTP-POST AssertionConsumerService: Recipient and Destination we require
    std::string metadata_url;  // where sp_metadata_xml is served (not written into the XML)
};

// Our EntityDescriptor: SPSSODescriptor with AuthnRequestsSigned="false", NameIDFormat email
// and one HTTP-POST ACS. WantAssertionsSigned="false" says what consume_post_response enforces:
// a signed Response covering the assertion is enough (many IdPs sign only the Response), an
// unsigned Response needs a signed assertion. Never fails.
std::string sp_metadata_xml(const sp_settings& sp);

struct idp_settings {
    std::string metadata_xml;  // the IdP's EntityDescriptor, as uploaded by the tenant admin
    // The development setting: the IdP's sign-in page may be plain http.
    bool allow_http_sign_in = false;
};

struct idp_summary {
    std::string entity_id;
    std::string sso_redirect_url;
    std::vector<std::string> signing_certificate_sha256;  // hex SHA-256 of each certificate's DER
};

// Checks that `xml` is one SAML 2.0 IdP EntityDescriptor with an entityID, an HTTP-Redirect
// SingleSignOnService whose Location may go into a Location header (core::is_safe_redirect_url:
// absolute https, http only with `allow_http_sign_in`, printable ASCII), and at least one signing
// certificate that parses, and that Lasso loads it. Failures are errc::idp_metadata_* values.
// DTDs are refused. Does not check validUntil.
result<idp_summary> inspect_idp_metadata(std::string_view xml, bool allow_http_sign_in = false);

struct authn_request {
    std::string redirect_url;  // the IdP's SSO URL with SAMLRequest (deflate + base64) and RelayState
    std::string request_id;    // keep it with the browser session; consume_post_response wants it back
};

// An unsigned AuthnRequest for the HTTP-Redirect binding: ForceAuthn="true", response by
// HTTP-POST to sp.acs_url, NameIDPolicy email with AllowCreate, and, when the tenant requires
// one, RequestedAuthnContext with that class (Comparison exact). `relay_state` may be empty and
// must be at most 80 bytes. The redirect URL is checked like the metadata's Location. Fails with
// invalid_sp_settings, relay_state_too_long or the metadata errors of inspect_idp_metadata.
result<authn_request> build_authn_request(
    const sp_settings& sp, const idp_settings& idp, std::string_view relay_state,
    const std::optional<std::string>& requested_authn_context = std::nullopt
);

struct verified_assertion {
    std::string name_id;
    std::string name_id_format;  // empty when the IdP sent none
    std::string assertion_id;
    std::string issuer;
    // The first instant at which consume_post_response refuses this assertion: the earliest
    // NotOnOrAfter (Conditions, SubjectConfirmationData) plus the allowed skew. Remember
    // assertion_id until then to refuse replays.
    core::timestamp not_on_or_after;
    std::optional<core::timestamp> authn_instant;
    std::optional<std::string> authn_context_class_ref;
    std::map<std::string, std::vector<std::string>> attributes;  // by Name; text values
};

// Verifies the base64 SAMLResponse form field of an HTTP-POST to our ACS. Lasso (xmlsec)
// verifies the signatures against the certificate in the IdP metadata: a signed Response covers
// its assertion, otherwise the assertion itself must be signed, and a signature that is present
// must be valid. Then this function checks, from Lasso's parsed objects: exactly one unencrypted
// assertion; Issuers are the IdP; Destination (when present) is our ACS; InResponseTo (Response
// when present, SubjectConfirmationData always) is `expected_request_id`; a bearer
// SubjectConfirmation whose Recipient is our ACS; an AudienceRestriction naming us; and
// NotBefore/NotOnOrAfter against `now` +- `allowed_skew`. Each refusal is its own errc.
// IdP-initiated (unsolicited) responses are refused. Replay detection is the caller's (see
// verified_assertion::not_on_or_after). Thread-safe; throws only when Lasso cannot start.
result<verified_assertion> consume_post_response(
    const sp_settings& sp,
    const idp_settings& idp,
    std::string_view saml_response_base64,
    std::string_view expected_request_id,
    core::timestamp now,
    std::chrono::seconds allowed_skew = std::chrono::seconds{60}
);

}  // namespace chal::saml
