// Signed verification receipts: an ES256 compact JWS over core::receipt_claims, with the public
// keys (current and retired, for rotation) published as a JWKS.
#pragma once

#include "app/core/challenge.hpp"
#include "app/core/verification.hpp"
#include "app/crypto/jose.hpp"

#include <string>
#include <vector>

namespace chal::api {

class receipt_signer {
public:
    // `retired` keys only appear in the JWKS, so receipts they signed still verify after a rotation.
    receipt_signer(crypto::jose::signing_key current, std::vector<crypto::jose::signing_key> retired, std::string issuer);

    std::string sign(const core::challenge& c, const core::receipt_facts& facts) const;
    std::string jwks() const;
    const std::string& issuer() const noexcept { return issuer_; }

private:
    crypto::jose::signing_key current_;
    std::string issuer_;
    std::string jwks_;
};

}  // namespace chal::api
