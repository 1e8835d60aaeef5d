// The fault injector on real mbufs (EAL with --no-huge, dpdk_main.cc): rates
// within statistical bounds, the same decisions for the same seed, held
// frames released after a later frame or after max_hold, and every mbuf back
// in its pool, whatever was dropped, duplicated or still held at the end.
#include "engine/fault_injector.hh"

#include <gtest/gtest.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <cmath>
#include <cstring>
#include <vector>

namespace fptcp::engine {
namespace {

using namespace std::chrono_literals;

constexpr uint32_t percent = fault_rates::certain / 100;

class FaultInjector : public ::testing::Test {
protected:
    void SetUp() override {
        static int pools = 0;
        std::string name = "fault_test_" + std::to_string(pools++);
        _pool = rte_pktmbuf_pool_create(name.c_str(), 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
        ASSERT_NE(_pool, nullptr);
        _baseline = rte_mempool_avail_count(_pool);
    }

    void TearDown() override {
        EXPECT_EQ(rte_mempool_avail_count(_pool), _baseline) << "an mbuf leaked";
        rte_mempool_free(_pool);
    }

    // A 64-byte frame carrying its number.
    rte_mbuf* frame(uint32_t number) {
        rte_mbuf* m = rte_pktmbuf_alloc(_pool);
        EXPECT_NE(m, nullptr);
        auto* data = rte_pktmbuf_mtod(m, uint8_t*);
        std::memset(data, 0xab, 64);
        std::memcpy(data, &number, sizeof number);
        m->data_len = m->pkt_len = 64;
        return m;
    }

    static uint32_t number_of(const rte_mbuf* m) {
        uint32_t number;
        std::memcpy(&number, rte_pktmbuf_mtod(m, const uint8_t*), sizeof number);
        return number;
    }

    // Frames first..first+count-1 through the injector; returns the numbers
    // of what came out and frees it.
    std::vector<uint32_t> run(fault_injector& f, uint32_t first, uint32_t count, time_point now) {
        std::vector<rte_mbuf*> in;
        for (uint32_t i = 0; i < count; ++i) in.push_back(frame(first + i));
        return collect(f.filter(in, now));
    }

    static std::vector<uint32_t> collect(std::span<rte_mbuf*> out) {
        std::vector<uint32_t> numbers;
        for (rte_mbuf* m : out) {
            numbers.push_back(number_of(m));
            rte_pktmbuf_free(m);
        }
        return numbers;
    }

    // `total` frames in bursts of 32, 10 us apart.
    std::vector<uint32_t> stream(fault_injector& f, uint32_t total) {
        std::vector<uint32_t> out;
        time_point now{};
        for (uint32_t first = 0; first < total; first += 32) {
            std::vector<uint32_t> got = run(f, first, std::min(32u, total - first), now);
            out.insert(out.end(), got.begin(), got.end());
            now += 10us;
        }
        return out;
    }

    rte_mempool* _pool = nullptr;
    unsigned _baseline = 0;
};

TEST_F(FaultInjector, AllRatesZeroIsDisabled) {
    EXPECT_FALSE(fault_injector({}, 1, 0).enabled());
    EXPECT_TRUE(fault_injector({.drop = 1}, 1, 0).enabled());
    EXPECT_TRUE(fault_injector({.duplicate = 1}, 1, 0).enabled());
    EXPECT_TRUE(fault_injector({.reorder = 1}, 1, 0).enabled());
}

// Each count is binomial(n, p): within 5 standard deviations of n * p.
void expect_binomial(uint64_t count, uint64_t n, double p, const char* what) {
    double mean = static_cast<double>(n) * p;
    double bound = 5 * std::sqrt(mean * (1 - p));
    EXPECT_NEAR(static_cast<double>(count), mean, bound) << what;
}

TEST_F(FaultInjector, RatesHoldOverManyFramesAndEveryFrameIsAccountedFor) {
    constexpr uint32_t n = 200'000;
    fault_injector f({.drop = 5 * percent, .duplicate = 1 * percent, .reorder = 2 * percent}, 42, 0);
    std::vector<uint32_t> out = stream(f, n);
    std::vector<uint32_t> rest = collect(f.filter({}, time_point{} + 1s));  // what was still held
    out.insert(out.end(), rest.begin(), rest.end());
    EXPECT_EQ(f.held(), 0u);
    const fault_counters& c = f.counters();
    // All three are drawn for every frame; a dropped frame is neither
    // duplicated nor held, and a held one is not duplicated.
    expect_binomial(c.dropped, n, 0.05, "dropped");
    expect_binomial(c.reordered, n, 0.95 * 0.02, "reordered");
    expect_binomial(c.duplicated, n, 0.95 * 0.98 * 0.01, "duplicated");
    EXPECT_EQ(out.size(), n - c.dropped + c.duplicated);
    std::vector<uint32_t> seen(n);
    for (uint32_t number : out) ++seen[number];
    uint64_t missing = 0;
    for (uint32_t s : seen) missing += s == 0;
    EXPECT_EQ(missing, c.dropped);
}

TEST_F(FaultInjector, TheSameSeedAndStreamGiveTheSameFrames) {
    fault_rates rates{.drop = 10 * percent, .duplicate = 5 * percent, .reorder = 5 * percent};
    fault_injector a(rates, 7, 3);
    fault_injector b(rates, 7, 3);
    std::vector<uint32_t> first = stream(a, 5000);
    EXPECT_EQ(stream(b, 5000), first);
    fault_injector other_seed(rates, 8, 3);
    EXPECT_NE(stream(other_seed, 5000), first);
    fault_injector other_stream(rates, 7, 2);
    EXPECT_NE(stream(other_stream, 5000), first);
}

TEST_F(FaultInjector, ChangingOneRateLeavesTheOtherDecisionsAlone) {
    fault_injector drop_only({.drop = 10 * percent}, 7, 0);
    fault_injector drop_and_dup({.drop = 10 * percent, .duplicate = 10 * percent}, 7, 0);
    stream(drop_only, 5000);
    stream(drop_and_dup, 5000);
    EXPECT_GT(drop_only.counters().dropped, 0u);
    EXPECT_EQ(drop_only.counters().dropped, drop_and_dup.counters().dropped);
}

TEST_F(FaultInjector, EveryFrameDroppedAtOneHundredPercent) {
    fault_injector f({.drop = fault_rates::certain}, 1, 0);
    EXPECT_TRUE(stream(f, 1000).empty());
    EXPECT_EQ(f.counters().dropped, 1000u);
}

TEST_F(FaultInjector, ADuplicateIsAByteCopyRightAfterItsOriginal) {
    fault_injector f({.duplicate = fault_rates::certain}, 1, 0);
    std::vector<rte_mbuf*> in{frame(1), frame(2)};
    // A TX frame asking the NIC for its checksums: the copy must ask too.
    in[0]->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM;
    in[0]->l2_len = 14;
    in[0]->l3_len = 20;
    std::span<rte_mbuf*> out = f.filter(in, time_point{});
    ASSERT_EQ(out.size(), 4u);
    EXPECT_EQ(out[0], in[0]);
    EXPECT_NE(out[1], in[0]);
    EXPECT_EQ(out[1]->pkt_len, 64u);
    EXPECT_EQ(out[1]->ol_flags, in[0]->ol_flags);
    EXPECT_EQ(out[1]->tx_offload, in[0]->tx_offload);
    EXPECT_EQ(std::memcmp(rte_pktmbuf_mtod(out[0], void*), rte_pktmbuf_mtod(out[1], void*), 64), 0);
    EXPECT_EQ(collect(out), (std::vector<uint32_t>{1, 1, 2, 2}));
    EXPECT_EQ(f.counters().duplicated, 2u);
}

TEST_F(FaultInjector, HeldFramesGoOutAfterTheFirstFrameThatPassesWhenTheAreaIsFull) {
    // Every frame is to be held: the first hold_capacity are, the next one
    // finds the area full, passes, and releases them all behind it.
    fault_injector f({.reorder = fault_rates::certain}, 1, 0);
    constexpr auto held = static_cast<uint32_t>(fault_injector::hold_capacity);
    EXPECT_TRUE(run(f, 0, held, time_point{}).empty());
    EXPECT_EQ(f.held(), held);
    std::vector<uint32_t> expected{held};
    for (uint32_t i = 0; i < held; ++i) expected.push_back(i);
    EXPECT_EQ(run(f, held, 1, time_point{}), expected);
    EXPECT_EQ(f.held(), 0u);
    EXPECT_EQ(f.counters().reordered, held);
}

TEST_F(FaultInjector, AHeldFrameGoesOutAfterMaxHoldWithoutALaterFrame) {
    fault_injector f({.reorder = fault_rates::certain}, 1, 0);
    time_point t0{};
    EXPECT_TRUE(run(f, 5, 1, t0).empty());
    EXPECT_TRUE(collect(f.filter({}, t0 + fault_injector::max_hold - 1us)).empty());
    EXPECT_EQ(collect(f.filter({}, t0 + fault_injector::max_hold)), std::vector<uint32_t>{5});
    EXPECT_EQ(f.held(), 0u);
}

TEST_F(FaultInjector, ExpiredFramesGoOutBeforeTheNewBurst) {
    fault_injector f({.reorder = fault_rates::certain}, 1, 0);
    run(f, 0, 2, time_point{});
    // Frames 0 and 1 expire; frames 2.. are held in their turn.
    EXPECT_EQ(run(f, 2, 3, time_point{} + 2ms), (std::vector<uint32_t>{0, 1}));
    EXPECT_EQ(f.held(), 3u);
}

TEST_F(FaultInjector, FramesStillHeldAreFreedWithTheInjector) {
    {
        fault_injector f({.reorder = fault_rates::certain}, 1, 0);
        run(f, 0, 10, time_point{});
        EXPECT_EQ(f.held(), 10u);
        EXPECT_LT(rte_mempool_avail_count(_pool), _baseline);
    }
    EXPECT_EQ(rte_mempool_avail_count(_pool), _baseline);
}

}  // namespace
}  // namespace fptcp::engine
