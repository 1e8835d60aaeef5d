// fptcp-engine-scale: one engine, on one thread (one lcore), holds N
// concurrent established connections, then closes them all into TIME_WAIT
// and reaps them, over a ring port with a raw peer (bench/ring_peer.hh) that
// plays N clients from 16 addresses x 64,512 ports. It reports
//   - memory per idle established connection and per TIME_WAIT entry, both
//     measured (resident set growth, /proc/self/statm) and computed from
//     sizeof (data buffers excluded: idle connections never touch theirs);
//   - the time to open the N connections (wall time, the peer's work
//     included, and the engine's poll time alone);
//   - the cost of one idle poll with N connections held;
//   - the cost of reaping the N TIME_WAIT entries, per entry.
// docs/benchmarks.md ("Engine microbenchmarks and scale") records a run.
//
// usage: fptcp-engine-scale [--connections N] [--check]
//   --check  exit 1 unless every connection opened, closed into TIME_WAIT
//            and was reaped, and the measured memory is within 10 % of the
//            computed figure (the meson test, with a smaller N).

#include <rte_mbuf.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.hh"
#include "port/eal.hh"
#include "ring_peer.hh"

namespace {

using namespace fptcp;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

constexpr uint16_t first_client_port = 1024;
constexpr uint32_t ports_per_ip = 65536 - first_client_port;
constexpr uint16_t burst = 32;

// Resident memory of this process, in bytes.
std::size_t resident_bytes() {
    std::FILE* f = std::fopen("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;
    if (f != nullptr) {
        if (std::fscanf(f, "%lu %lu", &size, &resident) != 2) resident = 0;
        std::fclose(f);
    }
    return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

double seconds_since(clock_type::time_point start) {
    return std::chrono::duration<double>(clock_type::now() - start).count();
}

// Keeps every connection the engine opens (by slot) so the run can close them.
class holding_app final : public handler {
public:
    explicit holding_app(uint32_t max_connections) : _open(max_connections, nullptr) {}
    void on_open(connection& c) override {
        _open[c.slot()] = &c;
        ++opened;
    }
    void on_closed(connection& c, close_reason) override {
        _open[c.slot()] = nullptr;
        ++closed;
    }
    connection* at(uint32_t slot) const { return _open[slot]; }

    uint64_t opened = 0, closed = 0;

private:
    std::vector<connection*> _open;
};

struct options {
    uint32_t connections = 1'000'000;
    bool check = false;
};

bool parse(int argc, char** argv, options& o) {
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a == "--check") {
            o.check = true;
        } else if (a == "--connections" && i + 1 < argc) {
            char* end = nullptr;
            unsigned long n = std::strtoul(argv[++i], &end, 10);
            if (*end != '\0' || n == 0 || n > 16u * ports_per_ip) {
                std::fprintf(stderr, "fptcp-engine-scale: --connections: 1 to %u\n", 16u * ports_per_ip);
                return false;
            }
            o.connections = static_cast<uint32_t>(n);
        } else {
            std::fprintf(stderr, "usage: fptcp-engine-scale [--connections N] [--check]\n");
            return false;
        }
    }
    return true;
}

// Resident growth per entry of a structure built by make(n), alone.
template <class Make>
double measured_bytes_per_entry(uint32_t n, Make&& make) {
    std::size_t before = resident_bytes();
    auto table = make(n);
    std::size_t after = resident_bytes();
    return static_cast<double>(after - before) / n;
}

class scale_run {
public:
    scale_run(bench::ring_peer& peer, holding_app& app, uint32_t n) : _peer(peer), _app(app), _n(n) {}

    // Clients: address 10.9.0.2 + i / ports_per_ip, port 1024 + i % ports_per_ip.
    // Returns the engine's poll time; the handshake is SYN, SYN-ACK, ACK.
    double open_all() {
        double polls = 0;
        std::vector<rte_mbuf*> frames;
        for (uint32_t i = 0; i < _n;) {
            frames.clear();
            for (; i < _n && frames.size() < burst; ++i) {
                wire::tcp_frame_spec syn;
                syn.src_port = static_cast<uint16_t>(first_client_port + i % ports_per_ip);
                syn.seq = i * 7919u;
                syn.flags.bits = wire::tcp_flags::syn;
                syn.window = 65535;
                syn.options = bench::ring_peer::syn_options(1);
                frames.push_back(_peer.tcp_frame(syn, bench::ring_peer::first_peer_ip + i / ports_per_ip));
            }
            polls += exchange(frames);
            // The SYN-ACKs: ACK each.
            frames.clear();
            _peer.drain([&](const wire::parsed_frame& f) {
                if (f.kind != wire::frame_kind::tcp) return;
                wire::tcp_frame_spec ack;
                ack.src_port = f.tcp.dst_port;
                ack.seq = f.tcp.ack;
                ack.ack = f.tcp.seq + 1;
                ack.flags.bits = wire::tcp_flags::ack;
                ack.window = 65535 >> 7;
                ack.options.has_timestamps = true;
                ack.options.ts_val = 2;
                ack.options.ts_ecr = f.tcp.options.ts_val;
                frames.push_back(_peer.tcp_frame(ack, f.ip.dst));
            });
            polls += exchange(frames);
            _peer.drain([](const wire::parsed_frame&) {});
        }
        return polls;
    }

    // Polls `rounds` times, the clock 1 ms apart, with nothing arriving;
    // returns the mean poll time and counts the frames the engine sent.
    double idle(uint32_t rounds, uint32_t& frames_out) {
        double polls = 0;
        frames_out = 0;
        for (uint32_t r = 0; r < rounds; ++r) {
            _peer.now += 1ms;
            polls += timed_poll_only();
            frames_out += _peer.drain([](const wire::parsed_frame&) {});
        }
        return polls / rounds;
    }

    // The application closes every connection; the peer acknowledges each
    // FIN with its own FIN (FIN+ACK), the engine's last ACK leaves the
    // connection in TIME_WAIT (RFC 9293 3.6, FIN-WAIT-1 to TIME-WAIT).
    void close_all() {
        std::vector<rte_mbuf*> frames;
        for (uint32_t slot = 0; slot < _n;) {
            for (uint32_t k = 0; slot < _n && k < burst; ++slot) {
                if (connection* c = _app.at(slot)) {
                    c->close();
                    ++k;
                }
            }
            poll();
            frames.clear();
            _peer.drain([&](const wire::parsed_frame& f) {
                if (f.kind != wire::frame_kind::tcp || !f.tcp.flags.has(wire::tcp_flags::fin)) return;
                wire::tcp_frame_spec fin;
                fin.src_port = f.tcp.dst_port;
                fin.seq = f.tcp.ack;
                fin.ack = f.tcp.seq + 1;
                fin.flags.bits = wire::tcp_flags::fin | wire::tcp_flags::ack;
                fin.window = 65535 >> 7;
                fin.options.has_timestamps = true;
                fin.options.ts_val = 3;
                fin.options.ts_ecr = f.tcp.options.ts_val;
                frames.push_back(_peer.tcp_frame(fin, f.ip.dst));
            });
            exchange(frames);
            _peer.drain([](const wire::parsed_frame&) {});
        }
    }

    // Moves the clock past 2*MSL and polls until TIME_WAIT is empty;
    // returns the poll time.
    double reap_all(tcp::duration two_msl, uint32_t& polls_needed) {
        _peer.now += two_msl + 1s;
        double polls = 0;
        polls_needed = 0;
        while (_peer.engine->time_wait_connections() > 0 && polls_needed < 10 * (_n / 4096 + 1)) {
            polls += timed_poll_only();
            ++polls_needed;
        }
        return polls;
    }

private:
    // Sends the frames, polls once (1 us later); returns the poll time.
    double exchange(std::vector<rte_mbuf*>& frames) {
        _peer.send(frames);
        return poll();
    }
    double poll() {
        _peer.now += 1us;
        return timed_poll_only();
    }
    double timed_poll_only() {
        auto start = clock_type::now();
        _peer.engine->poll(_peer.now);
        return seconds_since(start);
    }

    bench::ring_peer& _peer;
    holding_app& _app;
    uint32_t _n;
};

bool within(double measured, double computed, double tolerance) {
    return measured <= computed * (1 + tolerance) && measured >= computed * (1 - tolerance);
}

int run(const options& o) {
    const uint32_t n = o.connections;
    const uint32_t peer_ips = (n + ports_per_ip - 1) / ports_per_ip;

    // Each engine table alone, its resident growth per entry (built and freed).
    const double flow_measured =
        measured_bytes_per_entry(n, [](uint32_t k) { return std::make_unique<engine::flow_table<uint32_t>>(k); });
    const double time_wait_measured =
        measured_bytes_per_entry(n, [](uint32_t k) { return std::make_unique<engine::time_wait_table>(k); });
    const double flow_computed = engine::flow_table<uint32_t>(1024).bytes_per_entry();
    const double time_wait_computed = engine::time_wait_table(1024).bytes_per_entry();

    holding_app app(n);  // the application's own state, before the measurement
    bench::ring_peer peer;
    std::string error;
    if (!peer.open_ports("scale", error, 2047)) {
        std::fprintf(stderr, "fptcp-engine-scale: %s\n", error.c_str());
        return 1;
    }
    tcp_config cfg;
    cfg.send_buffer = cfg.receive_buffer = cfg.mss;  // the smallest allowed; idle connections touch none
    cfg.msl = std::chrono::seconds(1);
    engine::engine_settings s;
    s.max_connections = n;
    s.max_time_wait = n;
    s.tcp = cfg;

    const std::size_t before_engine = resident_bytes();
    if (!peer.start_engine(s, app, cfg, error, peer_ips)) {
        std::fprintf(stderr, "fptcp-engine-scale: %s\n", error.c_str());
        return 1;
    }
    const std::size_t after_create = resident_bytes();
    scale_run r(peer, app, n);

    auto start = clock_type::now();
    const double open_polls = r.open_all();
    const double open_wall = seconds_since(start);
    const std::size_t after_open = resident_bytes();
    const uint32_t established = peer.engine->active_connections();

    uint32_t idle_frames = 0;
    const double idle_poll = r.idle(1000, idle_frames);

    start = clock_type::now();
    r.close_all();
    const double close_wall = seconds_since(start);
    const uint32_t time_wait = peer.engine->time_wait_connections();
    const std::size_t after_close = resident_bytes();

    uint32_t reap_polls = 0;
    const double reap_time = r.reap_all(2 * std::chrono::duration_cast<tcp::duration>(cfg.msl), reap_polls);
    const uint32_t left = peer.engine->time_wait_connections();

    // Per connection: everything the engine preallocated, minus its TIME_WAIT
    // table (measured alone above), over the connections it holds.
    const double engine_measured = static_cast<double>(after_open - before_engine) / n;
    const double connection_measured = engine_measured - time_wait_measured;
    const double connection_computed = sizeof(engine::connection_slot) + sizeof(engine::timer_hook) + flow_computed +
                                       sizeof(uint32_t);

    std::printf("connections: %u established of %u (peer: %u addresses), %u in TIME_WAIT after close, %u left after reaping\n",
                established, n, peer_ips, time_wait, left);
    std::printf("open: %.3f s wall (%.0f per s, peer included), engine polls %.3f s (%.0f ns per connection)\n",
                open_wall, n / open_wall, open_polls, open_polls * 1e9 / n);
    std::printf("close into TIME_WAIT: %.3f s wall\n", close_wall);
    std::printf("idle poll with %u connections held: %.0f ns (frames sent in 1 s idle: %u)\n", established,
                idle_poll * 1e9, idle_frames);
    std::printf("reap %u TIME_WAIT entries: %.3f ms in %u polls, %.1f ns per entry\n", time_wait, reap_time * 1e3,
                reap_polls, reap_time * 1e9 / std::max(time_wait, 1u));
    std::printf("resident: engine created +%.1f MB, %u opened +%.1f MB, closed +%.1f MB\n",
                static_cast<double>(after_create - before_engine) / 1e6,
                established, static_cast<double>(after_open - after_create) / 1e6,
                (static_cast<double>(after_close) - static_cast<double>(after_open)) / 1e6);
    std::printf("per established connection, measured: %.1f B (engine total %.1f B - TIME_WAIT table %.1f B)\n",
                connection_measured, engine_measured, time_wait_measured);
    std::printf("per established connection, computed: %.1f B = connection %zu (tcb %zu) + timer hook %zu + "
                "flow table %.1f (measured alone %.1f) + free list %zu\n",
                connection_computed, sizeof(engine::connection_slot), sizeof(tcp::tcb), sizeof(engine::timer_hook),
                flow_computed, flow_measured, sizeof(uint32_t));
    std::printf("per TIME_WAIT entry: measured %.1f B, computed %.1f B (entry %zu + queued deadline 4 + index)\n",
                time_wait_measured, time_wait_computed, sizeof(tcp::time_wait_entry));

    if (!o.check) return 0;
    bool ok = established == n && time_wait == n && left == 0 && idle_frames == 0 &&
              within(connection_measured, connection_computed, 0.1) &&
              within(time_wait_measured, time_wait_computed, 0.1);
    std::printf("%s\n", ok ? "check passed" : "CHECK FAILED");
    return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    options o;
    if (!parse(argc, argv, o)) return 2;
    if (!bench::start_eal("fptcp-engine-scale")) return 1;
    int result = run(o);
    port::stop_eal();
    return result;
}
