#include "api/api_keys.hpp"

#include "app/crypto/crypto.hpp"

namespace chal::api {

issued_api_key issue_api_key() {
    auto key = "chk_" + crypto::base64url_encode(crypto::random_bytes(32));
    storage::new_api_key stored{crypto::sha256(key), key.substr(0, 12)};
    return {std::move(key), std::move(stored)};
}

}  // namespace chal::api
