// The operator's command line: one binary serves and administers (README, "Operator CLI").
#pragma once

#include <string>
#include <vector>

namespace chal::service {

// Runs one command; returns the process exit code. Prints results to stdout (JSON with
// --json) and errors to stderr.
int run_cli(const std::vector<std::string>& args);

}  // namespace chal::service
