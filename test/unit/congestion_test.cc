// The congestion window (congestion.hh): what NewReno (RFC 5681) and CUBIC
// (RFC 9438) share, run for both; NewReno's congestion avoidance; CUBIC's
// integer curve and its regions. The numbers are worked by hand from the
// RFC formulas in the comments (C = 0.4, beta_cubic = 0.7).

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "tcp/congestion.hh"

namespace fptcp::tcp {
namespace {

using namespace std::chrono_literals;

constexpr uint32_t mss = 1448;
constexpr time_point t0{};
constexpr duration no_srtt{};

// --- Both algorithms: RFC 5681 3.1 slow start, RFC 6928, timeouts, recovery exit, idle ---

class CongestionWindow : public ::testing::TestWithParam<congestion_algorithm> {
protected:
    congestion_control started() {
        congestion_control c;
        c.start(GetParam(), mss);
        return c;
    }
};

std::string algorithm_name(const ::testing::TestParamInfo<congestion_algorithm>& p) {
    return p.param == congestion_algorithm::newreno ? "NewReno" : "Cubic";
}

INSTANTIATE_TEST_SUITE_P(BothAlgorithms, CongestionWindow,
                         ::testing::Values(congestion_algorithm::newreno, congestion_algorithm::cubic), algorithm_name);

TEST_P(CongestionWindow, InitialWindowIsTenSegments) {
    congestion_control c = started();
    EXPECT_EQ(c.algorithm(), GetParam());
    EXPECT_EQ(c.cwnd(), 10 * mss);
    EXPECT_EQ(c.ssthresh(), UINT32_MAX);  // "arbitrarily high"
    EXPECT_TRUE(c.in_slow_start());
}

TEST_P(CongestionWindow, SlowStartGrowsByTheBytesAcked) {
    congestion_control c = started();
    c.on_ack(t0, 500, mss, no_srtt);
    EXPECT_EQ(c.cwnd(), 10 * mss + 500);
    c.on_ack(t0, mss, mss, no_srtt);
    EXPECT_EQ(c.cwnd(), 11 * mss + 500);
}

TEST_P(CongestionWindow, SlowStartGrowsByAtMostOneMssPerAck) {
    congestion_control c = started();
    c.on_ack(t0, 5 * mss, mss, no_srtt);  // one stretch ACK of five segments (RFC 5681 3.1, N <= SMSS)
    EXPECT_EQ(c.cwnd(), 11 * mss);
}

TEST_P(CongestionWindow, SlowStartDoublesPerRoundTrip) {
    congestion_control c = started();
    for (int i = 0; i < 10; ++i) c.on_ack(t0, mss, mss, no_srtt);  // one ACK per segment of the window
    EXPECT_EQ(c.cwnd(), 20 * mss);
}

TEST_P(CongestionWindow, AckOfNothingDoesNotGrowTheWindow) {
    congestion_control c = started();
    c.on_ack(t0, 0, mss, no_srtt);
    EXPECT_EQ(c.cwnd(), 10 * mss);
}

TEST_P(CongestionWindow, SlowStartSaturatesInsteadOfWrapping) {
    congestion_control c;
    c.start(GetParam(), 65535);
    // 655,350 + 70,000 * 65,535 = 4,588,105,350 > 2^32 - 1.
    for (int i = 0; i < 70000; ++i) c.on_ack(t0, 65535, 65535, no_srtt);
    EXPECT_EQ(c.cwnd(), UINT32_MAX);
}

TEST_P(CongestionWindow, TimeoutLeavesOneSegment) {
    congestion_control c = started();
    c.on_retransmit_timeout(t0, 10 * mss, mss);
    EXPECT_EQ(c.cwnd(), mss);  // the loss window
    EXPECT_TRUE(c.in_slow_start());
}

TEST_P(CongestionWindow, TimeoutWithLittleInFlightKeepsSsthreshAtTwoSegments) {
    congestion_control c = started();
    c.on_retransmit_timeout(t0, 100, mss);
    EXPECT_EQ(c.ssthresh(), 2 * mss);
    EXPECT_EQ(c.cwnd(), mss);
}

TEST_P(CongestionWindow, RecoveryStartsAtSsthreshInCongestionAvoidance) {
    congestion_control c = started();
    c.on_enter_recovery(t0, 10 * mss, mss);
    EXPECT_EQ(c.cwnd(), c.ssthresh());  // RFC 6675 5 step 4.2
    EXPECT_FALSE(c.in_slow_start());
}

TEST_P(CongestionWindow, RecoveryWithLittleInFlightKeepsSsthreshAtTwoSegments) {
    congestion_control c = started();
    c.on_enter_recovery(t0, 2 * mss, mss);  // half is 1, 0.7 is 1.4 segments: both floored at 2
    EXPECT_EQ(c.ssthresh(), 2 * mss);
    EXPECT_EQ(c.cwnd(), 2 * mss);
}

TEST_P(CongestionWindow, LeavingRecoveryWithLittleInFlightSendsNoBurst) {
    congestion_control c = started();
    c.on_enter_recovery(t0, 10 * mss, mss);
    c.on_exit_recovery(2 * mss, mss);
    EXPECT_EQ(c.cwnd(), 3 * mss);  // RFC 6582 3.2 step 3: min(ssthresh, flight + SMSS)
    c.on_exit_recovery(0, mss);
    EXPECT_EQ(c.cwnd(), 2 * mss);  // at least one segment in flight counted
}

TEST_P(CongestionWindow, LeavingRecoveryWithAFullPipeKeepsSsthresh) {
    congestion_control c = started();
    c.on_enter_recovery(t0, 10 * mss, mss);
    uint32_t ssthresh = c.ssthresh();
    c.on_exit_recovery(10 * mss, mss);
    EXPECT_EQ(c.cwnd(), ssthresh);
}

TEST_P(CongestionWindow, IdleRestartCutsALargeWindowToTheInitialWindow) {
    congestion_control c = started();
    for (int i = 0; i < 30; ++i) c.on_ack(t0, mss, mss, no_srtt);
    ASSERT_EQ(c.cwnd(), 40 * mss);
    c.on_idle_restart(t0 + 10s, mss);  // RFC 5681 4.1: min(IW, cwnd)
    EXPECT_EQ(c.cwnd(), 10 * mss);
}

TEST_P(CongestionWindow, IdleRestartKeepsASmallerWindow) {
    congestion_control c = started();
    c.on_retransmit_timeout(t0, 4 * mss, mss);
    c.on_idle_restart(t0 + 10s, mss);
    EXPECT_EQ(c.cwnd(), mss);
}

TEST_P(CongestionWindow, StartForgetsThePreviousConnection) {
    congestion_control c = started();
    c.on_enter_recovery(t0, 10 * mss, mss);
    c.start(GetParam(), mss);
    EXPECT_EQ(c.cwnd(), 10 * mss);
    EXPECT_EQ(c.ssthresh(), UINT32_MAX);
}

// --- NewReno: RFC 5681 3.1 and 3.2 ---

congestion_control newreno() {
    congestion_control c;
    c.start(congestion_algorithm::newreno, mss);
    return c;
}

TEST(NewReno, TimeoutSetsSsthreshToHalfTheFlight) {
    congestion_control c = newreno();
    c.on_retransmit_timeout(t0, 20 * mss, mss);
    EXPECT_EQ(c.ssthresh(), 10 * mss);  // RFC 5681 equation (4): max(FlightSize / 2, 2 * SMSS)
    EXPECT_EQ(c.cwnd(), mss);
}

TEST(NewReno, RecoverySetsSsthreshToHalfTheFlight) {
    congestion_control c = newreno();
    c.on_enter_recovery(t0, 20 * mss, mss);
    EXPECT_EQ(c.ssthresh(), 10 * mss);
    EXPECT_EQ(c.cwnd(), 10 * mss);
}

TEST(NewReno, SlowStartAfterATimeoutUpToSsthresh) {
    congestion_control c = newreno();
    c.on_retransmit_timeout(t0, 8 * mss, mss);  // ssthresh = 4 segments
    c.on_ack(t0, mss, mss, no_srtt);
    c.on_ack(t0, mss, mss, no_srtt);
    c.on_ack(t0, mss, mss, no_srtt);
    EXPECT_EQ(c.cwnd(), 4 * mss);  // slow start reached ssthresh
    for (int i = 0; i < 3; ++i) c.on_ack(t0, mss, mss, no_srtt);
    EXPECT_EQ(c.cwnd(), 4 * mss);  // congestion avoidance: 3 of 4 segments counted
    c.on_ack(t0, mss, mss, no_srtt);
    EXPECT_EQ(c.cwnd(), 5 * mss);  // a cwnd's worth acknowledged: + SMSS (RFC 5681 3.1)
}

TEST(NewReno, CongestionAvoidanceAddsOneSegmentPerWindowAcknowledged) {
    congestion_control c = newreno();
    c.on_retransmit_timeout(t0, 20 * mss, mss);  // ssthresh = 10 segments
    for (int i = 0; i < 9; ++i) c.on_ack(t0, mss, mss, no_srtt);
    ASSERT_EQ(c.cwnd(), 10 * mss);
    for (int i = 0; i < 10; ++i) c.on_ack(t0, mss, mss, no_srtt);  // one window's worth of ACKs
    EXPECT_EQ(c.cwnd(), 11 * mss);
}

// The point of byte counting: a receiver that ACKs every second segment
// (RFC 9293 3.8.6.3) gets the same growth per round trip.
TEST(NewReno, DelayedAcksGrowTheWindowAsFastAsOneAckPerSegment) {
    congestion_control every = newreno(), delayed = newreno();
    for (congestion_control* c : {&every, &delayed}) c->on_enter_recovery(t0, 20 * mss, mss);  // cwnd 10
    for (int round = 0; round < 5; ++round) {
        uint32_t window = every.cwnd();
        for (uint32_t acked = 0; acked < window; acked += mss) every.on_ack(t0, mss, mss, no_srtt);
        for (uint32_t acked = 0; acked < window; acked += 2 * mss) delayed.on_ack(t0, 2 * mss, mss, no_srtt);
    }
    EXPECT_EQ(every.cwnd(), 15 * mss);
    EXPECT_EQ(delayed.cwnd(), every.cwnd());
}

TEST(NewReno, ALossForgetsBytesNotYetCounted) {
    congestion_control c = newreno();
    c.on_enter_recovery(t0, 20 * mss, mss);  // cwnd 10
    for (int i = 0; i < 9; ++i) c.on_ack(t0, mss, mss, no_srtt);
    c.on_enter_recovery(t0, 20 * mss, mss);
    c.on_ack(t0, mss, mss, no_srtt);
    EXPECT_EQ(c.cwnd(), 10 * mss);  // 1 of 10 counted, not 10
}

TEST(NewReno, CongestionAvoidanceIgnoresTime) {
    congestion_control c = newreno();
    c.on_enter_recovery(t0, 20 * mss, mss);
    for (int i = 0; i < 10; ++i) c.on_ack(t0 + 100s, mss, mss, 100ms);
    EXPECT_EQ(c.cwnd(), 11 * mss);
}

// --- CUBIC's integer arithmetic (cubic:: in congestion.hh) ---

// Segments of 1,000 bytes keep the hand arithmetic readable.
constexpr uint32_t seg = 1000;

TEST(CubicMath, CubeRootIsExactOnCubesAndFloorsBetween) {
    EXPECT_EQ(cubic::icbrt(0), 0u);
    EXPECT_EQ(cubic::icbrt(26), 2u);
    EXPECT_EQ(cubic::icbrt(27), 3u);
    EXPECT_EQ(cubic::icbrt(uint64_t{1} << 60), uint64_t{1} << 20);
    EXPECT_EQ(cubic::icbrt((uint64_t{1} << 60) - 1), (uint64_t{1} << 20) - 1);
    EXPECT_EQ(cubic::icbrt(UINT64_MAX), 2642245u);  // 2642245^3 = 1.8446724e19 <= 2^64 - 1 < 2642246^3
}

TEST(CubicMath, TicksAreTwoToTheMinusTenSeconds) {
    EXPECT_EQ(cubic::to_ticks(1s), 1024);
    EXPECT_EQ(cubic::to_ticks(100ms), 102);  // 102.4
    EXPECT_EQ(cubic::to_ticks(0s), 0);
}

TEST(CubicMath, KForWmaxOf100AndCwndEpochOf70Segments) {
    // Figure 2: K = cbrt((100 - 70) / 0.4) = cbrt(75) = 4.21716 s = 4318.4 ticks.
    EXPECT_EQ(cubic::k_ticks(100 * seg, 70 * seg, seg), 4318u);
    // The unit does not matter: the same windows in segments of 1,448 bytes.
    EXPECT_EQ(cubic::k_ticks(100 * mss, 70 * mss, mss), 4318u);
}

TEST(CubicMath, KIsClampedForAnAbsurdDrop) {
    // cbrt((2^32 / 64) / 0.4) = 552 s would still fit; a one-byte MSS does not.
    EXPECT_EQ(cubic::k_ticks(UINT32_MAX, 0, 1), static_cast<uint32_t>(cubic::max_offset));
}

TEST(CubicMath, CurvePassesThroughCwndEpochAndWmax) {
    uint32_t k = cubic::k_ticks(100 * seg, 70 * seg, seg);
    EXPECT_NEAR(static_cast<double>(cubic::window(0, k, 100 * seg, seg)), 70 * seg, 10);  // W_cubic(0) = cwnd_epoch
    EXPECT_EQ(cubic::window(k, k, 100 * seg, seg), 100 * seg);                           // W_cubic(K) = W_max
}

TEST(CubicMath, CurveGrowsAsTheCubeOfTheTimeFromK) {
    // W_cubic(K + 2 s) = 100 + 0.4 * 2^3 = 103.2 segments; K - 2 s: 96.8.
    EXPECT_NEAR(static_cast<double>(cubic::window(5000 + 2048, 5000, 100 * seg, seg)), 103200, 2);
    EXPECT_NEAR(static_cast<double>(cubic::window(5000 - 2048, 5000, 100 * seg, seg)), 96800, 2);
}

TEST(CubicMath, FarOffsetsNeitherOverflowNorGoNegative) {
    // Far past K: beyond any 32-bit window. Far before K: floored at zero.
    EXPECT_GT(cubic::window(int64_t{1} << 40, 0, 100 * seg, seg), uint64_t{UINT32_MAX});
    EXPECT_EQ(cubic::window(0, 1 << 20, 100 * seg, seg), 0u);
}

// --- CUBIC: RFC 9438 4.2 to 4.8 ---

constexpr time_point t_loss = t0 + 1000s;

// A loss detected by duplicate ACKs with `flight` in flight, and recovery
// left with the pipe at ssthresh.
void lose(congestion_control& c, time_point now, uint32_t flight) {
    c.on_enter_recovery(now, flight, seg);
    c.on_exit_recovery(c.ssthresh(), seg);
}

// Slow start to `segments`, then a loss with that much in flight.
congestion_control cubic_after_loss_at(uint32_t segments) {
    congestion_control c;
    c.start(congestion_algorithm::cubic, seg);
    while (c.cwnd() < segments * seg) c.on_ack(t0, seg, seg, no_srtt);
    lose(c, t_loss, segments * seg);
    return c;
}

// A stage starts with one ACK at `stage_start`; `after` later one ACK of the
// whole window, with SRTT 100 ms, closes the whole gap (acked = cwnd in
// 4.4/4.5): cwnd becomes the target W_cubic(after + 0.1 s), within 4.2's clamp.
void ack_a_window_later(congestion_control& c, time_point stage_start, duration after) {
    c.on_ack(stage_start, seg, seg, no_srtt);
    c.on_ack(stage_start + after, c.cwnd(), seg, 100ms);
}

TEST(Cubic, StateStaysSmall) {
    // cwnd, ssthresh and the algorithm: 12 bytes; NewReno's and CUBIC's
    // state (32) and BBR's model (bbr.hh, 68) share the rest.
    std::printf("sizeof(congestion_control) = %zu bytes\n", sizeof(congestion_control));
    EXPECT_LE(sizeof(loss_based_state), 32u);
    EXPECT_LE(sizeof(bbr_model), 68u);
    EXPECT_LE(sizeof(congestion_control), 12u + 68u);
}

TEST(Cubic, MultiplicativeDecreaseIsSevenTenthsOfTheFlight) {
    congestion_control c = cubic_after_loss_at(100);
    EXPECT_EQ(c.ssthresh(), 70 * seg);  // 4.6: flight_size * 0.7
    EXPECT_EQ(c.cwnd(), 70 * seg);
}

TEST(Cubic, MultiplicativeDecreaseUsesTheFlightNotCwnd) {
    congestion_control c;
    c.start(congestion_algorithm::cubic, seg);
    while (c.cwnd() < 100 * seg) c.on_ack(t0, seg, seg, no_srtt);
    c.on_enter_recovery(t_loss, 80 * seg, seg);  // application-limited: 80 of 100 in flight
    EXPECT_EQ(c.ssthresh(), 56 * seg);
}

TEST(Cubic, TimeoutSetsSsthreshToSevenTenthsOfTheFlight) {
    congestion_control c;
    c.start(congestion_algorithm::cubic, seg);
    c.on_retransmit_timeout(t0, 20 * seg, seg);
    EXPECT_EQ(c.ssthresh(), 14 * seg);  // 4.8: as in 4.6, not RFC 5681's half
    EXPECT_EQ(c.cwnd(), seg);
}

TEST(Cubic, ConcaveRegionFollowsTheCurveFromTheFirstAckAfterTheLoss) {
    // W_max = 100, cwnd_epoch = 70, K = 4.2172 s. Recovery lasts 5 s here:
    // the stage (and t) starts at the first ACK after it, not at the loss.
    congestion_control c = cubic_after_loss_at(100);
    time_point first = t_loss + 5s;
    c.on_ack(first, seg, seg, no_srtt);  // target W_cubic(0) = cwnd_epoch: no growth
    EXPECT_EQ(c.cwnd(), 70 * seg);
    // One ACK of the whole window 0.9 s later with RTT 100 ms moves cwnd to
    // target = W_cubic(1.0) = 100 + 0.4 * (1 - 4.2172)^3 = 100 - 13.320 =
    // 86.680 segments (inside [70, 105]). From the loss it would be
    // W_cubic(6.0) = 102.27.
    c.on_ack(first + 900ms, 70 * seg, seg, 100ms);
    EXPECT_NEAR(c.cwnd(), 86680, 20);
}

TEST(Cubic, ConvexRegionBeyondWmax) {
    congestion_control c = cubic_after_loss_at(100);
    // W_cubic(5.9 + 0.1) = 100 + 0.4 * (6 - 4.2172)^3 = 100 + 0.4 * 5.6665 = 102.267.
    ack_a_window_later(c, t_loss, 5900ms);
    EXPECT_NEAR(c.cwnd(), 102267, 20);
}

TEST(Cubic, TargetIsAtMostOneAndAHalfCwnd) {
    congestion_control c = cubic_after_loss_at(100);
    // W_cubic(20.1) = 100 + 0.4 * 15.88^3 = 1702 segments; 4.2 caps the
    // target at 1.5 * 70 = 105.
    ack_a_window_later(c, t_loss, 20s);
    EXPECT_EQ(c.cwnd(), 105 * seg);
    // One segment acknowledged adds (target - cwnd) / cwnd = (157.5 - 105) / 105 = 0.5 segment.
    c.on_ack(t_loss + 20s, seg, seg, 100ms);
    EXPECT_EQ(c.cwnd(), 105 * seg + seg / 2);
}

TEST(Cubic, TargetBelowCwndLeavesItAlone) {
    congestion_control c = cubic_after_loss_at(100);
    ack_a_window_later(c, t_loss, 5900ms);  // W_cubic(6.0) = 102.267, as above
    uint32_t before = c.cwnd();
    // Without the RTT the target would be W_cubic(5.9) = 100 + 0.4 * 1.6828^3
    // = 101.906 < cwnd: 4.2 raises it to cwnd, and cwnd neither grows nor shrinks.
    c.on_ack(t_loss + 5900ms, seg, seg, no_srtt);
    EXPECT_EQ(c.cwnd(), before);
}

TEST(Cubic, GrowthPerSegmentAcknowledgedNotPerAck) {
    // A receiver acknowledging every second segment grows cwnd as fast as
    // one acknowledging each (segments_acked in 4.3, per segment in 4.4).
    congestion_control each = cubic_after_loss_at(100);
    congestion_control every_second = cubic_after_loss_at(100);
    each.on_ack(t_loss, seg, seg, no_srtt);
    every_second.on_ack(t_loss, seg, seg, no_srtt);
    for (int i = 0; i < 70; ++i) each.on_ack(t_loss + 2s, seg, seg, 100ms);
    for (int i = 0; i < 35; ++i) every_second.on_ack(t_loss + 2s, 2 * seg, seg, 100ms);
    // Target W_cubic(2.1) = 100 - 0.4 * 2.1172^3 = 96.204: each of the 70
    // ACKs closes 1/cwnd of the gap, at most 1 - (1 - 1/70)^70 = 63 % of its
    // 26.2 segments in all (a little less as cwnd grows): above 84.
    EXPECT_GT(each.cwnd(), 84 * seg);
    EXPECT_NEAR(every_second.cwnd(), each.cwnd(), seg / 2);
}

TEST(Cubic, AfterATimeoutTheCurveStartsFlatAtTheNewStage) {
    // 4.8: cwnd 100, timeout with 100 in flight: ssthresh 70, cwnd 1; slow
    // start back to 70; then K = 0 and W_max = cwnd_epoch = 70.
    congestion_control c;
    c.start(congestion_algorithm::cubic, seg);
    while (c.cwnd() < 100 * seg) c.on_ack(t0, seg, seg, no_srtt);
    c.on_retransmit_timeout(t_loss, 100 * seg, seg);
    while (c.in_slow_start()) c.on_ack(t_loss, seg, seg, no_srtt);
    ASSERT_EQ(c.cwnd(), 70 * seg);
    // The stage starts at t_loss + 1 s with W_cubic(0) = 70, and
    // W_cubic(1.9 + 0.1) = 0.4 * 2^3 + 70 = 73.2 segments.
    ack_a_window_later(c, t_loss + 1s, 1900ms);
    EXPECT_NEAR(c.cwnd(), 73200, 10);
}

TEST(Cubic, FastConvergenceLowersWmax) {
    // First loss at 100: W_max = 100, cwnd = 70. A second loss before
    // reaching W_max (4.7): W_max = 70 * 0.85 = 59.5, cwnd = 0.7 * 70 = 49,
    // K = cbrt((59.5 - 49) / 0.4) = cbrt(26.25) = 2.972 s. At t + RTT = 3 s
    // the window plateaus at 59.5, where W_max = 70 would give
    // 70 - 0.4 * (cbrt(52.5) - 3)^3 = 70 - 0.4 * 0.744^3 = 69.84.
    congestion_control c = cubic_after_loss_at(100);
    lose(c, t_loss + 1s, 70 * seg);
    ASSERT_EQ(c.cwnd(), 49 * seg);
    ack_a_window_later(c, t_loss + 2s, 2900ms);
    EXPECT_NEAR(c.cwnd(), 59500, 20);
}

TEST(Cubic, LossAboveWmaxRemembersTheWholeWindow) {
    // Grown past the old W_max (100) to 105: the next loss sets W_max = 105,
    // cwnd = 73.5; the plateau at t = K is 105, not 0.85 * 105 = 89.25.
    congestion_control c = cubic_after_loss_at(100);
    ack_a_window_later(c, t_loss, 20s);
    ASSERT_EQ(c.cwnd(), 105 * seg);
    lose(c, t_loss + 21s, 105 * seg);
    ASSERT_EQ(c.cwnd(), 73500u);
    // K = cbrt(31.5 / 0.4) = cbrt(78.75) = 4.287 s; W_cubic(4.3) = 105 + 0.4 * 0.013^3.
    ack_a_window_later(c, t_loss + 22s, 4200ms);
    EXPECT_NEAR(c.cwnd(), 105000, 20);
}

// Rounds of one RTT, each acknowledging the window in MSS-sized ACKs.
void run_rounds(congestion_control& c, time_point& now, duration rtt, int rounds) {
    for (int r = 0; r < rounds; ++r) {
        uint32_t acks = c.cwnd() / seg;
        for (uint32_t i = 0; i < acks; ++i) c.on_ack(now, seg, seg, rtt);
        now += rtt;
    }
}

TEST(Cubic, RenoFriendlyRegionWinsAtSmallRtt) {
    // RTT 1 ms after a loss at 100 (cwnd 70, K = 4.2 s). In 50 ms the curve
    // reaches only W_cubic(0.05) = 100 - 0.4 * 4.167^3 = 71.06 segments,
    // while W_est grows by alpha_cubic = 9/17 = 0.53 segment per RTT (4.3):
    // 70 + 50 * 0.53 = 96.5, and cwnd follows W_est.
    congestion_control c = cubic_after_loss_at(100);
    time_point now = t_loss;
    run_rounds(c, now, 1ms, 50);
    EXPECT_NEAR(c.cwnd(), 96500, 1500);
    // Past cwnd_prior = 100 alpha_cubic becomes 1: from round 57 or so one
    // segment per RTT, so 30 more rounds end near 96.5 + 6.6 * 0.53 + 23.4 = 123.4
    // (with 9/17 throughout: 112.4).
    run_rounds(c, now, 1ms, 30);
    EXPECT_NEAR(c.cwnd(), 123400, 1500);
}

TEST(Cubic, CurveWinsAtLargeRtt) {
    // RTT 100 ms: after 10 rounds (1 s) W_est = 70 + 10 * 0.53 = 75.3, but
    // the last round, at t = 0.9 s, aims at W_cubic(0.9 + 0.1) = 86.68 and
    // the one before at W_cubic(0.9) = 85.40; each round closes about
    // 1 - (1 - 1/cwnd)^cwnd = 63 % of the gap to its target.
    congestion_control c = cubic_after_loss_at(100);
    time_point now = t_loss;
    run_rounds(c, now, 100ms, 10);
    EXPECT_GT(c.cwnd(), 85 * seg);
    EXPECT_LT(c.cwnd(), 86680u);
}

// After a timeout and slow start back to 7 segments, a stage begins at
// t_loss with K = 0, W_max = 7 segments; then 60 s pass without traffic.
congestion_control cubic_idle_for_a_minute() {
    congestion_control c;
    c.start(congestion_algorithm::cubic, seg);
    c.on_retransmit_timeout(t0, 10 * seg, seg);  // ssthresh 7 segments
    while (c.in_slow_start()) c.on_ack(t0, seg, seg, no_srtt);
    c.on_ack(t_loss, seg, seg, 100ms);
    return c;
}

TEST(Cubic, IdleTimeDoesNotCountWithoutARestart) {
    // The failure the restart prevents: t = 60 s puts the target at 1.5 cwnd,
    // and one segment acknowledged adds half a segment at once.
    congestion_control c = cubic_idle_for_a_minute();
    ASSERT_EQ(c.cwnd(), 7 * seg);
    c.on_ack(t_loss + 60s, seg, seg, 100ms);
    EXPECT_EQ(c.cwnd(), 7500u);
}

TEST(Cubic, IdleRestartStartsANewStageInsteadOfJumping) {
    // RFC 5681 4.1 leaves cwnd (7 <= IW); the next ACK starts a new stage at
    // cwnd: W_cubic(0.1) = 7 + 0.4 * 0.1^3 = 7.0004 segments.
    congestion_control c = cubic_idle_for_a_minute();
    c.on_idle_restart(t_loss + 60s, seg);
    c.on_ack(t_loss + 60s, seg, seg, 100ms);
    EXPECT_LT(c.cwnd(), 7 * seg + 10);
}

TEST(Cubic, IdleWithoutRestartStillStartsANewStage) {
    // slow_start_after_idle off: cwnd stays, the idle time still does not count.
    congestion_control c = cubic_idle_for_a_minute();
    c.on_idle();
    c.on_ack(t_loss + 60s, seg, seg, 100ms);
    EXPECT_LT(c.cwnd(), 7 * seg + 10);
}

}  // namespace
}  // namespace fptcp::tcp
