// RACK's pieces (RFC 8985 6): the send-time ledger and the reordering
// window. The packet-level behaviour is in test/tcp/loss_recovery_test.cc.

#include <gtest/gtest.h>

#include "tcp/rack.hh"

namespace fptcp::tcp {
namespace {

constexpr uint32_t mss = 1000;
const seq_num base(0xfffff000u);  // the marks cross the 2^32 wrap

seq_num at(uint32_t segment) { return base + seq_len(segment * mss); }

micros32 latest(const send_time_ledger& l, seq_num seq) { return l.sent_bounds(seq)->latest; }
micros32 earliest(const send_time_ledger& l, seq_num seq) { return l.sent_bounds(seq)->earliest; }

TEST(SendTimeLedger, SendsAtTheSameMicrosecondShareAMark) {
    send_time_ledger l;
    l.on_sent(at(1), 100);
    l.on_sent(at(2), 100);
    l.on_sent(at(3), 250);
    ASSERT_EQ(l.count(), 2);
    EXPECT_EQ(latest(l, at(1)), 100u);  // octet at(1) is in segment 1, sent at 100
    EXPECT_EQ(latest(l, at(2)), 250u);
    EXPECT_FALSE(l.sent_bounds(at(3)).has_value());  // never sent
}

TEST(SendTimeLedger, FullLedgerMergesTheTwoClosestMarksKeepingTheLaterTime) {
    send_time_ledger l;
    micros32 times[] = {0, 100, 200, 205, 400, 500};
    for (uint32_t i = 0; i < send_time_ledger::capacity; ++i) l.on_sent(at(i + 1), times[i]);
    l.on_sent(at(7), 600);
    ASSERT_EQ(l.count(), send_time_ledger::capacity);
    // Segments 3 and 4 (sent at 200 and 205) merged: their octets left
    // after segment 2 (100) and by 205.
    EXPECT_EQ(latest(l, at(2)), 205u);
    EXPECT_EQ(earliest(l, at(2)), 100u);
    EXPECT_EQ(latest(l, at(3)), 205u);
    EXPECT_EQ(latest(l, at(1)), 100u);
    EXPECT_EQ(latest(l, at(6)), 600u);
}

TEST(SendTimeLedger, MarkNeverMergedHasItsExactTime) {
    send_time_ledger l;
    l.on_sent(at(1), 100);
    l.on_sent(at(2), 300);
    EXPECT_EQ(earliest(l, at(1)), 300u);
    EXPECT_EQ(latest(l, at(1)), 300u);
}

// Sends at an even pace: the oldest pair merges each time, so the newest
// marks keep their exact times and the merged one is bounded by the first
// send.
TEST(SendTimeLedger, EvenPaceMergesIntoTheOldestMark) {
    send_time_ledger l;
    constexpr uint32_t segments = 1000, gap = 10;
    for (uint32_t i = 1; i <= segments; ++i) l.on_sent(at(i), i * gap);
    ASSERT_EQ(l.count(), send_time_ledger::capacity);
    EXPECT_EQ(earliest(l, at(0)), gap);
    EXPECT_EQ(latest(l, at(0)), (segments - 5) * gap);
    seq_num last = at(segments) - seq_len(1);
    EXPECT_EQ(earliest(l, last), segments * gap);
    EXPECT_EQ(latest(l, last), segments * gap);
}

TEST(SendTimeLedger, AdvanceDropsMarksBelowTheCumulativeAck) {
    send_time_ledger l;
    l.on_sent(at(1), 10);
    l.on_sent(at(2), 20);
    l.advance(at(1));
    ASSERT_EQ(l.count(), 1);
    EXPECT_EQ(latest(l, at(1)), 20u);
    l.advance(at(2));
    EXPECT_TRUE(l.empty());
}

// A merged first mark's octets left after the last mark advance() dropped.
TEST(SendTimeLedger, MergedFirstMarkStartsAtTheLastDroppedMark) {
    send_time_ledger l;
    micros32 times[] = {10, 20, 21, 100, 200, 300, 400};
    for (uint32_t i = 0; i < 7; ++i) l.on_sent(at(i + 1), times[i]);  // 20 and 21 merge
    ASSERT_EQ(l.count(), send_time_ledger::capacity);
    l.advance(at(1));
    EXPECT_EQ(earliest(l, at(1)), 10u);
    EXPECT_EQ(latest(l, at(1)), 21u);
    EXPECT_EQ(earliest(l, at(3)), 100u);
}

TEST(SendTimeLedger, TimesCompareAcrossTheirWrap) {
    EXPECT_EQ(micros_between(0xffffff00u, 0x100u), 0x200);
    EXPECT_EQ(micros_between(0x100u, 0xffffff00u), -0x200);
}

send_time_ledger::bounds exactly(micros32 t) { return {t, t}; }

TEST(RackState, KeepsTheMostRecentlySentDelivery) {
    rack_state r;
    EXPECT_FALSE(r.has_delivery());
    r.on_delivered(exactly(1000), at(5), 11000);
    EXPECT_EQ(r.rtt(), 10000u);
    r.on_delivered(exactly(500), at(3), 12000);  // sent earlier: not the newest
    EXPECT_EQ(r.xmit(), 1000u);
    EXPECT_EQ(r.end(), at(5));
    r.on_delivered(exactly(1000), at(6), 12000);  // same time, higher end: newer
    EXPECT_EQ(r.end(), at(6));
}

TEST(RackState, UncertainSendTimeGivesTheLatestXmitAndTheLongestRtt) {
    rack_state r;
    r.on_delivered({.earliest = 500, .latest = 1000}, at(5), 11000);
    EXPECT_EQ(r.xmit(), 1000u);
    EXPECT_EQ(r.rtt(), 10500u);
}

// RFC 8985 6.2 step 4.
TEST(RackState, ReorderingWindowIsZeroUntilReorderingIsSeenOnceLossIsCertain) {
    rack_state r;
    r.on_delivered(exactly(0), at(1), 8000);  // min_RTT 8 ms
    const duration srtt = std::chrono::milliseconds(10);
    EXPECT_EQ(r.reo_wnd(false, false, srtt), 2000u);  // min_RTT / 4
    EXPECT_EQ(r.reo_wnd(true, false, srtt), 0u);      // in recovery
    EXPECT_EQ(r.reo_wnd(false, true, srtt), 0u);      // DupThresh segments SACKed
    r.on_reordering();
    EXPECT_EQ(r.reo_wnd(true, true, srtt), 2000u);
}

TEST(RackState, DsacksWidenTheWindowOncePerRoundUpToSrttAndPersistSixteenRecoveries) {
    rack_state r;
    r.on_delivered(exactly(0), at(1), 8000);
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
