// Minting API keys: shown once to the operator, stored only as a SHA-256 hash with a short
// prefix that lets people tell keys apart.
#pragma once

#include "storage/tenant_store.hpp"

#include <string>

namespace chal::api {

struct issued_api_key {
    std::string key;             // "chk_" + 43 base64url characters (256 random bits)
    storage::new_api_key stored;  // what the database keeps
};

// 256 bits of randomness make a salted or slow hash unnecessary: there is nothing to guess.
issued_api_key issue_api_key();

}  // namespace chal::api
