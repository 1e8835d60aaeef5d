// Microbenchmarks of the TCP core's per-packet paths (I/O excluded): what one
// arriving segment costs from the parsed segment to the segments it causes,
// and, for the handshake, from frame bytes in to frame bytes out.
// docs/benchmarks.md records the figures and the command.

#include <benchmark/benchmark.h>

#include <array>
#include <random>
#include <vector>

#include "../test/support/single_flow.hh"
#include "tcp/wire_adapter.hh"
#include "wire/frame.hh"

namespace {

using namespace fptcp;
using namespace fptcp::tcp;
using fptcp::testing::single_flow;

constexpr uint32_t peer_isn = 0x7ffffff0u;

segment syn_from_peer() {
    segment s;
    s.seq = seq_num(peer_isn);
    s.flags = tcp_flags{tcp_flags::syn};
    s.window = 65535;
    s.options.mss = 1460;
    s.options.window_shift = 7;
    s.options.sack_permitted = true;
    s.options.has_timestamps = true;
    s.options.ts_val = 12345;
    return s;
}

segment ack_from_peer(const tcb& c, uint32_t ts_val) {
    segment s;
    s.seq = c.rcv().nxt;
    s.ack = c.snd().nxt;
    s.flags = tcp_flags{tcp_flags::ack};
    s.window = 512;  // x 128 = 64 KiB
    s.options.has_timestamps = true;
    s.options.ts_val = ts_val;
    s.options.ts_ecr = c.ts_now(time_point{});
    return s;
}

// A flow in ESTABLISHED after a passive open with Linux's options.
void establish(single_flow& f) {
    f.deliver(syn_from_peer());
    f.out.clear();
    f.deliver(ack_from_peer(*f.conn, 12346));
    f.out.clear();
}

// Passive open, core only: SYN in -> new TCB -> SYN-ACK out; then the TCB is
// freed, as the engine would after an RST, so every iteration opens anew.
void BM_SynToSynAck(benchmark::State& state) {
    single_flow f;
    segment syn = syn_from_peer();
    for (auto _ : state) {
        f.deliver(syn);
        benchmark::DoNotOptimize(f.out.segments[0]);
        f.out.clear();
        f.conn.reset();
    }
}
BENCHMARK(BM_SynToSynAck);

// The same from frame bytes: parse + checksum check, demux, core, and the
// SYN-ACK frame written with software checksums.
void BM_SynFrameToSynAckFrame(benchmark::State& state) {
    single_flow f;
    wire::tcp_frame_spec spec = to_frame_spec({single_flow::flow.reversed(), seq_num(peer_isn), seq_num(0),
                                               tcp_flags{tcp_flags::syn}, 65535, syn_from_peer().options, {}});
    std::array<uint8_t, 128> in{};
    std::array<uint8_t, 128> reply{};
    std::size_t n = wire::write_tcp_frame(in, spec);
    for (auto _ : state) {
        wire::parsed_frame p;
        wire::parse_frame(std::span(in).first(n), {}, p);
        f.deliver(to_segment(p.tcp), arriving_tuple(p.ip, p.tcp));
        benchmark::DoNotOptimize(wire::write_tcp_frame(reply, to_frame_spec(f.out.segments[0])));
        f.out.clear();
        f.conn.reset();
    }
}
BENCHMARK(BM_SynFrameToSynAckFrame);

// In-order data: a full-size segment arrives and the application reads it.
// Every second segment sends an ACK at once (RFC 9293 3.8.6.3); the figure is
// per segment.
void BM_DataSegmentInOrder(benchmark::State& state) {
    single_flow f;
    establish(f);
    std::vector<uint8_t> payload(1448, 'd');
    segment s = ack_from_peer(*f.conn, 12347);
    s.payload = payload;
    uint64_t acks = 0;
    for (auto _ : state) {
        s.seq = f.conn->rcv().nxt;
        f.deliver(s);
        f.conn->consume(f.now, 1448, f.out);
        acks += f.out.count;
        f.out.clear();
    }
    state.counters["acks_per_segment"] = benchmark::Counter(static_cast<double>(acks), benchmark::Counter::kAvgIterations);
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 1448);
}
BENCHMARK(BM_DataSegmentInOrder);

// One loss repaired: a full-size segment arrives past a hole (held out of
// order, a SACK sent at once), then the missing one (both delivered, an ACK
// at once); the application reads both. The figure is per pair: the range
// set takes a block from the pool at the hole and gives it back when it fills.
void BM_OutOfOrderSegmentThenHoleFilled(benchmark::State& state) {
    single_flow f;
    establish(f);
    std::vector<uint8_t> payload(1448, 'o');
    segment s = ack_from_peer(*f.conn, 12347);
    s.payload = payload;
    for (auto _ : state) {
        seq_num hole = f.conn->rcv().nxt;
        s.seq = hole + seq_len(1448);
        f.deliver(s);
        s.seq = hole;
        f.deliver(s);
        f.conn->consume(f.now, 2 * 1448, f.out);
        benchmark::DoNotOptimize(f.out.segments[0]);
        f.out.clear();
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 2 * 1448);
}
BENCHMARK(BM_OutOfOrderSegmentThenHoleFilled);

// A duplicate ACK: all checks run, nothing changes, nothing is sent.
void BM_PureAckDuplicate(benchmark::State& state) {
    single_flow f;
    establish(f);
    segment ack = ack_from_peer(*f.conn, 12347);
    for (auto _ : state) {
        f.deliver(ack);
        benchmark::DoNotOptimize(f.out.count);
    }
}
BENCHMARK(BM_PureAckDuplicate);

// A sender in steady state: a pure ACK frees one segment and lets the next
// one out (the application keeps the send buffer full).
void BM_AckFreesSegmentAndSendsNext(benchmark::State& state) {
    single_flow f;
    f.cfg.send_buffer = 1 << 20;
    establish(f);
    std::vector<uint8_t> chunk(1448, 's');
    while (f.conn->send(f.now, chunk, f.out) == chunk.size()) f.out.clear();
    f.out.clear();
    segment ack = ack_from_peer(*f.conn, 12347);
    ack.ack = f.conn->snd().una;
    for (auto _ : state) {
        ack.ack += seq_len(1448);
        f.deliver(ack);
        f.conn->send(f.now, chunk, f.out);
        benchmark::DoNotOptimize(f.out.segments[0]);
        f.out.clear();
    }
}
BENCHMARK(BM_AckFreesSegmentAndSendsNext);

// Sequence comparisons across the wrap: before() over a shuffled array.
void BM_SeqBefore(benchmark::State& state) {
    std::mt19937 rng(7);
    std::vector<seq_num> v(4096);
    for (auto& s : v) s = seq_num(rng());
    std::size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(before(v[i & 4095], v[(i + 1) & 4095]));
        ++i;
    }
}
BENCHMARK(BM_SeqBefore);

}  // namespace
