#include "app/services/console_access.hpp"

#include "app/crypto/crypto.hpp"

namespace chal::services {
namespace {

std::string token_hash(std::string_view token) {
    return crypto::sha256(token);
}

std::string new_token() {
    return crypto::base64url_encode(crypto::random_bytes(32));
}

std::string new_id() {
    return crypto::new_uuid_v7(std::chrono::system_clock::now());
}

}  // namespace

console_access::console_access(storage::console_store& store, core::clock_function clock, console_access_settings settings)
    : store_(store), clock_(std::move(clock)), settings_(settings) {}

boost::asio::awaitable<core::result<issued_setup_link>> console_access::issue_setup_link(
    core::principal who, std::string tenant_id, std::string email, core::role role, std::string purpose,
    storage::request_origin origin
) {
    if (auto allowed = core::authorize(who, tenant_id, core::permission::manage_members); !allowed)
        co_return allowed.error();
    if (auto allowed = core::judge_new_member(who, role); !allowed) co_return allowed.error();
    auto checked = core::checked_member_email(email);
    if (!checked) co_return checked.error();
    const auto now = clock_();
    issued_setup_link issued{new_token(), now + settings_.setup_link_lifetime};
    storage::setup_link_record link{token_hash(issued.token), tenant_id, *checked, role, purpose,
                                    core::actor_text(who), now, issued.expires_at};
    co_await store_.insert_setup_link(std::move(link), std::move(origin));
    co_return issued;
}

boost::asio::awaitable<std::optional<storage::setup_link_record>> console_access::inspect_setup_link(std::string token) {
    if (token.empty() || token.size() > 128) co_return std::nullopt;
    co_return co_await store_.find_live_setup_link(token_hash(token), clock_());
}

boost::asio::awaitable<core::result<signed_in>> console_access::redeem_setup_link(
    std::string token, storage::request_origin origin
) {
    if (token.empty() || token.size() > 128) co_return core::errc::setup_link_invalid;
    auto session_token = new_token();
    storage::new_console_session session{token_hash(session_token), new_id(), "setup_link", new_id(), clock_(),
                                         std::move(origin)};
    auto opened = co_await store_.redeem_setup_link(token_hash(token), std::move(session));
    if (!opened) co_return opened.error();
    co_return signed_in{std::move(session_token), std::move(*opened)};
}

boost::asio::awaitable<core::result<signed_in>> console_access::open_sso_session(
    storage::sso_sign_in in, storage::request_origin origin
) {
    auto session_token = new_token();
    storage::new_console_session session{token_hash(session_token), new_id(), "oidc", new_id(), clock_(), std::move(origin)};
    auto opened = co_await store_.open_sso_session(std::move(in), std::move(session));
    if (!opened) co_return opened.error();
    co_return signed_in{std::move(session_token), std::move(*opened)};
}

boost::asio::awaitable<std::optional<storage::console_session_record>> console_access::session_for(std::string token) {
    if (token.empty() || token.size() > 128) co_return std::nullopt;
    co_return co_await store_.resolve_session(token_hash(token), clock_(), settings_.limits);
}

core::principal console_access::principal_of(const storage::console_session_record& session) const {
    return {core::principal::kind::member, session.tenant_id, session.user_id, session.role,
            core::is_fresh_login(session.facts.auth_time, clock_(), settings_.limits)};
}

boost::asio::awaitable<void> console_access::sign_out(std::string token) {
    if (token.empty() || token.size() > 128) co_return;
    co_await store_.end_session_by_hash(token_hash(token), "signed_out", clock_());
}

boost::asio::awaitable<std::vector<storage::console_session_record>> console_access::own_sessions(core::principal who) {
    co_return co_await store_.live_sessions(who.tenant_id, who.actor_id, clock_(), settings_.limits);
}

boost::asio::awaitable<std::vector<storage::membership_summary>> console_access::own_memberships(core::principal who) {
    co_return co_await store_.memberships_of(who.actor_id);
}

boost::asio::awaitable<core::result<void>> console_access::end_own_session(core::principal who, std::string session_id) {
    core::result<void> outcome = core::errc::not_found_in_tenant;
    if (crypto::is_uuid(session_id)) {
        const bool ended = co_await store_.end_session_by_id(who.tenant_id, who.actor_id, session_id, "ended_by_member", clock_());
        if (ended) outcome = {};
    }
    co_return outcome;
}

}  // namespace chal::services
