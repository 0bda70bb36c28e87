// The HTTP request head as the server handles it: the input is the bytes of one connection to a
// real http::server on loopback (Beast's request_parser with our limits, session.cpp's checks,
// the router, and the handlers' cookie and query readers), closed for writing after them; the
// answer is read to the end. Properties: every answer is a well-formed HTTP/1.1 response with
// an X-Request-Id, never a 500 (these handlers do not throw); the connection ends within 5 s;
// route parameters are never empty.
#include "app/http/request_fields.hpp"
#include "app/http/router.hpp"
#include "app/http/server.hpp"
#include "fuzz/fuzz_input.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <array>
#include <chrono>

namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using namespace std::chrono_literals;
using chal::fuzz::require;

asio::awaitable<chal::http::response> echo(chal::http::request_context& ctx) {
    std::string body(ctx.path);
    for (const auto& [name, value] : ctx.params.items()) {
        require(!value.empty(), "a route parameter is never empty");
        body += "\n" + name + "=" + value;
    }
    body += "\n" + chal::http::cookie_value(ctx.req, "chal_browser").value_or("-");
    body += "\n" + std::to_string(chal::http::decoded_fields(ctx.query).size());
    chal::http::response res{bhttp::status::ok, 11};
    res.body() = std::move(body);
    co_return res;
}

// Shapes like the service's table (app/service/routes.cpp): literals against parameters, one
// path under several verbs, several parameters in one pattern.
chal::http::router routes() {
    using bhttp::verb;
    std::vector<chal::http::route> table{
        {verb::post, "/api/v1/challenges", "create", echo},
        {verb::get, "/api/v1/challenges", "list", echo},
        {verb::get, "/api/v1/challenges/{challenge_id}", "get", echo},
        {verb::post, "/api/v1/challenges/{challenge_id}/cancel", "cancel", echo},
        {verb::get, "/api/v1/openapi.json", "openapi", echo},
        {verb::get, "/challenge/start/{challenge_id}/report", "report_form", echo},
        {verb::post, "/challenge/start/{challenge_id}/report", "report", echo},
        {verb::post, "/slack/{tenant}/{instance}/events", "slack", echo},
        {verb::get, "/slack/install", "install", echo},
    };
    return chal::http::router(std::move(table));
}

struct loopback_server {
    asio::io_context io;
    chal::http::server server{io.get_executor(), {.read_timeout = 5s, .idle_timeout = 5s}, routes(), {}};
    asio::ip::tcp::endpoint endpoint{asio::ip::make_address_v4("127.0.0.1"), server.local_port()};
};
loopback_server* shared = nullptr;  // made once and never destroyed: sessions may outlive main

asio::awaitable<void> exchange(std::string_view request, std::string& answer, bool& done) {
    boost::beast::tcp_stream stream{co_await asio::this_coro::executor};
    stream.expires_after(5s);
    constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
    if (auto [ec] = co_await stream.async_connect(shared->endpoint, use_tuple); !ec) {
        co_await asio::async_write(stream, asio::buffer(request.data(), request.size()), use_tuple);
        boost::system::error_code ignored;
        stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
        std::array<char, 4096> chunk{};
        for (;;) {
            auto [read_ec, n] = co_await stream.async_read_some(asio::buffer(chunk), use_tuple);
            answer.append(chunk.data(), n);
            if (read_ec) break;
        }
    }
    done = true;
}

void require_well_formed(std::string_view answer) {
    while (!answer.empty()) {
        bhttp::response_parser<bhttp::string_body> parser;
        parser.eager(true);
        boost::system::error_code ec;
        while (!ec && !parser.is_done() && !answer.empty()) {
            answer.remove_prefix(parser.put(asio::buffer(answer.data(), answer.size()), ec));
        }
        require(!ec && parser.is_done(), "every answer is a well-formed HTTP response");
        const auto& res = parser.get();
        require(res.version() == 11 || res.version() == 10, "answers speak HTTP/1.x");
        if (res.result_int() < 200) continue;  // 100 Continue
        require(res.result_int() != 500, "no request makes these handlers fail");
        require(res.count("X-Request-Id") == 1, "every answer has one X-Request-Id");
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    shared = new loopback_server;
    asio::co_spawn(shared->io, shared->server.run(), asio::detached);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string answer;
    bool done = false;
    asio::co_spawn(shared->io, exchange(chal::fuzz::as_text(data, size), answer, done), asio::detached);
    shared->io.restart();
    const auto deadline = std::chrono::steady_clock::now() + 6s;
    while (!done && std::chrono::steady_clock::now() < deadline) shared->io.run_one_for(100ms);
    require(done, "the server ends the exchange within 5 s");
    // The server's side of the connection finishes its last handlers before the next input.
    shared->io.poll();
    require_well_formed(answer);
    return 0;
}
