// Challenges in PostgreSQL. Each lifecycle move is one conditional UPDATE built from the
// core's transition rule, written together with its audit event and, when the challenge
// ends, its callback delivery (transactional outbox): nothing is half-written.
#pragma once

#include "app/core/challenge.hpp"
#include "storage/pg/pool.hpp"
#include "storage/tenant_store.hpp"

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace chal::storage {

// The idempotency key a create completes, with the response to replay for it.
struct idempotent_completion {
    std::string api_key_hash;  // whose key it is (raw SHA-256 of the API key)
    std::string key;
    std::string request_fingerprint;
    unsigned response_status = 201;
    std::string response_body;
};

// What a finished challenge brings with it (from the verification pages, later issues).
struct transition_details {
    std::optional<std::string> target_response;
    std::optional<std::string> device_fingerprint_json;
    std::optional<std::string> auth_method;
};

// What a login proved, recorded before the challenge turns verified.
struct login_record {
    std::string auth_method;  // "oidc", "saml", "none"
    std::string login_json;   // subject, identity, acr, auth_time, client ip and user agent
    std::optional<std::string> target_response;
};

// Where a Slack challenge's card goes and who asked (a slack_challenges row).
struct slack_delivery {
    std::string installation_id;
    std::optional<std::string> requester_user_id;  // nullopt: the app's own bot user asks
    std::string target_user_id;
    std::optional<std::string> origin_channel_id;  // where /challenge ran, if anywhere
};

struct challenge_page {
    std::vector<core::challenge> items;
    std::optional<std::string> next_before_id;  // pass as before_id for the next page
};

// What the console's challenge list filters on; every field is optional.
struct challenge_filter {
    std::optional<core::challenge_status> status;  // as observed at `now`
    std::optional<core::challenge_origin> origin;
    std::optional<std::string> target;     // the target's email (any case) or user id
    std::optional<std::string> requester;  // requester_id as stored
    std::optional<std::string> from_id;    // created at or after: the UUIDv7 floor of that time
    std::optional<std::string> until_id;   // created before: the UUIDv7 floor of that time
};

// One audit event of a challenge, oldest first.
struct timeline_entry {
    std::string actor;
    std::string action;
    std::optional<std::string> status_before;
    std::optional<std::string> status_after;
    core::timestamp at{};
};

struct authenticated_lookup {
    std::optional<api_key_principal> principal;  // nullopt: the key is unknown or revoked
    std::optional<core::challenge> challenge;    // nullopt: no such challenge in that tenant
};

// How concurrent creates share statements. Each create still answers only after its own row is
// committed; the rows arriving while earlier batches are in flight go together in the next
// statement, so one commit (one WAL flush) serves many creates under load and a lone create
// waits for nothing.
struct insert_batching {
    std::size_t max_rows = 64;  // rows per statement
    int max_in_flight = 4;      // statements in flight at once (each holds one pooled connection)
};

class challenge_store {
public:
    explicit challenge_store(pg::pool& db, insert_batching batching = {});
    ~challenge_store();

    // Inserts an initiated challenge and its "created" audit event (batched with concurrent
    // inserts, see insert_batching; a failed batch is retried row by row so one bad row fails
    // alone). With a completion, one statement of its own also marks the idempotency key done
    // with its response.
    boost::asio::awaitable<void> insert(
        core::challenge c, std::string actor, std::optional<idempotent_completion> completion = std::nullopt
    );

    // Inserts an initiated Slack challenge, its audit event, where its card goes and the job that
    // posts the card, in one statement: a stored Slack challenge always reaches Slack. With a
    // completion the same statement marks the idempotency key done with its response.
    boost::asio::awaitable<void> insert_for_slack(
        core::challenge c, std::string actor, slack_delivery slack,
        std::optional<idempotent_completion> completion = std::nullopt
    );

    // Keeps the target's Additional context on a live, unexpired challenge (the Slack card's
    // input, sent with the Verify click). False when the challenge is finished or not found.
    boost::asio::awaitable<bool> note_target_response(
        std::string tenant_id, std::string id, std::string target_response, core::timestamp now
    );

    // A tenant-scoped read: another tenant's id is simply not found.
    boost::asio::awaitable<std::optional<core::challenge>> find(std::string tenant_id, std::string id);

    // Unscoped read for the public verification link (the id is the capability).
    boost::asio::awaitable<std::optional<core::challenge>> find_by_id(std::string id);

    // API key check and tenant-scoped read in one round trip (the status-poll hot path).
    boost::asio::awaitable<authenticated_lookup> authenticate_and_find(std::string key_hash, std::string id);

    // Newest first; `before_id` continues after the last item of the previous page. `status`
    // filters on the status observed at `now` (core::observed_status).
    boost::asio::awaitable<challenge_page> list(
        std::string tenant_id,
        std::optional<core::challenge_status> status,
        std::optional<std::string> before_id,
        int limit,
        core::timestamp now
    );

    // As list, with every filter of the console's challenge list.
    boost::asio::awaitable<challenge_page> search(
        std::string tenant_id, challenge_filter filter, std::optional<std::string> before_id, int limit, core::timestamp now
    );
    // The challenge's audit events in the tenant, oldest first (at most 500).
    boost::asio::awaitable<std::vector<timeline_entry>> timeline(std::string tenant_id, std::string id);

    // Applies `event` atomically. On success returns the challenge as stored; otherwise the
    // core's reason (challenge_not_found, challenge_already_finished, challenge_expired,
    // invalid_transition). `tenant_id` scopes the move when the caller is an API key.
    boost::asio::awaitable<core::result<core::challenge>> transition(
        std::optional<std::string> tenant_id,
        std::string id,
        core::challenge_event event,
        transition_details details,
        std::string actor,
        core::timestamp now
    );

    // Records a proven login on a live, unexpired, in-progress challenge (once). nullopt when
    // the challenge is not in that state (finished, expired, already proven).
    boost::asio::awaitable<std::optional<core::challenge>> record_login(
        std::string id, login_record login, std::string actor, core::timestamp now
    );
    // Proven -> verified with the device details and receipt, its audit event and callback, in
    // one transaction. nullopt when another request finished it first.
    boost::asio::awaitable<std::optional<core::challenge>> finalize_verified(
        std::string id, std::string device_fingerprint_json, std::string receipt, std::string actor, core::timestamp now
    );
    // Proven challenges still waiting for device details since before `authenticated_before`.
    boost::asio::awaitable<std::vector<core::challenge>> awaiting_details(core::timestamp authenticated_before, int limit);

    // Expires up to `limit` live challenges whose deadline passed, with their audit events
    // and callbacks, skipping rows another instance holds. Returns what it expired.
    boost::asio::awaitable<std::vector<core::challenge>> expire_due(core::timestamp now, int limit);

private:
    struct insert_queue;
    boost::asio::awaitable<void> flush_inserts(std::shared_ptr<insert_queue> queue);

    pg::pool& db_;
    insert_batching batching_;
    std::shared_ptr<insert_queue> inserts_;
};

// Maps a row whose first columns are the challenge columns in storage order.
core::challenge challenge_from_row(const pg::row& row);

}  // namespace chal::storage
