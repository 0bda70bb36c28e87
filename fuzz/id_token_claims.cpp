// ID token claims after the signature check: core::check_id_token_claims on the input as a JSON
// object, against one fixed flow (the seeds' issuer, client, nonce and times).
// Properties: nothing throws; an accepted login names its subject, is from our issuer with our
// nonce, and happened within the flow's window.
#include "app/core/verification.hpp"
#include "fuzz/fuzz_input.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace {

chal::core::id_token_expectations flow(bool require_acr) {
    using std::chrono::seconds;
    chal::core::id_token_expectations e;
    e.issuer = "https://idp.example.test";
    e.client_id = "challenge-client";
    e.nonce = "n-0S6_WzA2Mj";
    e.flow_started_at = chal::core::timestamp{seconds{1'700'000'000}};
    e.now = chal::core::timestamp{seconds{1'700'000'060}};
    if (require_acr) e.required_acr = "urn:mfa";
    return e;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using chal::fuzz::require;
    boost::system::error_code ec;
    const auto claims = boost::json::parse(chal::fuzz::as_text(data, size), ec);
    if (ec || !claims.is_object()) return 0;
    for (const bool require_acr : {false, true}) {
        const auto expect = flow(require_acr);
        const auto login = chal::core::check_id_token_claims(claims.get_object(), expect);
        if (!login) continue;
        require(!login->subject.empty(), "a login names its subject");
        require(claims.at("iss") == boost::json::value(expect.issuer) && claims.at("nonce") == boost::json::value(expect.nonce),
                "a login is from our flow");
        require(login->auth_time + expect.allowed_skew >= expect.flow_started_at &&
                    login->auth_time <= expect.now + expect.allowed_skew,
                "a login happened within the flow");
        require(!require_acr || login->acr == expect.required_acr, "a required acr was there");
    }
    return 0;
}
