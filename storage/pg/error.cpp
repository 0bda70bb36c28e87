#include "storage/pg/error.hpp"

#include <utility>

namespace chal::pg {

error::error(const std::string& what, error_fields fields, bool breaks_connection)
    : std::runtime_error{what},
      fields_{std::make_shared<const error_fields>(std::move(fields))},
      breaks_connection_{breaks_connection} {}

timeout_error::timeout_error(const std::string& what, bool breaks_connection)
    : error{what, error_fields{}, breaks_connection} {}

connection_error::connection_error(const std::string& what) : error{what, error_fields{}, true} {}

}  // namespace chal::pg
