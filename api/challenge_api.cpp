#include "api/challenge_api.hpp"

#include "api/errors.hpp"
#include "api/wire.hpp"
#include "app/core/idempotency.hpp"
#include "app/core/network_address.hpp"
#include "app/core/text.hpp"
#include "app/http/request_fields.hpp"
#include "app/core/verification.hpp"
#include "app/crypto/crypto.hpp"

#include <boost/beast/http/field.hpp>
#include <spdlog/spdlog.h>

namespace chal::api {
namespace {

namespace bh = boost::beast::http;

bool iequals_prefix(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        const char a = text[i] >= 'A' && text[i] <= 'Z' ? static_cast<char>(text[i] - 'A' + 'a') : text[i];
        if (a != prefix[i]) return false;
    }
    return true;
}

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

std::string_view presented_api_key(const http::request& req) noexcept {
    if (auto it = req.find("X-API-Key"); it != req.end()) {
        auto key = trimmed(it->value());
        if (!key.empty()) return key;
    }
    if (auto it = req.find(bh::field::authorization); it != req.end()) {
        auto value = trimmed(it->value());
        if (iequals_prefix(value, "bearer ")) return trimmed(value.substr(7));
    }
    return {};
}

challenge_api::challenge_api(api_dependencies deps, api_settings settings)
    : deps_(std::move(deps)),
      settings_(std::move(settings)),
      key_buckets_(settings_.cache_limits),
      failed_auth_(settings_.failed_auth_per_address, settings_.cache_limits),
      principals_(settings_.cache_limits) {}

std::string challenge_api::client_address(const http::request_context& ctx) const {
    return http::client_address(ctx, settings_.trusted_proxies);
}

std::optional<http::response> challenge_api::refuse_if_address_exhausted(const std::string& address) {
    const auto wait = failed_auth_.refusal(address, std::chrono::steady_clock::now());
    if (!wait) return std::nullopt;
    deps_.counters.count_throttled("address");
    return rate_limited_response(*wait);
}

http::response challenge_api::refuse_unauthenticated(const std::string& address) {
    failed_auth_.count_failure(address, std::chrono::steady_clock::now());
    return error_response(error_for(problem::missing_api_key));
}

std::optional<http::response> challenge_api::refuse_if_key_limited(const std::string& key_hash, bool create) {
    if (!core::is_enabled(settings_.per_key_limit)) return std::nullopt;
    auto* bucket = key_buckets_.find(key_hash);
    if (!bucket && create) bucket = key_buckets_.insert_or_assign(key_hash, core::token_bucket{});
    if (!bucket) return std::nullopt;
    const auto decision = core::take_token(*bucket, settings_.per_key_limit, std::chrono::steady_clock::now());
    if (decision.allowed) return std::nullopt;
    deps_.counters.count_throttled("api_key");
    return rate_limited_response(decision.retry_after);
}

// The address is checked first: what it costs us to refuse a made-up key (a lookup) is paid only
// while the address has failures left. The per-key limit counts keys that authenticated only,
// so made-up keys never take room in it.
boost::asio::awaitable<std::variant<storage::api_key_principal, http::response>> challenge_api::authorize(
    http::request_context& ctx
) {
    const auto address = client_address(ctx);
    if (auto refused = refuse_if_address_exhausted(address)) co_return std::move(*refused);
    const auto key = presented_api_key(ctx.req);
    if (key.empty()) co_return refuse_unauthenticated(address);
    const auto key_hash = crypto::sha256(key);
    auto principal = co_await look_up_principal(key_hash);
    if (!principal) co_return refuse_unauthenticated(address);
    if (auto refused = refuse_if_key_limited(key_hash, true)) co_return std::move(*refused);
    co_return std::move(*principal);
}

boost::asio::awaitable<std::optional<storage::api_key_principal>> challenge_api::look_up_principal(
    std::string key_hash
) {
    const auto ttl = settings_.principal_cache_ttl;
    if (ttl.count() <= 0) co_return co_await deps_.tenants.authenticate(key_hash);
    const auto now = std::chrono::steady_clock::now();
    if (auto* hit = principals_.find(key_hash)) {
        if (now - hit->fetched < ttl) co_return hit->principal;
        principals_.erase(key_hash);
    }
    auto principal = co_await deps_.tenants.authenticate(key_hash);
    if (!principal) co_return std::nullopt;
    const std::size_t principal_bytes = principal->tenant_id.size() + principal->integration_id.size() + 64;
    principals_.insert_or_assign(key_hash, cached_principal{*principal, now}, principal_bytes);
    co_return principal;
}

boost::asio::awaitable<http::response> challenge_api::create(http::request_context& ctx) {
    auto authorized = co_await authorize(ctx);
    if (auto* refusal = std::get_if<http::response>(&authorized)) co_return std::move(*refusal);
    const auto* principal = &std::get<storage::api_key_principal>(authorized);

    if (!is_json_content_type(ctx.req[bh::field::content_type]))
        co_return error_response(error_for(problem::unsupported_media_type));
    auto parsed = parse_create_request(ctx.req.body());
    if (auto* e = std::get_if<api_error>(&parsed)) co_return error_response(*e);
    const auto& request = std::get<create_request>(parsed);

    std::optional<idempotent_request> idempotent;
    if (auto it = ctx.req.find("Idempotency-Key"); it != ctx.req.end()) {
        if (!core::is_valid_idempotency_key(it->value()))
            co_return error_response(error_for(core::errc::idempotency_key_invalid));
        // Only a request that can be replayed needs its fingerprint (the create hot path skips it).
        idempotent = idempotent_request{
            {principal->tenant_id, principal->api_key_hash},
            std::string(it->value()),
            crypto::sha256_hex("POST /api/v1/challenges\n" + ctx.req.body())};
    }
    if (request.slack) co_return co_await create_slack_challenge(*principal, request, std::move(idempotent), ctx.request_id);

    // The contract's 500 text for any failure past validation, the database's included.
    std::optional<http::response> answer;
    try {
        answer = co_await create_challenge(*principal, request.challenge, std::move(idempotent), ctx.request_id);
    } catch (const std::exception& e) {
        spdlog::error(
            "create_challenge failed request_id={} tenant_id={} error={}", ctx.request_id, principal->tenant_id,
            core::escaped_for_log(e.what())
        );
    }
    if (!answer) co_return error_response(error_for(problem::internal_create));
    co_return std::move(*answer);
}

boost::asio::awaitable<std::optional<http::response>> challenge_api::claim_idempotency_key(
    const idempotent_request& idempotent, core::timestamp now
) {
    const auto& scope = idempotent.scope;
    const auto& key = idempotent.key;
    const auto& fingerprint = idempotent.fingerprint;
    if (co_await deps_.idempotency.claim_new(scope, key, fingerprint, now)) co_return std::nullopt;
    auto existing = co_await deps_.idempotency.find(scope, key);
    switch (core::judge_idempotent_retry(existing, fingerprint, now)) {
        case core::idempotency_verdict::replay: {
            auto res = json_response(existing->response_status.value_or(201), existing->response_body.value_or("{}"));
            res.set("Idempotent-Replayed", "true");
            co_return res;
        }
        case core::idempotency_verdict::mismatch: co_return error_response(error_for(core::errc::idempotency_key_reused));
        case core::idempotency_verdict::in_progress:
            co_return error_response(error_for(core::errc::idempotency_request_in_progress));
        case core::idempotency_verdict::proceed: break;
    }
    bool owned = false;
    if (existing) owned = co_await deps_.idempotency.take_over(scope, key, *existing, fingerprint, now);
    else owned = co_await deps_.idempotency.claim_new(scope, key, fingerprint, now);
    if (!owned) co_return error_response(error_for(core::errc::idempotency_request_in_progress));
    co_return std::nullopt;
}

storage::idempotent_completion challenge_api::completion_of(const idempotent_request& idempotent, std::string created) const {
    return {idempotent.scope.api_key_hash, idempotent.key, idempotent.fingerprint, 201, std::move(created)};
}

boost::asio::awaitable<http::response> challenge_api::create_challenge(
    const storage::api_key_principal& principal,
    const core::challenge_request& request,
    std::optional<idempotent_request> idempotent,
    std::string request_id
) {
    const auto now = deps_.clock();
    core::challenge_origin_facts origin{
        crypto::new_uuid_v7(std::chrono::system_clock::now()),
        principal.tenant_id,
        principal.integration_id,
        core::challenge_origin::webhook_api,
        std::chrono::minutes{principal.tenant_expiry_minutes},
    };
    auto planned = core::plan_challenge(request, origin, settings_.callback_policy, now);
    if (!planned) co_return error_response(error_for(planned.error()));
    planned->verification_code = core::verification_code_from(crypto::random_u32());

    auto body = created_body(*planned, settings_.public_base_url);
    std::optional<storage::idempotent_completion> completion;
    if (idempotent) {
        if (auto answered = co_await claim_idempotency_key(*idempotent, now)) co_return std::move(*answered);
        completion = completion_of(*idempotent, body);
    }

    bool stored = false;
    try {
        co_await deps_.challenges.insert(*planned, "api_key:" + principal.integration_id, completion);
        stored = true;
    } catch (const std::exception& e) {
        spdlog::error("challenge insert failed request_id={} tenant_id={} error={}", request_id, principal.tenant_id,
                      core::escaped_for_log(e.what()));
    }
    if (!stored) {
        // Free the key so the client's retry runs at once instead of waiting out the claim.
        if (idempotent) co_await deps_.idempotency.abandon(idempotent->scope, idempotent->key, idempotent->fingerprint);
        co_return error_response(error_for(problem::internal_create));
    }
    deps_.counters.count_challenge_event("created");
    spdlog::info(
        "challenge created request_id={} challenge_id={} tenant_id={}", request_id, planned->id, planned->tenant_id
    );
    co_return json_response(201, std::move(body));
}

boost::asio::awaitable<http::response> challenge_api::create_slack_challenge(
    const storage::api_key_principal& principal,
    const create_request& request,
    std::optional<idempotent_request> idempotent,
    std::string request_id
) {
    if (!deps_.slack) co_return error_response(error_for(core::errc::slack_not_configured));
    // Claimed before Slack is asked anything, so a replay costs Slack nothing.
    if (idempotent) {
        if (auto answered = co_await claim_idempotency_key(*idempotent, deps_.clock())) co_return std::move(*answered);
    }
    // The key completes in the statement that stores the challenge, with the answer given here.
    slack_completion complete;
    if (idempotent) {
        complete = [this, idempotent](const core::challenge& c) {
            return completion_of(*idempotent, created_body(c, settings_.public_base_url));
        };
    }
    std::optional<core::result<core::challenge>> created;
    try {
        created = co_await deps_.slack->create_from_api(principal, request.challenge, request.slack_request, std::move(complete));
    } catch (const std::exception& e) {
        spdlog::error(
            "slack challenge failed request_id={} tenant_id={} error={}", request_id, principal.tenant_id,
            core::escaped_for_log(e.what())
        );
    }
    // Refused or failed: nothing was stored, so the key is free for the retry.
    if ((!created || !*created) && idempotent)
        co_await deps_.idempotency.abandon(idempotent->scope, idempotent->key, idempotent->fingerprint);
    if (!created) co_return error_response(error_for(problem::internal_create));
    if (!*created) {
        auto refused = error_response(error_for(created->error()));
        // The per-person limits count a sliding window; a minute is a fair first wait.
        if (refused.result_int() == 429) refused.set(bh::field::retry_after, "60");
        co_return refused;
    }
    deps_.counters.count_challenge_event("created");
    spdlog::info("slack challenge created request_id={} challenge_id={} tenant_id={}", request_id, (*created)->id,
                 principal.tenant_id);
    co_return json_response(201, created_body(**created, settings_.public_base_url));
}

boost::asio::awaitable<http::response> challenge_api::get(http::request_context& ctx) {
    const auto address = client_address(ctx);
    if (auto refused = refuse_if_address_exhausted(address)) co_return std::move(*refused);
    const auto key = presented_api_key(ctx.req);
    if (key.empty()) co_return refuse_unauthenticated(address);
    const auto key_hash = crypto::sha256(key);
    // A key seen before is limited before its query; a new one after (it may be made up).
    if (auto refused = refuse_if_key_limited(key_hash, false)) co_return std::move(*refused);
    const std::string id(ctx.param("challenge_id"));
    // A malformed id cannot name a challenge; ask with an impossible one so the key is still
    // checked in the same round trip (401 before 404).
    const bool well_formed = crypto::is_uuid(id);
    // Named, not a conditional expression inside co_await: g++ 12 destroys such a temporary twice.
    std::string lookup_id = well_formed ? id : std::string("00000000-0000-0000-0000-000000000000");
    auto found = co_await deps_.challenges.authenticate_and_find(key_hash, std::move(lookup_id));
    if (!found.principal) co_return refuse_unauthenticated(address);
    if (!key_buckets_.find(key_hash)) {
        if (auto refused = refuse_if_key_limited(key_hash, true)) co_return std::move(*refused);
    }
    if (!found.challenge || !well_formed) co_return error_response(error_for(core::errc::challenge_not_found));
    co_return json_response(200, status_body(*found.challenge, deps_.clock()));
}

boost::asio::awaitable<http::response> challenge_api::list(http::request_context& ctx) {
    auto authorized = co_await authorize(ctx);
    if (auto* refusal = std::get_if<http::response>(&authorized)) co_return std::move(*refusal);
    const auto* principal = &std::get<storage::api_key_principal>(authorized);
    auto parsed = parse_list_query(ctx.query);
    if (auto* e = std::get_if<api_error>(&parsed)) co_return error_response(*e);
    const auto& q = std::get<list_query>(parsed);
    const auto now = deps_.clock();
    auto page = co_await deps_.challenges.list(principal->tenant_id, q.status, q.before_id, q.limit, now);
    std::optional<std::string> cursor;
    if (page.next_before_id) cursor = encode_cursor(*page.next_before_id);
    co_return json_response(200, page_body(page.items, cursor, now));
}

boost::asio::awaitable<http::response> challenge_api::cancel(http::request_context& ctx) {
    auto authorized = co_await authorize(ctx);
    if (auto* refusal = std::get_if<http::response>(&authorized)) co_return std::move(*refusal);
    const auto* principal = &std::get<storage::api_key_principal>(authorized);
    const std::string id(ctx.param("challenge_id"));
    if (!crypto::is_uuid(id)) co_return error_response(error_for(core::errc::challenge_not_found));
    const auto now = deps_.clock();
    auto moved = co_await deps_.challenges.transition(
        principal->tenant_id, id, core::challenge_event::cancel, {}, "api_key:" + principal->integration_id, now
    );
    if (!moved) co_return error_response(error_for(moved.error()));
    deps_.counters.count_challenge_event("cancel");
    spdlog::info("challenge canceled request_id={} challenge_id={} tenant_id={}", ctx.request_id, id, principal->tenant_id);
    deps_.wake_delivery_worker();
    co_return json_response(200, status_body(*moved, now));
}

}  // namespace chal::api
