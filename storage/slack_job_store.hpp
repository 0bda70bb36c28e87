// The Slack side of Slack challenges: the jobs that post each card and update it with the outcome
// (leased with FOR UPDATE SKIP LOCKED, so several instances never take the same job), the counts
// behind the per-person rate limits, and the recent challenges App Home lists.
#pragma once

#include "app/core/challenge.hpp"
#include "app/core/time.hpp"
#include "storage/pg/pool.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace chal::storage {

enum class slack_job_kind { deliver, outcome };

// A leased job with what it needs to run: the challenge, where its card goes, and who asked.
struct slack_job {
    std::int64_t id = 0;
    std::int64_t lease_token = 0;  // finish, retry_at and give_up write only with this token
    slack_job_kind kind = slack_job_kind::deliver;
    int attempts = 0;  // including this one
    core::challenge challenge;
    std::string installation_id;
    std::optional<std::string> requester_user_id;
    std::string target_user_id;
    std::optional<std::string> origin_channel_id;
};

// What deciding on a new Slack challenge needs from the database, read in one round trip.
struct slack_request_facts {
    std::int64_t by_requester = 0;  // Slack challenges the requester sent since `since`
    std::int64_t to_target = 0;     // and the target received
    int tenant_expiry_minutes = 15;
};

// The two people of a Slack challenge (requester nullopt: the app's own bot user asked).
struct slack_challenge_people {
    std::optional<std::string> requester_user_id;
    std::string target_user_id;
};

// A challenge as App Home lists it, with the other person's Slack id (empty: the app asked).
struct slack_home_item {
    core::challenge challenge;
    std::string counterpart_user_id;
};

// Room per installation (workspace) given what the claimer already runs for each.
struct slack_claim_fairness {
    int max_per_installation = 1 << 30;
    std::vector<std::pair<std::string, int>> installations_in_flight;  // installation id, jobs running
};

class slack_job_store {
public:
    explicit slack_job_store(pg::pool& db) : db_(db) {}

    // Leases up to `limit` due jobs until `lease_until`, oldest due first, with a new lease token,
    // at most each installation's room (installations without room do not hide others' jobs).
    // An outcome is not due while its challenge's delivery is pending: the card must exist
    // before it is updated.
    boost::asio::awaitable<std::vector<slack_job>> claim_due(
        core::timestamp now, int limit, core::timestamp lease_until, slack_claim_fairness fairness = {}
    );
    // Each writes only while `lease_token` is the job's current one, and says whether it wrote:
    // a worker whose lease lapsed and was taken again by another claim writes nothing.
    boost::asio::awaitable<bool> finish(std::int64_t job_id, std::int64_t lease_token, core::timestamp now);
    boost::asio::awaitable<bool> retry_at(
        std::int64_t job_id, std::int64_t lease_token, core::timestamp next_attempt_at, std::string error
    );
    // The job will not succeed by retrying (the target cannot be messaged, the app was removed).
    boost::asio::awaitable<bool> give_up(std::int64_t job_id, std::int64_t lease_token, core::timestamp now, std::string error);
    // Pending jobs due by `now` (the readiness of the Slack outbox, and tests' waits).
    boost::asio::awaitable<std::int64_t> pending_count(core::timestamp now);

    // Slack challenges in the tenant since `since` sent by `requester_user_id` (when given) and
    // received by `target_user_id`, and the tenant's default expiry.
    boost::asio::awaitable<slack_request_facts> request_facts(
        std::string tenant_id, std::optional<std::string> requester_user_id, std::string target_user_id,
        core::timestamp since
    );

    // Reads scoped to an installation see only the Slack challenges of its workspace or org
    // (those of the installations it replaced included), never another workspace's of the
    // same tenant.
    // The newest `limit` Slack challenges `user_id` sent, and received, there.
    boost::asio::awaitable<std::vector<slack_home_item>> sent_by(std::string installation_id, std::string user_id, int limit);
    boost::asio::awaitable<std::vector<slack_home_item>> received_by(
        std::string installation_id, std::string user_id, int limit
    );
    // Who asked and who is challenged, when the challenge is a Slack challenge there.
    boost::asio::awaitable<std::optional<slack_challenge_people>> people_of(
        std::string installation_id, std::string challenge_id
    );

private:
    pg::pool& db_;
};

}  // namespace chal::storage
