// A full RX-to-TX cycle through the engine over a ring port: frames built
// with lib/wire are put on one side of a ring link (the "peer", no engine),
// the engine on the other side polls once, and the time of that poll() alone
// is counted: RX burst, parse with software checksums (the ring PMD offers no
// offload), demux, TCP, the application callback, the replies built, the TX
// burst. Building the input and reading the replies happen outside the timed
// region (manual timing).
//
//   BM_EngineSynToSynAck/N   N SYNs (MSS, WS, SACK-perm, TS) in, N SYN-ACKs out.
//                            The peer then resets each half-open connection
//                            (untimed), so the table stays near empty.
//   BM_EngineDataToAck/N     N in-order 1448-byte segments (with TS) of one
//                            connection in, one ACK per two segments out; the
//                            application reads and consumes everything.
//
// ns_per_packet is the poll time divided by the frames that came in.
// docs/benchmarks.md ("Engine per-packet cost (ring port)") records figures.

#include <benchmark/benchmark.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "engine/engine.hh"
#include "port/eal.hh"
#include "port/port.hh"
#include "wire/arp.hh"
#include "wire/frame.hh"
#include "wire/tcp.hh"

namespace {

using namespace fptcp;
using namespace std::chrono_literals;
using tcp::time_point;

constexpr uint32_t engine_ip = 0x0a090001;  // 10.9.0.1
constexpr uint32_t peer_ip = 0x0a090002;    // 10.9.0.2
constexpr uint16_t listen_port = 80;

// The EAL, once per process, before the first benchmark that needs it.
bool eal_ready() {
    static const bool ready = [] {
        port::eal_settings s;
        s.allow_hugepages = false;
        s.memory_mb = 256;
        s.file_prefix = "fptcp-cycle-bench-" + std::to_string(::getpid());
        std::string error = port::start_eal(s, "fptcp-bench");
        if (!error.empty()) std::fprintf(stderr, "engine_cycle_bench: %s\n", error.c_str());
        return error.empty();
    }();
    return ready;
}

// Reads and consumes everything (the cheapest application).
class discard_app final : public engine::handler {
public:
    void on_data(engine::connection& c) override {
        uint32_t n = 0;
        for (auto part : c.readable()) n += static_cast<uint32_t>(part.size());
        c.consume(n);
    }
};

// The engine on ring side 1, the peer's raw port on side 0.
class ring_bench {
public:
    bool open(const std::string& link, std::string& error) {
        auto spec = port::parse_port_spec("ring:" + link, error);
        if (!spec) return false;
        _peer = port::port::open(*spec, 0, {}, error);
        if (!_peer) return false;
        _port = port::port::open(*spec, 1, {}, error);
        if (!_port) return false;
        engine::engine_settings s;
        s.ip = engine_ip;
        s.max_connections = 4096;
        s.max_time_wait = 4096;
        engine = engine::engine::create(*_port, s, _app, error);
        if (!engine || !engine->listen(listen_port, _cfg, error)) return false;
        // The peer introduces itself (an ARP request), so replies need no resolution.
        rte_mbuf* m = alloc();
        auto out = std::span(rte_pktmbuf_mtod(m, uint8_t*), rte_pktmbuf_tailroom(m));
        m->data_len = m->pkt_len =
            static_cast<uint32_t>(wire::write_arp_request(out, _peer->mac(), peer_ip, engine_ip));
        send({&m, 1});
        engine->poll(now);
        drain([](const wire::parsed_frame&) {});
        return true;
    }

    ~ring_bench() {
        engine.reset();  // before the ports it uses
    }

    rte_mbuf* alloc() { return rte_pktmbuf_alloc(_peer->pool()); }

    // A TCP frame from the peer to the engine.
    rte_mbuf* tcp_frame(wire::tcp_frame_spec spec) {
        spec.src_mac = _peer->mac();
        spec.dst_mac = _port->mac();
        spec.src_ip = peer_ip;
        spec.dst_ip = engine_ip;
        spec.dst_port = listen_port;
        spec.ip_id = _ip_id++;
        rte_mbuf* m = alloc();
        if (m == nullptr) return nullptr;
        auto out = std::span(rte_pktmbuf_mtod(m, uint8_t*), rte_pktmbuf_tailroom(m));
        m->data_len = m->pkt_len = static_cast<uint32_t>(wire::write_tcp_frame(out, spec));
        return m;
    }

    void send(std::span<rte_mbuf*> frames) {
        uint16_t sent = _peer->tx_burst(0, frames.data(), static_cast<uint16_t>(frames.size()));
        for (std::size_t i = sent; i < frames.size(); ++i) rte_pktmbuf_free(frames[i]);
    }

    // Reads what the engine sent; returns how many frames.
    template <class F>
    uint32_t drain(F&& on_frame) {
        std::array<rte_mbuf*, 64> frames;
        uint32_t total = 0;
        for (uint16_t n; (n = _peer->rx_burst(0, frames.data(), frames.size())) > 0;) {
            for (uint16_t i = 0; i < n; ++i) {
                wire::parsed_frame f;
                auto bytes = std::span(rte_pktmbuf_mtod(frames[i], const uint8_t*), frames[i]->data_len);
                if (wire::parse_frame(bytes, wire::checksum_offload{}, f) == wire::parse_error::none) on_frame(f);
                rte_pktmbuf_free(frames[i]);
            }
            total += n;
        }
        return total;
    }

    // Times one poll (the clock moves 1 us per poll).
    double timed_poll() {
        now += 1us;
        auto start = std::chrono::steady_clock::now();
        engine->poll(now);
        auto end = std::chrono::steady_clock::now();
        return std::chrono::duration<double>(end - start).count();
    }

    std::unique_ptr<engine::engine> engine;
    time_point now{};

private:
    std::unique_ptr<port::port> _peer, _port;
    discard_app _app;
    tcp_config _cfg;
    uint16_t _ip_id = 0;
};

wire::tcp_options syn_options(uint32_t ts_val) {
    wire::tcp_options o;
    o.mss = 1460;
    o.window_shift = 7;
    o.sack_permitted = true;
    o.has_timestamps = true;
    o.ts_val = ts_val;
    return o;
}

void report(benchmark::State& state, double seconds, uint64_t packets_in, uint64_t packets_out) {
    state.SetItemsProcessed(static_cast<int64_t>(packets_in));
    state.counters["ns_per_packet"] = seconds * 1e9 / static_cast<double>(packets_in);
    state.counters["out_per_in"] = static_cast<double>(packets_out) / static_cast<double>(packets_in);
}

void BM_EngineSynToSynAck(benchmark::State& state) {
    const auto burst = static_cast<uint16_t>(state.range(0));
    ring_bench b;
    std::string error;
    if (!eal_ready() || !b.open("bsyn", error)) {
        state.SkipWithError(error.empty() ? "EAL did not start" : error.c_str());
        return;
    }
    uint16_t next_port = 1024;
    uint32_t iss = 1000;
    uint64_t in = 0, out = 0;
    double seconds = 0;
    std::vector<rte_mbuf*> frames(burst);
    std::vector<rte_mbuf*> resets;
    for (auto _ : state) {
        for (auto& m : frames) {
            wire::tcp_frame_spec spec;
            spec.src_port = next_port;
            next_port = next_port == 65535 ? 1024 : next_port + 1;
            spec.seq = iss += 100000;
            spec.flags.bits = wire::tcp_flags::syn;
            spec.window = 65535;
            spec.options = syn_options(iss);
            m = b.tcp_frame(spec);
        }
        b.send(frames);
        double t = b.timed_poll();
        state.SetIterationTime(t);
        seconds += t;
        in += burst;
        // Untimed: reset every half-open connection the SYN-ACKs announce.
        resets.clear();
        out += b.drain([&](const wire::parsed_frame& f) {
            if (f.kind != wire::frame_kind::tcp) return;
            wire::tcp_frame_spec rst;
            rst.src_port = f.tcp.dst_port;
            rst.seq = f.tcp.ack;
            rst.flags.bits = wire::tcp_flags::rst;
            resets.push_back(b.tcp_frame(rst));
        });
        b.send(resets);
        b.engine->poll(b.now);
    }
    if (b.engine->active_connections() > 2u * burst) state.SkipWithError("half-open connections pile up");
    report(state, seconds, in, out);
}
BENCHMARK(BM_EngineSynToSynAck)->Arg(1)->Arg(32)->UseManualTime();

void BM_EngineDataToAck(benchmark::State& state) {
    const auto burst = static_cast<uint16_t>(state.range(0));
    ring_bench b;
    std::string error;
    if (!eal_ready() || !b.open("bdata", error)) {
        state.SkipWithError(error.empty() ? "EAL did not start" : error.c_str());
        return;
    }
    // Handshake by hand: SYN, the engine's SYN-ACK, our ACK.
    uint32_t seq = 5000, ts = 1;
    wire::tcp_frame_spec syn;
    syn.src_port = 40000;
    syn.seq = seq;
    syn.flags.bits = wire::tcp_flags::syn;
    syn.window = 65535;
    syn.options = syn_options(ts);
    rte_mbuf* m = b.tcp_frame(syn);
    b.send({&m, 1});
    b.engine->poll(b.now);
    uint32_t their_seq = 0, their_ts = 0;
    b.drain([&](const wire::parsed_frame& f) {
        their_seq = f.tcp.seq + 1;
        their_ts = f.tcp.options.ts_val;
    });
    ++seq;
    auto segment = [&](std::span<const uint8_t> payload) {
        wire::tcp_frame_spec spec;
        spec.src_port = 40000;
        spec.seq = seq;
        spec.ack = their_seq;
        spec.flags.bits = wire::tcp_flags::ack;
        spec.window = 65535 >> 7;
        spec.options.has_timestamps = true;
        spec.options.ts_val = ts;
        spec.options.ts_ecr = their_ts;
        spec.payload_first = payload;
        seq += static_cast<uint32_t>(payload.size());
        return b.tcp_frame(spec);
    };
    m = segment({});
    b.send({&m, 1});
    b.engine->poll(b.now);
    if (b.engine->active_connections() != 1) {
        state.SkipWithError("handshake failed");
        return;
    }

    std::vector<uint8_t> payload(1448, 'd');
    std::vector<rte_mbuf*> frames(burst);
    uint64_t in = 0, out = 0;
    double seconds = 0;
    for (auto _ : state) {
        ++ts;
        for (auto& f : frames) f = segment(payload);
        b.send(frames);
        double t = b.timed_poll();
        state.SetIterationTime(t);
        seconds += t;
        in += burst;
        out += b.drain([&](const wire::parsed_frame& f) { their_ts = f.tcp.options.ts_val; });
    }
    if (b.engine->counters().drops != decltype(b.engine->counters().drops){}) state.SkipWithError("engine drops");
    report(state, seconds, in, out);
}
BENCHMARK(BM_EngineDataToAck)->Arg(1)->Arg(32)->UseManualTime();

}  // namespace
