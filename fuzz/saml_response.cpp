// SAML responses POSTed to our ACS: saml::consume_post_response, with the SP and the IdP of
// fuzz/saml/ (its metadata embedded; fuzz/saml/make_seeds.mjs signs the seeds with its key).
// Input: the AuthnRequest id the flow expects and the time (Unix seconds) one a line, then the
// SAMLResponse form value. Lasso, xmlsec and libxml2 come from Debian uninstrumented: coverage
// guides through our checks only. Properties: nothing throws; an accepted assertion is from the
// IdP, names someone and has not yet expired.
#include "app/core/time.hpp"
#include "app/saml/service_provider.hpp"
#include "fuzz/fuzz_input.hpp"

#include <algorithm>
#include <charconv>

namespace chal::fuzz {
std::string_view saml_idp_metadata() noexcept;  // generated from fuzz/saml/idp_metadata.xml
}

namespace {

namespace saml = chal::saml;

const saml::sp_settings sp{
    .entity_id = "https://challenge.example.test/saml/metadata",
    .acs_url = "https://challenge.example.test/saml/acs",
    .metadata_url = "https://challenge.example.test/saml/metadata",
};

const saml::idp_settings& idp() {
    static const saml::idp_settings settings{.metadata_xml = std::string(chal::fuzz::saml_idp_metadata())};
    return settings;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    const auto summary = saml::inspect_idp_metadata(idp().metadata_xml);
    chal::fuzz::require(summary.has_value(), "the fuzz IdP's metadata loads");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using chal::fuzz::require;
    const auto fields = chal::fuzz::split_fields(chal::fuzz::as_text(data, size), 3);
    std::int64_t seconds = 0;
    std::from_chars(fields[1].data(), fields[1].data() + fields[1].size(), seconds);
    seconds = std::clamp<std::int64_t>(seconds, 0, 253'402'300'799);  // a clock reads years 1970..9999
    const chal::core::timestamp now{std::chrono::seconds{seconds}};

    const auto assertion = saml::consume_post_response(sp, idp(), fields[2], fields[0], now);
    if (!assertion) {
        assertion.error().message();
        return 0;
    }
    require(assertion->issuer == "https://idp.example.test/metadata", "an accepted assertion is from the IdP");
    require(!assertion->name_id.empty() && !assertion->assertion_id.empty(), "an accepted assertion names someone");
    require(assertion->not_on_or_after > now, "an accepted assertion has not expired");
    return 0;
}
