// The SAML SP against a real IdP: Lasso itself in the IdP role, with a throwaway RSA key and
// self-signed certificate made with OpenSSL at test time. The IdP processes the AuthnRequest our
// build_authn_request made and answers with a Response it signs; each refusal test changes one
// thing about that answer.
#include "app/saml/service_provider.hpp"

#include "app/saml/lasso.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unistd.h>
#include <utility>
#include <zlib.h>

namespace chal::saml {
namespace {

using namespace std::chrono_literals;

// --- Throwaway keys -----------------------------------------------------------------------------

struct pkey_free {
    void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
struct x509_free {
    void operator()(X509* p) const noexcept { X509_free(p); }
};
struct bio_free {
    void operator()(BIO* p) const noexcept { BIO_free(p); }
};

void check(bool ok, const char* what) {
    if (!ok) {
        throw std::runtime_error(std::string("test key generation failed: ") + what);
    }
}

std::string read_bio(BIO* bio) {
    std::string out(BIO_ctrl_pending(bio), '\0');
    check(
        BIO_read(bio, out.data(), static_cast<int>(out.size())) == static_cast<int>(out.size()), "BIO_read"
    );
    return out;
}

struct signing_keys {
    std::string key_pem;
    std::string cert_pem;
    std::string cert_base64;  // DER body of the certificate, as metadata carries it
};

// RSA-2048, self-signed, valid from an hour ago for a day.
signing_keys make_signing_keys(const std::string& common_name) {
    std::unique_ptr<EVP_PKEY, pkey_free> key{EVP_RSA_gen(2048)};
    check(key != nullptr, "EVP_RSA_gen");
    std::unique_ptr<X509, x509_free> cert{X509_new()};
    check(cert != nullptr, "X509_new");
    check(X509_set_version(cert.get(), 2) == 1, "version");
    check(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1) == 1, "serial");
    check(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr, "notBefore");
    check(X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24L * 3600) != nullptr, "notAfter");
    check(X509_set_pubkey(cert.get(), key.get()) == 1, "pubkey");
    X509_NAME* name = X509_get_subject_name(cert.get());
    check(
        X509_NAME_add_entry_by_txt(
            name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0
        ) == 1,
        "CN"
    );
    check(X509_set_issuer_name(cert.get(), name) == 1, "issuer");
    check(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0, "X509_sign");

    signing_keys keys;
    std::unique_ptr<BIO, bio_free> key_bio{BIO_new(BIO_s_mem())};
    check(
        PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "key PEM"
    );
    keys.key_pem = read_bio(key_bio.get());
    std::unique_ptr<BIO, bio_free> cert_bio{BIO_new(BIO_s_mem())};
    check(PEM_write_bio_X509(cert_bio.get(), cert.get()) == 1, "cert PEM");
    keys.cert_pem = read_bio(cert_bio.get());
    const std::string_view pem{keys.cert_pem};
    const auto body_begin = pem.find('\n') + 1;
    for (const char c : pem.substr(body_begin, pem.find("-----END") - body_begin)) {
        if (c != '\n') {
            keys.cert_base64 += c;
        }
    }
    return keys;
}

// Key generation takes a moment; each test binary makes the keys once.
const signing_keys& idp_keys() {
    static const signing_keys keys = make_signing_keys("idp.example.test");
    return keys;
}
const signing_keys& other_keys() {
    static const signing_keys keys = make_signing_keys("attacker.example.test");
    return keys;
}

// --- Settings and metadata ----------------------------------------------------------------------

constexpr std::string_view idp_entity = "https://idp.example.test/metadata";
constexpr std::string_view idp_sso_url = "https://idp.example.test/sso";
constexpr std::string_view alice = "alice@example.com";

sp_settings test_sp() {
    return {
        .entity_id = "https://challenge.example.test/saml/metadata",
        .acs_url = "https://challenge.example.test/saml/acs",
        .metadata_url = "https://challenge.example.test/saml/metadata",
    };
}

struct metadata_options {
    std::string entity_id{idp_entity};
    std::optional<std::string> cert_base64 = idp_keys().cert_base64;
    bool redirect_sso = true;
    std::string redirect_sso_url{idp_sso_url};
};

std::string idp_metadata(const metadata_options& o = {}) {
    std::string xml =
        "<?xml version=\"1.0\"?>\n"
        "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" "
        "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" entityID=\"" +
        o.entity_id +
        "\">\n"
        " <md:IDPSSODescriptor WantAuthnRequestsSigned=\"false\" "
        "protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\n";
    if (o.cert_base64) {
        xml += "  <md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>" +
               *o.cert_base64 + "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\n";
    }
    xml += "  <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>\n";
    xml +=
        "  <md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" Location=\"" +
        std::string{idp_sso_url} + "\"/>\n";
    if (o.redirect_sso) {
        xml +=
            "  <md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" "
            "Location=\"" +
            o.redirect_sso_url + "\"/>\n";
    }
    xml += " </md:IDPSSODescriptor>\n</md:EntityDescriptor>\n";
    return xml;
}

idp_settings test_idp() {
    return {.metadata_xml = idp_metadata()};
}

// --- A Lasso IdP ----------------------------------------------------------------------------------

using lasso::gobject_ptr;

char* gstr(std::string_view text) {
    return g_strndup(text.data(), text.size());
}

core::timestamp test_now() {
    return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

// What the IdP puts in its answer. Defaults make a Response our SP accepts at `issued`.
struct answer {
    core::timestamp issued = test_now();
    bool authenticated = true;
    bool sign_response = true;
    bool sign_assertion = true;
    std::string name_id{alice};
    std::optional<std::string> assertion_issuer;  // default: the IdP entity id
    std::string audience = test_sp().entity_id;
    std::string recipient = test_sp().acs_url;
    std::optional<std::string> in_response_to;         // default: the AuthnRequest's ID
    std::chrono::seconds lifetime = 5min;              // NotOnOrAfter = issued + lifetime
    LassoSignatureMethod signature_method = LASSO_SIGNATURE_METHOD_RSA_SHA256;
    std::function<void(LassoSaml2Assertion&)> change;  // applied last, before signing
};

LassoSaml2AttributeValue* text_value(std::string_view text) {
    LassoSaml2AttributeValue* value = lasso_saml2_attribute_value_new();
    LassoMiscTextNode* node = lasso_misc_text_node_new_with_string(std::string{text}.c_str());
    node->text_child = TRUE;
    value->any = g_list_append(value->any, node);
    return value;
}

LassoSaml2Attribute* attribute(std::string_view name, std::initializer_list<std::string_view> values) {
    auto* attr = reinterpret_cast<LassoSaml2Attribute*>(lasso_saml2_attribute_new());
    attr->Name = gstr(name);
    attr->NameFormat = gstr(LASSO_SAML2_ATTRIBUTE_NAME_FORMAT_BASIC);
    for (const auto value : values) {
        attr->AttributeValue = g_list_append(attr->AttributeValue, text_value(value));
    }
    return attr;
}

// A file that lives as long as this object (mkstemp in $TMPDIR or /tmp).
class temp_file {
public:
    explicit temp_file(std::string_view content) {
        const char* dir = std::getenv("TMPDIR");
        std::string pattern = std::string{dir != nullptr ? dir : "/tmp"} + "/chal-saml-test-XXXXXX";
        const int fd = mkstemp(pattern.data());
        check(fd >= 0, "mkstemp");
        const bool written =
            write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
        close(fd);
        path_ = std::move(pattern);
        check(written, "write");
    }
    temp_file(temp_file&& other) noexcept : path_{std::exchange(other.path_, {})} {}
    temp_file& operator=(temp_file&&) = delete;
    ~temp_file() {
        if (!path_.empty()) {
            std::remove(path_.c_str());
        }
    }
    const std::string& path() const noexcept { return path_; }

private:
    std::string path_;
};

class lasso_idp {
public:
    explicit lasso_idp(
        const signing_keys& keys = idp_keys(),
        std::string entity_id = std::string{idp_entity},
        const sp_settings& sp = test_sp()
    )
        : entity_id_{std::move(entity_id)}, certificate_{keys.cert_pem} {
        lasso::ensure_initialized();  // the IdP may be the first Lasso user in the process
        const std::string metadata = idp_metadata({.entity_id = entity_id_, .cert_base64 = keys.cert_base64});
        // The certificate goes into each signature's KeyInfo, as real IdPs do. It is given as a
        // file: Lasso hands it to xmlSecOpenSSLAppKeyCertLoad, which tries it as a path first
        // and, in xmlsec 1.2.37, leaks a BIO when that path does not exist.
        server_.reset(lasso_server_new_from_buffers(
            metadata.c_str(), keys.key_pem.c_str(), nullptr, certificate_.path().c_str()
        ));
        if (server_ == nullptr) {
            throw std::runtime_error("IdP LassoServer");
        }
        // Lasso 2.8 signs with RSA-SHA1 by default; IdPs today use SHA-256.
        server_->signature_method = LASSO_SIGNATURE_METHOD_RSA_SHA256;
        const std::string sp_metadata = sp_metadata_xml(sp);
        if (lasso_server_add_provider_from_buffer(
                server_.get(), LASSO_PROVIDER_ROLE_SP, sp_metadata.c_str(), nullptr, nullptr
            ) != 0) {
            throw std::runtime_error("IdP could not load the SP metadata");
        }
    }

    // What the IdP saw in the AuthnRequest.
    struct seen_request {
        bool must_authenticate = false;
        std::string relay_state;
    };

    // Processes the redirect URL our SP built and returns the base64 SAMLResponse it POSTs.
    std::string respond(const std::string& redirect_url, const answer& a = {}, seen_request* seen = nullptr) {
        const gobject_ptr<LassoLogin> login{lasso_login_new(server_.get())};
        LassoProfile* profile = &login->parent;
        const std::string query = redirect_url.substr(redirect_url.find('?') + 1);
        if (lasso_login_process_authn_request_msg(login.get(), query.c_str()) != 0) {
            throw std::runtime_error("IdP refused the AuthnRequest");
        }
        if (seen != nullptr) {
            seen->must_authenticate = lasso_login_must_authenticate(login.get()) != FALSE;
            seen->relay_state = profile->msg_relayState == nullptr ? "" : profile->msg_relayState;
        }
        const auto* request = reinterpret_cast<LassoSamlp2RequestAbstract*>(profile->request);
        server_->signature_method = a.signature_method;
        const int validated =
            lasso_login_validate_request_msg(login.get(), a.authenticated ? TRUE : FALSE, TRUE);
        if (a.authenticated) {
            if (validated != 0) {
                throw std::runtime_error("IdP could not validate the AuthnRequest");
            }
            LassoSaml2Assertion* assertion = make_assertion(a, a.in_response_to.value_or(request->ID));
            auto* response = reinterpret_cast<LassoSamlp2Response*>(profile->response);
            response->Assertion = g_list_append(response->Assertion, assertion);
        }
        lasso_profile_set_signature_hint(
            profile,
            a.sign_response ? LASSO_PROFILE_SIGNATURE_HINT_FORCE : LASSO_PROFILE_SIGNATURE_HINT_FORBID
        );
        if (lasso_login_build_authn_response_msg(login.get()) != 0 || profile->msg_body == nullptr) {
            throw std::runtime_error("IdP could not build the Response");
        }
        return profile->msg_body;
    }

private:
    LassoSaml2Assertion* make_assertion(const answer& a, const std::string& in_response_to) {
        static int counter = 0;
        auto* assertion = reinterpret_cast<LassoSaml2Assertion*>(lasso_saml2_assertion_new());
        assertion->ID = gstr("_assertion_" + std::to_string(++counter));
        assertion->Version = gstr("2.0");
        assertion->IssueInstant = gstr(core::format_rfc3339(a.issued));
        const std::string issuer = a.assertion_issuer.value_or(entity_id_);
        assertion->Issuer = reinterpret_cast<LassoSaml2NameID*>(
            lasso_saml2_name_id_new_with_string(const_cast<char*>(issuer.c_str()))
        );

        auto* subject = reinterpret_cast<LassoSaml2Subject*>(lasso_saml2_subject_new());
        subject->NameID = reinterpret_cast<LassoSaml2NameID*>(
            lasso_saml2_name_id_new_with_string(const_cast<char*>(a.name_id.c_str()))
        );
        subject->NameID->Format = gstr(name_id_format_email);
        auto* confirmation =
            reinterpret_cast<LassoSaml2SubjectConfirmation*>(lasso_saml2_subject_confirmation_new());
        confirmation->Method = gstr(LASSO_SAML2_CONFIRMATION_METHOD_BEARER);
        auto* data =
            reinterpret_cast<LassoSaml2SubjectConfirmationData*>(lasso_saml2_subject_confirmation_data_new());
        data->Recipient = gstr(a.recipient);
        data->InResponseTo = gstr(in_response_to);
        data->NotOnOrAfter = gstr(core::format_rfc3339(a.issued + a.lifetime));
        confirmation->SubjectConfirmationData = data;
        subject->SubjectConfirmation = confirmation;
        assertion->Subject = subject;

        auto* conditions = reinterpret_cast<LassoSaml2Conditions*>(lasso_saml2_conditions_new());
        conditions->NotBefore = gstr(core::format_rfc3339(a.issued - 1min));
        conditions->NotOnOrAfter = gstr(core::format_rfc3339(a.issued + a.lifetime));
        auto* restriction =
            reinterpret_cast<LassoSaml2AudienceRestriction*>(lasso_saml2_audience_restriction_new());
        restriction->Audience = gstr(a.audience);
        conditions->AudienceRestriction = g_list_append(conditions->AudienceRestriction, restriction);
        assertion->Conditions = conditions;

        auto* statement = reinterpret_cast<LassoSaml2AuthnStatement*>(lasso_saml2_authn_statement_new());
        statement->AuthnInstant = gstr(core::format_rfc3339(a.issued - 10s));
        statement->AuthnContext = reinterpret_cast<LassoSaml2AuthnContext*>(lasso_saml2_authn_context_new());
        statement->AuthnContext->AuthnContextClassRef =
            gstr(LASSO_SAML2_AUTHN_CONTEXT_PASSWORD_PROTECTED_TRANSPORT);
        assertion->AuthnStatement = g_list_append(assertion->AuthnStatement, statement);

        auto* attributes =
            reinterpret_cast<LassoSaml2AttributeStatement*>(lasso_saml2_attribute_statement_new());
        attributes->Attribute =
            g_list_append(attributes->Attribute, attribute("displayName", {"Alice Example"}));
        attributes->Attribute =
            g_list_append(attributes->Attribute, attribute("groups", {"admins", "staff"}));
        assertion->AttributeStatement = g_list_append(assertion->AttributeStatement, attributes);

        if (a.change) {
            a.change(*assertion);
        }
        if (a.sign_assertion && lasso_server_saml2_assertion_setup_signature(server_.get(), assertion) != 0) {
            throw std::runtime_error("IdP could not set up the assertion signature");
        }
        return assertion;
    }

    std::string entity_id_;
    temp_file certificate_;
    gobject_ptr<LassoServer> server_;
};

// --- Encodings the tests look through -------------------------------------------------------------

std::string percent_decode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size()) {
            out += static_cast<char>(std::stoi(std::string{text.substr(i + 1, 2)}, nullptr, 16));
            i += 2;
        } else if (text[i] == '+') {
            out += ' ';
        } else {
            out += text[i];
        }
    }
    return out;
}

std::optional<std::string> query_parameter(const std::string& url, std::string_view name) {
    const std::string query = url.substr(url.find('?') + 1);
    std::size_t start = 0;
    while (start <= query.size()) {
        const auto end = std::min(query.find('&', start), query.size());
        const std::string_view pair{query.data() + start, end - start};
        const auto eq = pair.find('=');
        if (pair.substr(0, eq) == name) {
            return percent_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
        }
        start = end + 1;
    }
    return std::nullopt;
}

std::string base64_decode(std::string_view text) {
    std::string out(text.size(), '\0');
    const int n = EVP_DecodeBlock(
        reinterpret_cast<unsigned char*>(out.data()),
        reinterpret_cast<const unsigned char*>(text.data()),
        static_cast<int>(text.size())
    );
    check(n >= 0, "EVP_DecodeBlock");
    auto size = static_cast<std::size_t>(n);
    for (auto it = text.rbegin(); it != text.rend() && *it == '='; ++it) {
        --size;  // EVP_DecodeBlock counts padding as zero bytes
    }
    out.resize(size);
    return out;
}

std::string base64_encode(std::string_view raw) {
    std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(
        reinterpret_cast<unsigned char*>(out.data()),
        reinterpret_cast<const unsigned char*>(raw.data()),
        static_cast<int>(raw.size())
    );
    out.resize(static_cast<std::size_t>(n));
    return out;
}

// The HTTP-Redirect binding's DEFLATE (RFC 1951, no zlib header).
std::string inflate_raw(std::string_view deflated) {
    z_stream stream{};
    check(inflateInit2(&stream, -MAX_WBITS) == Z_OK, "inflateInit2");
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(deflated.data()));
    stream.avail_in = static_cast<uInt>(deflated.size());
    std::string out;
    int rc = Z_OK;
    while (rc == Z_OK) {
        char chunk[4096];
        stream.next_out = reinterpret_cast<Bytef*>(chunk);
        stream.avail_out = sizeof chunk;
        rc = inflate(&stream, Z_NO_FLUSH);
        out.append(chunk, sizeof chunk - stream.avail_out);
    }
    inflateEnd(&stream);
    check(rc == Z_STREAM_END, "inflate");
    return out;
}

// --- The flow, end to end -------------------------------------------------------------------------

struct sso_round {
    authn_request request;
    std::string saml_response;
};

sso_round sign_in(const answer& a = {}, lasso_idp idp = lasso_idp{}) {
    auto request = build_authn_request(test_sp(), test_idp(), "challenge-42");
    if (!request) {
        throw std::runtime_error("build_authn_request: " + request.error().message());
    }
    auto response = idp.respond(request->redirect_url, a);
    return {std::move(*request), std::move(response)};
}

result<verified_assertion> consume(const sso_round& round, core::timestamp now = test_now()) {
    return consume_post_response(test_sp(), test_idp(), round.saml_response, round.request.request_id, now);
}

std::size_t count(std::string_view text, std::string_view what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string_view::npos; at = text.find(what, at + what.size())) {
        ++n;
    }
    return n;
}

// The text of the first `<tag ...>...</tag>` element in `xml`.
std::string element(const std::string& xml, const std::string& tag) {
    const auto begin = xml.find("<" + tag);
    const auto end = xml.find("</" + tag + ">", begin);
    if (begin == std::string::npos || end == std::string::npos) {
        throw std::runtime_error("no " + tag + " element");
    }
    return xml.substr(begin, end + tag.size() + 3 - begin);
}

std::string replaced(std::string text, std::string_view from, std::string_view to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
        text.replace(at, from.size(), to);
    }
    return text;
}

// Puts `hidden` in a samlp:Extensions where the schema allows it (after the Response's Issuer
// and Signature, before its Status), where a careless verifier would still find it by ID.
std::string with_extension(const std::string& response_xml, const std::string& hidden) {
    const auto at = response_xml.find("<samlp:Status>");
    return response_xml.substr(0, at) + "<samlp:Extensions>" + hidden + "</samlp:Extensions>" +
           response_xml.substr(at);
}

// --- Tests ----------------------------------------------------------------------------------------

TEST(sp_metadata_xml, describes_a_post_acs_and_what_signatures_it_enforces) {
    const std::string xml = sp_metadata_xml(test_sp());
    EXPECT_THAT(xml, testing::HasSubstr("entityID=\"https://challenge.example.test/saml/metadata\""));
    EXPECT_THAT(xml, testing::HasSubstr("AuthnRequestsSigned=\"false\""));
    // A signed Response around an unsigned assertion is accepted (below), so the metadata must
    // not claim that assertions themselves have to be signed.
    EXPECT_THAT(xml, testing::HasSubstr("WantAssertionsSigned=\"false\""));
    EXPECT_THAT(
        xml,
        testing::HasSubstr("Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" "
                           "Location=\"https://challenge.example.test/saml/acs\"")
    );
}

TEST(sp_metadata_xml, escapes_settings) {
    auto sp = test_sp();
    sp.acs_url = "https://x.test/acs?a=1&b=\"2\"";
    EXPECT_THAT(
        sp_metadata_xml(sp), testing::HasSubstr("Location=\"https://x.test/acs?a=1&amp;b=&quot;2&quot;\"")
    );
}

TEST(inspect_idp_metadata, reads_entity_id_redirect_url_and_certificate) {
    const auto summary = inspect_idp_metadata(idp_metadata());
    ASSERT_TRUE(summary) << summary.error().message();
    EXPECT_EQ(summary->entity_id, idp_entity);
    EXPECT_EQ(summary->sso_redirect_url, idp_sso_url);
    ASSERT_EQ(summary->signing_certificate_sha256.size(), 1u);
    EXPECT_EQ(summary->signing_certificate_sha256[0].size(), 64u);
}

TEST(inspect_idp_metadata, refuses_metadata_without_a_certificate) {
    EXPECT_EQ(
        inspect_idp_metadata(idp_metadata({.cert_base64 = std::nullopt})).error(),
        errc::idp_metadata_no_signing_certificate
    );
}

TEST(inspect_idp_metadata, refuses_a_certificate_that_does_not_parse) {
    EXPECT_EQ(
        inspect_idp_metadata(idp_metadata({.cert_base64 = "TUlJQ2Zvbw=="})).error(),
        errc::idp_metadata_no_signing_certificate
    );
}

TEST(inspect_idp_metadata, refuses_metadata_without_a_redirect_sso_endpoint) {
    EXPECT_EQ(
        inspect_idp_metadata(idp_metadata({.redirect_sso = false})).error(),
        errc::idp_metadata_no_redirect_sso
    );
}

TEST(inspect_idp_metadata, refuses_garbage_sp_metadata_and_dtds) {
    EXPECT_EQ(inspect_idp_metadata("").error(), errc::idp_metadata_invalid);
    EXPECT_EQ(inspect_idp_metadata("not xml").error(), errc::idp_metadata_invalid);
    EXPECT_EQ(inspect_idp_metadata(sp_metadata_xml(test_sp())).error(), errc::idp_metadata_invalid);
    const std::string with_dtd = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e \"x\">]>" +
                                 idp_metadata().substr(std::string_view{"<?xml version=\"1.0\"?>\n"}.size());
    EXPECT_EQ(inspect_idp_metadata(with_dtd).error(), errc::idp_metadata_invalid);
}

TEST(build_authn_request, redirects_to_the_idp_with_a_deflated_forced_authn_request) {
    const auto request = build_authn_request(test_sp(), test_idp(), "challenge-42");
    ASSERT_TRUE(request) << request.error().message();
    EXPECT_EQ(request->redirect_url.rfind(std::string{idp_sso_url} + "?", 0), 0u) << request->redirect_url;
    EXPECT_FALSE(request->request_id.empty());
    EXPECT_EQ(query_parameter(request->redirect_url, "RelayState"), "challenge-42");
    EXPECT_EQ(query_parameter(request->redirect_url, "Signature"), std::nullopt);

    const auto encoded = query_parameter(request->redirect_url, "SAMLRequest");
    ASSERT_TRUE(encoded);
    const std::string xml = inflate_raw(base64_decode(*encoded));
    EXPECT_THAT(xml, testing::HasSubstr("AuthnRequest"));
    EXPECT_THAT(xml, testing::HasSubstr("ID=\"" + request->request_id + "\""));
    EXPECT_THAT(xml, testing::HasSubstr("ForceAuthn=\"true\""));
    EXPECT_THAT(
        xml, testing::HasSubstr("AssertionConsumerServiceURL=\"https://challenge.example.test/saml/acs\"")
    );
    EXPECT_THAT(
        xml, testing::HasSubstr("ProtocolBinding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\"")
    );
    EXPECT_THAT(xml, testing::HasSubstr(">https://challenge.example.test/saml/metadata</saml:Issuer>"));
    EXPECT_THAT(xml, testing::HasSubstr("Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress\""));
    EXPECT_THAT(xml, testing::HasSubstr("AllowCreate=\"true\""));
    EXPECT_THAT(xml, testing::Not(testing::HasSubstr("Signature")));
}

TEST(build_authn_request, is_accepted_by_a_lasso_idp_that_must_authenticate_again) {
    const auto request = build_authn_request(test_sp(), test_idp(), "challenge-42");
    ASSERT_TRUE(request);
    lasso_idp idp;
    lasso_idp::seen_request seen;
    idp.respond(request->redirect_url, {}, &seen);
    EXPECT_TRUE(seen.must_authenticate);
    EXPECT_EQ(seen.relay_state, "challenge-42");
}

TEST(build_authn_request, makes_a_new_request_id_each_time) {
    const auto first = build_authn_request(test_sp(), test_idp(), "");
    const auto second = build_authn_request(test_sp(), test_idp(), "");
    ASSERT_TRUE(first && second);
    EXPECT_NE(first->request_id, second->request_id);
    EXPECT_EQ(query_parameter(first->redirect_url, "RelayState"), std::nullopt);
}

TEST(build_authn_request, refuses_a_relay_state_over_80_bytes) {
    EXPECT_EQ(
        build_authn_request(test_sp(), test_idp(), std::string(81, 'r')).error(), errc::relay_state_too_long
    );
}

TEST(build_authn_request, refuses_idp_metadata_without_a_certificate) {
    const idp_settings idp{.metadata_xml = idp_metadata({.cert_base64 = std::nullopt})};
    EXPECT_EQ(build_authn_request(test_sp(), idp, "").error(), errc::idp_metadata_no_signing_certificate);
}

TEST(build_authn_request, refuses_empty_sp_settings) {
    EXPECT_EQ(build_authn_request({}, test_idp(), "").error(), errc::invalid_sp_settings);
}

TEST(build_authn_request, asks_for_the_required_authn_context) {
    const std::optional<std::string> mfa = "urn:example:ac:classes:mfa";
    const auto request = build_authn_request(test_sp(), test_idp(), "", mfa);
    ASSERT_TRUE(request) << request.error().message();
    const std::string xml = inflate_raw(base64_decode(*query_parameter(request->redirect_url, "SAMLRequest")));
    EXPECT_THAT(xml, testing::HasSubstr("RequestedAuthnContext Comparison=\"exact\""));
    EXPECT_THAT(xml, testing::HasSubstr(">urn:example:ac:classes:mfa</saml:AuthnContextClassRef>"));
    const auto plain = build_authn_request(test_sp(), test_idp(), "");
    ASSERT_TRUE(plain);
    EXPECT_THAT(
        inflate_raw(base64_decode(*query_parameter(plain->redirect_url, "SAMLRequest"))),
        testing::Not(testing::HasSubstr("RequestedAuthnContext"))
    );
}

TEST(inspect_idp_metadata, refuses_a_sign_in_url_that_could_break_a_location_header) {
    // Entities in the attribute decode to CR LF: the Location would end the header early.
    for (const std::string url : {"https://idp.example.test/sso&#13;&#10;Set-Cookie:%20x=1",
                                  "https://idp.example.test/sso&#10;x", "https://idp.example.test/s so",
                                  "javascript:alert(1)", "/relative/sso", "http://idp.example.test/sso"}) {
        const auto metadata = idp_metadata({.redirect_sso_url = url});
        EXPECT_EQ(inspect_idp_metadata(metadata).error(), errc::idp_metadata_unsafe_sso_url) << url;
        EXPECT_EQ(build_authn_request(test_sp(), {.metadata_xml = metadata}, "").error(), errc::idp_metadata_unsafe_sso_url)
            << url;
    }
}

TEST(inspect_idp_metadata, allows_a_plain_http_sign_in_url_only_in_development) {
    const auto metadata = idp_metadata({.redirect_sso_url = "http://127.0.0.1:9000/sso"});
    EXPECT_EQ(inspect_idp_metadata(metadata).error(), errc::idp_metadata_unsafe_sso_url);
    EXPECT_TRUE(inspect_idp_metadata(metadata, true));
    EXPECT_TRUE(build_authn_request(test_sp(), {.metadata_xml = metadata, .allow_http_sign_in = true}, ""));
}

TEST(consume_post_response, returns_the_email_name_id_of_a_signed_response) {
    const answer a;
    const auto round = sign_in(a);
    const auto verified = consume(round, a.issued);
    ASSERT_TRUE(verified) << verified.error().message();
    EXPECT_EQ(verified->name_id, alice);
    EXPECT_EQ(verified->name_id_format, name_id_format_email);
    EXPECT_EQ(verified->issuer, idp_entity);
    EXPECT_EQ(verified->assertion_id.rfind("_assertion_", 0), 0u);
    EXPECT_EQ(verified->not_on_or_after, a.issued + 5min + 60s);
    EXPECT_EQ(verified->authn_instant, a.issued - 10s);
    EXPECT_EQ(verified->authn_context_class_ref, LASSO_SAML2_AUTHN_CONTEXT_PASSWORD_PROTECTED_TRANSPORT);
    EXPECT_EQ(verified->attributes.at("displayName"), std::vector<std::string>{"Alice Example"});
    EXPECT_EQ(verified->attributes.at("groups"), (std::vector<std::string>{"admins", "staff"}));
}

TEST(consume_post_response, is_given_responses_signed_as_each_test_says) {
    const auto signatures = [](const answer& a) {
        const std::string xml = base64_decode(sign_in(a).saml_response);
        return std::pair{count(xml, "<Signature "), count(element(xml, "saml:Assertion"), "<Signature ")};
    };
    EXPECT_EQ(signatures({}), std::pair(2ul, 1ul));
    EXPECT_EQ(signatures({.sign_assertion = false}), std::pair(1ul, 0ul));
    EXPECT_EQ(signatures({.sign_response = false}), std::pair(1ul, 1ul));
    EXPECT_EQ(signatures({.sign_response = false, .sign_assertion = false}), std::pair(0ul, 0ul));
    const std::string xml = base64_decode(sign_in().saml_response);
    EXPECT_THAT(xml, testing::HasSubstr("xmldsig-more#rsa-sha256"));
    EXPECT_THAT(xml, testing::HasSubstr("<X509Certificate>"));
}

TEST(consume_post_response, accepts_a_signed_response_around_an_unsigned_assertion) {
    const auto verified = consume(sign_in({.sign_assertion = false}));
    ASSERT_TRUE(verified) << verified.error().message();
    EXPECT_EQ(verified->name_id, alice);
}

TEST(consume_post_response, accepts_an_unsigned_response_around_a_signed_assertion) {
    const auto verified = consume(sign_in({.sign_response = false}));
    ASSERT_TRUE(verified) << verified.error().message();
    EXPECT_EQ(verified->name_id, alice);
}

TEST(consume_post_response, refuses_sha1_signatures) {
    for (const bool response : {true, false}) {
        const answer a{.sign_response = response, .sign_assertion = !response,
                       .signature_method = LASSO_SIGNATURE_METHOD_RSA_SHA1};
        const auto round = sign_in(a);
        EXPECT_THAT(base64_decode(round.saml_response), testing::HasSubstr("xmldsig#rsa-sha1"));
        const auto verified = consume(round, a.issued);
        ASSERT_FALSE(verified) << (response ? "signed response" : "signed assertion");
        EXPECT_EQ(verified.error(), errc::signature_algorithm_refused);
    }
}

TEST(consume_post_response, refuses_a_sha1_digest_under_a_sha256_signature) {
    const answer a;
    auto round = sign_in(a);
    // Only the algorithm names change, so this is about the refusal, not the signature check.
    round.saml_response = base64_encode(replaced(
        base64_decode(round.saml_response), "http://www.w3.org/2001/04/xmlenc#sha256", "http://www.w3.org/2000/09/xmldsig#sha1"
    ));
    EXPECT_EQ(consume(round, a.issued).error(), errc::signature_algorithm_refused);
}

TEST(consume_post_response, accepts_base64_wrapped_over_lines) {
    auto round = sign_in();
    for (std::size_t pos = 76; pos < round.saml_response.size(); pos += 77) {
        round.saml_response.insert(pos, "\r\n");
    }
    EXPECT_TRUE(consume(round));
}

TEST(consume_post_response, refuses_a_name_id_changed_after_signing) {
    auto round = sign_in();
    std::string xml = base64_decode(round.saml_response);
    const auto at = xml.find(alice);
    ASSERT_NE(at, std::string::npos);
    xml.replace(at, alice.size(), "mallory@example.com");
    round.saml_response = base64_encode(xml);
    EXPECT_EQ(consume(round).error(), errc::signature_invalid);
}

TEST(consume_post_response, refuses_a_name_id_changed_in_an_assertion_signed_alone) {
    auto round = sign_in({.sign_response = false});
    std::string xml = base64_decode(round.saml_response);
    const auto at = xml.find(alice);
    ASSERT_NE(at, std::string::npos);
    xml.replace(at, alice.size(), "mallory@example.com");
    round.saml_response = base64_encode(xml);
    EXPECT_EQ(consume(round).error(), errc::signature_invalid);
}

// XML signature wrapping: the signed original stays in the document for the signature check to
// find by ID, while a forged assertion sits where the SP reads.
TEST(consume_post_response, refuses_a_forged_assertion_beside_the_signed_one_with_the_same_id) {
    auto round = sign_in({.sign_response = false});
    const std::string xml = base64_decode(round.saml_response);
    const std::string original = element(xml, "saml:Assertion");
    const std::string forged = replaced(original, alice, "mallory@example.com");
    round.saml_response = base64_encode(with_extension(replaced(xml, original, forged), original));
    EXPECT_EQ(consume(round).error(), errc::signature_invalid);
}

TEST(consume_post_response, refuses_a_forged_assertion_carrying_the_signature_of_another) {
    auto round = sign_in({.sign_response = false});
    const std::string xml = base64_decode(round.saml_response);
    const std::string original = element(xml, "saml:Assertion");
    const std::string forged =
        replaced(replaced(original, alice, "mallory@example.com"), "ID=\"_assertion_", "ID=\"_forged_");
    round.saml_response = base64_encode(with_extension(replaced(xml, original, forged), original));
    EXPECT_EQ(consume(round).error(), errc::signature_invalid);
}

TEST(consume_post_response, refuses_a_forged_response_wrapped_around_the_signed_one) {
    auto round = sign_in({.sign_assertion = false});
    const std::string original = base64_decode(round.saml_response);
    const std::string forged = replaced(original, alice, "mallory@example.com");
    round.saml_response = base64_encode(with_extension(forged, original));
    EXPECT_EQ(consume(round).error(), errc::signature_invalid);
}

TEST(consume_post_response, refuses_a_second_unsigned_assertion) {
    auto round = sign_in({.sign_response = false});
    const std::string xml = base64_decode(round.saml_response);
    const std::string original = element(xml, "saml:Assertion");
    std::string forged = replaced(original, alice, "mallory@example.com");
    forged.replace(forged.find("<Signature "), element(forged, "Signature").size(), "");
    forged = replaced(forged, "ID=\"_assertion_", "ID=\"_forged_");
    round.saml_response = base64_encode(replaced(xml, original, original + forged));
    EXPECT_EQ(consume(round).error(), errc::signature_missing);
}

// We publish no encryption key, so an IdP should never encrypt; say so rather than "no assertion".
TEST(consume_post_response, refuses_an_encrypted_assertion_as_unsupported) {
    auto round = sign_in();
    const std::string xml = base64_decode(round.saml_response);
    const std::string encrypted =
        "<saml:EncryptedAssertion><xenc:EncryptedData xmlns:xenc=\"http://www.w3.org/2001/04/xmlenc#\">"
        "<xenc:CipherData><xenc:CipherValue>AAAA</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData>"
        "</saml:EncryptedAssertion>";
    round.saml_response = base64_encode(replaced(xml, element(xml, "saml:Assertion"), encrypted));
    EXPECT_EQ(consume(round).error(), errc::encrypted_assertion_unsupported);
}

TEST(consume_post_response, refuses_an_unsigned_response) {
    EXPECT_EQ(
        consume(sign_in({.sign_response = false, .sign_assertion = false})).error(), errc::signature_missing
    );
}

TEST(consume_post_response, refuses_a_response_signed_by_another_key) {
    const auto round = sign_in({}, lasso_idp{other_keys()});
    EXPECT_EQ(consume(round).error(), errc::signature_invalid);
}

TEST(consume_post_response, refuses_an_assertion_signed_by_another_key) {
    const auto round = sign_in({.sign_response = false}, lasso_idp{other_keys()});
    EXPECT_EQ(consume(round).error(), errc::signature_invalid);
}

TEST(consume_post_response, refuses_a_response_from_another_idp) {
    const auto round = sign_in({}, lasso_idp{idp_keys(), "https://other-idp.example.test/metadata"});
    EXPECT_EQ(consume(round).error(), errc::issuer_mismatch);
}

TEST(consume_post_response, refuses_an_assertion_issued_by_someone_else) {
    const auto round = sign_in({.assertion_issuer = "https://other-idp.example.test/metadata"});
    EXPECT_EQ(consume(round).error(), errc::issuer_mismatch);
}

TEST(consume_post_response, refuses_another_audience) {
    EXPECT_EQ(
        consume(sign_in({.audience = "https://other-sp.example.test"})).error(), errc::audience_mismatch
    );
}

TEST(consume_post_response, refuses_an_assertion_without_audience_restriction) {
    const auto round = sign_in({.change = [](LassoSaml2Assertion& assertion) {
        g_list_free_full(assertion.Conditions->AudienceRestriction, g_object_unref);
        assertion.Conditions->AudienceRestriction = nullptr;
    }});
    EXPECT_EQ(consume(round).error(), errc::audience_mismatch);
}

TEST(consume_post_response, refuses_another_recipient) {
    EXPECT_EQ(
        consume(sign_in({.recipient = "https://evil.example.test/acs"})).error(), errc::recipient_mismatch
    );
}

TEST(consume_post_response, refuses_an_answer_to_another_request) {
    EXPECT_EQ(
        consume(sign_in({.in_response_to = "_some_other_request"})).error(), errc::in_response_to_mismatch
    );
}

TEST(consume_post_response, refuses_a_response_to_a_request_we_did_not_expect) {
    const auto round = sign_in();
    EXPECT_EQ(
        consume_post_response(test_sp(), test_idp(), round.saml_response, "_another_request", test_now())
            .error(),
        errc::in_response_to_mismatch
    );
    EXPECT_EQ(
        consume_post_response(test_sp(), test_idp(), round.saml_response, "", test_now()).error(),
        errc::in_response_to_mismatch
    );
}

TEST(consume_post_response, refuses_an_expired_assertion) {
    const answer a;
    EXPECT_EQ(consume(sign_in(a), a.issued + 6min + 1s).error(), errc::expired);
}

TEST(consume_post_response, allows_the_skew_after_not_on_or_after) {
    const answer a;
    EXPECT_TRUE(consume(sign_in(a), a.issued + 5min + 59s));
    EXPECT_EQ(consume(sign_in(a), a.issued + 6min).error(), errc::expired);
}

TEST(consume_post_response, refuses_an_assertion_not_valid_yet) {
    const answer a;
    EXPECT_TRUE(consume(sign_in(a), a.issued - 2min));
    EXPECT_EQ(consume(sign_in(a), a.issued - 2min - 1s).error(), errc::not_yet_valid);
}

TEST(consume_post_response, reads_fractional_seconds_and_zone_offsets) {
    const auto issued = test_now();
    const auto precise_times = [issued](LassoSaml2Assertion& assertion) {
        std::string not_on_or_after = core::format_rfc3339(issued + 4min);
        not_on_or_after.insert(not_on_or_after.size() - 1, ".5");  // ...:00.5Z
        g_free(assertion.Conditions->NotOnOrAfter);
        assertion.Conditions->NotOnOrAfter = gstr(not_on_or_after);
        std::string instant = core::format_rfc3339(issued + 2h);
        instant.replace(instant.size() - 1, 1, "+02:00");
        auto* statement = static_cast<LassoSaml2AuthnStatement*>(assertion.AuthnStatement->data);
        g_free(statement->AuthnInstant);
        statement->AuthnInstant = gstr(instant);
    };
    const auto verified = consume(sign_in({.issued = issued, .change = precise_times}), issued);
    ASSERT_TRUE(verified) << verified.error().message();
    EXPECT_EQ(verified->not_on_or_after, issued + 5min + 1s);
    EXPECT_EQ(verified->authn_instant, issued);
}

TEST(consume_post_response, refuses_a_time_that_is_not_xs_date_time) {
    const auto round = sign_in({.change = [](LassoSaml2Assertion& assertion) {
        g_free(assertion.Conditions->NotBefore);
        assertion.Conditions->NotBefore = gstr("yesterday");
    }});
    EXPECT_EQ(consume(round).error(), errc::response_malformed);
}

TEST(consume_post_response, refuses_a_bearer_confirmation_without_not_on_or_after) {
    const auto round = sign_in({.change = [](LassoSaml2Assertion& assertion) {
        auto& data = *assertion.Subject->SubjectConfirmation->SubjectConfirmationData;
        g_free(data.NotOnOrAfter);
        data.NotOnOrAfter = nullptr;
    }});
    EXPECT_EQ(consume(round).error(), errc::subject_confirmation_invalid);
}

TEST(consume_post_response, refuses_a_failed_login) {
    const auto round = sign_in({.authenticated = false});
    EXPECT_EQ(consume(round).error(), errc::status_not_success);
}

TEST(consume_post_response, refuses_idp_metadata_without_a_certificate) {
    const auto round = sign_in();
    const idp_settings idp{.metadata_xml = idp_metadata({.cert_base64 = std::nullopt})};
    EXPECT_EQ(
        consume_post_response(test_sp(), idp, round.saml_response, round.request.request_id, test_now())
            .error(),
        errc::idp_metadata_no_signing_certificate
    );
}

TEST(consume_post_response, refuses_what_is_not_a_base64_saml_response) {
    const auto refuse = [](std::string_view body) {
        return consume_post_response(test_sp(), test_idp(), body, "_request", test_now()).error();
    };
    EXPECT_EQ(refuse("not base64 at all!"), errc::response_malformed);
    EXPECT_EQ(refuse(""), errc::response_malformed);
    EXPECT_EQ(refuse(base64_encode("hello")), errc::response_malformed);
    EXPECT_EQ(refuse(base64_encode("<x/>")), errc::response_malformed);
    EXPECT_EQ(
        refuse(base64_encode("<!DOCTYPE r [<!ENTITY e \"x\">]><samlp:Response "
                             "xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\">&e;</samlp:Response>")),
        errc::response_malformed
    );
}

TEST(saml_errc, has_a_message_per_value) {
    EXPECT_EQ(
        make_error_code(errc::audience_mismatch).message(), "SAML assertion audience is not our entity id"
    );
    EXPECT_STREQ(make_error_code(errc::expired).category().name(), "chal.saml");
}

}  // namespace
}  // namespace chal::saml
