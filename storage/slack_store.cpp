#include "storage/slack_store.hpp"

#include <stdexcept>

namespace chal::storage {
namespace {

constexpr pg::query insert_slack_integration{"insert_slack_integration", R"sql(
    INSERT INTO integrations (id, tenant_id, kind, display_name) VALUES ($1, $2, 'slack', $3))sql"};

constexpr pg::query insert_slack_app{"insert_slack_app", R"sql(
    INSERT INTO slack_apps (integration_id, tenant_id, instance_id, app_id, signing_secret_sealed, client_id,
                            client_secret_sealed, token_rotation, security_channel_id)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9))sql"};

#define CHAL_SLACK_APP_COLUMNS                                                                            \
    "a.integration_id, a.tenant_id, i.display_name, a.instance_id, a.app_id, a.signing_secret_sealed, " \
    "a.client_id, a.client_secret_sealed, a.token_rotation, a.security_channel_id"

constexpr pg::query select_slack_app{"select_slack_app",
    "SELECT " CHAL_SLACK_APP_COLUMNS " FROM slack_apps a JOIN integrations i ON i.id = a.integration_id"
    " WHERE a.tenant_id = $1 AND a.instance_id = $2"};

constexpr pg::query select_slack_app_by_integration{"select_slack_app_by_integration",
    "SELECT " CHAL_SLACK_APP_COLUMNS " FROM slack_apps a JOIN integrations i ON i.id = a.integration_id"
    " WHERE a.integration_id = $1"};

constexpr pg::query select_slack_apps_of_tenant{"select_slack_apps_of_tenant",
    "SELECT " CHAL_SLACK_APP_COLUMNS " FROM slack_apps a JOIN integrations i ON i.id = a.integration_id"
    " WHERE a.tenant_id = $1 ORDER BY a.created_at, a.integration_id"};

constexpr pg::query select_slack_app_by_instance{"select_slack_app_by_instance",
    "SELECT " CHAL_SLACK_APP_COLUMNS " FROM slack_apps a JOIN integrations i ON i.id = a.integration_id"
    " WHERE a.instance_id = $1"};

#undef CHAL_SLACK_APP_COLUMNS

constexpr pg::query update_slack_app_credentials{"update_slack_app_credentials", R"sql(
    UPDATE slack_apps SET app_id = $2, signing_secret_sealed = $3, client_id = $4, client_secret_sealed = $5,
                          token_rotation = $6, security_channel_id = $7
    WHERE integration_id = $1)sql"};

constexpr pg::query record_slack_app_id{"record_slack_app_id", R"sql(
    UPDATE slack_apps SET app_id = coalesce(app_id, $2) WHERE integration_id = $1 RETURNING app_id)sql"};

constexpr pg::query deactivate_replaced_installation{"deactivate_replaced_installation", R"sql(
    UPDATE slack_installations SET deactivated_at = $4
    WHERE integration_id = $1 AND coalesce(enterprise_id, '') = coalesce($2, '') AND coalesce(team_id, '') = coalesce($3, '')
      AND deactivated_at IS NULL)sql"};

constexpr pg::query insert_slack_installation{"insert_slack_installation", R"sql(
    INSERT INTO slack_installations (id, integration_id, tenant_id, team_id, enterprise_id, is_enterprise_install,
                                     bot_user_id, bot_id, scopes, bot_token_sealed, refresh_token_sealed,
                                     token_expires_at, installed_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13))sql"};

#define CHAL_SLACK_INSTALLATION_COLUMNS                                                                  \
    "id, integration_id, tenant_id, team_id, enterprise_id, is_enterprise_install, bot_user_id, bot_id, scopes, " \
    "bot_token_sealed, refresh_token_sealed, token_expires_at, installed_at"

// Org-wide installs are keyed by enterprise only (team_id NULL); workspace installs by team.
constexpr pg::query select_slack_installation{"select_slack_installation",
    "SELECT " CHAL_SLACK_INSTALLATION_COLUMNS " FROM slack_installations"
    " WHERE integration_id = $1 AND deactivated_at IS NULL"
    "   AND CASE WHEN $4 THEN is_enterprise_install AND enterprise_id = $2"
    "            ELSE NOT is_enterprise_install AND team_id = $3 END"
    " ORDER BY installed_at DESC LIMIT 1"};

constexpr pg::query select_slack_installation_by_id{"select_slack_installation_by_id",
    "SELECT " CHAL_SLACK_INSTALLATION_COLUMNS " FROM slack_installations WHERE id = $1 AND deactivated_at IS NULL"};

constexpr pg::query select_live_installations_of_app{"select_live_installations_of_app",
    "SELECT " CHAL_SLACK_INSTALLATION_COLUMNS " FROM slack_installations"
    " WHERE integration_id = $1 AND deactivated_at IS NULL ORDER BY installed_at, id"};

// Token rotation: the row stays locked until the refresh's transaction ends.
constexpr pg::query lock_live_slack_installation{"lock_live_slack_installation",
    "SELECT " CHAL_SLACK_INSTALLATION_COLUMNS " FROM slack_installations"
    " WHERE id = $1 AND deactivated_at IS NULL FOR UPDATE"};

constexpr pg::query lock_live_installations_of_app{"lock_live_installations_of_app",
    "SELECT " CHAL_SLACK_INSTALLATION_COLUMNS " FROM slack_installations"
    " WHERE integration_id = $1 AND deactivated_at IS NULL ORDER BY id FOR UPDATE"};

#undef CHAL_SLACK_INSTALLATION_COLUMNS

constexpr pg::query deactivate_slack_installation_by_id{"deactivate_slack_installation_by_id", R"sql(
    UPDATE slack_installations SET deactivated_at = $2 WHERE id = $1 AND deactivated_at IS NULL)sql"};

// Held until the install's transaction ends, so a disallow() of any of these rows waits for it.
constexpr pg::query lock_slack_allowlist{"lock_slack_allowlist", R"sql(
    SELECT kind, slack_id FROM slack_install_allowlist WHERE integration_id = $1 FOR SHARE)sql"};

constexpr pg::query select_slack_allowlist{"select_slack_allowlist", R"sql(
    SELECT kind, slack_id, added_by, added_at FROM slack_install_allowlist WHERE integration_id = $1
    ORDER BY added_at, kind, slack_id)sql"};

constexpr pg::query insert_slack_allowlist_entry{"insert_slack_allowlist_entry", R"sql(
    INSERT INTO slack_install_allowlist (integration_id, kind, slack_id, added_by, added_at)
    VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING)sql"};

constexpr pg::query delete_slack_allowlist_entry{"delete_slack_allowlist_entry", R"sql(
    DELETE FROM slack_install_allowlist WHERE integration_id = $1 AND kind = $2 AND slack_id = $3)sql"};

constexpr pg::query update_slack_installation_tokens{"update_slack_installation_tokens", R"sql(
    UPDATE slack_installations SET bot_token_sealed = $2, refresh_token_sealed = $3, token_expires_at = $4
    WHERE id = $1)sql"};

constexpr pg::query deactivate_slack_installations{"deactivate_slack_installations", R"sql(
    UPDATE slack_installations SET deactivated_at = $4
    WHERE integration_id = $1 AND deactivated_at IS NULL
      AND (($3::text IS NOT NULL AND team_id = $3) OR ($3::text IS NULL AND is_enterprise_install AND enterprise_id = $2)))sql"};

constexpr pg::query insert_slack_event_seen{"insert_slack_event_seen", R"sql(
    INSERT INTO slack_events_seen (integration_id, event_id, received_at) VALUES ($1, $2, $3)
    ON CONFLICT DO NOTHING)sql"};

constexpr pg::query use_slack_oauth_state{"use_slack_oauth_state", R"sql(
    INSERT INTO slack_oauth_states (state_hash, integration_id, browser_hash, expires_at, used_at)
    VALUES ($1, $2, $3, $4, $5) ON CONFLICT (state_hash) DO NOTHING)sql"};

constexpr pg::query upsert_slack_message{"upsert_slack_message", R"sql(
    INSERT INTO slack_messages (challenge_id, role, installation_id, channel_id, ts, thread_ts)
    VALUES ($1, $2, $3, $4, $5, $6)
    ON CONFLICT (challenge_id, role) DO UPDATE SET installation_id = EXCLUDED.installation_id,
        channel_id = EXCLUDED.channel_id, ts = EXCLUDED.ts, thread_ts = EXCLUDED.thread_ts)sql"};

constexpr pg::query select_slack_messages{"select_slack_messages", R"sql(
    SELECT challenge_id, role, installation_id, channel_id, ts, thread_ts FROM slack_messages
    WHERE challenge_id = $1 ORDER BY role)sql"};

constexpr pg::query prune_slack_rows{"prune_slack_rows", R"sql(
    WITH events AS (DELETE FROM slack_events_seen WHERE received_at < $1 RETURNING 1),
         states AS (DELETE FROM slack_oauth_states WHERE expires_at < $1 RETURNING 1)
    SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM states))sql"};

pg::params& add_optional_bytea(pg::params& p, const std::optional<std::string>& raw) {
    return raw ? p.add_bytea(*raw) : p.add_null();
}

slack_installation_record installation_from(const pg::row& r) {
    slack_installation_record i;
    i.id = r.get<std::string>(0);
    i.integration_id = r.get<std::string>(1);
    i.tenant_id = r.get<std::string>(2);
    i.team_id = r.get<std::optional<std::string>>(3);
    i.enterprise_id = r.get<std::optional<std::string>>(4);
    i.is_enterprise_install = r.get<bool>(5);
    i.bot_user_id = r.get<std::string>(6);
    i.bot_id = r.get<std::optional<std::string>>(7);
    i.scopes = r.get<std::string>(8);
    i.bot_token_sealed = r.get_bytea(9);
    i.refresh_token_sealed = r.get_optional_bytea(10);
    i.token_expires_at = r.get<std::optional<core::timestamp>>(11);
    i.installed_at = r.get<core::timestamp>(12);
    return i;
}

pg::params installation_params(const slack_installation_record& inst) {
    pg::params p;
    p.add(inst.id).add(inst.integration_id).add(inst.tenant_id).add(inst.team_id).add(inst.enterprise_id)
        .add(inst.is_enterprise_install).add(inst.bot_user_id).add(inst.bot_id).add(inst.scopes);
    p.add_bytea(inst.bot_token_sealed);
    add_optional_bytea(p, inst.refresh_token_sealed).add(inst.token_expires_at).add(inst.installed_at);
    return p;
}

pg::params replaced_installation_params(const slack_installation_record& inst, core::timestamp now) {
    return pg::params{}.add(inst.integration_id).add(inst.enterprise_id).add(inst.team_id).add(now);
}

core::slack_allowlist_entry entry_from(const pg::row& r) {
    const auto kind = core::parse_slack_owner_kind(r.get<std::string>(0));
    if (!kind) throw std::logic_error("slack_install_allowlist.kind out of its CHECK");
    return {*kind, r.get<std::string>(1)};
}

std::vector<core::slack_allowlist_entry> entries_from(const pg::result& rows) {
    std::vector<core::slack_allowlist_entry> out;
    for (const auto& r : rows) out.push_back(entry_from(r));
    return out;
}

pg::params allowlist_entry_params(
    const std::string& integration_id, const core::slack_allowlist_entry& entry, const std::string& added_by,
    core::timestamp now
) {
    return pg::params{}.add(integration_id).add(std::string(core::to_string(entry.kind))).add(entry.slack_id).add(added_by).add(now);
}

slack_app_record app_from(const pg::row& r) {
    slack_app_record a;
    a.integration_id = r.get<std::string>(0);
    a.tenant_id = r.get<std::string>(1);
    a.display_name = r.get<std::string>(2);
    a.instance_id = r.get<std::string>(3);
    a.app_id = r.get<std::optional<std::string>>(4);
    a.signing_secret_sealed = r.get_optional_bytea(5);
    a.client_id = r.get<std::optional<std::string>>(6);
    a.client_secret_sealed = r.get_optional_bytea(7);
    a.token_rotation = r.get<bool>(8);
    a.security_channel_id = r.get<std::optional<std::string>>(9);
    return a;
}

}  // namespace

core::slack_install_owner owner_of(const slack_installation_record& i) {
    return {i.team_id.value_or(""), i.enterprise_id.value_or(""), i.is_enterprise_install};
}

std::string slack_signing_secret_context(std::string_view integration_id) {
    return "slack_app:" + std::string(integration_id) + ":signing_secret";
}

std::string slack_client_secret_context(std::string_view integration_id) {
    return "slack_app:" + std::string(integration_id) + ":client_secret";
}

std::string slack_bot_token_context(std::string_view installation_id) {
    return "slack_installation:" + std::string(installation_id) + ":bot_token";
}

std::string slack_refresh_token_context(std::string_view installation_id) {
    return "slack_installation:" + std::string(installation_id) + ":refresh_token";
}

boost::asio::awaitable<void> slack_store::create_app(slack_app_record app) {
    auto tx = co_await db_.begin();
    co_await tx.execute(insert_slack_integration, pg::params{}.add(app.integration_id).add(app.tenant_id).add(app.display_name));
    pg::params p;
    p.add(app.integration_id).add(app.tenant_id).add(app.instance_id).add(app.app_id);
    add_optional_bytea(p, app.signing_secret_sealed).add(app.client_id);
    add_optional_bytea(p, app.client_secret_sealed).add(app.token_rotation).add(app.security_channel_id);
    co_await tx.execute(insert_slack_app, p);
    co_await tx.commit();
}

boost::asio::awaitable<std::optional<slack_app_record>> slack_store::find_app(std::string tenant_id, std::string instance_id) {
    auto rows = co_await db_.execute(select_slack_app, pg::params{}.add(tenant_id).add(instance_id));
    if (rows.size() == 0) co_return std::nullopt;
    co_return app_from(rows[0]);
}

boost::asio::awaitable<std::optional<slack_app_record>> slack_store::find_app_by_integration(std::string integration_id) {
    auto rows = co_await db_.execute(select_slack_app_by_integration, pg::params{}.add(integration_id));
    if (rows.size() == 0) co_return std::nullopt;
    co_return app_from(rows[0]);
}

boost::asio::awaitable<std::optional<slack_installation_record>> slack_store::find_installation_by_id(std::string id) {
    auto rows = co_await db_.execute(select_slack_installation_by_id, pg::params{}.add(id));
    if (rows.size() == 0) co_return std::nullopt;
    co_return installation_from(rows[0]);
}

boost::asio::awaitable<std::optional<slack_app_record>> slack_store::find_app_by_instance(std::string instance_id) {
    auto rows = co_await db_.execute(select_slack_app_by_instance, pg::params{}.add(instance_id));
    if (rows.size() == 0) co_return std::nullopt;
    co_return app_from(rows[0]);
}

boost::asio::awaitable<std::vector<slack_app_record>> slack_store::apps_of_tenant(std::string tenant_id) {
    auto rows = co_await db_.execute(select_slack_apps_of_tenant, pg::params{}.add(tenant_id));
    std::vector<slack_app_record> apps;
    for (const auto& r : rows) apps.push_back(app_from(r));
    co_return apps;
}

boost::asio::awaitable<bool> slack_store::save_app_credentials(
    slack_app_record app, std::optional<slack_installation_record> installation, core::timestamp now
) {
    pg::params p;
    p.add(app.integration_id).add(app.app_id);
    add_optional_bytea(p, app.signing_secret_sealed).add(app.client_id);
    add_optional_bytea(p, app.client_secret_sealed).add(app.token_rotation).add(app.security_channel_id);
    auto tx = co_await db_.begin();
    auto done = co_await tx.execute(update_slack_app_credentials, p);
    if (done.affected_rows() != 1) co_return false;  // rolled back by the pool
    if (installation) {
        co_await tx.execute(deactivate_replaced_installation, replaced_installation_params(*installation, now));
        co_await tx.execute(insert_slack_installation, installation_params(*installation));
        const auto entry = core::entry_naming(owner_of(*installation));
        co_await tx.execute(insert_slack_allowlist_entry, allowlist_entry_params(app.integration_id, entry, "set-credentials", now));
    }
    co_await tx.commit();
    co_return true;
}

boost::asio::awaitable<std::optional<std::string>> slack_store::record_app_id(std::string integration_id, std::string app_id) {
    auto rows = co_await db_.execute(record_slack_app_id, pg::params{}.add(integration_id).add(app_id));
    if (rows.size() == 0) co_return std::nullopt;
    co_return rows[0].get<std::string>(0);
}

boost::asio::awaitable<void> slack_store::install(slack_installation_record inst, core::timestamp now) {
    auto tx = co_await db_.begin();
    co_await tx.execute(deactivate_replaced_installation, replaced_installation_params(inst, now));
    co_await tx.execute(insert_slack_installation, installation_params(inst));
    co_await tx.commit();
}

boost::asio::awaitable<bool> slack_store::install_if_allowed(
    slack_installation_record inst, core::timestamp now, std::optional<std::string> admitted_by
) {
    auto tx = co_await db_.begin();
    const auto allowed = entries_from(co_await tx.execute(lock_slack_allowlist, pg::params{}.add(inst.integration_id)));
    if (admitted_by) {
        const auto entry = core::entry_naming(owner_of(inst));
        co_await tx.execute(insert_slack_allowlist_entry, allowlist_entry_params(inst.integration_id, entry, *admitted_by, now));
    } else if (!core::entry_admitting(allowed, owner_of(inst))) {
        co_return false;  // rolled back by the pool
    }
    co_await tx.execute(deactivate_replaced_installation, replaced_installation_params(inst, now));
    co_await tx.execute(insert_slack_installation, installation_params(inst));
    co_await tx.commit();
    co_return true;
}

boost::asio::awaitable<std::vector<slack_allowlist_record>> slack_store::allowlist(std::string integration_id) {
    auto rows = co_await db_.execute(select_slack_allowlist, pg::params{}.add(integration_id));
    std::vector<slack_allowlist_record> out;
    for (const auto& r : rows) out.push_back({entry_from(r), r.get<std::string>(2), r.get<core::timestamp>(3)});
    co_return out;
}

boost::asio::awaitable<bool> slack_store::allow(
    std::string integration_id, core::slack_allowlist_entry entry, std::string added_by, core::timestamp now
) {
    auto done = co_await db_.execute(insert_slack_allowlist_entry, allowlist_entry_params(integration_id, entry, added_by, now));
    co_return done.affected_rows() == 1;
}

boost::asio::awaitable<std::optional<std::int64_t>> slack_store::disallow(
    std::string integration_id, core::slack_allowlist_entry entry, core::timestamp now
) {
    auto tx = co_await db_.begin();
    auto removed = co_await tx.execute(
        delete_slack_allowlist_entry,
        pg::params{}.add(integration_id).add(std::string(core::to_string(entry.kind))).add(entry.slack_id)
    );
    if (removed.affected_rows() == 0) co_return std::nullopt;  // rolled back by the pool
    const auto remaining = entries_from(co_await tx.execute(lock_slack_allowlist, pg::params{}.add(integration_id)));
    std::int64_t deactivated = 0;
    for (const auto& row : co_await tx.execute(lock_live_installations_of_app, pg::params{}.add(integration_id))) {
        const auto live = installation_from(row);
        if (core::entry_admitting(remaining, owner_of(live))) continue;
        auto done = co_await tx.execute(deactivate_slack_installation_by_id, pg::params{}.add(live.id).add(now));
        deactivated += done.affected_rows();
    }
    co_await tx.commit();
    co_return deactivated;
}

boost::asio::awaitable<std::optional<slack_installation_record>> slack_store::find_installation(
    std::string integration_id, std::optional<std::string> enterprise_id, std::optional<std::string> team_id,
    bool is_enterprise_install
) {
    auto rows = co_await db_.execute(
        select_slack_installation,
        pg::params{}.add(integration_id).add(enterprise_id).add(team_id).add(is_enterprise_install)
    );
    if (rows.size() == 0) co_return std::nullopt;
    co_return installation_from(rows[0]);
}

boost::asio::awaitable<std::vector<slack_installation_record>> slack_store::installations_of_app(std::string integration_id) {
    auto rows = co_await db_.execute(select_live_installations_of_app, pg::params{}.add(integration_id));
    std::vector<slack_installation_record> out;
    for (const auto& r : rows) out.push_back(installation_from(r));
    co_return out;
}

boost::asio::awaitable<std::int64_t> slack_store::deactivate(
    std::string integration_id, std::optional<std::string> enterprise_id, std::optional<std::string> team_id,
    core::timestamp now
) {
    auto done = co_await db_.execute(
        deactivate_slack_installations, pg::params{}.add(integration_id).add(enterprise_id).add(team_id).add(now)
    );
    co_return done.affected_rows();
}

boost::asio::awaitable<std::optional<slack_installation_record>> slack_store::refresh_installation_tokens(
    std::string installation_id, slack_token_refresher refresh
) {
    auto tx = co_await db_.begin();
    auto rows = co_await tx.execute(lock_live_slack_installation, pg::params{}.add(installation_id));
    if (rows.size() == 0) co_return std::nullopt;  // rolled back by the pool
    auto locked = installation_from(rows[0]);
    auto refreshing = refresh(locked);
    auto update = co_await std::move(refreshing);
    if (update) {
        pg::params p;
        p.add(installation_id);
        p.add_bytea(update->bot_token_sealed);
        add_optional_bytea(p, update->refresh_token_sealed).add(update->token_expires_at);
        co_await tx.execute(update_slack_installation_tokens, p);
        locked.bot_token_sealed = std::move(update->bot_token_sealed);
        locked.refresh_token_sealed = std::move(update->refresh_token_sealed);
        locked.token_expires_at = update->token_expires_at;
    }
    co_await tx.commit();
    co_return locked;
}

boost::asio::awaitable<bool> slack_store::first_delivery(std::string integration_id, std::string event_id, core::timestamp now) {
    auto done = co_await db_.execute(insert_slack_event_seen, pg::params{}.add(integration_id).add(event_id).add(now));
    co_return done.affected_rows() == 1;
}

boost::asio::awaitable<bool> slack_store::use_oauth_state(
    std::string state_hash, std::string integration_id, std::string browser_hash, core::timestamp expires_at,
    core::timestamp now
) {
    pg::params p;
    p.add_bytea(state_hash).add(integration_id);
    p.add_bytea(browser_hash).add(expires_at).add(now);
    auto done = co_await db_.execute(use_slack_oauth_state, p);
    co_return done.affected_rows() == 1;
}

boost::asio::awaitable<void> slack_store::save_message(slack_message_record m) {
    co_await db_.execute(
        upsert_slack_message,
        pg::params{}.add(m.challenge_id).add(m.role).add(m.installation_id).add(m.channel_id).add(m.ts).add(m.thread_ts)
    );
}

boost::asio::awaitable<std::vector<slack_message_record>> slack_store::messages_of(std::string challenge_id) {
    auto rows = co_await db_.execute(select_slack_messages, pg::params{}.add(challenge_id));
    std::vector<slack_message_record> out;
    for (const auto& r : rows) {
        out.push_back({r.get<std::string>(0), r.get<std::string>(1), r.get<std::string>(2), r.get<std::string>(3),
                       r.get<std::string>(4), r.get<std::optional<std::string>>(5)});
    }
    co_return out;
}

boost::asio::awaitable<std::int64_t> slack_store::prune(core::timestamp before) {
    auto rows = co_await db_.execute(prune_slack_rows, pg::params{}.add(before));
    co_return rows[0].get<std::int64_t>(0);
}

}  // namespace chal::storage
