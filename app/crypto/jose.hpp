// JOSE for the browser flow: verify an OIDC IdP's compact JWS (RS256, ES256) against its JWKS,
// sign our own ES256 verification receipts, and PKCE (RFC 7636). OpenSSL stays in jose.cpp.
#pragma once

#include <boost/json/object.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace chal::crypto::jose {

enum class errc {
    // verify_compact_jws, in the order it checks.
    malformed = 1,          // not three base64url parts, header not a JSON object, no string alg, has crit
    algorithm_not_allowed,  // none, HS*, anything but RS256/ES256, or not in the caller's list
    unknown_key,    // no key with the header's kid (or none fits a kid-less header): refetch the JWKS once
    key_unusable,   // the JWKS lists that kid, but parse ignored the key (see public_key_set::ignored)
    ambiguous_key,  // the header has no kid and several keys fit its alg
    key_type_mismatch,  // the kid's key is not of the alg's type, or its own "alg" member differs
    bad_signature,      // the signature does not verify (including an ES256 signature not 64 bytes long)
    // public_key_set::parse and jwk_thumbprint.
    invalid_key_set,  // not a JSON object with a "keys" array
    invalid_key,      // a JWK without the members its kty requires
};

const boost::system::error_category& error_category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), error_category()};
}

template <class T>
using result = boost::system::result<T>;

// A key that public_key_set::parse skipped, and why ("RSA modulus under 2048 bits"), for the log.
struct ignored_key {
    std::string kid;  // empty when the JWK had none
    std::string reason;
};

class public_key_set;

struct verified_jws {
    boost::json::object header;
    std::string payload;  // the decoded payload bytes as signed (the claims' JSON text for a JWT)
    std::string kid;      // of the key that verified it; empty if that JWK had none
    std::string alg;
};

// Verifies a JWS in compact serialization (RFC 7515 section 7.1). The key is the one whose
// kid matches the header's; a header without kid uses the single key that fits the alg. Never
// accepts "none", HS* or any algorithm other than RS256 and ES256, whatever `allowed_algs`
// says. Header members that point at keys elsewhere (jku, jwk, x5u, x5c) are ignored: keys come
// only from `keys`. Every failure is a value (see errc); never throws but for bad_alloc.
// Does not look at the payload: claims (iss, aud, exp, nonce) are the caller's to check.
result<verified_jws> verify_compact_jws(
    std::string_view token, const public_key_set& keys, std::span<const std::string_view> allowed_algs
);

// An IdP's verification keys, parsed once from its JWKS document. Immutable; copies share
// the keys, so a cache can hand them out cheaply.
class public_key_set {
public:
    // Returns errc::invalid_key_set unless the document is a JSON object with a "keys" array.
    // Keys we cannot use are skipped, not an error, as RFC 7517 section 5 asks: a "use" other
    // than "sig", "key_ops" without "verify", a kty other than RSA and EC, an RSA modulus under
    // 2048 bits (or over 8192), an EC curve other than P-256, a point not on the curve, or a
    // member that is missing or not base64url. ignored() says which and why.
    static result<public_key_set> parse(std::string_view jwks_json);

    public_key_set();  // empty

    std::size_t size() const noexcept;  // usable keys
    std::span<const ignored_key> ignored() const noexcept;

private:
    struct impl;
    explicit public_key_set(std::shared_ptr<const impl> keys);
    std::shared_ptr<const impl> impl_;

    friend result<verified_jws> verify_compact_jws(
        std::string_view token, const public_key_set& keys, std::span<const std::string_view> allowed_algs
    );
};

// Our ES256 (ECDSA P-256, SHA-256) private key for signing receipts. Immutable; copies share
// the key.
class signing_key {
public:
    static signing_key generate();
    // Accepts a PKCS#8 "PRIVATE KEY" (or SEC1 "EC PRIVATE KEY") PEM holding a P-256 key.
    // Throws std::invalid_argument otherwise, including for an encrypted PEM (it never prompts).
    static signing_key from_pem(std::string_view pkcs8_pem);

    std::string private_pem() const;          // unencrypted PKCS#8: seal it (secret_box) before storing
    const std::string& kid() const noexcept;  // the RFC 7638 thumbprint of public_jwk()
    boost::json::object public_jwk() const;   // kty, crv, x, y, kid, alg "ES256", use "sig"

    // Returns header.payload.signature, the header being {"alg":"ES256","kid":kid()} plus
    // `header_extra`'s members (e.g. "typ"); the signature is raw r||s, 64 bytes (RFC 7518
    // section 3.4). Throws std::invalid_argument if header_extra sets alg or kid.
    std::string sign_compact(const boost::json::object& header_extra, std::string_view payload_json) const;

private:
    struct impl;
    explicit signing_key(std::shared_ptr<const impl> key);
    std::shared_ptr<const impl> impl_;
};

// RFC 7638 JWK thumbprint (SHA-256, base64url) over the members the kty requires: EC crv, x, y;
// RSA e, n; oct k; OKP crv, x. Returns errc::invalid_key for another kty or a missing or
// non-string required member.
result<std::string> jwk_thumbprint(const boost::json::object& jwk);

// {"keys":[...]}, the document a JWKS endpoint serves.
std::string jwks_json(std::span<const boost::json::object> public_jwks);

// RFC 7636: the S256 code_challenge for `verifier`, base64url(SHA-256(verifier)) without padding.
std::string pkce_challenge_s256(std::string_view verifier);
// A fresh code_verifier: 32 random bytes, base64url, 43 characters.
std::string new_pkce_verifier();

}  // namespace chal::crypto::jose

template <>
struct boost::system::is_error_code_enum<chal::crypto::jose::errc> : std::true_type {};
