#include "storage/challenge_store.hpp"

#include "app/core/callback.hpp"
#include "storage/challenge_columns.hpp"
#include "storage/pg/text_format.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace chal::storage {
namespace {


// Every way of creating a challenge inserts it and its "created" audit row with these two
// parts; the variants below add what else must commit with it.
#define CHAL_INSERT_CHALLENGE                                                                                    \
    "c AS (INSERT INTO challenges (id, tenant_id, integration_id, origin, status, target_user_id, "          \
    "target_user_email, context, requester_id, callback_url, created_at, expires_at, verification_code) "    \
    "VALUES ($1, $2, $3, $4, 'initiated', $5, $6, $7, $8, $9, $10, $11, $13) RETURNING id, tenant_id, created_at)"
#define CHAL_AUDIT_CREATED                                                                                       \
    "INSERT INTO audit_events (tenant_id, challenge_id, actor, action, status_before, status_after, at) "    \
    "SELECT tenant_id, id, $12, 'created', NULL, 'initiated', created_at FROM c"

constexpr pg::query insert_challenge{"insert_challenge", "WITH " CHAL_INSERT_CHALLENGE " " CHAL_AUDIT_CREATED};

constexpr pg::query insert_challenge_completing_key{"insert_challenge_completing_key",
    "WITH " CHAL_INSERT_CHALLENGE ", a AS (" CHAL_AUDIT_CREATED ")"
    " UPDATE idempotency_keys k SET completed = true, response_status = $17, response_body = $18"
    " FROM c WHERE k.api_key_hash = $14 AND k.key = $15 AND k.request_fingerprint = $16 AND k.tenant_id = c.tenant_id"};

// A Slack challenge also records where its card goes and queues the card's delivery; a REST
// create with an Idempotency-Key completes its key ($18-$22; all NULL otherwise, matching no row).
constexpr pg::query insert_slack_challenge{"insert_slack_challenge",
    "WITH " CHAL_INSERT_CHALLENGE ", a AS (" CHAL_AUDIT_CREATED "),"
    " s AS (INSERT INTO slack_challenges (challenge_id, tenant_id, installation_id, requester_user_id, target_user_id,"
    "                                     origin_channel_id, created_at)"
    "       SELECT id, tenant_id, $14, $15, $16, $17, created_at FROM c RETURNING challenge_id, created_at),"
    " j AS (INSERT INTO slack_jobs (challenge_id, kind, next_attempt_at, created_at)"
    "       SELECT challenge_id, 'deliver', created_at, created_at FROM s)"
    " UPDATE idempotency_keys k SET completed = true, response_status = $21, response_body = $22"
    " FROM c WHERE k.api_key_hash = $18 AND k.key = $19 AND k.request_fingerprint = $20 AND k.tenant_id = c.tenant_id"};

#undef CHAL_INSERT_CHALLENGE
#undef CHAL_AUDIT_CREATED

// Many creates in one statement: the same columns as insert_challenge, one array per column.
constexpr pg::query insert_challenges_batch{"insert_challenges_batch", R"sql(
    WITH r AS (
        SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[],
                             $8::text[], $9::text[], $10::timestamptz[], $11::timestamptz[], $12::text[], $13::text[])
            AS r (id, tenant_id, integration_id, origin, target_user_id, target_user_email, context, requester_id,
                  callback_url, created_at, expires_at, actor, verification_code)),
    c AS (
        INSERT INTO challenges (id, tenant_id, integration_id, origin, status, target_user_id, target_user_email,
                                context, requester_id, callback_url, created_at, expires_at, verification_code)
        SELECT id, tenant_id, integration_id, origin, 'initiated', target_user_id, target_user_email, context,
               requester_id, callback_url, created_at, expires_at, verification_code FROM r
        RETURNING id)
    INSERT INTO audit_events (tenant_id, challenge_id, actor, action, status_before, status_after, at)
    SELECT r.tenant_id, r.id, r.actor, 'created', NULL, 'initiated', r.created_at FROM r JOIN c ON c.id = r.id)sql"};

// A Slack challenge that ended gets its messages updated: queued in the transaction that ended it.
constexpr pg::query enqueue_slack_outcomes{"enqueue_slack_outcomes", R"sql(
    INSERT INTO slack_jobs (challenge_id, kind, next_attempt_at, created_at)
    SELECT challenge_id, 'outcome', $2, $2 FROM slack_challenges WHERE challenge_id = ANY($1::uuid[])
    ON CONFLICT (challenge_id, kind) DO NOTHING)sql"};

// What the target typed on the Slack card before opening the verification page: kept while the
// challenge is live; the page's own answer, if any, replaces it later.
constexpr pg::query note_challenge_target_response{"note_challenge_target_response",
    "UPDATE challenges SET target_response = $3"
    " WHERE id = $1 AND tenant_id = $2 AND status IN ('initiated', 'in-progress') AND expires_at > $4"};

constexpr pg::query select_challenge{"select_challenge",
    "SELECT " CHAL_CHALLENGE_COLUMNS " FROM challenges c WHERE c.id = $1 AND c.tenant_id = $2"};

constexpr pg::query select_challenge_by_id{"select_challenge_by_id",
    "SELECT " CHAL_CHALLENGE_COLUMNS " FROM challenges c WHERE c.id = $1"};

// LEFT JOIN so an unknown challenge still tells us whether the key was good (401 vs 404).
constexpr pg::query select_challenge_for_key{"select_challenge_for_key",
    "SELECT " CHAL_CHALLENGE_COLUMNS ", k.tenant_id, k.integration_id, i.kind, t.default_expiry_minutes "
    "FROM api_keys k "
    "JOIN integrations i ON i.id = k.integration_id "
    "JOIN tenants t ON t.id = k.tenant_id "
    "LEFT JOIN challenges c ON c.id = $2 AND c.tenant_id = k.tenant_id "
    "WHERE k.key_hash = $1 AND k.revoked_at IS NULL"};

// Newest first, every filter optional: $2 status (as readers see it: a lapsed live challenge is
// expired before the sweeper writes it), $3 page cursor, $4 limit, $5 now, $6 origin, $7 target
// (email, any case, or user id), $8 requester, $9/$10 id range (UUIDv7 floors of the dates).
constexpr pg::query select_challenge_page{"select_challenge_page",
    "SELECT " CHAL_CHALLENGE_COLUMNS " FROM challenges c "
    "WHERE c.tenant_id = $1 AND ($3::uuid IS NULL OR c.id < $3) AND ("
    "    $2::text IS NULL"
    "    OR ($2 = 'expired' AND (c.status = 'expired' OR (c.status IN ('initiated', 'in-progress') AND c.expires_at <= $5"
    "                                                      AND c.authenticated_at IS NULL)))"
    "    OR ($2 IN ('initiated', 'in-progress') AND c.status = $2 AND (c.expires_at > $5 OR c.authenticated_at IS NOT NULL))"
    "    OR ($2 IN ('verified', 'failed') AND c.status = $2)) "
    "AND ($6::text IS NULL OR c.origin = $6) "
    "AND ($7::text IS NULL OR lower(c.target_user_email) = lower($7) OR c.target_user_id = $7) "
    "AND ($8::text IS NULL OR c.requester_id = $8) "
    "AND ($9::uuid IS NULL OR c.id >= $9) AND ($10::uuid IS NULL OR c.id < $10) "
    "ORDER BY c.id DESC LIMIT $4"};

constexpr pg::query select_challenge_timeline{"select_challenge_timeline", R"sql(
    SELECT actor, action, status_before, status_after, at FROM audit_events
    WHERE challenge_id = $1 AND tenant_id = $2 ORDER BY id LIMIT 500)sql"};

// One statement per move: the WHERE clause is the core's rule (allowed source statuses and
// the expiry condition), so two racing moves cannot both win; the audit row rides along.
constexpr pg::query transition_challenge{"transition_challenge",
    "WITH prior AS ("
    "    SELECT id, status FROM challenges WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2) FOR UPDATE),"
    " moved AS ("
    "    UPDATE challenges c SET status = $3, failure_reason = $4,"
    "        started_at = CASE WHEN $6 THEN $5 ELSE c.started_at END,"
    "        completed_at = CASE WHEN $7 THEN (CASE WHEN $8 THEN c.expires_at ELSE $5 END) ELSE c.completed_at END,"
    "        target_response = coalesce($9, c.target_response),"
    "        device_fingerprint = coalesce($10::jsonb, c.device_fingerprint),"
    "        auth_method = coalesce($11, c.auth_method)"
    "    FROM prior"
    "    WHERE c.id = prior.id AND prior.status = ANY($12::text[])"
    "      AND (CASE WHEN $13 THEN c.expires_at > $5 ELSE c.expires_at <= $5 END)"
    "      AND (NOT $16 OR c.authenticated_at IS NULL)"
    "    RETURNING " CHAL_CHALLENGE_COLUMNS ", prior.status AS status_before),"
    " audit AS ("
    "    INSERT INTO audit_events (tenant_id, challenge_id, actor, action, status_before, status_after, at)"
    "    SELECT tenant_id, id, $14, $15, status_before, status, $5 FROM moved)"
    " SELECT moved.*, i.callback_url FROM moved JOIN integrations i ON i.id = moved.integration_id"};

constexpr pg::query expire_due_challenges{"expire_due_challenges",
    "WITH due AS ("
    "    SELECT id, status FROM challenges"
    "    WHERE status IN ('initiated', 'in-progress') AND expires_at <= $1 AND authenticated_at IS NULL"
    "    ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED),"
    " moved AS ("
    "    UPDATE challenges c SET status = 'expired', completed_at = c.expires_at FROM due WHERE c.id = due.id"
    "    RETURNING " CHAL_CHALLENGE_COLUMNS ", due.status AS status_before),"
    " audit AS ("
    "    INSERT INTO audit_events (tenant_id, challenge_id, actor, action, status_before, status_after, at)"
    "    SELECT tenant_id, id, 'system:expiry', 'expire', status_before, status, $1 FROM moved)"
    " SELECT moved.*, i.callback_url FROM moved JOIN integrations i ON i.id = moved.integration_id"};

// A login proved the target: recorded once, on a live unexpired challenge, with its audit row.
constexpr pg::query record_challenge_login{"record_challenge_login",
    "WITH moved AS ("
    "    UPDATE challenges c SET authenticated_at = $2, login = $3::jsonb, auth_method = $4,"
    "        target_response = coalesce($5, c.target_response)"
    "    WHERE c.id = $1 AND c.status = 'in-progress' AND c.expires_at > $2 AND c.authenticated_at IS NULL"
    "    RETURNING " CHAL_CHALLENGE_COLUMNS "),"
    " audit AS ("
    "    INSERT INTO audit_events (tenant_id, challenge_id, actor, action, status_before, status_after, at)"
    "    SELECT tenant_id, id, $6, 'authenticate', 'in-progress', 'in-progress', $2 FROM moved)"
    " SELECT * FROM moved"};

// The only way to `verified`: a challenge a login proved, with its device details and receipt.
constexpr pg::query finalize_challenge_verified{"finalize_challenge_verified",
    "WITH prior AS ("
    "    SELECT id FROM challenges WHERE id = $1 AND status = 'in-progress' AND authenticated_at IS NOT NULL FOR UPDATE),"
    " moved AS ("
    "    UPDATE challenges c SET status = 'verified', completed_at = $2, device_fingerprint = $3::jsonb, receipt = $4"
    "    FROM prior WHERE c.id = prior.id"
    "    RETURNING " CHAL_CHALLENGE_COLUMNS "),"
    " audit AS ("
    "    INSERT INTO audit_events (tenant_id, challenge_id, actor, action, status_before, status_after, at)"
    "    SELECT tenant_id, id, $5, 'verify', 'in-progress', 'verified', $2 FROM moved)"
    " SELECT moved.*, 'in-progress' AS status_before, i.callback_url FROM moved"
    " JOIN integrations i ON i.id = moved.integration_id"};

constexpr pg::query select_awaiting_details{"select_awaiting_details",
    "SELECT " CHAL_CHALLENGE_COLUMNS " FROM challenges c"
    " WHERE c.status = 'in-progress' AND c.authenticated_at IS NOT NULL AND c.authenticated_at <= $1"
    " ORDER BY c.authenticated_at LIMIT $2"};

constexpr pg::query enqueue_deliveries{"enqueue_deliveries", R"sql(
    INSERT INTO webhook_deliveries (id, event_id, tenant_id, integration_id, challenge_id, event_type, url, body,
                                    state, next_attempt_at, created_at)
    SELECT gen_random_uuid(), 'msg_' || replace(gen_random_uuid()::text, '-', ''), c.tenant_id, c.integration_id,
           c.id, d.event_type, d.url, d.body, 'pending', $5, $5
    FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS d (challenge_id, event_type, url, body)
    JOIN challenges c ON c.id = d.challenge_id
    ON CONFLICT (challenge_id, event_type) DO NOTHING)sql"};


template <class Enum>
Enum parse_or_throw(std::optional<Enum> parsed, const char* what) {
    if (!parsed) throw std::logic_error(std::string("unexpected ") + what + " in challenges row");
    return *parsed;
}

pg::params challenge_insert_params(const core::challenge& c, const std::string& actor) {
    pg::params p;
    p.add(c.id)
        .add(c.tenant_id)
        .add(c.integration_id)
        .add(core::to_string(c.origin))
        .add(c.target_user_id)
        .add(c.target_user_email)
        .add(c.context)
        .add(c.requester_id)
        .add(c.callback_url)
        .add(c.created_at)
        .add(c.expires_at)
        .add(actor)
        .add(c.verification_code);
    return p;
}

// What must commit with the challenges a statement just ended: their callbacks (keyed by the
// row's integration default) and, for Slack challenges, the update of their Slack messages.
struct pending_outcomes {
    std::vector<std::string> challenge_ids, event_types, urls, bodies;
    std::vector<std::string> slack_challenge_ids;

    void add_if_due(const core::challenge& c, const std::optional<std::string>& integration_default) {
        if (!core::is_terminal(c.status)) return;
        if (core::reports_in_slack(c.origin)) slack_challenge_ids.push_back(c.id);
        auto url = core::callback_target(c, integration_default);
        if (!url) return;
        challenge_ids.push_back(c.id);
        event_types.emplace_back(core::callback_event_type(c));
        urls.push_back(*url);
        bodies.push_back(core::callback_body(c));
    }

    boost::asio::awaitable<void> enqueue(pg::transaction& tx, core::timestamp now) const {
        if (!challenge_ids.empty()) {
            pg::params p;
            p.add_text_array(challenge_ids).add_text_array(event_types).add_text_array(urls).add_text_array(bodies).add(now);
            co_await tx.execute(enqueue_deliveries, p);
        }
        if (!slack_challenge_ids.empty()) {
            pg::params p;
            p.add_text_array(slack_challenge_ids).add(now);
            co_await tx.execute(enqueue_slack_outcomes, p);
        }
    }
};

}  // namespace

core::challenge challenge_from_row(const pg::row& r) {
    core::challenge c;
    c.id = r.get<std::string>(0);
    c.tenant_id = r.get<std::string>(1);
    c.integration_id = r.get<std::string>(2);
    c.origin = parse_or_throw(core::parse_challenge_origin(r.get<std::string>(3)), "origin");
    c.status = parse_or_throw(core::parse_challenge_status(r.get<std::string>(4)), "status");
    if (auto reason = r.get<std::optional<std::string>>(5))
        c.failure = parse_or_throw(core::parse_failure_reason(*reason), "failure_reason");
    c.target_user_id = r.get<std::optional<std::string>>(6);
    c.target_user_email = r.get<std::optional<std::string>>(7);
    c.context = r.get<std::optional<std::string>>(8);
    c.requester_id = r.get<std::string>(9);
    c.callback_url = r.get<std::optional<std::string>>(10);
    c.created_at = r.get<core::timestamp>(11);
    c.expires_at = r.get<core::timestamp>(12);
    c.started_at = r.get<std::optional<core::timestamp>>(13);
    c.completed_at = r.get<std::optional<core::timestamp>>(14);
    c.target_response = r.get<std::optional<std::string>>(15);
    c.device_fingerprint_json = r.get<std::optional<std::string>>(16);
    c.auth_method = r.get<std::optional<std::string>>(17);
    c.verification_code = r.get<std::optional<std::string>>(18);
    c.receipt = r.get<std::optional<std::string>>(19);
    c.authenticated_at = r.get<std::optional<core::timestamp>>(20);
    c.login_json = r.get<std::optional<std::string>>(21);
    return c;
}

namespace {

// One create waiting for the statement that carries its row.
struct insert_waiter {
    explicit insert_waiter(boost::asio::any_io_executor executor)
        : done(executor, boost::asio::steady_timer::time_point::max()) {}
    boost::asio::steady_timer done;
    bool finished = false;
    std::exception_ptr failure;
};

struct pending_insert {
    core::challenge challenge;
    std::string actor;
    std::shared_ptr<insert_waiter> waiter;
};

pg::params batch_insert_params(const std::vector<pending_insert>& batch) {
    std::vector<std::string> ids, tenants, integrations, origins, requesters, created, expires, actors;
    std::vector<std::optional<std::string>> targets, emails, contexts, callbacks, codes;
    for (const auto& row : batch) {
        const auto& c = row.challenge;
        ids.push_back(c.id);
        tenants.push_back(c.tenant_id);
        integrations.push_back(c.integration_id);
        origins.emplace_back(core::to_string(c.origin));
        targets.push_back(c.target_user_id);
        emails.push_back(c.target_user_email);
        contexts.push_back(c.context);
        requesters.push_back(c.requester_id);
        callbacks.push_back(c.callback_url);
        created.push_back(pg::text_format::format_timestamp(c.created_at));
        expires.push_back(pg::text_format::format_timestamp(c.expires_at));
        actors.push_back(row.actor);
        codes.push_back(c.verification_code);
    }
    pg::params p;
    p.add_text_array(ids).add_text_array(tenants).add_text_array(integrations).add_text_array(origins);
    p.add_text_array(targets).add_text_array(emails).add_text_array(contexts).add_text_array(requesters);
    p.add_text_array(callbacks).add_text_array(created).add_text_array(expires).add_text_array(actors);
    p.add_text_array(codes);
    return p;
}

// The five parameters that complete an idempotency key: whose key, the key, the request's
// fingerprint, and the response to replay.
void add_completion_params(pg::params& p, const idempotent_completion& completion) {
    p.add_bytea(completion.api_key_hash)
        .add(completion.key)
        .add(completion.request_fingerprint)
        .add(static_cast<int>(completion.response_status))
        .add(completion.response_body);
}

void finish(const pending_insert& row, std::exception_ptr failure) {
    row.waiter->failure = failure;
    row.waiter->finished = true;
    row.waiter->done.cancel();
}

}  // namespace

struct challenge_store::insert_queue {
    std::vector<pending_insert> pending;
    int in_flight = 0;
};

challenge_store::challenge_store(pg::pool& db, insert_batching batching)
    : db_(db), batching_(batching), inserts_(std::make_shared<insert_queue>()) {}

challenge_store::~challenge_store() = default;

boost::asio::awaitable<void> challenge_store::flush_inserts(std::shared_ptr<insert_queue> queue) {
    while (!queue->pending.empty()) {
        std::vector<pending_insert> batch;
        if (queue->pending.size() <= batching_.max_rows) {
            batch.swap(queue->pending);
        } else {
            const auto cut = queue->pending.begin() + static_cast<std::ptrdiff_t>(batching_.max_rows);
            batch.assign(std::make_move_iterator(queue->pending.begin()), std::make_move_iterator(cut));
            queue->pending.erase(queue->pending.begin(), cut);
        }
        std::exception_ptr failure;
        try {
            co_await db_.execute(insert_challenges_batch, batch_insert_params(batch));
        } catch (...) {
            failure = std::current_exception();
        }
        if (!failure || batch.size() == 1) {
            for (const auto& row : batch) finish(row, failure);
            continue;
        }
        // The batch failed as a whole: each row alone, so only a row that cannot be stored fails.
        for (const auto& row : batch) {
            std::exception_ptr own;
            try {
                co_await db_.execute(insert_challenge, challenge_insert_params(row.challenge, row.actor));
            } catch (...) {
                own = std::current_exception();
            }
            finish(row, own);
        }
    }
    --queue->in_flight;
}

boost::asio::awaitable<void> challenge_store::insert(
    core::challenge c, std::string actor, std::optional<idempotent_completion> completion
) {
    if (!completion) {
        auto executor = co_await boost::asio::this_coro::executor;
        auto waiter = std::make_shared<insert_waiter>(executor);
        inserts_->pending.push_back({std::move(c), std::move(actor), waiter});
        if (inserts_->in_flight < batching_.max_in_flight) {
            ++inserts_->in_flight;
            boost::asio::co_spawn(executor, flush_inserts(inserts_), boost::asio::detached);
        }
        if (!waiter->finished) co_await waiter->done.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        if (waiter->failure) std::rethrow_exception(waiter->failure);
        co_return;
    }
    auto p = challenge_insert_params(c, actor);
    add_completion_params(p, *completion);
    co_await db_.execute(insert_challenge_completing_key, p);
}

boost::asio::awaitable<void> challenge_store::insert_for_slack(
    core::challenge c, std::string actor, slack_delivery slack, std::optional<idempotent_completion> completion
) {
    auto p = challenge_insert_params(c, actor);
    p.add(slack.installation_id).add(slack.requester_user_id).add(slack.target_user_id).add(slack.origin_channel_id);
    if (completion) add_completion_params(p, *completion);
    else p.add_null().add_null().add_null().add_null().add_null();
    co_await db_.execute(insert_slack_challenge, p);
}

boost::asio::awaitable<bool> challenge_store::note_target_response(
    std::string tenant_id, std::string id, std::string target_response, core::timestamp now
) {
    pg::params p;
    p.add(id).add(tenant_id).add(target_response).add(now);
    auto rows = co_await db_.execute(note_challenge_target_response, p);
    co_return rows.affected_rows() > 0;
}

boost::asio::awaitable<std::optional<core::challenge>> challenge_store::find(std::string tenant_id, std::string id) {
    auto rows = co_await db_.execute(select_challenge, pg::params{}.add(id).add(tenant_id));
    if (rows.size() == 0) co_return std::nullopt;
    co_return challenge_from_row(rows[0]);
}

boost::asio::awaitable<std::optional<core::challenge>> challenge_store::find_by_id(std::string id) {
    auto rows = co_await db_.execute(select_challenge_by_id, pg::params{}.add(id));
    if (rows.size() == 0) co_return std::nullopt;
    co_return challenge_from_row(rows[0]);
}

boost::asio::awaitable<authenticated_lookup> challenge_store::authenticate_and_find(
    std::string key_hash, std::string id
) {
    pg::params p;
    p.add_bytea(key_hash).add(id);
    auto rows = co_await db_.execute(select_challenge_for_key, p);
    authenticated_lookup out;
    if (rows.size() == 0) co_return out;
    const auto row = rows[0];
    constexpr int k = challenge_column_count;
    out.principal = api_key_principal{
        row.get<std::string>(k), row.get<std::string>(k + 1), row.get<std::string>(k + 2), row.get<int>(k + 3), key_hash};
    if (!row.is_null(0)) out.challenge = challenge_from_row(row);
    co_return out;
}

boost::asio::awaitable<challenge_page> challenge_store::list(
    std::string tenant_id,
    std::optional<core::challenge_status> status,
    std::optional<std::string> before_id,
    int limit,
    core::timestamp now
) {
    challenge_filter filter;
    filter.status = status;
    co_return co_await search(std::move(tenant_id), std::move(filter), std::move(before_id), limit, now);
}

boost::asio::awaitable<challenge_page> challenge_store::search(
    std::string tenant_id, challenge_filter filter, std::optional<std::string> before_id, int limit, core::timestamp now
) {
    std::optional<std::string> status_text;
    if (filter.status) status_text = std::string(core::to_string(*filter.status));
    std::optional<std::string> origin_text;
    if (filter.origin) origin_text = std::string(core::to_string(*filter.origin));
    pg::params p;
    p.add(tenant_id).add(status_text).add(before_id).add(limit + 1).add(now).add(origin_text).add(filter.target)
        .add(filter.requester).add(filter.from_id).add(filter.until_id);
    // One extra row tells whether another page exists without a count query.
    auto rows = co_await db_.execute(select_challenge_page, p);
    challenge_page page;
    for (std::size_t i = 0; i < rows.size() && i < static_cast<std::size_t>(limit); ++i)
        page.items.push_back(challenge_from_row(rows[i]));
    if (rows.size() > static_cast<std::size_t>(limit) && !page.items.empty()) page.next_before_id = page.items.back().id;
    co_return page;
}

boost::asio::awaitable<std::vector<timeline_entry>> challenge_store::timeline(std::string tenant_id, std::string id) {
    std::vector<timeline_entry> out;
    for (const auto& r : co_await db_.execute(select_challenge_timeline, pg::params{}.add(id).add(tenant_id)))
        out.push_back({r.get<std::string>(0), r.get<std::string>(1), r.get<std::optional<std::string>>(2),
                       r.get<std::optional<std::string>>(3), r.get<core::timestamp>(4)});
    co_return out;
}

boost::asio::awaitable<core::result<core::challenge>> challenge_store::transition(
    std::optional<std::string> tenant_id,
    std::string id,
    core::challenge_event event,
    transition_details details,
    std::string actor,
    core::timestamp now
) {
    if (event == core::challenge_event::verify)
        throw std::logic_error("challenge_store: verify only through record_login + finalize_verified");
    const auto& rule = core::rule_for(event);
    std::vector<std::string> from;
    for (auto s : rule.from) from.emplace_back(core::to_string(s));
    std::optional<std::string> reason;
    if (rule.reason) reason = std::string(core::to_string(*rule.reason));

    pg::params p;
    p.add(id)
        .add(tenant_id)
        .add(core::to_string(rule.to))
        .add(reason)
        .add(now)
        .add(rule.to == core::challenge_status::in_progress)
        .add(core::is_terminal(rule.to))
        .add(event == core::challenge_event::expire)
        .add(details.target_response)
        .add(details.device_fingerprint_json)
        .add(details.auth_method)
        .add_text_array(from)
        .add(rule.requires_unexpired)
        .add(actor)
        .add(core::to_string(event))
        .add(rule.refused_once_login_proven);

    auto tx = co_await db_.begin();
    auto rows = co_await tx.execute(transition_challenge, p);
    if (rows.size() == 0) {
        // Explain the refusal with the core's own reasoning on the current row.
        auto current = co_await tx.execute(select_challenge_by_id, pg::params{}.add(id));
        if (current.size() == 0) co_return core::errc::challenge_not_found;
        auto c = challenge_from_row(current[0]);
        if (tenant_id && c.tenant_id != *tenant_id) co_return core::errc::challenge_not_found;
        auto refused = core::apply(c, event, now);
        co_return refused ? core::result<core::challenge>(core::errc::invalid_transition) : refused;
    }
    auto moved = challenge_from_row(rows[0]);
    pending_outcomes outcomes;
    outcomes.add_if_due(moved, rows[0].get<std::optional<std::string>>(challenge_column_count + 1));
    co_await outcomes.enqueue(tx, now);
    co_await tx.commit();
    co_return moved;
}

boost::asio::awaitable<std::optional<core::challenge>> challenge_store::record_login(
    std::string id, login_record login, std::string actor, core::timestamp now
) {
    pg::params p;
    p.add(id).add(now).add(login.login_json).add(login.auth_method).add(login.target_response).add(actor);
    auto rows = co_await db_.execute(record_challenge_login, p);
    if (rows.size() == 0) co_return std::nullopt;
    co_return challenge_from_row(rows[0]);
}

boost::asio::awaitable<std::optional<core::challenge>> challenge_store::finalize_verified(
    std::string id, std::string device_fingerprint_json, std::string receipt, std::string actor, core::timestamp now
) {
    pg::params p;
    p.add(id).add(now).add(device_fingerprint_json).add(receipt).add(actor);
    auto tx = co_await db_.begin();
    auto rows = co_await tx.execute(finalize_challenge_verified, p);
    if (rows.size() == 0) co_return std::nullopt;  // already verified (or never proven): rolled back
    auto moved = challenge_from_row(rows[0]);
    pending_outcomes outcomes;
    outcomes.add_if_due(moved, rows[0].get<std::optional<std::string>>(challenge_column_count + 1));
    co_await outcomes.enqueue(tx, now);
    co_await tx.commit();
    co_return moved;
}

boost::asio::awaitable<std::vector<core::challenge>> challenge_store::awaiting_details(
    core::timestamp authenticated_before, int limit
) {
    auto rows = co_await db_.execute(select_awaiting_details, pg::params{}.add(authenticated_before).add(limit));
    std::vector<core::challenge> waiting;
    for (const auto& row : rows) waiting.push_back(challenge_from_row(row));
    co_return waiting;
}

boost::asio::awaitable<std::vector<core::challenge>> challenge_store::expire_due(core::timestamp now, int limit) {
    auto tx = co_await db_.begin();
    auto rows = co_await tx.execute(expire_due_challenges, pg::params{}.add(now).add(limit));
    std::vector<core::challenge> expired;
    pending_outcomes outcomes;
    for (const auto& row : rows) {
        expired.push_back(challenge_from_row(row));
        outcomes.add_if_due(expired.back(), row.get<std::optional<std::string>>(challenge_column_count + 1));
    }
    co_await outcomes.enqueue(tx, now);
    co_await tx.commit();
    co_return expired;
}

}  // namespace chal::storage
