// Per-ACK cost of the congestion window (lib/tcp/congestion.hh) in congestion
// avoidance, NewReno against CUBIC, and BBR's per-delivery update. One flow of 1448-byte segments, an ACK
// every 10 us (1.16 Gbit/s) with a 10 ms smoothed RTT; a loss whenever cwnd
// passes 1,000 segments keeps the window in a realistic range, so the
// figure includes CUBIC's cube root at the start of each stage, amortised.
// docs/congestion.md records the figures and the command.

#include <chrono>
#include <cstdint>

#include <benchmark/benchmark.h>

#include "tcp/congestion.hh"

namespace {

using namespace fptcp;
using namespace fptcp::tcp;
using namespace std::chrono_literals;

constexpr uint32_t mss = 1448;
constexpr uint32_t loss_above = 1000 * mss;

void ack_in_congestion_avoidance(benchmark::State& state, congestion_algorithm algorithm) {
    congestion_control c;
    c.start(algorithm, mss);
    time_point now{};
    c.on_enter_recovery(now, c.cwnd(), mss);  // out of slow start at once
    for (auto _ : state) {
        now += 10us;
        c.on_ack(now, mss, mss, 10ms);
        if (c.cwnd() > loss_above) c.on_enter_recovery(now, c.cwnd(), mss);
        benchmark::DoNotOptimize(c);
    }
}

void BM_NewRenoAckInCongestionAvoidance(benchmark::State& state) {
    ack_in_congestion_avoidance(state, congestion_algorithm::newreno);
}
BENCHMARK(BM_NewRenoAckInCongestionAvoidance);

void BM_CubicAckInCongestionAvoidance(benchmark::State& state) {
    ack_in_congestion_avoidance(state, congestion_algorithm::cubic);
}
BENCHMARK(BM_CubicAckInCongestionAvoidance);

// What a congestion event adds: from a window of 1,000 segments, the
// reduction to 700, then the first ACK of the next stage (K's integer cube
// root, cbrt(300 / 0.4) = 9.1 s).
void BM_CubicLossThenFirstAck(benchmark::State& state) {
    congestion_control at_loss;
    at_loss.start(congestion_algorithm::cubic, mss);
    while (at_loss.cwnd() < loss_above) at_loss.on_ack(time_point{}, mss, mss, 10ms);
    time_point now{};
    for (auto _ : state) {
        now += 10us;
        congestion_control c = at_loss;
        c.on_enter_recovery(now, loss_above, mss);
        c.on_exit_recovery(loss_above, mss);
        c.on_ack(now, mss, mss, 10ms);
        benchmark::DoNotOptimize(c);
    }
}
BENCHMARK(BM_CubicLossThenFirstAck);

// BBR (lib/tcp/bbr.hh): what the TCB calls on every ACK that delivers
// octets, in ProbeBW on the same flow (an ACK of one segment every 10 us,
// RTT samples of 10 ms once per round): the round check, the filter once a
// round, the window.
void BM_BbrDeliveryInProbeBw(benchmark::State& state) {
    congestion_control c;
    c.start(congestion_algorithm::bbr, mss);
    time_point now{};
    uint32_t delivered = 0;
    seq_num edge{1}, next_round{1};
    auto deliver = [&] {
        now += 10us;
        delivered += mss;
        edge = edge + seq_len(mss);
        if (!before(edge, next_round)) {
            c.on_rtt(now, 10ms);
            next_round = edge + seq_len(1000 * mss);
        }
        c.on_delivery({.now = to_micros32(now),
                       .now_ms = to_ms32(now),
                       .delivered = delivered,
                       .delivered_edge = edge,
                       .snd_nxt = edge + seq_len(1000 * mss),
                       .inflight = 1000 * mss},
                      mss);
    };
    while (c.bbr()->current() != bbr_model::phase::probe_bw) deliver();
    for (auto _ : state) {
        deliver();
        benchmark::DoNotOptimize(c);
    }
}
BENCHMARK(BM_BbrDeliveryInProbeBw);

}  // namespace
