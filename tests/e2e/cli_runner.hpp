// Runs the real `challenge` binary for CLI tests: with the test database and the test master
// key in its environment, capturing its exit code, stdout and stderr.
#pragma once

#include <boost/json/object.hpp>

#include <string>
#include <vector>

namespace chal::e2e {

struct cli_result {
    int exit_code = -1;
    std::string out;
    std::string err;
};

// A file under /tmp that is removed with this object.
class temp_file {
public:
    explicit temp_file(const std::string& content = {});
    ~temp_file();
    temp_file(const temp_file&) = delete;
    temp_file& operator=(const temp_file&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

std::string slurp(const std::string& path);

// Runs `challenge <args>` with the test database and master key (plus `settings`, NAME=value,
// which win) and waits for it. Touches no state of the test, so it may run on another thread.
cli_result run_challenge(const std::vector<std::string>& args, const std::vector<std::string>& settings = {});

std::string describe(const cli_result& r);

// The last line of `out` that starts with '{', parsed.
boost::json::object last_json_line(const std::string& out);

}  // namespace chal::e2e
