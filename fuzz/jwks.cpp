// IdP key sets: crypto::jose::public_key_set::parse and jose::jwk_thumbprint on every member.
// Properties: nothing throws; every entry of "keys" is either a usable key or listed as ignored;
// a token signed by a key the set cannot hold (made at start) never verifies against it.
#include "app/crypto/jose.hpp"
#include "fuzz/fuzz_input.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <array>

namespace {

namespace jose = chal::crypto::jose;

const std::string& foreign_token() {
    static const std::string token = jose::signing_key::generate().sign_compact({}, R"({"sub":"nobody"})");
    return token;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    foreign_token();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using chal::fuzz::require;
    const auto document = chal::fuzz::as_text(data, size);
    const auto keys = jose::public_key_set::parse(document);
    if (!keys) return 0;

    const auto parsed = boost::json::parse(document);
    const auto& entries = parsed.as_object().at("keys").as_array();
    require(keys->size() + keys->ignored().size() == entries.size(), "every JWK is kept or listed as ignored");
    for (const auto& entry : entries) {
        if (entry.is_object()) jose::jwk_thumbprint(entry.get_object());
    }
    constexpr std::array<std::string_view, 2> allowed{"RS256", "ES256"};
    require(!jose::verify_compact_jws(foreign_token(), *keys, allowed), "a foreign key's token never verifies");
    return 0;
}
