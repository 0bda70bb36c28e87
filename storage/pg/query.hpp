// A named SQL statement: the unit every repository query is declared as (style guide B.9.9).
#pragma once

namespace chal::pg {

// `name` is the prepared-statement name on every connection and the tag in logs and errors,
// so it must be unique per distinct `text`. Declare queries as constants next to their
// repository:
//     inline constexpr pg::query find_tenant{"find_tenant", "SELECT ... WHERE id = $1"};
// Both pointers must outlive every use (string literals do).
struct query {
    const char* name;
    const char* text;
};

}  // namespace chal::pg
