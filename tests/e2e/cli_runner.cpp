#include "tests/e2e/cli_runner.hpp"

#include "tests/e2e/service_fixture.hpp"
#include "tests/support/test_database.hpp"

#include <boost/json/parse.hpp>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <stdexcept>

extern char** environ;

namespace chal::e2e {

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

temp_file::temp_file(const std::string& content) {
    char name[] = "/tmp/chal-cli-itest-XXXXXX";
    const int fd = mkstemp(name);
    if (fd < 0) throw std::runtime_error("mkstemp failed");
    close(fd);
    path_ = name;
    std::ofstream(path_, std::ios::binary) << content;
}

temp_file::~temp_file() {
    std::remove(path_.c_str());
}

cli_result run_challenge(const std::vector<std::string>& args, const std::vector<std::string>& settings) {
    std::map<std::string, std::string> vars;
    auto set = [&vars](const std::string& assignment) { vars[assignment.substr(0, assignment.find('='))] = assignment; };
    for (char** e = environ; *e; ++e) set(*e);
    set("DATABASE_URL=" + chal::testing::test_database_url());
    set(std::string("CHALLENGE_MASTER_KEY=") + test_master_key_base64);
    set("CHALLENGE_LOG_LEVEL=warn");
    for (const auto& s : settings) set(s);
    std::vector<std::string> env;
    for (auto& [name, assignment] : vars) env.push_back(assignment);
    std::vector<char*> envp;
    for (auto& s : env) envp.push_back(s.data());
    envp.push_back(nullptr);

    std::string binary = CHAL_BINARY;
    std::vector<std::string> argv_storage{binary};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);

    temp_file out;
    temp_file err;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out.path().c_str(), O_WRONLY | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, err.path().c_str(), O_WRONLY | O_TRUNC, 0600);
    pid_t pid = -1;
    const int spawned = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    cli_result r;
    if (spawned != 0) {
        r.err = "posix_spawn failed";
        return r;
    }
    int status = 0;
    waitpid(pid, &status, 0);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(out.path());
    r.err = slurp(err.path());
    return r;
}

std::string describe(const cli_result& r) {
    return "exit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

boost::json::object last_json_line(const std::string& out) {
    std::string last;
    std::size_t start = 0;
    while (start < out.size()) {
        auto end = out.find('\n', start);
        if (end == std::string::npos) end = out.size();
        auto line = out.substr(start, end - start);
        if (!line.empty() && line[0] == '{') last = line;
        start = end + 1;
    }
    return boost::json::parse(last).as_object();
}

}  // namespace chal::e2e
