// ID tokens' signatures: crypto::jose::verify_compact_jws against a fixed key set (the RSA and EC
// keys of RFC 7515 appendices A.2 and A.3, and a key too weak to use), allowing RS256 and ES256.
// Properties: nothing throws; what verifies used RS256 or ES256; a verified token stops verifying
// when any one character of its signed part, or any but the last of its signature, changes
// (the last base64url character of the signature may carry unused bits).
#include "app/crypto/jose.hpp"
#include "fuzz/fuzz_input.hpp"

#include <array>
#include <string>

namespace {

namespace jose = chal::crypto::jose;

constexpr std::string_view key_set_json = R"({"keys":[
  {"kty":"RSA","kid":"rsa-1","e":"AQAB","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"},
  {"kty":"EC","kid":"ec-1","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
  {"kty":"RSA","kid":"weak","e":"AQAB","n":"AQAB"}
]})";
constexpr std::array<std::string_view, 2> allowed{"RS256", "ES256"};
constexpr std::string_view base64url_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const jose::public_key_set& keys() {
    static const jose::public_key_set set = jose::public_key_set::parse(key_set_json).value();
    return set;
}

// The token with its character at `at` replaced by another base64url character.
std::string with_character_changed(std::string_view token, std::size_t at) {
    std::string out(token);
    const auto index = base64url_alphabet.find(out[at]);
    out[at] = base64url_alphabet[(index == std::string_view::npos ? 0 : index + 1) % base64url_alphabet.size()];
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    chal::fuzz::require(keys().size() == 2 && keys().ignored().size() == 1, "the fixed key set parses");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using chal::fuzz::require;
    const auto token = chal::fuzz::as_text(data, size);
    const auto verified = jose::verify_compact_jws(token, keys(), allowed);
    if (!verified) {
        verified.error().message();
        return 0;
    }
    require(verified->alg == "RS256" || verified->alg == "ES256", "only RS256 and ES256 verify");
    require(verified->kid == "rsa-1" || verified->kid == "ec-1", "only a usable key verifies");

    const auto signature_start = token.rfind('.') + 1;
    for (std::size_t at = 0; at + 1 < token.size(); ++at) {
        if (token[at] == '.') continue;
        require(!jose::verify_compact_jws(with_character_changed(token, at), keys(), allowed),
                at < signature_start ? "a changed signed part does not verify" : "a changed signature does not verify");
    }
    return 0;
}
