#include "storage/verification_store.hpp"

#include <stdexcept>
#include <variant>

namespace chal::storage {
namespace {

constexpr pg::query select_verification_settings{"select_verification_settings", R"sql(
    SELECT auth_mode, oidc_issuer, oidc_client_id, oidc_client_secret_sealed, oidc_scopes, oidc_identity_claim,
           oidc_required_acr, saml_idp_metadata, additional_context_enabled, support_email, support_phone,
           support_slack_channel, support_portal_url, oidc_email_verified_absent, saml_identity_attribute,
           saml_required_authn_context
    FROM tenant_verification_settings WHERE tenant_id = $1)sql"};

constexpr pg::query upsert_verification_settings{"upsert_verification_settings", R"sql(
    INSERT INTO tenant_verification_settings (
        tenant_id, auth_mode, oidc_issuer, oidc_client_id, oidc_client_secret_sealed, oidc_scopes, oidc_identity_claim,
        oidc_required_acr, saml_idp_metadata, additional_context_enabled, support_email, support_phone,
        support_slack_channel, support_portal_url, oidc_email_verified_absent, saml_identity_attribute,
        saml_required_authn_context, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, now())
    ON CONFLICT (tenant_id) DO UPDATE SET
        auth_mode = EXCLUDED.auth_mode, oidc_issuer = EXCLUDED.oidc_issuer, oidc_client_id = EXCLUDED.oidc_client_id,
        oidc_client_secret_sealed = EXCLUDED.oidc_client_secret_sealed, oidc_scopes = EXCLUDED.oidc_scopes,
        oidc_identity_claim = EXCLUDED.oidc_identity_claim, oidc_required_acr = EXCLUDED.oidc_required_acr,
        saml_idp_metadata = EXCLUDED.saml_idp_metadata,
        additional_context_enabled = EXCLUDED.additional_context_enabled, support_email = EXCLUDED.support_email,
        support_phone = EXCLUDED.support_phone, support_slack_channel = EXCLUDED.support_slack_channel,
        support_portal_url = EXCLUDED.support_portal_url,
        oidc_email_verified_absent = EXCLUDED.oidc_email_verified_absent,
        saml_identity_attribute = EXCLUDED.saml_identity_attribute,
        saml_required_authn_context = EXCLUDED.saml_required_authn_context, updated_at = now())sql"};

constexpr pg::query insert_verification_flow{"insert_verification_flow", R"sql(
    INSERT INTO verification_flows (id, challenge_id, tenant_id, browser_hash, method, saml_request_id, target_response,
                                    created_at, expires_at, oidc_issuer, oidc_client_id, acs_binding_hash)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12))sql"};

#define CHAL_FLOW_COLUMNS                                                                                      \
    "id, challenge_id, tenant_id, method, saml_request_id, target_response, created_at, expires_at, saml_answer::text," \
    " oidc_issuer, oidc_client_id, acs_binding_hash"

// Whoever presents the flow uses it up; only the browser that started it gets it back.
constexpr pg::query consume_verification_flow{"consume_verification_flow",
    "UPDATE verification_flows SET consumed_at = $3"
    " WHERE id = $1 AND consumed_at IS NULL AND expires_at > $3 AND (NOT $4 OR saml_answer IS NOT NULL)"
    " RETURNING " CHAL_FLOW_COLUMNS ", browser_hash = $2 AS same_browser"};

constexpr pg::query spend_verification_flow{"spend_verification_flow",
    "UPDATE verification_flows SET consumed_at = $2 WHERE id = $1 AND consumed_at IS NULL"};

constexpr pg::query select_open_flow{"select_open_flow",
    "SELECT " CHAL_FLOW_COLUMNS " FROM verification_flows WHERE id = $1 AND consumed_at IS NULL AND expires_at > $2"};

constexpr pg::query park_saml_answer{"park_saml_answer",
    "UPDATE verification_flows SET saml_answer = $3::jsonb"
    " WHERE id = $1 AND method = 'saml' AND acs_binding_hash = $2 AND consumed_at IS NULL AND expires_at > $4"
    "   AND saml_answer IS NULL"};

constexpr pg::query explain_verification_flow{"explain_verification_flow",
    "SELECT consumed_at IS NOT NULL AS used, expires_at <= $2 AS expired, saml_answer IS NULL AS unanswered"
    " FROM verification_flows WHERE id = $1"};

#undef CHAL_FLOW_COLUMNS

constexpr pg::query insert_seen_assertion{"insert_seen_assertion", R"sql(
    INSERT INTO saml_seen_assertions (issuer, assertion_id, tenant_id, expires_at) VALUES ($1, $2, $3, $4)
    ON CONFLICT (issuer, assertion_id) DO NOTHING)sql"};

constexpr pg::query prune_verification_rows{"prune_verification_rows", R"sql(
    WITH flows AS (DELETE FROM verification_flows WHERE expires_at <= $1::timestamptz - interval '1 day' RETURNING 1),
         seen AS (DELETE FROM saml_seen_assertions WHERE expires_at <= $1 RETURNING 1)
    SELECT (SELECT count(*) FROM flows) + (SELECT count(*) FROM seen))sql"};

verification_flow flow_from(const pg::row& r) {
    verification_flow f;
    f.id = r.get<std::string>(0);
    f.challenge_id = r.get<std::string>(1);
    f.tenant_id = r.get<std::string>(2);
    f.method = r.get<std::string>(3);
    f.saml_request_id = r.get<std::optional<std::string>>(4);
    f.target_response = r.get<std::optional<std::string>>(5);
    f.created_at = r.get<core::timestamp>(6);
    f.expires_at = r.get<core::timestamp>(7);
    f.saml_answer_json = r.get<std::optional<std::string>>(8);
    f.oidc_issuer = r.get<std::optional<std::string>>(9);
    f.oidc_client_id = r.get<std::optional<std::string>>(10);
    f.acs_binding_hash = r.get_optional_bytea(11);
    return f;
}

}  // namespace

std::string oidc_client_secret_context(std::string_view tenant_id) {
    return "tenant:" + std::string(tenant_id) + ":oidc_client_secret";
}

boost::asio::awaitable<verification_settings> verification_store::settings(std::string tenant_id) {
    auto rows = co_await db_.execute(select_verification_settings, pg::params{}.add(tenant_id));
    verification_settings s;
    s.tenant_id = tenant_id;
    if (rows.size() == 0) co_return s;
    const auto r = rows[0];
    const auto mode = core::parse_auth_mode(r.get<std::string>(0));
    if (!mode) throw std::logic_error("unexpected auth_mode in tenant_verification_settings");
    s.mode = *mode;
    s.oidc_issuer = r.get<std::optional<std::string>>(1);
    s.oidc_client_id = r.get<std::optional<std::string>>(2);
    s.oidc_client_secret_sealed = r.get_optional_bytea(3);
    s.oidc_scopes = r.get<std::string>(4);
    s.oidc_identity_claim = r.get<std::string>(5);
    s.oidc_required_acr = r.get<std::optional<std::string>>(6);
    s.saml_idp_metadata = r.get<std::optional<std::string>>(7);
    s.additional_context_enabled = r.get<bool>(8);
    s.support.email = r.get<std::optional<std::string>>(9);
    s.support.phone = r.get<std::optional<std::string>>(10);
    s.support.slack_channel = r.get<std::optional<std::string>>(11);
    s.support.portal_url = r.get<std::optional<std::string>>(12);
    const auto absent = core::parse_email_verified_absent(r.get<std::string>(13));
    if (!absent) throw std::logic_error("unexpected oidc_email_verified_absent in tenant_verification_settings");
    s.oidc_email_verified_absent = *absent;
    s.saml_identity_attribute = r.get<std::optional<std::string>>(14);
    s.saml_required_authn_context = r.get<std::optional<std::string>>(15);
    co_return s;
}

boost::asio::awaitable<void> verification_store::save_settings(verification_settings s) {
    pg::params p;
    p.add(s.tenant_id).add(core::to_string(s.mode)).add(s.oidc_issuer).add(s.oidc_client_id);
    if (s.oidc_client_secret_sealed) {
        p.add_bytea(*s.oidc_client_secret_sealed);
    } else {
        p.add_null();
    }
    p.add(s.oidc_scopes)
        .add(s.oidc_identity_claim)
        .add(s.oidc_required_acr)
        .add(s.saml_idp_metadata)
        .add(s.additional_context_enabled)
        .add(s.support.email)
        .add(s.support.phone)
        .add(s.support.slack_channel)
        .add(s.support.portal_url)
        .add(core::to_string(s.oidc_email_verified_absent))
        .add(s.saml_identity_attribute)
        .add(s.saml_required_authn_context);
    co_await db_.execute(upsert_verification_settings, p);
}

boost::asio::awaitable<void> verification_store::create_flow(verification_flow flow) {
    pg::params p;
    p.add(flow.id).add(flow.challenge_id).add(flow.tenant_id);
    p.add_bytea(flow.browser_hash);
    p.add(flow.method).add(flow.saml_request_id).add(flow.target_response).add(flow.created_at).add(flow.expires_at);
    p.add(flow.oidc_issuer).add(flow.oidc_client_id);
    if (flow.acs_binding_hash) {
        p.add_bytea(*flow.acs_binding_hash);
    } else {
        p.add_null();
    }
    co_await db_.execute(insert_verification_flow, p);
}

boost::asio::awaitable<std::variant<verification_flow, flow_refusal>> verification_store::consume_flow(
    std::string flow_id, std::string browser_hash, core::timestamp now, flow_use use
) {
    pg::params p;
    p.add(flow_id);
    p.add_bytea(browser_hash);
    p.add(now);
    p.add(use == flow_use::saml_answered);
    auto rows = co_await db_.execute(consume_verification_flow, p);
    if (rows.size() == 1) {
        if (!rows[0].get<bool>(12)) co_return flow_refusal::other_browser;
        auto f = flow_from(rows[0]);
        f.browser_hash = browser_hash;
        co_return f;
    }
    auto why = co_await db_.execute(explain_verification_flow, pg::params{}.add(flow_id).add(now));
    if (why.size() == 0) co_return flow_refusal::unknown;
    if (why[0].get<bool>(0)) co_return flow_refusal::used;
    if (why[0].get<bool>(1)) co_return flow_refusal::expired;
    co_return flow_refusal::unanswered;
}

boost::asio::awaitable<void> verification_store::spend_flow(std::string flow_id, core::timestamp now) {
    co_await db_.execute(spend_verification_flow, pg::params{}.add(flow_id).add(now));
}

boost::asio::awaitable<std::optional<verification_flow>> verification_store::find_open_flow(
    std::string flow_id, core::timestamp now
) {
    auto rows = co_await db_.execute(select_open_flow, pg::params{}.add(flow_id).add(now));
    if (rows.size() == 0) co_return std::nullopt;
    co_return flow_from(rows[0]);
}

boost::asio::awaitable<bool> verification_store::record_saml_answer(
    std::string flow_id, std::string acs_binding_hash, std::string answer_json, core::timestamp now
) {
    pg::params p;
    p.add(flow_id);
    p.add_bytea(acs_binding_hash);
    p.add(answer_json).add(now);
    auto done = co_await db_.execute(park_saml_answer, p);
    co_return done.affected_rows() == 1;
}

boost::asio::awaitable<bool> verification_store::remember_assertion(
    std::string issuer, std::string assertion_id, std::string tenant_id, core::timestamp expires_at
) {
    auto done = co_await db_.execute(
        insert_seen_assertion, pg::params{}.add(issuer).add(assertion_id).add(tenant_id).add(expires_at)
    );
    co_return done.affected_rows() == 1;
}

boost::asio::awaitable<std::int64_t> verification_store::prune(core::timestamp now) {
    auto rows = co_await db_.execute(prune_verification_rows, pg::params{}.add(now));
    co_return rows[0].get<std::int64_t>(0);
}

}  // namespace chal::storage
