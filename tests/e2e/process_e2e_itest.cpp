// The real binary as a process: killed with SIGKILL while callbacks are in flight it loses
// nothing (the next process sends every event), and SIGTERM stops it cleanly with exit 0.
#include "tests/e2e/service_fixture.hpp"
#include "tests/support/run.hpp"
#include "tests/support/test_database.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/json/parse.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <fstream>
#include <map>
#include <set>

extern char** environ;

using namespace chal;
using boost::beast::http::verb;
using chal::testing::receiver_behaviour;

namespace {

std::uint16_t free_port() {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    return acceptor.local_endpoint().port();
}

// `challenge serve` with the test database and extra settings; stderr goes to a log file.
class service_process {
public:
    service_process(std::uint16_t port, std::vector<std::string> settings) : port_(port) {
        // Later settings override earlier ones and the inherited environment (getenv takes the first).
        std::map<std::string, std::string> vars;
        auto set = [&vars](const std::string& assignment) {
            const auto eq = assignment.find('=');
            vars[assignment.substr(0, eq)] = assignment;
        };
        for (char** e = environ; *e; ++e) set(*e);
        set("DATABASE_URL=" + chal::testing::test_database_url());
        set("CHALLENGE_PORT=" + std::to_string(port));
        set(std::string("CHALLENGE_MASTER_KEY=") + e2e::test_master_key_base64);
        set("CHALLENGE_ALLOW_HTTP_CALLBACKS=true");
        set("CHALLENGE_ALLOW_LOOPBACK_CALLBACKS=true");
        set("CHALLENGE_LOG_LEVEL=info");
        for (const auto& s : settings) set(s);
        std::vector<std::string> env;
        for (auto& [name, assignment] : vars) env.push_back(assignment);
        std::vector<char*> envp;
        for (auto& s : env) envp.push_back(s.data());
        envp.push_back(nullptr);

        log_path_ = "/tmp/chal-process-e2e-" + std::to_string(port) + ".log";
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 2, log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        std::string binary = CHAL_BINARY;
        std::string serve = "serve";
        char* argv[] = {binary.data(), serve.data(), nullptr};
        if (posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv, envp.data()) != 0) pid_ = -1;
        posix_spawn_file_actions_destroy(&actions);
    }
    ~service_process() {
        if (pid_ > 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
    }
    bool started() const { return pid_ > 0; }
    void kill_now() {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }
    // Sends SIGTERM and waits up to `limit`; the exit code, or -1 if it did not exit normally.
    int terminate(std::chrono::seconds limit) {
        kill(pid_, SIGTERM);
        return wait_for_exit(limit);
    }
    // Waits up to `limit` for the process to end by itself; its exit code, or -1.
    int wait_for_exit(std::chrono::seconds limit) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        int status = 0;
        while (std::chrono::steady_clock::now() < deadline) {
            if (waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            }
            timespec pause{0, 20'000'000};
            nanosleep(&pause, nullptr);  // polling a child's exit; bounded by the deadline
        }
        return -1;
    }
    std::string log() const {
        std::ifstream in(log_path_);
        return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    }

private:
    std::uint16_t port_;
    pid_t pid_ = -1;
    std::string log_path_;
};

}  // namespace

class process_e2e : public e2e::service_test {
protected:
    bool wait_until_healthy(std::chrono::seconds limit) {
        return eventually(
            [&] {
                auto r = try_call(verb::get, "/healthz");
                return r && r->status == 200;
            },
            limit
        );
    }
};

TEST_F(process_e2e, a_killed_process_loses_no_callback) {
    receiver_->set_default(receiver_behaviour::stall());
    const auto port = free_port();
    target_port_ = port;
    const std::vector<std::string> settings{"CHALLENGE_WEBHOOK_TIMEOUT_MS=2000", "CHALLENGE_WEBHOOK_LEASE_SECONDS=4",
                                            "CHALLENGE_WEBHOOK_POLL_MS=50"};
    auto first = std::make_unique<service_process>(port, settings);
    ASSERT_TRUE(first->started());
    ASSERT_TRUE(wait_until_healthy(std::chrono::seconds{15})) << first->log();

    std::set<std::string> ids;
    for (int i = 0; i < 10; ++i) {
        auto created = create(R"({"target_user_id": "u", "callback_url": ")" + receiver_->url("/hook") + "\"}");
        ASSERT_EQ(created.status, 201u);
        const std::string id(boost::json::parse(created.body).at("challenge_id").as_string());
        ids.insert(id);
        EXPECT_EQ(call(verb::post, "/api/v1/challenges/" + id + "/cancel", {}, {{"X-API-Key", api_key_}}).status, 200u);
    }
    ASSERT_TRUE(wait_for_callbacks(8));  // attempts are in flight, held by the stalled receiver
    first->kill_now();
    const auto before_restart = receiver_->requests().size();

    receiver_->set_default(receiver_behaviour::respond(200));
    service_process second(port, settings);
    ASSERT_TRUE(wait_until_healthy(std::chrono::seconds{15})) << second.log();
    ASSERT_TRUE(eventually([&] { return count_rows("SELECT count(*) FROM webhook_deliveries WHERE state = 'delivered'") == 10; },
                           std::chrono::seconds{40}))
        << second.log();
    std::set<std::string> delivered;
    const auto requests = receiver_->requests();
    for (std::size_t i = before_restart; i < requests.size(); ++i)
        delivered.insert(std::string(boost::json::parse(requests[i].body).at("challenge_id").as_string()));
    EXPECT_EQ(delivered, ids);
}

TEST_F(process_e2e, sigterm_drains_and_exits_cleanly) {
    const auto port = free_port();
    target_port_ = port;
    service_process process(port, {"CHALLENGE_SHUTDOWN_GRACE_SECONDS=5"});
    ASSERT_TRUE(wait_until_healthy(std::chrono::seconds{15})) << process.log();
    EXPECT_EQ(create(R"({"target_user_id": "u"})").status, 201u);
    EXPECT_EQ(process.terminate(std::chrono::seconds{10}), 0) << process.log();
    EXPECT_NE(process.log().find("stopped"), std::string::npos) << process.log();
}

TEST_F(process_e2e, starts_with_one_listening_line_and_no_routine_database_messages) {
    const auto port = free_port();
    target_port_ = port;
    // The fixture applied the migrations, so this start's `migrate` hears PostgreSQL's NOTICE
    // that the migrations table exists; at debug it is there, at the default level it is not.
    service_process verbose(port, {"CHALLENGE_LOG_LEVEL=debug"});
    ASSERT_TRUE(wait_until_healthy(std::chrono::seconds{15})) << verbose.log();
    ASSERT_EQ(verbose.terminate(std::chrono::seconds{10}), 0) << verbose.log();
    ASSERT_NE(verbose.log().find("already exists, skipping"), std::string::npos) << verbose.log();

    service_process process(port, {"CHALLENGE_LOG_LEVEL=info"});
    ASSERT_TRUE(wait_until_healthy(std::chrono::seconds{15})) << process.log();
    ASSERT_EQ(process.terminate(std::chrono::seconds{10}), 0) << process.log();
    const auto log = process.log();
    EXPECT_EQ(log.find("NOTICE"), std::string::npos) << log;
    EXPECT_EQ(log.find("pg connected"), std::string::npos) << log;
    const std::string listening = "listening on http://127.0.0.1:" + std::to_string(port);
    const auto first = log.find(listening);
    EXPECT_NE(first, std::string::npos) << log;
    EXPECT_EQ(log.find(listening, first + 1), std::string::npos) << log;
}

TEST_F(process_e2e, secrets_never_reach_the_log) {
    const auto port = free_port();
    target_port_ = port;
    service_process process(port, {"CHALLENGE_LOG_LEVEL=debug"});
    ASSERT_TRUE(wait_until_healthy(std::chrono::seconds{15})) << process.log();
    auto created = create(R"({"target_user_id": "u", "callback_url": ")" + receiver_->url("/hook") + "\"}");
    const std::string id(boost::json::parse(created.body).at("challenge_id").as_string());
    call(verb::post, "/api/v1/challenges/" + id + "/cancel", {}, {{"X-API-Key", api_key_}});
    ASSERT_TRUE(wait_for_callbacks(1));
    EXPECT_EQ(process.terminate(std::chrono::seconds{10}), 0);
    const auto log = process.log();
    EXPECT_EQ(log.find(api_key_), std::string::npos);
    EXPECT_EQ(log.find(e2e::test_webhook_secret), std::string::npos);
    EXPECT_EQ(log.find(e2e::test_master_key_base64), std::string::npos);
    EXPECT_EQ(log.find(std::string(receiver_->requests()[0].header("X-Webhook-Signature").value_or("-"))), std::string::npos);
}

TEST_F(process_e2e, refuses_to_start_when_the_environment_switches_off_saml_signature_checks) {
    const auto port = free_port();
    target_port_ = port;
    // lasso_init reads LASSO_FLAG; with this, unsigned forged SAML Responses would pass.
    service_process process(port, {"LASSO_FLAG=no-verify-signature"});
    ASSERT_TRUE(process.started());
    const int code = process.wait_for_exit(std::chrono::seconds{15});
    EXPECT_NE(code, 0) << process.log();
    EXPECT_NE(code, -1) << "still running: " << process.log();
    EXPECT_NE(process.log().find("no-verify-signature"), std::string::npos) << process.log();
    EXPECT_FALSE(try_call(verb::get, "/healthz").has_value()) << "nothing may be served";
}
