#include "app/services/console_sso.hpp"

#include "app/core/console_sso.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace chal::services {
namespace {

// What the audit log says about a settings change: the secret only as "changed (fingerprint)".
boost::json::object settings_detail(const storage::console_sso_record& s, bool secret_changed) {
    return {{"issuer", s.issuer},
            {"client_id", s.client_id},
            {"client_secret", secret_changed ? "changed (" + s.client_secret_fingerprint + ")"
                                             : "unchanged (" + s.client_secret_fingerprint + ")"},
            {"just_in_time_viewers", s.just_in_time_viewers}};
}

}  // namespace

console_sso::console_sso(storage::console_sso_store& store, storage::console_store& console, console_access& access,
                         const crypto::secret_box& secrets, core::clock_function clock, std::chrono::seconds login_lifetime)
    : store_(store), console_(console), access_(access), secrets_(secrets), clock_(std::move(clock)), login_lifetime_(login_lifetime) {}

console_sso_view console_sso::view_of(const storage::console_sso_record& r) const {
    return {r.tenant_id, r.issuer, r.client_id, r.client_secret_fingerprint, r.just_in_time_viewers, r.updated_by, r.updated_at};
}

boost::asio::awaitable<core::result<console_sso_view>> console_sso::configure(
    core::principal who, std::string tenant_id, console_sso_change change, storage::request_origin origin
) {
    if (auto allowed = core::authorize(who, tenant_id, core::permission::manage_owners); !allowed) co_return allowed.error();
    if (who.type == core::principal::kind::member && !who.fresh_login) co_return core::errc::fresh_login_required;
    if (auto ok = core::check_sso_issuer(change.issuer); !ok) co_return ok.error();
    if (auto ok = core::check_sso_client(change.client_id, change.client_secret); !ok) co_return ok.error();
    const auto before = co_await store_.settings(tenant_id);
    storage::console_sso_record record;
    record.tenant_id = tenant_id;
    record.issuer = change.issuer;
    record.client_id = change.client_id;
    record.client_secret_sealed = secrets_.seal(change.client_secret, storage::console_sso_secret_context(tenant_id));
    // Keyed, so a fingerprint shown in the log or on a page cannot be used to guess a weak secret.
    record.client_secret_fingerprint =
        crypto::hex_encode(crypto::hmac_sha256(secrets_.derive_key("console-sso-secret-fingerprint"), change.client_secret))
            .substr(0, 16);
    record.just_in_time_viewers = change.just_in_time_viewers;
    record.updated_by = core::actor_text(who);
    record.updated_at = clock_();
    boost::json::object detail;
    if (before) detail["before"] = settings_detail(*before, false);
    detail["after"] = settings_detail(record, !before || before->client_secret_fingerprint != record.client_secret_fingerprint);
    storage::admin_audit_event event{tenant_id, record.updated_by, "console.sso_configured", "console_sso", tenant_id,
                                     "success", boost::json::serialize(detail)};
    auto saved = record;
    co_await store_.save_settings(std::move(saved), std::move(event), std::move(origin));
    co_return view_of(record);
}

boost::asio::awaitable<core::result<std::optional<console_sso_view>>> console_sso::show(core::principal who, std::string tenant_id) {
    if (auto allowed = core::authorize(who, tenant_id, core::permission::manage_owners); !allowed) co_return allowed.error();
    auto found = co_await store_.settings(tenant_id);
    std::optional<console_sso_view> out;
    if (found) out = view_of(*found);
    co_return out;
}

boost::asio::awaitable<core::result<void>> console_sso::clear(core::principal who, std::string tenant_id, storage::request_origin origin) {
    if (auto allowed = core::authorize(who, tenant_id, core::permission::manage_owners); !allowed) co_return allowed.error();
    if (who.type == core::principal::kind::member && !who.fresh_login) co_return core::errc::fresh_login_required;
    storage::admin_audit_event event{tenant_id, core::actor_text(who), "console.sso_cleared", "console_sso", tenant_id,
                                     "success", std::nullopt};
    const bool cleared = co_await store_.clear_settings(tenant_id, std::move(event), std::move(origin), clock_());
    if (!cleared) co_return core::errc::sso_not_configured;
    co_return core::result<void>{};
}

boost::asio::awaitable<std::vector<storage::sso_tenant>> console_sso::tenants_for_email(std::string email) {
    auto checked = core::checked_member_email(email);
    if (!checked) co_return std::vector<storage::sso_tenant>{};
    co_return co_await store_.tenants_of_email(*checked);
}

boost::asio::awaitable<core::result<console_sso_client>> console_sso::client_for(std::string tenant_id) {
    if (!crypto::is_uuid(tenant_id)) co_return core::errc::sso_not_configured;
    auto found = co_await store_.settings(tenant_id);
    if (!found) co_return core::errc::sso_not_configured;
    auto secret = secrets_.open(found->client_secret_sealed, storage::console_sso_secret_context(tenant_id));
    if (!secret) co_return core::errc::sso_not_configured;
    co_return console_sso_client{found->tenant_id, found->issuer, found->client_id, std::move(*secret),
                                 found->just_in_time_viewers};
}

boost::asio::awaitable<storage::console_login_flow> console_sso::start(console_login_start start, const console_sso_client& client) {
    const auto now = clock_();
    storage::console_login_flow flow;
    flow.id = crypto::new_uuid_v7(std::chrono::system_clock::now());
    flow.browser_hash = std::move(start.browser_hash);
    flow.tenant_id = client.tenant_id;
    flow.issuer = client.issuer;
    flow.client_id = client.client_id;
    flow.purpose = start.step_up_session ? "step_up" : "sign_in";
    if (start.step_up_session && start.step_up_token) {
        flow.step_up_user_id = start.step_up_session->user_id;
        flow.step_up_session_hash = crypto::sha256(*start.step_up_token);
    }
    flow.return_to = core::safe_return_path(start.return_to);
    flow.created_at = now;
    flow.expires_at = now + login_lifetime_;
    auto stored = flow;
    co_await store_.insert_flow(std::move(stored));
    co_return flow;
}

boost::asio::awaitable<std::variant<storage::console_login_flow, storage::login_flow_refusal>> console_sso::consume(
    std::string state, std::string browser_hash
) {
    if (!crypto::is_uuid(state)) co_return storage::login_flow_refusal::unknown;
    co_return co_await store_.consume_flow(std::move(state), std::move(browser_hash), clock_());
}

boost::asio::awaitable<core::result<signed_in>> console_sso::complete(
    storage::console_login_flow flow, console_sso_assertion assertion, storage::request_origin origin
) {
    auto settings = co_await store_.settings(flow.tenant_id);
    // The answer is judged under the settings the browser was sent away with, or not at all.
    if (!settings || settings->issuer != flow.issuer || settings->client_id != flow.client_id) {
        co_await record_refusal(flow, "console SSO settings changed during the sign-in", origin);
        co_return core::errc::sso_not_configured;
    }
    storage::sso_sign_in in{flow.tenant_id,
                            flow.issuer,
                            std::move(assertion.subject),
                            std::move(assertion.verified_email),
                            settings->just_in_time_viewers,
                            assertion.auth_time,
                            flow.step_up_user_id,
                            flow.step_up_session_hash};
    co_return co_await access_.open_sso_session(std::move(in), std::move(origin));
}

boost::asio::awaitable<void> console_sso::record_refusal(
    const storage::console_login_flow& flow, std::string reason, storage::request_origin origin
) {
    storage::admin_audit_event denied{flow.tenant_id,
                                      flow.step_up_user_id ? "user:" + *flow.step_up_user_id : "idp",
                                      flow.purpose == "step_up" ? "console.reauthenticated" : "console.signed_in",
                                      "console_sso",
                                      flow.tenant_id,
                                      "denied",
                                      boost::json::serialize(boost::json::object{{"issuer", flow.issuer}, {"reason", reason}})};
    co_await console_.record(std::move(denied), std::move(origin), clock_());
}

}  // namespace chal::services
