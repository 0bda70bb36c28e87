#include "app/crypto/jose.hpp"

#include "app/crypto/crypto.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>
#include <openssl/err.h>

#include <array>
#include <stdexcept>
#include <string>
#include <string_view>

namespace jose = chal::crypto::jose;
using chal::crypto::base64url_decode;
using chal::crypto::base64url_encode;

namespace {

// RFC 7515 Appendix A.2 (RS256) and A.3 (ES256): the same payload, signed by the RFC's keys.
constexpr std::string_view rfc_payload_b64 =
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
constexpr std::string_view rfc_payload =
    "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";

constexpr std::string_view a2_header_b64 = "eyJhbGciOiJSUzI1NiJ9";  // {"alg":"RS256"}
constexpr std::string_view a2_signature_b64 =
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujG"
    "bds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K"
    "0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6"
    "LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
constexpr std::string_view a2_n =
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4Ql"
    "L-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUs"
    "LA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoud"
    "F8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";

constexpr std::string_view a3_header_b64 = "eyJhbGciOiJFUzI1NiJ9";  // {"alg":"ES256"}
constexpr std::string_view a3_signature_b64 =
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
constexpr std::string_view a3_x = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
constexpr std::string_view a3_y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";

constexpr std::array<std::string_view, 2> rs_and_es{"RS256", "ES256"};

std::string rsa_jwk(std::string_view kid, std::string_view n = a2_n) {
    std::string out = R"({"kty":"RSA","e":"AQAB","n":")" + std::string(n) + "\"";
    if (!kid.empty()) out += R"(,"kid":")" + std::string(kid) + "\"";
    return out + "}";
}

std::string ec_jwk(std::string_view kid, std::string_view y = a3_y) {
    std::string out =
        R"({"kty":"EC","crv":"P-256","x":")" + std::string(a3_x) + R"(","y":")" + std::string(y) + "\"";
    if (!kid.empty()) out += R"(,"kid":")" + std::string(kid) + "\"";
    return out + "}";
}

jose::public_key_set key_set(const std::string& jwks) {
    auto parsed = jose::public_key_set::parse(jwks);
    if (!parsed) throw std::runtime_error("test JWKS did not parse: " + parsed.error().message());
    return *parsed;
}

jose::public_key_set key_set_of(const std::string& jwk) {
    return key_set(R"({"keys":[)" + jwk + "]}");
}

std::string token(std::string_view header_b64, std::string_view payload_b64, std::string_view signature_b64) {
    return std::string(header_b64) + "." + std::string(payload_b64) + "." + std::string(signature_b64);
}

std::string encoded_header(std::string_view header_json) {
    return base64url_encode(header_json);
}

// Flips one bit of the decoded signature, so the text stays valid base64url.
std::string with_signature_bit_flipped(std::string_view compact) {
    const auto dot = compact.rfind('.');
    std::string raw = *base64url_decode(compact.substr(dot + 1));
    raw[raw.size() / 2] = static_cast<char>(raw[raw.size() / 2] ^ 0x01);
    return std::string(compact.substr(0, dot + 1)) + base64url_encode(raw);
}

jose::errc verify_error(std::string_view compact, const jose::public_key_set& keys) {
    const auto result = jose::verify_compact_jws(compact, keys, rs_and_es);
    if (result) throw std::runtime_error("expected verification to fail");
    return static_cast<jose::errc>(result.error().value());
}

}  // namespace

TEST(verify_compact_jws, accepts_the_rfc_7515_rs256_example) {
    const auto keys = key_set_of(rsa_jwk("2010-12-29"));
    const auto verified =
        jose::verify_compact_jws(token(a2_header_b64, rfc_payload_b64, a2_signature_b64), keys, rs_and_es);
    ASSERT_TRUE(verified) << verified.error().message();
    EXPECT_EQ(verified->alg, "RS256");
    EXPECT_EQ(verified->kid, "2010-12-29");  // the header had none; the only RSA key was used
    EXPECT_EQ(verified->payload, rfc_payload);
    EXPECT_EQ(verified->header.at("alg").as_string(), "RS256");
}

TEST(verify_compact_jws, accepts_the_rfc_7515_es256_example) {
    const auto keys = key_set_of(ec_jwk(""));
    const auto verified =
        jose::verify_compact_jws(token(a3_header_b64, rfc_payload_b64, a3_signature_b64), keys, rs_and_es);
    ASSERT_TRUE(verified) << verified.error().message();
    EXPECT_EQ(verified->alg, "ES256");
    EXPECT_EQ(verified->payload, rfc_payload);
}

TEST(verify_compact_jws, picks_the_one_key_that_fits_a_header_without_kid) {
    const auto keys = key_set(R"({"keys":[)" + rsa_jwk("rsa-1") + "," + ec_jwk("ec-1") + "]}");
    const auto rs =
        jose::verify_compact_jws(token(a2_header_b64, rfc_payload_b64, a2_signature_b64), keys, rs_and_es);
    const auto es =
        jose::verify_compact_jws(token(a3_header_b64, rfc_payload_b64, a3_signature_b64), keys, rs_and_es);
    ASSERT_TRUE(rs);
    ASSERT_TRUE(es);
    EXPECT_EQ(rs->kid, "rsa-1");
    EXPECT_EQ(es->kid, "ec-1");
}

TEST(verify_compact_jws, refuses_a_header_without_kid_when_several_keys_fit) {
    const auto other = jose::signing_key::generate().public_jwk();
    const auto keys = key_set(R"({"keys":[)" + ec_jwk("") + "," + boost::json::serialize(other) + "]}");
    EXPECT_EQ(
        verify_error(token(a3_header_b64, rfc_payload_b64, a3_signature_b64), keys), jose::errc::ambiguous_key
    );
}

TEST(verify_compact_jws, finds_the_key_by_kid) {
    const auto keys = key_set(R"({"keys":[)" + ec_jwk("ec-1") + "," + rsa_jwk("rsa-1") + "]}");
    const auto header = encoded_header(R"({"alg":"RS256","kid":"rsa-1"})");
    // The RFC signature covers the RFC header, so with our header it no longer verifies; that
    // it reaches the signature check shows the kid found the RSA key.
    EXPECT_EQ(
        verify_error(token(header, rfc_payload_b64, a2_signature_b64), keys), jose::errc::bad_signature
    );
}

TEST(verify_compact_jws, refuses_a_flipped_signature_bit) {
    const auto keys = key_set(R"({"keys":[)" + rsa_jwk("rsa-1") + "," + ec_jwk("ec-1") + "]}");
    EXPECT_EQ(
        verify_error(
            with_signature_bit_flipped(token(a2_header_b64, rfc_payload_b64, a2_signature_b64)), keys
        ),
        jose::errc::bad_signature
    );
    EXPECT_EQ(
        verify_error(
            with_signature_bit_flipped(token(a3_header_b64, rfc_payload_b64, a3_signature_b64)), keys
        ),
        jose::errc::bad_signature
    );
}

TEST(verify_compact_jws, refuses_a_changed_payload) {
    const auto keys = key_set_of(rsa_jwk("rsa-1"));
    const auto payload =
        base64url_encode(R"({"iss":"joe","exp":1300819380,"http://example.com/is_root":false})");
    EXPECT_EQ(verify_error(token(a2_header_b64, payload, a2_signature_b64), keys), jose::errc::bad_signature);
}

TEST(verify_compact_jws, refuses_alg_none_and_hmac_even_when_allowed) {
    const auto keys = key_set_of(rsa_jwk("rsa-1"));
    constexpr std::array<std::string_view, 4> careless{"none", "HS256", "RS256", "ES256"};
    const auto none = token(encoded_header(R"({"alg":"none"})"), rfc_payload_b64, "");
    const auto hs256 =
        token(encoded_header(R"({"typ":"JWT","alg":"HS256"})"), rfc_payload_b64, "dBjftJeZ4CVP");
    const auto ps256 = token(encoded_header(R"({"alg":"PS256"})"), rfc_payload_b64, a2_signature_b64);
    for (const auto& t : {none, hs256, ps256}) {
        const auto result = jose::verify_compact_jws(t, keys, careless);
        ASSERT_FALSE(result) << t;
        EXPECT_EQ(result.error(), jose::errc::algorithm_not_allowed) << t;
    }
}

TEST(verify_compact_jws, refuses_an_algorithm_the_caller_did_not_allow) {
    const auto keys = key_set_of(rsa_jwk("rsa-1"));
    constexpr std::array<std::string_view, 1> es256_only{"ES256"};
    const auto result =
        jose::verify_compact_jws(token(a2_header_b64, rfc_payload_b64, a2_signature_b64), keys, es256_only);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error(), jose::errc::algorithm_not_allowed);
}

TEST(verify_compact_jws, reports_an_unknown_kid_distinctly_so_the_caller_can_refetch) {
    const auto keys = key_set_of(rsa_jwk("rsa-1"));
    const auto header = encoded_header(R"({"alg":"RS256","kid":"rotated-in"})");
    const auto result =
        jose::verify_compact_jws(token(header, rfc_payload_b64, a2_signature_b64), keys, rs_and_es);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error(), jose::errc::unknown_key);
    EXPECT_EQ(result.error(), jose::make_error_code(jose::errc::unknown_key));
    EXPECT_EQ(
        verify_error(token(a3_header_b64, rfc_payload_b64, a3_signature_b64), keys), jose::errc::unknown_key
    );
}

TEST(verify_compact_jws, refuses_a_key_of_the_wrong_type_for_the_alg) {
    const auto keys = key_set_of(rsa_jwk("shared-kid"));
    const auto header = encoded_header(R"({"alg":"ES256","kid":"shared-kid"})");
    EXPECT_EQ(
        verify_error(token(header, rfc_payload_b64, a3_signature_b64), keys), jose::errc::key_type_mismatch
    );
}

TEST(verify_compact_jws, refuses_a_key_whose_own_alg_differs) {
    const auto keys =
        key_set_of(R"({"kty":"RSA","kid":"k","alg":"RS512","e":"AQAB","n":")" + std::string(a2_n) + "\"}");
    const auto header = encoded_header(R"({"alg":"RS256","kid":"k"})");
    EXPECT_EQ(
        verify_error(token(header, rfc_payload_b64, a2_signature_b64), keys), jose::errc::key_type_mismatch
    );
}

TEST(verify_compact_jws, refuses_es256_signatures_that_are_not_64_bytes) {
    const auto keys = key_set_of(ec_jwk(""));
    std::string raw = *base64url_decode(a3_signature_b64);
    EXPECT_EQ(
        verify_error(token(a3_header_b64, rfc_payload_b64, base64url_encode(raw.substr(1))), keys),
        jose::errc::bad_signature
    );
    EXPECT_EQ(
        verify_error(
            token(a3_header_b64, rfc_payload_b64, base64url_encode(std::string(1, '\0') + raw)), keys
        ),
        jose::errc::bad_signature
    );
}

TEST(verify_compact_jws, refuses_malformed_tokens) {
    const auto keys = key_set_of(rsa_jwk("rsa-1"));
    const std::string good = token(a2_header_b64, rfc_payload_b64, a2_signature_b64);
    for (const std::string& t : {
             std::string(""),
             std::string(a2_header_b64) + "." + std::string(rfc_payload_b64),
             good + ".x",
             good + "=",                                                         // padding
             "eyJhbGciOiJSUzI1NiJ9+." + std::string(rfc_payload_b64) + ".AAAA",  // not the URL alphabet
             token(a2_header_b64, "e31", a2_signature_b64),                      // "{}" with stray low bits
             token(encoded_header("[\"alg\",\"RS256\"]"), rfc_payload_b64, "AAAA"),  // not an object
             token(encoded_header(R"({"alg":"RS256")"), rfc_payload_b64, "AAAA"),    // not JSON
             token(encoded_header(R"({"alg":256})"), rfc_payload_b64, "AAAA"),
             token(encoded_header(R"({"alg":"RS256","kid":7})"), rfc_payload_b64, "AAAA"),
             token(encoded_header(R"({"alg":"RS256","crit":["exp"],"exp":1})"), rfc_payload_b64, "AAAA"),
         }) {
        const auto result = jose::verify_compact_jws(t, keys, rs_and_es);
        ASSERT_FALSE(result) << t;
        EXPECT_EQ(result.error(), jose::errc::malformed) << t;
    }
}

TEST(public_key_set, refuses_a_document_without_a_keys_array) {
    for (std::string_view doc : {"", "not json", "[]", R"({"keys":{}})", R"({"key":[]})"}) {
        const auto parsed = jose::public_key_set::parse(doc);
        ASSERT_FALSE(parsed) << doc;
        EXPECT_EQ(parsed.error(), jose::errc::invalid_key_set) << doc;
    }
    const auto empty = jose::public_key_set::parse(R"({"keys":[]})");
    ASSERT_TRUE(empty);
    EXPECT_EQ(empty->size(), 0u);
}

TEST(public_key_set, skips_keys_it_cannot_use_without_failing) {
    const auto keys = key_set(
        R"({"keys":[)" + rsa_jwk("good") +  //
        R"(,{"kty":"RSA","kid":"enc","use":"enc","e":"AQAB","n":")" + std::string(a2_n) + "\"}" +
        R"(,{"kty":"OKP","kid":"ed","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})" +
        R"(,{"kty":"EC","kid":"p384","crv":"P-384","x":"AA","y":"AA"})" +
        R"(,{"kty":"oct","kid":"hmac","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ"})" + R"(,"not an object"]})"
    );
    EXPECT_EQ(keys.size(), 1u);
    EXPECT_EQ(keys.ignored().size(), 5u);
    const auto header = encoded_header(R"({"alg":"RS256","kid":"enc"})");
    EXPECT_EQ(verify_error(token(header, rfc_payload_b64, a2_signature_b64), keys), jose::errc::key_unusable);
}

TEST(public_key_set, refuses_rsa_keys_shorter_than_2048_bits) {
    // The RFC modulus cut to 1024 bits (kept odd): a well-formed but weak public key.
    std::string n = base64url_decode(a2_n)->substr(0, 128);
    n.back() = static_cast<char>(n.back() | 1);
    const auto keys = key_set_of(rsa_jwk("weak", base64url_encode(n)));
    EXPECT_EQ(keys.size(), 0u);
    ASSERT_EQ(keys.ignored().size(), 1u);
    EXPECT_EQ(keys.ignored()[0].kid, "weak");
    EXPECT_EQ(keys.ignored()[0].reason, "RSA modulus under 2048 bits");
    const auto header = encoded_header(R"({"alg":"RS256","kid":"weak"})");
    EXPECT_EQ(verify_error(token(header, rfc_payload_b64, a2_signature_b64), keys), jose::errc::key_unusable);
}

TEST(public_key_set, refuses_ec_points_off_the_curve) {
    std::string y = *base64url_decode(a3_y);
    y.back() = static_cast<char>(y.back() ^ 0x01);
    const auto keys = key_set_of(ec_jwk("bent", base64url_encode(y)));
    EXPECT_EQ(keys.size(), 0u);
    ASSERT_EQ(keys.ignored().size(), 1u);
    EXPECT_EQ(keys.ignored()[0].reason, "EC point not on P-256");
}

TEST(public_key_set, refuses_ec_coordinates_of_the_wrong_length) {
    const auto keys = key_set_of(ec_jwk("short", base64url_encode(base64url_decode(a3_y)->substr(1))));
    EXPECT_EQ(keys.size(), 0u);
}

// app/http reads OpenSSL's per-thread error queue after TLS calls; our refusals must not
// leave entries there for it to misread.
TEST(openssl_error_queue, is_left_empty_by_refusals) {
    ERR_clear_error();
    std::string y = *base64url_decode(a3_y);
    y.back() = static_cast<char>(y.back() ^ 0x01);
    const auto bent = key_set_of(ec_jwk("bent", base64url_encode(y)));
    EXPECT_EQ(ERR_peek_error(), 0u);
    const auto keys = key_set_of(ec_jwk(""));
    const auto short_signature = base64url_encode(base64url_decode(a3_signature_b64)->substr(0, 63));
    EXPECT_FALSE(
        jose::verify_compact_jws(token(a3_header_b64, rfc_payload_b64, short_signature), keys, rs_and_es)
    );
    EXPECT_FALSE(jose::verify_compact_jws(
        with_signature_bit_flipped(token(a3_header_b64, rfc_payload_b64, a3_signature_b64)), keys, rs_and_es
    ));
    EXPECT_THROW(
        jose::signing_key::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
        std::invalid_argument
    );
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(signing_key, signs_tokens_that_verify_through_its_published_jwks) {
    const auto key = jose::signing_key::generate();
    const std::array<boost::json::object, 1> published{key.public_jwk()};
    const auto keys = key_set(jose::jwks_json(published));
    const std::string claims = R"({"challenge_id":"c-1","result":"verified"})";
    const auto compact = key.sign_compact({{"typ", "verification-receipt+jwt"}}, claims);

    const auto verified = jose::verify_compact_jws(compact, keys, rs_and_es);
    ASSERT_TRUE(verified) << verified.error().message();
    EXPECT_EQ(verified->payload, claims);
    EXPECT_EQ(verified->kid, key.kid());
    EXPECT_EQ(verified->header.at("alg").as_string(), "ES256");
    EXPECT_EQ(verified->header.at("kid").as_string(), key.kid());
    EXPECT_EQ(verified->header.at("typ").as_string(), "verification-receipt+jwt");
    EXPECT_EQ(base64url_decode(compact.substr(compact.rfind('.') + 1))->size(), 64u);
    EXPECT_EQ(verify_error(with_signature_bit_flipped(compact), keys), jose::errc::bad_signature);
}

TEST(signing_key, always_signs_with_the_low_s_value) {
    // Half the order of P-256, big-endian: n = FFFFFFFF 00000000 FFFFFFFF FFFFFFFF BCE6FAAD ...
    const std::string half_order{
        "\x7f\xff\xff\xff\x80\x00\x00\x00\x7f\xff\xff\xff\xff\xff\xff\xff"
        "\xde\x73\x7d\x56\xd3\x8b\xcf\x42\x79\xdc\xe5\x61\x7e\x31\x92\xa8",
        32};
    const auto key = jose::signing_key::generate();
    const std::array<boost::json::object, 1> published{key.public_jwk()};
    const auto keys = key_set(jose::jwks_json(published));
    // OpenSSL picks s at random: about half of 64 signatures would be high-S without the fix.
    for (int i = 0; i < 64; ++i) {
        const auto compact = key.sign_compact({}, R"({"n":)" + std::to_string(i) + "}");
        const auto signature = *base64url_decode(compact.substr(compact.rfind('.') + 1));
        EXPECT_LE(signature.substr(32), half_order) << "signature " << i;
        EXPECT_TRUE(jose::verify_compact_jws(compact, keys, rs_and_es)) << "signature " << i;
    }
}

TEST(signing_key, publishes_a_p256_signing_jwk_named_by_its_thumbprint) {
    const auto key = jose::signing_key::generate();
    const auto jwk = key.public_jwk();
    EXPECT_EQ(jwk.at("kty").as_string(), "EC");
    EXPECT_EQ(jwk.at("crv").as_string(), "P-256");
    EXPECT_EQ(jwk.at("alg").as_string(), "ES256");
    EXPECT_EQ(jwk.at("use").as_string(), "sig");
    EXPECT_EQ(jwk.at("kid").as_string(), key.kid());
    EXPECT_EQ(jwk.at("x").as_string().size(), 43u);
    EXPECT_EQ(jwk.at("y").as_string().size(), 43u);
    EXPECT_FALSE(jwk.contains("d"));
    EXPECT_EQ(jose::jwk_thumbprint(jwk).value(), key.kid());
    EXPECT_NE(jose::signing_key::generate().kid(), key.kid());
}

TEST(signing_key, round_trips_through_pkcs8_pem) {
    const auto key = jose::signing_key::generate();
    const std::string pem = key.private_pem();
    EXPECT_EQ(pem.rfind("-----BEGIN PRIVATE KEY-----", 0), 0u);
    const auto loaded = jose::signing_key::from_pem(pem);
    EXPECT_EQ(loaded.kid(), key.kid());
    const std::array<boost::json::object, 1> published{key.public_jwk()};
    EXPECT_TRUE(jose::verify_compact_jws(
        loaded.sign_compact({}, "{}"), key_set(jose::jwks_json(published)), rs_and_es
    ));
}

TEST(signing_key, refuses_pem_that_is_not_a_p256_private_key) {
    EXPECT_THROW(jose::signing_key::from_pem("not a pem"), std::invalid_argument);
    EXPECT_THROW(jose::signing_key::from_pem(""), std::invalid_argument);
}

TEST(signing_key, refuses_header_extras_that_would_override_alg_or_kid) {
    const auto key = jose::signing_key::generate();
    EXPECT_THROW(static_cast<void>(key.sign_compact({{"alg", "none"}}, "{}")), std::invalid_argument);
    EXPECT_THROW(static_cast<void>(key.sign_compact({{"kid", "other"}}, "{}")), std::invalid_argument);
}

// RFC 7638 section 3.1.
TEST(jwk_thumbprint, matches_the_rfc_7638_example) {
    const std::string n =
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWK"
        "RXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMic"
        "AtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3"
        "XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
    const boost::json::object jwk{
        {"kty", "RSA"}, {"n", n}, {"e", "AQAB"}, {"alg", "RS256"}, {"kid", "2011-04-29"}};
    EXPECT_EQ(jose::jwk_thumbprint(jwk).value(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

TEST(jwk_thumbprint, refuses_unknown_kty_and_missing_members) {
    EXPECT_EQ(
        jose::jwk_thumbprint(boost::json::parse(R"({"kty":"XYZ"})").as_object()).error(),
        jose::errc::invalid_key
    );
    EXPECT_EQ(
        jose::jwk_thumbprint(boost::json::parse(R"({"kty":"EC","crv":"P-256","x":"AA"})").as_object())
            .error(),
        jose::errc::invalid_key
    );
}

TEST(jwks_json, wraps_the_keys_in_a_keys_array) {
    const std::array<boost::json::object, 2> jwks{
        boost::json::object{{"kty", "EC"}, {"kid", "a"}},
        boost::json::object{{"kty", "EC"}, {"kid", "b"}},
    };
    EXPECT_EQ(jose::jwks_json(jwks), R"({"keys":[{"kty":"EC","kid":"a"},{"kty":"EC","kid":"b"}]})");
}

// RFC 7636 Appendix B.
TEST(pkce, matches_the_rfc_7636_example) {
    EXPECT_EQ(
        jose::pkce_challenge_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
}

TEST(pkce, new_verifiers_are_43_url_safe_characters_and_differ) {
    const auto a = jose::new_pkce_verifier();
    const auto b = jose::new_pkce_verifier();
    EXPECT_EQ(a.size(), 43u);
    EXPECT_EQ(
        a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos
    );
    EXPECT_NE(a, b);
}
