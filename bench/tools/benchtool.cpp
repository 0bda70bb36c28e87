// bench/tools/benchtool.cpp: loopback helpers for bench/run (no dependencies beyond libc/libstdc++).
//
//   benchtool receiver --port-file F --out F
//       A tiny HTTP/1.1 keep-alive server (epoll, one thread) answering every request with 200.
//       For each request whose body holds "challenge_id":"<id>" it records
//       "<id> <CLOCK_REALTIME ns at arrival> <signed 0|1>"; the records go to --out on SIGTERM/SIGINT.
//       GET /stats answers {"requests":N,"signed":S,"recorded":R,"connections":C (accepted)}.
//   benchtool create --port P --key K --count N --conns C --out F [--callback-url U]
//       Creates N challenges through POST /api/v1/challenges (C keep-alive connections) and
//       writes their ids, one a line. Fails unless every answer is 201.
//   benchtool cancel --port P --key K --ids F --rate R --conns C --out F
//       Open-loop paced cancels: request i is due at start + i/R; each of C keep-alive
//       connections takes every C-th id. Writes "<id> <status> <sent ns> <response complete ns>"
//       per id.
//   benchtool stall --count N --ports-file F
//       N listening sockets on 127.0.0.1 (ephemeral ports, written to F one a line) that accept
//       every connection, read what arrives and never answer: receivers that hang. On
//       SIGTERM/SIGINT prints how many connections were accepted and how many were open at most.
//   benchtool create-paced --port P --key K --count N --rate R --conns C --body B --out F
//       Open-loop paced POST /api/v1/challenges with body B ("{i}" replaced by the request's
//       number), as cancel paces: writes "<challenge_id or -> <status> <sent ns> <response ns>".
//
// Times are CLOCK_REALTIME (ns since the epoch) so bench/run can compare them with `date +%s%N`.
// Every loop is bounded: the client commands by the id count and a global deadline
// (--deadline-s, default 60), the receiver by the signal that bench/run sends.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

std::int64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "benchtool: %s (errno %d: %s)\n", what.c_str(), errno, std::strerror(errno));
    std::exit(1);
}

std::map<std::string, std::string> parse_options(int argc, char** argv, int first) {
    std::map<std::string, std::string> out;
    for (int i = first; i < argc; ++i) {
        std::string a = argv[i];
        if (a.rfind("--", 0) != 0 || i + 1 >= argc) die("bad argument " + a);
        out[a.substr(2)] = argv[++i];
    }
    return out;
}

std::string need(const std::map<std::string, std::string>& o, const std::string& k) {
    auto it = o.find(k);
    if (it == o.end()) die("missing --" + k);
    return it->second;
}

std::string get_or(const std::map<std::string, std::string>& o, const std::string& k, const std::string& d) {
    auto it = o.find(k);
    return it == o.end() ? d : it->second;
}

// Case-insensitive search of a header name at line starts in [head); returns value or "".
std::string_view header_value(std::string_view head, std::string_view name) {
    std::size_t pos = 0;
    while (pos < head.size()) {
        std::size_t eol = head.find("\r\n", pos);
        if (eol == std::string_view::npos) eol = head.size();
        std::string_view line = head.substr(pos, eol - pos);
        if (line.size() > name.size() && line[name.size()] == ':') {
            bool same = true;
            for (std::size_t i = 0; i < name.size(); ++i) {
                char a = line[i], b = name[i];
                if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
                if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
                if (a != b) {
                    same = false;
                    break;
                }
            }
            if (same) {
                std::string_view v = line.substr(name.size() + 1);
                while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
                return v;
            }
        }
        pos = eol + 2;
    }
    return {};
}

// The string value of "field" in a flat JSON object (whitespace around ':' allowed).
std::string json_string_field(std::string_view body, std::string_view field) {
    std::string pat = "\"" + std::string(field) + "\"";
    auto p = body.find(pat);
    if (p == std::string_view::npos) return {};
    p += pat.size();
    while (p < body.size() && (body[p] == ' ' || body[p] == ':' || body[p] == '\t')) ++p;
    if (p >= body.size() || body[p] != '"') return {};
    ++p;
    auto e = body.find('"', p);
    if (e == std::string_view::npos) return {};
    return std::string(body.substr(p, e - p));
}

// ---------------------------------------------------------------- receiver

volatile sig_atomic_t g_stop = 0;

// Ready events of `ep` within 200 ms (0 when a signal came first).
int wait_ready(int ep, std::vector<epoll_event>& events) {
    int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 200);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    return n < 0 ? 0 : n;
}

void on_signal(int) { g_stop = 1; }

// SIGTERM/SIGINT end the serving loop (its records are written then); writes to closed peers fail quietly.
void stop_on_signals() {
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa{};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
}

struct record {
    std::string id;
    std::int64_t at;
    bool is_signed;
};

struct conn_state {
    std::string in;
    std::string out;
};

int receiver(const std::map<std::string, std::string>& o) {
    const std::string port_file = need(o, "port-file");
    const std::string out_file = need(o, "out");
    stop_on_signals();

    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (ls < 0) die("socket");
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(std::stoi(get_or(o, "port", "0"))));
    if (bind(ls, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) die("bind");
    if (listen(ls, 1024) < 0) die("listen");
    socklen_t len = sizeof addr;
    getsockname(ls, reinterpret_cast<sockaddr*>(&addr), &len);
    {
        std::ofstream pf(port_file + ".tmp");
        pf << ntohs(addr.sin_port) << "\n";
    }
    std::rename((port_file + ".tmp").c_str(), port_file.c_str());

    int ep = epoll_create1(0);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = ls;
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);

    std::unordered_map<int, conn_state> conns;
    std::vector<record> records;
    records.reserve(200000);
    std::uint64_t requests = 0, signed_count = 0, accepted = 0;
    std::vector<epoll_event> events(256);
    char buf[65536];

    auto close_conn = [&](int fd) {
        epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
        close(fd);
        conns.erase(fd);
    };

    while (!g_stop) {
        const int n = wait_ready(ep, events);
        for (int i = 0; i < n; ++i) {
            int fd = events[i].data.fd;
            if (fd == ls) {
                for (;;) {
                    int c = accept4(ls, nullptr, nullptr, SOCK_NONBLOCK);
                    if (c < 0) break;
                    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    epoll_event cev{};
                    cev.events = EPOLLIN | EPOLLRDHUP;
                    cev.data.fd = c;
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
                    conns[c];
                    ++accepted;
                }
                continue;
            }
            auto it = conns.find(fd);
            if (it == conns.end()) continue;
            conn_state& st = it->second;
            bool closed = false;
            for (;;) {
                ssize_t r = read(fd, buf, sizeof buf);
                if (r > 0) {
                    st.in.append(buf, static_cast<std::size_t>(r));
                    continue;
                }
                if (r == 0) closed = true;
                else if (errno != EAGAIN && errno != EWOULDBLOCK) closed = true;
                break;
            }
            const std::int64_t now = now_ns();
            // Parse every complete request in the buffer.
            std::size_t consumed = 0;
            bool want_close = false;
            for (;;) {
                std::string_view view(st.in.data() + consumed, st.in.size() - consumed);
                auto hend = view.find("\r\n\r\n");
                if (hend == std::string_view::npos) break;
                std::string_view head = view.substr(0, hend + 2);
                std::size_t clen = 0;
                auto cl = header_value(head, "content-length");
                if (!cl.empty()) clen = std::strtoull(std::string(cl).c_str(), nullptr, 10);
                if (view.size() < hend + 4 + clen) break;
                std::string_view body = view.substr(hend + 4, clen);
                auto conn_hdr = header_value(head, "connection");
                if (conn_hdr == "close" || conn_hdr == "Close") want_close = true;
                ++requests;
                const bool is_signed = !header_value(head, "webhook-signature").empty();
                if (is_signed) ++signed_count;
                if (head.rfind("GET /stats", 0) == 0) {
                    std::string b = "{\"requests\":" + std::to_string(requests) + ",\"signed\":" +
                                    std::to_string(signed_count) + ",\"recorded\":" + std::to_string(records.size()) +
                                    ",\"connections\":" + std::to_string(accepted) + "}";
                    st.out += "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                              std::to_string(b.size()) + "\r\n\r\n" + b;
                } else {
                    auto id = json_string_field(body, "challenge_id");
                    if (!id.empty()) records.push_back({std::move(id), now, is_signed});
                    st.out += "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
                }
                consumed += hend + 4 + clen;
            }
            if (consumed) st.in.erase(0, consumed);
            if (!st.out.empty()) {
                // Loopback with small answers: a blocking-ish write loop is fine.
                std::size_t off = 0;
                int spins = 0;
                while (off < st.out.size() && spins < 1000) {
                    ssize_t w = write(fd, st.out.data() + off, st.out.size() - off);
                    if (w > 0) off += static_cast<std::size_t>(w);
                    else if (errno == EAGAIN) ++spins;
                    else {
                        closed = true;
                        break;
                    }
                }
                st.out.clear();
            }
            if (closed || want_close) close_conn(fd);
        }
    }
    FILE* f = std::fopen(out_file.c_str(), "w");
    if (!f) die("open " + out_file);
    for (const auto& r : records) std::fprintf(f, "%s %lld %d\n", r.id.c_str(), static_cast<long long>(r.at), r.is_signed ? 1 : 0);
    std::fclose(f);
    std::fprintf(stderr, "receiver: requests=%llu signed=%llu recorded=%zu connections=%llu\n",
                 static_cast<unsigned long long>(requests), static_cast<unsigned long long>(signed_count), records.size(),
                 static_cast<unsigned long long>(accepted));
    return 0;
}

// ---------------------------------------------------------------- client

struct client_conn {
    int fd = -1;
    std::string buf;
};

int connect_loopback(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval tv{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) die("connect");
    return fd;
}

// Sends one request, reads one Content-Length framed response. Returns status (0 on failure).
int roundtrip(client_conn& c, int port, const std::string& request, std::string* body_out) {
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (c.fd < 0) {
            c.fd = connect_loopback(port);
            c.buf.clear();
        }
        std::size_t off = 0;
        bool failed = false;
        while (off < request.size()) {
            ssize_t w = write(c.fd, request.data() + off, request.size() - off);
            if (w <= 0) {
                failed = true;
                break;
            }
            off += static_cast<std::size_t>(w);
        }
        char tmp[16384];
        while (!failed) {
            auto hend = c.buf.find("\r\n\r\n");
            if (hend != std::string::npos) {
                std::string_view head(c.buf.data(), hend + 2);
                std::size_t clen = 0;
                auto cl = header_value(head, "content-length");
                if (!cl.empty()) clen = std::strtoull(std::string(cl).c_str(), nullptr, 10);
                if (c.buf.size() >= hend + 4 + clen) {
                    int status = std::atoi(c.buf.c_str() + 9);
                    if (body_out) *body_out = c.buf.substr(hend + 4, clen);
                    bool close_after = header_value(head, "connection") == "close";
                    c.buf.erase(0, hend + 4 + clen);
                    if (close_after) {
                        close(c.fd);
                        c.fd = -1;
                    }
                    return status;
                }
            }
            ssize_t r = read(c.fd, tmp, sizeof tmp);
            if (r <= 0) {
                failed = true;
                break;
            }
            c.buf.append(tmp, static_cast<std::size_t>(r));
        }
        close(c.fd);
        c.fd = -1;
        if (off == request.size() && attempt == 0 && c.buf.empty()) continue;  // stale keep-alive: retry once
        return 0;
    }
    return 0;
}

std::vector<std::string> read_lines(const std::string& path) {
    std::ifstream in(path);
    if (!in) die("open " + path);
    std::vector<std::string> out;
    std::string line;
    while (std::getline(in, line))
        if (!line.empty()) out.push_back(line);
    return out;
}

int create(const std::map<std::string, std::string>& o) {
    const int port = std::stoi(need(o, "port"));
    const std::string key = need(o, "key");
    const int count = std::stoi(need(o, "count"));
    const int conns = std::stoi(get_or(o, "conns", "8"));
    const std::string out_file = need(o, "out");
    const std::string callback = get_or(o, "callback-url", "");
    const std::int64_t deadline = now_ns() + std::stoll(get_or(o, "deadline-s", "60")) * 1'000'000'000LL;
    std::vector<std::string> ids(static_cast<std::size_t>(count));
    std::atomic<int> next{0}, failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < conns; ++t) {
        threads.emplace_back([&, t] {
            client_conn c;
            for (;;) {
                int i = next.fetch_add(1);
                if (i >= count || now_ns() > deadline) break;
                std::string body = "{\"target_user_email\":\"user" + std::to_string(i) +
                                   "@example.com\",\"context\":\"Benchmark access request #" + std::to_string(i) +
                                   " for the production database (ticket INC-" + std::to_string(100000 + i) + ")\"";
                if (!callback.empty()) body += ",\"callback_url\":\"" + callback + "\"";
                body += "}";
                std::string req = "POST /api/v1/challenges HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: " + key +
                                  "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                                  "\r\n\r\n" + body;
                std::string resp;
                int status = roundtrip(c, port, req, &resp);
                if (status != 201) {
                    if (failures.fetch_add(1) < 5)
                        std::fprintf(stderr, "create: status %d body %s\n", status, resp.substr(0, 200).c_str());
                    continue;
                }
                ids[static_cast<std::size_t>(i)] = json_string_field(resp, "challenge_id");
            }
            if (c.fd >= 0) close(c.fd);
            (void)t;
        });
    }
    for (auto& th : threads) th.join();
    std::ofstream out(out_file);
    int written = 0;
    for (const auto& id : ids)
        if (!id.empty()) {
            out << id << "\n";
            ++written;
        }
    std::fprintf(stderr, "create: %d created, %d failed\n", written, failures.load());
    return written == count ? 0 : 1;
}

// Open-loop pacing: request i is due at start + i/rate, whatever became of the ones before;
// each of `conns` keep-alive connections takes every conns-th request.
struct paced_result {
    int status = 0;
    std::int64_t sent = 0, done = 0;
    std::string body;
};

std::vector<paced_result> run_paced(
    int port, std::size_t count, double rate, int conns, std::int64_t deadline,
    const std::function<std::string(std::size_t)>& request
) {
    std::vector<paced_result> results(count);
    const std::int64_t start = now_ns() + 50'000'000;  // all threads connected by then
    std::vector<std::thread> threads;
    for (int t = 0; t < conns; ++t) {
        threads.emplace_back([&, t] {
            client_conn c;
            c.fd = connect_loopback(port);
            for (std::size_t i = static_cast<std::size_t>(t); i < count; i += static_cast<std::size_t>(conns)) {
                const std::int64_t due = start + static_cast<std::int64_t>(static_cast<double>(i) * 1e9 / rate);
                std::int64_t now = now_ns();
                if (now > deadline) break;
                if (due > now) {
                    timespec ts{static_cast<time_t>(due / 1'000'000'000), static_cast<long>(due % 1'000'000'000)};
                    clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, nullptr);
                }
                const std::string req = request(i);
                results[i].sent = now_ns();
                results[i].status = roundtrip(c, port, req, &results[i].body);
                results[i].done = now_ns();
            }
            if (c.fd >= 0) close(c.fd);
        });
    }
    for (auto& th : threads) th.join();
    return results;
}

int cancel(const std::map<std::string, std::string>& o) {
    const int port = std::stoi(need(o, "port"));
    const std::string key = need(o, "key");
    const auto ids = read_lines(need(o, "ids"));
    const double rate = std::stod(need(o, "rate"));
    const int conns = std::stoi(get_or(o, "conns", "8"));
    const std::string out_file = need(o, "out");
    const std::int64_t deadline = now_ns() + std::stoll(get_or(o, "deadline-s", "60")) * 1'000'000'000LL;
    const auto results = run_paced(port, ids.size(), rate, conns, deadline, [&](std::size_t i) {
        return "POST /api/v1/challenges/" + ids[i] + "/cancel HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: " + key +
               "\r\nContent-Length: 0\r\n\r\n";
    });
    FILE* f = std::fopen(out_file.c_str(), "w");
    if (!f) die("open " + out_file);
    int ok = 0;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        std::fprintf(f, "%s %d %lld %lld\n", ids[i].c_str(), results[i].status, static_cast<long long>(results[i].sent),
                     static_cast<long long>(results[i].done));
        if (results[i].status == 200) ++ok;
    }
    std::fclose(f);
    std::fprintf(stderr, "cancel: %d of %zu answered 200\n", ok, ids.size());
    return 0;
}

// ---------------------------------------------------------------- stalling receivers

int stall(const std::map<std::string, std::string>& o) {
    const int count = std::stoi(need(o, "count"));
    const std::string ports_file = need(o, "ports-file");
    stop_on_signals();
    int ep = epoll_create1(0);
    std::vector<int> listeners;
    std::string ports;
    for (int i = 0; i < count; ++i) {
        int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (ls < 0) die("socket");
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (bind(ls, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) die("bind");
        if (listen(ls, 64) < 0) die("listen");
        socklen_t len = sizeof addr;
        getsockname(ls, reinterpret_cast<sockaddr*>(&addr), &len);
        ports += std::to_string(ntohs(addr.sin_port)) + "\n";
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = static_cast<std::uint64_t>(ls) | (1ULL << 32);  // marks a listener
        epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
        listeners.push_back(ls);
    }
    {
        std::ofstream pf(ports_file + ".tmp");
        pf << ports;
    }
    std::rename((ports_file + ".tmp").c_str(), ports_file.c_str());
    std::uint64_t accepted = 0;
    long open_now = 0, open_max = 0;
    std::vector<epoll_event> events(256);
    char buf[65536];
    while (!g_stop) {
        const int n = wait_ready(ep, events);
        for (int i = 0; i < n; ++i) {
            const int fd = static_cast<int>(events[i].data.u64 & 0xffffffffULL);
            if (events[i].data.u64 >> 32) {
                for (;;) {
                    int c = accept4(fd, nullptr, nullptr, SOCK_NONBLOCK);
                    if (c < 0) break;
                    epoll_event cev{};
                    cev.events = EPOLLIN | EPOLLRDHUP;
                    cev.data.u64 = static_cast<std::uint64_t>(c);
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
                    ++accepted;
                    open_max = std::max(open_max, ++open_now);
                }
                continue;
            }
            bool closed = false;
            for (;;) {  // read and drop; a hanging receiver never answers
                ssize_t r = read(fd, buf, sizeof buf);
                if (r > 0) continue;
                closed = r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
                break;
            }
            if (closed) {
                epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
                close(fd);
                --open_now;
            }
        }
    }
    std::fprintf(stderr, "stall: accepted=%llu open_max=%ld\n", static_cast<unsigned long long>(accepted), open_max);
    return 0;
}

int create_paced(const std::map<std::string, std::string>& o) {
    const int port = std::stoi(need(o, "port"));
    const std::string key = need(o, "key");
    const auto count = static_cast<std::size_t>(std::stoi(need(o, "count")));
    const double rate = std::stod(need(o, "rate"));
    const int conns = std::stoi(get_or(o, "conns", "8"));
    const std::string body_template = need(o, "body");
    const std::string out_file = need(o, "out");
    const std::int64_t deadline = now_ns() + std::stoll(get_or(o, "deadline-s", "60")) * 1'000'000'000LL;
    const auto results = run_paced(port, count, rate, conns, deadline, [&](std::size_t i) {
        std::string body = body_template;
        for (auto p = body.find("{i}"); p != std::string::npos; p = body.find("{i}")) body.replace(p, 3, std::to_string(i));
        return "POST /api/v1/challenges HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: " + key +
               "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    });
    FILE* f = std::fopen(out_file.c_str(), "w");
    if (!f) die("open " + out_file);
    std::size_t ok = 0;
    for (const auto& r : results) {
        const auto id = json_string_field(r.body, "challenge_id");
        std::fprintf(f, "%s %d %lld %lld\n", id.empty() ? "-" : id.c_str(), r.status, static_cast<long long>(r.sent),
                     static_cast<long long>(r.done));
        if (r.status == 201) ++ok;
        else if (ok == 0 && r.status != 0) std::fprintf(stderr, "create-paced: status %d body %s\n", r.status, r.body.substr(0, 200).c_str());
    }
    std::fclose(f);
    std::fprintf(stderr, "create-paced: %zu of %zu answered 201\n", ok, count);
    return ok == count ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: benchtool receiver|create|cancel|stall|create-paced --option value ...\n");
        return 2;
    }
    const std::string cmd = argv[1];
    auto o = parse_options(argc, argv, 2);
    if (cmd == "receiver") return receiver(o);
    if (cmd == "create") return create(o);
    if (cmd == "cancel") return cancel(o);
    if (cmd == "stall") return stall(o);
    if (cmd == "create-paced") return create_paced(o);
    std::fprintf(stderr, "unknown command %s\n", cmd.c_str());
    return 2;
}
