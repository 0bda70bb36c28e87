// Why a SAML exchange was refused, as boost::system error codes: one value per check, so logs
// and tests can tell a bad signature from a wrong audience. The API layer maps them to HTTP.
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <type_traits>

namespace chal::saml {

enum class errc {
    // Our own settings.
    invalid_sp_settings = 1,  // empty entity id or ACS URL
    relay_state_too_long,     // over the 80 bytes SAML bindings 3.4.3 allows
    // The IdP's metadata.
    idp_metadata_invalid,                 // not XML, has a DTD, no EntityDescriptor/entityID/IDPSSODescriptor
    idp_metadata_no_redirect_sso,         // no SingleSignOnService with the HTTP-Redirect binding
    idp_metadata_no_signing_certificate,  // no usable X.509 certificate for signing
    idp_metadata_unsafe_sso_url,          // the sign-in Location is not an absolute https URL of printable characters
    // The Response, in the order consume_post_response checks it.
    response_malformed,               // not base64, not XML, has a DTD, not a samlp:Response, bad time value
    status_not_success,               // the IdP answered with an error status
    issuer_mismatch,                  // Response or Assertion Issuer is not the IdP's entity id
    signature_missing,                // the Response is unsigned and so is an Assertion in it
    signature_invalid,                // a signature does not verify against the IdP metadata's certificate
    signature_algorithm_refused,      // a SignatureMethod or DigestMethod other than SHA-256/384/512
    encrypted_assertion_unsupported,  // EncryptedAssertion or EncryptedID: we publish no encryption key
    assertion_count_invalid,          // not exactly one Assertion
    response_rejected,                // Lasso refused the Response for a reason not named above
    destination_mismatch,             // Response Destination is not our ACS URL
    in_response_to_mismatch,          // not an answer to the AuthnRequest we sent
    name_id_missing,                  // no Subject NameID
    subject_confirmation_invalid,     // no bearer SubjectConfirmation, or it lacks NotOnOrAfter
    recipient_mismatch,               // SubjectConfirmationData Recipient is not our ACS URL
    audience_mismatch,                // no AudienceRestriction, or one that does not name us
    unsupported_condition,            // a Condition we do not understand (SAML core 2.5.1.5: refuse)
    not_yet_valid,                    // a NotBefore is later than now + skew
    expired,                          // a NotOnOrAfter is at or before now - skew
};

const boost::system::error_category& error_category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), error_category()};
}

template <class T>
using result = boost::system::result<T>;

}  // namespace chal::saml

template <>
struct boost::system::is_error_code_enum<chal::saml::errc> : std::true_type {};
