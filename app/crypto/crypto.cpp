#include "app/crypto/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <memory>
#include <stdexcept>

namespace chal::crypto {
namespace {

const unsigned char* bytes(std::string_view s) {
    return reinterpret_cast<const unsigned char*>(s.data());
}

unsigned char* bytes(std::string& s) {
    return reinterpret_cast<unsigned char*>(s.data());
}

constexpr std::uint8_t sealed_version = 1;
constexpr std::size_t nonce_size = 12;
constexpr std::size_t tag_size = 16;

using cipher_ctx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

cipher_ctx new_cipher_ctx() {
    cipher_ctx ctx{EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free};
    if (!ctx) throw std::bad_alloc{};
    return ctx;
}

enum class base64_alphabet { standard, url };

// The 6-bit value of a base64 character, or -1 for anything outside the alphabet.
int sextet(char c, base64_alphabet alphabet) noexcept {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (alphabet == base64_alphabet::standard) {
        if (c == '+') return 62;
        if (c == '/') return 63;
    } else {
        if (c == '-') return 62;
        if (c == '_') return 63;
    }
    return -1;
}

// RFC 4648 read strictly, so each byte string has exactly one accepted text (section 3.5:
// "decoders MAY reject an encoding if the pad bits have not been set to zero"; we do) and no
// input throws or silently loses data: characters outside the alphabet (whitespace included),
// a length no encoding has, padding anywhere but at the end, too much padding and non-zero
// pad bits are all refused. The standard alphabet may be padded or not; the URL alphabet is
// never padded (RFC 7515 section 2, and our cursors).
std::optional<std::string> decode_base64(std::string_view text, base64_alphabet alphabet) {
    std::size_t padding = 0;
    while (padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
    const auto data = text.substr(0, text.size() - padding);
    const std::size_t tail = data.size() % 4;
    if (tail == 1) return std::nullopt;
    if (padding > 0 && (alphabet == base64_alphabet::url || tail == 0 || padding + tail != 4)) return std::nullopt;
    std::string out;
    out.reserve(data.size() / 4 * 3 + 2);
    std::uint32_t bits = 0;
    int bit_count = 0;
    for (const char c : data) {
        const int value = sextet(c, alphabet);
        if (value < 0) return std::nullopt;
        bits = (bits << 6) | static_cast<std::uint32_t>(value);
        bit_count += 6;
        if (bit_count >= 8) {
            bit_count -= 8;
            out.push_back(static_cast<char>((bits >> bit_count) & 0xFF));
        }
    }
    // The 2 or 4 bits left over belong to no byte; a canonical encoder leaves them zero.
    if ((bits & ((1u << bit_count) - 1)) != 0) return std::nullopt;
    return out;
}

}  // namespace

std::string sha256(std::string_view data) {
    // SHA256() looks the implementation up in the provider registry on every call (OpenSSL 3);
    // every API request hashes its key, so the lookup is done once.
    static const std::unique_ptr<EVP_MD, decltype(&EVP_MD_free)> sha256_md{
        EVP_MD_fetch(nullptr, "SHA256", nullptr), &EVP_MD_free};
    if (!sha256_md) throw std::runtime_error("SHA-256 is not available");
    std::string out(SHA256_DIGEST_LENGTH, '\0');
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), bytes(out), &length, sha256_md.get(), nullptr) != 1)
        throw std::runtime_error("SHA-256 failed");
    return out;
}

std::string sha256_hex(std::string_view data) {
    return hex_encode(sha256(data));
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
    std::string out(EVP_MAX_MD_SIZE, '\0');
    unsigned int length = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), bytes(data), data.size(), bytes(out), &length))
        throw std::runtime_error("HMAC-SHA256 failed");
    out.resize(length);
    return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string random_bytes(std::size_t count) {
    std::string out(count, '\0');
    if (RAND_bytes(bytes(out), static_cast<int>(count)) != 1) throw std::runtime_error("RAND_bytes failed");
    return out;
}

double random_unit() {
    std::uint64_t value = 0;
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&value), sizeof value) != 1)
        throw std::runtime_error("RAND_bytes failed");
    return static_cast<double>(value >> 11) * 0x1.0p-53;
}

std::uint32_t random_u32() {
    std::uint32_t value = 0;
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&value), sizeof value) != 1)
        throw std::runtime_error("RAND_bytes failed");
    return value;
}

std::string hex_encode(std::string_view raw) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(raw.size() * 2);
    for (unsigned char c : raw) {
        out.push_back(digits[c >> 4]);
        out.push_back(digits[c & 0x0f]);
    }
    return out;
}

std::string base64_encode(std::string_view raw) {
    std::string out(4 * ((raw.size() + 2) / 3), '\0');
    const int written = EVP_EncodeBlock(bytes(out), bytes(raw), static_cast<int>(raw.size()));
    out.resize(static_cast<std::size_t>(written));
    return out;
}

std::string base64url_encode(std::string_view raw) {
    std::string out = base64_encode(raw);
    for (char& c : out) {
        if (c == '+') c = '-';
        else if (c == '/') c = '_';
    }
    while (!out.empty() && out.back() == '=') out.pop_back();
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    return decode_base64(text, base64_alphabet::standard);
}

std::optional<std::string> base64url_decode(std::string_view text) {
    return decode_base64(text, base64_alphabet::url);
}

std::string new_uuid_v7(std::chrono::system_clock::time_point now) {
    const auto ms = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count()
    );
    std::string raw = random_bytes(16);
    for (int i = 0; i < 6; ++i) raw[static_cast<std::size_t>(i)] = static_cast<char>((ms >> (40 - 8 * i)) & 0xff);
    raw[6] = static_cast<char>(0x70 | (raw[6] & 0x0f));
    raw[8] = static_cast<char>(0x80 | (raw[8] & 0x3f));
    const std::string hex = hex_encode(raw);
    return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
           hex.substr(20);
}

std::string uuid_v7_floor(std::chrono::system_clock::time_point t) {
    const auto ms = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
    std::string raw(16, '\0');
    for (int i = 0; i < 6; ++i) raw[static_cast<std::size_t>(i)] = static_cast<char>((ms >> (40 - 8 * i)) & 0xff);
    raw[6] = static_cast<char>(0x70);
    raw[8] = static_cast<char>(0x80);
    const std::string hex = hex_encode(raw);
    return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
           hex.substr(20);
}

bool is_uuid(std::string_view text) noexcept {
    if (text.size() != 36) return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}

secret_box::secret_box(std::string key) : key_(std::move(key)) {
    if (key_.size() != 32) throw std::invalid_argument("the master key must be 32 bytes");
}

std::string secret_box::seal(std::string_view plaintext, std::string_view associated) const {
    const std::string nonce = random_bytes(nonce_size);
    std::string out;
    out.reserve(1 + nonce_size + plaintext.size() + tag_size);
    out.push_back(static_cast<char>(sealed_version));
    out += nonce;
    out.resize(1 + nonce_size + plaintext.size() + tag_size);
    auto ctx = new_cipher_ctx();
    int length = 0;
    auto* cipher_out = bytes(out) + 1 + nonce_size;
    if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(key_), bytes(nonce)) != 1 ||
        EVP_EncryptUpdate(ctx.get(), nullptr, &length, bytes(associated), static_cast<int>(associated.size())) != 1 ||
        EVP_EncryptUpdate(ctx.get(), cipher_out, &length, bytes(plaintext), static_cast<int>(plaintext.size())) != 1 ||
        EVP_EncryptFinal_ex(ctx.get(), cipher_out + length, &length) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(tag_size), cipher_out + plaintext.size()) != 1)
        throw std::runtime_error("AES-256-GCM seal failed");
    return out;
}

std::string secret_box::derive_key(std::string_view purpose) const {
    return hmac_sha256(key_, "chal-derived-key:" + std::string(purpose));
}

std::optional<std::string> secret_box::open(std::string_view sealed, std::string_view associated) const {
    if (sealed.size() < 1 + nonce_size + tag_size || static_cast<std::uint8_t>(sealed[0]) != sealed_version)
        return std::nullopt;
    const auto nonce = sealed.substr(1, nonce_size);
    const auto cipher = sealed.substr(1 + nonce_size, sealed.size() - 1 - nonce_size - tag_size);
    std::string tag(sealed.substr(sealed.size() - tag_size));
    std::string plain(cipher.size(), '\0');
    auto ctx = new_cipher_ctx();
    int length = 0;
    if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(key_), bytes(nonce)) != 1 ||
        EVP_DecryptUpdate(ctx.get(), nullptr, &length, bytes(associated), static_cast<int>(associated.size())) != 1 ||
        EVP_DecryptUpdate(ctx.get(), bytes(plain), &length, bytes(cipher), static_cast<int>(cipher.size())) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag_size), tag.data()) != 1 ||
        EVP_DecryptFinal_ex(ctx.get(), bytes(plain) + length, &length) != 1)
        return std::nullopt;
    return plain;
}

}  // namespace chal::crypto
