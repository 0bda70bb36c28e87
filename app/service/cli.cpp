#include "app/service/cli.hpp"

#include "api/api_keys.hpp"
#include "api/webhooks/signature.hpp"
#include "app/core/callback.hpp"
#include "app/core/new_challenge.hpp"
#include "app/crypto/crypto.hpp"
#include "app/service/config.hpp"
#include "app/service/service.hpp"
#include "storage/delivery_store.hpp"
#include "storage/migrations.hpp"
#include "storage/tenant_store.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <iostream>
#include <map>
#include <set>
#include <stdexcept>

namespace chal::service {
namespace asio = boost::asio;

namespace {

constexpr const char* usage = R"(usage: challenge <command> [options]

  serve                                   run the service (HTTP API, callbacks, expiry)
  migrate                                 apply database migrations and exit
  tenant create --name N [--expiry-minutes M]
  tenant set-expiry --tenant T --expiry-minutes M
  tenant list
  integration create-webhook --tenant T --name N [--callback-url U] [--secret S | --generate-secret]
  integration regenerate-key --integration I
  deliveries list [--tenant T] [--state pending|in_flight|delivered|exhausted|gone] [--limit N]
  deliveries attempts --delivery D
  deliveries redeliver --delivery D
  demo bootstrap                          create the demo tenant and webhook integration once
  retry-schedule                          print the callback retry schedule (Markdown)

Every command that prints takes --json. Configuration comes from the environment (README).
)";

struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// "--name value" pairs and bare flags after the command words.
struct arguments {
    std::vector<std::string> words;
    std::map<std::string, std::string> options;
    bool json = false;

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
    static const std::set<std::string> flags{"json", "generate-secret"};
    arguments a;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto& arg = args[i];
        if (arg.rfind("--", 0) == 0) {
            auto name = arg.substr(2);
            if (auto eq = name.find('='); eq != std::string::npos) {
                a.options[name.substr(0, eq)] = name.substr(eq + 1);
            } else if (flags.contains(name)) {
                a.options[name] = "true";
            } else {
                if (i + 1 >= args.size()) throw usage_error("--" + name + " needs a value");
                a.options[name] = args[++i];
            }
        } else {
            a.words.push_back(arg);
        }
    }
    a.json = a.has("json");
    return a;
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

asio::awaitable<int> create_webhook_integration(
    pg::pool& db, const service_config& config, const arguments& a, std::string tenant_id, std::string name,
    std::optional<std::string> callback_url, std::optional<std::string> secret
) {
    storage::tenant_store tenants(db);
    if (!co_await tenants.find_tenant(tenant_id)) {
        std::cerr << "no tenant " << tenant_id << "\n";
        co_return 1;
    }
    if (callback_url) {
        core::callback_url_policy policy{config.api.callback_policy};
        if (!core::validate_callback_url(*callback_url, policy)) {
            std::cerr << "--callback-url must be an absolute https:// URL (http only with CHALLENGE_ALLOW_HTTP_CALLBACKS)\n";
            co_return 2;
        }
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

int run_command(const arguments& a) {
    if (a.words.empty() || a.words[0] == "help" || a.has("help")) {
        std::cout << usage;
        return a.words.empty() ? 2 : 0;
    }
    const auto& command = a.words[0];
    const std::string sub = a.words.size() > 1 ? a.words[1] : "";

    if (command == "retry-schedule") {
        std::cout << core::retry_schedule_table();
        return 0;
    }
    auto config = read_config_from_environment();
    if (config.database.conninfo.empty()) throw usage_error("DATABASE_URL is not set");

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
            print(a, {{"tenant_id", id}, {"name", name}, {"default_expiry_minutes", expiry}}, "tenant " + id + " created\n");
            co_return 0;
        });
    }
    if (command == "tenant" && sub == "set-expiry") {
        const auto tenant = a.required("tenant");
        const int expiry = a.integer("expiry-minutes", -1);
        if (!core::is_valid_expiry_minutes(expiry)) throw usage_error("--expiry-minutes must be between 1 and 10080");
        return with_database(config, [&](pg::pool& db) -> asio::awaitable<int> {
            storage::tenant_store tenants(db);
            if (!co_await tenants.set_default_expiry(tenant, expiry)) {
                std::cerr << "no tenant " << tenant << "\n";
                co_return 1;
            }
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
            if (!co_await tenants.replace_api_key(integration, key.stored, core::system_now())) {
                std::cerr << "no integration " << integration << "\n";
                co_return 1;
            }
            print(a, {{"integration_id", integration}, {"api_key", key.key}, {"api_key_prefix", key.stored.key_prefix}},
                  "new API key (shown once; the old one stopped working): " + key.key + "\n");
            co_return 0;
        });
    }
    if (command == "deliveries" && sub == "list") {
        return with_database(config, [&](pg::pool& db) -> asio::awaitable<int> {
            storage::delivery_store deliveries(db);
            boost::json::array list;
            std::string human;
            for (const auto& d : co_await deliveries.list(a.optional("tenant"), a.optional("state"), a.integer("limit", 50))) {
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
    if (command == "deliveries" && sub == "redeliver") {
        const auto delivery = a.required("delivery");
        return with_database(config, [&](pg::pool& db) -> asio::awaitable<int> {
            storage::delivery_store deliveries(db);
            if (!co_await deliveries.redeliver(delivery, core::system_now())) {
                std::cerr << "no delivery " << delivery << " that can be redelivered now (unknown, or being attempted)\n";
                co_return 1;
            }
            print(a, {{"delivery_id", delivery}, {"state", "pending"}},
                  "delivery " + delivery + " queued for a manual attempt (same webhook-id)\n");
            co_return 0;
        });
    }
    if (command == "demo" && sub == "bootstrap") {
        return with_database(config, [&](pg::pool& db) -> asio::awaitable<int> {
            storage::tenant_store tenants(db);
            for (const auto& t : co_await tenants.list_tenants()) {
                if (t.name == "Demo") {
                    print(a, {{"tenant_id", t.id}, {"created", false}}, "");
                    co_return 0;
                }
            }
            const auto tenant_id = new_id();
            storage::tenant_record tenant{tenant_id, "Demo", static_cast<int>(core::default_expiry.count())};
            co_await tenants.create_tenant(std::move(tenant));
            if (!a.json) std::cout << "Demo tenant " << tenant_id << " created.\n";
            co_return co_await create_webhook_integration(db, config, a, tenant_id, "Demo webhook", std::nullopt, std::nullopt);
        });
    }
    throw usage_error("unknown command");
}

void configure_logging() {
    auto level = std::getenv("CHALLENGE_LOG_LEVEL");
    spdlog::set_default_logger(spdlog::stderr_color_mt("challenge"));
    spdlog::set_level(level ? spdlog::level::from_str(level) : spdlog::level::info);
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
}

}  // namespace

int run_cli(const std::vector<std::string>& args) {
    try {
        configure_logging();
        return run_command(parse_arguments(args));
    } catch (const usage_error& e) {
        std::cerr << "challenge: " << e.what() << "\n\n" << usage;
        return 2;
    } catch (const std::invalid_argument& e) {
        std::cerr << "challenge: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "challenge: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace chal::service
