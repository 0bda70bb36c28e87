#include "storage/pg/result.hpp"

#include "storage/pg/text_format.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <stdexcept>
#include <string>

namespace chal::pg {

namespace {

[[noreturn]] void throw_shape(const pg_result* res, int column, const char* problem) {
    const char* name = PQfname(res, column);
    throw std::logic_error(
        std::string{"pg: column "} + std::to_string(column) + " (" + (name ? name : "?") + ") " + problem
    );
}

template <class Int>
Int parse_integer(const pg_result* res, int column, std::string_view text) {
    Int value{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) {
        throw_shape(res, column, "is not an integer of the requested size");
    }
    return value;
}

}  // namespace

bool row::is_null(int column) const {
    if (column < 0 || column >= PQnfields(res_)) {
        throw std::out_of_range("pg: column " + std::to_string(column) + " out of range");
    }
    return PQgetisnull(res_, index_, column) != 0;
}

std::string_view row::text(int column) const {
    if (is_null(column)) {
        throw_shape(res_, column, "is NULL; read it as std::optional");
    }
    return std::string_view{
        PQgetvalue(res_, index_, column), static_cast<std::size_t>(PQgetlength(res_, index_, column))};
}

template <>
std::string row::get<std::string>(int column) const {
    return std::string{text(column)};
}

template <>
std::optional<std::string> row::get<std::optional<std::string>>(int column) const {
    if (is_null(column)) {
        return std::nullopt;
    }
    return get<std::string>(column);
}

template <>
std::int64_t row::get<std::int64_t>(int column) const {
    return parse_integer<std::int64_t>(res_, column, text(column));
}

template <>
std::optional<std::int64_t> row::get<std::optional<std::int64_t>>(int column) const {
    if (is_null(column)) {
        return std::nullopt;
    }
    return get<std::int64_t>(column);
}

template <>
int row::get<int>(int column) const {
    return parse_integer<int>(res_, column, text(column));
}

template <>
std::optional<int> row::get<std::optional<int>>(int column) const {
    if (is_null(column)) {
        return std::nullopt;
    }
    return get<int>(column);
}

template <>
bool row::get<bool>(int column) const {
    const std::string_view value = text(column);
    if (value == "t") {
        return true;
    }
    if (value == "f") {
        return false;
    }
    throw_shape(res_, column, "is not a boolean");
}

template <>
std::optional<bool> row::get<std::optional<bool>>(int column) const {
    if (is_null(column)) {
        return std::nullopt;
    }
    return get<bool>(column);
}

template <>
std::chrono::sys_seconds row::get<std::chrono::sys_seconds>(int column) const {
    const auto parsed = text_format::parse_timestamp(text(column));
    if (!parsed) {
        throw_shape(res_, column, "is not an ISO timestamp within our range (infinity? BC?)");
    }
    return *parsed;
}

template <>
std::optional<std::chrono::sys_seconds> row::get<std::optional<std::chrono::sys_seconds>>(int column) const {
    if (is_null(column)) {
        return std::nullopt;
    }
    return get<std::chrono::sys_seconds>(column);
}

std::string row::get_bytea(int column) const {
    auto decoded = text_format::decode_bytea(text(column));
    if (!decoded) {
        throw_shape(res_, column, "is not bytea in hex output");
    }
    return std::move(*decoded);
}

std::optional<std::string> row::get_optional_bytea(int column) const {
    if (is_null(column)) {
        return std::nullopt;
    }
    return get_bytea(column);
}

result::result(pg_result* adopted) : res_{adopted, &PQclear} {}

std::size_t result::size() const noexcept {
    return res_ ? static_cast<std::size_t>(PQntuples(res_.get())) : 0;
}

row result::operator[](std::size_t index) const {
    if (index >= size()) {
        throw std::out_of_range("pg: row " + std::to_string(index) + " out of range");
    }
    return row{res_.get(), static_cast<int>(index)};
}

std::int64_t result::affected_rows() const {
    if (!res_) {
        return 0;
    }
    const std::string_view count = PQcmdTuples(res_.get());
    std::int64_t value = 0;
    std::from_chars(count.data(), count.data() + count.size(), value);
    return value;
}

int result::columns() const noexcept {
    return res_ ? PQnfields(res_.get()) : 0;
}

int result::column(std::string_view name) const {
    for (int i = 0; i < columns(); ++i) {
        if (name == PQfname(res_.get(), i)) {
            return i;
        }
    }
    throw std::out_of_range("pg: no column named " + std::string{name});
}

std::string_view result::command_tag() const noexcept {
    return res_ ? std::string_view{PQcmdStatus(res_.get())} : std::string_view{};
}

}  // namespace chal::pg
