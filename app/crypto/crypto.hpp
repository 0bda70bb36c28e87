// Hashes, MACs, encodings, randomness and sealed secrets over OpenSSL. Every secret that
// rests in the database passes through secret_box.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace chal::crypto {

std::string sha256(std::string_view data);  // 32 raw bytes
std::string sha256_hex(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);  // 32 raw bytes

// Compares in time that depends only on the lengths (CRYPTO_memcmp).
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

std::string random_bytes(std::size_t count);  // RAND_bytes; throws if the CSPRNG fails
double random_unit();                         // uniform in [0, 1), for jitter
std::uint32_t random_u32();                   // uniform 32-bit value from the CSPRNG

std::string hex_encode(std::string_view raw);
std::string base64_encode(std::string_view raw);
std::string base64url_encode(std::string_view raw);  // no padding
// Strict RFC 4648 decoding: nullopt for characters outside the alphabet (whitespace too), a
// length no encoding has, misplaced or excess padding, and non-zero pad bits. Never throws.
std::optional<std::string> base64_decode(std::string_view text);     // standard; padded or not
std::optional<std::string> base64url_decode(std::string_view text);  // URL alphabet, no padding

// RFC 9562 version 7: 48-bit Unix milliseconds then randomness, so ids sort by creation.
std::string new_uuid_v7(std::chrono::system_clock::time_point now);
// The smallest UUIDv7 minted at or after `t`: ids sort by creation, so `id >= floor` is
// "created since t" on an index of ids.
std::string uuid_v7_floor(std::chrono::system_clock::time_point t);
bool is_uuid(std::string_view text) noexcept;

// AES-256-GCM with a 96-bit random nonce. `associated` binds a ciphertext to its place
// (e.g. "integration:<id>:webhook_secret") so a sealed value copied to another row fails
// to open. Layout: version byte 0x01 | nonce | ciphertext | 16-byte tag.
class secret_box {
public:
    explicit secret_box(std::string key);  // exactly 32 bytes, else std::invalid_argument
    std::string seal(std::string_view plaintext, std::string_view associated) const;
    std::optional<std::string> open(std::string_view sealed, std::string_view associated) const;
    // A 32-byte key for `purpose` derived from the master key (HMAC-SHA256 of the purpose), so
    // the master key itself signs nothing and one purpose's MACs never verify as another's.
    std::string derive_key(std::string_view purpose) const;

private:
    std::string key_;
};

}  // namespace chal::crypto
