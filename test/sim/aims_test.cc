// The throughput-versus-loss table kept in the repo (loss_table.json,
// written by fptcp-sim-loss-table) and the aims of issue 4 item 6
// (docs/benchmarks.md, "Loss recovery (simulator)").
//
// A few cheap rows of the table run again here with seed 1 and must reach
// 80 % of the recorded goodput. An aim met on every seed of the last soak
// (docs/sim.md) is a plain test (seed 1, or FPTCP_SIM_SEED); the others run
// only with FPTCP_SIM_AIMS=1 (they tell what to fix).

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "loss_table.hh"

namespace {

using namespace fptcp;
using namespace fptcp::sim;
using namespace std::chrono_literals;

constexpr const char* regenerate =
    "ninja -C build test/sim/fptcp-sim-loss-table && build/test/sim/fptcp-sim-loss-table --seeds 3 --aims "
    "--json test/sim/loss_table.json --markdown /tmp/loss-table.md";

std::string read_table() {
    std::ifstream f(FPTCP_SIM_LOSS_TABLE);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

class LossTable : public ::testing::TestWithParam<table_row> {};

TEST_P(LossTable, GoodputStaysAboveEightyPercentOfTheRecordedTable) {
    const table_row& row = GetParam();
    std::optional<double> recorded = recorded_seed1_goodput(read_table(), row);
    ASSERT_TRUE(recorded.has_value()) << "row missing from " << FPTCP_SIM_LOSS_TABLE << "; regenerate: " << regenerate;
    row_result r = run_row(row, {1});
    std::printf("[ sim      ] %s, loss %g %%: goodput %.3f Mbit/s (recorded %.3f), Mathis %.3f\n", row.p->name,
                row.loss * 100, r.median_goodput_mbps, *recorded, r.mathis_mbps);
    EXPECT_EQ(r.mismatches, 0u);
    EXPECT_GE(r.median_goodput_mbps, 0.8 * *recorded)
        << "goodput regressed; if on purpose, regenerate the table: " << regenerate;
}

std::string row_name(const table_row& r) {
    return path_key(*r.p) + "_" + std::string(congestion_name(r.cc)) +
           (r.sack ? "_sack_" : "_nosack_") + std::to_string(int(r.loss * 1000 + 0.5)) + "permille";
}

INSTANTIATE_TEST_SUITE_P(
    CheapRows, LossTable,
    ::testing::Values(table_row{&gigabit_10ms, congestion_algorithm::cubic, true, 0.05},
                      table_row{&gigabit_10ms, congestion_algorithm::newreno, false, 0.10},
                      table_row{&ten_gigabit_1ms, congestion_algorithm::cubic, true, 0.20}),
    [](const auto& p) { return row_name(p.param); });

bool aims_requested() { return std::getenv("FPTCP_SIM_AIMS") != nullptr; }

uint64_t base_seed() {
    const char* s = std::getenv("FPTCP_SIM_SEED");
    return s ? std::strtoull(s, nullptr, 0) : 1;
}

// RFC 8985 6.2: RACK's reordering window adapts (DSACK-driven), so 10 %
// of frames held back by up to one RTT cost few spurious retransmissions:
// below 1 % of the data segments sent in the second half of a 4 s run.
TEST(SimAims, ReorderingOfUpToOneRttCostsUnderOnePercentSpuriousRetransmissions) {
    path shorter = gigabit_10ms;
    shorter.length = 4s;
    bulk_result b = run_bulk({.p = shorter, .reorder = 0.10, .reorder_delay = 10ms, .seed = base_seed()});
    std::printf("[ sim      ] reorder 10%% <= 1 RTT: goodput %.1f Mbit/s, %llu segments, %llu spurious "
                "(second half %llu of %llu)\n",
                b.goodput_mbps, static_cast<unsigned long long>(b.sender.data_segments),
                static_cast<unsigned long long>(b.sender.spurious),
                static_cast<unsigned long long>(b.second_half_spurious),
                static_cast<unsigned long long>(b.second_half_segments));
    EXPECT_EQ(b.mismatches, 0u);
    ASSERT_GT(b.second_half_segments, 0u);
    EXPECT_LT(static_cast<double>(b.second_half_spurious), 0.01 * static_cast<double>(b.second_half_segments));
}

// Issue 4 item 6: at 1 % and 5 % random loss on 1 Gbit/s, 10 ms, goodput
// reaches the Mathis bound with no retransmission timeout except for tail
// losses (sender_stats::tail_timeouts: the whole tail of a flight lost, so
// no ACK could tell of the loss; the simulator judges).
TEST(SimAims, GoodputReachesTheMathisBoundAtOneAndFivePercentWithoutRto) {
    if (!aims_requested()) GTEST_SKIP() << "goodput met on 19 of seeds 1-20, no RTO but of tail losses on 16 (docs/benchmarks.md); "
                                          "FPTCP_SIM_AIMS=1 runs it";
    for (double loss : {0.01, 0.05}) {
        bulk_result b = run_bulk({.loss = loss, .seed = base_seed()});
        double bound = mathis_mbps(sim_segment_payload, gigabit_10ms.rtt, loss);
        std::printf("[ sim      ] loss %g %%: goodput %.2f Mbit/s, Mathis %.2f, RTOs %llu (of a tail loss %llu)\n",
                    loss * 100, b.goodput_mbps, bound, static_cast<unsigned long long>(b.sender.timeouts),
                    static_cast<unsigned long long>(b.sender.tail_timeouts));
        EXPECT_GE(b.goodput_mbps, bound) << "loss " << loss;
        EXPECT_EQ(b.sender.timeouts, b.sender.tail_timeouts) << "loss " << loss;
    }
}

// RFC 8985 7: a lost tail is repaired by a loss probe, without an RTO, by
// the time tail_probe_bound_rtts() gives (scenario.hh). Issue 4's "within
// two RTTs of the loss" cannot be met as written; docs/benchmarks.md says
// why fptcp follows the RFC there, as Linux does.
void expect_tail_repaired_by_a_probe_in_time(uint32_t lost_segments) {
    tail_loss_result t = run_tail_loss(congestion_algorithm::cubic, true, base_seed(), lost_segments);
    double bound = tail_probe_bound_rtts(lost_segments);
    std::printf("[ sim      ] %u lost at the tail: resent after %.2f RTTs (bound %.2f), %llu RTOs, %llu probes\n",
                lost_segments, t.repair_after_rtts, bound, static_cast<unsigned long long>(t.sender.timeouts),
                static_cast<unsigned long long>(t.sender.probes));
    EXPECT_TRUE(t.delivered);
    EXPECT_EQ(t.sender.timeouts, 0u);
    EXPECT_GE(t.sender.probes, 1u);
    EXPECT_LE(t.repair_after_rtts, bound);
}

TEST(SimAims, ASingleLostTailSegmentIsRepairedByAProbeAtTheRfcPto) { expect_tail_repaired_by_a_probe_in_time(1); }

TEST(SimAims, TwoLostTailSegmentsAreRepairedByAProbeTwoRttsAfterTheLastAck) {
    expect_tail_repaired_by_a_probe_in_time(2);
}

// Issue 4 item 6: SACK goodput at least the non-SACK goodput from 1 % loss
// on (RFC 6675 recovery against NewReno's one hole per RTT).
TEST(SimAims, SackGoodputAtLeastNonSackFromOnePercentLoss) {
    for (double loss : {0.01, 0.05, 0.10}) {
        bulk_result on = run_bulk({.sack = true, .loss = loss, .seed = base_seed()});
        bulk_result off = run_bulk({.sack = false, .loss = loss, .seed = base_seed()});
        std::printf("[ sim      ] loss %g %%: SACK %.2f Mbit/s, no SACK %.2f\n", loss * 100, on.goodput_mbps,
                    off.goodput_mbps);
        EXPECT_GE(on.goodput_mbps, off.goodput_mbps) << "loss " << loss;
    }
}

// The LAN aims (docs/sim.md, "LAN paths"): on the echo paths of 100 us and
// 1 ms RTT (10 Gbit/s, jitter, both ends sending, timers on 1 ms ticks),
// over seeds 1-3, summed: at 5 % loss at most one RTO per 1,000 data
// segments other than of a tail loss (sender_stats::tail_timeouts);
// spurious retransmissions below 1 % of the segments; retransmissions at
// most 1.3 times the data segments the link lost. With SACK they are plain
// tests (BBR's rows in SimLanBbr, below). Without SACK (duplicate ACKs
// only, no loss probe) they are not met, and run only with
// FPTCP_SIM_AIMS=1.
sender_stats lan_totals(const table_row& r, uint64_t seeds = 3) {
    sender_stats t;
    for (uint64_t seed = 1; seed <= seeds; ++seed) {
        bulk_result b = run_bulk({.p = *r.p, .cc = r.cc, .sack = r.sack, .loss = r.loss, .seed = seed});
        EXPECT_EQ(b.mismatches, 0u);
        t = plus(t, b.sender);
    }
    std::printf("[ sim      ] %s, seeds 1-%llu: %llu segments, %llu lost, %llu retransmitted (%llu spurious), "
                "%llu RTOs (%llu of a tail loss), %llu probes\n",
                row_name(r).c_str(), static_cast<unsigned long long>(seeds),
                static_cast<unsigned long long>(t.data_segments),
                static_cast<unsigned long long>(t.lost), static_cast<unsigned long long>(t.retransmissions),
                static_cast<unsigned long long>(t.spurious), static_cast<unsigned long long>(t.timeouts),
                static_cast<unsigned long long>(t.tail_timeouts), static_cast<unsigned long long>(t.probes));
    return t;
}

void expect_lan_aims(const table_row& r, const sender_stats& t) {
    ASSERT_GT(t.data_segments, 0u);
    auto segments = static_cast<double>(t.data_segments);
    if (r.loss == 0.05) {
        EXPECT_LE(static_cast<double>(t.timeouts - t.tail_timeouts), segments / 1000) << "RTOs but of tail losses";
    }
    EXPECT_LT(static_cast<double>(t.spurious), segments / 100) << "spurious retransmissions";
    EXPECT_LE(static_cast<double>(t.retransmissions), 1.3 * static_cast<double>(t.lost)) << "retransmissions";
}

class SimLanAims : public ::testing::TestWithParam<table_row> {};

TEST_P(SimLanAims, FewRtosNoSpuriousRetransmissionsAndLittleMoreResentThanLost) {
    if (!GetParam().sack && !aims_requested()) {
        GTEST_SKIP() << "without SACK the aims are not met (docs/sim.md, \"LAN paths\"); FPTCP_SIM_AIMS=1 runs it";
    }
    if (GetParam().cc == congestion_algorithm::bbr && !aims_requested()) {
        GTEST_SKIP() << "BBR's rows run in SimLanBbr, with seed 1 (three seeds take minutes under the sanitizers); "
                        "FPTCP_SIM_AIMS=1 runs them here with seeds 1-3";
    }
    expect_lan_aims(GetParam(), lan_totals(GetParam()));
}

// BBR (bbr.hh) where NewReno and CUBIC are loss-bound: on both LAN paths at
// 5 and 10 % loss, with SACK, the LAN aims hold and it moves at least three
// times what CUBIC moves (the loss table has 8 to 31 times). Seed 1 alone:
// BBR moves so much that three seeds took three minutes under the
// sanitizers (seeds 1-3 meet the aims too: FPTCP_SIM_AIMS=1, SimLanAims).
class SimLanBbr : public ::testing::TestWithParam<table_row> {};

TEST_P(SimLanBbr, MeetsTheLanAimsAndKeepsItsRateUnderRandomLoss) {
    table_row cubic = GetParam();
    cubic.cc = congestion_algorithm::cubic;
    sender_stats bbr = lan_totals(GetParam(), 1);
    expect_lan_aims(GetParam(), bbr);
    EXPECT_GE(bbr.data_segments, 3 * lan_totals(cubic, 1).data_segments);
}

// The LAN rows of the table at 5 and 10 % loss.
std::vector<table_row> lan_rows() {
    std::vector<table_row> rows;
    for (const table_row& r : all_rows()) {
        if (r.p->lan && r.loss >= 0.05) rows.push_back(r);
    }
    return rows;
}

INSTANTIATE_TEST_SUITE_P(LanRows, SimLanAims, ::testing::ValuesIn(lan_rows()),
                         [](const auto& p) { return row_name(p.param); });

std::vector<table_row> lan_bbr_rows() {
    std::vector<table_row> rows;
    for (const table_row& r : lan_rows()) {
        if (r.cc == congestion_algorithm::bbr && r.sack) rows.push_back(r);
    }
    return rows;
}

INSTANTIATE_TEST_SUITE_P(LanRows, SimLanBbr, ::testing::ValuesIn(lan_bbr_rows()),
                         [](const auto& p) { return row_name(p.param); });

}  // namespace
