#include "storage/slack_job_store.hpp"

#include "storage/challenge_columns.hpp"
#include "storage/challenge_store.hpp"

namespace chal::storage {
namespace {

// An outcome is held back while its challenge's card is still to be posted; a 'dead' delivery
// does not hold it (whatever messages exist are still updated). Jobs of installations with no
// room are skipped in the scan; the rest get at most their room, oldest due first. The scan only
// reads; the chosen jobs are locked (SKIP LOCKED) and re-checked as due, so a job another
// instance leased meanwhile is left alone.
constexpr pg::query claim_due_slack_jobs{"claim_due_slack_jobs",
    "WITH busy AS (SELECT * FROM unnest($4::uuid[], $5::int[]) AS b (installation_id, running)),"
    " due AS ("
    "    SELECT j.id, s.installation_id, j.next_attempt_at FROM slack_jobs j"
    "    JOIN slack_challenges s ON s.challenge_id = j.challenge_id"
    "    WHERE j.state = 'pending' AND j.next_attempt_at <= $1"
    "      AND (j.kind = 'deliver' OR NOT EXISTS (SELECT 1 FROM slack_jobs d WHERE d.challenge_id = j.challenge_id"
    "                                             AND d.kind = 'deliver' AND d.state = 'pending'))"
    "      AND s.installation_id NOT IN (SELECT installation_id FROM busy WHERE running >= $6)"
    "    ORDER BY j.next_attempt_at LIMIT $2::int * 4),"
    " ranked AS ("
    "    SELECT due.id, due.next_attempt_at,"
    "           row_number() OVER (PARTITION BY due.installation_id ORDER BY due.next_attempt_at, due.id)"
    "           + coalesce((SELECT b.running FROM busy b WHERE b.installation_id = due.installation_id), 0) AS slot"
    "    FROM due),"
    " chosen AS (SELECT id FROM ranked WHERE slot <= $6 ORDER BY next_attempt_at, id LIMIT $2),"
    " locked AS ("
    "    SELECT j.id FROM slack_jobs j JOIN chosen USING (id)"
    "    WHERE j.state = 'pending' AND j.next_attempt_at <= $1 FOR UPDATE OF j SKIP LOCKED),"
    " leased AS ("
    "    UPDATE slack_jobs j SET attempts = j.attempts + 1, next_attempt_at = $3, lease_token = j.lease_token + 1"
    "    FROM locked WHERE j.id = locked.id"
    "    RETURNING j.id, j.kind, j.attempts, j.challenge_id, j.lease_token)"
    " SELECT " CHAL_CHALLENGE_COLUMNS ", leased.id, leased.kind, leased.attempts, s.installation_id,"
    "        s.requester_user_id, s.target_user_id, s.origin_channel_id, leased.lease_token"
    " FROM leased JOIN challenges c ON c.id = leased.challenge_id JOIN slack_challenges s ON s.challenge_id = c.id"
    " ORDER BY leased.id"};

constexpr pg::query finish_slack_job{"finish_slack_job",
    "UPDATE slack_jobs SET state = 'done', finished_at = $3, last_error = NULL"
    " WHERE id = $1 AND lease_token = $2 AND state = 'pending'"};

constexpr pg::query retry_slack_job{"retry_slack_job",
    "UPDATE slack_jobs SET next_attempt_at = $3, last_error = $4 WHERE id = $1 AND lease_token = $2 AND state = 'pending'"};

constexpr pg::query give_up_slack_job{"give_up_slack_job",
    "UPDATE slack_jobs SET state = 'dead', finished_at = $3, last_error = $4"
    " WHERE id = $1 AND lease_token = $2 AND state = 'pending'"};

constexpr pg::query count_pending_slack_jobs{"count_pending_slack_jobs",
    "SELECT count(*) FROM slack_jobs WHERE state = 'pending' AND next_attempt_at <= $1"};

constexpr pg::query select_slack_request_facts{"select_slack_request_facts",
    "SELECT (SELECT count(*) FROM slack_challenges WHERE tenant_id = $1 AND requester_user_id = $2 AND created_at > $4),"
    "       (SELECT count(*) FROM slack_challenges WHERE tenant_id = $1 AND target_user_id = $3 AND created_at > $4),"
    "       (SELECT default_expiry_minutes FROM tenants WHERE id = $1)"};

// The installations that are the same workspace or org of the same app as installation $1,
// itself and the ones it replaced (a reinstall must not orphan the cards already sent).
#define CHAL_SAME_WORKSPACE_INSTALLATIONS                                                           \
    "(SELECT same.id FROM slack_installations same JOIN slack_installations asking ON asking.id = $1" \
    " WHERE same.integration_id = asking.integration_id"                                            \
    "   AND coalesce(same.enterprise_id, '') = coalesce(asking.enterprise_id, '')"                  \
    "   AND coalesce(same.team_id, '') = coalesce(asking.team_id, ''))"

constexpr pg::query select_slack_sent{"select_slack_sent",
    "SELECT " CHAL_CHALLENGE_COLUMNS ", s.target_user_id FROM slack_challenges s JOIN challenges c ON c.id = s.challenge_id"
    " WHERE s.installation_id IN " CHAL_SAME_WORKSPACE_INSTALLATIONS
    "   AND s.requester_user_id = $2 ORDER BY s.created_at DESC LIMIT $3"};

constexpr pg::query select_slack_received{"select_slack_received",
    "SELECT " CHAL_CHALLENGE_COLUMNS ", coalesce(s.requester_user_id, '') FROM slack_challenges s"
    " JOIN challenges c ON c.id = s.challenge_id"
    " WHERE s.installation_id IN " CHAL_SAME_WORKSPACE_INSTALLATIONS
    "   AND s.target_user_id = $2 ORDER BY s.created_at DESC LIMIT $3"};

constexpr pg::query select_slack_people{"select_slack_people",
    "SELECT s.requester_user_id, s.target_user_id FROM slack_challenges s"
    " WHERE s.installation_id IN " CHAL_SAME_WORKSPACE_INSTALLATIONS " AND s.challenge_id = $2"};

#undef CHAL_SAME_WORKSPACE_INSTALLATIONS

std::vector<slack_home_item> home_items(const pg::result& rows) {
    std::vector<slack_home_item> items;
    items.reserve(rows.size());
    for (const auto& row : rows) items.push_back({challenge_from_row(row), row.get<std::string>(challenge_column_count)});
    return items;
}

}  // namespace

boost::asio::awaitable<std::vector<slack_job>> slack_job_store::claim_due(
    core::timestamp now, int limit, core::timestamp lease_until, slack_claim_fairness fairness
) {
    std::vector<std::string> installations, running;
    for (const auto& [installation, count] : fairness.installations_in_flight) {
        installations.push_back(installation);
        running.push_back(std::to_string(count));
    }
    pg::params p;
    p.add(now).add(limit).add(lease_until).add_text_array(installations).add_text_array(running).add(fairness.max_per_installation);
    auto rows = co_await db_.execute(claim_due_slack_jobs, p);
    std::vector<slack_job> jobs;
    jobs.reserve(rows.size());
    constexpr int k = challenge_column_count;
    for (const auto& row : rows) {
        slack_job job;
        job.challenge = challenge_from_row(row);
        job.id = row.get<std::int64_t>(k);
        job.kind = row.get<std::string>(k + 1) == "outcome" ? slack_job_kind::outcome : slack_job_kind::deliver;
        job.attempts = row.get<int>(k + 2);
        job.installation_id = row.get<std::string>(k + 3);
        job.requester_user_id = row.get<std::optional<std::string>>(k + 4);
        job.target_user_id = row.get<std::string>(k + 5);
        job.origin_channel_id = row.get<std::optional<std::string>>(k + 6);
        job.lease_token = row.get<std::int64_t>(k + 7);
        jobs.push_back(std::move(job));
    }
    co_return jobs;
}

boost::asio::awaitable<bool> slack_job_store::finish(std::int64_t job_id, std::int64_t lease_token, core::timestamp now) {
    auto done = co_await db_.execute(finish_slack_job, pg::params{}.add(job_id).add(lease_token).add(now));
    co_return done.affected_rows() == 1;
}

boost::asio::awaitable<bool> slack_job_store::retry_at(
    std::int64_t job_id, std::int64_t lease_token, core::timestamp next_attempt_at, std::string error
) {
    auto done =
        co_await db_.execute(retry_slack_job, pg::params{}.add(job_id).add(lease_token).add(next_attempt_at).add(error));
    co_return done.affected_rows() == 1;
}

boost::asio::awaitable<bool> slack_job_store::give_up(
    std::int64_t job_id, std::int64_t lease_token, core::timestamp now, std::string error
) {
    auto done = co_await db_.execute(give_up_slack_job, pg::params{}.add(job_id).add(lease_token).add(now).add(error));
    co_return done.affected_rows() == 1;
}

boost::asio::awaitable<std::int64_t> slack_job_store::pending_count(core::timestamp now) {
    auto rows = co_await db_.execute(count_pending_slack_jobs, pg::params{}.add(now));
    co_return rows[0].get<std::int64_t>(0);
}

boost::asio::awaitable<slack_request_facts> slack_job_store::request_facts(
    std::string tenant_id, std::optional<std::string> requester_user_id, std::string target_user_id,
    core::timestamp since
) {
    pg::params p;
    p.add(tenant_id).add(requester_user_id).add(target_user_id).add(since);
    auto rows = co_await db_.execute(select_slack_request_facts, p);
    co_return slack_request_facts{
        rows[0].get<std::int64_t>(0), rows[0].get<std::int64_t>(1), rows[0].get<std::optional<int>>(2).value_or(15)};
}

boost::asio::awaitable<std::vector<slack_home_item>> slack_job_store::sent_by(
    std::string installation_id, std::string user_id, int limit
) {
    auto rows = co_await db_.execute(select_slack_sent, pg::params{}.add(installation_id).add(user_id).add(limit));
    co_return home_items(rows);
}

boost::asio::awaitable<std::vector<slack_home_item>> slack_job_store::received_by(
    std::string installation_id, std::string user_id, int limit
) {
    auto rows = co_await db_.execute(select_slack_received, pg::params{}.add(installation_id).add(user_id).add(limit));
    co_return home_items(rows);
}

boost::asio::awaitable<std::optional<slack_challenge_people>> slack_job_store::people_of(
    std::string installation_id, std::string challenge_id
) {
    auto rows = co_await db_.execute(select_slack_people, pg::params{}.add(installation_id).add(challenge_id));
    if (rows.size() == 0) co_return std::nullopt;
    co_return slack_challenge_people{rows[0].get<std::optional<std::string>>(0), rows[0].get<std::string>(1)};
}

}  // namespace chal::storage
