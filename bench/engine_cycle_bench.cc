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
//   BM_EngineSynScaling/threads:T  the SYN round on T threads, one engine
//                            each (shared nothing), for the scaling figure.
//   BM_EngineDataToAck/N     N in-order 1448-byte segments (with TS) of one
//                            connection in, one ACK per two segments out; the
//                            application reads and consumes everything.
//
// ns_per_packet is the poll time divided by the frames that came in;
// ns_per_packet_p50 the same for the median poll (robust to preemption).
// docs/benchmarks.md ("Engine per-packet cost (ring port)") records figures.

#include <benchmark/benchmark.h>
#include <pthread.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/engine.hh"
#include "ring_peer.hh"

namespace {

using namespace fptcp;
using namespace std::chrono_literals;
using tcp::time_point;

// The EAL, once per process, before the first benchmark that needs it.
bool eal_ready() {
    static const bool ready = bench::start_eal("fptcp-cycle-bench");
    return ready;
}

// Reads and consumes everything (the cheapest application).
class discard_app final : public handler {
public:
    void on_data(connection& c) override {
        uint32_t n = 0;
        for (auto part : c.readable()) n += static_cast<uint32_t>(part.size());
        c.consume(n);
    }
};

// The engine on ring side 1 with the cheapest application, the peer's raw
// port on side 0.
class ring_bench : public bench::ring_peer {
public:
    bool open(const std::string& link, std::string& error) {
        engine::engine_settings s;
        s.max_connections = 4096;
        s.max_time_wait = 4096;
        return ring_peer::open(link, s, _app, _cfg, error);
    }
    ~ring_bench() { engine.reset(); }  // before the application it calls

    // Times one poll (the clock moves 1 us per poll).
    double timed_poll() {
        now += 1us;
        auto start = std::chrono::steady_clock::now();
        engine->poll(now);
        auto end = std::chrono::steady_clock::now();
        return std::chrono::duration<double>(end - start).count();
    }

private:
    discard_app _app;
    tcp_config _cfg;
};

// The timed polls of one benchmark run. Besides the mean (ns_per_packet),
// the median poll over its frames (ns_per_packet_p50): on a loaded machine
// a poll that the scheduler interrupts adds milliseconds to the mean, and
// the median does not see it.
class poll_times {
public:
    void add(double seconds) {
        _polls.push_back(seconds);
        _total += seconds;
    }
    double total() const { return _total; }
    double median() {
        if (_polls.empty()) return 0;
        auto mid = _polls.begin() + static_cast<std::ptrdiff_t>(_polls.size() / 2);
        std::nth_element(_polls.begin(), mid, _polls.end());
        return *mid;
    }

private:
    std::vector<double> _polls;
    double _total = 0;
};

void report(benchmark::State& state, poll_times& polls, uint16_t burst, uint64_t packets_in, uint64_t packets_out) {
    state.SetItemsProcessed(static_cast<int64_t>(packets_in));
    state.counters["ns_per_packet"] = polls.total() * 1e9 / static_cast<double>(packets_in);
    state.counters["ns_per_packet_p50"] = polls.median() * 1e9 / burst;
    state.counters["out_per_in"] = static_cast<double>(packets_out) / static_cast<double>(packets_in);
}

// One round of the SYN workload: `frames.size()` SYNs from new source ports
// in, one poll (timed), and untimed, a RST for every half-open connection
// the SYN-ACKs announce, so the table stays near empty.
class syn_rounds {
public:
    explicit syn_rounds(uint16_t burst) : _frames(burst) {}

    // Returns the seconds of the timed poll.
    double run(ring_bench& b) {
        for (auto& m : _frames) {
            wire::tcp_frame_spec spec;
            spec.src_port = _next_port;
            _next_port = _next_port == 65535 ? 1024 : _next_port + 1;
            spec.seq = _iss += 100000;
            spec.flags.bits = wire::tcp_flags::syn;
            spec.window = 65535;
            spec.options = bench::ring_peer::syn_options(_iss);
            m = b.tcp_frame(spec);
        }
        b.send(_frames);
        double t = b.timed_poll();
        in += _frames.size();
        _resets.clear();
        out += b.drain([&](const wire::parsed_frame& f) {
            if (f.kind != wire::frame_kind::tcp) return;
            wire::tcp_frame_spec rst;
            rst.src_port = f.tcp.dst_port;
            rst.seq = f.tcp.ack;
            rst.flags.bits = wire::tcp_flags::rst;
            _resets.push_back(b.tcp_frame(rst));
        });
        b.send(_resets);
        b.engine->poll(b.now);
        return t;
    }

    bool piling_up(const ring_bench& b) const { return b.engine->active_connections() > 2u * _frames.size(); }

    uint64_t in = 0, out = 0;

private:
    std::vector<rte_mbuf*> _frames;
    std::vector<rte_mbuf*> _resets;
    uint16_t _next_port = 1024;
    uint32_t _iss = 1000;
};

void BM_EngineSynToSynAck(benchmark::State& state) {
    ring_bench b;
    std::string error;
    if (!eal_ready() || !b.open("bsyn", error)) {
        state.SkipWithError(error.empty() ? "EAL did not start" : error.c_str());
        return;
    }
    const auto burst = static_cast<uint16_t>(state.range(0));
    syn_rounds rounds(burst);
    poll_times polls;
    for (auto _ : state) {
        double t = rounds.run(b);
        state.SetIterationTime(t);
        polls.add(t);
    }
    if (rounds.piling_up(b)) state.SkipWithError("half-open connections pile up");
    report(state, polls, burst, rounds.in, rounds.out);
}
BENCHMARK(BM_EngineSynToSynAck)->Arg(1)->Arg(32)->UseManualTime();

// Scaling with lcores, shared nothing (the RSS layout of docs/architecture.md,
// "Scaling"): each benchmark thread is one lcore with its own engine, ring
// link and mbuf pool, and plays its own peer, 32 SYNs per round. The figure
// is the whole machine's rate: SYNs answered per second of wall time over
// all threads (items_per_second), the peer's work included, so it shows how
// the total grows with threads rather than the engine's own cost. The CPU
// time per iteration (summed over threads) shows whether the engines slow
// each other down: shared nothing, it stays the same.
void BM_EngineSynScaling(benchmark::State& state) {
    // One CPU per thread: threads started after the EAL inherit the main
    // lcore's affinity (one CPU), which would put every engine on it.
    cpu_set_t cpu;
    CPU_ZERO(&cpu);
    CPU_SET(static_cast<unsigned>(state.thread_index()) % std::max(std::thread::hardware_concurrency(), 1u), &cpu);
    const bool eal = eal_ready();  // first: rte_eal_init pins the calling thread
    if (pthread_setaffinity_np(pthread_self(), sizeof cpu, &cpu) != 0) state.SkipWithError("cannot pin the thread");
    // An lcore id for this thread, so the mbuf pools' per-lcore caches work.
    const bool registered = eal && rte_lcore_id() == LCORE_ID_ANY && rte_thread_register() == 0;
    // Creating and destroying ports (vdevs, pools) is not thread-safe.
    static std::mutex setup;
    std::unique_lock lock(setup);
    {
        ring_bench b;
        std::string error;
        if (!eal || !b.open("bscale" + std::to_string(state.thread_index()), error))
            state.SkipWithError(error.empty() ? "EAL did not start" : error.c_str());
        lock.unlock();
        // Every thread enters the loop (it synchronises the threads); a
        // skipped one leaves it at once.
        syn_rounds rounds(32);
        for (auto _ : state) rounds.run(b);
        if (!state.error_occurred()) {
            if (rounds.piling_up(b)) state.SkipWithError("half-open connections pile up");
            state.SetItemsProcessed(static_cast<int64_t>(rounds.out));
        }
        lock.lock();
    }
    if (registered) rte_thread_unregister();
}
BENCHMARK(BM_EngineSynScaling)->ThreadRange(1, 2)->UseRealTime();

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
    syn.options = bench::ring_peer::syn_options(ts);
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
    poll_times polls;
    for (auto _ : state) {
        ++ts;
        for (auto& f : frames) f = segment(payload);
        b.send(frames);
        double t = b.timed_poll();
        state.SetIterationTime(t);
        polls.add(t);
        in += burst;
        out += b.drain([&](const wire::parsed_frame& f) { their_ts = f.tcp.options.ts_val; });
    }
    if (b.engine->counters().drops != decltype(b.engine->counters().drops){}) state.SkipWithError("engine drops");
    report(state, polls, burst, in, out);
}
BENCHMARK(BM_EngineDataToAck)->Arg(1)->Arg(32)->UseManualTime();

}  // namespace
