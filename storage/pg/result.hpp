// Query results: RAII over libpq's PGresult, read by row and column in text format.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

struct pg_result;  // libpq's PGresult, kept out of our headers

namespace chal::pg {

class connection;

// One row of a result; valid while its result lives. Reading a column as a type it does not
// hold (text as int, NULL as a non-optional, a bad column number) is a bug in the query or
// its caller: it throws std::logic_error (std::out_of_range for bad positions).
class row {
public:
    row(const pg_result* res, int index) noexcept : res_{res}, index_{index} {}

    // T is one of: std::string, std::optional<std::string>, std::int64_t,
    // std::optional<std::int64_t>, int, std::optional<int>, bool, std::optional<bool>,
    // std::chrono::sys_seconds, std::optional<std::chrono::sys_seconds>. Timestamps are
    // read as UTC with fractional seconds truncated.
    template <class T>
    T get(int column) const {
        static_assert(!std::is_same_v<T, T>, "pg::row::get: unsupported column type");
    }
    // bytea columns, decoded from hex output to raw bytes.
    std::string get_bytea(int column) const;
    std::optional<std::string> get_optional_bytea(int column) const;

    bool is_null(int column) const;
    int index() const noexcept { return index_; }

private:
    std::string_view text(int column) const;  // checks position and non-NULL

    const pg_result* res_;
    int index_;
};

template <>
std::string row::get<std::string>(int column) const;
template <>
std::optional<std::string> row::get<std::optional<std::string>>(int column) const;
template <>
std::int64_t row::get<std::int64_t>(int column) const;
template <>
std::optional<std::int64_t> row::get<std::optional<std::int64_t>>(int column) const;
template <>
int row::get<int>(int column) const;
template <>
std::optional<int> row::get<std::optional<int>>(int column) const;
template <>
bool row::get<bool>(int column) const;
template <>
std::optional<bool> row::get<std::optional<bool>>(int column) const;
template <>
std::chrono::sys_seconds row::get<std::chrono::sys_seconds>(int column) const;
template <>
std::optional<std::chrono::sys_seconds> row::get<std::optional<std::chrono::sys_seconds>>(int column) const;

// The outcome of one statement (for a multi-statement script, of the last one). Cheap to copy:
// copies share the underlying PGresult. A default-constructed result is empty.
class result {
public:
    class iterator {
    public:
        using iterator_concept = std::forward_iterator_tag;
        using iterator_category = std::input_iterator_tag;
        using value_type = row;
        using difference_type = std::ptrdiff_t;
        using reference = row;

        iterator() = default;
        iterator(const pg_result* res, int index) noexcept : res_{res}, index_{index} {}
        row operator*() const noexcept { return row{res_, index_}; }
        iterator& operator++() noexcept {
            ++index_;
            return *this;
        }
        iterator operator++(int) noexcept {
            iterator before = *this;
            ++index_;
            return before;
        }
        bool operator==(const iterator& other) const noexcept = default;

    private:
        const pg_result* res_ = nullptr;
        int index_ = 0;
    };

    result() = default;

    std::size_t size() const noexcept;
    bool empty() const noexcept { return size() == 0; }
    row operator[](std::size_t index) const;  // std::out_of_range past the end
    iterator begin() const noexcept { return iterator{res_.get(), 0}; }
    iterator end() const noexcept { return iterator{res_.get(), static_cast<int>(size())}; }

    // Rows touched by INSERT/UPDATE/DELETE/MERGE (and rows returned by SELECT); 0 otherwise.
    std::int64_t affected_rows() const;
    int columns() const noexcept;
    // Position of the column called `name`; std::out_of_range if there is none.
    int column(std::string_view name) const;
    // The command tag, e.g. "INSERT 0 1", "COMMIT", "ROLLBACK".
    std::string_view command_tag() const noexcept;

private:
    friend class connection;
    explicit result(pg_result* adopted);

    std::shared_ptr<pg_result> res_;
};

}  // namespace chal::pg
