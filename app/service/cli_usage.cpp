#include "app/service/cli_usage.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace chal::service {

namespace {

constexpr std::array commands{
    command_usage{"serve", "", "run the service (HTTP API, callbacks, expiry)"},
    command_usage{"migrate", "", "apply database migrations and exit"},
    command_usage{"tenant create", "--name N [--expiry-minutes M] [--owner-email E]",
                  "with --owner-email, also print the first Owner's console setup link"},
    command_usage{"tenant set-expiry", "--tenant T --expiry-minutes M", ""},
    command_usage{"tenant list", "", ""},
    command_usage{"tenant set-oidc",
                  "--tenant T --issuer URL --client-id ID (--client-secret S | --client-secret-file F)\n"
                  "[--scopes \"openid email\"] [--identity-claim email] [--require-acr ACR]\n"
                  "[--when-email-verified-absent refuse|accept]",
                  ""},
    command_usage{"tenant set-saml", "--tenant T --metadata-file F [--identity-attribute NAME] [--require-authn-context CLASS]",
                  ""},
    command_usage{"tenant set-auth-none", "--tenant T --i-understand-this-is-weaker", ""},
    command_usage{"tenant clear-auth", "--tenant T", "targets cannot verify until a mode is set again"},
    command_usage{"tenant set-support", "--tenant T [--email E] [--phone P] [--slack-channel C] [--portal-url U]", ""},
    command_usage{"tenant set-additional-context", "--tenant T on|off", "", 1},
    command_usage{"tenant show-verification", "--tenant T", "the tenant's verification settings (never the secret)"},
    command_usage{"console setup-link", "--tenant T --email E [--role owner|admin|analyst|viewer]",
                  "a single-use console sign-in link (24 h) making E a member with the role"},
    command_usage{"console recover", "--tenant T --email E", "a break-glass link making E an active Owner again"},
    command_usage{"console set-sso", "--tenant T --issuer URL --client-id ID --client-secret-file F [--jit-viewers]",
                  "console sign-in by the tenant's own OIDC client; its redirect URI is "
                  "<public base URL>/console/auth/callback"},
    command_usage{"console show-sso", "--tenant T", "the console SSO settings (the secret as a fingerprint)"},
    command_usage{"console clear-sso", "--tenant T", "switch console SSO off"},
    command_usage{"integration create-webhook", "--tenant T --name N [--callback-url U] [--secret S | --generate-secret]", ""},
    command_usage{"integration regenerate-key", "--integration I", ""},
    command_usage{"deliveries list", "[--tenant T] [--state pending|in_flight|delivered|exhausted|gone] [--limit N]", ""},
    command_usage{"deliveries attempts", "--delivery D", ""},
    command_usage{"deliveries redeliver", "--delivery D", ""},
    command_usage{"deliveries endpoints", "[--tenant T] [--slow] [--limit N]",
                  "callback endpoints the breaker knows: lane, timeouts in a row"},
    command_usage{"slack create-app", "--tenant T --name N [--instance I]", ""},
    command_usage{"slack manifest", "--tenant T --instance I [--yaml] [--token-rotation] [--org-deploy]", ""},
    command_usage{"slack set-credentials",
                  "--tenant T --instance I --signing-secret-file F [--bot-token-file F]\n"
                  "[--client-id ID --client-secret-file F] [--app-id A] [--security-channel C]",
                  ""},
    command_usage{"slack list", "--tenant T", "apps, whether their secrets are set, installations"},
    command_usage{"slack allow-workspace", "--tenant T --instance I (--team T... | --enterprise E...)", ""},
    command_usage{"slack allowed-workspaces", "--tenant T --instance I", ""},
    command_usage{"slack remove-workspace", "--tenant T --instance I (--team T... | --enterprise E...)", ""},
    command_usage{"demo bootstrap", "", "create the demo tenant (auth none) and webhook integration once"},
    command_usage{"retry-schedule", "", "print the callback retry schedule (Markdown)"},
};

// Where a summary starts when it fits after the synopsis's first line.
constexpr std::size_t summary_column = 42;

std::vector<std::string_view> words_of(std::string_view text) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (start < text.size()) {
        const auto end = std::min(text.find(' ', start), text.size());
        if (end > start) out.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

// The row's lines, each starting with `indent` then `prefix`; continuation lines align under
// the first option.
std::string format_row(const command_usage& row, std::string_view indent, std::string_view prefix) {
    std::string head = std::string(indent) + std::string(prefix) + std::string(row.command);
    const std::string continuation(head.size() + 1, ' ');
    std::vector<std::string> lines;
    std::size_t start = 0;
    do {
        const auto end = std::min(row.synopsis.find('\n', start), row.synopsis.size());
        const auto part = row.synopsis.substr(start, end - start);
        if (lines.empty()) {
            lines.push_back(part.empty() ? head : head + " " + std::string(part));
        } else {
            lines.push_back(continuation + std::string(part));
        }
        start = end + 1;
    } while (start < row.synopsis.size());
    if (!row.summary.empty()) {
        if (lines.size() == 1 && lines[0].size() < summary_column) {
            lines[0].resize(summary_column, ' ');
            lines[0] += row.summary;
        } else {
            lines.push_back(std::string(summary_column, ' ') + std::string(row.summary));
        }
    }
    std::string out;
    for (const auto& line : lines) out += line + "\n";
    return out;
}

}  // namespace

std::span<const command_usage> command_usages() {
    return commands;
}

const command_usage* find_command(const std::vector<std::string>& words) {
    const command_usage* best = nullptr;
    std::size_t best_length = 0;
    for (const auto& row : commands) {
        const auto row_words = words_of(row.command);
        if (row_words.size() > words.size() || row_words.size() <= best_length) continue;
        bool matches = true;
        for (std::size_t i = 0; i < row_words.size(); ++i) matches = matches && row_words[i] == words[i];
        if (matches) {
            best = &row;
            best_length = row_words.size();
        }
    }
    return best;
}

bool is_command_group(std::string_view word) {
    for (const auto& row : commands) {
        if (words_of(row.command).front() == word) return true;
    }
    return false;
}

std::vector<std::string> options_of(const command_usage& command) {
    std::vector<std::string> out;
    const auto text = command.synopsis;
    for (auto at = text.find("--"); at != std::string_view::npos; at = text.find("--", at + 2)) {
        auto end = at + 2;
        while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '-')) ++end;
        std::string name(text.substr(at + 2, end - at - 2));
        if (!name.empty() && std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
        at = end - 2;
    }
    return out;
}

std::string full_usage() {
    std::string out = "usage: challenge <command> [options]\n\n";
    for (const auto& row : commands) out += format_row(row, "  ", "");
    out += "\nEvery command that prints takes --json. Configuration comes from the environment (README).\n"
           "challenge help <command> prints the usage of one command or group (e.g. challenge help deliveries).\n";
    return out;
}

std::optional<std::string> usage_of(std::string_view topic) {
    const auto wanted = words_of(topic);
    if (wanted.empty()) return std::nullopt;
    std::string out;
    for (const auto& row : commands) {
        const auto row_words = words_of(row.command);
        // A topic names a command exactly, or a group by its first word.
        const bool named = row_words == wanted || (wanted.size() == 1 && row_words.front() == wanted.front());
        if (named) out += format_row(row, "  ", "challenge ");
    }
    if (out.empty()) return std::nullopt;
    return "usage:\n" + out;
}

}  // namespace chal::service
