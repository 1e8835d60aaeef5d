// Per-ACK cost of the congestion window (lib/tcp/congestion.hh) in congestion
// avoidance, NewReno against CUBIC. One flow of 1448-byte segments, an ACK
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

}  // namespace
