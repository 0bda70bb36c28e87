// The Slack adapter's rows: a tenant's Slack apps, their installations (workspaces or
// Enterprise Grid orgs), Events API dedupe, OAuth install states and where each challenge's Slack
// messages are. Secrets arrive sealed; browser secrets and install states arrive as hashes.
#pragma once

#include "app/core/slack_allowlist.hpp"
#include "app/core/time.hpp"
#include "storage/pg/pool.hpp"

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chal::storage {

struct slack_app_record {
    std::string integration_id;
    std::string tenant_id;
    std::string display_name;
    std::string instance_id;
    std::optional<std::string> app_id;
    std::optional<std::string> signing_secret_sealed;
    std::optional<std::string> client_id;
    std::optional<std::string> client_secret_sealed;
    bool token_rotation = false;
    std::optional<std::string> security_channel_id;
};

struct slack_installation_record {
    std::string id;
    std::string integration_id;
    std::string tenant_id;
    std::optional<std::string> team_id;  // nullopt for an org-wide install
    std::optional<std::string> enterprise_id;
    bool is_enterprise_install = false;
    std::string bot_user_id;
    std::optional<std::string> bot_id;
    std::string scopes;
    std::string bot_token_sealed;
    std::optional<std::string> refresh_token_sealed;
    std::optional<core::timestamp> token_expires_at;
    core::timestamp installed_at{};
};

// Whom the installation belongs to, for the allowlist's rule.
core::slack_install_owner owner_of(const slack_installation_record& installation);

struct slack_allowlist_record {
    core::slack_allowlist_entry entry;
    std::string added_by;  // "operator", "set-credentials", "migration 0009", "admin:<id>"
    core::timestamp added_at{};
};

struct slack_message_record {
    std::string challenge_id;
    std::string role;  // "target", "requester", "security"
    std::string installation_id;
    std::string channel_id;
    std::string ts;
    std::optional<std::string> thread_ts;
};

// New tokens from a token-rotation refresh, sealed like the ones they replace.
struct slack_token_update {
    std::string bot_token_sealed;
    std::optional<std::string> refresh_token_sealed;
    std::optional<core::timestamp> token_expires_at;
};
// Given the installation row as locked, returns the tokens to write, or nullopt to write nothing.
using slack_token_refresher =
    std::function<boost::asio::awaitable<std::optional<slack_token_update>>(slack_installation_record locked)>;

// Associated data binding each sealed Slack secret to its row and field, so a sealed value
// copied to another row fails to open (the CLI seals, the server opens, with these strings).
std::string slack_signing_secret_context(std::string_view integration_id);
std::string slack_client_secret_context(std::string_view integration_id);
std::string slack_bot_token_context(std::string_view installation_id);
std::string slack_refresh_token_context(std::string_view installation_id);

class slack_store {
public:
    explicit slack_store(pg::pool& db) : db_(db) {}

    // The integrations row (kind 'slack') and its slack_apps row, in one transaction.
    boost::asio::awaitable<void> create_app(slack_app_record app);
    boost::asio::awaitable<std::optional<slack_app_record>> find_app(std::string tenant_id, std::string instance_id);
    boost::asio::awaitable<std::optional<slack_app_record>> find_app_by_integration(std::string integration_id);
    // A live installation by its id (a Slack challenge's card goes through it); nullopt once deactivated.
    boost::asio::awaitable<std::optional<slack_installation_record>> find_installation_by_id(std::string id);
    // The app whose manifest URLs carry `instance_id` (unique across tenants): the "Add to Slack" link.
    boost::asio::awaitable<std::optional<slack_app_record>> find_app_by_instance(std::string instance_id);
    // The tenant's Slack apps, oldest first (the REST API's default is the first).
    boost::asio::awaitable<std::vector<slack_app_record>> apps_of_tenant(std::string tenant_id);
    // Writes the credentials fields of `app` (signing secret, client id/secret, app id, rotation,
    // security channel) and, when given, stores `installation` as install() does and puts its
    // workspace or org on the allowlist (an operator's bot token is its own permission): one
    // transaction. False when the app does not exist (nothing written).
    boost::asio::awaitable<bool> save_app_credentials(
        slack_app_record app, std::optional<slack_installation_record> installation, core::timestamp now
    );
    // Records `app_id` as the app's Slack app id unless one is recorded already; returns the
    // app id recorded now (nullopt when the app does not exist).
    boost::asio::awaitable<std::optional<std::string>> record_app_id(std::string integration_id, std::string app_id);
    // The app's live installations, oldest first.
    boost::asio::awaitable<std::vector<slack_installation_record>> installations_of_app(std::string integration_id);

    // Stores a new live installation, deactivating the one it replaces (reinstall), atomically.
    // Unchecked: for what an operator does; what a stranger can start goes through
    // install_if_allowed.
    boost::asio::awaitable<void> install(slack_installation_record installation, core::timestamp now);
    // install() for an install anyone can start ("Add to Slack"): stored only when the app's
    // allowlist admits the installation's owner (core::entry_admitting), or, with `admitted_by`
    // (an install a signed-in admin started), after putting the owner on the list in the same
    // transaction. The list is read under a share lock, so a concurrent disallow() waits, then
    // deactivates what this stored. False, with nothing stored, when refused.
    boost::asio::awaitable<bool> install_if_allowed(
        slack_installation_record installation, core::timestamp now, std::optional<std::string> admitted_by
    );

    // The app's allowlist, oldest first.
    boost::asio::awaitable<std::vector<slack_allowlist_record>> allowlist(std::string integration_id);
    // Puts `entry` on the app's allowlist; false when it was there already (nothing changes).
    boost::asio::awaitable<bool> allow(
        std::string integration_id, core::slack_allowlist_entry entry, std::string added_by, core::timestamp now
    );
    // Takes `entry` off the list and, in the same transaction, deactivates the app's live
    // installations that no remaining entry admits. nullopt when the entry was not on the list;
    // else how many installations were deactivated.
    boost::asio::awaitable<std::optional<std::int64_t>> disallow(
        std::string integration_id, core::slack_allowlist_entry entry, core::timestamp now
    );
    // Bolt's lookup: an org-wide install by enterprise only; otherwise by team (and enterprise).
    boost::asio::awaitable<std::optional<slack_installation_record>> find_installation(
        std::string integration_id, std::optional<std::string> enterprise_id, std::optional<std::string> team_id,
        bool is_enterprise_install
    );
    // app_uninstalled / tokens_revoked (bot): the installation stops being used. Returns how many.
    boost::asio::awaitable<std::int64_t> deactivate(
        std::string integration_id, std::optional<std::string> enterprise_id, std::optional<std::string> team_id,
        core::timestamp now
    );
    // Token rotation under a row lock. In one transaction: locks the live installation
    // `installation_id` (SELECT ... FOR UPDATE), hands the locked row to `refresh`, writes the
    // tokens it returns and commits. The lock is held while `refresh` runs (its Slack call
    // included), so refreshes of one installation, from any instance, run one at a time and each
    // sees the row as the previous one left it. Returns the row as committed, or nullopt when the
    // installation is not live. An exception from `refresh` rolls back and propagates.
    boost::asio::awaitable<std::optional<slack_installation_record>> refresh_installation_tokens(
        std::string installation_id, slack_token_refresher refresh
    );

    // True the first time an event id arrives for this app (Events API retries repeat it).
    boost::asio::awaitable<bool> first_delivery(std::string integration_id, std::string event_id, core::timestamp now);

    // Records the use of the (already verified) install state with this hash; false when it was
    // used before. The record is kept until the state expires (prune), when it is refused anyway.
    boost::asio::awaitable<bool> use_oauth_state(
        std::string state_hash, std::string integration_id, std::string browser_hash, core::timestamp expires_at,
        core::timestamp now
    );

    boost::asio::awaitable<void> save_message(slack_message_record message);
    boost::asio::awaitable<std::vector<slack_message_record>> messages_of(std::string challenge_id);

    // Forgets event ids and OAuth states older than `before`.
    boost::asio::awaitable<std::int64_t> prune(core::timestamp before);

private:
    pg::pool& db_;
};

}  // namespace chal::storage
