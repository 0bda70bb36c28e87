// The operator CLI's usage text: one row per command. The full usage, `challenge help <topic>`
// and the command line's accepted options are all read from this table.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace chal::service {

struct command_usage {
    std::string_view command;   // its words, e.g. "tenant set-oidc"
    std::string_view synopsis;  // what follows the words; '\n' starts a continuation line
    std::string_view summary;   // one line; may be empty
    std::size_t operands = 0;   // bare words after the command words (`tenant set-additional-context on|off`)
};

// Every command, in the order the full usage lists them. A new command adds its row here; a
// command line naming no row is refused as an unknown command.
std::span<const command_usage> command_usages();

// The row whose words begin `words` (the longest such), or null.
const command_usage* find_command(const std::vector<std::string>& words);

// True if some command starts with `word` (`tenant`, `deliveries`).
bool is_command_group(std::string_view word);

// The options a command accepts: every `--name` its synopsis mentions, without the dashes.
std::vector<std::string> options_of(const command_usage& command);

// The whole usage, as `challenge help` prints it.
std::string full_usage();

// The usage of one command ("tenant set-oidc") or of a group ("deliveries"); nullopt if `topic`
// names neither.
std::optional<std::string> usage_of(std::string_view topic);

}  // namespace chal::service
