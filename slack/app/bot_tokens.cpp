#include "slack/app/bot_tokens.hpp"

#include <spdlog/spdlog.h>

#include <utility>

namespace chal::slack_app {

namespace asio = boost::asio;

bool needs_refresh(
    const storage::slack_installation_record& installation, core::timestamp now, std::chrono::seconds margin
) {
    return installation.refresh_token_sealed.has_value() && installation.token_expires_at.has_value() &&
           *installation.token_expires_at - margin <= now;
}

namespace {

bool has_expired(const storage::slack_installation_record& installation, core::timestamp now) {
    return installation.token_expires_at && *installation.token_expires_at <= now;
}

}  // namespace

bot_tokens::bot_tokens(
    storage::slack_store& store, const crypto::secret_box& secrets, slack::web_api_client& web_api,
    core::clock_function clock, bot_token_settings settings
)
    : store_(store), secrets_(secrets), web_api_(web_api), clock_(std::move(clock)), settings_(settings) {}

std::optional<std::string> bot_tokens::open_token(const storage::slack_installation_record& installation) const {
    auto token = secrets_.open(installation.bot_token_sealed, storage::slack_bot_token_context(installation.id));
    if (!token) spdlog::error("slack bot token does not open installation_id={}", installation.id);
    return token;
}

asio::awaitable<std::optional<std::string>> bot_tokens::token_for(storage::slack_installation_record installation) {
    if (!needs_refresh(installation, clock_(), settings_.refresh_margin)) co_return open_token(installation);

    // The app's credentials are read before the row is locked, to keep the lock short.
    auto app = co_await store_.find_app_by_integration(installation.integration_id);
    std::optional<std::string> client_secret;
    if (app && app->client_id && app->client_secret_sealed) {
        client_secret =
            secrets_.open(*app->client_secret_sealed, storage::slack_client_secret_context(app->integration_id));
    }
    std::optional<storage::slack_installation_record> current;
    if (!client_secret) {
        spdlog::error(
            "slack token refresh impossible: the app's client id or secret is missing or does not open "
            "installation_id={} integration_id={}",
            installation.id, installation.integration_id
        );
        current = std::move(installation);
    } else {
        auto refresher = [this, client_id = *app->client_id, secret = *client_secret](
                             storage::slack_installation_record locked
                         ) { return refresh_locked(std::move(locked), client_id, secret); };
        storage::slack_token_refresher refresh = std::move(refresher);
        std::string id = installation.id;
        current = co_await store_.refresh_installation_tokens(std::move(id), std::move(refresh));
        if (!current) {
            spdlog::warn("slack installation is no longer live installation_id={}", installation.id);
            co_return std::nullopt;
        }
    }
    if (has_expired(*current, clock_())) {
        spdlog::warn("slack bot token expired and was not refreshed installation_id={}", current->id);
        co_return std::nullopt;
    }
    co_return open_token(*current);
}

asio::awaitable<std::optional<storage::slack_token_update>> bot_tokens::refresh_locked(
    storage::slack_installation_record locked, std::string client_id, std::string client_secret
) {
    // Another caller (this instance or another) may have refreshed while we waited for the lock.
    if (!needs_refresh(locked, clock_(), settings_.refresh_margin)) co_return std::nullopt;

    auto refresh_token =
        secrets_.open(*locked.refresh_token_sealed, storage::slack_refresh_token_context(locked.id));
    if (!refresh_token) {
        spdlog::error("slack refresh token does not open installation_id={}", locked.id);
        co_return std::nullopt;
    }
    slack::oauth_refresh_grant grant{std::move(client_id), std::move(client_secret), std::move(*refresh_token)};
    auto answer = co_await web_api_.oauth_v2_access(std::move(grant), settings_.refresh_timeout);
    if (!answer) {
        spdlog::warn("slack token refresh failed installation_id={} {}", locked.id, answer.error().log_text());
        co_return std::nullopt;
    }
    // A bot token is what was stored; a user token in its place would act as someone else.
    if (!answer->token_type.empty() && answer->token_type != "bot") {
        spdlog::error(
            "slack token refresh answered a {} token, not a bot token installation_id={}", answer->token_type, locked.id
        );
        co_return std::nullopt;
    }

    const auto now = clock_();
    storage::slack_token_update update;
    update.bot_token_sealed = secrets_.seal(answer->access_token, storage::slack_bot_token_context(locked.id));
    // Refresh tokens are single-use: Slack sends the next one with every refresh.
    update.refresh_token_sealed =
        answer->refresh_token.empty()
            ? locked.refresh_token_sealed
            : std::optional<std::string>(
                  secrets_.seal(answer->refresh_token, storage::slack_refresh_token_context(locked.id))
              );
    if (answer->expires_in) update.token_expires_at = now + *answer->expires_in;
    spdlog::info(
        "slack bot token refreshed installation_id={} expires_at={}", locked.id,
        update.token_expires_at ? core::format_rfc3339(*update.token_expires_at) : std::string("never")
    );
    co_return update;
}

}  // namespace chal::slack_app
