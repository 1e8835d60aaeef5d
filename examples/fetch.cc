// fptcp-fetch: the smallest complete embedding of fptcp, and its active open.
// It downloads one HTTP/1.1 resource over an fptcp port and writes the body
// to a file:
//
//   fptcp-fetch --port af_packet:veth0 --ip 10.71.1.2/24 --url http://10.71.1.1:8000/blob --output /tmp/blob
//
// Everything an embedding needs is here: start a runtime (the EAL and the
// port), create a stack with a handler, connect, and poll.

#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "fptcp/fptcp.hh"

namespace {

using namespace fptcp;

struct arguments {
    std::string port, output, host, path = "/";
    uint32_t ip = 0, server = 0;
    uint8_t prefix = 24;
    uint16_t server_port = 80;
    unsigned timeout_s = 60;
};

// http://A.B.C.D[:PORT][/PATH]
bool parse_url(std::string_view url, arguments& a) {
    if (!url.starts_with("http://")) return false;
    url.remove_prefix(7);
    std::size_t slash = url.find('/');
    std::string_view authority = url.substr(0, slash);
    if (slash != std::string_view::npos) a.path = std::string(url.substr(slash));
    a.host = std::string(authority);
    std::size_t colon = authority.find(':');
    if (colon != std::string_view::npos) {
        auto port = authority.substr(colon + 1);
        if (std::from_chars(port.data(), port.data() + port.size(), a.server_port).ec != std::errc()) return false;
        authority = authority.substr(0, colon);
    }
    auto ip = parse_ipv4(authority);
    if (!ip) return false;
    a.server = *ip;
    return true;
}

bool parse_arguments(int argc, char** argv, arguments& a) {
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string_view key = argv[i], value = argv[i + 1];
        if (key == "--port") {
            a.port = value;
        } else if (key == "--output") {
            a.output = value;
        } else if (key == "--url") {
            if (!parse_url(value, a)) return false;
        } else if (key == "--timeout") {
            a.timeout_s = static_cast<unsigned>(std::stoul(std::string(value)));
        } else if (key == "--ip") {
            std::size_t slash = value.find('/');
            auto ip = parse_ipv4(value.substr(0, slash));
            if (!ip || slash == std::string_view::npos) return false;
            a.ip = *ip;
            a.prefix = static_cast<uint8_t>(std::stoi(std::string(value.substr(slash + 1))));
        } else {
            return false;
        }
    }
    return argc % 2 == 1 && !a.port.empty() && a.ip != 0 && a.server != 0 && !a.output.empty();
}

// Sends the request when connected, writes the body as it arrives, and is
// done when the server closes (the request says "Connection: close").
class fetcher final : public handler {
public:
    fetcher(const arguments& a, FILE* out) : _args(a), _out(out) {}

    void on_open(connection& c) override {
        std::string request = "GET " + _args.path + " HTTP/1.1\r\nHost: " + _args.host +
                              "\r\nUser-Agent: fptcp-fetch\r\nConnection: close\r\n\r\n";
        c.send(std::span(reinterpret_cast<const uint8_t*>(request.data()), request.size()));
    }

    void on_data(connection& c) override {
        uint32_t n = 0;
        for (auto part : c.readable()) {
            n += static_cast<uint32_t>(part.size());
            write(part);
        }
        c.consume(n);
    }

    void on_peer_closed(connection& c) override { c.close(); }

    void on_closed(connection&, close_reason r) override {
        done = true;
        reason = r;
    }

    bool done = false;
    close_reason reason = close_reason::none;
    uint64_t body_bytes = 0;

private:
    // Skips the response header, then writes the body.
    void write(std::span<const uint8_t> part) {
        while (!_header_done && !part.empty()) {
            _tail = (_tail << 8) | part.front();
            part = part.subspan(1);
            _header_done = _tail == 0x0d0a0d0a;  // "\r\n\r\n"
        }
        body_bytes += part.size();
        std::fwrite(part.data(), 1, part.size(), _out);
    }

    const arguments& _args;
    FILE* _out;
    uint32_t _tail = 0;
    bool _header_done = false;
};

}  // namespace

int main(int argc, char** argv) {
    arguments args;
    if (!parse_arguments(argc, argv, args)) {
        std::fprintf(stderr, "usage: fptcp-fetch --port SPEC --ip ADDR/PREFIX --url http://IP[:PORT]/PATH --output FILE "
                             "[--timeout SECONDS]\n");
        return 2;
    }
    runtime_settings settings;
    settings.port = args.port;
    settings.cpus = std::to_string(default_peer_cpu());
    settings.stack.ip = args.ip;
    settings.stack.prefix = args.prefix;
    settings.stack.max_connections = 16;
    settings.stack.max_time_wait = 16;
    std::string error;
    std::unique_ptr<runtime> rt = runtime::start(settings, argv[0], error);
    FILE* out = rt ? std::fopen(args.output.c_str(), "wb") : nullptr;
    if (!rt || !out) {
        std::fprintf(stderr, "fptcp-fetch: %s\n", rt ? std::strerror(errno) : error.c_str());
        return 1;
    }
    fetcher f(args, out);
    stack* s = rt->create_stack(0, f, error);
    rt->wait_for_link(3000);  // a memif peer may still be connecting
    if (s != nullptr && s->connect(rt->now(), args.server, args.server_port) != nullptr) {
        time_point deadline = rt->now() + std::chrono::seconds(args.timeout_s);
        while (!f.done && rt->now() < deadline && !rt->stopping()) s->poll(rt->now());
    }
    std::fclose(out);
    if (s == nullptr) {
        std::fprintf(stderr, "fptcp-fetch: %s\n", error.c_str());
        return 1;
    }
    std::fprintf(stderr, "fptcp-fetch: %lu body bytes, %s\n", f.body_bytes,
                 f.done ? std::string(to_string(f.reason)).c_str() : "timed out");
    return f.done && f.reason == close_reason::normal ? 0 : 1;
}
