#include "app/crypto/jose.hpp"

#include "app/crypto/crypto.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/pem.h>

#include <algorithm>
#include <array>
#include <optional>
#include <stdexcept>
#include <utility>

namespace chal::crypto::jose {
namespace json = boost::json;

namespace {

// boost::system::error_category has a protected non-virtual destructor by design.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class category final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "chal.crypto.jose"; }

    std::string message(int value) const override {
        switch (static_cast<errc>(value)) {
            case errc::malformed:
                return "malformed JWS";
            case errc::algorithm_not_allowed:
                return "JWS algorithm not allowed";
            case errc::unknown_key:
                return "no key with the JWS kid";
            case errc::key_unusable:
                return "the JWS kid names a key that was ignored";
            case errc::ambiguous_key:
                return "JWS without kid and several keys fit";
            case errc::key_type_mismatch:
                return "key does not match the JWS algorithm";
            case errc::bad_signature:
                return "bad JWS signature";
            case errc::invalid_key_set:
                return "invalid JWK set";
            case errc::invalid_key:
                return "invalid JWK";
        }
        return "unknown chal.crypto.jose error";
    }
};
#pragma GCC diagnostic pop

// --- OpenSSL handles -------------------------------------------------------------------------

template <auto Free>
struct openssl_deleter {
    template <class T>
    void operator()(T* p) const noexcept {
        Free(p);
    }
};

using pkey_ptr = std::unique_ptr<EVP_PKEY, openssl_deleter<&EVP_PKEY_free>>;
using pkey_ctx_ptr = std::unique_ptr<EVP_PKEY_CTX, openssl_deleter<&EVP_PKEY_CTX_free>>;
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, openssl_deleter<&EVP_MD_CTX_free>>;
using bn_ptr = std::unique_ptr<BIGNUM, openssl_deleter<&BN_free>>;
using bio_ptr = std::unique_ptr<BIO, openssl_deleter<&BIO_free>>;
using ecdsa_sig_ptr = std::unique_ptr<ECDSA_SIG, openssl_deleter<&ECDSA_SIG_free>>;
using param_bld_ptr = std::unique_ptr<OSSL_PARAM_BLD, openssl_deleter<&OSSL_PARAM_BLD_free>>;
using params_ptr = std::unique_ptr<OSSL_PARAM, openssl_deleter<&OSSL_PARAM_free>>;

// A failed check leaves entries on OpenSSL's per-thread error queue; later code on this
// thread (TLS in app/http reads ERR_get_error) must not mistake them for its own.
struct clear_openssl_errors {
    clear_openssl_errors() = default;
    clear_openssl_errors(const clear_openssl_errors&) = delete;
    clear_openssl_errors& operator=(const clear_openssl_errors&) = delete;
    ~clear_openssl_errors() { ERR_clear_error(); }
};

const unsigned char* bytes(std::string_view s) {
    return reinterpret_cast<const unsigned char*>(s.data());
}

unsigned char* bytes(std::string& s) {
    return reinterpret_cast<unsigned char*>(s.data());
}

bn_ptr to_bignum(std::string_view big_endian) {
    bn_ptr out{BN_bin2bn(bytes(big_endian), static_cast<int>(big_endian.size()), nullptr)};
    if (!out) throw std::bad_alloc{};
    return out;
}

std::string to_fixed_bytes(const BIGNUM* n, std::size_t size) {
    std::string out(size, '\0');
    if (BN_bn2binpad(n, bytes(out), static_cast<int>(size)) != static_cast<int>(size))
        throw std::logic_error("number does not fit its fixed width");
    return out;
}

constexpr std::size_t p256_coordinate_size = 32;
// The order n of P-256's base point (SEC 2, section 2.4.2), big-endian.
constexpr std::string_view p256_order{
    "\xff\xff\xff\xff\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff"
    "\xbc\xe6\xfa\xad\xa7\x17\x9e\x84\xf3\xb9\xca\xc2\xfc\x63\x25\x51",
    32};
constexpr int min_rsa_bits = 2048;
// A JWKS arrives over the network and every verification pays for the modulus size.
constexpr int max_rsa_bits = 8192;

// --- keys ------------------------------------------------------------------------------------

enum class key_type { rsa, ec_p256 };

struct public_key {
    std::string kid;
    std::string alg;  // the JWK's "alg" member; empty if absent
    key_type type;
    pkey_ptr key;
};

pkey_ptr pkey_from_params(const char* type, OSSL_PARAM* params) {
    pkey_ctx_ptr ctx{EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr)};
    EVP_PKEY* out = nullptr;
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &out, EVP_PKEY_PUBLIC_KEY, params) != 1)
        return nullptr;
    return pkey_ptr{out};
}

// Members as optional strings: absent and non-string both count as missing.
std::optional<std::string_view> string_member(const json::object& jwk, std::string_view name) {
    const auto* v = jwk.if_contains(name);
    if (!v || !v->is_string()) return std::nullopt;
    return std::string_view{v->get_string()};
}

// Either the key or the reason it cannot be used.
struct key_or_reason {
    pkey_ptr key;
    std::string reason;
};

key_or_reason rsa_key(const json::object& jwk) {
    const auto n_text = string_member(jwk, "n");
    const auto e_text = string_member(jwk, "e");
    if (!n_text || !e_text) return {nullptr, "RSA key without string n and e"};
    const auto n_raw = base64url_decode(*n_text);
    const auto e_raw = base64url_decode(*e_text);
    if (!n_raw || !e_raw) return {nullptr, "RSA n or e is not base64url"};
    const bn_ptr n = to_bignum(*n_raw);
    const bn_ptr e = to_bignum(*e_raw);
    const int bits = BN_num_bits(n.get());
    if (bits < min_rsa_bits) return {nullptr, "RSA modulus under 2048 bits"};
    if (bits > max_rsa_bits) return {nullptr, "RSA modulus over 8192 bits"};
    if (!BN_is_odd(n.get()) || !BN_is_odd(e.get()) || BN_is_one(e.get()) || BN_num_bits(e.get()) > 64)
        return {nullptr, "RSA n or e is not a valid public value"};

    const param_bld_ptr builder{OSSL_PARAM_BLD_new()};
    if (!builder || OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1)
        throw std::bad_alloc{};
    const params_ptr params{OSSL_PARAM_BLD_to_param(builder.get())};
    if (!params) throw std::bad_alloc{};
    auto key = pkey_from_params("RSA", params.get());
    if (!key) return {nullptr, "OpenSSL refused the RSA key"};
    return {std::move(key), {}};
}

key_or_reason ec_key(const json::object& jwk) {
    if (string_member(jwk, "crv") != "P-256") return {nullptr, "EC curve other than P-256"};
    const auto x_text = string_member(jwk, "x");
    const auto y_text = string_member(jwk, "y");
    if (!x_text || !y_text) return {nullptr, "EC key without string x and y"};
    const auto x = base64url_decode(*x_text);
    const auto y = base64url_decode(*y_text);
    // RFC 7518 section 6.2.1.2: each coordinate is the full size, leading zeros kept.
    if (!x || !y || x->size() != p256_coordinate_size || y->size() != p256_coordinate_size)
        return {nullptr, "EC x or y is not 32 bytes of base64url"};

    std::string point = "\x04" + *x + *y;  // SEC1 uncompressed point
    char group[] = "P-256";
    std::array<OSSL_PARAM, 3> params{
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
        OSSL_PARAM_construct_end()};
    auto key = pkey_from_params("EC", params.data());
    if (!key) return {nullptr, "EC point not on P-256"};
    // Import already refuses points off the curve; the explicit check also covers the point
    // at infinity and states the requirement here rather than in OpenSSL's internals.
    const pkey_ctx_ptr check{EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr)};
    if (!check) throw std::bad_alloc{};
    if (EVP_PKEY_public_check(check.get()) != 1) return {nullptr, "EC point not on P-256"};
    return {std::move(key), {}};
}

// --- signatures ------------------------------------------------------------------------------

enum class algorithm { rs256, es256 };

std::optional<algorithm> supported_algorithm(std::string_view alg) {
    if (alg == "RS256") return algorithm::rs256;
    if (alg == "ES256") return algorithm::es256;
    return std::nullopt;
}

key_type key_type_for(algorithm a) {
    return a == algorithm::rs256 ? key_type::rsa : key_type::ec_p256;
}

bool fits(const public_key& k, algorithm a, std::string_view alg) {
    return k.type == key_type_for(a) && (k.alg.empty() || k.alg == alg);
}

// JWS carries ECDSA signatures as r||s (RFC 7518 section 3.4); OpenSSL wants DER.
std::optional<std::string> ecdsa_raw_to_der(std::string_view raw) {
    if (raw.size() != 2 * p256_coordinate_size) return std::nullopt;
    ecdsa_sig_ptr sig{ECDSA_SIG_new()};
    bn_ptr r = to_bignum(raw.substr(0, p256_coordinate_size));
    bn_ptr s = to_bignum(raw.substr(p256_coordinate_size));
    if (!sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) throw std::bad_alloc{};
    static_cast<void>(r.release());  // owned by sig now
    static_cast<void>(s.release());
    const int size = i2d_ECDSA_SIG(sig.get(), nullptr);
    if (size <= 0) return std::nullopt;
    std::string der(static_cast<std::size_t>(size), '\0');
    unsigned char* out = bytes(der);
    if (i2d_ECDSA_SIG(sig.get(), &out) != size) return std::nullopt;
    return der;
}

bool verify_sha256(EVP_PKEY* key, std::string_view signing_input, std::string_view signature) {
    const md_ctx_ptr ctx{EVP_MD_CTX_new()};
    if (!ctx) throw std::bad_alloc{};
    // The RSA default padding is PKCS #1 v1.5, which is RS256.
    if (EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1) return false;
    return EVP_DigestVerify(
               ctx.get(), bytes(signature), signature.size(), bytes(signing_input), signing_input.size()
           ) == 1;
}

bool verify_with(
    const public_key& k, algorithm a, std::string_view signing_input, std::string_view signature
) {
    if (a == algorithm::rs256) return verify_sha256(k.key.get(), signing_input, signature);
    const auto der = ecdsa_raw_to_der(signature);
    return der && verify_sha256(k.key.get(), signing_input, *der);
}

std::string serialize_string(std::string_view s) {
    return json::serialize(json::string(s));
}

}  // namespace

const boost::system::error_category& error_category() noexcept {
    static const category instance;
    return instance;
}

// --- public_key_set --------------------------------------------------------------------------

struct public_key_set::impl {
    std::vector<public_key> keys;
    std::vector<ignored_key> ignored;
};

public_key_set::public_key_set() : impl_(std::make_shared<impl>()) {}

public_key_set::public_key_set(std::shared_ptr<const impl> keys) : impl_(std::move(keys)) {}

std::size_t public_key_set::size() const noexcept {
    return impl_->keys.size();
}

std::span<const ignored_key> public_key_set::ignored() const noexcept {
    return impl_->ignored;
}

result<public_key_set> public_key_set::parse(std::string_view jwks_json) {
    const clear_openssl_errors clear;
    boost::system::error_code ec;
    const json::value doc = json::parse(jwks_json, ec);
    if (ec || !doc.is_object()) return errc::invalid_key_set;
    const auto* keys = doc.get_object().if_contains("keys");
    if (!keys || !keys->is_array()) return errc::invalid_key_set;

    auto out = std::make_shared<impl>();
    for (const json::value& entry : keys->get_array()) {
        if (!entry.is_object()) {
            out->ignored.push_back({{}, "not a JSON object"});
            continue;
        }
        const json::object& jwk = entry.get_object();
        const auto* kid_value = jwk.if_contains("kid");
        const auto* alg_value = jwk.if_contains("alg");
        const auto kid = string_member(jwk, "kid").value_or("");
        auto ignore = [&](std::string reason) {
            out->ignored.push_back({std::string(kid), std::move(reason)});
        };
        if ((kid_value && !kid_value->is_string()) || (alg_value && !alg_value->is_string())) {
            ignore("kid or alg is not a string");
            continue;
        }
        if (const auto* use = jwk.if_contains("use");
            use && !(use->is_string() && use->get_string() == "sig")) {
            ignore("use is not \"sig\"");
            continue;
        }
        if (const auto* ops = jwk.if_contains("key_ops")) {
            const auto is_verify = [](const json::value& op) {
                return op.is_string() && op.get_string() == "verify";
            };
            if (!ops->is_array() ||
                std::none_of(ops->get_array().begin(), ops->get_array().end(), is_verify)) {
                ignore("key_ops without \"verify\"");
                continue;
            }
        }
        const auto kty = string_member(jwk, "kty");
        key_or_reason parsed;
        key_type type{};
        if (kty == "RSA") {
            parsed = rsa_key(jwk);
            type = key_type::rsa;
        } else if (kty == "EC") {
            parsed = ec_key(jwk);
            type = key_type::ec_p256;
        } else {
            ignore("kty is not RSA or EC");
            continue;
        }
        if (!parsed.key) {
            ignore(std::move(parsed.reason));
            continue;
        }
        out->keys.push_back(
            {std::string(kid),
             std::string(string_member(jwk, "alg").value_or("")),
             type,
             std::move(parsed.key)}
        );
    }
    return public_key_set{std::move(out)};
}

// --- verify_compact_jws ----------------------------------------------------------------------

result<verified_jws> verify_compact_jws(
    std::string_view token, const public_key_set& keys, std::span<const std::string_view> allowed_algs
) {
    const clear_openssl_errors clear;
    const auto first_dot = token.find('.');
    const auto second_dot = first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
    if (second_dot == std::string_view::npos || token.find('.', second_dot + 1) != std::string_view::npos)
        return errc::malformed;
    const auto signing_input = token.substr(0, second_dot);
    const auto header_raw = base64url_decode(token.substr(0, first_dot));
    auto payload = base64url_decode(token.substr(first_dot + 1, second_dot - first_dot - 1));
    const auto signature = base64url_decode(token.substr(second_dot + 1));
    if (!header_raw || !payload || !signature) return errc::malformed;

    // Boost.JSON keeps the last of duplicate members, which RFC 7515 section 5.2 allows.
    boost::system::error_code ec;
    json::value header = json::parse(*header_raw, ec);
    if (ec || !header.is_object()) return errc::malformed;
    json::object& h = header.get_object();
    const auto alg = string_member(h, "alg");
    const auto* kid_value = h.if_contains("kid");
    if (!alg || (kid_value && !kid_value->is_string())) return errc::malformed;
    // We understand no extension, and RFC 7515 section 4.1.11 says to refuse what we do not.
    if (h.contains("crit")) return errc::malformed;

    const auto algo = supported_algorithm(*alg);
    if (!algo || std::find(allowed_algs.begin(), allowed_algs.end(), *alg) == allowed_algs.end())
        return errc::algorithm_not_allowed;

    const auto& all = keys.impl_->keys;
    auto verified = [&](const public_key& k) -> result<verified_jws> {
        return verified_jws{std::move(h), std::move(*payload), k.kid, std::string(*alg)};
    };

    if (kid_value) {
        const std::string_view kid = kid_value->get_string();
        bool kid_listed = false;
        bool kid_fits = false;
        for (const public_key& k : all) {
            if (k.kid != kid) continue;
            kid_listed = true;
            if (!fits(k, *algo, *alg)) continue;
            kid_fits = true;
            // Only keys sharing the kid are tried, for an IdP that lists one kid twice.
            if (verify_with(k, *algo, signing_input, *signature)) return verified(k);
        }
        if (kid_fits) return errc::bad_signature;
        if (kid_listed) return errc::key_type_mismatch;
        const auto& ignored = keys.impl_->ignored;
        if (std::any_of(ignored.begin(), ignored.end(), [&](const ignored_key& i) { return i.kid == kid; }))
            return errc::key_unusable;
        return errc::unknown_key;
    }

    const public_key* only = nullptr;
    for (const public_key& k : all) {
        if (!fits(k, *algo, *alg)) continue;
        if (only) return errc::ambiguous_key;
        only = &k;
    }
    if (!only) return errc::unknown_key;
    if (!verify_with(*only, *algo, signing_input, *signature)) return errc::bad_signature;
    return verified(*only);
}

// --- signing_key -----------------------------------------------------------------------------

namespace {

json::object p256_public_jwk(EVP_PKEY* key) {
    BIGNUM* x_raw = nullptr;
    BIGNUM* y_raw = nullptr;
    const int got_x = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x_raw);
    const bn_ptr x{x_raw};
    const int got_y = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y_raw);
    const bn_ptr y{y_raw};
    if (got_x != 1 || got_y != 1) throw std::runtime_error("cannot read the EC public key");
    return json::object{
        {"kty", "EC"},
        {"crv", "P-256"},
        {"x", base64url_encode(to_fixed_bytes(x.get(), p256_coordinate_size))},
        {"y", base64url_encode(to_fixed_bytes(y.get(), p256_coordinate_size))},
    };
}

}  // namespace

struct signing_key::impl {
    explicit impl(pkey_ptr k)
        : key(std::move(k)),
          public_jwk(p256_public_jwk(key.get())),
          // Our own key always has kty, crv, x and y, so the thumbprint cannot fail.
          kid(jwk_thumbprint(public_jwk).value()) {
        public_jwk["kid"] = kid;
        public_jwk["alg"] = "ES256";
        public_jwk["use"] = "sig";
    }

    pkey_ptr key;
    json::object public_jwk;
    std::string kid;
};

signing_key::signing_key(std::shared_ptr<const impl> key) : impl_(std::move(key)) {}

signing_key signing_key::generate() {
    const clear_openssl_errors clear;
    const pkey_ctx_ptr ctx{EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr)};
    EVP_PKEY* key = nullptr;
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_group_name(ctx.get(), "P-256") != 1 || EVP_PKEY_generate(ctx.get(), &key) != 1)
        throw std::runtime_error("P-256 key generation failed");
    return signing_key{std::make_shared<impl>(pkey_ptr{key})};
}

signing_key signing_key::from_pem(std::string_view pkcs8_pem) {
    const clear_openssl_errors clear;
    const bio_ptr bio{BIO_new_mem_buf(pkcs8_pem.data(), static_cast<int>(pkcs8_pem.size()))};
    if (!bio) throw std::bad_alloc{};
    // With no callback OpenSSL would ask for a passphrase on the terminal.
    auto no_passphrase = [](char*, int, int, void*) -> int { return -1; };
    pkey_ptr key{PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr)};
    if (!key) throw std::invalid_argument("not an unencrypted private key PEM");
    std::array<char, 64> group{};
    std::size_t group_size = 0;
    if (!EVP_PKEY_is_a(key.get(), "EC") ||
        EVP_PKEY_get_utf8_string_param(
            key.get(), OSSL_PKEY_PARAM_GROUP_NAME, group.data(), group.size(), &group_size
        ) != 1)
        throw std::invalid_argument("the private key is not an EC key");
    const std::string_view name{group.data(), group_size};
    if (name != "prime256v1" && name != "P-256")
        throw std::invalid_argument("the EC private key is not on P-256");
    return signing_key{std::make_shared<impl>(std::move(key))};
}

std::string signing_key::private_pem() const {
    const clear_openssl_errors clear;
    const bio_ptr bio{BIO_new(BIO_s_mem())};
    if (!bio ||
        PEM_write_bio_PrivateKey(bio.get(), impl_->key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
        throw std::runtime_error("cannot write the private key PEM");
    char* data = nullptr;
    const long size = BIO_ctrl(bio.get(), BIO_CTRL_INFO, 0, &data);  // BIO_get_mem_data
    if (size <= 0 || !data) throw std::runtime_error("cannot write the private key PEM");
    return std::string(data, static_cast<std::size_t>(size));
}

const std::string& signing_key::kid() const noexcept {
    return impl_->kid;
}

json::object signing_key::public_jwk() const {
    return impl_->public_jwk;
}

std::string signing_key::sign_compact(const json::object& header_extra, std::string_view payload_json) const {
    if (header_extra.contains("alg") || header_extra.contains("kid"))
        throw std::invalid_argument("header_extra must not set alg or kid");
    json::object header{{"alg", "ES256"}, {"kid", impl_->kid}};
    for (const auto& member : header_extra) header.emplace(member.key(), member.value());
    std::string out = base64url_encode(json::serialize(header));
    out += '.';
    out += base64url_encode(payload_json);

    const clear_openssl_errors clear;
    const md_ctx_ptr ctx{EVP_MD_CTX_new()};
    if (!ctx) throw std::bad_alloc{};
    std::size_t der_size = 0;
    if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, impl_->key.get()) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &der_size, bytes(out), out.size()) != 1)
        throw std::runtime_error("ES256 signing failed");
    std::string der(der_size, '\0');
    if (EVP_DigestSign(ctx.get(), bytes(der), &der_size, bytes(out), out.size()) != 1)
        throw std::runtime_error("ES256 signing failed");
    der.resize(der_size);

    const unsigned char* in = bytes(std::string_view{der});
    const ecdsa_sig_ptr sig{d2i_ECDSA_SIG(nullptr, &in, static_cast<long>(der.size()))};
    if (!sig) throw std::runtime_error("ES256 signing gave an unreadable signature");
    const BIGNUM* r = nullptr;
    const BIGNUM* s = nullptr;
    ECDSA_SIG_get0(sig.get(), &r, &s);
    // (r, n - s) verifies as well as (r, s). Our receipts use the low-S one, so each receipt has
    // one signature and verifiers that insist on low S (as some do, against malleability) accept it.
    const bn_ptr order = to_bignum(p256_order);
    bn_ptr half{BN_dup(order.get())};
    bn_ptr low{BN_new()};
    if (!half || !low || BN_rshift1(half.get(), half.get()) != 1) throw std::bad_alloc{};
    if (BN_cmp(s, half.get()) > 0) {
        if (BN_sub(low.get(), order.get(), s) != 1) throw std::runtime_error("ES256 signing: low-S failed");
        s = low.get();
    }
    out += '.';
    out +=
        base64url_encode(to_fixed_bytes(r, p256_coordinate_size) + to_fixed_bytes(s, p256_coordinate_size));
    return out;
}

// --- free functions --------------------------------------------------------------------------

result<std::string> jwk_thumbprint(const json::object& jwk) {
    // RFC 7638 section 3.2: the required members only, in lexicographic order, no whitespace.
    static constexpr std::array<std::string_view, 3> ec{"crv", "x", "y"};
    static constexpr std::array<std::string_view, 2> rsa{"e", "n"};
    static constexpr std::array<std::string_view, 1> oct{"k"};
    static constexpr std::array<std::string_view, 2> okp{"crv", "x"};
    const auto kty = string_member(jwk, "kty");
    std::span<const std::string_view> others;
    if (kty == "EC")
        others = ec;
    else if (kty == "RSA")
        others = rsa;
    else if (kty == "oct")
        others = oct;
    else if (kty == "OKP")
        others = okp;
    else
        return errc::invalid_key;

    std::vector<std::string_view> names(others.begin(), others.end());
    names.push_back("kty");
    std::sort(names.begin(), names.end());
    std::string canonical = "{";
    for (const std::string_view name : names) {
        const auto value = string_member(jwk, name);
        if (!value) return errc::invalid_key;
        if (canonical.size() > 1) canonical += ',';
        canonical += serialize_string(name);
        canonical += ':';
        canonical += serialize_string(*value);
    }
    canonical += '}';
    return base64url_encode(sha256(canonical));
}

std::string jwks_json(std::span<const json::object> public_jwks) {
    json::array keys;
    keys.reserve(public_jwks.size());
    for (const json::object& jwk : public_jwks) keys.push_back(jwk);
    json::object doc;
    doc["keys"] = std::move(keys);
    return json::serialize(doc);
}

std::string pkce_challenge_s256(std::string_view verifier) {
    return base64url_encode(sha256(verifier));
}

std::string new_pkce_verifier() {
    return base64url_encode(random_bytes(32));
}

}  // namespace chal::crypto::jose
