// Arithmetic of the RTO estimator (rtt.hh, RFC 6298 section 2), with the
// numbers worked by hand in the comments. The congestion window's tests are
// in congestion_test.cc.

#include <chrono>

#include <gtest/gtest.h>

#include "tcp/rtt.hh"

namespace fptcp::tcp {
namespace {

using namespace std::chrono_literals;

constexpr duration rto_min = 200ms;
constexpr duration rto_max = 60s;

// --- RFC 6298 2.1: before any measurement ---

TEST(RttEstimator, StartsWithTheInitialRtoAndNoSample) {
    rtt_estimator r(1s);
    EXPECT_FALSE(r.has_sample());
    EXPECT_EQ(r.rto(), 1s);
    EXPECT_EQ(r.srtt(), 0us);
}

TEST(RttEstimator, SetRtoReplacesTheTimeout) {
    rtt_estimator r(1s);
    r.set_rto(3s);  // RFC 6298 5.7
    EXPECT_EQ(r.rto(), 3s);
    EXPECT_FALSE(r.has_sample());
}

// --- RFC 6298 2.2: the first measurement ---

TEST(RttEstimator, FirstSampleSetsSrttToRAndRttvarToHalfOfR) {
    rtt_estimator r(1s);
    r.sample(100ms, rto_min, rto_max);
    EXPECT_TRUE(r.has_sample());
    EXPECT_EQ(r.srtt(), 100ms);
    EXPECT_EQ(r.rttvar(), 50ms);
    EXPECT_EQ(r.rto(), 300ms);  // 100 + max(G = 1 ms, 4 * 50)
}

TEST(RttEstimator, FirstSampleOfOneSecond) {
    rtt_estimator r(1s);
    r.sample(1s, rto_min, rto_max);
    EXPECT_EQ(r.srtt(), 1s);
    EXPECT_EQ(r.rttvar(), 500ms);
    EXPECT_EQ(r.rto(), 3s);
}

// --- RFC 6298 2.3: later measurements, alpha = 1/8, beta = 1/4 ---

TEST(RttEstimator, SecondSampleLargerThanSrtt) {
    rtt_estimator r(1s);
    r.sample(100ms, rto_min, rto_max);
    r.sample(200ms, rto_min, rto_max);
    // RTTVAR = 3/4 * 50 + 1/4 * |100 - 200| = 37.5 + 25 = 62.5
    // SRTT   = 7/8 * 100 + 1/8 * 200 = 87.5 + 25 = 112.5
    // RTO    = 112.5 + 4 * 62.5 = 362.5
    EXPECT_EQ(r.rttvar(), 62500us);
    EXPECT_EQ(r.srtt(), 112500us);
    EXPECT_EQ(r.rto(), 362500us);
}

TEST(RttEstimator, SecondSampleSmallerThanSrtt) {
    rtt_estimator r(1s);
    r.sample(400ms, rto_min, rto_max);
    r.sample(80ms, rto_min, rto_max);
    // RTTVAR = 3/4 * 200 + 1/4 * |400 - 80| = 150 + 80 = 230
    // SRTT   = 7/8 * 400 + 1/8 * 80 = 350 + 10 = 360
    // RTO    = 360 + 4 * 230 = 1280
    EXPECT_EQ(r.rttvar(), 230ms);
    EXPECT_EQ(r.srtt(), 360ms);
    EXPECT_EQ(r.rto(), 1280ms);
}

TEST(RttEstimator, RttvarIsUpdatedWithTheOldSrtt) {
    // RFC 6298 2.3: RTTVAR uses SRTT before this sample's update. With the
    // new SRTT (112.5) instead of the old (100), RTTVAR would be 59.375.
    rtt_estimator r(1s);
    r.sample(100ms, rto_min, rto_max);
    r.sample(200ms, rto_min, rto_max);
    EXPECT_NE(r.rttvar(), 59375us);
    EXPECT_EQ(r.rttvar(), 62500us);
}

TEST(RttEstimator, SteadySamplesConvergeAndShrinkRttvar) {
    rtt_estimator r(1s);
    r.sample(100ms, rto_min, rto_max);
    for (int i = 0; i < 50; ++i) r.sample(100ms, rto_min, rto_max);
    EXPECT_EQ(r.srtt(), 100ms);
    // RTTVAR = 50 ms * (3/4)^50, truncated at each step: far below a millisecond.
    EXPECT_LT(r.rttvar(), 1ms);
    EXPECT_EQ(r.rto(), rto_min);  // 100 ms + G would be 101 ms: the minimum wins
}

TEST(RttEstimator, SrttFollowsAStepChangeSlowly) {
    rtt_estimator r(1s);
    r.sample(100ms, rto_min, rto_max);
    for (int i = 0; i < 8; ++i) r.sample(500ms, rto_min, rto_max);
    // SRTT = 500 - 400 * (7/8)^8 = 500 - 137.4 = 362.6 (within rounding).
    EXPECT_GT(r.srtt(), 362ms);
    EXPECT_LT(r.srtt(), 363ms);
}

// --- the clock granularity term, max(G, K * RTTVAR) ---

TEST(RttEstimator, ClockGranularityBoundsTheVarianceTerm) {
    rtt_estimator r(1s);
    r.sample(200us, 0us, rto_max);
    // SRTT = 200 us, RTTVAR = 100 us, 4 * RTTVAR = 400 us < G = 1 ms.
    EXPECT_EQ(r.rttvar(), 100us);
    EXPECT_EQ(r.rto(), 1200us);
}

TEST(RttEstimator, ZeroSampleCountsAsOneMicrosecond) {
    rtt_estimator r(1s);
    r.sample(0us, 0us, rto_max);
    EXPECT_EQ(r.srtt(), 1us);
    EXPECT_EQ(r.rttvar(), 0us);
    EXPECT_EQ(r.rto(), 1001us);
}

// --- RFC 6298 2.4 and 2.5: clamping ---

TEST(RttEstimator, RtoIsRaisedToTheMinimum) {
    rtt_estimator r(1s);
    r.sample(10ms, rto_min, rto_max);  // 10 + 20 = 30 ms computed
    EXPECT_EQ(r.srtt(), 10ms);
    EXPECT_EQ(r.rto(), rto_min);
}

TEST(RttEstimator, RtoIsLoweredToTheMaximum) {
    rtt_estimator r(1s);
    r.sample(30s, rto_min, rto_max);  // 30 + 60 = 90 s computed
    EXPECT_EQ(r.srtt(), 30s);
    EXPECT_EQ(r.rto(), rto_max);
}

TEST(RttEstimator, RfcMinimumOfOneSecondCanBeConfigured) {
    rtt_estimator r(1s);
    r.sample(100ms, 1s, rto_max);  // RFC 6298 2.4 proper: RTO >= 1 s
    EXPECT_EQ(r.rto(), 1s);
}

TEST(RttEstimator, ClampingDoesNotAlterTheEstimates) {
    rtt_estimator r(1s);
    r.sample(10ms, rto_min, rto_max);
    r.sample(20ms, rto_min, rto_max);
    // RTTVAR = 3/4 * 5 + 1/4 * 10 = 6.25; SRTT = 8.75 + 2.5 = 11.25
    EXPECT_EQ(r.rttvar(), 6250us);
    EXPECT_EQ(r.srtt(), 11250us);
    EXPECT_EQ(r.rto(), rto_min);
}

TEST(RttEstimator, HugeSampleDoesNotOverflow) {
    rtt_estimator r(1s);
    r.sample(std::chrono::minutes(60), rto_min, rto_max);
    EXPECT_EQ(r.srtt(), std::chrono::minutes(60));
    EXPECT_EQ(r.rto(), rto_max);  // 3 hours computed, in 64 bits
}

// 2^32 us + 10 ms wrapped to 10 ms in 32 bits; the sample on the wire was a
// TSecr 71 minutes old. It counts as the longest sample 32 bits hold.
TEST(RttEstimator, SampleBeyondThirtyTwoBitsDoesNotWrap) {
    rtt_estimator r(1s);
    r.sample(duration(int64_t{1} << 32) + 10ms, rto_min, rto_max);
    EXPECT_EQ(r.srtt(), duration(UINT32_MAX));
    EXPECT_EQ(r.rto(), rto_max);
    r.sample(std::chrono::hours(24 * 24), rto_min, rto_max);  // 24 days: about the oldest echo PAWS lets by
    EXPECT_EQ(r.srtt(), duration(UINT32_MAX));
    EXPECT_EQ(r.rttvar(), duration(UINT32_MAX / 2 - UINT32_MAX / 8));  // 3/4 of the first, |diff| = 0
}

}  // namespace
}  // namespace fptcp::tcp
