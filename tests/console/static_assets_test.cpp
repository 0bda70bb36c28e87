#include "console/static_assets.hpp"

#include "app/crypto/crypto.hpp"

#include <boost/beast/http/field.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using namespace chal;
namespace bh = boost::beast::http;

namespace {

std::string vendored(const std::string& name) {
    std::ifstream in(std::string(CHAL_SOURCE_DIR) + "/web/" + name, std::ios::binary);
    EXPECT_TRUE(in) << name;
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

std::string vendored_htmx_version() {
    std::istringstream versions(vendored("vendor/htmx/VERSIONS"));
    for (std::string line; std::getline(versions, line);)
        if (line.starts_with("version ")) return line.substr(8);
    return {};
}

const console::static_asset& asset_at(const std::string& url) {
    const auto* asset = console::find_static_asset(url.substr(std::string("/console/static/").size()));
    EXPECT_NE(asset, nullptr) << url;
    return *asset;
}

}  // namespace

TEST(static_assets, serve_the_vendored_htmx_files_byte_for_byte_under_their_version) {
    const auto version = vendored_htmx_version();
    ASSERT_FALSE(version.empty());
    EXPECT_EQ(console::htmx_url(), "/console/static/htmx-" + version + ".min.js");
    EXPECT_EQ(console::htmx_csp_extension_url(), "/console/static/hx-csp-" + version + ".js");
    EXPECT_EQ(asset_at(console::htmx_url()).body, vendored("vendor/htmx/htmx.min.js"));
    EXPECT_EQ(asset_at(console::htmx_csp_extension_url()).body, vendored("vendor/htmx/hx-csp.js"));
}

TEST(static_assets, name_the_consoles_own_files_by_their_content_hash) {
    const auto css = vendored("console.css");
    const auto js = vendored("console.js");
    EXPECT_EQ(console::stylesheet_url(), "/console/static/console-" + crypto::sha256_hex(css).substr(0, 12) + ".css");
    EXPECT_EQ(console::script_url(), "/console/static/console-" + crypto::sha256_hex(js).substr(0, 12) + ".js");
    EXPECT_EQ(asset_at(console::stylesheet_url()).body, css);
    EXPECT_EQ(asset_at(console::script_url()).body, js);
}

TEST(static_assets, answer_with_type_immutable_caching_etag_and_security_headers) {
    const auto& asset = asset_at(console::htmx_url());
    const auto res = console::static_asset_response(asset.name, "");
    EXPECT_EQ(res.result(), bh::status::ok);
    EXPECT_EQ(res[bh::field::content_type], "text/javascript; charset=utf-8");
    EXPECT_EQ(res[bh::field::cache_control], "public, max-age=31536000, immutable");
    EXPECT_EQ(res[bh::field::etag], "\"" + crypto::sha256_hex(asset.body) + "\"");
    EXPECT_EQ(res["X-Content-Type-Options"], "nosniff");
    EXPECT_THAT(std::string(res["Content-Security-Policy"]), ::testing::HasSubstr("default-src 'none'"));
    EXPECT_EQ(res.body(), asset.body);

    const auto css = console::static_asset_response(asset_at(console::stylesheet_url()).name, "");
    EXPECT_EQ(css[bh::field::content_type], "text/css; charset=utf-8");
}

TEST(static_assets, answer_not_modified_when_the_client_holds_the_same_version) {
    const auto& asset = asset_at(console::script_url());
    for (const auto& header : {asset.etag, "W/" + asset.etag, "\"other\", " + asset.etag, std::string("*")}) {
        const auto res = console::static_asset_response(asset.name, header);
        EXPECT_EQ(res.result(), bh::status::not_modified) << header;
        EXPECT_TRUE(res.body().empty()) << header;
        EXPECT_EQ(res[bh::field::etag], asset.etag) << header;
    }
    EXPECT_EQ(console::static_asset_response(asset.name, "\"other\"").result(), bh::status::ok);
}

TEST(static_assets, answer_404_in_the_contracts_shape_for_an_unknown_name) {
    for (const auto* name : {"htmx.min.js", "console.css", "", "../LICENSE", "htmx-0.0.0.min.js"}) {
        const auto res = console::static_asset_response(name, "");
        EXPECT_EQ(res.result(), bh::status::not_found) << name;
        EXPECT_EQ(res.body(), R"({"error":"No such endpoint"})") << name;
        EXPECT_EQ(res["X-Content-Type-Options"], "nosniff") << name;
    }
}

TEST(static_assets, head_html_loads_config_stylesheet_and_nonced_scripts_in_order) {
    const auto head = console::asset_head_html("n0nce+/=");
    const auto config = head.find("<meta name=\"htmx-config\" content=\"{&quot;extensions&quot;:&quot;hx-csp&quot;");
    const auto style = head.find("<link rel=\"stylesheet\" href=\"" + console::stylesheet_url() + "\">");
    const auto htmx = head.find("<script nonce=\"n0nce+/=\" src=\"" + console::htmx_url() + "\"></script>");
    const auto csp = head.find("<script nonce=\"n0nce+/=\" src=\"" + console::htmx_csp_extension_url() + "\"></script>");
    const auto script = head.find("<script nonce=\"n0nce+/=\" src=\"" + console::script_url() + "\"></script>");
    ASSERT_NE(config, std::string::npos) << head;
    ASSERT_NE(style, std::string::npos) << head;
    ASSERT_NE(htmx, std::string::npos) << head;
    ASSERT_NE(csp, std::string::npos) << head;
    ASSERT_NE(script, std::string::npos) << head;
    EXPECT_LT(config, htmx);  // htmx reads its config as it loads
    EXPECT_LT(htmx, csp);
    EXPECT_LT(csp, script);
    EXPECT_THAT(console::asset_head_html("\"><x"), ::testing::HasSubstr("nonce=\"&quot;&gt;&lt;x\""));
}

TEST(static_assets, list_every_asset_once_under_a_distinct_url) {
    const auto assets = console::all_static_assets();
    ASSERT_EQ(assets.size(), 4u);
    for (std::size_t i = 0; i < assets.size(); ++i)
        for (std::size_t j = i + 1; j < assets.size(); ++j) EXPECT_NE(assets[i].url, assets[j].url);
}
