// Request ids: accept a caller's X-Request-Id when it is a plain token, otherwise make one.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace chal::http {

// At most 128 characters of [A-Za-z0-9._-], not empty. Anything else (spaces, quotes,
// control characters) could break log lines or be used to inject them, so it is replaced.
bool is_sane_request_id(std::string_view id) noexcept;

// 32 hex characters from a generator seeded once from std::random_device. Ids only need to
// be unique enough to correlate logs, not unguessable.
class request_id_generator {
public:
    request_id_generator();
    std::string next();

private:
    std::mt19937_64 engine_;
};

}  // namespace chal::http
