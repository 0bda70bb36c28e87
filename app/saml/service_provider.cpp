#include "app/saml/service_provider.hpp"

#include "app/crypto/crypto.hpp"
#include "app/saml/lasso.hpp"

#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace chal::saml {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using precise_time = std::chrono::sys_time<milliseconds>;

// Bigger than any real metadata or Response; bounds the work an attacker can ask for.
constexpr std::size_t max_metadata_bytes = 1 << 20;
constexpr std::size_t max_response_base64_bytes = 1 << 20;
// SAML bindings 3.4.3: RelayState MUST NOT exceed 80 bytes.
constexpr std::size_t max_relay_state_bytes = 80;

constexpr const char* md_namespace = "urn:oasis:names:tc:SAML:2.0:metadata";
constexpr const char* ds_namespace = "http://www.w3.org/2000/09/xmldsig#";
constexpr const char* saml2_protocol = "urn:oasis:names:tc:SAML:2.0:protocol";

// --- Ownership of C objects -------------------------------------------------------------------

using lasso::gchar_ptr;
using lasso::gobject_ptr;
using lasso::node_as;

struct xml_doc_free {
    void operator()(xmlDoc* doc) const noexcept { xmlFreeDoc(doc); }
};
struct xpath_context_free {
    void operator()(xmlXPathContext* context) const noexcept { xmlXPathFreeContext(context); }
};
struct xpath_object_free {
    void operator()(xmlXPathObject* object) const noexcept { xmlXPathFreeObject(object); }
};
struct xml_string_free {
    void operator()(xmlChar* text) const noexcept { xmlFree(text); }
};
struct x509_free {
    void operator()(X509* cert) const noexcept { X509_free(cert); }
};

// Replaces a string field of a Lasso object; the object frees it with g_free.
void assign_gstring(char*& field, std::string_view value) {
    g_free(field);
    field = g_strndup(value.data(), value.size());
}

std::string_view view(const char* text) noexcept {
    return text == nullptr ? std::string_view{} : std::string_view{text};
}

// --- Small text helpers ---------------------------------------------------------------------

std::string xml_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&apos;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

bool is_xml_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string without_xml_space(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        if (!is_xml_space(c)) {
            out += c;
        }
    }
    return out;
}

// SAML forbids DTDs (and with them entity expansion); refuse before any parser sees one.
bool has_dtd(std::string_view xml) noexcept {
    return xml.find("<!DOCTYPE") != std::string_view::npos || xml.find("<!ENTITY") != std::string_view::npos;
}

// xs:dateTime as SAML writes it (core 1.3.3: UTC, usually with a `Z`): "2025-01-31T12:00:00Z",
// optional fraction (kept to milliseconds), `Z` or a +hh:mm/-hh:mm offset, or no zone (UTC).
std::optional<precise_time> parse_saml_time(std::string_view text) {
    const auto digits = [&](std::size_t pos, std::size_t count) -> std::optional<int> {
        if (pos + count > text.size()) {
            return std::nullopt;
        }
        int value = 0;
        for (std::size_t i = pos; i < pos + count; ++i) {
            if (text[i] < '0' || text[i] > '9') {
                return std::nullopt;
            }
            value = value * 10 + (text[i] - '0');
        }
        return value;
    };
    if (text.size() < 19 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
        text[16] != ':') {
        return std::nullopt;
    }
    const auto year = digits(0, 4);
    const auto month = digits(5, 2);
    const auto day = digits(8, 2);
    const auto hour = digits(11, 2);
    const auto minute = digits(14, 2);
    const auto second = digits(17, 2);
    if (!year || !month || !day || !hour || !minute || !second || *hour > 23 || *minute > 59 ||
        *second > 59) {
        return std::nullopt;
    }
    const std::chrono::year_month_day date{
        std::chrono::year{*year},
        std::chrono::month{static_cast<unsigned>(*month)},
        std::chrono::day{static_cast<unsigned>(*day)}};
    if (!date.ok()) {
        return std::nullopt;
    }
    std::size_t pos = 19;
    milliseconds fraction{0};
    if (pos < text.size() && text[pos] == '.') {
        ++pos;
        const std::size_t start = pos;
        int scale = 100;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
            fraction += milliseconds{(text[pos] - '0') * scale};
            scale /= 10;
            ++pos;
        }
        if (pos == start) {
            return std::nullopt;
        }
    }
    seconds offset{0};
    if (pos < text.size()) {
        if (text[pos] == 'Z' && pos + 1 == text.size()) {
            pos = text.size();
        } else if ((text[pos] == '+' || text[pos] == '-') && pos + 6 == text.size() && text[pos + 3] == ':') {
            const auto offset_hours = digits(pos + 1, 2);
            const auto offset_minutes = digits(pos + 4, 2);
            if (!offset_hours || !offset_minutes || *offset_hours > 14 || *offset_minutes > 59) {
                return std::nullopt;
            }
            offset = std::chrono::hours{*offset_hours} + std::chrono::minutes{*offset_minutes};
            if (text[pos] == '-') {
                offset = -offset;
            }
        } else {
            return std::nullopt;
        }
    }
    return precise_time{std::chrono::sys_days{date}} + std::chrono::hours{*hour} +
           std::chrono::minutes{*minute} + seconds{*second} + fraction - offset;
}

// --- IdP metadata ---------------------------------------------------------------------------

using xml_doc_ptr = std::unique_ptr<xmlDoc, xml_doc_free>;

xml_doc_ptr parse_xml(std::string_view xml) {
    // No network, no entity substitution, no error spam on stderr.
    return xml_doc_ptr{xmlReadMemory(
        xml.data(),
        static_cast<int>(xml.size()),
        "metadata.xml",
        nullptr,
        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING
    )};
}

// Every node `expression` selects, as a vector (empty when none or on error).
std::vector<xmlNode*> select_nodes(xmlXPathContext* context, const char* expression) {
    std::unique_ptr<xmlXPathObject, xpath_object_free> found{
        xmlXPathEvalExpression(reinterpret_cast<const xmlChar*>(expression), context)};
    std::vector<xmlNode*> nodes;
    if (found == nullptr || found->nodesetval == nullptr) {
        return nodes;
    }
    for (int i = 0; i < found->nodesetval->nodeNr; ++i) {
        nodes.push_back(found->nodesetval->nodeTab[i]);
    }
    return nodes;
}

std::string node_text(xmlNode* node) {
    std::unique_ptr<xmlChar, xml_string_free> text{xmlNodeGetContent(node)};
    return text == nullptr ? std::string{} : std::string{reinterpret_cast<const char*>(text.get())};
}

std::string attribute_text(xmlNode* node, const char* name) {
    std::unique_ptr<xmlChar, xml_string_free> text{xmlGetProp(node, reinterpret_cast<const xmlChar*>(name))};
    return text == nullptr ? std::string{} : std::string{reinterpret_cast<const char*>(text.get())};
}

// Hex SHA-256 of the DER certificate in an <ds:X509Certificate>, or nullopt if it does not parse.
std::optional<std::string> certificate_fingerprint(const std::string& base64_text) {
    const auto der = crypto::base64_decode(without_xml_space(base64_text));
    if (!der || der->empty()) {
        return std::nullopt;
    }
    const auto* bytes = reinterpret_cast<const unsigned char*>(der->data());
    std::unique_ptr<X509, x509_free> cert{d2i_X509(nullptr, &bytes, static_cast<long>(der->size()))};
    if (cert == nullptr || bytes != reinterpret_cast<const unsigned char*>(der->data()) + der->size()) {
        return std::nullopt;
    }
    return crypto::sha256_hex(*der);
}

result<idp_summary> read_idp_metadata(std::string_view xml, bool allow_http_sign_in) {
    if (xml.empty() || xml.size() > max_metadata_bytes || has_dtd(xml) ||
        xml.find('\0') != std::string_view::npos) {
        return errc::idp_metadata_invalid;
    }
    const xml_doc_ptr doc = parse_xml(xml);
    xmlNode* root = doc == nullptr ? nullptr : xmlDocGetRootElement(doc.get());
    if (root == nullptr || doc->intSubset != nullptr || root->ns == nullptr ||
        xmlStrcmp(root->name, reinterpret_cast<const xmlChar*>("EntityDescriptor")) != 0 ||
        xmlStrcmp(root->ns->href, reinterpret_cast<const xmlChar*>(md_namespace)) != 0) {
        return errc::idp_metadata_invalid;
    }
    idp_summary summary;
    summary.entity_id = attribute_text(root, "entityID");
    if (summary.entity_id.empty()) {
        return errc::idp_metadata_invalid;
    }

    std::unique_ptr<xmlXPathContext, xpath_context_free> context{xmlXPathNewContext(doc.get())};
    if (context == nullptr) {
        throw std::bad_alloc{};
    }
    xmlXPathRegisterNs(
        context.get(), reinterpret_cast<const xmlChar*>("md"), reinterpret_cast<const xmlChar*>(md_namespace)
    );
    xmlXPathRegisterNs(
        context.get(), reinterpret_cast<const xmlChar*>("ds"), reinterpret_cast<const xmlChar*>(ds_namespace)
    );

    const auto descriptors = select_nodes(context.get(), "/md:EntityDescriptor/md:IDPSSODescriptor");
    const auto speaks_saml2 = [](xmlNode* descriptor) {
        return attribute_text(descriptor, "protocolSupportEnumeration").find(saml2_protocol) !=
               std::string::npos;
    };
    if (std::none_of(descriptors.begin(), descriptors.end(), speaks_saml2)) {
        return errc::idp_metadata_invalid;
    }

    const auto sso = select_nodes(
        context.get(),
        "/md:EntityDescriptor/md:IDPSSODescriptor/md:SingleSignOnService"
        "[@Binding='urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect']"
    );
    for (xmlNode* service : sso) {
        summary.sso_redirect_url = attribute_text(service, "Location");
        if (!summary.sso_redirect_url.empty()) {
            break;
        }
    }
    if (summary.sso_redirect_url.empty()) {
        return errc::idp_metadata_no_redirect_sso;
    }
    // The browser is sent there in a Location header: CR/LF in it would let whoever edits one
    // tenant's metadata set headers (cookies) on our shared origin.
    if (!core::is_safe_redirect_url(summary.sso_redirect_url, allow_http_sign_in)) {
        return errc::idp_metadata_unsafe_sso_url;
    }

    // A KeyDescriptor without `use` serves both signing and encryption (metadata 2.4.1.1).
    const auto certificates = select_nodes(
        context.get(),
        "/md:EntityDescriptor/md:IDPSSODescriptor/md:KeyDescriptor[not(@use) or @use='signing']"
        "/ds:KeyInfo/ds:X509Data/ds:X509Certificate"
    );
    for (xmlNode* certificate : certificates) {
        auto fingerprint = certificate_fingerprint(node_text(certificate));
        if (!fingerprint) {
            return errc::idp_metadata_no_signing_certificate;
        }
        summary.signing_certificate_sha256.push_back(std::move(*fingerprint));
    }
    if (summary.signing_certificate_sha256.empty()) {
        return errc::idp_metadata_no_signing_certificate;
    }
    return summary;
}

// --- Signature algorithms -------------------------------------------------------------------

// SHA-1 is broken for signatures (chosen-prefix collisions, SHAttered/Shambles), and Lasso 2.8's
// own minimum (lasso_set_min_signature_method) is not exported by the shared library. So every
// SignatureMethod and DigestMethod in the Response is read here, before Lasso verifies anything,
// and only these are let through (XML Signature 1.1 and RFC 6931 names).
constexpr std::array<std::string_view, 6> allowed_signature_methods{
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
};
constexpr std::array<std::string_view, 3> allowed_digest_methods{
    "http://www.w3.org/2001/04/xmlenc#sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512",
};

// False when the document names any other algorithm anywhere in it.
bool uses_only_strong_signature_algorithms(xmlDoc& doc) {
    std::unique_ptr<xmlXPathContext, xpath_context_free> context{xmlXPathNewContext(&doc)};
    if (context == nullptr) {
        throw std::bad_alloc{};
    }
    xmlXPathRegisterNs(
        context.get(), reinterpret_cast<const xmlChar*>("ds"), reinterpret_cast<const xmlChar*>(ds_namespace)
    );
    const auto all_allowed = [&](const char* expression, const auto& allowed) {
        for (xmlNode* method : select_nodes(context.get(), expression)) {
            const auto algorithm = attribute_text(method, "Algorithm");
            if (std::find(allowed.begin(), allowed.end(), algorithm) == allowed.end()) {
                return false;
            }
        }
        return true;
    };
    return all_allowed("//ds:SignatureMethod", allowed_signature_methods) &&
           all_allowed("//ds:DigestMethod", allowed_digest_methods);
}

// --- Lasso server (our SP view with the IdP registered) ---------------------------------------

struct sp_context {
    idp_summary idp;
    gobject_ptr<LassoServer> server;
};

result<sp_context> make_sp_context(const sp_settings& sp, const idp_settings& idp) {
    if (sp.entity_id.empty() || sp.acs_url.empty()) {
        return errc::invalid_sp_settings;
    }
    auto summary = inspect_idp_metadata(idp.metadata_xml, idp.allow_http_sign_in);
    if (!summary) {
        return summary.error();
    }
    const std::string metadata = sp_metadata_xml(sp);
    gobject_ptr<LassoServer> server{
        lasso_server_new_from_buffers(metadata.c_str(), nullptr, nullptr, nullptr)};
    if (server == nullptr) {
        return errc::invalid_sp_settings;
    }
    if (lasso_server_add_provider_from_buffer(
            server.get(), LASSO_PROVIDER_ROLE_IDP, idp.metadata_xml.c_str(), nullptr, nullptr
        ) != 0) {
        return errc::idp_metadata_invalid;
    }
    return sp_context{std::move(*summary), std::move(server)};
}

// --- Reading the verified Response ------------------------------------------------------------

bool is_signature_error(int rc) noexcept {
    switch (rc) {
        case LASSO_DS_ERROR_INVALID_SIGNATURE:
        case LASSO_DS_ERROR_CONTEXT_CREATION_FAILED:
        case LASSO_DS_ERROR_PUBLIC_KEY_LOAD_FAILED:
        case LASSO_DS_ERROR_CERTIFICATE_LOAD_FAILED:
        case LASSO_DS_ERROR_KEYS_MNGR_CREATION_FAILED:
        case LASSO_DS_ERROR_KEYS_MNGR_INIT_FAILED:
        case LASSO_DS_ERROR_SIGNATURE_VERIFICATION_FAILED:
        case LASSO_DS_ERROR_CA_CERT_CHAIN_LOAD_FAILED:
        case LASSO_DS_ERROR_INVALID_SIGALG:
        case LASSO_DS_ERROR_DIGEST_COMPUTE_FAILED:
        case LASSO_DS_ERROR_SIGNATURE_TEMPLATE_NOT_FOUND:
        case LASSO_DS_ERROR_TOO_MUCH_REFERENCES:
        case LASSO_DS_ERROR_INVALID_REFERENCE_FOR_SAML:
        case LASSO_PROFILE_ERROR_CANNOT_VERIFY_SIGNATURE:
        case LASSO_LOGIN_ERROR_INVALID_SIGNATURE:
        case LASSO_LOGIN_ERROR_INVALID_ASSERTION_SIGNATURE:
        case LASSO_PROVIDER_ERROR_MISSING_PUBLIC_KEY:
            return true;
        default:
            return false;
    }
}

LassoSaml2Assertion* as_assertion(void* node) noexcept {
    return node_as<LassoSaml2Assertion>(node, lasso_saml2_assertion_get_type());
}

bool has_encrypted_content(const LassoSamlp2Response& response) noexcept {
    if (response.EncryptedAssertion != nullptr) {
        return true;
    }
    for (GList* item = response.Assertion; item != nullptr; item = item->next) {
        const LassoSaml2Assertion* assertion = as_assertion(item->data);
        if (assertion != nullptr && assertion->Subject != nullptr &&
            assertion->Subject->EncryptedID != nullptr) {
            return true;
        }
    }
    return false;
}

// Names a Lasso refusal. Lasso checks the issuer, then the status, then the signatures (see
// lasso_saml20_login_process_response_status_and_assertion); the parsed objects tell the rest.
errc classify_lasso_refusal(int rc, const LassoSamlp2Response* response) noexcept {
    if (response == nullptr || rc == LASSO_PROFILE_ERROR_INVALID_MSG ||
        rc == LASSO_PROFILE_ERROR_UNSUPPORTED_PROFILE) {
        return errc::response_malformed;
    }
    const LassoSamlp2Status* status = response->parent.Status;
    if (status == nullptr || status->StatusCode == nullptr || status->StatusCode->Value == nullptr) {
        return errc::response_malformed;
    }
    if (view(status->StatusCode->Value) != LASSO_SAML2_STATUS_CODE_SUCCESS) {
        return errc::status_not_success;
    }
    if (rc == LASSO_SERVER_ERROR_PROVIDER_NOT_FOUND || rc == LASSO_PROFILE_ERROR_MISSING_ISSUER ||
        rc == LASSO_PROFILE_ERROR_INVALID_ISSUER) {
        return errc::issuer_mismatch;
    }
    if (rc == LASSO_DS_ERROR_SIGNATURE_NOT_FOUND) {
        return errc::signature_missing;
    }
    if (is_signature_error(rc)) {
        return errc::signature_invalid;
    }
    if (has_encrypted_content(*response)) {
        return errc::encrypted_assertion_unsupported;
    }
    if (rc == LASSO_PROFILE_ERROR_MISSING_ASSERTION) {
        return errc::assertion_count_invalid;
    }
    if (rc == LASSO_PROFILE_ERROR_MISSING_SUBJECT) {
        return errc::name_id_missing;
    }
    return errc::response_rejected;
}

// Text of each <AttributeValue>: its text content, or its XML when it holds elements.
std::string attribute_value_text(LassoSaml2AttributeValue& value) {
    std::string text;
    for (GList* item = value.any; item != nullptr; item = item->next) {
        const auto* misc = node_as<LassoMiscTextNode>(item->data, lasso_misc_text_node_get_type());
        if (misc != nullptr && misc->text_child) {
            text += view(misc->content);
        } else if (auto* node = node_as<LassoNode>(item->data, lasso_node_get_type())) {
            const gchar_ptr dump{lasso_node_dump(node)};
            text += view(dump.get());
        }
    }
    return text;
}

std::map<std::string, std::vector<std::string>> read_attributes(const LassoSaml2Assertion& assertion) {
    std::map<std::string, std::vector<std::string>> attributes;
    for (GList* s = assertion.AttributeStatement; s != nullptr; s = s->next) {
        auto* statement =
            node_as<LassoSaml2AttributeStatement>(s->data, lasso_saml2_attribute_statement_get_type());
        if (statement == nullptr) {
            continue;
        }
        for (GList* a = statement->Attribute; a != nullptr; a = a->next) {
            auto* attribute = node_as<LassoSaml2Attribute>(a->data, lasso_saml2_attribute_get_type());
            if (attribute == nullptr || attribute->Name == nullptr) {
                continue;
            }
            auto& values = attributes[attribute->Name];
            for (GList* v = attribute->AttributeValue; v != nullptr; v = v->next) {
                auto* value =
                    node_as<LassoSaml2AttributeValue>(v->data, lasso_saml2_attribute_value_get_type());
                if (value != nullptr) {
                    values.push_back(attribute_value_text(*value));
                }
            }
        }
    }
    return attributes;
}

// The validity window the assertion states, narrowed as each NotBefore/NotOnOrAfter is read.
struct validity {
    std::optional<precise_time> not_before;
    std::optional<precise_time> not_on_or_after;

    // Takes the later NotBefore and the earlier NotOnOrAfter; absent (null) values change nothing.
    // Returns false when a present value is not an xs:dateTime.
    bool narrow(const char* not_before_text, const char* not_on_or_after_text) {
        if (not_before_text != nullptr) {
            const auto t = parse_saml_time(not_before_text);
            if (!t) {
                return false;
            }
            not_before = not_before ? std::max(*not_before, *t) : *t;
        }
        if (not_on_or_after_text != nullptr) {
            const auto t = parse_saml_time(not_on_or_after_text);
            if (!t) {
                return false;
            }
            not_on_or_after = not_on_or_after ? std::min(*not_on_or_after, *t) : *t;
        }
        return true;
    }
};

result<verified_assertion> check_assertion(
    const sp_settings& sp,
    const idp_summary& idp,
    const LassoSamlp2Response& response,
    std::string_view expected_request_id,
    core::timestamp now,
    seconds allowed_skew
) {
    if (has_encrypted_content(response)) {
        return errc::encrypted_assertion_unsupported;
    }
    if (g_list_length(response.Assertion) != 1) {
        return errc::assertion_count_invalid;
    }
    const LassoSaml2Assertion* assertion = as_assertion(response.Assertion->data);
    if (assertion == nullptr || view(assertion->ID).empty()) {
        return errc::response_malformed;
    }

    // Lasso found the IdP by the Response Issuer and compared the Assertion Issuer to it; both
    // are compared again here so this function states every rule it relies on.
    if (response.parent.Issuer == nullptr || view(response.parent.Issuer->content) != idp.entity_id ||
        assertion->Issuer == nullptr || view(assertion->Issuer->content) != idp.entity_id) {
        return errc::issuer_mismatch;
    }
    if (response.parent.Destination != nullptr && view(response.parent.Destination) != sp.acs_url) {
        return errc::destination_mismatch;
    }
    if (response.parent.InResponseTo != nullptr &&
        view(response.parent.InResponseTo) != expected_request_id) {
        return errc::in_response_to_mismatch;
    }

    const LassoSaml2Subject* subject = assertion->Subject;
    if (subject == nullptr || subject->NameID == nullptr || view(subject->NameID->content).empty()) {
        return errc::name_id_missing;
    }
    // Lasso keeps one SubjectConfirmation per Subject; SAML profiles 4.1.4.2 wants a bearer one.
    const LassoSaml2SubjectConfirmation* confirmation = subject->SubjectConfirmation;
    if (confirmation == nullptr || view(confirmation->Method) != LASSO_SAML2_CONFIRMATION_METHOD_BEARER ||
        confirmation->SubjectConfirmationData == nullptr ||
        confirmation->SubjectConfirmationData->NotOnOrAfter == nullptr) {
        return errc::subject_confirmation_invalid;
    }
    const LassoSaml2SubjectConfirmationData& data = *confirmation->SubjectConfirmationData;
    if (view(data.Recipient) != sp.acs_url) {
        return errc::recipient_mismatch;
    }
    if (view(data.InResponseTo) != expected_request_id) {
        return errc::in_response_to_mismatch;
    }

    const LassoSaml2Conditions* conditions = assertion->Conditions;
    if (conditions == nullptr || conditions->AudienceRestriction == nullptr) {
        return errc::audience_mismatch;
    }
    // Every AudienceRestriction must name us (SAML core 2.5.1.4). Lasso keeps one Audience per
    // AudienceRestriction, so a restriction listing several audiences may be refused: fail closed.
    for (GList* item = conditions->AudienceRestriction; item != nullptr; item = item->next) {
        const auto* restriction =
            node_as<LassoSaml2AudienceRestriction>(item->data, lasso_saml2_audience_restriction_get_type());
        if (restriction == nullptr || view(restriction->Audience) != sp.entity_id) {
            return errc::audience_mismatch;
        }
    }
    // OneTimeUse is honoured by the caller's replay check; ProxyRestriction does not concern an
    // SP that does not proxy. Anything else is a condition we cannot evaluate.
    if (conditions->Condition != nullptr) {
        return errc::unsupported_condition;
    }

    validity window;
    if (!window.narrow(conditions->NotBefore, conditions->NotOnOrAfter) ||
        !window.narrow(data.NotBefore, data.NotOnOrAfter)) {
        return errc::response_malformed;
    }
    const precise_time precise_now{now};
    if (window.not_before && precise_now + allowed_skew < *window.not_before) {
        return errc::not_yet_valid;
    }
    if (precise_now - allowed_skew >= *window.not_on_or_after) {
        return errc::expired;
    }

    verified_assertion out;
    out.name_id = subject->NameID->content;
    out.name_id_format = std::string{view(subject->NameID->Format)};
    out.assertion_id = assertion->ID;
    out.issuer = idp.entity_id;
    out.not_on_or_after = std::chrono::ceil<seconds>(*window.not_on_or_after + allowed_skew);
    for (GList* item = assertion->AuthnStatement; item != nullptr; item = item->next) {
        const auto* statement =
            node_as<LassoSaml2AuthnStatement>(item->data, lasso_saml2_authn_statement_get_type());
        if (statement == nullptr) {
            continue;
        }
        if (statement->AuthnInstant != nullptr) {
            const auto instant = parse_saml_time(statement->AuthnInstant);
            if (!instant) {
                return errc::response_malformed;
            }
            out.authn_instant = std::chrono::floor<seconds>(*instant);
        }
        if (statement->AuthnContext != nullptr && statement->AuthnContext->AuthnContextClassRef != nullptr) {
            out.authn_context_class_ref = statement->AuthnContext->AuthnContextClassRef;
        }
        break;
    }
    out.attributes = read_attributes(*assertion);
    return out;
}

}  // namespace

// If lasso_init() fails (or is refused) the flag stays unset and the next call tries again.
void lasso::ensure_initialized() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (lasso_init() != 0) {
            throw std::runtime_error("lasso_init failed");
        }
        // lasso_init honours LASSO_FLAG=no-verify-signature from the environment, which would
        // make every signature check pass. Nothing may run with that.
        if (!lasso_flag_verify_signature) {
            throw std::runtime_error(
                "Lasso's signature verification is switched off (LASSO_FLAG=no-verify-signature in the "
                "environment); refusing to verify SAML logins"
            );
        }
    });
}

void initialize() {
    lasso::ensure_initialized();
}

std::string sp_metadata_xml(const sp_settings& sp) {
    std::string xml;
    xml += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    xml += "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"";
    xml += xml_escape(sp.entity_id);
    xml += "\">\n";
    xml +=
        "  <md:SPSSODescriptor AuthnRequestsSigned=\"false\" WantAssertionsSigned=\"false\" "
        "protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\n";
    xml += "    <md:NameIDFormat>";
    xml += name_id_format_email;
    xml += "</md:NameIDFormat>\n";
    xml +=
        "    <md:AssertionConsumerService index=\"0\" isDefault=\"true\" "
        "Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" Location=\"";
    xml += xml_escape(sp.acs_url);
    xml += "\"/>\n";
    xml += "  </md:SPSSODescriptor>\n";
    xml += "</md:EntityDescriptor>\n";
    return xml;
}

result<idp_summary> inspect_idp_metadata(std::string_view xml, bool allow_http_sign_in) {
    lasso::ensure_initialized();
    auto summary = read_idp_metadata(xml, allow_http_sign_in);
    if (!summary) {
        return summary;
    }
    // The same bytes must also load in Lasso, which later verifies signatures with them.
    const std::string text{xml};
    const gobject_ptr<LassoProvider> provider{
        lasso_provider_new_from_buffer(LASSO_PROVIDER_ROLE_IDP, text.c_str(), nullptr, nullptr)};
    if (provider == nullptr || view(provider->ProviderID) != summary->entity_id) {
        return errc::idp_metadata_invalid;
    }
    return summary;
}

result<authn_request> build_authn_request(
    const sp_settings& sp, const idp_settings& idp, std::string_view relay_state,
    const std::optional<std::string>& requested_authn_context
) {
    lasso::ensure_initialized();
    if (relay_state.size() > max_relay_state_bytes) {
        return errc::relay_state_too_long;
    }
    auto context = make_sp_context(sp, idp);
    if (!context) {
        return context.error();
    }
    const gobject_ptr<LassoLogin> login{lasso_login_new(context->server.get())};
    if (login == nullptr) {
        throw std::bad_alloc{};
    }
    LassoProfile* profile = &login->parent;
    // We publish no signing key (AuthnRequestsSigned="false").
    lasso_profile_set_signature_hint(profile, LASSO_PROFILE_SIGNATURE_HINT_FORBID);
    if (lasso_login_init_authn_request(
            login.get(), context->idp.entity_id.c_str(), LASSO_HTTP_METHOD_REDIRECT
        ) != 0) {
        return errc::idp_metadata_invalid;
    }
    auto* request = node_as<LassoSamlp2AuthnRequest>(profile->request, lasso_samlp2_authn_request_get_type());
    if (request == nullptr || request->NameIDPolicy == nullptr) {
        throw std::logic_error("lasso_login_init_authn_request made no AuthnRequest");
    }
    // Every challenge proves a fresh login, never an existing IdP session.
    request->ForceAuthn = TRUE;
    request->IsPassive = FALSE;
    assign_gstring(request->NameIDPolicy->Format, name_id_format_email);
    request->NameIDPolicy->AllowCreate = TRUE;
    assign_gstring(request->ProtocolBinding, LASSO_SAML2_METADATA_BINDING_POST);
    assign_gstring(request->AssertionConsumerServiceURL, sp.acs_url);
    if (requested_authn_context) {
        // SAML core 3.3.2.2.1: ask for the class the tenant requires; the assertion is checked
        // for it anyway (core::check_saml_authn_context), this makes the IdP step up.
        auto* requested = reinterpret_cast<LassoSamlp2RequestedAuthnContext*>(lasso_samlp2_requested_authn_context_new());
        requested->AuthnContextClassRef =
            g_list_append(nullptr, g_strndup(requested_authn_context->data(), requested_authn_context->size()));
        assign_gstring(requested->Comparison, "exact");
        if (request->RequestedAuthnContext != nullptr) {
            g_object_unref(request->RequestedAuthnContext);
        }
        request->RequestedAuthnContext = requested;
    }
    if (!relay_state.empty()) {
        assign_gstring(profile->msg_relayState, relay_state);
    }
    if (lasso_login_build_authn_request_msg(login.get()) != 0 || profile->msg_url == nullptr) {
        return errc::idp_metadata_no_redirect_sso;
    }
    if (!core::is_safe_redirect_url(profile->msg_url, idp.allow_http_sign_in)) {
        return errc::idp_metadata_unsafe_sso_url;
    }
    return authn_request{profile->msg_url, request->parent.ID};
}

result<verified_assertion> consume_post_response(
    const sp_settings& sp,
    const idp_settings& idp,
    std::string_view saml_response_base64,
    std::string_view expected_request_id,
    core::timestamp now,
    std::chrono::seconds allowed_skew
) {
    lasso::ensure_initialized();
    if (expected_request_id.empty()) {
        return errc::in_response_to_mismatch;
    }
    if (saml_response_base64.size() > max_response_base64_bytes) {
        return errc::response_malformed;
    }
    // Form posts may wrap the base64 text; Lasso gets it back re-encoded on one line.
    const auto decoded = crypto::base64_decode(without_xml_space(saml_response_base64));
    if (!decoded || decoded->empty() || has_dtd(*decoded) || decoded->find('\0') != std::string::npos) {
        return errc::response_malformed;
    }
    if (const xml_doc_ptr doc = parse_xml(*decoded); doc == nullptr) {
        return errc::response_malformed;
    } else if (!uses_only_strong_signature_algorithms(*doc)) {
        return errc::signature_algorithm_refused;
    }
    std::string message = crypto::base64_encode(*decoded);  // Lasso takes a non-const gchar*

    auto context = make_sp_context(sp, idp);
    if (!context) {
        return context.error();
    }
    const gobject_ptr<LassoLogin> login{lasso_login_new(context->server.get())};
    if (login == nullptr) {
        throw std::bad_alloc{};
    }
    LassoProfile* profile = &login->parent;
    // MAYBE: a Response signature, when present, must verify; without one every assertion must
    // carry a valid signature. FORCE would demand both, which many IdPs do not send.
    lasso_profile_set_signature_verify_hint(profile, LASSO_PROFILE_SIGNATURE_VERIFY_HINT_MAYBE);
    const int rc = lasso_login_process_authn_response_msg(login.get(), message.data());
    const auto* response = node_as<LassoSamlp2Response>(profile->response, lasso_samlp2_response_get_type());
    if (rc != 0) {
        return classify_lasso_refusal(rc, response);
    }
    if (response == nullptr) {
        return errc::response_malformed;
    }
    return check_assertion(sp, context->idp, *response, expected_request_id, now, allowed_skew);
}

}  // namespace chal::saml
