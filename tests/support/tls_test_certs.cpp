#include "tests/support/tls_test_certs.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/context.hpp>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <stdexcept>

namespace chal::testing {

namespace {

struct pkey_free {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct x509_free {
    void operator()(X509* p) const { X509_free(p); }
};
struct bio_free {
    void operator()(BIO* p) const { BIO_free(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;
using x509_ptr = std::unique_ptr<X509, x509_free>;
using bio_ptr = std::unique_ptr<BIO, bio_free>;

void check(bool ok, const char* what) {
    if (!ok) {
        throw std::runtime_error(std::string("test certificate generation failed: ") + what);
    }
}

pkey_ptr make_key() {
    pkey_ptr key{EVP_EC_gen("P-256")};
    check(key != nullptr, "EVP_EC_gen");
    return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    check(ext != nullptr, "X509V3_EXT_conf_nid");
    const int added = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    check(added == 1, "X509_add_ext");
}

// Subject CN=`common_name`; issuer is `issuer` (nullptr: self-signed).
x509_ptr make_certificate(EVP_PKEY* key, const std::string& common_name, X509* issuer, long serial) {
    x509_ptr cert{X509_new()};
    check(cert != nullptr, "X509_new");
    check(X509_set_version(cert.get(), 2) == 1, "X509_set_version");
    check(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial) == 1, "serial");
    check(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr, "notBefore");
    check(X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24L * 3600) != nullptr, "notAfter");
    check(X509_set_pubkey(cert.get(), key) == 1, "X509_set_pubkey");
    X509_NAME* name = X509_get_subject_name(cert.get());
    check(
        X509_NAME_add_entry_by_txt(
            name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0
        ) == 1,
        "CN"
    );
    X509* issuer_cert = issuer != nullptr ? issuer : cert.get();
    check(X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer_cert)) == 1, "issuer");
    return cert;
}

std::string to_pem(X509* cert) {
    bio_ptr bio{BIO_new(BIO_s_mem())};
    check(bio != nullptr && PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509");
    std::string out(BIO_ctrl_pending(bio.get()), '\0');
    check(
        BIO_read(bio.get(), out.data(), static_cast<int>(out.size())) == static_cast<int>(out.size()),
        "BIO_read"
    );
    return out;
}

std::string to_pem(EVP_PKEY* key) {
    bio_ptr bio{BIO_new(BIO_s_mem())};
    check(
        bio != nullptr &&
            PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM_write_bio_PrivateKey"
    );
    std::string out(BIO_ctrl_pending(bio.get()), '\0');
    check(
        BIO_read(bio.get(), out.data(), static_cast<int>(out.size())) == static_cast<int>(out.size()),
        "BIO_read"
    );
    return out;
}

}  // namespace

test_certificates make_test_certificates(std::string_view dns_name, std::vector<std::string> ip_sans) {
    const auto ca_key = make_key();
    auto ca = make_certificate(ca_key.get(), "chal test CA", nullptr, 1);
    add_extension(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE");
    add_extension(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
    add_extension(ca.get(), ca.get(), NID_subject_key_identifier, "hash");
    check(X509_sign(ca.get(), ca_key.get(), EVP_sha256()) > 0, "X509_sign CA");

    const auto server_key = make_key();
    auto leaf = make_certificate(server_key.get(), std::string(dns_name), ca.get(), 2);
    std::string san = "DNS:" + std::string(dns_name);
    for (const auto& ip : ip_sans) {
        san += ",IP:" + ip;
    }
    add_extension(leaf.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
    add_extension(leaf.get(), ca.get(), NID_key_usage, "critical,digitalSignature");
    add_extension(leaf.get(), ca.get(), NID_ext_key_usage, "serverAuth");
    add_extension(leaf.get(), ca.get(), NID_subject_alt_name, san);
    add_extension(leaf.get(), ca.get(), NID_authority_key_identifier, "keyid");
    check(X509_sign(leaf.get(), ca_key.get(), EVP_sha256()) > 0, "X509_sign leaf");

    return {to_pem(ca.get()), to_pem(leaf.get()), to_pem(server_key.get())};
}

std::unique_ptr<boost::asio::ssl::context> make_server_tls_context(const test_certificates& certs) {
    auto ctx = std::make_unique<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
    ctx->use_certificate_chain(boost::asio::buffer(certs.server_cert_pem));
    ctx->use_private_key(boost::asio::buffer(certs.server_key_pem), boost::asio::ssl::context::pem);
    return ctx;
}

}  // namespace chal::testing
