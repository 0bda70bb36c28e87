// base64 and base64url (cursors, JOSE, SAML, sealed secrets): crypto::base64_decode on the input
// as text, and the encoders on it as bytes. Properties: nothing throws; encoding then decoding
// gives the bytes back, in both alphabets; a decoded text was base64 with at most the padding it
// needed, and every one of its characters counted: n characters decode to exactly 3n/4 bytes.
#include "app/crypto/crypto.hpp"
#include "fuzz/fuzz_input.hpp"

#include <algorithm>

namespace {

bool is_base64_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
           c == '-' || c == '_';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using chal::fuzz::require;
    namespace crypto = chal::crypto;
    const auto input = chal::fuzz::as_text(data, size);

    require(crypto::base64_decode(crypto::base64_encode(input)) == std::string(input), "base64 round trip");
    require(crypto::base64_decode(crypto::base64url_encode(input)) == std::string(input), "base64url round trip");
    require(crypto::hex_encode(input).size() == 2 * size, "hex doubles the length");

    const auto decoded = crypto::base64_decode(input);
    if (!decoded) return 0;
    const auto data_chars = input.substr(0, input.find_last_not_of('=') + 1);
    const auto padding = input.size() - data_chars.size();
    require(std::all_of(data_chars.begin(), data_chars.end(), is_base64_char), "decoded text is all base64");
    require(data_chars.size() % 4 != 1, "a lone trailing character is not base64");
    require(padding <= (4 - data_chars.size() % 4) % 4, "decoded text has no more padding than it needs");
    require(decoded->size() == data_chars.size() * 3 / 4, "every character of a decoded text counts");
    require(crypto::base64_decode(crypto::base64_encode(*decoded)) == *decoded, "decoded bytes encode and decode");
    return 0;
}
