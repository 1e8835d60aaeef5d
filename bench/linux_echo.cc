// fptcp-bench-echo: the Linux side of bench/run's "RR, 64 B echo" case, the
// counterpart of fptcp-server --mode echo and fptcp-gen --workload rr.
//
//   fptcp-bench-echo server ADDR PORT              epoll echo server, one thread
//   fptcp-bench-echo client ADDR PORT SIZE SECONDS one connection: SIZE bytes out,
//                                                  SIZE back, again; 1 s warm-up
//
// Both set TCP_NODELAY. The client prints "key: value" lines: requests,
// requests_per_s, p50_ns, p90_ns, p99_ns, p99_9_ns, max_ns (nearest rank over
// every round trip of the measured SECONDS, timed with CLOCK_MONOTONIC). The
// server echoes whatever arrives; with one request in flight per connection
// a write never blocks. Bad arguments: one line on stderr, exit 2; a socket
// failure: exit 1.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

[[noreturn]] void die(int code, const std::string& message) {
    std::fprintf(stderr, "fptcp-bench-echo: %s\n", message.c_str());
    std::exit(code);
}

[[noreturn]] void die_errno(const std::string& what) { die(1, what + ": " + std::strerror(errno)); }

std::optional<unsigned long> number(const char* text, unsigned long max) {
    char* end = nullptr;
    errno = 0;
    unsigned long v = std::strtoul(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v == 0 || v > max) return std::nullopt;
    return v;
}

sockaddr_in address(const char* ip, const char* port_text) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    std::optional<unsigned long> port = number(port_text, 65535);
    if (!port) die(2, std::string("not a port: ") + port_text);
    a.sin_port = htons(static_cast<uint16_t>(*port));
    if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) die(2, std::string("not an IPv4 address: ") + ip);
    return a;
}

void set_nodelay(int fd) {
    int on = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) != 0) die_errno("TCP_NODELAY");
}

void echo_ready(int fd) {
    std::array<char, 65536> buf;
    for (;;) {
        ssize_t n = read(fd, buf.data(), buf.size());
        if (n > 0) {
            if (write(fd, buf.data(), static_cast<size_t>(n)) == n) continue;
            close(fd);
            return;
        }
        if (n < 0 && errno == EAGAIN) return;
        close(fd);  // EOF or error; closing also removes it from the epoll set
        return;
    }
}

int serve(const sockaddr_in& at) {
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int on = 1;
    if (listener < 0 || setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0) die_errno("socket");
    if (bind(listener, reinterpret_cast<const sockaddr*>(&at), sizeof at) != 0) die_errno("bind");
    if (listen(listener, 4096) != 0) die_errno("listen");
    int ep = epoll_create1(0);
    epoll_event ev{.events = EPOLLIN, .data = {.fd = listener}};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev) != 0) die_errno("epoll");
    std::array<epoll_event, 64> events;
    for (;;) {
        int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), -1);
        if (n < 0 && errno != EINTR) die_errno("epoll_wait");
        for (int i = 0; i < n; ++i) {
            int fd = events[static_cast<size_t>(i)].data.fd;
            if (fd != listener) {
                echo_ready(fd);
                continue;
            }
            for (int c; (c = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK)) >= 0;) {
                set_nodelay(c);
                epoll_event cev{.events = EPOLLIN, .data = {.fd = c}};
                if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev) != 0) die_errno("epoll_ctl");
            }
        }
    }
}

void round_trip(int fd, std::vector<char>& buf) {
    if (write(fd, buf.data(), buf.size()) != static_cast<ssize_t>(buf.size())) die_errno("write");
    for (size_t got = 0; got < buf.size();) {
        ssize_t n = read(fd, buf.data() + got, buf.size() - got);
        if (n <= 0) die_errno("read (the server closed?)");
        got += static_cast<size_t>(n);
    }
}

int measure(const sockaddr_in& at, size_t size, unsigned long seconds) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, reinterpret_cast<const sockaddr*>(&at), sizeof at) != 0) die_errno("connect");
    set_nodelay(fd);
    std::vector<char> buf(size, 'x');
    clock_type::time_point start = clock_type::now();
    while (clock_type::now() - start < std::chrono::seconds(1)) round_trip(fd, buf);  // warm-up
    std::vector<int64_t> ns;
    ns.reserve(1 << 22);
    start = clock_type::now();
    clock_type::time_point end = start + std::chrono::seconds(seconds);
    clock_type::time_point now = start;
    while (now < end) {
        round_trip(fd, buf);
        clock_type::time_point after = clock_type::now();
        ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(after - now).count());
        now = after;
    }
    close(fd);
    std::sort(ns.begin(), ns.end());
    double elapsed = std::chrono::duration<double>(now - start).count();
    std::printf("requests: %zu\nrequests_per_s: %.0f\n", ns.size(), static_cast<double>(ns.size()) / elapsed);
    constexpr std::array<std::pair<std::string_view, double>, 4> percentiles{
        {{"p50", 0.50}, {"p90", 0.90}, {"p99", 0.99}, {"p99_9", 0.999}}};
    for (const auto& [name, p] : percentiles) {
        size_t rank = static_cast<size_t>(p * static_cast<double>(ns.size()) + 0.999999);  // nearest rank
        std::printf("%s_ns: %ld\n", name.data(), ns[std::clamp<size_t>(rank, 1, ns.size()) - 1]);
    }
    std::printf("max_ns: %ld\n", ns.back());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string_view mode = argc > 1 ? argv[1] : "";
    if (mode == "server" && argc == 4) return serve(address(argv[2], argv[3]));
    if (mode == "client" && argc == 6) {
        std::optional<unsigned long> size = number(argv[4], 1 << 20);
        std::optional<unsigned long> seconds = number(argv[5], 3600);
        if (!size || !seconds) die(2, "SIZE must be 1..1048576 and SECONDS 1..3600");
        return measure(address(argv[2], argv[3]), *size, *seconds);
    }
    die(2, "usage: fptcp-bench-echo server ADDR PORT | client ADDR PORT SIZE SECONDS");
}
