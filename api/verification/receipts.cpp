#include "api/verification/receipts.hpp"

#include <boost/json/serialize.hpp>

namespace chal::api {

receipt_signer::receipt_signer(
    crypto::jose::signing_key current, std::vector<crypto::jose::signing_key> retired, std::string issuer
)
    : current_(std::move(current)), issuer_(std::move(issuer)) {
    std::vector<boost::json::object> keys{current_.public_jwk()};
    for (const auto& k : retired) keys.push_back(k.public_jwk());
    jwks_ = crypto::jose::jwks_json(keys);
}

std::string receipt_signer::sign(const core::challenge& c, const core::receipt_facts& facts) const {
    auto claims = core::receipt_claims(c, facts);
    return current_.sign_compact(boost::json::object{{"typ", "challenge-receipt+jwt"}}, boost::json::serialize(claims));
}

std::string receipt_signer::jwks() const {
    return jwks_;
}

}  // namespace chal::api
