#include "app/http/request_framing.hpp"

#include <boost/beast/http/field.hpp>

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <utility>

namespace chal::http {
namespace {

namespace bhttp = boost::beast::http;

bhttp::request_header<> header(unsigned version, std::initializer_list<std::pair<bhttp::field, std::string>> fields) {
    bhttp::request_header<> h;
    h.method(bhttp::verb::post);
    h.target("/api/v1/challenges");
    h.version(version);
    for (const auto& [name, value] : fields) h.insert(name, value);
    return h;
}

unsigned refused_with(const bhttp::request_header<>& h) {
    const auto refusal = refuse_unsafe_framing(h);
    return refusal ? refusal->status : 0;
}

constexpr auto te = bhttp::field::transfer_encoding;
constexpr auto cl = bhttp::field::content_length;

TEST(refuse_unsafe_framing, accepts_what_delimits_a_body_for_certain) {
    EXPECT_EQ(refused_with(header(11, {})), 0u);
    EXPECT_EQ(refused_with(header(10, {})), 0u);
    EXPECT_EQ(refused_with(header(11, {{cl, "12"}})), 0u);
    EXPECT_EQ(refused_with(header(10, {{cl, "12"}})), 0u);
    EXPECT_EQ(refused_with(header(11, {{te, "chunked"}})), 0u);
    EXPECT_EQ(refused_with(header(11, {{te, "Chunked"}})), 0u);
    EXPECT_EQ(refused_with(header(11, {{te, " chunked ,"}})), 0u);
}

TEST(refuse_unsafe_framing, refuses_a_transfer_encoding_that_does_not_end_in_chunked) {
    for (const char* value : {"gzip", "chunked, gzip", "chunked;q=1, identity", "", ",", "xchunked", "chunked-ish"}) {
        EXPECT_EQ(refused_with(header(11, {{te, value}})), 400u) << value;
    }
    // Over two field lines the list is "chunked, gzip".
    EXPECT_EQ(refused_with(header(11, {{te, "chunked"}, {te, "gzip"}})), 400u);
}

TEST(refuse_unsafe_framing, refuses_chunked_twice_and_codings_it_cannot_decode) {
    EXPECT_EQ(refused_with(header(11, {{te, "chunked, chunked"}})), 400u);
    EXPECT_EQ(refused_with(header(11, {{te, "chunked"}, {te, "chunked"}})), 400u);
    EXPECT_EQ(refused_with(header(11, {{te, "gzip, chunked"}})), 501u);
    EXPECT_EQ(refused_with(header(11, {{te, "gzip"}, {te, "chunked"}})), 501u);
}

TEST(refuse_unsafe_framing, refuses_transfer_encoding_with_content_length) {
    EXPECT_EQ(refused_with(header(11, {{te, "chunked"}, {cl, "5"}})), 400u);
    EXPECT_EQ(refused_with(header(11, {{cl, "5"}, {te, "chunked"}})), 400u);
    EXPECT_EQ(refused_with(header(11, {{te, "gzip"}, {cl, "5"}})), 400u);
}

TEST(refuse_unsafe_framing, refuses_more_than_one_content_length_even_when_equal) {
    EXPECT_EQ(refused_with(header(11, {{cl, "5"}, {cl, "5"}})), 400u);
    EXPECT_EQ(refused_with(header(11, {{cl, "5"}, {cl, "6"}})), 400u);
    EXPECT_EQ(refused_with(header(11, {{cl, "5, 5"}})), 400u);
    EXPECT_EQ(refused_with(header(10, {{cl, "5"}, {cl, "5"}})), 400u);
}

TEST(refuse_unsafe_framing, refuses_transfer_encoding_on_http_1_0) {
    EXPECT_EQ(refused_with(header(10, {{te, "chunked"}})), 400u);
    EXPECT_EQ(refused_with(header(10, {{te, "chunked"}, {cl, "5"}})), 400u);
}

}  // namespace
}  // namespace chal::http
