// slack_app::oauth_install over real loopback HTTP, against the test PostgreSQL and the fake
// Slack: the "Add to Slack" redirect and its cookie, the OAuth redirect's outcomes (installed,
// org-wide, cancelled, replayed, other browser, expired, Slack refusing), nothing stored on failure.
#include "app/http/request_fields.hpp"
#include "slack/app/oauth_install.hpp"
#include "slack/manifest.hpp"
#include "slack/oauth_state.hpp"
#include "storage/slack_store.hpp"
#include "tests/slack/app/loopback_slack.hpp"

#include <boost/url/url_view.hpp>
#include <gtest/gtest.h>

#include <map>
#include <string>

namespace chal::slack_app {
namespace {

using namespace std::chrono_literals;
using boost::beast::http::verb;
using storage::t0;
using testing::fake_oauth_app;
using testing::fake_slack_identity;
using testing::slack_behaviour;

constexpr const char* public_base = "https://challenge.example.com";
constexpr const char* client_id = "1111.2222";
constexpr const char* client_secret = "fake-client-secret";

// Every row of every table of ours, in one number: what a request that writes nothing leaves as it was.
inline constexpr pg::query test_count_every_row{"test_count_every_row", R"sql(
    SELECT coalesce(sum((xpath('/row/c/text()', query_to_xml(
               'SELECT count(*) AS c FROM ' || quote_ident(schemaname) || '.' || quote_ident(relname), false, true, '')
           ))[1]::text::bigint), 0)::bigint
    FROM pg_stat_user_tables)sql"};
inline constexpr pg::query test_count_installations{"test_count_installations",
    "SELECT count(*) FROM slack_installations"};
inline constexpr pg::query test_count_oauth_states{"test_count_oauth_states",
    "SELECT count(*) FROM slack_oauth_states"};

struct reply {
    unsigned status = 0;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;

    std::string header(std::string_view name) const {
        for (const auto& [n, v] : headers) {
            if (n.size() == name.size() &&
                std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
                return v;
        }
        return {};
    }
};

// What /slack/install handed the browser.
struct started_install {
    reply answer;
    std::map<std::string, std::string> location_params;  // decoded query of the Location
    std::string state;
    std::string cookie;  // "name=value", as the browser sends it back
};

bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

class oauth_install_itest : public loopback_slack_test {
protected:
    oauth_install_itest() { serve(routes()); }
    ~oauth_install_itest() override { stop_serving(); }

    std::string authorize_url() const { return "http://127.0.0.1:" + std::to_string(fake_.port()) + "/oauth/v2/authorize"; }

    oauth_install_settings install_settings() const {
        oauth_install_settings s;
        s.public_base_url = public_base;
        s.authorize_url = authorize_url();
        s.slack_timeout = 5s;
        s.per_client = {.per_second = 0.01, .burst = 5};
        s.trusted_proxies = {"127.0.0.1"};  // so requests can come "from" many clients
        return s;
    }

    http::router routes() {
        auto start = [this](http::request_context& ctx) { return installer_.install(ctx); };
        auto finish = [this](http::request_context& ctx) { return installer_.oauth_redirect(ctx); };
        // What the admin console will do once it has signed-in admins: the test plays the console.
        auto start_as_admin = [this](http::request_context& ctx) {
            return installer_.install_for_admin(ctx, signed_in_admin{admin_tenant_, "alice"});
        };
        return http::router({
            {verb::get, "/slack/install", "slack.install", start},
            {verb::get, "/slack/oauth_redirect", "slack.oauth_redirect", finish},
            {verb::get, "/console/slack/install", "console.slack_install", start_as_admin},
        });
    }

    void allow(const storage::slack_app_record& a, core::slack_owner_kind kind, std::string id) {
        run(slack_.allow(a.integration_id, {kind, std::move(id)}, "operator", t0));
    }

    std::vector<storage::slack_allowlist_record> allowlist(const storage::slack_app_record& a) {
        return run(slack_.allowlist(a.integration_id));
    }

    // A tenant's Slack app with instance id `instance`, its workspace T0FAKE (the fake's) on the
    // allowlist; with the fake app's client credentials unless `credentials` is false.
    storage::slack_app_record make_app(std::string instance = "acme-prod", bool credentials = true) {
        auto a = make_app_without_allowlist(std::move(instance), credentials);
        allow(a, core::slack_owner_kind::workspace, "T0FAKE");
        return a;
    }

    storage::slack_app_record make_app_without_allowlist(std::string instance = "acme-prod", bool credentials = true) {
        auto a = unsaved_app(std::move(instance));
        if (credentials) {
            a.client_id = client_id;
            a.client_secret_sealed = box_.seal(client_secret, storage::slack_client_secret_context(a.integration_id));
        }
        run(slack_.create_app(a));
        return a;
    }

    // A GET from the client `client_address` (behind our trusted proxy on 127.0.0.1); each test
    // has a fresh one unless it says otherwise, so the per-client rate does not interfere.
    reply get(std::string path_and_query, std::string cookie = {}, std::string client_address = {}) {
        http::outgoing_request req;
        req.method = verb::get;
        req.url = server_url(path_and_query);
        if (!cookie.empty()) req.headers.emplace_back("Cookie", std::move(cookie));
        req.headers.emplace_back("X-Forwarded-For", client_address.empty() ? next_client() : std::move(client_address));
        req.total_timeout = 10s;
        auto answer = run(http_.send(std::move(req)));
        if (!answer) throw std::runtime_error("request failed: " + answer.error().message());
        return {answer->status, answer->body, answer->headers};
    }

    started_install start(const std::string& instance = "acme-prod") {
        started_install s;
        s.answer = get("/slack/install?instance=" + instance);
        const auto location = s.answer.header("Location");
        if (!location.empty()) {
            boost::urls::url_view url(location);
            for (auto p : url.params()) s.location_params.emplace(p.key, p.value);
        }
        s.state = s.location_params["state"];
        const auto set_cookie = s.answer.header("Set-Cookie");
        s.cookie = set_cookie.substr(0, set_cookie.find(';'));
        return s;
    }

    reply finish(const started_install& s, std::string code, std::string cookie) {
        return get("/slack/oauth_redirect?code=" + code + "&state=" + s.state, std::move(cookie));
    }

    reply finish(const started_install& s, std::string code) { return finish(s, std::move(code), s.cookie); }

    std::string next_client() { return "198.51.100." + std::to_string(++clients_ % 250); }

    std::int64_t every_row() { return run(pool.execute(test_count_every_row))[0].get<std::int64_t>(0); }

    std::int64_t installation_count() { return run(pool.execute(test_count_installations))[0].get<std::int64_t>(0); }

    std::optional<storage::slack_installation_record> workspace_installation(const storage::slack_app_record& a, std::string team) {
        return run(slack_.find_installation(a.integration_id, std::nullopt, std::move(team), false));
    }

    int clients_ = 0;
    std::string admin_tenant_;  // the tenant of the console's signed-in admin
    core::timestamp now_ = t0;
    crypto::secret_box box_{storage::test_master_key};
    storage::slack_store slack_{pool};
    oauth_install installer_{{slack_, box_, web_api_, [this] { return now_; }}, install_settings()};
};

// --- /slack/install ---------------------------------------------------------------------------

TEST_F(oauth_install_itest, install_redirects_to_slack_with_the_bot_scopes_and_a_state_bound_to_a_cookie) {
    const auto a = make_app();
    const auto s = start();

    EXPECT_EQ(s.answer.status, 302u);
    EXPECT_TRUE(s.answer.header("Location").starts_with(authorize_url() + "?")) << s.answer.header("Location");
    EXPECT_EQ(s.location_params.at("client_id"), client_id);
    EXPECT_EQ(s.location_params.at("scope"), "commands,chat:write,im:write,users:read,users:read.email");
    EXPECT_EQ(s.location_params.at("redirect_uri"), "https://challenge.example.com/slack/oauth_redirect");
    EXPECT_GE(s.state.size(), 43u);
    EXPECT_EQ(s.answer.header("Cache-Control"), "no-store");

    const auto set_cookie = s.answer.header("Set-Cookie");
    EXPECT_TRUE(set_cookie.starts_with(oauth_browser_cookie_name(public_base) + "=")) << set_cookie;
    EXPECT_TRUE(set_cookie.starts_with("__Secure-")) << "the base URL is https";
    for (const auto* attribute : {"; HttpOnly", "; Secure", "; SameSite=Lax", "; Path=/slack/", "; Max-Age=600"})
        EXPECT_TRUE(contains(set_cookie, attribute)) << set_cookie << " lacks " << attribute;
    const auto browser_secret = s.cookie.substr(s.cookie.find('=') + 1);
    EXPECT_GE(browser_secret.size(), 43u);
    EXPECT_EQ(s.state.find(browser_secret), std::string::npos) << "the state carries only the secret's hash";
    EXPECT_EQ(s.state.find(a.integration_id), std::string::npos) << "encoded, not in clear";
    EXPECT_EQ(run(pool.execute(test_count_oauth_states))[0].get<std::int64_t>(0), 0) << "nothing is stored";
}

TEST_F(oauth_install_itest, a_flood_of_anonymous_install_requests_writes_no_row) {
    make_app();
    const auto before = every_row();
    for (int i = 0; i < 300; ++i) {
        const auto r = get("/slack/install?instance=acme-prod", {}, "203.0.113." + std::to_string(i % 250));
        ASSERT_EQ(r.status, 302u) << i;
    }
    for (int i = 0; i < 50; ++i) EXPECT_EQ(get("/slack/install?instance=nope-" + std::to_string(i)).status, 404u);
    EXPECT_EQ(every_row(), before);
    EXPECT_EQ(run(pool.execute(test_count_oauth_states))[0].get<std::int64_t>(0), 0);
}

TEST_F(oauth_install_itest, one_client_gets_its_burst_then_429_with_retry_after_on_both_routes) {
    make_app();
    const std::string client = "192.0.2.7";
    for (int i = 0; i < 4; ++i) ASSERT_EQ(get("/slack/install?instance=acme-prod", {}, client).status, 302u) << i;
    const auto last = get("/slack/install?instance=acme-prod", {}, client);
    ASSERT_EQ(last.status, 302u);
    const auto throttled = get("/slack/install?instance=acme-prod", {}, client);
    EXPECT_EQ(throttled.status, 429u);
    EXPECT_TRUE(throttled.header("Set-Cookie").empty());
    EXPECT_GE(std::stoi(throttled.header("Retry-After")), 1);
    EXPECT_TRUE(contains(throttled.body, "Too many install attempts")) << throttled.body;
    const auto cookie = last.header("Set-Cookie").substr(0, last.header("Set-Cookie").find(';'));
    EXPECT_EQ(get("/slack/oauth_redirect?code=c&state=s", cookie, client).status, 429u);
    EXPECT_EQ(fake_.count("oauth.v2.access"), 0u);
    EXPECT_EQ(get("/slack/install?instance=acme-prod", {}, "192.0.2.8").status, 302u) << "other clients are not held up";
}

TEST_F(oauth_install_itest, install_forwards_a_team_hint_to_slack) {
    make_app();
    const auto s = get("/slack/install?instance=acme-prod&team=T0FAKE");
    EXPECT_TRUE(contains(s.header("Location"), "&team=T0FAKE")) << s.header("Location");
}

TEST_F(oauth_install_itest, an_unknown_instance_gets_a_404_page_and_no_state) {
    make_app();
    const auto r = get("/slack/install?instance=nope");
    EXPECT_EQ(r.status, 404u);
    EXPECT_TRUE(r.header("Content-Type").starts_with("text/html"));
    EXPECT_TRUE(contains(r.body, "Unknown Slack app"));
    EXPECT_TRUE(r.header("Set-Cookie").empty());
    EXPECT_EQ(run(pool.execute(test_count_oauth_states))[0].get<std::int64_t>(0), 0);

    EXPECT_EQ(get("/slack/install").status, 400u) << "no instance at all";
}

TEST_F(oauth_install_itest, an_app_without_client_credentials_cannot_be_installed_from_a_link) {
    make_app("no-oauth", false);
    const auto r = get("/slack/install?instance=no-oauth");
    EXPECT_EQ(r.status, 400u);
    EXPECT_TRUE(contains(r.body, "client ID and client secret"));
    EXPECT_EQ(run(pool.execute(test_count_oauth_states))[0].get<std::int64_t>(0), 0);
}

// --- /slack/oauth_redirect: success -------------------------------------------------------------

TEST_F(oauth_install_itest, a_completed_install_stores_the_workspace_with_its_token_sealed) {
    const auto a = make_app();
    fake_.add_oauth_code("code-1");
    const auto s = start();
    const auto r = finish(s, "code-1");

    EXPECT_EQ(r.status, 200u) << r.body;
    EXPECT_TRUE(contains(r.body, "Fake Workspace")) << r.body;
    EXPECT_TRUE(contains(r.header("Set-Cookie"), "Max-Age=0")) << "the browser secret is dropped";

    const auto exchanges = fake_.calls("oauth.v2.access");
    ASSERT_EQ(exchanges.size(), 1u);
    EXPECT_EQ(exchanges[0].param("code"), "code-1");
    EXPECT_EQ(exchanges[0].param("client_id"), client_id);
    EXPECT_EQ(exchanges[0].param("client_secret"), client_secret);
    EXPECT_EQ(exchanges[0].param("redirect_uri"), "https://challenge.example.com/slack/oauth_redirect");
    const auto checks = fake_.calls("auth.test");
    ASSERT_EQ(checks.size(), 1u);
    const auto bot_token = checks[0].token;
    EXPECT_TRUE(bot_token.starts_with("xoxb-")) << "auth.test ran with the new bot token";

    const auto i = workspace_installation(a, "T0FAKE");
    ASSERT_TRUE(i);
    EXPECT_EQ(i->tenant_id, a.tenant_id);
    EXPECT_FALSE(i->is_enterprise_install);
    EXPECT_FALSE(i->enterprise_id);
    EXPECT_EQ(i->bot_user_id, "U0BOT");
    EXPECT_EQ(i->bot_id, "B0BOT");
    EXPECT_EQ(i->scopes, "chat:write,commands,im:write,users:read,users:read.email");
    EXPECT_EQ(i->installed_at, t0);
    EXPECT_FALSE(i->refresh_token_sealed);
    EXPECT_FALSE(i->token_expires_at);
    // The column holds ciphertext bound to this installation, not the token.
    EXPECT_FALSE(contains(i->bot_token_sealed, bot_token));
    EXPECT_FALSE(contains(i->bot_token_sealed, "xoxb-"));
    EXPECT_EQ(box_.open(i->bot_token_sealed, storage::slack_bot_token_context(i->id)), bot_token);
    EXPECT_FALSE(box_.open(i->bot_token_sealed, storage::slack_bot_token_context(next_id())));
}

TEST_F(oauth_install_itest, with_token_rotation_the_refresh_token_and_its_expiry_are_stored_sealed) {
    fake_oauth_app rotating;
    rotating.token_rotation = true;
    fake_.set_oauth_app(rotating);
    const auto a = make_app();
    fake_.add_oauth_code("code-1");
    const auto r = finish(start(), "code-1");
    ASSERT_EQ(r.status, 200u) << r.body;

    const auto i = workspace_installation(a, "T0FAKE");
    ASSERT_TRUE(i);
    ASSERT_TRUE(i->refresh_token_sealed);
    EXPECT_EQ(i->token_expires_at, t0 + 43200s);
    const auto refresh_token = box_.open(*i->refresh_token_sealed, storage::slack_refresh_token_context(i->id));
    ASSERT_TRUE(refresh_token);
    EXPECT_TRUE(refresh_token->starts_with("xoxe-1-"));
    EXPECT_FALSE(contains(*i->refresh_token_sealed, *refresh_token));
    EXPECT_TRUE(box_.open(i->bot_token_sealed, storage::slack_bot_token_context(i->id))->starts_with("xoxe.xoxb-"));
}

TEST_F(oauth_install_itest, an_org_wide_install_is_keyed_by_its_enterprise) {
    fake_oauth_app org;
    org.enterprise_install = true;
    org.enterprise_id = "E0ORG";
    org.enterprise_name = "Acme Grid";
    org.bot_user_id = "W0BOT";
    fake_.set_oauth_app(org);
    fake_slack_identity who;
    who.team_id = "E0ORG";
    who.enterprise_id = "E0ORG";
    who.is_enterprise_install = true;
    who.user_id = "W0BOT";
    fake_.set_identity(who);
    const auto a = make_app();
    allow(a, core::slack_owner_kind::org, "E0ORG");
    fake_.add_oauth_code("code-1");

    const auto r = finish(start(), "code-1");
    EXPECT_EQ(r.status, 200u) << r.body;
    EXPECT_TRUE(contains(r.body, "Acme Grid")) << r.body;

    const auto i = run(slack_.find_installation(a.integration_id, std::string("E0ORG"), std::nullopt, true));
    ASSERT_TRUE(i);
    EXPECT_TRUE(i->is_enterprise_install);
    EXPECT_FALSE(i->team_id) << "org-wide installs are keyed by enterprise only";
    EXPECT_EQ(i->enterprise_id, "E0ORG");
    EXPECT_EQ(i->bot_user_id, "W0BOT");
    EXPECT_EQ(fake_.calls("auth.test").at(0).header("Authorization").value_or(""),
              "Bearer " + *box_.open(i->bot_token_sealed, storage::slack_bot_token_context(i->id)));
}

TEST_F(oauth_install_itest, a_reinstall_replaces_the_workspace_installation) {
    const auto a = make_app();
    fake_.add_oauth_code("code-1");
    fake_.add_oauth_code("code-2");
    ASSERT_EQ(finish(start(), "code-1").status, 200u);
    const auto first = workspace_installation(a, "T0FAKE");
    ASSERT_EQ(finish(start(), "code-2").status, 200u);
    const auto second = workspace_installation(a, "T0FAKE");
    ASSERT_TRUE(first && second);
    EXPECT_NE(first->id, second->id);
    EXPECT_EQ(run(slack_.installations_of_app(a.integration_id)).size(), 1u);
}

// --- the allowlist -----------------------------------------------------------------------------

TEST_F(oauth_install_itest, a_workspace_the_tenant_did_not_allow_is_refused_uninstalled_and_not_stored) {
    const auto a = make_app_without_allowlist();
    allow(a, core::slack_owner_kind::workspace, "T0SOMEONE");
    fake_.add_oauth_code("code-1");
    const auto r = finish(start(), "code-1");
    EXPECT_EQ(r.status, 403u);
    EXPECT_TRUE(contains(r.body, "may not install")) << r.body;
    EXPECT_TRUE(contains(r.body, "T0FAKE")) << r.body;
    EXPECT_EQ(installation_count(), 0);
    ASSERT_EQ(fake_.count("apps.uninstall"), 1u);
    const auto removal = fake_.calls("apps.uninstall")[0];
    EXPECT_EQ(removal.token, fake_.calls("auth.test").at(0).token) << "the refused installation's own token";
    EXPECT_EQ(removal.param("client_id"), client_id);
    EXPECT_EQ(removal.param("client_secret"), client_secret);
    EXPECT_EQ(allowlist(a).size(), 1u) << "a refusal adds nothing";
}

TEST_F(oauth_install_itest, an_allowed_org_admits_a_workspace_inside_it_but_a_workspace_entry_no_org_wide_install) {
    fake_oauth_app in_grid;
    in_grid.enterprise_id = "E0ORG";
    fake_.set_oauth_app(in_grid);
    fake_slack_identity who;
    who.enterprise_id = "E0ORG";
    fake_.set_identity(who);
    const auto a = make_app_without_allowlist();
    allow(a, core::slack_owner_kind::org, "E0ORG");
    fake_.add_oauth_code("code-1");
    EXPECT_EQ(finish(start(), "code-1").status, 200u);
    EXPECT_TRUE(workspace_installation(a, "T0FAKE"));

    fake_oauth_app org_wide;
    org_wide.enterprise_install = true;
    org_wide.enterprise_id = "E0OTHER";
    fake_.set_oauth_app(org_wide);
    who.team_id = "E0OTHER";
    who.enterprise_id = "E0OTHER";
    who.is_enterprise_install = true;
    fake_.set_identity(who);
    allow(a, core::slack_owner_kind::workspace, "E0OTHER");  // the wrong kind: a workspace entry
    fake_.add_oauth_code("code-2");
    EXPECT_EQ(finish(start(), "code-2").status, 403u);
    EXPECT_FALSE(run(slack_.find_installation(a.integration_id, std::string("E0OTHER"), std::nullopt, true)));
}

TEST_F(oauth_install_itest, a_link_whose_client_id_installs_another_slack_app_is_refused) {
    fake_oauth_app other;
    other.app_id = "A0OTHER";
    fake_.set_oauth_app(other);
    make_app();  // recorded as A0FAKE
    fake_.add_oauth_code("code-1");
    const auto r = finish(start(), "code-1");
    EXPECT_EQ(r.status, 502u);
    EXPECT_TRUE(contains(r.body, "different app")) << r.body;
    EXPECT_EQ(installation_count(), 0);
    EXPECT_EQ(fake_.count("apps.uninstall"), 1u);
}

TEST_F(oauth_install_itest, an_app_set_up_without_an_app_id_takes_slacks_at_its_first_install) {
    auto a = make_app();
    a.app_id.reset();
    ASSERT_TRUE(run(slack_.save_app_credentials(a, std::nullopt, t0)));
    fake_.add_oauth_code("code-1");
    EXPECT_EQ(finish(start(), "code-1").status, 200u);
    EXPECT_EQ(run(slack_.find_app_by_integration(a.integration_id))->app_id, "A0FAKE");
}

TEST_F(oauth_install_itest, an_install_started_by_a_signed_in_admin_allows_its_workspace) {
    const auto a = make_app_without_allowlist();
    admin_tenant_ = a.tenant_id;
    fake_.add_oauth_code("code-1");
    started_install s;
    s.answer = get("/console/slack/install?instance=acme-prod");
    ASSERT_EQ(s.answer.status, 302u) << s.answer.body;
    boost::urls::url_view url(s.answer.header("Location"));
    for (auto p : url.params()) s.location_params.emplace(p.key, p.value);
    s.state = s.location_params["state"];
    s.cookie = s.answer.header("Set-Cookie").substr(0, s.answer.header("Set-Cookie").find(';'));

    EXPECT_EQ(finish(s, "code-1").status, 200u);
    EXPECT_TRUE(workspace_installation(a, "T0FAKE"));
    const auto list = allowlist(a);
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0].entry, (core::slack_allowlist_entry{core::slack_owner_kind::workspace, "T0FAKE"}));
    EXPECT_EQ(list[0].added_by, "admin:alice");

    admin_tenant_ = make_tenant().tenant.id;  // an admin of another tenant
    EXPECT_EQ(get("/console/slack/install?instance=acme-prod").status, 404u);
}

// --- /slack/oauth_redirect: refusals ------------------------------------------------------------

TEST_F(oauth_install_itest, a_cancelled_install_stores_nothing_and_uses_up_the_state) {
    make_app();
    fake_.add_oauth_code("code-1");
    const auto s = start();
    const auto r = get("/slack/oauth_redirect?error=access_denied&state=" + s.state, s.cookie);
    EXPECT_EQ(r.status, 200u);
    EXPECT_TRUE(contains(r.body, "Installation cancelled")) << r.body;
    EXPECT_EQ(fake_.count("oauth.v2.access"), 0u);
    EXPECT_EQ(installation_count(), 0);

    const auto later = finish(s, "code-1");
    EXPECT_EQ(later.status, 400u);
    EXPECT_TRUE(contains(later.body, "already finished")) << later.body;
    EXPECT_EQ(fake_.count("oauth.v2.access"), 0u);
}

TEST_F(oauth_install_itest, another_error_from_slack_is_named_on_the_page_and_nothing_is_stored) {
    make_app();
    const auto s = start();
    const auto r = get("/slack/oauth_redirect?error=invalid_scope%3Cb%3E&state=" + s.state, s.cookie);
    EXPECT_EQ(r.status, 400u);
    EXPECT_TRUE(contains(r.body, "<code>invalid_scope?b?</code>")) << r.body;
    EXPECT_EQ(fake_.count("oauth.v2.access"), 0u);
    EXPECT_EQ(installation_count(), 0);
}

TEST_F(oauth_install_itest, a_replayed_state_is_refused) {
    make_app();
    fake_.add_oauth_code("code-1");
    fake_.add_oauth_code("code-2");
    const auto s = start();
    ASSERT_EQ(finish(s, "code-1").status, 200u);

    const auto again = finish(s, "code-2");
    EXPECT_EQ(again.status, 400u);
    EXPECT_TRUE(contains(again.body, "already finished")) << again.body;
    EXPECT_EQ(fake_.count("oauth.v2.access"), 1u);
    EXPECT_EQ(installation_count(), 1);
}

TEST_F(oauth_install_itest, a_state_from_another_browser_is_refused_and_stays_usable_by_its_own) {
    const auto a = make_app();
    fake_.add_oauth_code("code-1");
    const auto mine = start();
    const auto theirs = start();
    ASSERT_NE(mine.cookie, theirs.cookie);

    const auto r = finish(mine, "code-1", theirs.cookie);
    EXPECT_EQ(r.status, 400u);
    EXPECT_TRUE(contains(r.body, "started it in")) << r.body;
    EXPECT_EQ(fake_.count("oauth.v2.access"), 0u);
    EXPECT_EQ(installation_count(), 0);

    const auto no_cookie = finish(mine, "code-1", "");
    EXPECT_EQ(no_cookie.status, 400u);
    EXPECT_EQ(fake_.count("oauth.v2.access"), 0u);

    EXPECT_EQ(finish(mine, "code-1").status, 200u);
    EXPECT_TRUE(workspace_installation(a, "T0FAKE"));
}

TEST_F(oauth_install_itest, an_expired_state_is_refused) {
    make_app();
    fake_.add_oauth_code("code-1");
    const auto s = start();
    now_ = t0 + 10min;
    const auto r = finish(s, "code-1");
    EXPECT_EQ(r.status, 400u);
    EXPECT_TRUE(contains(r.body, "expired")) << r.body;
    EXPECT_EQ(fake_.count("oauth.v2.access"), 0u);
    EXPECT_EQ(installation_count(), 0);
}

TEST_F(oauth_install_itest, an_unknown_forged_or_missing_state_is_refused) {
    const auto a = make_app();
    fake_.add_oauth_code("code-1");
    const auto s = start();
    const auto unknown = get("/slack/oauth_redirect?code=code-1&state=not-a-state", s.cookie);
    EXPECT_EQ(unknown.status, 400u);
    EXPECT_TRUE(contains(unknown.body, "not valid")) << unknown.body;
    // Well-formed and bound to this browser, but signed with another master key.
    const crypto::secret_box other_master(std::string(32, 'o'));
    const auto forged = slack::issue_oauth_state(
        other_master.derive_key("slack oauth state"),
        {a.integration_id, crypto::sha256(s.cookie.substr(s.cookie.find('=') + 1)), t0 + 10min}
    );
    const auto refused = get("/slack/oauth_redirect?code=code-1&state=" + http::url_component(forged), s.cookie);
    EXPECT_EQ(refused.status, 400u);
    EXPECT_TRUE(contains(refused.body, "not valid")) << refused.body;
    EXPECT_EQ(get("/slack/oauth_redirect?code=code-1", s.cookie).status, 400u);
    EXPECT_EQ(fake_.count("oauth.v2.access"), 0u);
    EXPECT_EQ(run(pool.execute(test_count_oauth_states))[0].get<std::int64_t>(0), 0) << "refusals write nothing";
}

TEST_F(oauth_install_itest, slack_refusing_the_code_shows_a_page_and_stores_nothing) {
    make_app();
    fake_.script("oauth.v2.access", {slack_behaviour::slack_error("invalid_code")});
    const auto r = finish(start(), "code-1");
    EXPECT_EQ(r.status, 502u);
    EXPECT_TRUE(r.header("Content-Type").starts_with("text/html"));
    EXPECT_TRUE(contains(r.body, "invalid_code")) << r.body;
    EXPECT_FALSE(contains(r.body, client_secret));
    EXPECT_EQ(fake_.count("auth.test"), 0u);
    EXPECT_EQ(installation_count(), 0);
}

TEST_F(oauth_install_itest, slack_out_of_reach_shows_a_page_and_stores_nothing) {
    make_app();
    fake_.script("oauth.v2.access", {slack_behaviour::http_status(503, "upstream down")});
    const auto r = finish(start(), "code-1");
    EXPECT_EQ(r.status, 502u);
    EXPECT_TRUE(contains(r.body, "could not be reached")) << r.body;
    EXPECT_EQ(installation_count(), 0);
}

TEST_F(oauth_install_itest, a_token_that_auth_test_places_in_another_workspace_is_not_stored) {
    make_app();
    fake_slack_identity elsewhere;
    elsewhere.team_id = "T0OTHER";
    fake_.set_identity(elsewhere);
    fake_.add_oauth_code("code-1");
    const auto r = finish(start(), "code-1");
    EXPECT_EQ(r.status, 502u);
    EXPECT_TRUE(contains(r.body, "did not agree")) << r.body;
    EXPECT_EQ(installation_count(), 0);
}

}  // namespace
}  // namespace chal::slack_app
