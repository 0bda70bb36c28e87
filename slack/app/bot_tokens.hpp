// The bot token to call Slack with for one installation. Tokens are sealed at rest; with token
// rotation they expire every 12 hours and are refreshed here, under a database row lock, so two
// instances refreshing at once never burn each other's refresh token.
#pragma once

#include "app/core/time.hpp"
#include "app/crypto/crypto.hpp"
#include "slack/web_api.hpp"
#include "storage/slack_store.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace chal::slack_app {

struct bot_token_settings {
    // A rotating token this close to its expiry (or past it) is refreshed before use.
    std::chrono::seconds refresh_margin{5 * 60};
    // The oauth.v2.access refresh call. It runs while the installation's row is locked, so it
    // stays below the database's statement timeout, which a second caller waiting for the lock
    // is subject to.
    std::chrono::milliseconds refresh_timeout{3000};
};

// True when `installation` has a rotating token (a refresh token and an expiry) that expires
// within `margin` of `now`, or already has.
bool needs_refresh(
    const storage::slack_installation_record& installation, core::timestamp now, std::chrono::seconds margin
);

class bot_tokens {
public:
    bot_tokens(storage::slack_store& store, const crypto::secret_box& secrets, slack::web_api_client& web_api,
               core::clock_function clock, bot_token_settings settings = {});

    // A token usable now, or nullopt when the installation's token cannot be opened, or has
    // expired and cannot be refreshed (the reason is logged, never the token). A rotating token
    // near its expiry is refreshed first, in one transaction holding the installation's row lock
    // across the Slack call; a caller that finds it already refreshed (by another instance) uses
    // the new one. If the refresh fails while the current token is still valid, that one is
    // returned. Database failures throw (pg::error).
    boost::asio::awaitable<std::optional<std::string>> token_for(storage::slack_installation_record installation);

private:
    // Runs under the row lock: refreshes `locked` unless someone already did.
    boost::asio::awaitable<std::optional<storage::slack_token_update>> refresh_locked(
        storage::slack_installation_record locked, std::string client_id, std::string client_secret
    );
    std::optional<std::string> open_token(const storage::slack_installation_record& installation) const;

    storage::slack_store& store_;
    const crypto::secret_box& secrets_;
    slack::web_api_client& web_api_;
    core::clock_function clock_;
    bot_token_settings settings_;
};

}  // namespace chal::slack_app
