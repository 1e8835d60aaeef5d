// Blind in-window attacks (RFC 5961) and PAWS / TS.Recent (RFC 7323), in
// ESTABLISHED.

#include <vector>

#include "script.hh"

namespace fptcp::tcp::testing {
namespace {

class BlindAttack : public tcp_script {
protected:
    void SetUp() override { passive_handshake(); }

    uint32_t window() const { return conn->receive_window(); }
    void expect_challenge_ack() { expect_tx(seg().ack().seq(snd_nxt()).ack_no(rcv_nxt())); }
};

using RstCheck = BlindAttack;
using SynCheck = BlindAttack;
using AckCheck = BlindAttack;
using ChallengeAckRate = BlindAttack;
using Paws = BlindAttack;
using TsRecent = BlindAttack;
using PawsCustom = tcp_script;  // the test configures the peer, then opens

// --- RFC 5961 3.2: RST ---

TEST_F(RstCheck, RstExactlyAtRcvNxtResets) {
    inject(seg().rst().seq(rcv_nxt()));
    expect_no_tx();
    EXPECT_FALSE(conn.has_value());
    EXPECT_EQ(last_close, close_reason::reset_by_peer);
    EXPECT_TRUE(take_events() & tcp_events::closed);
}

TEST_F(RstCheck, RstAckExactlyAtRcvNxtResets) {
    inject(seg().rst().ack().seq(rcv_nxt()).ack_no(snd_nxt()));
    expect_no_tx();
    EXPECT_FALSE(conn.has_value());
    EXPECT_EQ(last_close, close_reason::reset_by_peer);
}

TEST_F(RstCheck, RstAtRcvNxtAfterDataResets) {
    inject(seg().ack().seq(1).payload("data"));
    inject(seg().rst().seq(5));
    expect_no_tx();
    EXPECT_EQ(last_close, close_reason::reset_by_peer);
}

TEST_F(RstCheck, RstJustPastRcvNxtGetsAChallengeAck) {
    inject(seg().rst().seq(rcv_nxt() + 1));
    expect_challenge_ack();
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::established);
    EXPECT_EQ(out.counters.challenge_acks, 1u);
    EXPECT_EQ(out.counters.dropped(tcp_drop::rst_not_exact), 1u);
}

TEST_F(RstCheck, RstAtTheLastOctetOfTheWindowGetsAChallengeAck) {
    inject(seg().rst().seq(rcv_nxt() + window() - 1));
    expect_challenge_ack();
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::established);
}

TEST_F(RstCheck, RstJustPastTheWindowIsDroppedSilently) {
    inject(seg().rst().seq(rcv_nxt() + window()));
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::established);
    EXPECT_EQ(out.counters.dropped(tcp_drop::rst_out_of_window), 1u);
}

TEST_F(RstCheck, RstJustBeforeRcvNxtIsDroppedSilently) {
    inject(seg().rst().seq(rcv_nxt() - 1));
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::established);
    EXPECT_EQ(out.counters.dropped(tcp_drop::rst_out_of_window), 1u);
}

TEST_F(RstCheck, RstHalfTheSequenceSpaceAwayIsDroppedSilently) {
    inject(seg().rst().seq(rcv_nxt() + 0x80000000u));
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::established);
}

TEST_F(RstCheck, ChallengedPeerThatAnswersWithTheExactRstResets) {
    inject(seg().rst().seq(rcv_nxt() + 100));
    expect_challenge_ack();
    inject(seg().rst().seq(rcv_nxt()));  // a real peer answers with SEQ = the ACK it got
    EXPECT_FALSE(conn.has_value());
    EXPECT_EQ(last_close, close_reason::reset_by_peer);
}

// --- RFC 5961 4.2: SYN in a synchronized state, at any position ---

TEST_F(SynCheck, SynAtRcvNxtGetsAChallengeAck) {
    inject(seg().syn().seq(rcv_nxt()));
    expect_challenge_ack();
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::established);
    EXPECT_EQ(out.counters.dropped(tcp_drop::syn_in_synchronized), 1u);
    EXPECT_EQ(out.counters.challenge_acks, 1u);
}

TEST_F(SynCheck, SynInsideTheWindowGetsAChallengeAck) {
    inject(seg().syn().seq(rcv_nxt() + 1000));
    expect_challenge_ack();
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::established);
}

TEST_F(SynCheck, SynOutsideTheWindowGetsAnAck) {
    inject(seg().syn().seq(rcv_nxt() + window() + 1000));
    expect_challenge_ack();
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::established);
}

TEST_F(SynCheck, OldSynAtTheInitialSequenceNumberGetsAnAck) {
    inject(seg().syn().seq(0));
    expect_challenge_ack();
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::established);
}

TEST_F(SynCheck, SynAckInsideTheWindowGetsAChallengeAck) {
    inject(seg().syn().ack().seq(rcv_nxt() + 10).ack_no(snd_nxt()));
    expect_challenge_ack();
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::established);
}

// A peer that lost its state reconnects with timestamps off: its SYN is not
// dropped by RFC 7323 3.2 (a data segment still is:
// Paws.SegmentWithoutTimestampIsDroppedOnceNegotiated) but answered as any
// SYN; the peer's RST at our ACK's number clears the connection, and its
// next SYN opens a new one.
TEST_F(SynCheck, RestartedPeerWithoutTimestampsClearsTheConnectionAndReconnects) {
    constexpr uint32_t new_isn = remote_isn + 0x40000000u;
    seg_spec syn = seg().syn().raw_seq(new_isn).without_ts();
    syn.options.mss = 1460;
    inject(syn);
    expect_challenge_ack();
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::established);
    EXPECT_EQ(out.counters.dropped(tcp_drop::missing_timestamp), 0u);
    // In SYN_SENT, the peer answers an ACK of nothing it sent with
    // <SEQ=SEG.ACK><CTL=RST> (RFC 9293 3.10.7.3).
    inject(seg().rst().seq(rcv_nxt()).without_ts());
    expect_no_tx();
    EXPECT_FALSE(conn.has_value());
    EXPECT_EQ(last_close, close_reason::reset_by_peer);
    EXPECT_EQ(state(), tcp_state::listen);
    advance(1s);  // its SYN timer
    inject(syn);
    expect_tx(seg().syn().ack().seq(0).raw_ack(new_isn + 1));
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::syn_received);
    EXPECT_FALSE(conn->timestamps_enabled());
}

TEST_F(SynCheck, InWindowSynsWithoutTimestampsGetRateLimitedChallengeAcks) {
    for (uint32_t i = 0; i < cfg.challenge_ack_limit; ++i) {
        inject(seg().syn().seq(rcv_nxt() + i).without_ts());
        expect_challenge_ack();
    }
    inject(seg().syn().seq(rcv_nxt()).without_ts());
    expect_no_tx();
    EXPECT_EQ(out.counters.challenge_acks, cfg.challenge_ack_limit);
    EXPECT_EQ(out.counters.dropped(tcp_drop::challenge_ack_limited), 1u);
    EXPECT_EQ(out.counters.dropped(tcp_drop::missing_timestamp), 0u);
    EXPECT_EQ(state(), tcp_state::established);
}

TEST_F(SynCheck, SynWithDataDeliversNothing) {
    inject(seg().syn().seq(rcv_nxt()).payload("evil"));
    expect_challenge_ack();
    EXPECT_EQ(rcv_nxt(), 1u);
    EXPECT_EQ(app_read(), "");
}

// --- RFC 5961 5.2: acceptable ACKs in [SND.UNA - MAX.SND.WND, SND.NXT] ---

TEST_F(AckCheck, AckAtTheLowerBoundIsAccepted) {
    inject(seg().ack().seq(1).ack_no(snd_una() - conn->snd().max_wnd));
    expect_no_tx();
    EXPECT_EQ(out.counters.dropped(tcp_drop::bad_ack), 0u);
}

TEST_F(AckCheck, AckBelowTheLowerBoundGetsAChallengeAck) {
    inject(seg().ack().seq(1).ack_no(snd_una() - conn->snd().max_wnd - 1));
    expect_challenge_ack();
    expect_no_tx();
    EXPECT_EQ(out.counters.dropped(tcp_drop::bad_ack), 1u);
    EXPECT_EQ(out.counters.challenge_acks, 1u);
}

TEST_F(AckCheck, AckAboveSndNxtGetsAChallengeAck) {
    app_send("abc");
    expect_tx(seg().ack().psh().seq(1).payload("abc"));
    inject(seg().ack().seq(1).ack_no(snd_nxt() + 1));
    expect_challenge_ack();
    expect_no_tx();
    EXPECT_EQ(snd_una(), 1u);
}

TEST_F(AckCheck, AckInsideTheFlightIsAccepted) {
    app_send("abcdef");
    expect_tx(seg().ack().psh().seq(1).payload("abcdef"));
    inject(seg().ack().seq(1).ack_no(4));
    expect_no_tx();
    EXPECT_EQ(snd_una(), 4u);
}

// --- RFC 5961 7: challenge ACKs are rate limited, per connection ---

TEST_F(ChallengeAckRate, EleventhChallengeInOneSecondIsNotSent) {
    ASSERT_EQ(cfg.challenge_ack_limit, 10);
    for (int i = 0; i < 10; ++i) {
        inject(seg().rst().seq(rcv_nxt() + 1 + i));
        expect_challenge_ack();
    }
    inject(seg().rst().seq(rcv_nxt() + 100));
    expect_no_tx();
    EXPECT_EQ(out.counters.challenge_acks, 10u);
    EXPECT_EQ(out.counters.dropped(tcp_drop::challenge_ack_limited), 1u);
    EXPECT_EQ(state(), tcp_state::established);
}

TEST_F(ChallengeAckRate, ChallengesFlowAgainAfterOneSecond) {
    for (int i = 0; i < 10; ++i) {
        inject(seg().rst().seq(rcv_nxt() + 1));
        expect_challenge_ack();
    }
    advance(999ms);
    inject(seg().rst().seq(rcv_nxt() + 1));
    expect_no_tx();
    advance(1ms);
    inject(seg().rst().seq(rcv_nxt() + 1));
    expect_challenge_ack();
    expect_no_tx();
    EXPECT_EQ(out.counters.challenge_acks, 11u);
}

TEST_F(ChallengeAckRate, SynRstAndBadAckShareTheLimit) {
    for (int i = 0; i < 4; ++i) {
        inject(seg().rst().seq(rcv_nxt() + 1));
        inject(seg().syn().seq(rcv_nxt() + 1));
        expect_challenge_ack();
        expect_challenge_ack();
    }
    inject(seg().ack().seq(1).ack_no(snd_nxt() + 5));
    inject(seg().ack().seq(1).ack_no(snd_nxt() + 5));
    expect_challenge_ack();
    expect_challenge_ack();
    inject(seg().syn().seq(rcv_nxt() + 1));
    expect_no_tx();
    EXPECT_EQ(out.counters.dropped(tcp_drop::challenge_ack_limited), 1u);
}

// The limit is per connection (a global count is the CVE-2016-5696 side
// channel): a second connection, here a TCB built directly, has its own.
TEST_F(ChallengeAckRate, LimitIsPerConnection) {
    for (int i = 0; i < 11; ++i) inject(seg().rst().seq(rcv_nxt() + 1));
    for (int i = 0; i < 10; ++i) expect_challenge_ack();
    expect_no_tx();

    std::vector<uint8_t> snd_buf(cfg.send_buffer), rcv_buf(cfg.receive_buffer);
    four_tuple other_tuple{tuple.local_ip, tuple.remote_ip, tuple.local_port, 40001};
    tcb other(cfg, other_tuple, connection_storage{snd_buf, rcv_buf});
    tcp_output other_out;
    segment syn;
    syn.seq = seq_num(1000);
    syn.flags = tcp_flags{tcp_flags::syn};
    syn.window = 65535;
    other.open_passive(now, seq_num(5000), syn, other_out);
    segment ack;
    ack.seq = seq_num(1001);
    ack.ack = seq_num(5001);
    ack.flags = tcp_flags{tcp_flags::ack};
    ack.window = 65535;
    other.input(now, ack, other_out);
    ASSERT_EQ(other.state(), tcp_state::established);
    other_out.clear();

    segment rst;
    rst.seq = seq_num(1002);  // in the window, not at RCV.NXT
    rst.flags = tcp_flags{tcp_flags::rst};
    other.input(now, rst, other_out);
    ASSERT_EQ(other_out.count, 1u);
    EXPECT_EQ(other_out.segments[0].flags.bits, tcp_flags::ack);
    EXPECT_EQ(other_out.segments[0].seq, seq_num(5001));
    EXPECT_EQ(other_out.segments[0].ack, seq_num(1001));
    EXPECT_EQ(other.state(), tcp_state::established);
    other.abort(now, other_out);
    EXPECT_EQ(other.next_deadline(), no_deadline);
}

// --- RFC 7323 5: PAWS ---

TEST_F(Paws, OlderTsvalIsDroppedAndAcked) {
    uint32_t recent = conn->rcv().ts_recent;
    inject(seg().ack().seq(1).payload("old").ts(recent - 1));
    expect_challenge_ack();
    expect_no_tx();
    EXPECT_EQ(rcv_nxt(), 1u);
    EXPECT_EQ(app_read(), "");
    EXPECT_EQ(out.counters.dropped(tcp_drop::paws), 1u);
    EXPECT_EQ(conn->rcv().ts_recent, recent);
}

TEST_F(Paws, EqualTsvalIsAccepted) {
    uint32_t recent = conn->rcv().ts_recent;
    inject(seg().ack().seq(1).payload("same").ts(recent));
    EXPECT_EQ(app_read(), "same");
    advance(40ms);
    expect_tx(seg().ack().ack_no(5));
    EXPECT_EQ(out.counters.dropped(tcp_drop::paws), 0u);
}

TEST_F(Paws, RstWithAnOlderTsvalIsStillProcessed) {
    inject(seg().rst().seq(rcv_nxt()).ts(conn->rcv().ts_recent - 1000));
    expect_no_tx();
    EXPECT_FALSE(conn.has_value());
    EXPECT_EQ(last_close, close_reason::reset_by_peer);
}

TEST_F(Paws, SegmentWithoutTimestampIsDroppedOnceNegotiated) {
    inject(seg().ack().seq(1).payload("bare").without_ts());
    expect_no_tx();
    EXPECT_EQ(rcv_nxt(), 1u);
    EXPECT_EQ(out.counters.dropped(tcp_drop::missing_timestamp), 1u);
}

TEST_F(Paws, RstWithoutTimestampIsStillProcessed) {
    inject(seg().rst().seq(rcv_nxt()).without_ts());
    expect_no_tx();
    EXPECT_FALSE(conn.has_value());
    EXPECT_EQ(last_close, close_reason::reset_by_peer);
}

TEST_F(Paws, AckOfDataWithAnOldTsvalDoesNotAdvanceSndUna) {
    app_send("abc");
    expect_tx(seg().ack().psh().seq(1).payload("abc"));
    inject(seg().ack().seq(1).ack_no(4).ts(conn->rcv().ts_recent - 1));
    expect_challenge_ack();
    EXPECT_EQ(snd_una(), 1u);
}

TEST_F(PawsCustom, NewerTsvalAcrossTheWrapIsAccepted) {
    peer_ts_offset = 0xffffffffu - to_ms32(now) - 5;  // the peer's clock is 5 ms before the wrap
    passive_handshake();
    ASSERT_GT(conn->rcv().ts_recent, 0xfffffff0u);
    inject(seg().ack().seq(1).payload("new").ts(20));
    EXPECT_EQ(app_read(), "new");
    EXPECT_EQ(conn->rcv().ts_recent, 20u);
    advance(40ms);
    expect_tx(seg().ack().ack_no(4));
}

// --- RFC 7323 4.3: TS.Recent and the TSecr we send ---

TEST_F(TsRecent, UpdatedOnlyBySegmentsCoveringLastAckSent) {
    uint32_t base = conn->rcv().ts_recent;
    inject(seg().ack().seq(1).payload("aaaa").ts(base + 10));  // SEG.SEQ = Last.ACK.sent
    EXPECT_EQ(conn->rcv().ts_recent, base + 10);
    inject(seg().ack().seq(5).payload("bbbb").ts(base + 20));  // past Last.ACK.sent: delayed ACK pending
    EXPECT_EQ(conn->rcv().ts_recent, base + 10);
    advance(40ms);
    ASSERT_FALSE(sent.empty());
    EXPECT_EQ(sent.front().header.options.ts_ecr, base + 10);  // echoes the earliest unacknowledged
    expect_tx(seg().ack().ack_no(9));
    inject(seg().ack().seq(9).payload("cccc").ts(base + 30));  // SEG.SEQ = Last.ACK.sent again
    EXPECT_EQ(conn->rcv().ts_recent, base + 30);
    advance(40ms);
    ASSERT_FALSE(sent.empty());
    EXPECT_EQ(sent.front().header.options.ts_ecr, base + 30);
    expect_tx(seg().ack().ack_no(13));
}

TEST_F(TsRecent, OutOfOrderSegmentDoesNotUpdateIt) {
    uint32_t base = conn->rcv().ts_recent;
    inject(seg().ack().seq(101).payload(10).ts(base + 50));
    ASSERT_FALSE(sent.empty());
    EXPECT_EQ(sent.front().header.options.ts_ecr, base);
    expect_tx(seg().ack().ack_no(1));
    EXPECT_EQ(conn->rcv().ts_recent, base);
}

TEST_F(TsRecent, OurDataEchoesIt) {
    uint32_t base = conn->rcv().ts_recent;
    inject(seg().ack().seq(1).payload("q").ts(base + 7));
    app_send("reply");
    ASSERT_FALSE(sent.empty());
    EXPECT_TRUE(sent.front().header.options.has_timestamps);
    EXPECT_EQ(sent.front().header.options.ts_ecr, base + 7);
    EXPECT_EQ(sent.front().header.options.ts_val, conn->ts_now(now));
    expect_tx(seg().ack().psh().seq(1).ack_no(2).payload("reply"));
}

TEST_F(TsRecent, PureAckAtRcvNxtUpdatesIt) {
    uint32_t base = conn->rcv().ts_recent;
    inject(seg().ack().seq(1).ts(base + 3));
    expect_no_tx();
    EXPECT_EQ(conn->rcv().ts_recent, base + 3);
}

// --- RFC 6298 2 and 3, RFC 7323 4.1: RTT samples an attacker cannot poison ---

// One in-window ACK whose TSecr is far older than anything we sent used to
// feed the RTO estimate (and a 32-bit overflow made it worse): the next
// retransmission came 24 s to 114 s late. A sample is taken from the timed
// segment when the ACK covers it, and from TSecr only when the echo lies
// between the send of the data it acknowledges and our clock.
class RttPoisoning : public tcp_script {
protected:
    static constexpr duration path_rtt = 10ms;
    void SetUp() override { passive_handshake({}, path_rtt); }

    // An ACK of everything up to `ack` (relative) from the peer, echoing `ts_ecr`.
    void inject_ack_echoing(uint32_t ack, uint32_t ts_ecr) {
        seg_spec s = seg().ack().seq(1).ack_no(ack);
        s.options.has_timestamps = true;
        s.options.ts_val = peer_ts_now();
        s.options.ts_ecr = ts_ecr;
        inject(s);
    }
    // The next thing the connection does unprompted is to send `expected`,
    // and it does so within the RTO the path's RTT gives (the minimum).
    void expect_resent_within_the_minimum_rto(const seg_spec& expected) {
        ASSERT_NE(conn->next_deadline(), no_deadline);
        duration wait = conn->next_deadline() - now;
        EXPECT_LE(wait, cfg.rto_min);
        advance(wait);
        expect_tx(expected);
        expect_no_tx();
    }
};

TEST_F(RttPoisoning, EchoOlderThanTheConnectionOnTheTimedSegmentsAckIsIgnored) {
    uint32_t first_tsval = last_ts_val;  // our SYN-ACK's
    for (uint32_t age : {100'000u, 100'000'000u, (1u << 30) - 1}) {
        uint32_t seq = snd_nxt();
        app_send(100);
        expect_tx(seg().ack().psh().seq(seq).len(100));
        advance(path_rtt);
        inject_ack_echoing(snd_nxt(), first_tsval - age);
        EXPECT_EQ(conn->rtt().srtt(), path_rtt) << age;
    }
    app_send(100);
    expect_tx(seg().ack().psh().seq(301).len(100));
    expect_resent_within_the_minimum_rto(seg().ack().psh().seq(301).len(100));
}

// The ACK of an untimed segment: only TSecr could time it, and this one
// echoes a TSval older than the data it acknowledges.
TEST_F(RttPoisoning, EchoOlderThanTheAcknowledgedDataGivesNoSample) {
    constexpr uint32_t mss = 1448;
    app_send(2 * mss);
    expect_tx(seg().ack().seq(1).len(mss));  // timed
    expect_tx(seg().ack().psh().seq(1 + mss).len(mss));
    uint32_t sent_tsval = last_ts_val;
    advance(path_rtt);
    inject_ack_echoing(1 + mss, sent_tsval);  // the timed segment: a true sample
    EXPECT_EQ(conn->rtt().srtt(), path_rtt);
    inject_ack_echoing(1 + 2 * mss, sent_tsval - 1);  // older than the second segment's send
    EXPECT_EQ(snd_una(), 1 + 2 * mss);  // the ACK itself is taken
    EXPECT_EQ(conn->rtt().srtt(), path_rtt);
    EXPECT_EQ(conn->rtt().rttvar(), path_rtt / 2 - path_rtt / 8);  // the one sample: 3/4 of 5 ms
    app_send(100);
    expect_tx(seg().ack().psh().seq(1 + 2 * mss).len(100));
    expect_resent_within_the_minimum_rto(seg().ack().psh().seq(1 + 2 * mss).len(100));
}

TEST_F(RttPoisoning, EchoNewerThanOurClockGivesNoSample) {
    constexpr uint32_t mss = 1448;
    app_send(2 * mss);
    expect_tx(seg().ack().seq(1).len(mss));
    expect_tx(seg().ack().psh().seq(1 + mss).len(mss));
    advance(path_rtt);
    inject_ack_echoing(1 + mss, last_ts_val);
    inject_ack_echoing(1 + mss + 100, conn->ts_now(now) + 1);  // a TSval we have not sent yet
    EXPECT_EQ(snd_una(), 1 + mss + 100);
    EXPECT_EQ(conn->rtt().srtt(), path_rtt);
    inject_ack_echoing(1 + 2 * mss, conn->ts_now(now) + (1u << 31) - 1);  // nor ever will
    EXPECT_EQ(snd_una(), 1 + 2 * mss);
    EXPECT_EQ(conn->rtt().srtt(), path_rtt);
}

}  // namespace
}  // namespace fptcp::tcp::testing
