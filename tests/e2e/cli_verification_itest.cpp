// The operator CLI's verification commands, run as the real binary against the test database:
// the OIDC client secret is stored sealed and never printed, the weaker click-through needs its
// flag, support contacts round-trip, and an unknown tenant is an error.
#include "app/crypto/crypto.hpp"
#include "storage/migrations.hpp"
#include "storage/pg/pool.hpp"
#include "tests/e2e/cli_runner.hpp"
#include "tests/e2e/service_fixture.hpp"
#include "tests/support/run.hpp"
#include "tests/support/test_database.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>


using namespace chal;
using e2e::describe;
using e2e::last_json_line;
using e2e::run_challenge;
using e2e::temp_file;

namespace {

constexpr const char* plaintext_secret = "oidc-client-secret-do-not-print-7f3a";
// A self-signed certificate (CN=cli-test-idp, valid for a century): the metadata must be usable.
constexpr const char* test_idp_certificate =
    "MIIDETCCAfmgAwIBAgIUUjGwsXPHUk8Q42VQRHnYKl355OAwDQYJKoZIhvcNAQELBQAwFzEVMBMGA1UEAwwMY2xpLXRlc3Qt"
    "aWRwMCAXDTI2MTIwNDE4NDk0OFoYDzIxMjYxMTEwMTg0OTQ4WjAXMRUwEwYDVQQDDAxjbGktdGVzdC1pZHAwggEiMA0GCSqG"
    "SIb3DQEBAQUAA4IBDwAwggEKAoIBAQC7BA4bt/QZghMd04U4DQZX/BHT077jS6mvmlHXeG5zTx7uMfN+rlRoBGkK4YFDpcr3"
    "psZ/6xfSetVsySG5x+HPUXY2z3g+jdhGQ15smWO7KbNVqm8ipTfPNqJ29eCZucCgX3J6a+tiYa1tyiavi6zNAxfdNbwLSihW"
    "hPliMubSWke06O91ge/YzpbsCRiukPEQ8v5vDNGse+OddiD4IydDrhEc2rLo4WqGhgufwBVgitT8F2W+Bd6ysgiR69MtAprF"
    "eD2bgqwod78n/Qg2JsER6q9dJ03JcobcbP6UE+bHGK+qnH4iF7+sjjehBDa9nsI6zw86y3FN6M1jpYVYerSHAgMBAAGjUzBR"
    "MB0GA1UdDgQWBBRts08aB4DJtgRwWjo6SCuqtC6CdjAfBgNVHSMEGDAWgBRts08aB4DJtgRwWjo6SCuqtC6CdjAPBgNVHRMB"
    "Af8EBTADAQH/MA0GCSqGSIb3DQEBCwUAA4IBAQCdKGLPFQApvrf4b4gKNxjuc7PPyvn2MK0xiN4mEUiOdFDXiHPWWXr6+hnU"
    "uU00UKvx579g+emTP3M/xAHoIyGYy69wb9g1P9MiKYIFSEa+ZQSBn9T00MDtJk9/xW++nabaywv7/JKozq5/B3byaPYACnp0"
    "62K/DdIT+FrLcXcombPbRm/4N/Hna0ctQqXqs2gipKZcevGGl3AgryA8AtRjogxQ8OfC+cNRk8+TpcSvvsq2gOlAqTrMxTcF"
    "hWZhxzJhVbS1CznLp6kdX3HN7aVWbC3PF0XgfEuLYmEDeotIH4cEDmKr5eGAbdRyxLvKjDEzIRKNS03/lC+UBLqSn6EQ";

// IdP metadata whose HTTP-Redirect sign-in Location is `location` (XML-escaped by the caller).
std::string saml_metadata_with(const std::string& location) {
    return std::string(R"(<?xml version="1.0"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" )") +
           R"(xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.example.com/saml">)" +
           R"(<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">)" +
           R"(<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>)" + test_idp_certificate +
           R"(</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>)" +
           R"(<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location=")" +
           location + R"("/></md:IDPSSODescriptor></md:EntityDescriptor>)";
}

const std::string saml_metadata = saml_metadata_with("https://idp.example.com/sso");

}  // namespace

class cli_verification : public ::testing::Test {
protected:
    void SetUp() override {
        chal::testing::test_database database;
        pg::pool_config pool_config{.conninfo = database.url(), .size = 2};
        db_ = std::make_unique<pg::pool>(io_.get_executor(), pool_config, [](int, std::string_view) {});
        chal::testing::run(io_, storage::migrate(*db_));
        database.truncate({"tenants", "integrations", "api_keys", "challenges", "audit_events", "webhook_deliveries",
                           "webhook_attempts", "idempotency_keys", "tenant_verification_settings", "verification_flows",
                           "saml_seen_assertions"});
        auto created = run_challenge({"tenant", "create", "--name", "Acme", "--json"});
        ASSERT_EQ(created.exit_code, 0) << describe(created);
        tenant_ = std::string(last_json_line(created.out).at("tenant_id").as_string());
    }
    void TearDown() override {
        db_->close();
        chal::testing::run_until_idle(io_);
    }

    // The stored sealed secret, as raw bytes from the database.
    std::optional<std::string> sealed_secret_bytes() {
        auto rows = chal::testing::run(io_, db_->execute_unprepared(
            "SELECT oidc_client_secret_sealed FROM tenant_verification_settings WHERE tenant_id = '" + tenant_ + "'"));
        if (rows.size() == 0) return std::nullopt;
        return rows[0].get_optional_bytea(0);
    }

    std::int64_t count_verification_rows() {
        auto rows = chal::testing::run(io_, db_->execute_unprepared("SELECT count(*) FROM tenant_verification_settings"));
        return rows[0].get<std::int64_t>(0);
    }

    boost::json::object show() {
        auto r = run_challenge({"tenant", "show-verification", "--tenant", tenant_, "--json"});
        EXPECT_EQ(r.exit_code, 0) << describe(r);
        return boost::json::parse(r.out).as_object();
    }

    boost::asio::io_context io_;
    std::unique_ptr<pg::pool> db_;
    std::string tenant_;
};

TEST_F(cli_verification, set_oidc_seals_the_secret_and_never_prints_it) {
    temp_file secret_file(std::string(plaintext_secret) + "\n");
    auto set = run_challenge({"tenant", "set-oidc", "--tenant", tenant_, "--issuer", "https://login.example.com/realms/acme",
                              "--client-id", "challenge-app", "--client-secret-file", secret_file.path(), "--scopes",
                              "openid  email profile", "--require-acr", "mfa", "--json"});
    ASSERT_EQ(set.exit_code, 0) << describe(set);
    EXPECT_EQ(set.out.find(plaintext_secret), std::string::npos);
    EXPECT_EQ(set.err.find(plaintext_secret), std::string::npos);

    const auto sealed = sealed_secret_bytes();
    ASSERT_TRUE(sealed);
    EXPECT_EQ(sealed->find(plaintext_secret), std::string::npos) << "the secret is stored in plaintext";
    const crypto::secret_box box(*crypto::base64_decode(e2e::test_master_key_base64));
    EXPECT_EQ(box.open(*sealed, "tenant:" + tenant_ + ":oidc_client_secret"), plaintext_secret);
    EXPECT_FALSE(box.open(*sealed, "tenant:" + tenant_ + ":other"));

    for (const bool json : {true, false}) {
        std::vector<std::string> args{"tenant", "show-verification", "--tenant", tenant_};
        if (json) args.push_back("--json");
        auto shown = run_challenge(args);
        ASSERT_EQ(shown.exit_code, 0) << describe(shown);
        EXPECT_EQ(shown.out.find(plaintext_secret), std::string::npos) << shown.out;
        EXPECT_EQ(shown.err.find(plaintext_secret), std::string::npos) << shown.err;
        if (!json) {
            EXPECT_NE(shown.out.find("set (sealed)"), std::string::npos) << shown.out;
        }
    }
    const auto s = show();
    EXPECT_EQ(s.at("auth_mode"), "oidc");
    const auto& oidc = s.at("oidc").as_object();
    EXPECT_EQ(oidc.at("issuer"), "https://login.example.com/realms/acme");
    EXPECT_EQ(oidc.at("client_id"), "challenge-app");
    EXPECT_EQ(oidc.at("client_secret_set"), true);
    EXPECT_EQ(oidc.at("scopes"), "openid email profile");
    EXPECT_EQ(oidc.at("identity_claim"), "email");
    EXPECT_EQ(oidc.at("required_acr"), "mfa");
    EXPECT_EQ(oidc.at("when_email_verified_absent"), "refuse") << "an email the IdP did not vouch for is refused";
    EXPECT_FALSE(oidc.contains("client_secret"));
}

TEST_F(cli_verification, set_oidc_can_accept_emails_without_email_verified_only_when_asked) {
    auto with = [&](const std::string& value) {
        return run_challenge({"tenant", "set-oidc", "--tenant", tenant_, "--issuer", "https://login.example.com",
                              "--client-id", "app", "--client-secret", "s", "--when-email-verified-absent", value});
    };
    ASSERT_EQ(with("accept").exit_code, 0);
    EXPECT_EQ(show().at("oidc").as_object().at("when_email_verified_absent"), "accept");
    auto bad = with("sometimes");
    EXPECT_EQ(bad.exit_code, 2) << describe(bad);
    EXPECT_EQ(show().at("oidc").as_object().at("when_email_verified_absent"), "accept");
}

TEST_F(cli_verification, set_oidc_refuses_bad_settings) {
    const std::vector<std::string> base{"tenant", "set-oidc", "--tenant", tenant_, "--client-id", "app", "--client-secret", "s"};
    auto with = [&](std::vector<std::string> extra) {
        auto args = base;
        args.insert(args.end(), extra.begin(), extra.end());
        return run_challenge(args);
    };
    EXPECT_EQ(with({"--issuer", "http://login.example.com"}).exit_code, 2);           // http off loopback
    EXPECT_EQ(with({"--issuer", "login.example.com"}).exit_code, 2);                  // not absolute
    EXPECT_EQ(with({"--issuer", "https://login.example.com?x=1"}).exit_code, 2);      // query
    EXPECT_EQ(with({"--issuer", "https://login.example.com", "--scopes", "email profile"}).exit_code, 2);  // no openid
    EXPECT_EQ(with({"--issuer", "https://login.example.com", "--client-secret-file", "/tmp"}).exit_code, 2);  // both
    EXPECT_EQ(run_challenge({"tenant", "set-oidc", "--tenant", tenant_, "--issuer", "https://login.example.com",
                             "--client-id", "app", "--client-secret-file", "/nonexistent"})
                  .exit_code,
              2);
    EXPECT_EQ(show().at("auth_mode"), "unconfigured");

    auto loopback = with({"--issuer", "http://127.0.0.1:9000"});
    EXPECT_EQ(loopback.exit_code, 0) << describe(loopback);
    auto no_key = run_challenge({"tenant", "set-oidc", "--tenant", tenant_, "--issuer", "https://login.example.com",
                                 "--client-id", "app", "--client-secret", "s"},
                                {"CHALLENGE_MASTER_KEY="});
    EXPECT_EQ(no_key.exit_code, 2) << describe(no_key);
    EXPECT_NE(no_key.err.find("CHALLENGE_MASTER_KEY"), std::string::npos) << describe(no_key);
}

TEST_F(cli_verification, auth_none_needs_the_explicit_flag) {
    auto refused = run_challenge({"tenant", "set-auth-none", "--tenant", tenant_});
    EXPECT_EQ(refused.exit_code, 2) << describe(refused);
    EXPECT_NE(refused.err.find("--i-understand-this-is-weaker"), std::string::npos) << refused.err;
    EXPECT_NE(refused.err.find("holds the link"), std::string::npos) << refused.err;
    EXPECT_EQ(show().at("auth_mode"), "unconfigured");

    auto accepted = run_challenge({"tenant", "set-auth-none", "--tenant", tenant_, "--i-understand-this-is-weaker"});
    EXPECT_EQ(accepted.exit_code, 0) << describe(accepted);
    EXPECT_EQ(show().at("auth_mode"), "none");

    auto cleared = run_challenge({"tenant", "clear-auth", "--tenant", tenant_});
    EXPECT_EQ(cleared.exit_code, 0) << describe(cleared);
    EXPECT_EQ(show().at("auth_mode"), "unconfigured");
}

TEST_F(cli_verification, set_support_round_trips_and_clears) {
    auto set = run_challenge({"tenant", "set-support", "--tenant", tenant_, "--email", "help@acme.example", "--phone",
                              "+1 555 0100", "--slack-channel", "#it-help", "--portal-url", "https://help.acme.example/"});
    ASSERT_EQ(set.exit_code, 0) << describe(set);
    auto support = show().at("support").as_object();
    EXPECT_EQ(support.at("email"), "help@acme.example");
    EXPECT_EQ(support.at("phone"), "+1 555 0100");
    EXPECT_EQ(support.at("slack_channel"), "#it-help");
    EXPECT_EQ(support.at("portal_url"), "https://help.acme.example/");

    // Only what is given changes; "" clears one.
    auto partial = run_challenge({"tenant", "set-support", "--tenant", tenant_, "--phone", "", "--email", "desk@acme.example"});
    ASSERT_EQ(partial.exit_code, 0) << describe(partial);
    support = show().at("support").as_object();
    EXPECT_EQ(support.at("email"), "desk@acme.example");
    EXPECT_TRUE(support.at("phone").is_null());
    EXPECT_EQ(support.at("slack_channel"), "#it-help");
    EXPECT_EQ(support.at("portal_url"), "https://help.acme.example/");

    EXPECT_EQ(run_challenge({"tenant", "set-support", "--tenant", tenant_, "--email", "not-an-address"}).exit_code, 2);
    EXPECT_EQ(run_challenge({"tenant", "set-support", "--tenant", tenant_, "--portal-url", "ftp://x.example"}).exit_code, 2);
    EXPECT_EQ(run_challenge({"tenant", "set-support", "--tenant", tenant_, "--slack", "#typo"}).exit_code, 2);
    EXPECT_EQ(run_challenge({"tenant", "set-support", "--tenant", tenant_}).exit_code, 2);
    EXPECT_EQ(show().at("support").as_object().at("email"), "desk@acme.example");
}

TEST_F(cli_verification, saml_metadata_and_additional_context) {
    temp_file metadata(saml_metadata);
    auto set = run_challenge({"tenant", "set-saml", "--tenant", tenant_, "--metadata-file", metadata.path()});
    ASSERT_EQ(set.exit_code, 0) << describe(set);
    auto s = show();
    EXPECT_EQ(s.at("auth_mode"), "saml");
    EXPECT_EQ(s.at("saml").as_object().at("metadata_bytes"), saml_metadata.size());

    temp_file empty;
    temp_file not_metadata("<html></html>");
    temp_file too_big(std::string(1024 * 1024 + 1, ' ') + "EntityDescriptor");
    // Metadata that only looks like metadata: no certificate, no sign-in URL.
    temp_file hollow(R"(<?xml version="1.0"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" )"
                     R"(entityID="https://idp.example.com/saml"><md:IDPSSODescriptor/></md:EntityDescriptor>)");
    // A sign-in URL that would end our Location header and set a cookie on our origin.
    temp_file header_injection(saml_metadata_with("https://idp.example.com/sso&#13;&#10;Set-Cookie: a=b"));
    temp_file plain_http(saml_metadata_with("http://idp.example.com/sso"));
    for (const auto* f : {&empty, &not_metadata, &too_big, &hollow, &header_injection, &plain_http}) {
        auto r = run_challenge({"tenant", "set-saml", "--tenant", tenant_, "--metadata-file", f->path()});
        EXPECT_EQ(r.exit_code, 2) << describe(r);
    }
    auto refused = run_challenge({"tenant", "set-saml", "--tenant", tenant_, "--metadata-file", header_injection.path()});
    EXPECT_NE(refused.err.find("not an absolute https URL"), std::string::npos) << describe(refused);
    EXPECT_EQ(show().at("saml").as_object().at("metadata_bytes"), saml_metadata.size()) << "the stored metadata is kept";
    // With the development setting, a plain http sign-in page is accepted.
    auto dev = run_challenge({"tenant", "set-saml", "--tenant", tenant_, "--metadata-file", plain_http.path()},
                             {"CHALLENGE_ALLOW_HTTP_IDP=true"});
    EXPECT_EQ(dev.exit_code, 0) << describe(dev);

    // Who a SAML login names: an attribute, and a required AuthnContextClassRef.
    auto attribute = run_challenge({"tenant", "set-saml", "--tenant", tenant_, "--metadata-file", metadata.path(),
                                    "--identity-attribute", "mail", "--require-authn-context", "urn:example:mfa"});
    ASSERT_EQ(attribute.exit_code, 0) << describe(attribute);
    EXPECT_EQ(show().at("saml").as_object().at("identity_attribute"), "mail");
    EXPECT_EQ(show().at("saml").as_object().at("required_authn_context"), "urn:example:mfa");
    ASSERT_EQ(run_challenge({"tenant", "set-saml", "--tenant", tenant_, "--metadata-file", metadata.path()}).exit_code, 0);
    EXPECT_TRUE(show().at("saml").as_object().at("identity_attribute").is_null()) << "each set-saml states it all";

    EXPECT_EQ(run_challenge({"tenant", "set-additional-context", "--tenant", tenant_, "on"}).exit_code, 0);
    EXPECT_EQ(show().at("additional_context_enabled"), true);
    EXPECT_EQ(run_challenge({"tenant", "set-additional-context", "--tenant", tenant_, "maybe"}).exit_code, 2);
    EXPECT_EQ(run_challenge({"tenant", "set-additional-context", "--tenant", tenant_, "off"}).exit_code, 0);
    s = show();
    EXPECT_EQ(s.at("additional_context_enabled"), false);
    EXPECT_EQ(s.at("auth_mode"), "saml");  // each command changes only its own fields
}

TEST_F(cli_verification, an_unknown_tenant_is_an_error) {
    const std::string unknown = "01900000-0000-7000-8000-000000000000";
    for (const auto& tenant : {unknown, std::string("not-a-uuid")}) {
        for (const auto& args : std::vector<std::vector<std::string>>{
                 {"tenant", "show-verification", "--tenant", tenant},
                 {"tenant", "clear-auth", "--tenant", tenant},
                 {"tenant", "set-auth-none", "--tenant", tenant, "--i-understand-this-is-weaker"},
                 {"tenant", "set-support", "--tenant", tenant, "--email", "a@b.example"},
                 {"tenant", "set-oidc", "--tenant", tenant, "--issuer", "https://login.example.com", "--client-id", "app",
                  "--client-secret", "s"}}) {
            auto r = run_challenge(args);
            EXPECT_EQ(r.exit_code, 1) << args[1] << " " << tenant << "\n" << describe(r);
            EXPECT_NE(r.err.find("no tenant " + tenant), std::string::npos) << r.err;
        }
    }
    EXPECT_EQ(count_verification_rows(), 0);
}

TEST_F(cli_verification, demo_bootstrap_opts_in_to_none_once) {
    auto first = run_challenge({"demo", "bootstrap", "--json"});
    ASSERT_EQ(first.exit_code, 0) << describe(first);
    const std::string demo(last_json_line(first.out).at("tenant_id").as_string());
    auto shown = run_challenge({"tenant", "show-verification", "--tenant", demo, "--json"});
    ASSERT_EQ(shown.exit_code, 0) << describe(shown);
    auto s = boost::json::parse(shown.out).as_object();
    EXPECT_EQ(s.at("auth_mode"), "none");
    EXPECT_EQ(s.at("support").as_object().at("email"), "support@example.com");

    // The operator's later choice survives another bootstrap.
    ASSERT_EQ(run_challenge({"tenant", "set-support", "--tenant", demo, "--email", "ops@example.com"}).exit_code, 0);
    auto again = run_challenge({"demo", "bootstrap", "--json"});
    ASSERT_EQ(again.exit_code, 0) << describe(again);
    EXPECT_EQ(last_json_line(again.out).at("created"), false);
    shown = run_challenge({"tenant", "show-verification", "--tenant", demo, "--json"});
    s = boost::json::parse(shown.out).as_object();
    EXPECT_EQ(s.at("auth_mode"), "none");
    EXPECT_EQ(s.at("support").as_object().at("email"), "ops@example.com");
}
