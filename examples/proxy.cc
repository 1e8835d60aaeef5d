// fptcp-proxy: an L4 TCP proxy, the canonical appliance. It accepts on a
// port, opens a connection to a backend for each client (round robin over
// the backends given), and splices the two: bytes flow both ways with
// backpressure (a side's receive window stays closed while the other side's
// send buffer is full), a FIN is passed on once what preceded it was
// delivered, and a reset on either side resets the other. A client whose
// backend cannot be reached gets a reset.
//
//   fptcp-proxy --port af_packet:veth0 --ip 10.74.1.2/24 --listen 80
//               --backend 10.74.1.3:80 [--backend IP:PORT ...] [--lcores N]
//
// One stack per lcore; a backend connection is opened on the client's lcore
// (fptcp's source ports bring its replies back there).

#include <charconv>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fptcp/fptcp.hh"

namespace {

using namespace fptcp;

struct endpoint {
    uint32_t ip = 0;
    uint16_t port = 0;
};

struct arguments {
    std::string port, eal, pcap;
    uint32_t ip = 0;
    uint8_t prefix = 24;
    std::optional<uint32_t> gateway;
    uint16_t listen = 0;
    std::vector<endpoint> backends;
    uint16_t lcores = 1;
    uint32_t max_connections = 16384;  // per lcore, clients and backends together
};

template <class Number>
bool parse_number(std::string_view text, Number& out) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && end == text.data() + text.size();
}

// "A.B.C.D:PORT" or "A.B.C.D/PREFIX": the address, and the number after `separator`.
template <class Number>
bool parse_address_and(std::string_view text, char separator, uint32_t& ip, Number& number) {
    std::size_t at = text.find(separator);
    if (at == std::string_view::npos) return false;
    std::optional<uint32_t> addr = parse_ipv4(text.substr(0, at));
    if (!addr || !parse_number(text.substr(at + 1), number)) return false;
    ip = *addr;
    return true;
}

std::string parse_arguments(int argc, char** argv, arguments& a) {
    for (int i = 1; i < argc; i += 2) {
        std::string_view key = argv[i];
        if (i + 1 == argc) return "missing a value after " + std::string(key);
        std::string_view value = argv[i + 1];
        bool ok = true;
        if (key == "--port") {
            a.port = value;
        } else if (key == "--eal") {
            a.eal = value;
        } else if (key == "--pcap") {
            a.pcap = value;
        } else if (key == "--ip") {
            ok = parse_address_and(value, '/', a.ip, a.prefix) && a.prefix <= 32;
        } else if (key == "--gateway") {
            a.gateway = parse_ipv4(value);
            ok = a.gateway.has_value();
        } else if (key == "--listen") {
            ok = parse_number(value, a.listen) && a.listen != 0;
        } else if (key == "--backend") {
            endpoint& b = a.backends.emplace_back();
            ok = parse_address_and(value, ':', b.ip, b.port) && b.port != 0;
        } else if (key == "--lcores") {
            ok = parse_number(value, a.lcores) && a.lcores != 0;
        } else if (key == "--max-connections") {
            ok = parse_number(value, a.max_connections) && a.max_connections != 0;
        } else {
            return "unknown option " + std::string(key);
        }
        if (!ok) return std::string(key) + ": bad value '" + std::string(value) + "'";
    }
    if (a.port.empty() || a.ip == 0 || a.listen == 0 || a.backends.empty()) {
        return "--port, --ip, --listen and at least one --backend are needed";
    }
    return {};
}

// The two connections of one proxied session. A side is null once closed.
struct session {
    connection* client = nullptr;
    connection* backend = nullptr;
    bool backend_open = false;  // its handshake completed
    bool client_eof = false, backend_eof = false;  // that side's FIN arrived

    connection*& side(const connection& c) { return &c == client ? client : backend; }
    connection* other(const connection& c) const { return &c == client ? backend : client; }
    bool& eof_of(const connection& c) { return &c == client ? client_eof : backend_eof; }
};

struct proxy_counts {
    uint64_t sessions = 0, backend_failures = 0, resets_passed = 0, bytes = 0;
};

// One lcore's proxy: the handler of its stack.
class proxy final : public handler {
public:
    proxy(const runtime& rt, const std::vector<endpoint>& backends, uint32_t max_connections)
        : _rt(rt), _backends(backends), _sessions(max_connections) {
        _free.reserve(max_connections);
        for (uint32_t i = max_connections; i > 0; --i) _free.push_back(i - 1);
    }

    void attach(stack& s) { _stack = &s; }
    const proxy_counts& counts() const { return _counts; }

    void on_open(connection& c) override {
        if (c.passive()) {
            accept(c);
            return;
        }
        session& s = of(c);
        s.backend_open = true;
        if (s.client != nullptr) splice(*s.client, c, s);
    }

    void on_data(connection& c) override {
        session& s = of(c);
        if (connection* to = writable_other(c, s)) splice(c, *to, s);
    }

    // Room in c's send buffer: more of the other side's bytes fit.
    void on_writable(connection& c) override {
        session& s = of(c);
        if (connection* from = s.other(c); from != nullptr && s.backend_open) splice(*from, c, s);
    }

    void on_peer_closed(connection& c) override {
        session& s = of(c);
        s.eof_of(c) = true;
        if (connection* to = writable_other(c, s)) splice(c, *to, s);
    }

    // A reset (either peer's, a timeout, or our abort) resets the other side;
    // a normal close has already passed its FIN on. The session ends with
    // its second side.
    void on_closed(connection& c, close_reason r) override {
        session& s = of(c);
        bool unreached_backend = &c == s.backend && !s.backend_open;
        connection* other = s.other(c);
        s.side(c) = nullptr;
        if (other != nullptr && r != close_reason::normal) {
            ++_counts.resets_passed;
            if (unreached_backend) ++_counts.backend_failures;
            other->abort();
            return;
        }
        if (s.client == nullptr && s.backend == nullptr) _free.push_back(static_cast<uint32_t>(&s - _sessions.data()));
    }

private:
    session& of(const connection& c) { return *static_cast<session*>(c.user); }

    // The side c's bytes go to, when it can take them (a backend only once
    // its handshake completed: until then the client's bytes wait, and its
    // window closes as they fill the buffer).
    connection* writable_other(const connection& c, const session& s) const {
        connection* to = s.other(c);
        return to != nullptr && s.backend_open ? to : nullptr;
    }

    void accept(connection& client) {
        if (_free.empty()) {
            client.abort();
            return;
        }
        session& s = _sessions[_free.back()];
        _free.pop_back();
        s = session{.client = &client};
        client.user = &s;
        client.set_nodelay(true);  // the proxy forwards what it has: no Nagle delay on either side
        const endpoint& b = _backends[_next_backend];
        _next_backend = (_next_backend + 1) % _backends.size();
        ++_counts.sessions;
        s.backend = _stack->connect(_rt.now(), b.ip, b.port, &s);
        if (s.backend == nullptr) {  // no connection slot or source port free
            ++_counts.backend_failures;
            client.abort();
            return;
        }
        s.backend->set_nodelay(true);
    }

    // Moves what `from` received into `to`'s send buffer, as much as fits;
    // what was taken is consumed, which opens `from`'s window again. Once
    // `from`'s FIN came and all before it moved, `to` gets our FIN.
    void splice(connection& from, connection& to, session& s) {
        uint32_t moved = 0;
        for (std::span<const uint8_t> part : from.readable()) {
            uint32_t n = to.send(part);
            moved += n;
            if (n < part.size()) break;
        }
        from.consume(moved);
        _counts.bytes += moved;
        if (s.eof_of(from) && from.readable_size() == 0) to.shutdown();
    }

    const runtime& _rt;
    const std::vector<endpoint>& _backends;
    stack* _stack = nullptr;
    std::vector<session> _sessions;
    std::vector<uint32_t> _free;
    std::size_t _next_backend = 0;
    proxy_counts _counts;
};

int fail(const std::string& message) {
    std::fprintf(stderr, "fptcp-proxy: %s\n", message.c_str());
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    arguments args;
    if (std::string problem = parse_arguments(argc, argv, args); !problem.empty()) {
        std::fprintf(stderr, "fptcp-proxy: %s\nusage: fptcp-proxy --port SPEC --ip ADDR/PREFIX --listen PORT "
                             "--backend IP:PORT [--backend IP:PORT ...] [--gateway ADDR] [--lcores N] "
                             "[--max-connections N] [--pcap FILE] [--eal ARGS]\n",
                     problem.c_str());
        return 2;
    }
    runtime_settings settings;
    settings.port = args.port;
    settings.cpus = args.lcores == 1 ? "0" : "0-" + std::to_string(args.lcores - 1);
    settings.eal = args.eal;
    settings.pcap = args.pcap;
    settings.stack.ip = args.ip;
    settings.stack.prefix = args.prefix;
    settings.stack.gateway = args.gateway;
    settings.stack.max_connections = args.max_connections;
    std::string error;
    std::unique_ptr<runtime> rt = runtime::start(settings, argv[0], error);
    if (!rt) return fail(error);
    std::vector<std::unique_ptr<proxy>> proxies;
    for (uint16_t lcore = 0; lcore < rt->lcores(); ++lcore) {
        proxy& p = *proxies.emplace_back(std::make_unique<proxy>(*rt, args.backends, args.max_connections));
        stack* s = rt->create_stack(lcore, p, error);
        if (s == nullptr || !s->listen(args.listen, error)) return fail(error);
        p.attach(*s);
    }
    std::printf("fptcp-proxy: %s:%u -> %zu backend%s via %s, %u lcore%s\n", format_ipv4(args.ip).c_str(), args.listen,
                args.backends.size(), args.backends.size() == 1 ? "" : "s", args.port.c_str(), rt->lcores(),
                rt->lcores() == 1 ? "" : "s");
    std::fflush(stdout);
    rt->run();
    proxy_counts total;
    for (const auto& p : proxies) {
        total.sessions += p->counts().sessions;
        total.backend_failures += p->counts().backend_failures;
        total.resets_passed += p->counts().resets_passed;
        total.bytes += p->counts().bytes;
    }
    stats st = rt->published_total();
    std::printf("fptcp-proxy: summary\nsessions: %lu\nbackend_failures: %lu\nresets_passed: %lu\nbytes_spliced: %lu\n"
                "retransmits: %lu\ndrops: %lu\n",
                total.sessions, total.backend_failures, total.resets_passed, total.bytes, st[counter::retransmits],
                st.drops());
    for (std::size_t i = 0; i < st.values().size(); ++i) {  // each drop reason that happened
        if (stats::is_drop(i) && st.values()[i] != 0) {
            std::printf("%s: %lu\n", std::string(stats::names()[i]).c_str(), st.values()[i]);
        }
    }
    return 0;
}
