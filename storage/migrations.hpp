// Versioned schema migrations, embedded in the binary and applied under an advisory lock so
// several instances starting at once apply each exactly once.
#pragma once

#include "storage/pg/pool.hpp"

#include <boost/asio/awaitable.hpp>

#include <string>
#include <vector>

namespace chal::storage {

struct migration {
    int version;
    std::string name;
    std::string sql;
};

const std::vector<migration>& all_migrations();

// Applies every migration newer than the database's version, each in its own transaction,
// holding a session advisory lock. Returns the names applied (empty when up to date).
boost::asio::awaitable<std::vector<std::string>> migrate(pg::pool& db);

}  // namespace chal::storage
