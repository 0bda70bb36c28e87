#include "app/core/verification.hpp"

#include "app/core/json_values.hpp"
#include "app/core/text.hpp"

#include <array>
#include <cstdio>

namespace chal::core {
namespace {

char lower_ascii(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

const boost::json::string* string_claim(const boost::json::object& claims, std::string_view name) {
    const auto* v = claims.if_contains(name);
    return v ? v->if_string() : nullptr;
}

// NumericDate: seconds since the epoch, an integer or (rarely) a fraction.
std::optional<timestamp> time_claim(const boost::json::object& claims, std::string_view name) {
    const auto* v = claims.if_contains(name);
    if (!v) return std::nullopt;
    double seconds = 0;
    if (v->is_int64()) {
        seconds = static_cast<double>(v->get_int64());
    } else if (v->is_uint64()) {
        seconds = static_cast<double>(v->get_uint64());
    } else if (v->is_double()) {
        seconds = v->get_double();
    } else {
        return std::nullopt;
    }
    if (!(seconds >= 0 && seconds < 253402300800.0)) return std::nullopt;  // before year 10000
    return timestamp{std::chrono::seconds{static_cast<long long>(seconds)}};
}

bool audience_includes(const boost::json::value& aud, std::string_view client_id, bool& several) {
    several = false;
    if (const auto* one = aud.if_string()) return *one == client_id;
    if (const auto* many = aud.if_array()) {
        several = many->size() > 1;
        for (const auto& entry : *many) {
            if (const auto* s = entry.if_string(); s && *s == client_id) return true;
        }
    }
    return false;
}

}  // namespace

std::string_view to_string(auth_mode m) noexcept {
    switch (m) {
        case auth_mode::unconfigured: return "unconfigured";
        case auth_mode::oidc: return "oidc";
        case auth_mode::saml: return "saml";
        case auth_mode::none: return "none";
    }
    return "unconfigured";
}

std::optional<auth_mode> parse_auth_mode(std::string_view text) noexcept {
    for (auto m : std::array{auth_mode::unconfigured, auth_mode::oidc, auth_mode::saml, auth_mode::none}) {
        if (to_string(m) == text) return m;
    }
    return std::nullopt;
}

std::string_view to_string(email_verified_absent p) noexcept {
    return p == email_verified_absent::accept ? "accept" : "refuse";
}

std::optional<email_verified_absent> parse_email_verified_absent(std::string_view text) noexcept {
    if (text == "refuse") return email_verified_absent::refuse;
    if (text == "accept") return email_verified_absent::accept;
    return std::nullopt;
}

link_state link_state_for(const std::optional<challenge>& c, bool authenticated, timestamp now) noexcept {
    if (!c) return link_state::not_found;
    if (is_terminal(c->status)) {
        return c->status == challenge_status::expired ? link_state::expired : link_state::finished;
    }
    // A proven login finishes as verified even if the deadline passes while it is written.
    if (authenticated) return link_state::awaiting_verification;
    if (now >= c->expires_at) return link_state::expired;
    return link_state::open;
}

std::string_view expected_identity(const challenge& c) noexcept {
    if (c.target_user_email && !c.target_user_email->empty()) return *c.target_user_email;
    if (c.target_user_id) return *c.target_user_id;
    return {};
}

bool identity_matches(const challenge& c, std::string_view proven) noexcept {
    const auto expected = expected_identity(c);
    if (expected.empty() || expected.size() != proven.size()) return false;
    for (std::size_t i = 0; i < expected.size(); ++i) {
        if (lower_ascii(expected[i]) != lower_ascii(proven[i])) return false;
    }
    return true;
}

bool is_safe_redirect_url(std::string_view url, bool allow_http) noexcept {
    if (url.empty() || url.size() > 8192) return false;
    for (const char ch : url) {
        const auto u = static_cast<unsigned char>(ch);
        if (u <= 0x20 || u >= 0x7f) return false;
    }
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return false;
    std::string scheme;
    for (const char ch : url.substr(0, scheme_end)) scheme += lower_ascii(ch);
    if (scheme != "https" && !(allow_http && scheme == "http")) return false;
    const auto rest = url.substr(scheme_end + 3);
    const auto authority = rest.substr(0, rest.find_first_of("/?#"));
    if (authority.empty() || authority.find('@') != std::string_view::npos) return false;
    if (authority.front() == ':') return false;  // a port without a host
    return url.find('#') == std::string_view::npos;
}

result<proven_login> check_id_token_claims(const boost::json::object& claims, const id_token_expectations& expect) {
    const auto* iss = string_claim(claims, "iss");
    if (!iss || *iss != expect.issuer) return errc::login_issuer_mismatch;

    const auto* aud = claims.if_contains("aud");
    bool several_audiences = false;
    if (!aud || !audience_includes(*aud, expect.client_id, several_audiences)) return errc::login_audience_mismatch;
    // OIDC Core 3.1.3.7 (4, 5): with several audiences, azp must be present and must be us.
    const auto* azp = string_claim(claims, "azp");
    if ((several_audiences && !azp) || (azp && *azp != expect.client_id)) return errc::login_audience_mismatch;

    const auto exp = time_claim(claims, "exp");
    const auto iat = time_claim(claims, "iat");
    if (!exp || !iat) return errc::login_malformed;
    if (expect.now >= *exp + expect.allowed_skew) return errc::login_expired;
    if (*iat > expect.now + expect.allowed_skew) return errc::login_expired;
    // A token minted long ago and kept (a replayed or cached token) is not this login's.
    if (expect.now - *iat > expect.max_login_age + expect.allowed_skew) return errc::login_expired;
    if (claims.contains("nbf")) {
        const auto nbf = time_claim(claims, "nbf");
        if (!nbf) return errc::login_malformed;
        if (*nbf > expect.now + expect.allowed_skew) return errc::login_expired;
    }

    const auto* nonce = string_claim(claims, "nonce");
    if (!nonce || expect.nonce.empty() || *nonce != expect.nonce) return errc::login_nonce_mismatch;

    // The forced re-authentication must have happened: after we sent the browser to the IdP
    // (allowing for clock skew), not in the future, and recently.
    auto auth_time = time_claim(claims, "auth_time");
    if (!auth_time && claims.contains("auth_time")) return errc::login_not_fresh;  // not a NumericDate
    if (expect.require_fresh_login) {
        if (!auth_time) return errc::login_not_fresh;
        if (*auth_time + expect.allowed_skew < expect.flow_started_at) return errc::login_not_fresh;
        if (expect.now - *auth_time > expect.max_login_age) return errc::login_not_fresh;
    }
    if (!auth_time) auth_time = expect.now;
    if (*auth_time > expect.now + expect.allowed_skew) return errc::login_not_fresh;

    proven_login out;
    out.auth_time = *auth_time;
    if (const auto* acr = string_claim(claims, "acr")) {
        if (!is_clean_text(*acr)) return errc::login_malformed;
        out.acr = std::string(*acr);
    }
    if (expect.required_acr && (!out.acr || *out.acr != *expect.required_acr)) return errc::login_acr_insufficient;

    // Identifiers are recorded as asserted, so one with a NUL or a control character (which no
    // real provider issues, and PostgreSQL's jsonb cannot hold) is refused, not mended.
    const auto* sub = string_claim(claims, "sub");
    if (!sub || sub->empty() || !is_clean_text(*sub)) return errc::login_malformed;
    out.subject = std::string(*sub);
    return out;
}

bool identity_claim_absent(const boost::json::object& claims, const identity_expectations& expect) {
    return !claims.contains(expect.claim);
}

result<std::string> asserted_identity(const boost::json::object& claims, const identity_expectations& expect) {
    const auto* identity = string_claim(claims, expect.claim);
    if (!identity || identity->empty()) return errc::login_identity_missing;
    if (!is_clean_text(*identity)) return errc::login_malformed;
    if (expect.claim == "email") {
        // OIDC Core 5.1: email_verified false means the provider did not check the address; anyone
        // may have typed the target's. A string "true" is what some providers send instead.
        const auto* flag = claims.if_contains("email_verified");
        if (!flag) {
            if (expect.when_verified_flag_absent == email_verified_absent::refuse) return errc::login_email_unverified;
        } else {
            const bool verified = (flag->is_bool() && flag->get_bool()) || (flag->is_string() && flag->get_string() == "true");
            if (!verified) return errc::login_email_unverified;
        }
    }
    return std::string(*identity);
}

result<void> check_userinfo_subject(const boost::json::object& userinfo, std::string_view id_token_subject) {
    const auto* sub = string_claim(userinfo, "sub");
    if (!sub || id_token_subject.empty() || *sub != id_token_subject) return errc::login_subject_mismatch;
    return {};
}

result<void> check_authorization_response_issuer(
    std::optional<std::string_view> iss_parameter, std::string_view expected_issuer, bool provider_sends_iss
) {
    if (!iss_parameter) {
        if (provider_sends_iss) return errc::login_issuer_mismatch;
        return {};
    }
    if (*iss_parameter != expected_issuer) return errc::login_issuer_mismatch;
    return {};
}

result<std::string> saml_asserted_identity(
    std::string_view name_id, std::string_view name_id_format,
    const std::map<std::string, std::vector<std::string>>& attributes, const saml_identity_source& source
) {
    if (!is_clean_text(name_id)) return errc::login_malformed;
    if (source.attribute) {
        const auto it = attributes.find(*source.attribute);
        if (it == attributes.end() || it->second.empty() || it->second.front().empty()) return errc::login_identity_missing;
        if (!is_clean_text(it->second.front())) return errc::login_malformed;
        return it->second.front();
    }
    // A persistent or transient NameID is an opaque handle, whatever it looks like; only an
    // emailAddress-format NameID says "this is the person's email".
    if (name_id_format != saml_name_id_format_email || name_id.empty()) return errc::login_identity_missing;
    return std::string(name_id);
}

result<void> check_saml_login_fresh(
    std::optional<timestamp> authn_instant, timestamp flow_started_at, timestamp now, std::chrono::seconds allowed_skew
) {
    if (!authn_instant) return errc::login_not_fresh;
    if (*authn_instant + allowed_skew < flow_started_at) return errc::login_not_fresh;
    if (*authn_instant > now + allowed_skew) return errc::login_not_fresh;
    return {};
}

result<void> check_saml_authn_context(
    const std::optional<std::string>& asserted, const std::optional<std::string>& required
) {
    if (required && (!asserted || *asserted != *required)) return errc::login_acr_insufficient;
    return {};
}

std::string receipt_audience(std::string_view tenant_id) {
    return "challenge-receipt:" + std::string(tenant_id);
}

boost::json::object receipt_claims(const challenge& c, const receipt_facts& facts) {
    const auto to_seconds = [](timestamp t) { return static_cast<std::int64_t>(t.time_since_epoch().count()); };
    boost::json::object claims;
    claims["iss"] = facts.issuer;
    claims["sub"] = std::string(expected_identity(c));
    claims["aud"] = receipt_audience(c.tenant_id);
    claims["jti"] = c.id;
    claims["challenge_id"] = c.id;
    claims["tenant_id"] = c.tenant_id;
    claims["requester_id"] = c.requester_id;
    claims["target_user_id"] = json_or_null(c.target_user_id);
    claims["target_user_email"] = json_or_null(c.target_user_email);
    claims["status"] = "verified";
    claims["auth_method"] = facts.auth_method;
    claims["acr"] = json_or_null(facts.acr);
    // No auth_time at all when nobody authenticated (click-through): a verifier that checks it
    // must not be handed a null it might read as "now".
    if (facts.auth_time) claims["auth_time"] = to_seconds(*facts.auth_time);
    claims["context_sha256"] = json_or_null(facts.context_sha256);
    claims["device_sha256"] = json_or_null(facts.device_sha256);
    claims["iat"] = to_seconds(facts.issued_at);
    claims["exp"] = to_seconds(facts.issued_at + facts.lifetime);
    return claims;
}

std::string verification_code_from(std::uint32_t random) {
    // Modulo bias: some codes have 4295 preimages, others 4294 (0.02 %), far below what a
    // guesser could use against a code shown once.
    std::array<char, 8> text{};
    std::snprintf(text.data(), text.size(), "%06u", static_cast<unsigned>(random % 1000000u));
    return std::string(text.data(), 6);
}

}  // namespace chal::core
