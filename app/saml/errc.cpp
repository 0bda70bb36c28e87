#include "app/saml/errc.hpp"

#include <string>

namespace chal::saml {
namespace {

// boost::system::error_category has a protected non-virtual destructor by design.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class category final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "chal.saml"; }

    std::string message(int value) const override {
        switch (static_cast<errc>(value)) {
            case errc::invalid_sp_settings:
                return "SAML SP settings need an entity id and an ACS URL";
            case errc::relay_state_too_long:
                return "SAML RelayState longer than 80 bytes";
            case errc::idp_metadata_invalid:
                return "IdP metadata is not a usable SAML 2.0 IdP EntityDescriptor";
            case errc::idp_metadata_no_redirect_sso:
                return "IdP metadata has no SingleSignOnService with the HTTP-Redirect binding";
            case errc::idp_metadata_no_signing_certificate:
                return "IdP metadata has no usable signing certificate";
            case errc::idp_metadata_unsafe_sso_url:
                return "IdP metadata's HTTP-Redirect sign-in Location is not an absolute https URL of printable "
                       "characters";
            case errc::response_malformed:
                return "SAML response is not a well-formed samlp:Response";
            case errc::status_not_success:
                return "SAML response status is not Success";
            case errc::issuer_mismatch:
                return "SAML response issuer is not the configured IdP";
            case errc::signature_missing:
                return "SAML response unsigned and so is an assertion in it";
            case errc::signature_invalid:
                return "SAML signature does not verify with the IdP certificate";
            case errc::signature_algorithm_refused:
                return "SAML response is signed or digested with an algorithm other than SHA-256/384/512 (SHA-1 is refused)";
            case errc::encrypted_assertion_unsupported:
                return "encrypted SAML assertions are not supported";
            case errc::assertion_count_invalid:
                return "SAML response does not hold exactly one assertion";
            case errc::response_rejected:
                return "SAML response rejected by Lasso";
            case errc::destination_mismatch:
                return "SAML response Destination is not our ACS URL";
            case errc::in_response_to_mismatch:
                return "SAML response does not answer our AuthnRequest";
            case errc::name_id_missing:
                return "SAML assertion has no NameID";
            case errc::subject_confirmation_invalid:
                return "SAML assertion has no valid bearer SubjectConfirmation";
            case errc::recipient_mismatch:
                return "SAML SubjectConfirmationData Recipient is not our ACS URL";
            case errc::audience_mismatch:
                return "SAML assertion audience is not our entity id";
            case errc::unsupported_condition:
                return "SAML assertion has a condition we do not understand";
            case errc::not_yet_valid:
                return "SAML assertion is not valid yet";
            case errc::expired:
                return "SAML assertion has expired";
        }
        return "unknown chal.saml error";
    }
};
#pragma GCC diagnostic pop

}  // namespace

const boost::system::error_category& error_category() noexcept {
    static const category instance;
    return instance;
}

}  // namespace chal::saml
