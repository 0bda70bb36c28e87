// The console's people, memberships, sessions and setup links, and the audit rows of admin
// actions. Tokens arrive here as hashes only. Membership changes decide and apply inside one
// transaction that locks the tenant's memberships, so two admins racing cannot break the rules.
#pragma once

#include "app/core/console_session.hpp"
#include "app/core/errc.hpp"
#include "app/core/permissions.hpp"
#include "storage/pg/pool.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <vector>

namespace chal::storage {

// Where a request came from, recorded with every admin action.
struct request_origin {
    std::string client_ip;
    std::string user_agent;
    std::string request_id;
};

// One admin action (or a refused attempt) for the audit log.
struct admin_audit_event {
    std::string tenant_id;
    std::string actor;   // core::actor_text
    std::string action;  // dotted, e.g. "member.role_changed"
    std::string target_type;
    std::string target_id;
    std::string outcome = "success";  // success, denied, failed
    std::optional<std::string> detail_json;  // redacted before/after
};

struct member_record {
    std::string user_id;
    std::string email;
    std::string display_name;
    core::role role = core::role::viewer;
    core::membership_status status = core::membership_status::active;
    core::timestamp created_at;
    std::string created_by;
};

struct setup_link_record {
    std::string token_hash;  // raw SHA-256
    std::string tenant_id;
    std::string email;
    core::role role = core::role::owner;
    std::string purpose;  // "setup" or "recover"
    std::string created_by;
    core::timestamp created_at;
    core::timestamp expires_at;
};

struct new_console_session {
    std::string token_hash;  // raw SHA-256 of the cookie's token
    std::string id;
    std::string auth_method;  // setup_link, oidc, slack
    std::string candidate_user_id;  // the person's id if they are new (ids are minted by the app)
    core::timestamp now;
    request_origin origin;
};

// A session as it stands, with the membership it acts through (read fresh on every request, so a
// role change or suspension applies at once).
struct console_session_record {
    std::string id;
    std::string tenant_id;
    std::string tenant_name;
    std::string user_id;
    std::string email;
    std::string display_name;
    core::role role = core::role::viewer;
    std::string auth_method;
    core::console_session_facts facts;
    std::optional<std::string> client_ip;
    std::optional<std::string> user_agent;
};

// What a tenant's console identity provider vouched for, to sign its person in.
struct sso_sign_in {
    std::string tenant_id;
    std::string issuer;
    std::string subject;
    std::optional<std::string> verified_email;  // only an email the provider marked verified
    bool just_in_time_viewers = false;           // the tenant's setting
    core::timestamp auth_time;
    // A step-up re-authenticates this member and replaces this session (by token hash).
    std::optional<std::string> step_up_user_id;
    std::optional<std::string> step_up_session_hash;
};

// A tenant a person may switch to.
struct membership_summary {
    std::string tenant_id;
    std::string tenant_name;
    core::role role = core::role::viewer;
};

// One row of the audit log: a challenge event or an admin action (or a refused attempt).
struct audit_entry {
    std::int64_t id = 0;
    core::timestamp at{};
    std::string actor;
    std::string action;
    std::optional<std::string> challenge_id;
    std::optional<std::string> target_type;
    std::optional<std::string> target_id;
    std::string outcome;
    std::optional<std::string> status_before;
    std::optional<std::string> status_after;
    std::optional<std::string> client_ip;
    std::optional<std::string> user_agent;
    std::optional<std::string> request_id;
    std::optional<std::string> detail_json;
};

// What the audit log page filters on; every field optional.
struct audit_filter {
    std::optional<std::string> actor;          // exact, e.g. "user:<id>", "cli", "api_key:<id>"
    std::optional<std::string> action_prefix;  // "member." or "member.suspended"
    std::optional<std::string> outcome;        // success, denied, failed
    std::optional<core::timestamp> from;
    std::optional<core::timestamp> until;
};

class console_store {
public:
    explicit console_store(pg::pool& db) : db_(db) {}

    // Stores a new link and audits it ("console.setup_link_issued" by link.created_by).
    boost::asio::awaitable<void> insert_setup_link(setup_link_record link, request_origin origin);
    // Whether an unused, unexpired link with this hash exists (the GET page; writes nothing).
    boost::asio::awaitable<std::optional<setup_link_record>> find_live_setup_link(std::string token_hash, core::timestamp now);
    // Spends the link and, in the same transaction, makes its person a member with its role
    // (active), opens `session` for them and audits it. errc::setup_link_invalid when the link is
    // unknown, used or expired (two concurrent redeems: exactly one wins).
    boost::asio::awaitable<core::result<console_session_record>> redeem_setup_link(
        std::string token_hash, new_console_session session
    );

    // The live session behind a token hash, or nullopt. A session past its limits is ended here
    // (with its reason) and answers nullopt; last_seen is advanced at most once a minute.
    boost::asio::awaitable<std::optional<console_session_record>> resolve_session(
        std::string token_hash, core::timestamp now, core::console_session_limits limits
    );
    // Ends one session of `user_id` in `tenant_id` by its id (their own "sign out elsewhere"), or
    // by hash (sign out). False when there was no such live session.
    boost::asio::awaitable<bool> end_session_by_id(std::string tenant_id, std::string user_id, std::string session_id,
                                                   std::string reason, core::timestamp now);
    boost::asio::awaitable<bool> end_session_by_hash(std::string token_hash, std::string reason, core::timestamp now);
    boost::asio::awaitable<std::vector<console_session_record>> live_sessions(
        std::string tenant_id, std::string user_id, core::timestamp now, core::console_session_limits limits
    );
    boost::asio::awaitable<std::vector<membership_summary>> memberships_of(std::string user_id);

    boost::asio::awaitable<std::vector<member_record>> members(std::string tenant_id);
    boost::asio::awaitable<std::optional<member_record>> member(std::string tenant_id, std::string user_id);
    // Adds a person (found by email, or created) as an active member. errc::member_exists when
    // they already belong to the tenant.
    boost::asio::awaitable<core::result<member_record>> add_member(
        std::string tenant_id, std::string email, std::string display_name, core::role role,
        std::string candidate_user_id, core::principal actor, core::timestamp now, request_origin origin
    );
    // Applies `change` to `user_id`'s membership if core::judge_membership_change allows it, with
    // the actor's own membership and the active Owner count read under the tenant's lock. Ends the
    // target's sessions (suspension, role change, removal) and audits, all in one transaction.
    boost::asio::awaitable<core::result<void>> change_membership(
        std::string tenant_id, std::string user_id, core::membership_change change, core::principal actor,
        core::timestamp now, request_origin origin
    );

    // Newest first; `before_id` continues after the previous page's last row.
    boost::asio::awaitable<std::vector<audit_entry>> audit_events(
        std::string tenant_id, audit_filter filter, std::optional<std::int64_t> before_id, int limit
    );
    // Signs in whom (tenant, issuer, subject) names (core::decide_sso_binding: the bound member,
    // or on a first SSO sign-in the member with that verified email, linked and audited
    // "console.identity_linked", or a new Viewer when just-in-time creation is on), if they are
    // active and, for a step-up, the session's own member (whose old session then ends). Opens
    // `session` with auth_method oidc and the provider's auth_time, audits, one transaction. A
    // refusal (errc::sso_*) changes nothing and is audited as denied.
    boost::asio::awaitable<core::result<console_session_record>> open_sso_session(sso_sign_in in, new_console_session session);

    // Records an admin action or a refused attempt on its own.
    boost::asio::awaitable<void> record(admin_audit_event event, request_origin origin, core::timestamp now);

private:
    pg::pool& db_;
};

}  // namespace chal::storage
