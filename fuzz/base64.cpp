// base64 and base64url (cursors, JOSE, SAML, sealed secrets): crypto::base64_decode and
// base64url_decode on the input as text, and the encoders on it as bytes. Properties: nothing
// throws; encoding then decoding gives the bytes back, in both alphabets; a decoded text was in
// that decoder's alphabet with at most the padding it needed (none for base64url), and every one
// of its characters counted: n characters decode to exactly 3n/4 bytes.
#include "app/crypto/crypto.hpp"
#include "fuzz/fuzz_input.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>

namespace {

bool is_alphanumeric(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_base64_char(char c) {
    return is_alphanumeric(c) || c == '+' || c == '/';
}
bool is_base64url_char(char c) {
    return is_alphanumeric(c) || c == '-' || c == '_';
}

// What every accepted text must satisfy: only the alphabet's characters, no lone last one, at
// most the padding the length needs (`padding_allowed`), and no character that did not count.
template <class IsChar>
void require_canonical(std::string_view input, const std::string& decoded, IsChar is_char, bool padding_allowed) {
    using chal::fuzz::require;
    const auto data_chars = input.substr(0, input.find_last_not_of('=') + 1);
    const auto padding = input.size() - data_chars.size();
    require(std::all_of(data_chars.begin(), data_chars.end(), is_char), "decoded text is all in its alphabet");
    require(data_chars.size() % 4 != 1, "a lone trailing character is not base64");
    require(padding <= (padding_allowed ? (4 - data_chars.size() % 4) % 4 : 0), "decoded text has no extra padding");
    require(decoded.size() == data_chars.size() * 3 / 4, "every character of a decoded text counts");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using chal::fuzz::require;
    namespace crypto = chal::crypto;
    const auto input = chal::fuzz::as_text(data, size);

    require(crypto::base64_decode(crypto::base64_encode(input)) == std::string(input), "base64 round trip");
    require(crypto::base64url_decode(crypto::base64url_encode(input)) == std::string(input), "base64url round trip");
    require(crypto::hex_encode(input).size() == 2 * size, "hex doubles the length");

    if (const auto decoded = crypto::base64_decode(input)) {
        require_canonical(input, *decoded, is_base64_char, true);
        require(crypto::base64_decode(crypto::base64_encode(*decoded)) == *decoded, "decoded bytes encode and decode");
    }
    if (const auto decoded = crypto::base64url_decode(input)) {
        require_canonical(input, *decoded, is_base64url_char, false);
        require(crypto::base64url_encode(*decoded) == std::string(input), "base64url text is the canonical encoding");
    }
    return 0;
}
