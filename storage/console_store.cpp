#include "storage/console_store.hpp"

#include "storage/admin_audit.hpp"

#include "app/core/console_sso.hpp"
#include "app/core/text.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <chrono>

namespace chal::storage {
namespace {

constexpr pg::query insert_setup_link_row{"insert_console_setup_link", R"sql(
    INSERT INTO console_setup_links (token_hash, tenant_id, email, role, purpose, created_by, created_at, expires_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8))sql"};

constexpr pg::query select_live_setup_link{"select_live_console_setup_link", R"sql(
    SELECT tenant_id, email, role, purpose, created_by, created_at, expires_at FROM console_setup_links
    WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2)sql"};

constexpr pg::query spend_setup_link{"spend_console_setup_link", R"sql(
    UPDATE console_setup_links SET used_at = $2
    WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2
    RETURNING tenant_id, email, role, purpose)sql"};

// The no-op update makes RETURNING give the existing person's id.
constexpr pg::query upsert_console_user{"upsert_console_user", R"sql(
    INSERT INTO console_users (id, email, display_name, created_at) VALUES ($1, $2, $3, $4)
    ON CONFLICT ((lower(email))) DO UPDATE SET email = console_users.email
    RETURNING id, email, display_name)sql"};

// A setup link makes its person an active member with its role, but never demotes an Owner
// (the tenant's last Owner must stay one).
constexpr pg::query upsert_active_membership{"upsert_active_membership", R"sql(
    INSERT INTO memberships (tenant_id, user_id, role, status, created_by, created_at, updated_at)
    VALUES ($1, $2, $3, 'active', $4, $5, $5)
    ON CONFLICT (tenant_id, user_id) DO UPDATE
    SET role = CASE WHEN memberships.role = 'owner' THEN 'owner' ELSE EXCLUDED.role END,
        status = 'active', updated_at = EXCLUDED.updated_at)sql"};

constexpr pg::query insert_new_membership{"insert_new_membership", R"sql(
    INSERT INTO memberships (tenant_id, user_id, role, status, created_by, created_at, updated_at)
    VALUES ($1, $2, $3, 'active', $4, $5, $5)
    ON CONFLICT (tenant_id, user_id) DO NOTHING)sql"};

#define CHAL_SESSION_COLUMNS                                                                               \
    "s.id, s.tenant_id, t.name, s.user_id, u.email, u.display_name, m.role, m.status, s.auth_method, "     \
    "s.auth_time, s.created_at, s.last_seen_at, s.client_ip, s.user_agent "                                \
    "FROM console_sessions s "                                                                             \
    "JOIN memberships m ON m.tenant_id = s.tenant_id AND m.user_id = s.user_id "                           \
    "JOIN console_users u ON u.id = s.user_id JOIN tenants t ON t.id = s.tenant_id "

constexpr pg::query select_session_by_hash{"select_console_session_by_hash",
    "SELECT " CHAL_SESSION_COLUMNS "WHERE s.token_hash = $1 AND s.ended_at IS NULL"};

constexpr pg::query select_live_sessions_of_member{"select_live_console_sessions_of_member",
    "SELECT " CHAL_SESSION_COLUMNS "WHERE s.tenant_id = $1 AND s.user_id = $2 AND s.ended_at IS NULL "
    "ORDER BY s.created_at DESC LIMIT 100"};

#undef CHAL_SESSION_COLUMNS

constexpr pg::query touch_session{"touch_console_session", R"sql(
    UPDATE console_sessions SET last_seen_at = $2 WHERE token_hash = $1 AND ended_at IS NULL)sql"};

constexpr pg::query end_session_with_hash{"end_console_session_by_hash", R"sql(
    UPDATE console_sessions SET ended_at = $3, end_reason = $2 WHERE token_hash = $1 AND ended_at IS NULL)sql"};

constexpr pg::query end_session_with_id{"end_console_session_by_id", R"sql(
    UPDATE console_sessions SET ended_at = $5, end_reason = $4
    WHERE id = $3 AND tenant_id = $1 AND user_id = $2 AND ended_at IS NULL)sql"};

constexpr pg::query end_member_sessions{"end_console_sessions_of_member", R"sql(
    UPDATE console_sessions SET ended_at = $4, end_reason = $3
    WHERE tenant_id = $1 AND user_id = $2 AND ended_at IS NULL)sql"};

constexpr pg::query select_memberships_of_user{"select_memberships_of_user", R"sql(
    SELECT m.tenant_id, t.name, m.role FROM memberships m JOIN tenants t ON t.id = m.tenant_id
    WHERE m.user_id = $1 AND m.status = 'active' ORDER BY t.name, m.tenant_id)sql"};

#define CHAL_MEMBER_COLUMNS \
    "u.id, u.email, u.display_name, m.role, m.status, m.created_at, m.created_by " \
    "FROM memberships m JOIN console_users u ON u.id = m.user_id "

constexpr pg::query select_members{"select_members",
    "SELECT " CHAL_MEMBER_COLUMNS "WHERE m.tenant_id = $1 ORDER BY lower(u.email), u.id LIMIT 1000"};

constexpr pg::query select_member{"select_member",
    "SELECT " CHAL_MEMBER_COLUMNS "WHERE m.tenant_id = $1 AND m.user_id = $2"};

#undef CHAL_MEMBER_COLUMNS

// Every membership change of a tenant takes these row locks first, so concurrent changes are
// decided one after the other on what the previous one left.
constexpr pg::query lock_tenant_memberships{"lock_tenant_memberships", R"sql(
    SELECT user_id, role, status FROM memberships WHERE tenant_id = $1 ORDER BY user_id FOR UPDATE)sql"};

constexpr pg::query update_membership_role{"update_membership_role", R"sql(
    UPDATE memberships SET role = $3, updated_at = $4 WHERE tenant_id = $1 AND user_id = $2)sql"};

constexpr pg::query update_membership_status{"update_membership_status", R"sql(
    UPDATE memberships SET status = $3, updated_at = $4 WHERE tenant_id = $1 AND user_id = $2)sql"};

constexpr pg::query delete_membership{"delete_membership", R"sql(
    WITH identities AS (DELETE FROM console_identities WHERE tenant_id = $1 AND user_id = $2)
    DELETE FROM memberships WHERE tenant_id = $1 AND user_id = $2)sql"};

// Newest first over audit_events_by_tenant; the action filter is a prefix ("member." finds all).
constexpr pg::query select_audit_page{"select_audit_page", R"sql(
    SELECT id, at, actor, action, challenge_id, target_type, target_id, outcome, status_before, status_after,
           client_ip, user_agent, request_id, detail::text
    FROM audit_events
    WHERE tenant_id = $1 AND ($2::bigint IS NULL OR id < $2)
      AND ($3::text IS NULL OR actor = $3)
      AND ($4::text IS NULL OR starts_with(action, $4))
      AND ($5::text IS NULL OR outcome = $5)
      AND ($6::timestamptz IS NULL OR at >= $6) AND ($7::timestamptz IS NULL OR at < $7)
    ORDER BY id DESC LIMIT $8)sql"};

constexpr pg::query insert_session{"insert_console_session", R"sql(
    INSERT INTO console_sessions (token_hash, id, tenant_id, user_id, auth_method, auth_time, created_at, last_seen_at,
                                  client_ip, user_agent)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9))sql"};

constexpr pg::query select_bound_identity{"select_bound_console_identity", R"sql(
    SELECT user_id FROM console_identities WHERE tenant_id = $1 AND issuer = $2 AND subject = $3)sql"};

constexpr pg::query select_member_by_email_for_sso{"select_member_by_email_for_sso", R"sql(
    SELECT u.id, EXISTS (SELECT 1 FROM console_identities i
                         WHERE i.tenant_id = m.tenant_id AND i.user_id = u.id AND i.issuer = $3)
    FROM console_users u JOIN memberships m ON m.user_id = u.id AND m.tenant_id = $1
    WHERE lower(u.email) = lower($2))sql"};

// Two first sign-ins of one subject racing: the second finds the first's binding.
constexpr pg::query insert_identity{"insert_console_identity", R"sql(
    INSERT INTO console_identities (tenant_id, issuer, subject, user_id, created_at) VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT DO NOTHING)sql"};

constexpr pg::query lock_membership_status{"lock_membership_status", R"sql(
    SELECT status FROM memberships WHERE tenant_id = $1 AND user_id = $2 FOR UPDATE)sql"};

constexpr pg::query end_own_session_with_hash{"end_own_console_session_by_hash", R"sql(
    UPDATE console_sessions SET ended_at = $4, end_reason = $3
    WHERE token_hash = $1 AND user_id = $2 AND ended_at IS NULL)sql"};

core::role role_from(const std::string& text) {
    return core::parse_role(text).value_or(core::role::viewer);
}

core::membership_status status_from(const std::string& text) {
    return core::parse_membership_status(text).value_or(core::membership_status::suspended);
}

console_session_record session_from(const pg::row& r) {
    console_session_record s;
    s.id = r.get<std::string>(0);
    s.tenant_id = r.get<std::string>(1);
    s.tenant_name = r.get<std::string>(2);
    s.user_id = r.get<std::string>(3);
    s.email = r.get<std::string>(4);
    s.display_name = r.get<std::string>(5);
    s.role = role_from(r.get<std::string>(6));
    s.facts.status = status_from(r.get<std::string>(7));
    s.auth_method = r.get<std::string>(8);
    s.facts.auth_time = r.get<core::timestamp>(9);
    s.facts.created_at = r.get<core::timestamp>(10);
    s.facts.last_seen_at = r.get<core::timestamp>(11);
    s.client_ip = r.get<std::optional<std::string>>(12);
    s.user_agent = r.get<std::optional<std::string>>(13);
    return s;
}

member_record member_from(const pg::row& r) {
    return {r.get<std::string>(0), r.get<std::string>(1), r.get<std::string>(2), role_from(r.get<std::string>(3)),
            status_from(r.get<std::string>(4)), r.get<core::timestamp>(5), r.get<std::string>(6)};
}


std::string role_change_detail(core::role before, core::role after) {
    return boost::json::serialize(boost::json::object{
        {"before", {{"role", core::to_string(before)}}}, {"after", {{"role", core::to_string(after)}}}});
}

std::string_view change_action(const core::membership_change& change) {
    using kind = core::membership_change::kind;
    switch (change.type) {
        case kind::change_role: return "member.role_changed";
        case kind::suspend: return "member.suspended";
        case kind::unsuspend: return "member.unsuspended";
        case kind::remove: return "member.removed";
    }
    return "member.changed";
}

}  // namespace

boost::asio::awaitable<std::vector<audit_entry>> console_store::audit_events(
    std::string tenant_id, audit_filter filter, std::optional<std::int64_t> before_id, int limit
) {
    pg::params p;
    p.add(tenant_id).add(before_id).add(filter.actor).add(filter.action_prefix).add(filter.outcome).add(filter.from)
        .add(filter.until).add(limit);
    std::vector<audit_entry> out;
    for (const auto& r : co_await db_.execute(select_audit_page, p)) {
        out.push_back({r.get<std::int64_t>(0), r.get<core::timestamp>(1), r.get<std::string>(2), r.get<std::string>(3),
                       r.get<std::optional<std::string>>(4), r.get<std::optional<std::string>>(5),
                       r.get<std::optional<std::string>>(6), r.get<std::string>(7), r.get<std::optional<std::string>>(8),
                       r.get<std::optional<std::string>>(9), r.get<std::optional<std::string>>(10),
                       r.get<std::optional<std::string>>(11), r.get<std::optional<std::string>>(12),
                       r.get<std::optional<std::string>>(13)});
    }
    co_return out;
}


pg::params admin_audit_params(const admin_audit_event& e, const request_origin& origin, core::timestamp now) {
    pg::params p;
    p.add(e.tenant_id).add(e.actor).add(e.action).add(now).add(e.target_type).add(e.target_id).add(e.outcome);
    p.add(origin.client_ip.empty() ? std::nullopt : std::optional<std::string>(origin.client_ip));
    p.add(origin.user_agent.empty() ? std::nullopt : std::optional<std::string>(core::storable_text(origin.user_agent, 512)));
    p.add(origin.request_id.empty() ? std::nullopt : std::optional<std::string>(origin.request_id));
    p.add(e.detail_json);
    return p;
}

namespace {

// Opens `session` (auth_method as it says, signed in at `auth_time`) for the member inside `tx`,
// audits `event`, and returns the session as the pages will read it.
boost::asio::awaitable<console_session_record> open_session(
    pg::transaction& tx, const new_console_session& session, const std::string& tenant_id, const std::string& user_id,
    core::timestamp auth_time, admin_audit_event event
) {
    pg::params s;
    s.add_bytea(session.token_hash)
        .add(session.id)
        .add(tenant_id)
        .add(user_id)
        .add(session.auth_method)
        .add(auth_time)
        .add(session.now)
        .add(session.origin.client_ip)
        .add(core::storable_text(session.origin.user_agent, 512));
    co_await tx.execute(insert_session, s);
    co_await tx.execute(insert_admin_audit_event, admin_audit_params(event, session.origin, session.now));
    pg::params find;
    find.add_bytea(session.token_hash);
    auto rows = co_await tx.execute(select_session_by_hash, find);
    co_return session_from(rows[0]);
}

}  // namespace

boost::asio::awaitable<void> console_store::record(admin_audit_event event, request_origin origin, core::timestamp now) {
    co_await db_.execute(insert_admin_audit_event, admin_audit_params(event, origin, now));
}

boost::asio::awaitable<void> console_store::insert_setup_link(setup_link_record link, request_origin origin) {
    auto tx = co_await db_.begin();
    pg::params p;
    p.add_bytea(link.token_hash)
        .add(link.tenant_id)
        .add(link.email)
        .add(core::to_string(link.role))
        .add(link.purpose)
        .add(link.created_by)
        .add(link.created_at)
        .add(link.expires_at);
    co_await tx.execute(insert_setup_link_row, p);
    const auto detail = boost::json::serialize(boost::json::object{
        {"email", link.email}, {"role", core::to_string(link.role)}, {"purpose", link.purpose},
        {"expires_at", core::format_rfc3339(link.expires_at)}});
    admin_audit_event event{link.tenant_id, link.created_by, "console.setup_link_issued", "member", link.email, "success", detail};
    co_await tx.execute(insert_admin_audit_event, admin_audit_params(event, origin, link.created_at));
    co_await tx.commit();
}

boost::asio::awaitable<std::optional<setup_link_record>> console_store::find_live_setup_link(
    std::string token_hash, core::timestamp now
) {
    pg::params p;
    p.add_bytea(token_hash).add(now);
    auto rows = co_await db_.execute(select_live_setup_link, p);
    if (rows.size() == 0) co_return std::nullopt;
    const auto& r = rows[0];
    co_return setup_link_record{std::move(token_hash),       r.get<std::string>(0), r.get<std::string>(1),
                                role_from(r.get<std::string>(2)), r.get<std::string>(3), r.get<std::string>(4),
                                r.get<core::timestamp>(5),   r.get<core::timestamp>(6)};
}

boost::asio::awaitable<core::result<console_session_record>> console_store::redeem_setup_link(
    std::string token_hash, new_console_session session
) {
    auto tx = co_await db_.begin();
    pg::params spend;
    spend.add_bytea(token_hash).add(session.now);
    auto spent = co_await tx.execute(spend_setup_link, spend);
    if (spent.size() == 0) co_return core::errc::setup_link_invalid;  // the pool rolls back
    const auto tenant_id = spent[0].get<std::string>(0);
    const auto email = spent[0].get<std::string>(1);
    const auto role = spent[0].get<std::string>(2);
    const auto purpose = spent[0].get<std::string>(3);

    auto person = co_await tx.execute(
        upsert_console_user, pg::params{}.add(session.candidate_user_id).add(email).add("").add(session.now)
    );
    const auto user_id = person[0].get<std::string>(0);
    co_await tx.execute(
        upsert_active_membership,
        pg::params{}.add(tenant_id).add(user_id).add(role).add("setup_link").add(session.now)
    );
    admin_audit_event event{tenant_id, "user:" + user_id, "console.setup_link_redeemed", "member", user_id, "success",
                            boost::json::serialize(boost::json::object{{"purpose", purpose}, {"role", role}})};
    auto record = co_await open_session(tx, session, tenant_id, user_id, session.now, std::move(event));
    co_await tx.commit();
    co_return record;
}

boost::asio::awaitable<std::optional<console_session_record>> console_store::resolve_session(
    std::string token_hash, core::timestamp now, core::console_session_limits limits
) {
    pg::params find;
    find.add_bytea(token_hash);
    auto rows = co_await db_.execute(select_session_by_hash, find);
    if (rows.size() == 0) co_return std::nullopt;
    auto session = session_from(rows[0]);
    const auto verdict = core::judge_console_session(session.facts, now, limits);
    if (verdict != core::session_verdict::live) {
        co_await end_session_by_hash(token_hash, std::string(core::end_reason(verdict)), now);
        co_return std::nullopt;
    }
    if (core::should_touch_session(session.facts.last_seen_at, now, limits)) {
        pg::params touch;
        touch.add_bytea(token_hash).add(now);
        co_await db_.execute(touch_session, touch);
        session.facts.last_seen_at = now;
    }
    co_return session;
}

boost::asio::awaitable<bool> console_store::end_session_by_hash(std::string token_hash, std::string reason, core::timestamp now) {
    pg::params p;
    p.add_bytea(token_hash).add(reason).add(now);
    auto done = co_await db_.execute(end_session_with_hash, p);
    co_return done.affected_rows() == 1;
}

boost::asio::awaitable<bool> console_store::end_session_by_id(
    std::string tenant_id, std::string user_id, std::string session_id, std::string reason, core::timestamp now
) {
    auto done = co_await db_.execute(
        end_session_with_id, pg::params{}.add(tenant_id).add(user_id).add(session_id).add(reason).add(now)
    );
    co_return done.affected_rows() == 1;
}

boost::asio::awaitable<std::vector<console_session_record>> console_store::live_sessions(
    std::string tenant_id, std::string user_id, core::timestamp now, core::console_session_limits limits
) {
    std::vector<console_session_record> out;
    for (const auto& row : co_await db_.execute(select_live_sessions_of_member, pg::params{}.add(tenant_id).add(user_id))) {
        auto s = session_from(row);
        if (core::judge_console_session(s.facts, now, limits) == core::session_verdict::live) out.push_back(std::move(s));
    }
    co_return out;
}

boost::asio::awaitable<std::vector<membership_summary>> console_store::memberships_of(std::string user_id) {
    std::vector<membership_summary> out;
    for (const auto& row : co_await db_.execute(select_memberships_of_user, pg::params{}.add(user_id)))
        out.push_back({row.get<std::string>(0), row.get<std::string>(1), role_from(row.get<std::string>(2))});
    co_return out;
}

boost::asio::awaitable<std::vector<member_record>> console_store::members(std::string tenant_id) {
    std::vector<member_record> out;
    for (const auto& row : co_await db_.execute(select_members, pg::params{}.add(tenant_id))) out.push_back(member_from(row));
    co_return out;
}

boost::asio::awaitable<std::optional<member_record>> console_store::member(std::string tenant_id, std::string user_id) {
    auto rows = co_await db_.execute(select_member, pg::params{}.add(tenant_id).add(user_id));
    if (rows.size() == 0) co_return std::nullopt;
    co_return member_from(rows[0]);
}

boost::asio::awaitable<core::result<member_record>> console_store::add_member(
    std::string tenant_id, std::string email, std::string display_name, core::role role, std::string candidate_user_id,
    core::principal actor, core::timestamp now, request_origin origin
) {
    const auto actor_text = core::actor_text(actor);
    auto tx = co_await db_.begin();
    auto person = co_await tx.execute(
        upsert_console_user, pg::params{}.add(candidate_user_id).add(email).add(display_name).add(now)
    );
    const auto user_id = person[0].get<std::string>(0);
    auto inserted = co_await tx.execute(
        insert_new_membership, pg::params{}.add(tenant_id).add(user_id).add(core::to_string(role)).add(actor_text).add(now)
    );
    if (inserted.affected_rows() != 1) co_return core::errc::member_exists;  // rolled back by the pool
    admin_audit_event event{tenant_id, actor_text, "member.added", "member", user_id, "success",
                            boost::json::serialize(boost::json::object{
                                {"email", person[0].get<std::string>(1)}, {"after", {{"role", core::to_string(role)}}}})};
    co_await tx.execute(insert_admin_audit_event, admin_audit_params(event, origin, now));
    auto rows = co_await tx.execute(select_member, pg::params{}.add(tenant_id).add(user_id));
    auto added = member_from(rows[0]);
    co_await tx.commit();
    co_return added;
}

boost::asio::awaitable<core::result<void>> console_store::change_membership(
    std::string tenant_id, std::string user_id, core::membership_change change, core::principal actor,
    core::timestamp now, request_origin origin
) {
    using kind = core::membership_change::kind;
    const auto actor_text = core::actor_text(actor);
    const auto action = std::string(change_action(change));
    core::result<void> verdict = core::errc::member_not_found;
    std::optional<std::string> detail;
    {
        auto tx = co_await db_.begin();
        auto locked = co_await tx.execute(lock_tenant_memberships, pg::params{}.add(tenant_id));
        std::optional<core::membership_facts> target;
        int active_owners = 0;
        bool actor_active = actor.type != core::principal::kind::member;
        for (const auto& row : locked) {
            core::membership_facts m{row.get<std::string>(0), role_from(row.get<std::string>(1)),
                                     status_from(row.get<std::string>(2))};
            if (m.current_role == core::role::owner && m.status == core::membership_status::active) ++active_owners;
            if (m.user_id == user_id) target = m;
            // The actor's role as it is now, not as their session remembered it.
            if (actor.type == core::principal::kind::member && m.user_id == actor.actor_id) {
                actor_active = m.status == core::membership_status::active;
                actor.member_role = m.current_role;
            }
        }
        if (!actor_active) verdict = core::errc::permission_denied;
        else if (target) verdict = core::judge_membership_change(actor, *target, change, active_owners);
        if (verdict) {
            switch (change.type) {
                case kind::change_role:
                    co_await tx.execute(update_membership_role,
                                        pg::params{}.add(tenant_id).add(user_id).add(core::to_string(change.new_role)).add(now));
                    detail = role_change_detail(target->current_role, change.new_role);
                    break;
                case kind::suspend:
                case kind::unsuspend: {
                    const auto after = change.type == kind::suspend ? core::membership_status::suspended : core::membership_status::active;
                    co_await tx.execute(update_membership_status,
                                        pg::params{}.add(tenant_id).add(user_id).add(core::to_string(after)).add(now));
                    detail = boost::json::serialize(boost::json::object{
                        {"before", {{"status", core::to_string(target->status)}}}, {"after", {{"status", core::to_string(after)}}}});
                    break;
                }
                case kind::remove:
                    co_await tx.execute(delete_membership, pg::params{}.add(tenant_id).add(user_id));
                    detail = boost::json::serialize(boost::json::object{{"before", {{"role", core::to_string(target->current_role)}}}});
                    break;
            }
            // Whatever changed, the member signs in again under the new terms.
            if (change.type != kind::unsuspend)
                co_await tx.execute(end_member_sessions, pg::params{}.add(tenant_id).add(user_id).add(action).add(now));
            admin_audit_event event{tenant_id, actor_text, action, "member", user_id, "success", detail};
            co_await tx.execute(insert_admin_audit_event, admin_audit_params(event, origin, now));
            co_await tx.commit();
            co_return verdict;
        }
        co_await tx.rollback();
    }
    // Refused attempts are part of the record too.
    admin_audit_event denied{tenant_id, actor_text, action, "member", user_id, "denied",
                             boost::json::serialize(boost::json::object{{"reason", verdict.error().message()}})};
    co_await record(std::move(denied), std::move(origin), now);
    co_return verdict;
}

boost::asio::awaitable<core::result<console_session_record>> console_store::open_sso_session(
    sso_sign_in in, new_console_session session
) {
    using kind = core::sso_binding::kind;
    const bool step_up = in.step_up_user_id.has_value();
    core::result<core::sso_binding> binding = core::errc::sso_not_a_member;
    std::string user_id;
    {
        auto tx = co_await db_.begin();
        core::sso_binding_facts facts;
        facts.verified_email = in.verified_email.has_value();
        facts.just_in_time = in.just_in_time_viewers;
        auto bound = co_await tx.execute(select_bound_identity, pg::params{}.add(in.tenant_id).add(in.issuer).add(in.subject));
        if (bound.size() == 1) facts.bound_user_id = bound[0].get<std::string>(0);
        if (in.verified_email) {
            auto member = co_await tx.execute(
                select_member_by_email_for_sso, pg::params{}.add(in.tenant_id).add(*in.verified_email).add(in.issuer)
            );
            if (member.size() == 1)
                facts.by_email = core::sso_binding_facts::member_by_email{member[0].get<std::string>(0), member[0].get<bool>(1)};
        }
        binding = core::decide_sso_binding(facts);
        if (binding) {
            user_id = binding->user_id;
            if (binding->type == kind::create_viewer) {
                auto person = co_await tx.execute(
                    upsert_console_user, pg::params{}.add(session.candidate_user_id).add(*in.verified_email).add("").add(session.now)
                );
                user_id = person[0].get<std::string>(0);
                co_await tx.execute(insert_new_membership,
                                    pg::params{}.add(in.tenant_id).add(user_id).add(core::to_string(core::role::viewer)).add("sso").add(session.now));
            }
            if (binding->type != kind::existing)
                co_await tx.execute(insert_identity,
                                    pg::params{}.add(in.tenant_id).add(in.issuer).add(in.subject).add(user_id).add(session.now));
            auto status = co_await tx.execute(lock_membership_status, pg::params{}.add(in.tenant_id).add(user_id));
            if (status.size() == 0) binding = core::errc::sso_not_a_member;
            else if (auto member = core::judge_sso_member(status_from(status[0].get<std::string>(0)), in.step_up_user_id, user_id); !member)
                binding = member.error();
        }
        if (binding) {
            const auto actor = "user:" + user_id;
            const auto identity_detail = boost::json::serialize(boost::json::object{{"issuer", in.issuer}, {"subject", in.subject}});
            if (binding->type == kind::create_viewer) {
                admin_audit_event created{in.tenant_id, "sso", "member.added", "member", user_id, "success",
                                          boost::json::serialize(boost::json::object{
                                              {"email", *in.verified_email}, {"after", {{"role", "viewer"}}}, {"just_in_time", true}})};
                co_await tx.execute(insert_admin_audit_event, admin_audit_params(created, session.origin, session.now));
            }
            if (binding->type != kind::existing) {
                admin_audit_event linked{in.tenant_id, actor, "console.identity_linked", "member", user_id, "success", identity_detail};
                co_await tx.execute(insert_admin_audit_event, admin_audit_params(linked, session.origin, session.now));
            }
            // A step-up replaces the session it was started from (a new token on re-authentication).
            if (step_up && in.step_up_session_hash) {
                pg::params end;
                end.add_bytea(*in.step_up_session_hash).add(user_id).add("reauthenticated").add(session.now);
                co_await tx.execute(end_own_session_with_hash, end);
            }
            admin_audit_event signed_in{in.tenant_id, actor, step_up ? "console.reauthenticated" : "console.signed_in", "session",
                                        session.id, "success", identity_detail};
            auto record = co_await open_session(tx, session, in.tenant_id, user_id, in.auth_time, std::move(signed_in));
            co_await tx.commit();
            co_return record;
        }
        co_await tx.rollback();
    }
    admin_audit_event denied{in.tenant_id, user_id.empty() ? "idp" : "user:" + user_id,
                             step_up ? "console.reauthenticated" : "console.signed_in", "identity", in.subject, "denied",
                             boost::json::serialize(boost::json::object{
                                 {"issuer", in.issuer}, {"reason", binding.error().message()}})};
    co_await record(std::move(denied), std::move(session.origin), session.now);
    co_return binding.error();
}

}  // namespace chal::storage
