// Loss recovery without a timeout and its signals, packet by packet:
// SACK and D-SACK generation (RFC 2018, RFC 2883), fast retransmit and
// NewReno (RFC 5681 3.2, RFC 6582), limited transmit (RFC 3042), SACK-based
// recovery (RFC 6675), the tail loss probe (RFC 8985 7), restart after idle
// (RFC 5681 4.1) and Nagle's algorithm (RFC 9293 3.7.4).

#include <algorithm>

#include "script.hh"

namespace fptcp::tcp::testing {
namespace {

constexpr uint32_t mss = 1460 - 12;  // the peer's MSS less the timestamps option

// The first octet of our i-th full segment.
constexpr uint32_t at(uint32_t i) { return 1 + i * mss; }

// Our i-th full segment of n written at once: the last one pushes.
seg_spec segment_of_data(uint32_t i, uint32_t n) {
    seg_spec s = seg().ack().seq(at(i)).len(mss);
    return i + 1 == n ? s.psh() : s;
}

// ---------------------------------------------------------------------------
// The receiver: SACK blocks on our ACKs (the peer sends, we acknowledge).

class SackGeneration : public tcp_script {
protected:
    void SetUp() override { passive_handshake(); }
};

TEST_F(SackGeneration, OutOfOrderSegmentIsSackedAtOnce) {
    inject(seg().ack().seq(101).ack_no(1).payload(100));
    expect_tx(seg().ack().seq(1).ack_no(1).sack({{101, 201}}));
    expect_no_tx();
}

// RFC 2018 4: the first block holds the most recent arrival.
TEST_F(SackGeneration, TheLatestArrivalsBlockComesFirst) {
    inject(seg().ack().seq(101).ack_no(1).payload(100));
    expect_tx(seg().ack().ack_no(1).sack({{101, 201}}));
    inject(seg().ack().seq(301).ack_no(1).payload(100));
    expect_tx(seg().ack().ack_no(1).sack({{301, 401}, {101, 201}}));
    inject(seg().ack().seq(501).ack_no(1).payload(100));
    expect_tx(seg().ack().ack_no(1).sack({{501, 601}, {301, 401}, {101, 201}}));
    inject(seg().ack().seq(201).ack_no(1).payload(50));  // extends the lowest range
    expect_tx(seg().ack().ack_no(1).sack({{101, 251}, {501, 601}, {301, 401}}));
    expect_no_tx();
}

// RFC 2018 4: after the first block, the blocks most recently reported
// first, not the highest: a retransmission that lands in a low block keeps
// being reported while new data opens blocks higher up, so the loss of the
// one ACK that reported it first does not make the sender resend it.
TEST_F(SackGeneration, ARecentLowBlockIsRepeatedBeforeHigherOlderOnes) {
    for (uint32_t i = 0; i < 4; ++i) {  // blocks at 101, 301, 501, 701
        inject(seg().ack().seq(101 + 200 * i).ack_no(1).payload(100));
        sent.pop_front();
    }
    inject(seg().ack().seq(201).ack_no(1).payload(100));  // a retransmission joins 101 and 301
    expect_tx(seg().ack().ack_no(1).sack({{101, 401}, {701, 801}, {501, 601}}));
    inject(seg().ack().seq(901).ack_no(1).payload(100));  // new data, higher
    expect_tx(seg().ack().ack_no(1).sack({{901, 1001}, {101, 401}, {701, 801}}));
    inject(seg().ack().seq(1001).ack_no(1).payload(100));  // extends the highest block
    expect_tx(seg().ack().ack_no(1).sack({{901, 1101}, {101, 401}, {701, 801}}));
    inject(seg().ack().seq(1201).ack_no(1).payload(100));  // another block above
    expect_tx(seg().ack().ack_no(1).sack({{1201, 1301}, {901, 1101}, {101, 401}}));
    expect_no_tx();
}

TEST_F(SackGeneration, FillingTheHoleAcknowledgesEverythingWithoutBlocks) {
    inject(seg().ack().seq(101).ack_no(1).payload(100));
    expect_tx(seg().ack().ack_no(1).sack({{101, 201}}));
    inject(seg().ack().seq(1).ack_no(1).payload(100));
    expect_tx(seg().ack().ack_no(201).sack({}));
    expect_no_tx();
}

// RFC 2883 4.1.1: a duplicate below RCV.NXT is reported as the first block,
// once.
TEST_F(SackGeneration, DuplicateBelowRcvNxtIsReportedAsADsackOnce) {
    inject(seg().ack().seq(1).ack_no(1).payload(100));
    advance(cfg.delayed_ack);
    expect_tx(seg().ack().ack_no(101).sack({}));
    inject(seg().ack().seq(1).ack_no(1).payload(100));
    expect_tx(seg().ack().ack_no(101).sack({{1, 101}}));
    inject(seg().ack().seq(201).ack_no(1).payload(100));
    expect_tx(seg().ack().ack_no(101).sack({{201, 301}}));
    expect_no_tx();
}

// RFC 2883 4.1.3: the duplicate of out-of-order data, then the block it
// belongs to.
TEST_F(SackGeneration, DuplicateOfOutOfOrderDataComesWithItsBlock) {
    inject(seg().ack().seq(101).ack_no(1).payload(100));
    expect_tx(seg().ack().ack_no(1).sack({{101, 201}}));
    inject(seg().ack().seq(301).ack_no(1).payload(100));
    expect_tx(seg().ack().ack_no(1).sack({{301, 401}, {101, 201}}));
    inject(seg().ack().seq(101).ack_no(1).payload(100));
    expect_tx(seg().ack().ack_no(1).sack({{101, 201}, {101, 201}, {301, 401}}));
    expect_no_tx();
}

// RFC 2883 4.1.2 (partly old data): the old part is the D-SACK.
TEST_F(SackGeneration, PartlyOldSegmentReportsItsOldPart) {
    inject(seg().ack().seq(1).ack_no(1).payload(100));
    advance(cfg.delayed_ack);
    expect_tx(seg().ack().ack_no(101));
    inject(seg().ack().seq(51).ack_no(1).payload(100));
    expect_tx(seg().ack().ack_no(151).sack({{51, 101}}));
    expect_no_tx();
}

class SackGenerationNoTimestamps : public tcp_script {
protected:
    void SetUp() override { passive_handshake({.timestamps = false}); }
};

TEST_F(SackGenerationNoTimestamps, FourBlocksFit) {
    for (uint32_t i = 0; i < 5; ++i) inject(seg().ack().seq(101 + 200 * i).ack_no(1).payload(100));
    for (uint32_t i = 0; i < 4; ++i) sent.pop_front();
    expect_tx(seg().ack().ack_no(1).sack({{901, 1001}, {701, 801}, {501, 601}, {301, 401}}));
    expect_no_tx();
}

class NoSackPermitted : public tcp_script {
protected:
    void SetUp() override { passive_handshake({.sack_permitted = false}); }
};

TEST_F(NoSackPermitted, OutOfOrderDataIsAcknowledgedWithoutBlocks) {
    inject(seg().ack().seq(101).ack_no(1).payload(100));
    expect_tx(seg().ack().ack_no(1).sack({}));
    inject(seg().ack().seq(101).ack_no(1).payload(100));  // a duplicate: no D-SACK either
    expect_tx(seg().ack().ack_no(1).sack({}));
    expect_no_tx();
}

// RFC 5681 2 and 4.2: a peer without SACK counts only ACKs without data as
// duplicates, so with data of our own to send the duplicate ACK for an
// out-of-order arrival goes first, alone.
TEST_F(NoSackPermitted, OutOfOrderDataGetsAPureDuplicateAckBeforeOurData) {
    ASSERT_EQ(app_send(100), 100u);
    expect_tx(seg().ack().psh().seq(1).ack_no(1).len(100));
    ASSERT_EQ(app_send(100), 100u);
    expect_no_tx();  // Nagle: a short segment is in flight
    inject(seg().ack().seq(101).ack_no(101).payload(100));  // the peer's 1 to 100 are missing
    expect_tx(seg().ack().seq(101).ack_no(1).len(0));
    expect_tx(seg().ack().psh().seq(101).ack_no(1).len(100));
    expect_no_tx();
}

// ---------------------------------------------------------------------------
// The sender without SACK: fast retransmit, NewReno, limited transmit.

class NewReno : public tcp_script {
protected:
    void SetUp() override {
        cfg.congestion = congestion_algorithm::newreno;
        passive_handshake({.sack_permitted = false}, 100ms);
    }

    // `n` full segments written and sent; the last one pushes.
    void send_segments(uint32_t n, uint32_t sent_now) {
        ASSERT_EQ(app_send(n * mss), n * mss);
        for (uint32_t i = 0; i < sent_now; ++i) expect_tx(segment_of_data(i, n));
        expect_no_tx();
    }
    void duplicate_ack(uint32_t ack) { inject(seg().ack().seq(1).ack_no(ack)); }
};

TEST_F(NewReno, ThirdDuplicateAckResendsTheFirstUnacknowledgedSegment) {
    send_segments(10, 10);
    advance(100ms);
    inject(seg().ack().seq(1).ack_no(at(1)));  // segment 1 is lost
    expect_no_tx();
    duplicate_ack(at(1));
    duplicate_ack(at(1));
    expect_no_tx();
    EXPECT_FALSE(conn->in_recovery());
    duplicate_ack(at(1));
    expect_tx(seg().ack().seq(at(1)).len(mss));
    expect_no_tx();
    EXPECT_TRUE(conn->in_recovery());
    EXPECT_EQ(conn->ssthresh(), 9 * mss / 2);  // RFC 5681 equation (4): FlightSize / 2
    EXPECT_EQ(conn->cwnd(), 9 * mss / 2);
    EXPECT_EQ(out.counters.fast_recoveries, 1u);
    EXPECT_EQ(out.counters.retransmits, 1u);
    EXPECT_EQ(out.counters.timeouts, 0u);
}

// RFC 6582 3.2 steps 3 and 4.
TEST_F(NewReno, PartialAckResendsTheNextHoleAndFullAckEndsRecovery) {
    send_segments(10, 10);
    advance(100ms);
    for (int i = 0; i < 4; ++i) duplicate_ack(at(0));  // segments 0 and 4 lost
    expect_tx(seg().ack().seq(at(0)).len(mss));
    expect_no_tx();
    inject(seg().ack().seq(1).ack_no(at(4)));  // partial: the retransmission filled the first hole
    expect_tx(seg().ack().seq(at(4)).len(mss));
    expect_no_tx();
    EXPECT_TRUE(conn->in_recovery());
    inject(seg().ack().seq(1).ack_no(at(10)));
    expect_no_tx();
    EXPECT_FALSE(conn->in_recovery());
    EXPECT_EQ(conn->cwnd(), 2 * mss);  // RFC 6582 3.2 step 3: min(ssthresh, max(FlightSize, SMSS) + SMSS)
    EXPECT_EQ(conn->ssthresh(), 5 * mss);
    EXPECT_EQ(out.counters.timeouts, 0u);
}

// RFC 3042 2: each of the first two duplicate ACKs lets one new segment go.
TEST_F(NewReno, LimitedTransmitSendsNewDataOnTheFirstTwoDuplicates) {
    send_segments(14, 10);
    advance(100ms);
    inject(seg().ack().seq(1).ack_no(at(1)));  // cwnd 11 segments, 9 in flight
    expect_tx(seg().ack().seq(at(10)).len(mss));
    expect_tx(seg().ack().seq(at(11)).len(mss));
    expect_no_tx();
    duplicate_ack(at(1));
    expect_tx(seg().ack().seq(at(12)).len(mss));
    expect_no_tx();
    duplicate_ack(at(1));
    expect_tx(seg().ack().psh().seq(at(13)).len(mss));
    expect_no_tx();
    duplicate_ack(at(1));
    expect_tx(seg().ack().seq(at(1)).len(mss));  // then fast retransmit
    expect_no_tx();
}

// Each duplicate beyond the third stands for a segment that left the
// network: new data goes once the pipe is below cwnd (RFC 5681 3.2 step 4).
TEST_F(NewReno, FurtherDuplicatesReleaseNewDataInRecovery) {
    send_segments(20, 10);
    advance(100ms);
    duplicate_ack(at(0));
    expect_tx(seg().ack().seq(at(10)).len(mss));  // limited transmit
    duplicate_ack(at(0));
    expect_tx(seg().ack().seq(at(11)).len(mss));
    duplicate_ack(at(0));
    expect_tx(seg().ack().seq(at(0)).len(mss));
    expect_no_tx();  // 12 in flight, 3 left the network: pipe 9, cwnd 6
    for (int i = 0; i < 3; ++i) duplicate_ack(at(0));
    expect_no_tx();  // pipe 6
    duplicate_ack(at(0));
    expect_tx(seg().ack().seq(at(12)).len(mss));  // pipe 5 + 1 <= 6
    expect_no_tx();
}

// RFC 6582 3.2 step 2 via "recover" = SND.MAX at a timeout: duplicates for
// data sent before the timeout do not start fast recovery.
TEST_F(NewReno, DuplicatesForDataSentBeforeATimeoutDoNotStartRecovery) {
    send_segments(10, 10);
    advance(conn->rtt().rto());
    expect_tx(seg().ack().seq(at(0)).len(mss));
    EXPECT_EQ(out.counters.timeouts, 1u);
    for (int i = 0; i < 5; ++i) duplicate_ack(at(0));
    expect_no_tx();
    EXPECT_FALSE(conn->in_recovery());
    EXPECT_EQ(out.counters.fast_recoveries, 0u);
}

TEST_F(NewReno, AZeroWindowIsNeverADuplicateAck) {
    send_segments(10, 10);
    advance(100ms);
    for (int i = 0; i < 5; ++i) inject(seg().ack().seq(1).ack_no(at(0)).win(0));
    expect_no_tx();
    EXPECT_FALSE(conn->in_recovery());
}

// ---------------------------------------------------------------------------
// The sender with SACK (RFC 6675).

class SackRecovery : public tcp_script {
protected:
    void SetUp() override {
        cfg.congestion = congestion_algorithm::newreno;
        passive_handshake({}, 100ms);
    }
    void send_segments(uint32_t n) {
        ASSERT_EQ(app_send(n * mss), n * mss);
        for (uint32_t i = 0; i < n; ++i) expect_tx(segment_of_data(i, n));
        expect_no_tx();
    }
    void sack(uint32_t ack, std::vector<std::pair<uint32_t, uint32_t>> blocks) {
        inject(seg().ack().seq(1).ack_no(ack).sack(std::move(blocks)));
    }
};

TEST_F(SackRecovery, OnlyTheHolesAreResent) {
    send_segments(10);
    advance(100ms);
    // Segments 0 and 5 are lost; the others arrive in order.
    sack(at(0), {{at(1), at(2)}});
    sack(at(0), {{at(1), at(3)}});
    expect_no_tx();
    sack(at(0), {{at(1), at(4)}});  // three segments SACKed above: segment 0 is lost
    expect_tx(seg().ack().seq(at(0)).len(mss));
    expect_no_tx();
    EXPECT_TRUE(conn->in_recovery());
    EXPECT_EQ(conn->cwnd(), 5 * mss);
    sack(at(0), {{at(1), at(5)}});
    expect_no_tx();  // pipe 5: 10 sent - 4 SACKed - 1 lost + 1 resent
    // RACK (RFC 8985 6.2): segment 5 left with segment 6, below it; in
    // recovery the reordering window is zero, so 6's SACK proves 5 lost.
    sack(at(0), {{at(6), at(7)}, {at(1), at(5)}});
    expect_tx(seg().ack().seq(at(5)).len(mss));
    expect_no_tx();
    sack(at(0), {{at(6), at(8)}, {at(1), at(5)}});
    expect_no_tx();
    sack(at(0), {{at(6), at(9)}, {at(1), at(5)}});
    sack(at(0), {{at(6), at(10)}, {at(1), at(5)}});
    expect_no_tx();  // no SACKed segment is ever resent
    inject(seg().ack().seq(1).ack_no(at(10)));
    EXPECT_FALSE(conn->in_recovery());
    EXPECT_EQ(out.counters.retransmits, 2u);
    EXPECT_EQ(out.counters.timeouts, 0u);
}

// RFC 8985 6.2 for the lowest retransmission: data sent after it is SACKed
// while it is still missing, so it was lost too; resent without an RTO.
TEST_F(SackRecovery, ALostRetransmissionIsResentWhenLaterDataIsSacked) {
    ASSERT_EQ(app_send(20 * mss), 20 * mss);
    for (uint32_t i = 0; i < 10; ++i) expect_tx(segment_of_data(i, 20));
    advance(100ms);
    sack(at(0), {{at(1), at(2)}});
    expect_tx(seg().ack().seq(at(10)).len(mss));  // limited transmit
    sack(at(0), {{at(1), at(3)}});
    expect_tx(seg().ack().seq(at(11)).len(mss));
    sack(at(0), {{at(1), at(4)}});
    expect_tx(seg().ack().seq(at(0)).len(mss));  // fast retransmit: this copy is lost too
    expect_no_tx();
    for (uint32_t i = 5; i <= 7; ++i) sack(at(0), {{at(1), at(i)}});
    expect_no_tx();
    sack(at(0), {{at(1), at(8)}});  // pipe 12 - 7 SACKed - 1 lost + 1 resent = 5 < cwnd 6
    expect_tx(seg().ack().seq(at(12)).len(mss));
    expect_no_tx();
    // Segments 10 and 11 went before the retransmission: their SACK proves nothing.
    sack(at(0), {{at(10), at(12)}, {at(1), at(8)}});
    EXPECT_EQ(out.counters.lost_retransmits, 0u);
    sent.clear();
    sack(at(0), {{at(10), at(13)}, {at(1), at(8)}});  // segment 12 was sent after it
    expect_tx(seg().ack().seq(at(0)).len(mss));
    EXPECT_EQ(out.counters.lost_retransmits, 1u);
    sent.clear();
    inject(seg().ack().seq(1).ack_no(at(13)));
    sent.clear();
    EXPECT_EQ(out.counters.timeouts, 0u);
}

// The ACK that delivers the watched retransmission also SACKs data sent
// after the next one: that one is lost, and is resent at once (RFC 8985
// 6.2) instead of at the RTO; the one that arrived is not.
TEST_F(SackRecovery, ALostRetransmissionOvertakenBeforeItIsWatchedIsResent) {
    ASSERT_EQ(app_send(20 * mss), 20 * mss);
    for (uint32_t i = 0; i < 10; ++i) expect_tx(segment_of_data(i, 20));
    advance(100ms);
    // Segments 0 and 1 are lost.
    sack(at(0), {{at(2), at(3)}});
    expect_tx(seg().ack().seq(at(10)).len(mss));  // limited transmit
    sack(at(0), {{at(2), at(4)}});
    expect_tx(seg().ack().seq(at(11)).len(mss));
    sack(at(0), {{at(2), at(5)}});
    expect_tx(seg().ack().seq(at(0)).len(mss));  // fast retransmit
    expect_no_tx();
    for (uint32_t i = 6; i <= 8; ++i) sack(at(0), {{at(2), at(i)}});
    expect_tx(seg().ack().seq(at(1)).len(mss));  // the pipe lets the second hole go
    expect_no_tx();
    sack(at(0), {{at(2), at(9)}});
    expect_tx(seg().ack().seq(at(12)).len(mss));  // new data, sent after both retransmissions
    expect_no_tx();
    // Segment 0's retransmission arrives; so do 10 to 12, not segment 1's.
    inject(seg().ack().seq(1).ack_no(at(1)).sack({{at(2), at(13)}}));
    expect_tx(seg().ack().seq(at(1)).len(mss));
    EXPECT_EQ(out.counters.lost_retransmits, 1u);
    for (uint32_t i = 13; i < 18; ++i) expect_tx(segment_of_data(i, 20));  // the pipe drained: new data
    expect_no_tx();
    EXPECT_EQ(out.counters.timeouts, 0u);
}

// Segments 0, 1 and 2 are lost, and so is the first retransmission of 0.
// The SACK of 1's retransmission (sent after it) proves 0's copy lost, and
// a second goes. 2's retransmission left before that second copy: its SACK,
// coming later, says nothing of it, and no third copy goes.
TEST_F(SackRecovery, HolesResentBeforeASecondCopyDoNotProveItLost) {
    ASSERT_EQ(app_send(20 * mss), 20 * mss);
    for (uint32_t i = 0; i < 10; ++i) expect_tx(segment_of_data(i, 20));
    advance(100ms);
    for (uint32_t i = 4; i <= 10; ++i) sack(at(0), {{at(3), at(i)}});
    auto copies_of = [&](uint32_t i) {
        return std::count_if(sent.begin(), sent.end(), [&](const sent_segment& s) {
            return s.header.seq == iss() + seq_len(at(i)) && !s.data.empty();
        });
    };
    ASSERT_EQ(copies_of(0), 1);
    ASSERT_EQ(copies_of(1), 1);
    ASSERT_EQ(copies_of(2), 1);
    sent.clear();
    sack(at(0), {{at(1), at(2)}, {at(3), at(10)}});  // 1's retransmission: 0's copy is lost
    EXPECT_EQ(out.counters.lost_retransmits, 1u);
    EXPECT_EQ(copies_of(0), 1);
    sent.clear();
    sack(at(0), {{at(1), at(10)}});  // 2's retransmission, sent before the second copy of 0
    EXPECT_EQ(out.counters.lost_retransmits, 1u);
    EXPECT_EQ(copies_of(0), 0);
    EXPECT_EQ(out.counters.timeouts, 0u);
    sent.clear();  // new data, as the pipe allows
}

// RFC 5827: with two segments out and nothing more to send, one SACK is all
// the peer can give. DupThresh is lowered to one, so RACK's window is zero
// (RFC 8985 6.2 step 4) and the retransmission goes at once.
TEST_F(SackRecovery, EarlyRetransmitForASmallFlight) {
    send_segments(2);
    advance(100ms);
    sack(at(0), {{at(1), at(2)}});
    expect_tx(seg().ack().seq(at(0)).len(mss));
    expect_no_tx();
    EXPECT_TRUE(conn->in_recovery());
    EXPECT_EQ(out.counters.loss_probes, 0u);
}

// Reordering the sender sees (RFC 8985 6.2 step 3: a segment never resent
// is delivered below one SACKed before) keeps the window open even with
// DupThresh segments SACKed, so a late segment is not resent at once.
TEST_F(SackRecovery, SeenReorderingHoldsBackTheRetransmission) {
    send_segments(10);
    advance(100ms);
    sack(at(0), {{at(1), at(2)}});
    inject(seg().ack().seq(1).ack_no(at(2)));  // segment 0 was only late
    EXPECT_TRUE(conn->rack().reordering_seen());
    sack(at(2), {{at(3), at(6)}});  // three SACKed above segment 2
    expect_no_tx();
    EXPECT_FALSE(conn->in_recovery());
    advance(25ms);  // min_RTT / 4
    expect_tx(seg().ack().seq(at(2)).len(mss));
    EXPECT_TRUE(conn->in_recovery());
}

// RFC 8985 6.2 step 4: each round trip with a D-SACK widens the window by
// min_RTT / 4, up to SRTT.
TEST_F(SackRecovery, DsackWidensTheReorderingWindow) {
    send_segments(10);
    advance(100ms);
    inject(seg().ack().seq(1).ack_no(at(2)));
    EXPECT_EQ(conn->rack().reo_wnd_mult(), 1);
    sack(at(2), {{at(1), at(2)}});  // a D-SACK below SND.UNA
    EXPECT_EQ(conn->rack().reo_wnd_mult(), 2);
    sack(at(2), {{at(1), at(2)}});  // same round trip: no second step
    EXPECT_EQ(conn->rack().reo_wnd_mult(), 2);
    EXPECT_FALSE(conn->rack().reordering_seen());  // a D-SACK alone does not prove reordering
}

TEST_F(NewReno, EarlyRetransmitWithoutSack) {
    send_segments(3, 3);
    advance(100ms);
    duplicate_ack(at(0));
    expect_no_tx();
    duplicate_ack(at(0));  // three segments out: two duplicates suffice
    expect_tx(seg().ack().seq(at(0)).len(mss));
    expect_no_tx();
}

TEST_F(NewReno, FourOrMoreSegmentsOutKeepTheThresholdOfThree) {
    send_segments(13, 10);  // cwnd 10: three wait for the window to grow
    advance(100ms);
    inject(seg().ack().seq(1).ack_no(at(8)));  // two left in flight, three sent now
    for (int i = 0; i < 3; ++i) sent.pop_front();
    duplicate_ack(at(8));
    duplicate_ack(at(8));
    expect_no_tx();  // 5 segments out: the normal threshold of three
    duplicate_ack(at(8));
    expect_tx(seg().ack().seq(at(8)).len(mss));
}

TEST_F(SackRecovery, ThreeSackedRangesMarkTheHolesBelowLost) {
    send_segments(10);
    advance(100ms);
    // Segments 0, 2, 4 and 6 are lost; 1, 3 and 5 arrive: three ranges.
    sack(at(0), {{at(1), at(2)}});
    sack(at(0), {{at(3), at(4)}, {at(1), at(2)}});
    expect_no_tx();
    sack(at(0), {{at(5), at(6)}, {at(3), at(4)}, {at(1), at(2)}});
    // IsLost holds below the lowest of the three ranges: segment 0 only.
    expect_tx(seg().ack().seq(at(0)).len(mss));
    expect_no_tx();
}

TEST_F(SackRecovery, ADsackIsCounted) {
    send_segments(2);
    advance(100ms);
    inject(seg().ack().seq(1).ack_no(at(2)));
    sack(at(2), {{at(0), at(1)}});  // below the cumulative ACK: a duplicate reached the peer
    EXPECT_EQ(out.counters.dsacks_received, 1u);
    expect_no_tx();
}

// RFC 3708: the late original filled the hole and the retransmission came
// back as a D-SACK: the only retransmission was not needed, so the window
// reduction is undone (RFC 4015 3.2, as Linux's tcp_try_undo_dsack).
TEST_F(SackRecovery, SpuriousRecoveryIsUndoneWhenEveryRetransmissionIsDsacked) {
    send_segments(10);
    advance(100ms);
    for (uint32_t i = 2; i <= 4; ++i) sack(at(0), {{at(1), at(i)}});
    expect_tx(seg().ack().seq(at(0)).len(mss));  // segment 0 was only delayed
    EXPECT_EQ(conn->cwnd(), 5 * mss);
    inject(seg().ack().seq(1).ack_no(at(10)));
    EXPECT_FALSE(conn->in_recovery());
    EXPECT_LT(conn->cwnd(), 10 * mss);
    sack(at(10), {{at(0), at(1)}});  // the retransmission arrived second
    EXPECT_EQ(out.counters.spurious_recoveries, 1u);
    EXPECT_EQ(conn->cwnd(), 10 * mss);
    EXPECT_EQ(conn->ssthresh(), UINT32_MAX);
}

TEST_F(SackRecovery, RecoveryWithARealLossIsNotUndone) {
    send_segments(10);
    advance(100ms);
    for (uint32_t i = 2; i <= 4; ++i) sack(at(0), {{at(1), at(i)}});
    expect_tx(seg().ack().seq(at(0)).len(mss));
    sack(at(0), {{at(6), at(7)}, {at(1), at(5)}});
    expect_tx(seg().ack().seq(at(5)).len(mss));  // segment 5 is really lost
    inject(seg().ack().seq(1).ack_no(at(10)));
    sack(at(10), {{at(0), at(1)}});  // segment 0's retransmission was not needed; 5's was
    EXPECT_EQ(out.counters.spurious_recoveries, 0u);
    EXPECT_EQ(conn->ssthresh(), 5 * mss);
}

// BBR (bbr.hh): the same loss of segment 0, but the window is not cut. The
// first round of the recovery conserves packets (cwnd = pipe + delivered),
// new data keeps the ACK clock going, and the end of the recovery hands
// back the window it began with.
class BbrRecovery : public SackRecovery {
protected:
    void SetUp() override {
        cfg.congestion = congestion_algorithm::bbr;
        passive_handshake({}, 100ms);
    }
};

TEST_F(BbrRecovery, ALossConservesPacketsForARoundAndGivesTheWindowBack) {
    send_segments(10);
    advance(100ms);
    uint32_t before = conn->cwnd();
    sack(at(0), {{at(1), at(2)}});
    sack(at(0), {{at(1), at(3)}});
    sack(at(0), {{at(1), at(4)}});  // three SACKed above: segment 0 is lost
    expect_tx(seg().ack().seq(at(0)).len(mss));
    expect_no_tx();
    EXPECT_TRUE(conn->in_recovery());
    EXPECT_EQ(conn->ssthresh(), UINT32_MAX);
    // Conservation: the pipe (10 sent - 3 SACKed - 1 lost + 1 resent = 7)
    // plus the segment this ACK delivered.
    EXPECT_EQ(conn->cwnd(), 8 * mss);
    inject(seg().ack().seq(1).ack_no(at(10)));  // everything: recovery over
    EXPECT_FALSE(conn->in_recovery());
    EXPECT_GE(conn->cwnd(), before);
    EXPECT_EQ(out.counters.timeouts, 0u);
}

// After a timeout, going back from SND.UNA skips what the peer SACKed, and
// so after a second timeout of the same data: the scoreboard is kept, as
// Linux keeps it. Only a peer that shows it reneged (RFC 2018 8: its
// cumulative ACK stops at an octet it had SACKed) has it cleared, and then
// what it SACKed goes again.
TEST_F(SackRecovery, GoingBackAfterATimeoutSkipsSackedDataUntilThePeerReneges) {
    send_segments(6);
    advance(100ms);
    sack(at(0), {{at(2), at(4)}});  // 2 and 3 arrived; 0, 1, 4 and 5 did not
    time_point sacked_at = now;
    while (out.counters.timeouts == 0 && now - sacked_at < 10s) advance(1ms);
    ASSERT_EQ(out.counters.timeouts, 1u);
    // Two segments SACKed, below DupThresh and no reordering seen: RACK
    // waits (lib/tcp/recovery.cc, detect_loss_by_time).
    expect_tx(seg().ack().psh().seq(at(5)).len(mss));  // the loss probe came first
    expect_tx(seg().ack().seq(at(0)).len(mss));        // the timeout: cwnd one segment
    expect_no_tx();
    inject(seg().ack().seq(1).ack_no(at(1)).sack({{at(2), at(4)}}));
    expect_tx(seg().ack().seq(at(1)).len(mss));  // cwnd two segments: 1, then 4 (2 and 3 skipped)
    expect_tx(seg().ack().seq(at(4)).len(mss));
    expect_no_tx();
    // Nothing more arrives: the same data times out a second time, and
    // going back still skips 2 and 3.
    time_point start = now;
    while (out.counters.timeouts < 2 && now - start < 30s) advance(1ms);
    ASSERT_EQ(out.counters.timeouts, 2u);
    expect_tx(seg().ack().psh().seq(at(5)).len(mss));  // a loss probe, then the timeout
    expect_tx(seg().ack().seq(at(1)).len(mss));
    expect_no_tx();
    EXPECT_FALSE(conn->scoreboard().empty());
    inject(seg().ack().seq(1).ack_no(at(2)));  // stops at 2, which the peer had SACKed: it reneged
    EXPECT_EQ(out.counters.sack_renegings, 1u);
    EXPECT_TRUE(conn->scoreboard().empty());
    expect_tx(seg().ack().seq(at(2)).len(mss));  // SACKed before, sent again now
    sent.clear();
}

// An ACK that moves past what was SACKed, or stops in a hole below it, is
// no reneging.
TEST_F(SackRecovery, AnAckIntoAHoleOrPastTheSackedDataIsNoReneging) {
    send_segments(6);
    advance(100ms);
    sack(at(0), {{at(3), at(5)}});
    sent.clear();
    inject(seg().ack().seq(1).ack_no(at(1)).sack({{at(3), at(5)}}));  // into the hole below
    EXPECT_EQ(out.counters.sack_renegings, 0u);
    EXPECT_FALSE(conn->scoreboard().empty());
    inject(seg().ack().seq(1).ack_no(at(5)));  // past it
    EXPECT_EQ(out.counters.sack_renegings, 0u);
    sent.clear();
}

// ---------------------------------------------------------------------------
// Tail loss probe (RFC 8985 7).

class LossProbe : public SackRecovery {};

TEST_F(LossProbe, LastSegmentLostIsRepairedByAProbeNotATimeout) {
    send_segments(3);
    advance(100ms);
    inject(seg().ack().seq(1).ack_no(at(2)));
    time_point acked = now;
    while (sent.empty() && now - acked < 10s) advance(1ms);
    // One segment in flight: PTO = 2 SRTT + the worst delayed ACK, or the
    // RTO if that comes first.
    duration expected = std::min<duration>(2 * conn->rtt().srtt() + tcb::worst_case_delayed_ack, conn->rtt().rto());
    EXPECT_EQ(now - acked, expected);
    expect_tx(seg().ack().psh().seq(at(2)).len(mss));
    EXPECT_EQ(out.counters.loss_probes, 1u);
    inject(seg().ack().seq(1).ack_no(at(3)));
    advance(1min);
    expect_no_tx();
    EXPECT_EQ(out.counters.timeouts, 0u);
}

TEST_F(LossProbe, ProbeAnswerRevealsTheEarlierTailLoss) {
    send_segments(10);
    advance(100ms);
    inject(seg().ack().seq(1).ack_no(at(8)));  // segments 8 and 9 lost
    time_point acked = now;
    while (sent.empty() && now - acked < 10s) advance(1ms);
    EXPECT_EQ(now - acked, 2 * conn->rtt().srtt());  // PTO with two segments in flight
    expect_tx(seg().ack().psh().seq(at(9)).len(mss));  // no new data: the last segment again
    sack(at(8), {{at(9), at(10)}});
    expect_tx(seg().ack().seq(at(8)).len(mss));  // segment 8 sent a PTO before the probe: lost
    expect_no_tx();
    inject(seg().ack().seq(1).ack_no(at(10)));
    EXPECT_EQ(out.counters.timeouts, 0u);
    EXPECT_EQ(out.counters.loss_probes, 1u);
    EXPECT_EQ(out.counters.fast_recoveries, 1u);
}

// With out-of-order data held, the probe still resends the whole last
// segment (RFC 8985 7.3), and carries only the SACK blocks that fit beside
// it: none beside a full segment (RFC 9293 3.7.1). The peer learnt them from
// the ACK sent when the out-of-order data came.
TEST_F(LossProbe, ProbeResendsTheWholeLastSegmentWithTheSackBlocksThatFit) {
    send_segments(3);
    advance(100ms);
    inject(seg().ack().seq(1).ack_no(at(2)));
    inject(seg().ack().seq(101).ack_no(at(2)).payload(100));  // a hole in the peer's data
    expect_tx(seg().ack().ack_no(1).sack({{101, 201}}));
    time_point held = now;
    while (sent.empty() && now - held < 10s) advance(1ms);
    expect_tx(seg().ack().psh().seq(at(2)).len(mss));
    EXPECT_EQ(out.counters.loss_probes, 1u);
}

// A hole resent during recovery goes whole; the SACK blocks that do not fit
// beside it follow in an ACK of their own when the arrival that made them
// owed one.
TEST_F(SackRecovery, AHoleIsResentWholeAndItsSackBlocksFollowInAnAck) {
    ASSERT_EQ(app_send(6 * mss), 6 * mss);
    for (uint32_t i = 0; i < 6; ++i) expect_tx(segment_of_data(i, 6));
    advance(10ms);
    inject(seg().ack().seq(101).ack_no(at(0)).payload(100));  // the peer's data, past a hole of its own
    expect_tx(seg().ack().ack_no(1).sack({{101, 201}}));
    sack(at(0), {{at(1), at(2)}});
    sack(at(0), {{at(1), at(3)}});
    // The third SACKs four segments above the hole and brings more of the
    // peer's out-of-order data: segment 0 is resent whole, without blocks,
    // then the ACK that reports the peer's new range.
    inject(seg().ack().seq(301).ack_no(at(0)).payload(100).sack({{at(1), at(4)}}));
    expect_tx(seg().ack().seq(at(0)).len(mss));
    expect_tx(seg().ack().ack_no(1).sack({{301, 401}, {101, 201}}));
    expect_no_tx();
}

// RFC 8985 7.2: data sent during a fast recovery and still in flight when
// it ends is guarded by a PTO, not by the RTO armed while it ran.
TEST_F(LossProbe, APtoGuardsWhatIsInFlightWhenARecoveryEnds) {
    ASSERT_EQ(app_send(14 * mss), 14 * mss);
    for (uint32_t i = 0; i < 10; ++i) expect_tx(segment_of_data(i, 14));
    advance(100ms);
    sack(at(0), {{at(1), at(2)}});  // segment 0 is lost
    expect_tx(segment_of_data(10, 14));  // limited transmit
    sack(at(0), {{at(1), at(3)}});
    expect_tx(segment_of_data(11, 14));
    sack(at(0), {{at(1), at(4)}});
    expect_tx(seg().ack().seq(at(0)).len(mss));  // recovery until 11 is acknowledged
    for (uint32_t i = 5; i <= 7; ++i) sack(at(0), {{at(1), at(i)}});
    expect_no_tx();
    sack(at(0), {{at(1), at(8)}});
    expect_tx(segment_of_data(12, 14));
    sack(at(0), {{at(1), at(9)}});
    expect_tx(segment_of_data(13, 14));
    inject(seg().ack().seq(1).ack_no(at(12)));  // a full ACK: 12 and 13 still in flight
    EXPECT_FALSE(conn->in_recovery());
    expect_no_tx();
    time_point acked = now;
    while (sent.empty() && now - acked < 10s) advance(1ms);
    EXPECT_EQ(now - acked, std::max<duration>(2 * conn->rtt().srtt(), tcb::min_loss_probe_timeout));
    expect_tx(segment_of_data(13, 14));  // nothing new: the last segment again
    EXPECT_EQ(out.counters.loss_probes, 1u);
    EXPECT_EQ(out.counters.timeouts, 0u);
}

TEST_F(LossProbe, ProbeSendsNewDataWhenTheWindowAllows) {
    ASSERT_EQ(app_send(12 * mss), 12 * mss);
    for (uint32_t i = 0; i < 10; ++i) expect_tx(seg().ack().seq(at(i)).len(mss));
    expect_no_tx();  // cwnd 10
    time_point start = now;
    while (sent.empty() && now - start < 10s) advance(1ms);
    expect_tx(seg().ack().seq(at(10)).len(mss));
    EXPECT_EQ(out.counters.loss_probes, 1u);
    EXPECT_EQ(out.counters.retransmits, 0u);
}

// On a LAN path (1 ms RTT), a fast retransmission is lost and the
// application has nothing more to send: no later segment can be delivered
// to prove the copy lost (RFC 8985 6.2). A probe resends it after a PTO,
// not at the RTO 200 ms on; one probe per retransmission, the RTO after it.
// The PTO armed before the recovery does not resend the tail, which the
// peer SACKed.
class LanLossProbe : public SackRecovery {
protected:
    void SetUp() override {
        cfg.congestion = congestion_algorithm::newreno;
        passive_handshake({}, 1ms);
    }
    duration until_next_tx() {
        time_point from = now;
        while (sent.empty() && now - from < 10s) advance(100us);
        return now - from;
    }
    void lose_segment_0_and_its_fast_retransmission() {
        send_segments(10);  // everything the application wrote
        advance(1ms);
        expect_no_tx();
        for (uint32_t i = 2; i <= 4; ++i) sack(at(0), {{at(1), at(i)}});
        expect_tx(seg().ack().seq(at(0)).len(mss));  // fast retransmit
        for (uint32_t i = 5; i <= 10; ++i) sack(at(0), {{at(1), at(i)}});
        expect_no_tx();
    }
};

TEST_F(LanLossProbe, ALostRetransmissionWithNothingSentAfterItIsProbed) {
    lose_segment_0_and_its_fast_retransmission();
    EXPECT_LE(until_next_tx(), 2 * tcb::min_loss_probe_timeout);
    expect_tx(seg().ack().seq(at(0)).len(mss));
    EXPECT_EQ(out.counters.loss_probes, 1u);
    inject(seg().ack().seq(1).ack_no(at(10)));
    EXPECT_FALSE(conn->in_recovery());
    EXPECT_EQ(out.counters.timeouts, 0u);
}

TEST_F(LanLossProbe, ALostProbeIsFollowedByTheRtoNotByMoreProbes) {
    lose_segment_0_and_its_fast_retransmission();
    until_next_tx();
    expect_tx(seg().ack().seq(at(0)).len(mss));  // the probe, lost as well
    sack(at(0), {{at(1), at(10)}});  // a duplicate ACK, as the peer's own data would carry
    EXPECT_GE(until_next_tx(), conn->rtt().rto());
    expect_tx(seg().ack().seq(at(0)).len(mss));
    EXPECT_EQ(out.counters.loss_probes, 1u);
    EXPECT_EQ(out.counters.timeouts, 1u);
}

TEST_F(NewReno, NoProbeWithoutSack) {
    send_segments(3, 3);
    advance(100ms);
    inject(seg().ack().seq(1).ack_no(at(2)));
    advance(conn->rtt().rto());
    expect_tx(seg().ack().psh().seq(at(2)).len(mss));
    EXPECT_EQ(out.counters.loss_probes, 0u);
    EXPECT_EQ(out.counters.timeouts, 1u);
}

// ---------------------------------------------------------------------------
// Restart after idle (RFC 5681 4.1).

class IdleRestart : public tcp_script {
protected:
    // Grows cwnd to 12 segments over two round trips, then everything is acknowledged.
    void grow_window() {
        passive_handshake({}, 100ms);
        ASSERT_EQ(app_send(20 * mss), 20 * mss);
        for (uint32_t round = 0; round < 2; ++round) {
            for (uint32_t i = 0; i < 10; ++i) sent.pop_front();
            expect_no_tx();
            advance(100ms);
            inject(seg().ack().seq(1).ack_no(at(10 * (round + 1))));
        }
        expect_no_tx();
        ASSERT_EQ(conn->cwnd(), 12 * mss);
    }
    uint32_t segments_sent_after_idle(duration idle) {
        advance(idle);
        app_send(20 * mss);
        uint32_t n = static_cast<uint32_t>(sent.size());
        sent.clear();
        return n;
    }
};

TEST_F(IdleRestart, LongIdleFallsBackToTheInitialWindow) {
    grow_window();
    EXPECT_EQ(segments_sent_after_idle(2 * conn->rtt().rto()), 10u);
}

TEST_F(IdleRestart, ShortPauseKeepsTheWindow) {
    grow_window();
    EXPECT_EQ(segments_sent_after_idle(conn->rtt().rto() / 2), 12u);
}

TEST_F(IdleRestart, CanBeTurnedOff) {
    cfg.slow_start_after_idle = false;
    grow_window();
    EXPECT_EQ(segments_sent_after_idle(2 * conn->rtt().rto()), 12u);
}

// ---------------------------------------------------------------------------
// Nagle's algorithm (RFC 9293 3.7.4), in Minshall's form: at most one short
// segment unacknowledged.

class Nagle : public tcp_script {
protected:
    void SetUp() override { passive_handshake(); }
};

TEST_F(Nagle, SecondShortWriteWaitsForTheAck) {
    app_send(100);
    expect_tx(seg().ack().psh().seq(1).len(100));
    app_send(100);
    expect_no_tx();
    inject(seg().ack().seq(1).ack_no(101));
    expect_tx(seg().ack().psh().seq(101).len(100));
    expect_no_tx();
}

TEST_F(Nagle, FullSegmentsGoButTheShortTailWaits) {
    app_send(100);
    expect_tx(seg().ack().psh().seq(1).len(100));
    app_send(mss + 100);
    expect_tx(seg().ack().seq(101).len(mss));
    expect_no_tx();
    // The short segment is acknowledged; the full one in flight does not
    // hold the tail back (Minshall: only short segments count).
    inject(seg().ack().seq(1).ack_no(101));
    expect_tx(seg().ack().psh().seq(101 + mss).len(100));
    expect_no_tx();
}

// MSG_MORE: a header and a body written apart leave as one segment.
TEST_F(Nagle, MoreDataQueuesUntilTheLastWrite) {
    EXPECT_EQ(app_send(std::string(60, 'h'), true), 60u);
    expect_no_tx();
    app_send(100);
    expect_tx(seg().ack().psh().seq(1).len(160));
    expect_no_tx();
}

TEST_F(Nagle, NodelaySendsAtOnce) {
    conn->set_nodelay(true);
    app_send(100);
    app_send(100);
    expect_tx(seg().ack().psh().seq(1).len(100));
    expect_tx(seg().ack().psh().seq(101).len(100));
    expect_no_tx();
}

TEST_F(Nagle, TheFinIsNotHeld) {
    app_send(100);
    expect_tx(seg().ack().psh().seq(1).len(100));
    app_send(50);
    expect_no_tx();
    app_close();
    expect_tx(seg().ack().psh().fin().seq(101).len(50));
    expect_no_tx();
}

class NagleOff : public tcp_script {
protected:
    void SetUp() override {
        cfg.nagle = false;
        passive_handshake();
    }
};

TEST_F(NagleOff, ShortWritesGoAtOnce) {
    app_send(100);
    app_send(100);
    expect_tx(seg().ack().psh().seq(1).len(100));
    expect_tx(seg().ack().psh().seq(101).len(100));
    expect_no_tx();
}

}  // namespace
}  // namespace fptcp::tcp::testing
