// Prints a Slack app manifest, for tests/slack/validate_manifest.mjs (schema validation) and
// for regenerating manifests/challenge.manifest.json:
//   slack_manifest_sample json|yaml --template
//   slack_manifest_sample json|yaml <base_url> <tenant_id> <instance_id> [--token-rotation] [--org-deploy]
//   slack_manifest_sample yaml-from-json < value.json     (the YAML emitter on any JSON value)
// Exit status 2 when the parameters cannot make a manifest, 64 on bad usage.
#include "slack/manifest.hpp"

#include <boost/json/parse.hpp>

#include <iostream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

int main(int argc, char** argv) {
    const std::vector<std::string_view> args(argv + 1, argv + argc);
    const auto usage = [] {
        std::cerr << "usage: slack_manifest_sample json|yaml (--template | <base_url> <tenant_id> <instance_id> "
                     "[--token-rotation] [--org-deploy])\n";
        return 64;
    };
    if (args.size() == 1 && args[0] == "yaml-from-json") {
        const std::string input{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
        std::cout << chal::slack::to_yaml(boost::json::parse(input));
        return 0;
    }
    if (args.size() < 2 || (args[0] != "json" && args[0] != "yaml")) return usage();

    chal::slack::manifest_params params;
    if (args[1] == "--template") {
        if (args.size() != 2) return usage();
        params = chal::slack::manifest_template_params();
    } else {
        if (args.size() < 4) return usage();
        params.base_url = args[1];
        params.tenant_id = args[2];
        params.instance_id = args[3];
        for (std::size_t i = 4; i < args.size(); ++i) {
            if (args[i] == "--token-rotation") {
                params.token_rotation_enabled = true;
            } else if (args[i] == "--org-deploy") {
                params.org_deploy_enabled = true;
            } else {
                return usage();
            }
        }
    }
    if (auto problem = chal::slack::manifest_params_problem(params)) {
        std::cerr << "cannot build the manifest: " << *problem << "\n";
        return 2;
    }
    std::cout << (args[0] == "json" ? chal::slack::manifest_json(params) : chal::slack::manifest_yaml(params));
    return 0;
}
