// The console's static assets over real HTTP from the whole service: each one arrives intact
// (its SHA-256 equals the file in web/), typed, immutably cached, with an ETag that revalidates.
#include "app/crypto/crypto.hpp"
#include "console/static_assets.hpp"
#include "tests/e2e/service_fixture.hpp"

#include <fstream>
#include <sstream>

using namespace chal;
using boost::beast::http::verb;

namespace {

std::string source_file(const std::string& path) {
    std::ifstream in(std::string(CHAL_SOURCE_DIR) + "/" + path, std::ios::binary);
    EXPECT_TRUE(in) << path;
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

std::string htmx_version() {
    std::istringstream versions(source_file("web/vendor/htmx/VERSIONS"));
    for (std::string line; std::getline(versions, line);)
        if (line.starts_with("version ")) return line.substr(8);
    return "missing";
}

struct expected_asset {
    std::string url;
    std::string file;  // under the source tree
    std::string content_type;
};

std::vector<expected_asset> expected_assets() {
    const auto hashed = [](const std::string& file) { return crypto::sha256_hex(source_file(file)).substr(0, 12); };
    return {
        {"/console/static/htmx-" + htmx_version() + ".min.js", "web/vendor/htmx/htmx.min.js", "text/javascript"},
        {"/console/static/hx-csp-" + htmx_version() + ".js", "web/vendor/htmx/hx-csp.js", "text/javascript"},
        {"/console/static/console-" + hashed("web/console.css") + ".css", "web/console.css", "text/css"},
        {"/console/static/console-" + hashed("web/console.js") + ".js", "web/console.js", "text/javascript"},
    };
}

}  // namespace

class console_assets_e2e : public e2e::service_test {};

TEST_F(console_assets_e2e, serves_each_asset_intact_typed_and_immutably_cached) {
    for (const auto& asset : expected_assets()) {
        const auto r = call(verb::get, asset.url);
        ASSERT_EQ(r.status, 200u) << asset.url << ": " << r.body;
        EXPECT_EQ(crypto::sha256_hex(r.body), crypto::sha256_hex(source_file(asset.file))) << asset.url;
        EXPECT_TRUE(r.header("Content-Type").starts_with(asset.content_type)) << asset.url << ": " << r.header("Content-Type");
        EXPECT_EQ(r.header("Cache-Control"), "public, max-age=31536000, immutable") << asset.url;
        EXPECT_EQ(r.header("ETag"), "\"" + crypto::sha256_hex(source_file(asset.file)) + "\"") << asset.url;
        EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff") << asset.url;
        EXPECT_TRUE(r.header("Content-Security-Policy").starts_with("default-src 'none'")) << asset.url;
    }
}

TEST_F(console_assets_e2e, links_pages_to_the_urls_it_serves) {
    const auto assets = expected_assets();
    EXPECT_EQ(console::htmx_url(), assets[0].url);
    EXPECT_EQ(console::htmx_csp_extension_url(), assets[1].url);
    EXPECT_EQ(console::stylesheet_url(), assets[2].url);
    EXPECT_EQ(console::script_url(), assets[3].url);
}

TEST_F(console_assets_e2e, answers_not_modified_to_a_matching_if_none_match) {
    const auto url = expected_assets()[2].url;
    const auto first = call(verb::get, url);
    ASSERT_EQ(first.status, 200u);
    const auto again = call(verb::get, url, {}, {{"If-None-Match", first.header("ETag")}});
    EXPECT_EQ(again.status, 304u);
    EXPECT_TRUE(again.body.empty());
    EXPECT_EQ(again.header("ETag"), first.header("ETag"));
}

TEST_F(console_assets_e2e, answers_404_for_an_unknown_or_unversioned_name) {
    for (const auto* url : {"/console/static/htmx.min.js", "/console/static/console.css", "/console/static/nope.js",
                            "/console/static/htmx-0.0.1.min.js", "/console/static/%2e%2e%2fLICENSE"}) {
        const auto r = call(verb::get, url);
        EXPECT_EQ(r.status, 404u) << url;
        EXPECT_EQ(r.body, R"({"error":"No such endpoint"})") << url;
    }
}
