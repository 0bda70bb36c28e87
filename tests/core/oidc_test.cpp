#include "app/core/oidc.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

using namespace chal::core;

namespace {

const std::string issuer = "https://login.example.com/realms/acme";

boost::json::object discovery() {
    return {
        {"issuer", issuer},
        {"authorization_endpoint", issuer + "/protocol/openid-connect/auth"},
        {"token_endpoint", issuer + "/protocol/openid-connect/token"},
        {"jwks_uri", issuer + "/protocol/openid-connect/certs"},
        {"userinfo_endpoint", issuer + "/protocol/openid-connect/userinfo"},
        {"token_endpoint_auth_methods_supported", boost::json::array{"client_secret_basic", "client_secret_post"}},
        {"authorization_response_iss_parameter_supported", true},
    };
}

template <class T>
std::string refusal_of(const oidc_parsed<T>& parsed) {
    const auto* refused = std::get_if<oidc_refusal>(&parsed);
    return refused ? refused->reason : "";
}

}  // namespace

TEST(provider_metadata, reads_the_endpoints_and_what_the_provider_promises) {
    auto parsed = parse_provider_metadata(boost::json::serialize(discovery()), issuer, false);
    ASSERT_TRUE(std::holds_alternative<oidc_provider_metadata>(parsed)) << refusal_of(parsed);
    const auto& p = std::get<oidc_provider_metadata>(parsed);
    EXPECT_EQ(p.authorization_endpoint, issuer + "/protocol/openid-connect/auth");
    EXPECT_EQ(p.userinfo_endpoint, issuer + "/protocol/openid-connect/userinfo");
    EXPECT_TRUE(p.supports_client_secret_basic);
    EXPECT_TRUE(p.sends_authorization_response_iss);

    auto doc = discovery();
    doc.erase("authorization_response_iss_parameter_supported");
    doc.erase("userinfo_endpoint");
    doc["token_endpoint_auth_methods_supported"] = boost::json::array{"client_secret_post"};
    const auto plain = std::get<oidc_provider_metadata>(parse_provider_metadata(boost::json::serialize(doc), issuer, false));
    EXPECT_FALSE(plain.sends_authorization_response_iss);
    EXPECT_FALSE(plain.userinfo_endpoint);
    EXPECT_FALSE(plain.supports_client_secret_basic);
}

TEST(provider_metadata, refuses_another_issuer_and_missing_endpoints) {
    auto doc = discovery();
    doc["issuer"] = issuer + "/";
    EXPECT_NE(refusal_of(parse_provider_metadata(boost::json::serialize(doc), issuer, false)), "");
    for (const char* endpoint : {"authorization_endpoint", "token_endpoint", "jwks_uri"}) {
        doc = discovery();
        doc.erase(endpoint);
        EXPECT_NE(refusal_of(parse_provider_metadata(boost::json::serialize(doc), issuer, false)), "") << endpoint;
    }
    EXPECT_NE(refusal_of(parse_provider_metadata("[]", issuer, false)), "");
    EXPECT_NE(refusal_of(parse_provider_metadata("{\"issuer\":", issuer, false)), "");
}

TEST(provider_metadata, refuses_an_authorization_endpoint_that_could_break_the_location_header) {
    for (const std::string& endpoint : {issuer + "/auth\r\nSet-Cookie: x=1", issuer + "/auth\n", std::string("javascript:alert(1)"),
                                       std::string("/relative/auth"), issuer + "/a uth"}) {
        auto doc = discovery();
        doc["authorization_endpoint"] = endpoint;
        EXPECT_EQ(refusal_of(parse_provider_metadata(boost::json::serialize(doc), issuer, true)),
                  "authorization_endpoint is not an absolute https URL of printable characters")
            << endpoint;
    }
}

TEST(provider_metadata, allows_a_plain_http_authorization_endpoint_only_in_development) {
    auto doc = discovery();
    doc["issuer"] = "http://127.0.0.1:9000";
    doc["authorization_endpoint"] = "http://127.0.0.1:9000/auth";
    const auto body = boost::json::serialize(doc);
    EXPECT_NE(refusal_of(parse_provider_metadata(body, "http://127.0.0.1:9000", false)), "");
    EXPECT_EQ(refusal_of(parse_provider_metadata(body, "http://127.0.0.1:9000", true)), "");
}

TEST(token_response, keeps_a_bearer_access_token_for_userinfo) {
    auto parsed = parse_token_response(R"({"id_token":"a.b.c","access_token":"at","token_type":"Bearer"})");
    ASSERT_TRUE(std::holds_alternative<oidc_tokens>(parsed));
    EXPECT_EQ(std::get<oidc_tokens>(parsed).id_token, "a.b.c");
    EXPECT_EQ(std::get<oidc_tokens>(parsed).access_token, "at");
    parsed = parse_token_response(R"({"id_token":"a.b.c","access_token":"at","token_type":"bearer"})");
    EXPECT_EQ(std::get<oidc_tokens>(parsed).access_token, "at");
    parsed = parse_token_response(R"({"id_token":"a.b.c","access_token":"at","token_type":"DPoP"})");
    EXPECT_FALSE(std::get<oidc_tokens>(parsed).access_token) << "only a Bearer token may be presented as one";
    parsed = parse_token_response(R"({"id_token":"a.b.c"})");
    EXPECT_FALSE(std::get<oidc_tokens>(parsed).access_token);
    EXPECT_NE(refusal_of(parse_token_response(R"({"access_token":"at","token_type":"Bearer"})")), "");
    EXPECT_NE(refusal_of(parse_token_response("not json")), "");
}

TEST(userinfo_response, is_a_json_object_and_never_a_jwt_we_did_not_ask_for) {
    auto parsed = parse_userinfo_response(R"({"sub":"248289761001","email":"alice@example.com"})", "application/json; charset=utf-8");
    ASSERT_TRUE(std::holds_alternative<boost::json::object>(parsed));
    EXPECT_EQ(std::get<boost::json::object>(parsed).at("sub").as_string(), "248289761001");
    EXPECT_NE(refusal_of(parse_userinfo_response("eyJhbGciOiJSUzI1NiJ9.e30.sig", "application/jwt")), "");
    EXPECT_NE(refusal_of(parse_userinfo_response("{}", "Application/JWT ; charset=utf-8")), "");
    EXPECT_NE(refusal_of(parse_userinfo_response("[1]", "application/json")), "");
    EXPECT_NE(refusal_of(parse_userinfo_response("", "application/json")), "");
}
