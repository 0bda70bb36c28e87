#include "app/service/config.hpp"

#include "app/core/network_address.hpp"
#include "app/crypto/crypto.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <cstdlib>
#include <regex>
#include <stdexcept>

namespace chal::service {
namespace {

std::optional<std::string> env(const char* name) {
    const char* value = std::getenv(name);
    if (!value || !*value) return std::nullopt;
    return std::string(value);
}

std::int64_t env_int(const char* name, std::int64_t fallback, std::int64_t min, std::int64_t max) {
    auto text = env(name);
    if (!text) return fallback;
    std::int64_t value = 0;
    auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc{} || ptr != text->data() + text->size() || value < min || value > max)
        throw std::invalid_argument(
            std::string(name) + " must be an integer between " + std::to_string(min) + " and " + std::to_string(max)
        );
    return value;
}

double env_double(const char* name, double fallback) {
    auto text = env(name);
    if (!text) return fallback;
    try {
        std::size_t used = 0;
        double value = std::stod(*text, &used);
        if (used != text->size() || value < 0) throw std::invalid_argument(name);
        return value;
    } catch (const std::exception&) {
        throw std::invalid_argument(std::string(name) + " must be a non-negative number");
    }
}

bool env_bool(const char* name, bool fallback) {
    auto text = env(name);
    if (!text) return fallback;
    if (*text == "1" || *text == "true" || *text == "yes") return true;
    if (*text == "0" || *text == "false" || *text == "no") return false;
    throw std::invalid_argument(std::string(name) + " must be true or false");
}

// Comma-separated, spaces around items ignored, empty items dropped.
std::vector<std::string> env_list(const char* name) {
    std::vector<std::string> items;
    auto text = env(name);
    if (!text) return items;
    std::string_view rest = *text;
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        auto item = rest.substr(0, comma);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (!item.empty()) items.emplace_back(item);
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
    }
    return items;
}

std::string read_text_file(const std::string& path, const char* variable) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::invalid_argument(std::string(variable) + ": cannot read " + path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string default_instance_id() {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    return std::string(host) + "-" + std::to_string(getpid()) + "-" + crypto::hex_encode(crypto::random_bytes(4));
}

}  // namespace

http::client_config slack_client_config(const std::string& api_base_url) {
    http::client_config config;
    // The card worker calls Slack from up to 64 jobs at once: keep that many connections warm
    // instead of reconnecting (TLS included) for most calls.
    config.max_idle_per_host = 64;
    config.resolver.threads = 2;  // one host (Slack's), looked up once per new connection
    config.resolver.max_running_per_key = 2;
    if (api_base_url != service_config{}.slack_api_base_url) {
        config.allow_plain_http = api_base_url.rfind("http://", 0) == 0;
        config.address_policy.allow_loopback = true;
        config.address_policy.allow_private = true;
    }
    return config;
}

std::string redact_conninfo(std::string_view conninfo) {
    std::string text(conninfo);
    // URI form: scheme://user:password@host
    static const std::regex uri_password(R"(^([a-z]+://[^:/@]*:)[^@]*@)");
    text = std::regex_replace(text, uri_password, "$1***@");
    // Key/value form and URI query: password=...
    static const std::regex kv_password(R"((password\s*=\s*)('[^']*'|[^\s&]*))");
    return std::regex_replace(text, kv_password, "$1***");
}

core::callback_url_policy callback_url_policy_of(const http::client_config& outbound) {
    return {.allow_plain_http = outbound.allow_plain_http, .address_policy = outbound.address_policy};
}

service_config read_config_from_environment() {
    service_config c;
    c.database.conninfo = env("DATABASE_URL").value_or("");
    c.database.size = static_cast<std::size_t>(env_int("CHALLENGE_DB_POOL_SIZE", 16, 1, 1000));
    c.create_batching.max_rows = static_cast<std::size_t>(env_int("CHALLENGE_CREATE_BATCH_ROWS", 64, 1, 1000));
    c.create_batching.max_in_flight = static_cast<int>(env_int("CHALLENGE_CREATE_BATCH_STATEMENTS", 4, 1, 1000));
    c.database.statement_timeout = std::chrono::milliseconds{env_int("CHALLENGE_DB_STATEMENT_TIMEOUT_MS", 5000, 0, 600000)};
    c.database.query_timeout = c.database.statement_timeout + std::chrono::milliseconds{2000};

    c.server.address = env("CHALLENGE_LISTEN_ADDRESS").value_or("127.0.0.1");
    c.server.port = static_cast<std::uint16_t>(env_int("CHALLENGE_PORT", 8080, 0, 65535));
    c.server.body_limit = 64 * 1024;

    c.api.public_base_url = env("CHALLENGE_PUBLIC_BASE_URL")
                                .value_or("http://" + c.server.address + ":" + std::to_string(c.server.port));
    const bool allow_http = env_bool("CHALLENGE_ALLOW_HTTP_CALLBACKS", false);
    c.api.per_key_limit.per_second = env_double("CHALLENGE_RATE_LIMIT_PER_SECOND", 50);
    c.api.per_key_limit.burst = env_double("CHALLENGE_RATE_LIMIT_BURST", 100);
    c.api.failed_auth_per_address.per_second = env_double("CHALLENGE_FAILED_AUTH_PER_ADDRESS_PER_SECOND", 5);
    c.api.failed_auth_per_address.burst = env_double("CHALLENGE_FAILED_AUTH_PER_ADDRESS_BURST", 20);
    c.api.principal_cache_ttl = std::chrono::milliseconds{env_int("CHALLENGE_API_KEY_CACHE_MS", 2000, 0, 60000)};

    c.outbound.allow_plain_http = allow_http;
    c.outbound.address_policy.allow_loopback = env_bool("CHALLENGE_ALLOW_LOOPBACK_CALLBACKS", false);
    c.outbound.address_policy.allow_private = env_bool("CHALLENGE_ALLOW_PRIVATE_CALLBACKS", false);
    c.api.callback_policy = callback_url_policy_of(c.outbound);

    auto& fast = c.deliveries.fast;
    fast.max_in_flight = static_cast<int>(env_int("CHALLENGE_WEBHOOK_MAX_IN_FLIGHT", 256, 1, 100000));
    fast.max_per_endpoint = static_cast<int>(env_int("CHALLENGE_WEBHOOK_MAX_PER_ENDPOINT", 8, 1, 10000));
    fast.max_per_tenant = static_cast<int>(env_int("CHALLENGE_WEBHOOK_MAX_PER_TENANT", fast.max_in_flight / 4, 1, 100000));
    fast.attempt_timeout = std::chrono::milliseconds{env_int("CHALLENGE_WEBHOOK_TIMEOUT_MS", 10000, 100, 60000)};
    auto& slow = c.deliveries.slow;
    slow.max_in_flight = static_cast<int>(env_int("CHALLENGE_WEBHOOK_SLOW_MAX_IN_FLIGHT", 32, 1, 100000));
    slow.max_per_tenant = std::max(1, slow.max_in_flight / 4);
    slow.max_per_endpoint = 2;
    // Shorter than the normal attempt, never longer: the lane exists to give up sooner.
    slow.attempt_timeout = std::min(
        fast.attempt_timeout, std::chrono::milliseconds{env_int("CHALLENGE_WEBHOOK_SLOW_TIMEOUT_MS", 5000, 100, 60000)}
    );
    c.deliveries.breaker.trip_after_timeouts = static_cast<int>(env_int("CHALLENGE_WEBHOOK_BREAKER_TIMEOUTS", 3, 1, 1000));
    c.deliveries.breaker.hold = std::chrono::seconds{env_int("CHALLENGE_WEBHOOK_BREAKER_HOLD_SECONDS", 300, 1, 86400)};
    // Keep as many idle connections per host as attempts may run at once, so a busy endpoint
    // reuses connections instead of opening (and leaving in TIME_WAIT) one per attempt.
    c.outbound.max_idle_per_host = static_cast<std::size_t>(fast.max_per_endpoint);
    c.outbound.max_idle_total = static_cast<std::size_t>(env_int("CHALLENGE_WEBHOOK_MAX_IDLE_CONNECTIONS", 256, 0, 100000));
    c.outbound.resolver.threads = static_cast<std::size_t>(env_int("CHALLENGE_WEBHOOK_DNS_THREADS", 8, 1, 256));
    c.outbound.resolver.max_running_per_key = static_cast<std::size_t>(env_int("CHALLENGE_WEBHOOK_DNS_PER_TENANT", 2, 1, 256));
    c.deliveries.poll_interval = std::chrono::milliseconds{env_int("CHALLENGE_WEBHOOK_POLL_MS", 500, 10, 60000)};
    c.deliveries.lease = std::chrono::seconds{env_int("CHALLENGE_WEBHOOK_LEASE_SECONDS", 60, 2, 3600)};
    // A lease shorter than an attempt would let a second instance resend a live attempt.
    if (c.deliveries.lease < fast.attempt_timeout + std::chrono::seconds{1})
        throw std::invalid_argument("CHALLENGE_WEBHOOK_LEASE_SECONDS must exceed CHALLENGE_WEBHOOK_TIMEOUT_MS by at least 1 s");

    c.identity_providers.allow_plain_http = env_bool("CHALLENGE_ALLOW_HTTP_IDP", false);
    c.identity_providers.address_policy.allow_loopback = env_bool("CHALLENGE_ALLOW_LOOPBACK_IDP", false);
    c.identity_providers.address_policy.allow_private = env_bool("CHALLENGE_ALLOW_PRIVATE_IDP", false);
    c.identity_providers.max_idle_per_host = 2;
    c.verification.public_base_url = c.api.public_base_url;
    // Two years, as hstspreload.org asks; not includeSubDomains: the operator's other hosts
    // under the same domain are not ours to decide.
    if (c.api.public_base_url.starts_with("https://")) c.server.strict_transport_security = "max-age=63072000";
    c.verification.details_grace = std::chrono::seconds{env_int("CHALLENGE_DEVICE_DETAILS_GRACE_SECONDS", 5, 1, 120)};
    c.verification.trusted_proxies = env_list("CHALLENGE_TRUSTED_PROXIES");
    c.verification.allow_http_idp = c.identity_providers.allow_plain_http;
    for (const auto& proxy : c.verification.trusted_proxies) {
        if (!core::parse_address_range(proxy))
            throw std::invalid_argument("CHALLENGE_TRUSTED_PROXIES: \"" + proxy +
                                        "\" is not an IP address or CIDR block (e.g. 10.0.0.5, 10.0.0.0/8, 2001:db8::/32)");
    }
    if (auto file = env("CHALLENGE_RECEIPT_KEY_FILE")) c.receipt_key_pem = read_text_file(*file, "CHALLENGE_RECEIPT_KEY_FILE");
    for (const auto& file : env_list("CHALLENGE_RECEIPT_RETIRED_KEY_FILES"))
        c.retired_receipt_key_pems.push_back(read_text_file(file, "CHALLENGE_RECEIPT_RETIRED_KEY_FILES"));

    if (auto key = env("CHALLENGE_MASTER_KEY")) {
        auto raw = crypto::base64_decode(*key);
        if (!raw || raw->size() != 32)
            throw std::invalid_argument("CHALLENGE_MASTER_KEY must be 32 random bytes, base64-encoded");
        c.master_key = *raw;
    }
    if (auto slack = env("CHALLENGE_SLACK_API_BASE_URL")) {
        if (slack->rfind("https://", 0) != 0 && slack->rfind("http://", 0) != 0)
            throw std::invalid_argument("CHALLENGE_SLACK_API_BASE_URL must start with https:// (or http:// for a test server)");
        if (slack->back() != '/') *slack += '/';
        c.slack_api_base_url = *slack;
    }
    if (auto prefix = env("CHALLENGE_SLACK_RESPONSE_URL_PREFIX")) c.slack_response_url_prefix = *prefix;
    c.slack_requests.limits.per_requester = env_int("CHALLENGE_SLACK_REQUESTER_LIMIT", 30, 0, 100000);
    c.slack_requests.limits.per_target = env_int("CHALLENGE_SLACK_TARGET_LIMIT", 10, 0, 100000);
    c.slack_requests.limits.window = std::chrono::minutes{env_int("CHALLENGE_SLACK_LIMIT_WINDOW_MINUTES", 60, 1, 10080)};
    c.slack_requests.callback_policy = c.api.callback_policy;
    c.slack_ingress.ack_budget = std::chrono::milliseconds{env_int("CHALLENGE_SLACK_ACK_BUDGET_MS", 2500, 100, 2900)};
    c.slack_cards.public_base_url = c.api.public_base_url;
    c.slack_install.public_base_url = c.api.public_base_url;
    if (auto authorize = env("CHALLENGE_SLACK_AUTHORIZE_URL")) c.slack_install.authorize_url = *authorize;
    c.slack_install.trusted_proxies = c.verification.trusted_proxies;
    c.slack_cards.poll_interval = std::chrono::milliseconds{env_int("CHALLENGE_SLACK_POLL_MS", 1000, 10, 60000)};
    c.expiry_sweep_interval = std::chrono::milliseconds{env_int("CHALLENGE_EXPIRY_SWEEP_MS", 1000, 10, 600000)};
    c.shutdown_grace = std::chrono::seconds{env_int("CHALLENGE_SHUTDOWN_GRACE_SECONDS", 10, 0, 600)};
    c.log_level = env("CHALLENGE_LOG_LEVEL").value_or("info");
    c.instance_id = env("CHALLENGE_INSTANCE_ID").value_or(default_instance_id());
    c.deliveries.worker_id = c.instance_id;
    // The API's failed-authentication limit is per client address, as our proxies report it.
    c.api.trusted_proxies = c.verification.trusted_proxies;
    // Lookup threads of their own: a tenant's slow IdP or callback host never queues these.
    c.identity_providers.resolver.threads = 4;
    c.identity_providers.resolver.max_running_per_key = 4;
    return c;
}

}  // namespace chal::service
