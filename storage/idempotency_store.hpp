// Idempotency keys: claim a key before running a request, read what an earlier request under
// the key left. Judgement on what a found record means is the core's (core/idempotency.hpp).
#pragma once

#include "app/core/idempotency.hpp"
#include "storage/pg/pool.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>

namespace chal::storage {

// Whose keys: each API key has a key space of its own, so two integrations of a tenant that
// happen to send the same Idempotency-Key never see each other's answers.
struct idempotency_scope {
    std::string tenant_id;
    std::string api_key_hash;  // raw SHA-256 of the API key
};

class idempotency_store {
public:
    explicit idempotency_store(pg::pool& db) : db_(db) {}

    // Claims a key nobody holds. True when this call now owns it.
    boost::asio::awaitable<bool> claim_new(
        idempotency_scope scope, std::string key, std::string fingerprint, core::timestamp now
    );

    boost::asio::awaitable<std::optional<core::idempotency_record>> find(idempotency_scope scope, std::string key);

    // Takes over a record the core judged stale (expired, or a claim whose holder died):
    // compare-and-set on the record as it was read, so only one retry wins.
    boost::asio::awaitable<bool> take_over(
        idempotency_scope scope, std::string key, core::idempotency_record seen, std::string fingerprint, core::timestamp now
    );

    // Forgets an unfinished claim after the request failed, so the client may retry at once.
    boost::asio::awaitable<void> abandon(idempotency_scope scope, std::string key, std::string fingerprint);

    // Deletes records past retention; returns how many.
    boost::asio::awaitable<std::int64_t> purge_expired(core::timestamp now);

private:
    pg::pool& db_;
};

}  // namespace chal::storage
