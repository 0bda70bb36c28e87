#include "app/core/verification.hpp"

#include "app/core/json_values.hpp"

#include <array>
#include <cstdio>

namespace chal::core {
namespace {

std::string_view trim_spaces(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

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
    const auto expected = trim_spaces(expected_identity(c));
    proven = trim_spaces(proven);
    if (expected.empty() || expected.size() != proven.size()) return false;
    for (std::size_t i = 0; i < expected.size(); ++i) {
        if (lower_ascii(expected[i]) != lower_ascii(proven[i])) return false;
    }
    return true;
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

    const auto* nonce = string_claim(claims, "nonce");
    if (!nonce || expect.nonce.empty() || *nonce != expect.nonce) return errc::login_nonce_mismatch;

    // The forced re-authentication must have happened: after we sent the browser to the IdP
    // (allowing for clock skew), not in the future, and recently.
    const auto auth_time = time_claim(claims, "auth_time");
    if (!auth_time) return errc::login_not_fresh;
    if (*auth_time + expect.allowed_skew < expect.flow_started_at) return errc::login_not_fresh;
    if (*auth_time > expect.now + expect.allowed_skew) return errc::login_not_fresh;
    if (expect.now - *auth_time > expect.max_login_age) return errc::login_not_fresh;

    proven_login out;
    out.auth_time = *auth_time;
    if (const auto* acr = string_claim(claims, "acr")) out.acr = std::string(*acr);
    if (expect.required_acr && (!out.acr || *out.acr != *expect.required_acr)) return errc::login_acr_insufficient;

    const auto* sub = string_claim(claims, "sub");
    if (!sub || sub->empty()) return errc::login_malformed;
    out.subject = std::string(*sub);
    const auto* identity = string_claim(claims, expect.identity_claim);
    if (!identity || identity->empty()) return errc::login_identity_missing;
    out.identity = std::string(*identity);
    return out;
}

result<void> check_saml_login_fresh(
    std::optional<timestamp> authn_instant, timestamp flow_started_at, timestamp now, std::chrono::seconds allowed_skew
) {
    if (!authn_instant) return errc::login_not_fresh;
    if (*authn_instant + allowed_skew < flow_started_at) return errc::login_not_fresh;
    if (*authn_instant > now + allowed_skew) return errc::login_not_fresh;
    return {};
}

boost::json::object receipt_claims(const challenge& c, const receipt_facts& facts) {
    const auto to_seconds = [](timestamp t) { return static_cast<std::int64_t>(t.time_since_epoch().count()); };
    boost::json::object claims;
    claims["iss"] = facts.issuer;
    claims["sub"] = std::string(expected_identity(c));
    claims["aud"] = "challenge-receipt";
    claims["jti"] = c.id;
    claims["challenge_id"] = c.id;
    claims["tenant_id"] = c.tenant_id;
    claims["requester_id"] = c.requester_id;
    claims["target_user_id"] = json_or_null(c.target_user_id);
    claims["target_user_email"] = json_or_null(c.target_user_email);
    claims["status"] = "verified";
    claims["auth_method"] = facts.auth_method;
    claims["acr"] = json_or_null(facts.acr);
    if (facts.auth_time) {
        claims["auth_time"] = to_seconds(*facts.auth_time);
    } else {
        claims["auth_time"] = nullptr;
    }
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
