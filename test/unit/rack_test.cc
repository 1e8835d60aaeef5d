// RACK's pieces (RFC 8985 6): the send-time ledger and the reordering
// window. The packet-level behaviour is in test/tcp/loss_recovery_test.cc.

#include <gtest/gtest.h>

#include "tcp/rack.hh"

namespace fptcp::tcp {
namespace {

constexpr uint32_t mss = 1000;
const seq_num base(0xfffff000u);  // the marks cross the 2^32 wrap

seq_num at(uint32_t segment) { return base + seq_len(segment * mss); }

TEST(SendTimeLedger, SendsAtTheSameMicrosecondShareAMark) {
    send_time_ledger l;
    l.on_sent(at(1), 100);
    l.on_sent(at(2), 100);
    l.on_sent(at(3), 250);
    ASSERT_EQ(l.count(), 2);
    EXPECT_EQ(l.find(at(1))->sent, 100u);  // octet at(1) is in segment 1, sent at 100
    EXPECT_EQ(l.find(at(2))->sent, 250u);
    EXPECT_EQ(l.find(at(3)), nullptr);  // never sent
}

TEST(SendTimeLedger, FullLedgerMergesTheTwoClosestMarksKeepingTheLaterTime) {
    send_time_ledger l;
    micros32 times[] = {0, 100, 200, 205, 400, 500};
    for (uint32_t i = 0; i < send_time_ledger::capacity; ++i) l.on_sent(at(i + 1), times[i]);
    l.on_sent(at(7), 600);
    ASSERT_EQ(l.count(), send_time_ledger::capacity);
    EXPECT_EQ(l.find(at(2))->sent, 205u);  // segments 2 and 3 (sent at 200 and 205) now say 205
    EXPECT_EQ(l.find(at(3))->sent, 205u);
    EXPECT_EQ(l.find(at(1))->sent, 100u);
    EXPECT_EQ(l.find(at(6))->sent, 600u);
}

TEST(SendTimeLedger, AdvanceDropsMarksBelowTheCumulativeAck) {
    send_time_ledger l;
    l.on_sent(at(1), 10);
    l.on_sent(at(2), 20);
    l.advance(at(1));
    ASSERT_EQ(l.count(), 1);
    EXPECT_EQ(l.find(at(1))->sent, 20u);
    l.advance(at(2));
    EXPECT_TRUE(l.empty());
}

TEST(SendTimeLedger, TimesCompareAcrossTheirWrap) {
    EXPECT_EQ(micros_between(0xffffff00u, 0x100u), 0x200);
    EXPECT_EQ(micros_between(0x100u, 0xffffff00u), -0x200);
}

TEST(RackState, KeepsTheMostRecentlySentDelivery) {
    rack_state r;
    EXPECT_FALSE(r.has_delivery());
    r.on_delivered(1000, at(5), 11000);
    EXPECT_EQ(r.rtt(), 10000u);
    r.on_delivered(500, at(3), 12000);  // sent earlier: not the newest
    EXPECT_EQ(r.xmit(), 1000u);
    EXPECT_EQ(r.end(), at(5));
    r.on_delivered(1000, at(6), 12000);  // same time, higher end: newer
    EXPECT_EQ(r.end(), at(6));
}

// RFC 8985 6.2 step 4.
TEST(RackState, ReorderingWindowIsZeroUntilReorderingIsSeenOnceLossIsCertain) {
    rack_state r;
    r.on_delivered(0, at(1), 8000);  // min_RTT 8 ms
    const duration srtt = std::chrono::milliseconds(10);
    EXPECT_EQ(r.reo_wnd(false, false, srtt), 2000u);  // min_RTT / 4
    EXPECT_EQ(r.reo_wnd(true, false, srtt), 0u);      // in recovery
    EXPECT_EQ(r.reo_wnd(false, true, srtt), 0u);      // DupThresh segments SACKed
    r.on_reordering();
    EXPECT_EQ(r.reo_wnd(true, true, srtt), 2000u);
}

TEST(RackState, DsacksWidenTheWindowOncePerRoundUpToSrttAndPersistSixteenRecoveries) {
    rack_state r;
    r.on_delivered(0, at(1), 8000);
    r.on_reordering();
    const duration srtt = std::chrono::milliseconds(10);
    r.on_dsack(at(0), at(10));
    r.on_dsack(at(5), at(10));  // the same round: SND.UNA has not passed at(10)
    EXPECT_EQ(r.reo_wnd(false, false, srtt), 4000u);
    for (uint8_t i = 3; i <= 8; ++i) r.on_dsack(at(10 * i), at(10 * i + 10));
    EXPECT_EQ(r.reo_wnd(false, false, srtt), 10000u);  // capped at SRTT
    for (int i = 0; i < rack_state::reo_wnd_persist_recoveries - 1; ++i) r.on_recovery_exit();
    EXPECT_EQ(r.reo_wnd_mult(), 8);
    r.on_recovery_exit();
    EXPECT_EQ(r.reo_wnd_mult(), 1);
}

}  // namespace
}  // namespace fptcp::tcp
