// BBR v1 (bbr.hh) on a made-up path: the windowed maximum, Startup filling
// the pipe, the window at twice the bandwidth-delay product, loss that
// leaves the model alone, ProbeRTT, and the timeout's loss window. The
// numbers follow from the draft's constants: gains 2/ln 2, 2 and 1, three
// rounds without 25 % growth, ten rounds and ten seconds of memory, four
// segments and 200 ms in ProbeRTT.

#include <algorithm>
#include <cstdint>

#include <gtest/gtest.h>

#include "tcp/congestion.hh"

namespace fptcp::tcp {
namespace {

using namespace std::chrono_literals;
using phase = bbr_model::phase;

constexpr uint32_t mss = 1448;

TEST(WindowedMax, KeepsTheLargestOfTheWindow) {
    windowed_max f;
    f.update(0, 100, 10);
    f.update(1, 50, 10);
    f.update(2, 70, 10);
    EXPECT_EQ(f.best(), 100u);
    f.update(3, 120, 10);
    EXPECT_EQ(f.best(), 120u);
}

TEST(WindowedMax, ForgetsAMaximumOlderThanTheWindow) {
    windowed_max f;
    f.update(0, 100, 10);
    for (uint32_t round = 1; round <= 10; ++round) f.update(round, 60, 10);
    EXPECT_EQ(f.best(), 100u);
    f.update(11, 60, 10);
    EXPECT_EQ(f.best(), 60u);  // 100 is eleven rounds old
}

TEST(WindowedMax, ALowerValueTakesOverWhenTheBestAges) {
    windowed_max f;
    f.update(0, 100, 10);
    f.update(4, 80, 10);
    f.update(8, 40, 10);
    f.update(11, 30, 10);  // 100 aged out: the best of what came later
    EXPECT_EQ(f.best(), 80u);
}

// A path of `bdp_segments` per round trip of `rtt`, without a queue: a round
// delivers min(cwnd, BDP), all of it acknowledged by one ACK at the end.
class BbrPath : public ::testing::Test {
protected:
    static constexpr uint32_t bdp_segments = 100;
    static constexpr duration rtt = 1ms;

    congestion_control c;
    time_point now{};
    seq_num sent{1000};
    uint32_t delivered = 0;

    void SetUp() override { c.start(congestion_algorithm::bbr, mss); }

    const bbr_model& model() const { return *c.bbr(); }

    // One round: what cwnd and the path allow leaves, and is acknowledged
    // one RTT later, with `inflight` octets still out after the ACK.
    void round(duration this_rtt = rtt, uint32_t inflight = 0) {
        uint32_t octets = std::min(c.cwnd(), bdp_segments * mss);
        sent = sent + seq_len(octets);
        now += this_rtt;
        delivered += octets;
        c.on_rtt(now, this_rtt);
        c.on_delivery(sample(inflight), mss);
    }

    delivery_sample sample(uint32_t inflight) const {
        return {.now = to_micros32(now),
                .now_ms = to_ms32(now),
                .delivered = delivered,
                .delivered_edge = sent,
                .snd_nxt = sent,
                .inflight = inflight};
    }

    // Startup until the pipe is full, then one ACK more for Drain.
    void reach_probe_bw() {
        for (int i = 0; i < 20 && model().current() != phase::probe_bw; ++i) round();
        ASSERT_EQ(model().current(), phase::probe_bw);
    }

    static uint32_t path_bandwidth() { return bdp_segments * mss * 1000 / static_cast<uint32_t>(rtt.count()); }
    static uint32_t probe_bw_window() { return 2 * bdp_segments * mss + 3 * mss; }  // cwnd_gain 2, plus three segments
};

TEST_F(BbrPath, StartsWithTheInitialWindowInStartup) {
    EXPECT_EQ(c.cwnd(), 10 * mss);
    EXPECT_EQ(model().current(), phase::startup);
    EXPECT_EQ(model().bandwidth(), 0u);
    EXPECT_EQ(model().rtprop_us(), UINT32_MAX);
}

TEST_F(BbrPath, StartupGrowsTheWindowByWhatIsDelivered) {
    round();  // the first ACK opens the first round
    EXPECT_EQ(c.cwnd(), 20 * mss);
    round();
    EXPECT_EQ(c.cwnd(), 40 * mss);
    EXPECT_EQ(model().bandwidth(), 20 * mss);  // octets per millisecond: 20 segments in 1 ms
    EXPECT_EQ(model().current(), phase::startup);
}

TEST_F(BbrPath, ThreeRoundsWithoutGrowthFillThePipeAndTheWindowSettlesAtTwiceTheBdp) {
    reach_probe_bw();
    EXPECT_TRUE(model().pipe_filled());
    EXPECT_EQ(model().bandwidth(), path_bandwidth());
    EXPECT_EQ(model().rtprop_us(), 1000u);
    for (int i = 0; i < 5; ++i) round();
    EXPECT_EQ(c.cwnd(), probe_bw_window());
}

TEST_F(BbrPath, DrainHoldsTheWindowAtOneBdpUntilTheQueueIsGone) {
    uint32_t bdp = bdp_segments * mss;
    // Startup leaves a queue: more than a BDP still in flight at each ACK.
    for (int i = 0; i < 20 && !model().pipe_filled(); ++i) round(rtt, 2 * bdp);
    ASSERT_TRUE(model().pipe_filled());
    EXPECT_EQ(model().current(), phase::drain);
    EXPECT_EQ(c.cwnd(), bdp + 3 * mss);
    round(rtt, bdp);
    EXPECT_EQ(model().current(), phase::probe_bw);
}

// Random loss is not congestion: a fast recovery conserves packets for one
// round and then hands back the window; the model is untouched.
TEST_F(BbrPath, FastRecoveryConservesPacketsForARoundThenRestoresTheWindow) {
    reach_probe_bw();
    for (int i = 0; i < 5; ++i) round();
    uint32_t before = c.cwnd();
    uint32_t bandwidth = model().bandwidth();
    c.on_enter_recovery(now, c.cwnd(), mss);
    now += 100us;
    delivered += 10 * mss;  // SACKed above the hole
    c.on_delivery(sample(50 * mss), mss);
    EXPECT_EQ(c.cwnd(), 60 * mss);  // what is in flight plus what was delivered
    round(rtt, 50 * mss);             // the round ends: conservation too
    EXPECT_GT(c.cwnd(), 60 * mss);
    c.on_exit_recovery(50 * mss, mss);
    EXPECT_EQ(c.cwnd(), before);
    EXPECT_EQ(model().bandwidth(), bandwidth);
    EXPECT_EQ(c.ssthresh(), UINT32_MAX);  // no ssthresh to lower
}

TEST_F(BbrPath, SpuriousRecoveryUndoneRestoresTheWindow) {
    reach_probe_bw();
    uint32_t before = c.cwnd();
    c.on_enter_recovery(now, c.cwnd(), mss);
    delivered += mss;
    c.on_delivery(sample(4 * mss), mss);
    ASSERT_LT(c.cwnd(), before);
    c.undo_recovery();
    EXPECT_EQ(c.cwnd(), before);
}

TEST_F(BbrPath, TimeoutFallsToOneSegmentAndRegrowsToTheModel) {
    reach_probe_bw();
    for (int i = 0; i < 5; ++i) round();
    c.on_retransmit_timeout(now, c.cwnd(), mss);
    EXPECT_EQ(c.cwnd(), mss);
    round();
    EXPECT_EQ(c.cwnd(), 4 * mss);  // up by the one segment delivered, and at least four
    for (int i = 0; i < 10; ++i) round();
    EXPECT_EQ(c.cwnd(), probe_bw_window());
}

// 4.3.4: ten seconds without a lower RTT, and the flight is held at four
// segments for 200 ms and a round; then the window comes back.
TEST_F(BbrPath, TenSecondsWithoutANewMinimumRttProbeItAtFourSegments) {
    reach_probe_bw();
    for (int i = 0; i < 5; ++i) round();
    for (int i = 0; i < 100; ++i) round(rtt + 100us);  // 110 ms, no new minimum
    uint32_t before = c.cwnd();
    now += 10s;
    round(rtt + 100us, 50 * mss);
    EXPECT_EQ(model().current(), phase::probe_rtt);
    EXPECT_EQ(c.cwnd(), 4 * mss);
    round(rtt, 4 * mss);  // down to four segments: 200 ms from here
    round(rtt, 4 * mss);
    EXPECT_EQ(model().current(), phase::probe_rtt);
    now += 200ms;
    round(rtt, 4 * mss);
    EXPECT_EQ(model().current(), phase::probe_bw);
    EXPECT_GE(c.cwnd(), before);
    EXPECT_EQ(model().rtprop_us(), 1000u);
}

TEST_F(BbrPath, AnApplicationLimitedRoundDoesNotLowerTheEstimate) {
    reach_probe_bw();
    uint32_t bandwidth = model().bandwidth();
    for (int i = 0; i < 12; ++i) {
        c.on_app_limited();
        sent = sent + seq_len(mss);
        now += rtt;
        delivered += mss;
        c.on_delivery(sample(0), mss);
    }
    EXPECT_EQ(model().bandwidth(), bandwidth);
}

TEST_F(BbrPath, RatesThePathLimitedFallAfterTenRounds) {
    reach_probe_bw();
    for (int i = 0; i < 12; ++i) {
        sent = sent + seq_len(10 * mss);
        now += rtt;
        delivered += 10 * mss;
        c.on_delivery(sample(0), mss);
    }
    EXPECT_EQ(model().bandwidth(), 10 * mss);  // not application-limited: the path slowed down
}

}  // namespace
}  // namespace fptcp::tcp
