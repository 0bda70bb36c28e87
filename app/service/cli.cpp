#include "app/service/cli.hpp"

#include "app/service/cli_usage.hpp"

#include "api/api_keys.hpp"
#include "api/errors.hpp"
#include "api/webhooks/signature.hpp"
#include "app/core/callback.hpp"
#include "app/core/new_challenge.hpp"
#include "app/core/slack_allowlist.hpp"
#include "app/core/network_address.hpp"
#include "app/core/text.hpp"
#include "app/core/verification.hpp"
#include "app/crypto/crypto.hpp"
#include "app/http/client.hpp"
#include "app/http/url.hpp"
#include "app/saml/service_provider.hpp"
#include "app/service/config.hpp"
#include "app/service/service.hpp"
#include "app/services/console_access.hpp"
#include "app/services/console_sso.hpp"
#include "storage/console_sso_store.hpp"
#include "storage/console_store.hpp"
#include "storage/delivery_store.hpp"
#include "slack/manifest.hpp"
#include "slack/web_api.hpp"
#include "storage/migrations.hpp"
#include "storage/pg/error.hpp"
#include "storage/pg/query.hpp"
#include "storage/slack_store.hpp"
#include "storage/tenant_store.hpp"
#include "storage/verification_store.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <variant>

namespace chal::service {
namespace asio = boost::asio;

namespace {

// A command line we cannot run as written (unknown command or option, missing option, a value
// of the wrong form): one line naming the problem and the help to read (exit 2).
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A well-formed command with a value we refuse: the message says why (exit 2).
struct bad_value : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

// An option that names a stored record, and where the operator finds valid ids.
struct record_kind {
    const char* option;
    const char* noun;
    const char* hint;
};
constexpr record_kind tenant_ids{"tenant", "tenant", "tenant ids are UUIDs; see challenge tenant list"};
constexpr record_kind integration_ids{"integration", "integration",
                                      "integration ids are UUIDs, printed when the integration was created"};
constexpr record_kind delivery_ids{"delivery", "delivery", "delivery ids are UUIDs; see challenge deliveries list"};
// Every option that names a stored id by UUID: checked before any SQL sees it.
constexpr std::array uuid_record_kinds{tenant_ids, integration_ids, delivery_ids};

// An id that names no stored record, whether malformed or unknown (exit 1).
struct no_such_record : std::runtime_error {
    no_such_record(const record_kind& kind, const std::string& id)
        : std::runtime_error(std::string("no ") + kind.noun + " " + core::escaped_for_log(id, 200) + " (" + kind.hint + ")") {}
};

// "--name value" pairs and bare flags after the command words.
struct arguments {
    std::vector<std::string> words;
    std::map<std::string, std::string> options;
    bool json = false;
    // Why the command line could not be read (a trailing option without its value); reported
    // once the command is known, so the message can name it.
    std::optional<std::string> malformed;

    bool has(const std::string& name) const { return options.contains(name); }
    std::string required(const std::string& name) const {
        auto it = options.find(name);
        if (it == options.end() || it->second.empty()) throw usage_error("missing --" + name);
        return it->second;
    }
    std::optional<std::string> optional(const std::string& name) const {
        auto it = options.find(name);
        if (it == options.end()) return std::nullopt;
        return it->second;
    }
    // A flag given bare (`--flag`); `--flag=anything-else` does not count.
    bool flag(const std::string& name) const {
        auto it = options.find(name);
        return it != options.end() && it->second == "true";
    }
    int required_integer(const std::string& name) const {
        required(name);
        return integer(name, 0);
    }
    int integer(const std::string& name, int fallback) const {
        auto text = optional(name);
        if (!text) return fallback;
        int value = 0;
        auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
        if (ec != std::errc{} || ptr != text->data() + text->size()) throw usage_error("--" + name + " must be an integer");
        return value;
    }
};

arguments parse_arguments(const std::vector<std::string>& args) {
    static const std::set<std::string> flags{"json", "help", "generate-secret", "i-understand-this-is-weaker", "yaml",
                                             "token-rotation", "org-deploy", "slow", "jit-viewers"};
    arguments a;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto& arg = args[i];
        if (arg.rfind("--", 0) == 0) {
            auto name = arg.substr(2);
            if (auto eq = name.find('='); eq != std::string::npos) {
                a.options[name.substr(0, eq)] = name.substr(eq + 1);
            } else if (flags.contains(name)) {
                a.options[name] = "true";
            } else if (i + 1 >= args.size()) {
                a.malformed = "--" + name + " needs a value";
            } else {
                a.options[name] = args[++i];
            }
        } else {
            a.words.push_back(arg);
        }
    }
    a.json = a.has("json");
    return a;
}

// Refuses what `command` does not take: an option its usage does not name (a typo must not
// silently leave a setting unchanged), words beyond its operands, a malformed stored id.
void check_command_line(const arguments& a, const command_usage& command) {
    if (a.malformed) throw usage_error(*a.malformed);
    const auto accepted = options_of(command);
    for (const auto& [name, value] : a.options) {
        if (name == "json" || name == "help") continue;
        if (std::find(accepted.begin(), accepted.end(), name) == accepted.end())
            throw usage_error("unknown option --" + name);
    }
    const auto word_count = std::count(command.command.begin(), command.command.end(), ' ') + 1 + command.operands;
    if (a.words.size() > static_cast<std::size_t>(word_count))
        throw usage_error("unexpected argument " + a.words[static_cast<std::size_t>(word_count)]);
    for (const auto& kind : uuid_record_kinds) {
        if (auto id = a.optional(kind.option); id && !id->empty() && !crypto::is_uuid(*id)) throw no_such_record(kind, *id);
    }
}

void print(const arguments& a, const boost::json::object& result, const std::string& human) {
    if (a.json) {
        std::cout << boost::json::serialize(result) << "\n";
    } else {
        std::cout << human;
    }
}

std::optional<std::string> seal_secret(const service_config& config, const std::string& integration_id,
                                       const std::optional<std::string>& secret) {
    if (!secret) return std::nullopt;
    if (!config.master_key) throw usage_error("CHALLENGE_MASTER_KEY is required to store a webhook secret");
    crypto::secret_box box(*config.master_key);
    return box.seal(*secret, api::webhooks::webhook_secret_context(integration_id));
}

std::string new_id() {
    return crypto::new_uuid_v7(std::chrono::system_clock::now());
}

// Runs an administrative coroutine against a small pool and returns its exit code.
template <class Fn>
int with_database(const service_config& config, Fn fn, bool migrate_first = true) {
    asio::io_context io;
    auto pool_config = config.database;
    pool_config.size = 2;
    pg::pool db(io.get_executor(), pool_config, [](int, std::string_view) {});
    int exit_code = 1;
    std::exception_ptr failure;
    auto task = [&]() -> asio::awaitable<void> {
        if (migrate_first) co_await storage::migrate(db);
        exit_code = co_await fn(db);
    };
    asio::co_spawn(io, task(), [&](std::exception_ptr e) {
        failure = e;
        db.close();
    });
    io.run();
    if (failure) std::rethrow_exception(failure);
    return exit_code;
}

// ---- Verification settings (storage/verification_store.hpp) ----

bool has_control_characters(std::string_view text) {
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) return true;
    }
    return false;
}

bool has_space_or_control(std::string_view text) {
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f) return true;
    }
    return false;
}

// A one-line value of at most `limit` characters without control characters (nor spaces, unless `spaces`).
std::string checked_text(const std::string& option, const std::string& value, std::size_t limit, bool spaces = true) {
    if (value.size() > limit) throw bad_value("--" + option + " is longer than " + std::to_string(limit) + " characters");
    if (spaces ? has_control_characters(value) : has_space_or_control(value))
        throw bad_value(std::string("--") + option + (spaces ? " must not contain control characters" : " must not contain spaces or control characters"));
    return value;
}

// Reads a small file whole; refuses one larger than `limit` bytes.
std::string read_file(const std::string& option, const std::string& path, std::size_t limit) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw bad_value("cannot read --" + option + " " + path);
    std::string data;
    data.resize(limit + 1);
    in.read(data.data(), static_cast<std::streamsize>(data.size()));
    if (in.bad()) throw bad_value("cannot read --" + option + " " + path);
    data.resize(static_cast<std::size_t>(in.gcount()));
    if (data.size() > limit) throw bad_value("--" + option + " " + path + " is larger than " + std::to_string(limit) + " bytes");
    return data;
}

// An OpenID Provider's issuer (OpenID Connect Discovery 1.0, section 3): an absolute https URL
// without query or fragment; plain http only for a provider on this machine (development).
std::string checked_issuer(const std::string& issuer) {
    if (issuer.size() > 2048) throw bad_value("--issuer is longer than 2048 characters");
    if (issuer.find_first_of("?#") != std::string::npos) throw bad_value("--issuer must not have a query or fragment");
    auto url = http::parse_outbound_url(issuer);
    if (!url) throw bad_value("--issuer must be an absolute https:// URL (without user info), e.g. https://login.example.com");
    if (!url->tls) {
        bool loopback = url->host == "localhost";
        if (const auto* v4 = std::get_if<core::ipv4_bytes>(&url->literal))
            loopback = core::classify(*v4) == core::address_class::loopback;
        if (const auto* v6 = std::get_if<core::ipv6_bytes>(&url->literal))
            loopback = core::classify(*v6) == core::address_class::loopback;
        if (!loopback) throw bad_value("--issuer must use https:// (http:// only for localhost or a loopback address)");
    }
    return issuer;
}

// Space-separated scope tokens (RFC 6749, section 3.3) including `openid`, normalised to single spaces.
std::string checked_scopes(const std::string& scopes) {
    std::istringstream words(scopes);
    std::string token;
    std::string out;
    bool openid = false;
    while (words >> token) {
        for (char c : token) {
            const auto u = static_cast<unsigned char>(c);
            if (u < 0x21 || u > 0x7e || c == '"' || c == '\\') throw bad_value("--scopes has an invalid scope: " + token);
        }
        openid = openid || token == "openid";
        if (!out.empty()) out += ' ';
        out += token;
    }
    if (!openid) throw bad_value("--scopes must include openid (an OIDC login needs an ID token)");
    if (out.size() > 1024) throw bad_value("--scopes is longer than 1024 characters");
    return out;
}

// The OIDC client secret from --client-secret or --client-secret-file (trailing newlines dropped).
std::string client_secret_from(const arguments& a) {
    const bool inline_secret = a.has("client-secret");
    const bool file_secret = a.has("client-secret-file");
    if (inline_secret == file_secret) throw usage_error("give exactly one of --client-secret and --client-secret-file");
    std::string secret = inline_secret ? a.optional("client-secret").value_or("")
                                       : read_file("client-secret-file", a.required("client-secret-file"), 64 * 1024);
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
    if (secret.empty()) throw bad_value("the OIDC client secret is empty");
    return secret;
}

// The IdP's SAML metadata XML, checked by the SAML library as a login will use it (entity id,
// an HTTP-Redirect sign-in URL that is safe to send browsers to, a signing certificate), so a
// tenant never stores metadata that breaks or subverts its logins.
std::string saml_metadata_from(const std::string& path, bool allow_http_sign_in) {
    constexpr std::size_t limit = 1024 * 1024;
    auto xml = read_file("metadata-file", path, limit);
    if (xml.find_first_not_of(" \t\r\n") == std::string::npos) throw bad_value("--metadata-file " + path + " is empty");
    if (xml.find('\0') != std::string::npos) throw bad_value("--metadata-file " + path + " is not text (it contains NUL bytes)");
    if (auto checked = saml::inspect_idp_metadata(xml, allow_http_sign_in); !checked)
        throw bad_value("--metadata-file " + path + ": " + checked.error().message());
    return xml;
}

// A support contact option: absent leaves it, "" clears it, anything else is checked and set.
void apply_contact(const arguments& a, const std::string& option, std::optional<std::string>& field,
                   const std::function<void(const std::string&)>& check) {
    auto value = a.optional(option);
    if (!value) return;
    if (value->empty()) {
        field.reset();
        return;
    }
    check(*value);
    field = *value;
}

boost::json::value json_or_null(const std::optional<std::string>& v) {
    return v ? boost::json::value(*v) : boost::json::value(nullptr);
}

// The settings as shown to the operator: whether a client secret is stored, never the secret.
boost::json::object verification_json(const storage::verification_settings& s) {
    return {
        {"tenant_id", s.tenant_id},
        {"auth_mode", core::to_string(s.mode)},
        {"oidc",
         {{"issuer", json_or_null(s.oidc_issuer)},
          {"client_id", json_or_null(s.oidc_client_id)},
          {"client_secret_set", s.oidc_client_secret_sealed.has_value()},
          {"scopes", s.oidc_scopes},
          {"identity_claim", s.oidc_identity_claim},
          {"required_acr", json_or_null(s.oidc_required_acr)},
          {"when_email_verified_absent", core::to_string(s.oidc_email_verified_absent)}}},
        {"saml",
         {{"metadata_set", s.saml_idp_metadata.has_value()},
          {"metadata_bytes", s.saml_idp_metadata ? s.saml_idp_metadata->size() : 0},
          {"identity_attribute", json_or_null(s.saml_identity_attribute)},
          {"required_authn_context", json_or_null(s.saml_required_authn_context)}}},
        {"additional_context_enabled", s.additional_context_enabled},
        {"support",
         {{"email", json_or_null(s.support.email)},
          {"phone", json_or_null(s.support.phone)},
          {"slack_channel", json_or_null(s.support.slack_channel)},
          {"portal_url", json_or_null(s.support.portal_url)}}},
    };
}

constexpr const char* none_warning =
    "a click-through proves only that the person holds the link, not who they are";

std::string verification_text(const storage::verification_settings& s) {
    std::string out = "tenant " + s.tenant_id + "\n";
    auto line = [&out](std::string label, const std::string& value) {
        label += ":";
        label.resize(21, ' ');
        out += label + value + "\n";
    };
    auto or_dash = [](const std::optional<std::string>& v) { return v ? *v : std::string("-"); };
    std::string mode(core::to_string(s.mode));
    if (s.mode == core::auth_mode::none) mode += std::string(" (WEAKER: ") + none_warning + ")";
    if (s.mode == core::auth_mode::unconfigured) mode += " (targets cannot verify)";
    line("auth mode", mode);
    line("oidc issuer", or_dash(s.oidc_issuer));
    line("oidc client id", or_dash(s.oidc_client_id));
    line("oidc client secret", s.oidc_client_secret_sealed ? "set (sealed)" : "not set");
    line("oidc scopes", s.oidc_scopes);
    line("oidc identity claim", s.oidc_identity_claim);
    line("oidc required acr", or_dash(s.oidc_required_acr));
    line("oidc email unverified", std::string(core::to_string(s.oidc_email_verified_absent)) + " when email_verified is absent");
    line("saml metadata", s.saml_idp_metadata ? std::to_string(s.saml_idp_metadata->size()) + " bytes" : "not set");
    line("saml identity", s.saml_identity_attribute ? "attribute " + *s.saml_identity_attribute : "NameID (emailAddress format)");
    line("saml authn context", or_dash(s.saml_required_authn_context));
    line("additional context", s.additional_context_enabled ? "on" : "off");
    line("support email", or_dash(s.support.email));
    line("support phone", or_dash(s.support.phone));
    line("support slack", or_dash(s.support.slack_channel));
    line("support portal", or_dash(s.support.portal_url));
    return out;
}

// The tenant as stored (its id in PostgreSQL's spelling); throws no_such_record if there is none.
asio::awaitable<storage::tenant_record> existing_tenant(pg::pool& db, std::string tenant_id) {
    if (!crypto::is_uuid(tenant_id)) throw no_such_record(tenant_ids, tenant_id);
    storage::tenant_store tenants(db);
    auto tenant = co_await tenants.find_tenant(tenant_id);
    if (!tenant) throw no_such_record(tenant_ids, tenant_id);
    co_return *tenant;
}

// The optional --tenant of a listing, checked to exist (in PostgreSQL's spelling).
asio::awaitable<std::optional<std::string>> tenant_filter(pg::pool& db, const arguments& a) {
    auto given = a.optional("tenant");
    if (!given) co_return std::nullopt;
    co_return (co_await existing_tenant(db, *given)).id;
}

// A listing's --limit: 50 unless given, at most 1000.
int listing_limit(const arguments& a) {
    const int limit = a.integer("limit", 50);
    if (limit < 1 || limit > 1000) throw bad_value("--limit must be between 1 and 1000");
    return limit;
}

// Reads the tenant's verification settings, lets `change` edit its fields, saves them and prints
// the result (the settings with --json, else `done` and the new auth mode).
int update_verification(const service_config& config, const arguments& a, const std::string& tenant,
                        const std::function<void(storage::verification_settings&)>& change, const std::string& done) {
    return with_database(config, [&](pg::pool& db) -> asio::awaitable<int> {
        const auto found = co_await existing_tenant(db, tenant);
        storage::verification_store store(db);
        auto settings = co_await store.settings(found.id);
        change(settings);
        auto saved = settings;
        co_await store.save_settings(std::move(saved));
        std::string human = "tenant " + settings.tenant_id + ": " + done + "; auth mode " +
                            std::string(core::to_string(settings.mode)) + "\n";
        print(a, verification_json(settings), human);
        co_return 0;
    });
}

// The demo tenant verifies with a click-through and names a support address, unless the
// operator already chose otherwise. Running it again changes nothing.
asio::awaitable<void> ensure_demo_verification(pg::pool& db, std::string tenant_id) {
    storage::verification_store store(db);
    auto settings = co_await store.settings(tenant_id);
    bool changed = false;
    if (settings.mode == core::auth_mode::unconfigured) {
        settings.mode = core::auth_mode::none;
        changed = true;
    }
    if (settings.support.empty()) {
        settings.support.email = "support@example.com";
        changed = true;
    }
    if (changed) co_await store.save_settings(std::move(settings));
}

asio::awaitable<int> create_webhook_integration(
    pg::pool& db, const service_config& config, const arguments& a, std::string tenant_id, std::string name,
    std::optional<std::string> callback_url, std::optional<std::string> secret
) {
    co_await existing_tenant(db, tenant_id);
    storage::tenant_store tenants(db);
    if (callback_url) {
        if (auto valid = core::validate_callback_url(*callback_url, config.api.callback_policy); !valid) {
            if (valid.error() == core::errc::callback_address_not_allowed)
                std::cerr << "--callback-url points at a loopback, private, link-local or other non-public address, which "
                             "callbacks may not reach (CHALLENGE_ALLOW_LOOPBACK_CALLBACKS, CHALLENGE_ALLOW_PRIVATE_CALLBACKS)\n";
            else
                std::cerr << "--callback-url must be an absolute https:// URL (http only with CHALLENGE_ALLOW_HTTP_CALLBACKS)\n";
            co_return 2;
        }
    }
    if (secret && !api::webhooks::is_usable_webhook_secret(*secret)) {
        std::cerr << "--secret cannot sign callbacks: a secret starting with whsec_ must continue with the base64 of its key "
                     "bytes (Standard Webhooks), and an empty one signs nothing; use --generate-secret for a good one\n";
        co_return 2;
    }
    const auto id = new_id();
    auto key = api::issue_api_key();
    storage::integration_record integration{id, tenant_id, "webhook", name, callback_url, seal_secret(config, id, secret)};
    co_await tenants.create_integration(std::move(integration), key.stored);
    boost::json::object out{{"integration_id", id}, {"tenant_id", tenant_id}, {"api_key", key.key},
                            {"api_key_prefix", key.stored.key_prefix}};
    if (secret) out["webhook_secret"] = *secret;
    std::string human = "integration " + id + " created\nAPI key (shown once, store it now): " + key.key + "\n";
    if (secret) human += "webhook secret (shown once): " + *secret + "\n";
    print(a, out, human);
    co_return 0;
}

// ---- Slack apps (storage/slack_store.hpp, slack/manifest.hpp, slack/web_api.hpp) ----

// 8 characters of lowercase RFC 4648 base32 (40 random bits): short in the manifest's URLs and
// unlikely to collide (the column is UNIQUE, so a collision is an error, never a shared app).
std::string new_slack_instance_id() {
    static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
    std::uint64_t bits = 0;
    for (unsigned char b : crypto::random_bytes(5)) bits = (bits << 8) | b;
    std::string id(8, 'a');
    for (std::size_t i = id.size(); i-- > 0;) {
        id[i] = alphabet[bits & 31u];
        bits >>= 5;
    }
    return id;
}

// An operator-chosen instance id: one URL path segment without escaping.
std::string checked_instance_id(const std::string& id) {
    if (id.size() > slack::max_instance_id_length) throw bad_value("--instance is longer than 64 characters");
    if (!slack::is_instance_id(id)) throw bad_value("--instance may contain only letters, digits, - and _");
    return id;
}

// A secret from a file named by `option`: trailing newlines dropped; empty or multi-line refused.
std::string slack_secret_from(const arguments& a, const std::string& option, const std::string& what) {
    const auto path = a.required(option);
    auto secret = read_file(option, path, 64 * 1024);
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
    if (secret.empty()) throw bad_value("--" + option + " " + path + " is empty");
    if (has_space_or_control(secret)) throw bad_value("the " + what + " in --" + option + " must be one line without spaces");
    return secret;
}

// The tenant's app with this instance id, or nullopt after saying so on stderr.
asio::awaitable<std::optional<storage::slack_app_record>> existing_slack_app(
    pg::pool& db, std::string tenant_id, std::string instance_id
) {
    const bool well_formed = instance_id.size() <= slack::max_instance_id_length && slack::is_instance_id(instance_id);
    const auto tenant = co_await existing_tenant(db, tenant_id);
    std::optional<storage::slack_app_record> app;
    if (well_formed) {
        storage::slack_store store(db);
        app = co_await store.find_app(tenant.id, instance_id);
    }
    if (!app) {
        std::cerr << "challenge: no Slack app with instance id " << core::escaped_for_log(instance_id, 200) << " for tenant "
                  << tenant.id << " (instance ids are letters, digits, - and _; see challenge slack list --tenant "
                  << tenant.id << ")\n";
    }
    co_return app;
}

// auth.test with `token` at the configured Slack API base, 10 s at most.
asio::awaitable<slack::web_api_result<slack::auth_identity>> slack_auth_test(std::string api_base_url, std::string token) {
    http::client client(co_await asio::this_coro::executor, slack_client_config(api_base_url));
    slack::web_api_config api_config;
    api_config.base_url = std::move(api_base_url);
    api_config.timeout = std::chrono::seconds{10};
    slack::web_api_client api(client, api_config);
    slack::caller as;
    as.token = std::move(token);
    as.timeout = std::chrono::seconds{10};
    co_return co_await api.auth_test(std::move(as));
}

// Why auth.test gave no identity, for the operator; never contains the token.
std::string auth_test_failure_text(const slack::web_api_error& e, const std::string& api_base_url) {
    switch (e.kind) {
    case slack::web_api_errc::slack_error:
        return "Slack refused the bot token: auth.test answered " + e.code +
               (e.code == "invalid_auth" || e.code == "not_authed" || e.code == "token_revoked" || e.code == "account_inactive"
                    ? " (check the Bot User OAuth Token on the app's OAuth & Permissions page)"
                    : "");
    case slack::web_api_errc::ratelimited:
        return "Slack rate-limited auth.test; try again in " + std::to_string(e.retry_after.count()) + " s";
    case slack::web_api_errc::transport:
        return "could not reach Slack at " + api_base_url + " (auth.test: " + e.code + ")";
    default:
        return "auth.test at " + api_base_url + " failed: " + std::string(slack::to_string(e.kind)) + " " + e.code;
    }
}

boost::json::object installation_json(const storage::slack_installation_record& i) {
    return {{"installation_id", i.id},
            {"team_id", json_or_null(i.team_id)},
            {"enterprise_id", json_or_null(i.enterprise_id)},
            {"is_enterprise_install", i.is_enterprise_install},
            {"bot_user_id", i.bot_user_id},
            {"bot_id", json_or_null(i.bot_id)},
            {"scopes", i.scopes},
            {"installed_at", core::format_rfc3339(i.installed_at)}};
}

std::string installation_text(const storage::slack_installation_record& i) {
    std::string where = i.is_enterprise_install ? "org " + i.enterprise_id.value_or("?") + " (org-wide)"
                                                : "workspace " + i.team_id.value_or("?");
    if (!i.is_enterprise_install && i.enterprise_id) where += " in org " + *i.enterprise_id;
    return where + ", bot user " + i.bot_user_id + (i.bot_id ? " (" + *i.bot_id + ")" : "");
}

std::string entry_text(const core::slack_allowlist_entry& e) {
    return std::string(core::to_string(e.kind)) + " " + e.slack_id;
}

int slack_create_app(const service_config& config, const arguments& a) {
    const auto tenant = a.required("tenant");
    const auto name = checked_text("name", a.required("name"), 200);
    const auto instance = a.has("instance") ? checked_instance_id(a.required("instance")) : new_slack_instance_id();
    return with_database(config, [&](pg::pool& db) -> asio::awaitable<int> {
        const auto found = co_await existing_tenant(db, tenant);
        storage::slack_app_record app;
        app.integration_id = new_id();
        app.tenant_id = found.id;
        app.display_name = name;
        app.instance_id = instance;
        storage::slack_store store(db);
        bool taken = false;
        try {
            co_await store.create_app(app);
        } catch (const pg::unique_violation&) {
            taken = true;
        }
        if (taken) {
            std::cerr << "the Slack instance id " << instance << " is already in use; choose another --instance\n";
            co_return 1;
        }
        print(a,
              {{"integration_id", app.integration_id}, {"tenant_id", app.tenant_id}, {"instance_id", instance},
               {"name", name}},
              "Slack app " + app.integration_id + " created, instance id " + instance + "\nnext: challenge slack manifest --tenant " +
                  app.tenant_id + " --instance " + instance + "\n");
        co_return 0;
    });
}

int slack_manifest(const service_config& config, const arguments& a) {
    const auto tenant = a.required("tenant");
    const auto instance = a.required("instance");
    const bool yaml = a.flag("yaml");
    if (yaml && a.json) throw usage_error("give at most one of --yaml and --json (the manifest is JSON by default)");
    return with_database(config, [&](pg::pool& db) -> asio::awaitable<int> {
        auto app = co_await existing_slack_app(db, tenant, instance);
        if (!app) co_return 1;
        slack::manifest_params params;
        params.base_url = config.api.public_base_url;
        params.tenant_id = app->tenant_id;
        params.instance_id = app->instance_id;
        params.token_rotation_enabled = a.flag("token-rotation") || app->token_rotation;
        params.org_deploy_enabled = a.flag("org-deploy");
        if (auto problem = slack::manifest_params_problem(params))
            throw bad_value("cannot build the Slack manifest: " + *problem + " (CHALLENGE_PUBLIC_BASE_URL is " +
                            params.base_url + ")");
        std::cout << (yaml ? slack::manifest_yaml(params) : slack::manifest_json(params));
        co_return 0;
    });
}

int slack_set_credentials(const service_config& config, const arguments& a) {
    const auto tenant = a.required("tenant");
    const auto instance = a.required("instance");
    // Everything is read and checked before anything is stored or sent.
    const auto signing_secret = slack_secret_from(a, "signing-secret-file", "signing secret");
    std::optional<std::string> bot_token;
    if (a.has("bot-token-file")) {
        bot_token = slack_secret_from(a, "bot-token-file", "bot token");
        if (bot_token->rfind("xoxb-", 0) != 0)
            throw bad_value("--bot-token-file must hold a bot token (xoxb-...); rotating tokens (xoxe.xoxb-) need the "
                            "OAuth install, which also stores their refresh token");
    }
    if (a.has("client-id") != a.has("client-secret-file"))
        throw usage_error("give --client-id and --client-secret-file together");
    std::optional<std::string> client_id;
    std::optional<std::string> client_secret;
    if (a.has("client-id")) {
        client_id = checked_text("client-id", a.required("client-id"), 128, false);
        client_secret = slack_secret_from(a, "client-secret-file", "client secret");
    }
    std::optional<std::string> app_id;
    if (a.has("app-id")) app_id = checked_text("app-id", a.required("app-id"), 64, false);
    std::optional<std::string> channel;
    if (a.has("security-channel")) channel = checked_text("security-channel", a.required("security-channel"), 80, false);
    if (!config.master_key) throw bad_value("CHALLENGE_MASTER_KEY is required to store Slack credentials");
    const crypto::secret_box box(*config.master_key);

    return with_database(config, [&](pg::pool& db) -> asio::awaitable<int> {
        auto found = co_await existing_slack_app(db, tenant, instance);
        if (!found) co_return 1;
        auto app = *found;
        if (app_id) app.app_id = app_id;

        std::optional<storage::slack_installation_record> installation;
        if (bot_token) {
            auto identity = co_await slack_auth_test(config.slack_api_base_url, *bot_token);
            if (!identity) {
                std::cerr << auth_test_failure_text(identity.error(), config.slack_api_base_url) << "; nothing was stored\n";
                co_return 1;
            }
            const auto& who = *identity;
            if (who.bot_id.empty() || who.user_id.empty()) {
                std::cerr << "the token is not a bot token (auth.test names no bot); nothing was stored\n";
                co_return 1;
            }
            if (app.app_id && !who.app_id.empty() && *app.app_id != who.app_id) {
                std::cerr << "the bot token belongs to Slack app " << who.app_id << ", not " << *app.app_id
                          << "; nothing was stored\n";
                co_return 1;
            }
            if (!app.app_id && !who.app_id.empty()) app.app_id = who.app_id;
            if (who.team_id.empty() && !(who.is_enterprise_install && !who.enterprise_id.empty())) {
                std::cerr << "auth.test named neither a workspace nor an org-wide install; nothing was stored\n";
                co_return 1;
            }
            storage::slack_installation_record record;
            record.id = new_id();
            record.integration_id = app.integration_id;
            record.tenant_id = app.tenant_id;
            if (!who.is_enterprise_install) record.team_id = who.team_id;
            if (!who.enterprise_id.empty()) record.enterprise_id = who.enterprise_id;
            record.is_enterprise_install = who.is_enterprise_install;
            record.bot_user_id = who.user_id;
            record.bot_id = who.bot_id;
            record.scopes = who.scopes;
            record.bot_token_sealed = box.seal(*bot_token, storage::slack_bot_token_context(record.id));
            record.installed_at = core::system_now();
            installation = std::move(record);
        }

        app.signing_secret_sealed = box.seal(signing_secret, storage::slack_signing_secret_context(app.integration_id));
        if (client_id) {
            app.client_id = client_id;
            app.client_secret_sealed = box.seal(*client_secret, storage::slack_client_secret_context(app.integration_id));
        }
        if (channel) app.security_channel_id = channel;
        storage::slack_store store(db);
        auto saved = app;
        auto stored = installation;
        const bool written = co_await store.save_app_credentials(std::move(saved), std::move(stored), core::system_now());
        if (!written) {
            std::cerr << "the Slack app " << app.integration_id << " disappeared while saving\n";
            co_return 1;
        }

        boost::json::object out{{"integration_id", app.integration_id},
                                {"tenant_id", app.tenant_id},
                                {"instance_id", app.instance_id},
                                {"app_id", json_or_null(app.app_id)},
                                {"client_id", json_or_null(app.client_id)},
                                {"signing_secret_set", true},
                                {"client_secret_set", app.client_secret_sealed.has_value()},
                                {"security_channel_id", json_or_null(app.security_channel_id)},
                                {"installation", installation ? boost::json::value(installation_json(*installation)) : nullptr}};
        std::string human = "Slack app " + app.integration_id + " (instance " + app.instance_id +
                            "): signing secret sealed" + (client_secret ? ", client secret sealed" : "") + "\n";
        if (installation) {
            human += "installed in " + installation_text(*installation) + " (bot token sealed); " +
                     entry_text(core::entry_naming(storage::owner_of(*installation))) + " is on the allowlist\n";
        }
        print(a, out, human);
        co_return 0;
    });
}

// The workspace (--team) or Enterprise Grid org (--enterprise) an allowlist command names.
core::slack_allowlist_entry allowlist_entry_from(const arguments& a) {
    if (a.has("team") == a.has("enterprise")) throw usage_error("give exactly one of --team and --enterprise");
    const auto kind = a.has("team") ? core::slack_owner_kind::workspace : core::slack_owner_kind::org;
    const auto id = a.required(a.has("team") ? "team" : "enterprise");
    auto entry = core::parse_slack_allowlist_entry(kind, id);
    if (!entry) {
        throw bad_value(kind == core::slack_owner_kind::workspace
                            ? "--team must be a Slack team id: T followed by capital letters and digits (e.g. T0123ABCD)"
                            : "--enterprise must be a Slack enterprise id: E followed by capital letters and digits");
    }
    return *entry;
}

boost::json::array allowlist_json(const std::vector<storage::slack_allowlist_record>& list) {
    boost::json::array out;
    for (const auto& r : list) {
        out.push_back({{"kind", core::to_string(r.entry.kind)},
                       {"slack_id", r.entry.slack_id},
                       {"added_by", r.added_by},
                       {"added_at", core::format_rfc3339(r.added_at)}});
    }
    return out;
}

// Runs `fn(store, app)` for the Slack app --tenant and --instance name; 1 when there is none.
template <class Fn>
int with_slack_app(const service_config& config, const arguments& a, Fn fn) {
    const auto tenant = a.required("tenant");
    const auto instance = a.required("instance");
    return with_database(config, [&](pg::pool& db) -> asio::awaitable<int> {
        auto app = co_await existing_slack_app(db, tenant, instance);
        if (!app) co_return 1;
        storage::slack_store store(db);
        co_return co_await fn(store, *app);
    });
}

int slack_allow_workspace(const service_config& config, const arguments& a) {
    const auto entry = allowlist_entry_from(a);
    auto allow = [&](storage::slack_store& store, storage::slack_app_record app) -> asio::awaitable<int> {
        const bool added = co_await store.allow(app.integration_id, entry, "operator", core::system_now());
        print(a,
              {{"integration_id", app.integration_id}, {"instance_id", app.instance_id},
               {"kind", core::to_string(entry.kind)}, {"slack_id", entry.slack_id}, {"added", added}},
              entry_text(entry) + (added ? " may now install" : " was already allowed to install") + " Slack app " +
                  app.instance_id + "\n");
        co_return 0;
    };
    return with_slack_app(config, a, allow);
}

int slack_allowed_workspaces(const service_config& config, const arguments& a) {
    auto list_allowed = [&](storage::slack_store& store, storage::slack_app_record app) -> asio::awaitable<int> {
        const auto list = co_await store.allowlist(app.integration_id);
        std::string human;
        for (const auto& r : list)
            human += entry_text(r.entry) + "  added by " + r.added_by + " at " + core::format_rfc3339(r.added_at) + "\n";
        print(a, {{"integration_id", app.integration_id}, {"instance_id", app.instance_id}, {"allowed", allowlist_json(list)}},
              human.empty() ? "no workspace may install Slack app " + app.instance_id + "\n" : human);
        co_return 0;
    };
    return with_slack_app(config, a, list_allowed);
}

int slack_remove_workspace(const service_config& config, const arguments& a) {
    const auto entry = allowlist_entry_from(a);
    auto remove = [&](storage::slack_store& store, storage::slack_app_record app) -> asio::awaitable<int> {
        const auto deactivated = co_await store.disallow(app.integration_id, entry, core::system_now());
        if (!deactivated) {
            std::cerr << entry_text(entry) << " is not on the allowlist of Slack app " << app.instance_id
                      << " (see `challenge slack allowed-workspaces`)\n";
            co_return 1;
        }
        print(a,
              {{"integration_id", app.integration_id}, {"instance_id", app.instance_id},
               {"kind", core::to_string(entry.kind)}, {"slack_id", entry.slack_id},
               {"deactivated_installations", *deactivated}},
              entry_text(entry) + " may no longer install Slack app " + app.instance_id + "; " +
                  std::to_string(*deactivated) + " live installation(s) deactivated\n");
        co_return 0;
    };
    return with_slack_app(config, a, remove);
}

int slack_list(const service_config& config, const arguments& a) {
    const auto tenant = a.required("tenant");
    return with_database(config, [&](pg::pool& db) -> asio::awaitable<int> {
        const auto found = co_await existing_tenant(db, tenant);
        storage::slack_store store(db);
        boost::json::array apps;
        std::string human;
        for (const auto& app : co_await store.apps_of_tenant(found.id)) {
            auto live = co_await store.installations_of_app(app.integration_id);
            boost::json::array installs;
            std::string install_lines;
            for (const auto& i : live) {
                installs.push_back(installation_json(i));
                install_lines += "    installed in " + installation_text(i) + "\n";
            }
            const auto allowed = co_await store.allowlist(app.integration_id);
            std::string allowed_text;
            for (const auto& r : allowed) allowed_text += (allowed_text.empty() ? "" : ", ") + entry_text(r.entry);
            apps.push_back({{"integration_id", app.integration_id},
                            {"name", app.display_name},
                            {"instance_id", app.instance_id},
                            {"app_id", json_or_null(app.app_id)},
                            {"client_id", json_or_null(app.client_id)},
                            {"signing_secret_set", app.signing_secret_sealed.has_value()},
                            {"client_secret_set", app.client_secret_sealed.has_value()},
                            {"token_rotation", app.token_rotation},
                            {"security_channel_id", json_or_null(app.security_channel_id)},
                            {"installations", installs},
                            {"allowed", allowlist_json(allowed)}});
            human += app.integration_id + "  " + app.display_name + "  instance=" + app.instance_id +
                     "  signing secret " + (app.signing_secret_sealed ? "set" : "not set") + ", client secret " +
                     (app.client_secret_sealed ? "set" : "not set") + "\n" +
                     (install_lines.empty() ? "    not installed\n" : install_lines) + "    may be installed by: " +
                     (allowed_text.empty() ? "nobody yet (slack allow-workspace)" : allowed_text) + "\n";
        }
        print(a, {{"tenant_id", found.id}, {"slack_apps", apps}}, human.empty() ? "no Slack apps\n" : human);
        co_return 0;
    });
}

int serve(const service_config& config) {
    asio::io_context io;
    service svc(io, config);
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int) {
        if (!ec) svc.request_shutdown();
    });
    std::exception_ptr failure;
    asio::co_spawn(io, svc.run(), [&](std::exception_ptr e) {
        failure = e;
        signals.cancel();
        io.stop();
    });
    io.run();
    if (failure) std::rethrow_exception(failure);
    return 0;
}

// ---- the console's setup links (app/services/console_access.hpp) ----

const core::principal operator_principal{core::principal::kind::operator_cli, "", "cli"};

// Prints a single-use console sign-in link for `email` in `tenant_id`.
asio::awaitable<int> print_setup_link(pg::pool& db, const service_config& config, const arguments& a, std::string tenant_id,
                                      std::string email, core::role role, std::string purpose) {
    storage::console_store store(db);
    services::console_access access(store, core::system_now);
    storage::request_origin origin{"", "challenge cli", ""};
    auto link = co_await access.issue_setup_link(operator_principal, tenant_id, email, role, purpose, origin);
    if (!link) {
        throw bad_value(link.error() == core::errc::invalid_member_email ? "--email must be an address like name@example.com"
                                                                        : link.error().message());
    }
    const auto url = config.api.public_base_url + "/console/setup/" + link->token;
    print(a, {{"tenant_id", tenant_id}, {"email", email}, {"role", core::to_string(role)}, {"setup_url", url},
              {"expires_at", core::format_rfc3339(link->expires_at)}},
          "console link for " + email + " (" + std::string(core::to_string(role)) + "; works once, until " +
              core::format_rfc3339(link->expires_at) + "):\n  " + url + "\n");
    co_return 0;
}

int console_link_command(const service_config& config, const arguments& a, bool recover) {
    const auto tenant = a.required("tenant");
    const auto email = a.required("email");
    const auto role = recover ? std::optional(core::role::owner) : core::parse_role(a.optional("role").value_or("owner"));
    if (!role) throw bad_value("--role must be owner, admin, analyst or viewer");
    return with_database(config, [&](pg::pool& db) -> asio::awaitable<int> {
        const auto found = co_await existing_tenant(db, tenant);
        co_return co_await print_setup_link(db, config, a, found.id, email, *role, recover ? "recover" : "setup");
    });
}

// ---- console SSO (app/services/console_sso.hpp) ----

boost::json::object console_sso_json(const std::string& tenant_id, const std::optional<services::console_sso_view>& v) {
    if (!v) return {{"tenant_id", tenant_id}, {"configured", false}};
    return {{"tenant_id", v->tenant_id},
            {"configured", true},
            {"issuer", v->issuer},
            {"client_id", v->client_id},
            {"client_secret_set", true},
            {"client_secret_fingerprint", v->client_secret_fingerprint},
            {"jit_viewers", v->just_in_time_viewers},
            {"updated_by", v->updated_by},
            {"updated_at", core::format_rfc3339(v->updated_at)}};
}

std::string console_sso_text(const service_config& config, const std::string& tenant_id,
                             const std::optional<services::console_sso_view>& v) {
    if (!v) return "tenant " + tenant_id + ": console SSO not configured (sign in with setup links only)\n";
    return "tenant " + v->tenant_id + ": console SSO\n  issuer:        " + v->issuer + "\n  client id:     " + v->client_id +
           "\n  client secret: set (fingerprint " + v->client_secret_fingerprint + ")\n  just-in-time:  " +
           (v->just_in_time_viewers ? "on (new people become Viewers)" : "off") + "\n  redirect URI:  " +
           config.api.public_base_url + "/console/auth/callback\n";
}

// Runs one console SSO operation as the operator and prints its answer or its refusal.
int console_sso_command(const service_config& config, const arguments& a, const std::string& sub) {
    const auto tenant = a.required("tenant");
    services::console_sso_change change;
    if (sub == "set-sso") {
        change.issuer = a.required("issuer");
        change.client_id = a.required("client-id");
        change.client_secret = read_file("client-secret-file", a.required("client-secret-file"), 64 * 1024);
        while (!change.client_secret.empty() && (change.client_secret.back() == '\n' || change.client_secret.back() == '\r'))
            change.client_secret.pop_back();
        change.just_in_time_viewers = a.flag("jit-viewers");
    }
    if (!config.master_key) throw bad_value("CHALLENGE_MASTER_KEY is required to store a console SSO client secret");
    return with_database(config, [&](pg::pool& db) -> asio::awaitable<int> {
        const auto found = co_await existing_tenant(db, tenant);
        const crypto::secret_box box(*config.master_key);
        storage::console_store console(db);
        storage::console_sso_store store(db);
        services::console_access access(console, core::system_now);
        services::console_sso sso(store, console, access, box, core::system_now);
        const storage::request_origin origin{"", "challenge cli", ""};
        std::optional<services::console_sso_view> view;
        if (sub == "set-sso") {
            auto set = co_await sso.configure(operator_principal, found.id, change, origin);
            if (!set) {
                std::cerr << "challenge: " << api::error_for(set.error()).message << "\n";
                co_return 2;
            }
            view = *set;
        } else if (sub == "clear-sso") {
            auto cleared = co_await sso.clear(operator_principal, found.id, origin);
            if (!cleared) {
                std::cerr << "challenge: tenant " << found.id << " has no console SSO to clear\n";
                co_return 1;
            }
        } else {
            auto shown = co_await sso.show(operator_principal, found.id);
            if (shown) view = *shown;
        }
        print(a, console_sso_json(found.id, view), console_sso_text(config, found.id, view));
        co_return 0;
    });
}

int run_command(const arguments& a) {
    const auto& command = a.words[0];
    const std::string sub = a.words.size() > 1 ? a.words[1] : "";

    if (command == "retry-schedule") {
        std::cout << core::retry_schedule_table();
        return 0;
    }
    auto config = read_config_from_environment();
    if (config.database.conninfo.empty())
        throw std::invalid_argument("DATABASE_URL is not set (configuration comes from the environment; see the README)");

    if (command == "serve") return serve(config);
    if (command == "migrate") {
        return with_database(config, [&](pg::pool& db) -> asio::awaitable<int> {
            auto applied = co_await storage::migrate(db);
            boost::json::array names;
            for (const auto& n : applied) names.emplace_back(n);
            print(a, {{"applied", names}}, applied.empty() ? "database is up to date\n" : std::to_string(applied.size()) + " migration(s) applied\n");
            co_return 0;
        }, false);
    }
    if (command == "tenant" && sub == "create") {
        const auto name = a.required("name");
        const int expiry = a.integer("expiry-minutes", static_cast<int>(core::default_expiry.count()));
        if (!core::is_valid_expiry_minutes(expiry)) throw usage_error("--expiry-minutes must be between 1 and 10080");
        return with_database(config, [&](pg::pool& db) -> asio::awaitable<int> {
            storage::tenant_store tenants(db);
            const auto id = new_id();
            // Named first: g++ 12 destroys a braced temporary coroutine argument twice.
            storage::tenant_record tenant{id, name, expiry};
            co_await tenants.create_tenant(std::move(tenant));
            if (auto owner = a.optional("owner-email")) {
                if (!a.json) std::cout << "tenant " << id << " created\n";
                co_return co_await print_setup_link(db, config, a, id, *owner, core::role::owner, "setup");
            }
            print(a, {{"tenant_id", id}, {"name", name}, {"default_expiry_minutes", expiry}}, "tenant " + id + " created\n");
            co_return 0;
        });
    }
    if (command == "tenant" && sub == "set-expiry") {
        const auto tenant = a.required("tenant");
        const int expiry = a.required_integer("expiry-minutes");
        if (!core::is_valid_expiry_minutes(expiry)) throw usage_error("--expiry-minutes must be between 1 and 10080");
        return with_database(config, [&](pg::pool& db) -> asio::awaitable<int> {
            storage::tenant_store tenants(db);
            if (!co_await tenants.set_default_expiry(tenant, expiry)) throw no_such_record(tenant_ids, tenant);
            print(a, {{"tenant_id", tenant}, {"default_expiry_minutes", expiry}}, "tenant " + tenant + " updated\n");
            co_return 0;
        });
    }
    if (command == "tenant" && sub == "list") {
        return with_database(config, [&](pg::pool& db) -> asio::awaitable<int> {
            storage::tenant_store tenants(db);
            boost::json::array list;
            std::string human;
            for (const auto& t : co_await tenants.list_tenants()) {
                list.push_back({{"tenant_id", t.id}, {"name", t.name}, {"default_expiry_minutes", t.default_expiry_minutes}});
                human += t.id + "  " + t.name + "  expiry=" + std::to_string(t.default_expiry_minutes) + "m\n";
            }
            print(a, {{"tenants", list}}, human);
            co_return 0;
        });
    }
    if (command == "tenant" && sub == "set-oidc") {
        const auto tenant = a.required("tenant");
        const auto issuer = checked_issuer(a.required("issuer"));
        const auto client_id = checked_text("client-id", a.required("client-id"), 512);
        const auto secret = client_secret_from(a);
        const auto scopes = checked_scopes(a.optional("scopes").value_or("openid email"));
        const auto claim = checked_text("identity-claim", a.optional("identity-claim").value_or("email"), 256, false);
        if (claim.empty()) throw bad_value("--identity-claim must not be empty");
        std::optional<std::string> acr;
        if (auto given = a.optional("require-acr"); given && !given->empty()) acr = checked_text("require-acr", *given, 256, false);
        const auto absent = core::parse_email_verified_absent(a.optional("when-email-verified-absent").value_or("refuse"));
        if (!absent) throw bad_value("--when-email-verified-absent must be refuse or accept");
        if (!config.master_key) throw bad_value("CHALLENGE_MASTER_KEY is required to store an OIDC client secret");
        const crypto::secret_box box(*config.master_key);
        return update_verification(config, a, tenant, [&](storage::verification_settings& s) {
            s.mode = core::auth_mode::oidc;
            s.oidc_issuer = issuer;
            s.oidc_client_id = client_id;
            s.oidc_client_secret_sealed = box.seal(secret, storage::oidc_client_secret_context(s.tenant_id));
            s.oidc_scopes = scopes;
            s.oidc_identity_claim = claim;
            s.oidc_required_acr = acr;
            s.oidc_email_verified_absent = *absent;
        }, "OIDC configured (issuer " + issuer + ", client secret sealed)");
    }
    if (command == "tenant" && sub == "set-saml") {
        const auto tenant = a.required("tenant");
        const auto metadata = saml_metadata_from(a.required("metadata-file"), config.identity_providers.allow_plain_http);
        std::optional<std::string> attribute;
        if (auto given = a.optional("identity-attribute"); given && !given->empty())
            attribute = checked_text("identity-attribute", *given, 1024, false);
        std::optional<std::string> authn_context;
        if (auto given = a.optional("require-authn-context"); given && !given->empty())
            authn_context = checked_text("require-authn-context", *given, 1024, false);
        return update_verification(config, a, tenant, [&](storage::verification_settings& s) {
            s.mode = core::auth_mode::saml;
            s.saml_idp_metadata = metadata;
            s.saml_identity_attribute = attribute;
            s.saml_required_authn_context = authn_context;
        }, "SAML configured (" + std::to_string(metadata.size()) + " bytes of IdP metadata)");
    }
    if (command == "tenant" && sub == "set-auth-none") {
        const auto tenant = a.required("tenant");
        if (!a.flag("i-understand-this-is-weaker"))
            throw bad_value(std::string("refusing to set auth mode none without --i-understand-this-is-weaker: ") +
                            none_warning + " (anyone it was forwarded to, or who saw it in a chat or log, passes)");
        return update_verification(config, a, tenant, [](storage::verification_settings& s) {
            s.mode = core::auth_mode::none;
        }, std::string("click-through verification (WEAKER: ") + none_warning + ")");
    }
    if (command == "tenant" && sub == "clear-auth") {
        const auto tenant = a.required("tenant");
        return update_verification(config, a, tenant, [](storage::verification_settings& s) {
            s.mode = core::auth_mode::unconfigured;
        }, "verification switched off (stored OIDC/SAML settings kept); targets cannot verify");
    }
    if (command == "tenant" && sub == "set-support") {
        const auto tenant = a.required("tenant");
        if (!a.has("email") && !a.has("phone") && !a.has("slack-channel") && !a.has("portal-url"))
            throw usage_error("give at least one of --email, --phone, --slack-channel, --portal-url (\"\" clears one)");
        storage::support_contacts wanted;  // validated here, before the database is touched
        auto check_email = [](const std::string& v) {
            checked_text("email", v, 254, false);
            const auto at = v.find('@');
            if (at == std::string::npos || at == 0 || at + 1 == v.size()) throw bad_value("--email must be an address like support@example.com");
        };
        auto check_phone = [](const std::string& v) { checked_text("phone", v, 64); };
        auto check_slack = [](const std::string& v) { checked_text("slack-channel", v, 80, false); };
        auto check_portal = [](const std::string& v) {
            checked_text("portal-url", v, 2048, false);
            // A link for people to follow, never fetched by us: only its form is checked.
            if (!core::parse_outbound_url(v))
                throw bad_value("--portal-url must be an absolute http:// or https:// URL");
        };
        return update_verification(config, a, tenant, [&](storage::verification_settings& s) {
            apply_contact(a, "email", s.support.email, check_email);
            apply_contact(a, "phone", s.support.phone, check_phone);
            apply_contact(a, "slack-channel", s.support.slack_channel, check_slack);
            apply_contact(a, "portal-url", s.support.portal_url, check_portal);
        }, "support contacts updated");
    }
    if (command == "tenant" && sub == "set-additional-context") {
        const auto tenant = a.required("tenant");
        const std::string value = a.words.size() > 2 ? a.words[2] : "";
        if (value != "on" && value != "off") throw usage_error("tenant set-additional-context needs on or off");
        const bool enabled = value == "on";
        return update_verification(config, a, tenant, [&](storage::verification_settings& s) {
            s.additional_context_enabled = enabled;
        }, std::string("additional context ") + (enabled ? "on" : "off"));
    }
    if (command == "tenant" && sub == "show-verification") {
        const auto tenant = a.required("tenant");
        return with_database(config, [&](pg::pool& db) -> asio::awaitable<int> {
            const auto found = co_await existing_tenant(db, tenant);
            storage::verification_store store(db);
            const auto settings = co_await store.settings(found.id);
            print(a, verification_json(settings), verification_text(settings));
            co_return 0;
        });
    }
    if (command == "integration" && sub == "create-webhook") {
        const auto tenant = a.required("tenant");
        const auto name = a.required("name");
        auto secret = a.optional("secret");
        if (a.has("generate-secret")) secret = "whsec_" + crypto::base64_encode(crypto::random_bytes(32));
        return with_database(config, [&](pg::pool& db) -> asio::awaitable<int> {
            co_return co_await create_webhook_integration(db, config, a, tenant, name, a.optional("callback-url"), secret);
        });
    }
    if (command == "integration" && sub == "regenerate-key") {
        const auto integration = a.required("integration");
        return with_database(config, [&](pg::pool& db) -> asio::awaitable<int> {
            storage::tenant_store tenants(db);
            auto key = api::issue_api_key();
            if (!co_await tenants.replace_api_key(integration, key.stored, core::system_now()))
                throw no_such_record(integration_ids, integration);
            print(a, {{"integration_id", integration}, {"api_key", key.key}, {"api_key_prefix", key.stored.key_prefix}},
                  "new API key (shown once; the old one stopped working): " + key.key + "\n");
            co_return 0;
        });
    }
    if (command == "deliveries" && sub == "list") {
        const auto state = a.optional("state");
        if (state && !storage::is_delivery_state(*state))
            throw bad_value("--state must be one of pending, in_flight, delivered, exhausted, gone");
        const int limit = listing_limit(a);
        return with_database(config, [&](pg::pool& db) -> asio::awaitable<int> {
            const auto tenant = co_await tenant_filter(db, a);
            storage::delivery_store deliveries(db);
            boost::json::array list;
            std::string human;
            for (const auto& d : co_await deliveries.list(tenant, state, limit)) {
                list.push_back({{"delivery_id", d.id}, {"webhook_id", d.event_id}, {"tenant_id", d.tenant_id},
                                {"challenge_id", d.challenge_id}, {"event_type", d.event_type}, {"url", d.url},
                                {"state", d.state}, {"attempts", d.attempts},
                                {"next_attempt_at", core::format_rfc3339(d.next_attempt_at)},
                                {"last_status", d.last_status ? boost::json::value(*d.last_status) : nullptr},
                                {"last_error", d.last_error ? boost::json::value(*d.last_error) : nullptr},
                                {"created_at", core::format_rfc3339(d.created_at)}});
                human += d.id + "  " + d.state + "  attempts=" + std::to_string(d.attempts) + "  " + d.event_type + "  " +
                         d.url + "\n";
            }
            print(a, {{"deliveries", list}}, human);
            co_return 0;
        });
    }
    if (command == "deliveries" && sub == "attempts") {
        const auto delivery = a.required("delivery");
        return with_database(config, [&](pg::pool& db) -> asio::awaitable<int> {
            storage::delivery_store deliveries(db);
            if (!co_await deliveries.exists(delivery)) throw no_such_record(delivery_ids, delivery);
            boost::json::array list;
            std::string human;
            for (const auto& at : co_await deliveries.attempts(delivery)) {
                list.push_back({{"attempt", at.attempt_no}, {"trigger", at.trigger},
                                {"started_at", core::format_rfc3339(at.started_at)}, {"duration_ms", at.duration_ms},
                                {"status_code", at.status_code ? boost::json::value(*at.status_code) : nullptr},
                                {"error_class", at.error_class ? boost::json::value(*at.error_class) : nullptr}});
                human += "#" + std::to_string(at.attempt_no) + "  " + core::format_rfc3339(at.started_at) + "  " +
                         (at.status_code ? std::to_string(*at.status_code) : at.error_class.value_or("-")) + "  " +
                         std::to_string(at.duration_ms) + "ms\n";
            }
            print(a, {{"attempts", list}}, human);
            co_return 0;
        });
    }
    if (command == "deliveries" && sub == "endpoints") {
        const int limit = listing_limit(a);
        return with_database(config, [&](pg::pool& db) -> asio::awaitable<int> {
            const auto tenant = co_await tenant_filter(db, a);
            storage::delivery_store deliveries(db);
            const auto optional_time = [](const std::optional<core::timestamp>& t) {
                return t ? boost::json::value(core::format_rfc3339(*t)) : boost::json::value(nullptr);
            };
            boost::json::array list;
            std::string human;
            const auto known = co_await deliveries.endpoints(tenant, a.flag("slow"), core::system_now(), limit);
            for (const auto& e : known) {
                const std::string lane = e.slow ? "slow" : "fast";
                list.push_back({{"endpoint", e.endpoint}, {"lane", lane},
                                {"consecutive_timeouts", e.consecutive_timeouts},
                                {"slow_until", optional_time(e.slow_until)}, {"tripped_at", optional_time(e.tripped_at)},
                                {"last_timeout_at", optional_time(e.last_timeout_at)},
                                {"recovered_at", optional_time(e.recovered_at)}, {"unfinished_deliveries", e.pending}});
                human += e.endpoint + "  lane=" + lane + "  timeouts_in_a_row=" + std::to_string(e.consecutive_timeouts) +
                         (e.slow ? "  slow_until=" + core::format_rfc3339(*e.slow_until) : std::string()) +
                         "  unfinished=" + std::to_string(e.pending) + "\n";
            }
            if (known.empty()) human = "no endpoint has timed out\n";
            print(a, {{"endpoints", list}}, human);
            co_return 0;
        });
    }
    if (command == "deliveries" && sub == "redeliver") {
        const auto delivery = a.required("delivery");
        return with_database(config, [&](pg::pool& db) -> asio::awaitable<int> {
            storage::delivery_store deliveries(db);
            if (!co_await deliveries.exists(delivery)) throw no_such_record(delivery_ids, delivery);
            if (!co_await deliveries.redeliver(delivery, core::system_now())) {
                std::cerr << "challenge: delivery " << delivery << " is being attempted now; redeliver it once that attempt ends\n";
                co_return 1;
            }
            print(a, {{"delivery_id", delivery}, {"state", "pending"}},
                  "delivery " + delivery + " queued for a manual attempt (same webhook-id)\n");
            co_return 0;
        });
    }
    if (command == "console" && sub == "setup-link") return console_link_command(config, a, false);
    if (command == "console" && sub == "recover") return console_link_command(config, a, true);
    if (command == "console" && (sub == "set-sso" || sub == "show-sso" || sub == "clear-sso"))
        return console_sso_command(config, a, sub);
    if (command == "slack" && sub == "create-app") return slack_create_app(config, a);
    if (command == "slack" && sub == "manifest") return slack_manifest(config, a);
    if (command == "slack" && sub == "set-credentials") return slack_set_credentials(config, a);
    if (command == "slack" && sub == "list") return slack_list(config, a);
    if (command == "slack" && sub == "allow-workspace") return slack_allow_workspace(config, a);
    if (command == "slack" && sub == "allowed-workspaces") return slack_allowed_workspaces(config, a);
    if (command == "slack" && sub == "remove-workspace") return slack_remove_workspace(config, a);
    if (command == "demo" && sub == "bootstrap") {
        return with_database(config, [&](pg::pool& db) -> asio::awaitable<int> {
            storage::tenant_store tenants(db);
            for (const auto& t : co_await tenants.list_tenants()) {
                if (t.name == "Demo") {
                    co_await ensure_demo_verification(db, t.id);
                    print(a, {{"tenant_id", t.id}, {"created", false}}, "");
                    co_return 0;
                }
            }
            const auto tenant_id = new_id();
            storage::tenant_record tenant{tenant_id, "Demo", static_cast<int>(core::default_expiry.count())};
            co_await tenants.create_tenant(std::move(tenant));
            co_await ensure_demo_verification(db, tenant_id);
            if (!a.json) {
                std::cout << "Demo tenant " << tenant_id << " created; its targets verify with a click-through "
                          << "(auth mode none, weaker: " << none_warning << ").\n";
            }
            co_return co_await create_webhook_integration(db, config, a, tenant_id, "Demo webhook", std::nullopt, std::nullopt);
        });
    }
    throw std::logic_error("command " + std::string(find_command(a.words)->command) + " has a usage row but no handler");
}

void configure_logging() {
    auto level = std::getenv("CHALLENGE_LOG_LEVEL");
    spdlog::set_default_logger(spdlog::stderr_color_mt("challenge"));
    spdlog::set_level(level ? spdlog::level::from_str(level) : spdlog::level::info);
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
}

}  // namespace

int run_cli(const std::vector<std::string>& args) {
    configure_logging();
    const auto a = parse_arguments(args);
    if (a.words.empty() && !a.has("help")) {
        std::cerr << full_usage();
        return 2;
    }
    // `challenge help [topic]` and `challenge [topic] --help` print to stdout: asked for, not an error.
    const bool asks_for_help = a.has("help") || a.words[0] == "help";
    if (asks_for_help) {
        std::string topic;
        for (std::size_t i = a.words.empty() || a.words[0] != "help" ? 0 : 1; i < a.words.size(); ++i)
            topic += (topic.empty() ? "" : " ") + a.words[i];
        if (topic.empty()) {
            std::cout << full_usage();
            return 0;
        }
        if (auto text = usage_of(topic)) {
            std::cout << *text;
            return 0;
        }
        std::cerr << "challenge: no command " << core::escaped_for_log(topic, 200) << " (see: challenge help)\n";
        return 2;
    }
    const auto* command = find_command(a.words);
    if (!command) {
        const bool group = is_command_group(a.words[0]);
        std::string named = a.words[0] + (group && a.words.size() > 1 ? " " + a.words[1] : "");
        std::cerr << "challenge: unknown command " << core::escaped_for_log(named, 200)
                  << " (see: challenge help" << (group ? " " + a.words[0] : std::string()) << ")\n";
        return 2;
    }
    const std::string name(command->command);
    try {
        check_command_line(a, *command);
        return run_command(a);
    } catch (const usage_error& e) {
        std::cerr << "challenge: " << e.what() << " for " << name << " (see: challenge help " << name << ")\n";
        return 2;
    } catch (const bad_value& e) {
        std::cerr << "challenge: " << e.what() << " (see: challenge help " << name << ")\n";
        return 2;
    } catch (const std::invalid_argument& e) {
        std::cerr << "challenge: " << e.what() << "\n";
        return 2;
    } catch (const no_such_record& e) {
        std::cerr << "challenge: " << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "challenge: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace chal::service
