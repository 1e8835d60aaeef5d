// Retransmission timer: RFC 6298 (RTO estimation, backoff, Karn's rule),
// RFC 5681 3.1 (the loss window after a timeout), RFC 9293 3.8.3 (R2, give up),
// RFC 7323 4 (RTT samples from TSecr).

#include "script.hh"

namespace fptcp::tcp::testing {
namespace {

// Scripts open with passive_handshake(peer, rtt): the peer answers our
// SYN-ACK `rtt` later, so the first RTT sample is exactly `rtt`, from the
// timed SYN-ACK (no timestamps) or from TSecr.
class RetransmitTimer : public tcp_script {
protected:
    // The peer acknowledges everything sent so far, `rtt` after it was sent.
    void ack_after(duration rtt) {
        advance(rtt);
        inject(seg().ack().seq(1).ack_no(snd_nxt()));
    }
};

// The RTO on its own: the peers do not permit SACK, so no tail loss probe
// (RFC 8985 7, loss_recovery_test.cc) comes before it.
// Without timestamps the only samples are the timed segments (RFC 6298 3).
class RetransmitNoTimestamps : public RetransmitTimer {
protected:
    void SetUp() override { passive_handshake({.sack_permitted = false, .timestamps = false}, 100ms); }
};

class RetransmitTimestamps : public RetransmitTimer {
protected:
    void SetUp() override { passive_handshake({.sack_permitted = false}, 100ms); }
};

using RetransmitCustom = RetransmitTimer;  // the test configures, then opens

constexpr uint32_t mss_plain = 1460;       // peer MSS 1460, no timestamp option

// --- RFC 6298 2.1: initial RTO ---

TEST_F(RetransmitCustom, InitialRtoIsOneSecondForTheSyn) {
    connect();
    expect_tx(seg().syn().seq(0));
    advance(999ms);
    expect_no_tx();
    advance(1ms);
    expect_tx(seg().syn().seq(0));
    expect_no_tx();
    EXPECT_EQ(out.counters.retransmits, 1u);
}

TEST_F(RetransmitCustom, InitialRtoIsOneSecondForTheSynAck) {
    listen();
    seg_spec syn = seg().syn().seq(0);
    syn.options.mss = 1460;
    inject(syn);
    expect_tx(seg().syn().ack().seq(0).ack_no(1));
    EXPECT_EQ(conn->rtt().rto(), 1s);
    EXPECT_FALSE(conn->rtt().has_sample());
    advance(999ms);
    expect_no_tx();
    advance(1ms);
    expect_tx(seg().syn().ack().seq(0).ack_no(1));
    expect_no_tx();
}

// RFC 6298 5.7: the SYN was retransmitted and no sample exists (Karn, no
// timestamps): the RTO for data becomes 3 s.
TEST_F(RetransmitCustom, RtoIsThreeSecondsAfterARetransmittedSynWithoutASample) {
    cfg.timestamps = false;
    connect();
    expect_tx(seg().syn().seq(0));
    advance(1s);
    expect_tx(seg().syn().seq(0));
    advance(100ms);
    inject(seg().syn().ack().seq(0).ack_no(1).mss(1460));
    expect_tx(seg().ack().seq(1).ack_no(1));
    ASSERT_EQ(state(), tcp_state::established);
    take_events();
    EXPECT_FALSE(conn->rtt().has_sample());
    EXPECT_EQ(conn->rtt().rto(), 3s);
    app_send(100);
    expect_tx(seg().ack().psh().seq(1).len(100));
    advance(3s - 1ms);
    expect_no_tx();
    advance(1ms);
    expect_tx(seg().ack().psh().seq(1).len(100));
}

// --- RFC 6298 2.2 and 2.3: the estimator ---

TEST_F(RetransmitNoTimestamps, FirstSampleSetsSrttAndHalfOfItAsRttvar) {
    EXPECT_TRUE(conn->rtt().has_sample());
    EXPECT_EQ(conn->rtt().srtt(), 100ms);
    EXPECT_EQ(conn->rtt().rttvar(), 50ms);
    EXPECT_EQ(conn->rtt().rto(), 300ms);  // SRTT + max(G, 4 * RTTVAR)
}

TEST_F(RetransmitNoTimestamps, LaterSamplesUseAlphaOneEighthAndBetaOneQuarter) {
    app_send(100);
    expect_tx(seg().ack().psh().seq(1).len(100));
    ack_after(200ms);
    // RTTVAR = 3/4 * 50 + 1/4 * |100 - 200| = 62.5; SRTT = 7/8 * 100 + 1/8 * 200 = 112.5
    EXPECT_EQ(conn->rtt().rttvar(), 62500us);
    EXPECT_EQ(conn->rtt().srtt(), 112500us);
    EXPECT_EQ(conn->rtt().rto(), 362500us);
    app_send(100);
    expect_tx(seg().ack().psh().seq(101).len(100));
    ack_after(50ms);
    // RTTVAR = 3/4 * 62.5 + 1/4 * |112.5 - 50| = 62.5; SRTT = 112.5 - 112.5 / 8
    // (14.062, truncated to the microsecond) + 50 / 8 = 104.688
    EXPECT_EQ(conn->rtt().rttvar(), 62500us);
    EXPECT_EQ(conn->rtt().srtt(), 104688us);
    expect_no_tx();
}

TEST_F(RetransmitNoTimestamps, OneSegmentIsTimedAtATime) {
    conn->set_nodelay(true);  // two short segments in flight
    app_send(100);
    expect_tx(seg().ack().psh().seq(1).len(100));
    advance(20ms);
    app_send(100);
    expect_tx(seg().ack().psh().seq(101).len(100));
    // The ACK of the first segment gives 200 ms; the second was not timed.
    advance(180ms);
    inject(seg().ack().seq(1).ack_no(101));
    EXPECT_EQ(conn->rtt().srtt(), 112500us);
    advance(10ms);
    inject(seg().ack().seq(1).ack_no(201));
    EXPECT_EQ(conn->rtt().srtt(), 112500us);
    expect_no_tx();
}

// Karn (RFC 6298 3): the peer's SYN again draws our SYN-ACK again, and its
// ACK may answer either; without timestamps nothing can tell which.
TEST_F(RetransmitCustom, SynAckSentAgainForTheSynAgainGivesNoSample) {
    listen();
    seg_spec syn = peer_syn({.timestamps = false});
    inject(syn);
    expect_tx(seg().syn().ack().seq(0).ack_no(1));
    advance(500ms);
    inject(syn);
    expect_tx(seg().syn().ack().seq(0).ack_no(1));
    advance(10ms);
    inject(seg().ack().seq(1).ack_no(1));
    ASSERT_EQ(state(), tcp_state::established);
    EXPECT_FALSE(conn->rtt().has_sample());
}

TEST_F(RetransmitCustom, RtoIsClampedToTheMinimum) {
    passive_handshake({.timestamps = false}, 10ms);
    EXPECT_EQ(conn->rtt().srtt(), 10ms);
    EXPECT_EQ(conn->rtt().rto(), cfg.rto_min);  // 30 ms computed
}

TEST_F(RetransmitCustom, RtoIsClampedToTheMaximum) {
    cfg.rto_max = 500ms;
    passive_handshake({.timestamps = false}, 300ms);
    EXPECT_EQ(conn->rtt().srtt(), 300ms);
    EXPECT_EQ(conn->rtt().rto(), 500ms);  // 900 ms computed
}

TEST_F(RetransmitTimestamps, SamplesComeFromTsecr) {
    EXPECT_EQ(conn->rtt().srtt(), 100ms);
    EXPECT_EQ(conn->rtt().rttvar(), 50ms);
    app_send(100);
    expect_tx(seg().ack().psh().seq(1).len(100));
    ack_after(200ms);
    EXPECT_EQ(conn->rtt().srtt(), 112500us);
    EXPECT_EQ(conn->rtt().rttvar(), 62500us);
}

// --- RFC 6298 5: the timer, backoff, and RFC 5681 3.1 loss window ---

TEST_F(RetransmitNoTimestamps, TimeoutResendsOnlyTheEarliestSegment) {
    EXPECT_EQ(app_send(3 * mss_plain), 3 * mss_plain);
    expect_tx(seg().ack().seq(1).len(mss_plain));
    expect_tx(seg().ack().seq(1 + mss_plain).len(mss_plain));
    expect_tx(seg().ack().psh().seq(1 + 2 * mss_plain).len(mss_plain));
    advance(299ms);
    expect_no_tx();
    advance(1ms);
    expect_tx(seg().ack().seq(1).len(mss_plain));  // cwnd is one segment now
    expect_no_tx();
    EXPECT_EQ(conn->cwnd(), mss_plain);
    EXPECT_EQ(out.counters.retransmits, 1u);
}

TEST_F(RetransmitNoTimestamps, TimerDoublesOnEachTimeoutUpToTheMaximum) {
    app_send(100);
    expect_tx(seg().ack().psh().seq(1).len(100));
    duration interval = 300ms;
    for (int i = 0; i < 12; ++i) {
        advance(interval - 1ms);
        expect_no_tx();
        advance(1ms);
        expect_tx(seg().ack().psh().seq(1).len(100));
        interval = std::min<duration>(2 * interval, cfg.rto_max);
    }
    EXPECT_EQ(interval, cfg.rto_max);
    EXPECT_EQ(out.counters.retransmits, 12u);
}

TEST_F(RetransmitNoTimestamps, KarnsRuleAckOfARetransmittedSegmentGivesNoSample) {
    app_send(100);
    expect_tx(seg().ack().psh().seq(1).len(100));
    advance(300ms);
    expect_tx(seg().ack().psh().seq(1).len(100));
    ack_after(250ms);  // ambiguous: 550 ms after the first send or 250 after the second
    EXPECT_EQ(conn->rtt().srtt(), 100ms);
    EXPECT_EQ(conn->rtt().rttvar(), 50ms);
    expect_no_tx();
}

TEST_F(RetransmitNoTimestamps, NewDataAfterARetransmissionIsTimedAgain) {
    app_send(100);
    expect_tx(seg().ack().psh().seq(1).len(100));
    advance(300ms);
    expect_tx(seg().ack().psh().seq(1).len(100));
    ack_after(10ms);
    app_send(100);
    expect_tx(seg().ack().psh().seq(101).len(100));
    ack_after(200ms);
    EXPECT_EQ(conn->rtt().srtt(), 112500us);
}

// RFC 7323 4.1 / RFC 6298 3: with timestamps the echo tells which
// transmission is acknowledged, so a retransmission gives a true sample.
TEST_F(RetransmitTimestamps, AckOfARetransmissionGivesASampleFromTsecr) {
    app_send(100);
    expect_tx(seg().ack().psh().seq(1).len(100));
    advance(300ms);
    expect_tx(seg().ack().psh().seq(1).len(100));
    ack_after(200ms);  // TSecr echoes the retransmission
    EXPECT_EQ(conn->rtt().srtt(), 112500us);
}

// The timed segment waited behind a lost one: the ACK that covers it also
// covers the resent octets, so the timed sample would include the repair
// (200 ms here); the echo of the retransmission (50 ms) times it instead, as
// Linux does (FLAG_RETRANS_DATA_ACKED).
TEST_F(RetransmitTimestamps, TimedSegmentAckedWithResentOctetsIsTimedByTheEcho) {
    constexpr uint32_t mss = 1448;
    app_send(2 * mss);
    expect_tx(seg().ack().seq(1).len(mss));  // timed
    expect_tx(seg().ack().psh().seq(1 + mss).len(mss));  // lost
    advance(100ms);
    inject(seg().ack().seq(1).ack_no(1 + mss));
    EXPECT_EQ(conn->rtt().srtt(), 100ms);
    app_send(mss);
    expect_tx(seg().ack().psh().seq(1 + 2 * mss).len(mss));  // timed
    advance(150ms);  // the RTO (300 ms) is not due
    inject(seg().ack().seq(1).ack_no(1 + mss));  // a duplicate: early retransmit (RFC 5827)
    expect_tx(seg().ack().seq(1 + mss).len(mss));
    advance(50ms);
    inject(seg().ack().seq(1).ack_no(1 + 3 * mss));  // echoes the retransmission
    EXPECT_EQ(conn->rtt().srtt(), 93750us);  // 7/8 of 100 + 50 / 8 (the timed 200 ms: 112.5)
    expect_no_tx();
}

// Karn with timestamps (RFC 6298 3, RFC 7323 4.3): an ACK that echoes a
// TSval sent before the timeout (the peer had the original; our
// retransmission was a duplicate) gives no sample: it would include the
// whole backed-off RTO. Found by the simulator at 20 % loss.
TEST_F(RetransmitTimestamps, EchoOfATsvalFromBeforeTheTimeoutGivesNoSample) {
    app_send(100);
    expect_tx(seg().ack().psh().seq(1).len(100));
    uint32_t original_tsval = last_ts_val;
    advance(300ms);
    expect_tx(seg().ack().psh().seq(1).len(100));
    advance(50ms);
    seg_spec ack = seg().ack().seq(1).ack_no(101);
    ack.options.has_timestamps = true;
    ack.options.ts_val = peer_ts_now();
    ack.options.ts_ecr = original_tsval;
    inject(ack);
    EXPECT_EQ(conn->snd().una, iss() + seq_len(101));  // the ACK itself is taken
    EXPECT_EQ(conn->rtt().srtt(), 100ms);              // but not timed
}

// A pure ACK after a timeout carries SND.MAX: SND.NXT went back to SND.UNA,
// and an ACK numbered there would sit below the peer's RCV.NXT, where the
// peer drops it unread (RFC 9293 3.10.7.4 first check; as 4.4BSD). Found by
// the simulator: with both ends retransmitting, neither recovered.
TEST_F(RetransmitTimestamps, PureAckAfterATimeoutCarriesSndMax) {
    constexpr uint32_t mss = 1448;  // 1460 less the timestamp option
    app_send(3 * mss);
    expect_tx(seg().ack().seq(1).len(mss));
    expect_tx(seg().ack().seq(1 + mss).len(mss));
    expect_tx(seg().ack().psh().seq(1 + 2 * mss).len(mss));
    advance(300ms);
    expect_tx(seg().ack().seq(1).len(mss));  // go back: one segment (cwnd 1 MSS)
    inject(seg().ack().seq(101).ack_no(1).payload(10));  // out of order: a duplicate ACK at once
    expect_tx(seg().ack().seq(1 + 3 * mss).ack_no(1).len(0));
    expect_no_tx();
}

// RFC 5681 3.1: ssthresh is set when a segment is retransmitted the first
// time; later timeouts of the same data only bring cwnd back to one segment.
TEST_F(RetransmitNoTimestamps, OnlyTheFirstTimeoutSetsSsthresh) {
    EXPECT_EQ(app_send(4 * mss_plain), 4 * mss_plain);
    for (int i = 0; i < 4; ++i) sent.pop_front();
    advance(conn->rtt().rto());
    expect_tx(seg().ack().seq(1).len(mss_plain));
    uint32_t ssthresh = conn->ssthresh();
    EXPECT_EQ(ssthresh, 4 * mss_plain * 7 / 10);  // CUBIC: FlightSize * 0.7
    advance(2 * conn->rtt().rto());
    expect_tx(seg().ack().seq(1).len(mss_plain));
    EXPECT_EQ(conn->ssthresh(), ssthresh);  // not 0.7 of the one segment in flight now
    EXPECT_EQ(conn->cwnd(), mss_plain);
}

TEST_F(RetransmitNoTimestamps, NewAckResetsTheBackoff) {
    EXPECT_EQ(app_send(3 * mss_plain), 3 * mss_plain);
    expect_tx(seg().ack().seq(1).len(mss_plain));
    expect_tx(seg().ack().seq(1 + mss_plain).len(mss_plain));
    expect_tx(seg().ack().psh().seq(1 + 2 * mss_plain).len(mss_plain));
    advance(300ms);
    expect_tx(seg().ack().seq(1).len(mss_plain));
    advance(600ms);
    expect_tx(seg().ack().seq(1).len(mss_plain));
    // The first segment is acknowledged: slow start from one segment lets
    // two go (both resent), and the timer is back to the unbacked RTO.
    inject(seg().ack().seq(1).ack_no(1 + mss_plain));
    expect_tx(seg().ack().seq(1 + mss_plain).len(mss_plain));
    expect_tx(seg().ack().psh().seq(1 + 2 * mss_plain).len(mss_plain));
    expect_no_tx();
    advance(299ms);
    expect_no_tx();
    advance(1ms);
    expect_tx(seg().ack().seq(1 + mss_plain).len(mss_plain));
    EXPECT_EQ(out.counters.retransmits, 5u);
}

TEST_F(RetransmitNoTimestamps, AckOfEverythingStopsTheTimer) {
    app_send(100);
    expect_tx(seg().ack().psh().seq(1).len(100));
    ack_after(50ms);
    EXPECT_EQ(conn->next_deadline(), no_deadline);
    advance(10min);
    expect_no_tx();
}

TEST_F(RetransmitNoTimestamps, PartialAckRestartsTheTimerForTheRest) {
    EXPECT_EQ(app_send(2 * mss_plain), 2 * mss_plain);
    expect_tx(seg().ack().seq(1).len(mss_plain));
    expect_tx(seg().ack().psh().seq(1 + mss_plain).len(mss_plain));
    advance(200ms);
    inject(seg().ack().seq(1).ack_no(1 + mss_plain));
    // RFC 6298 5.3: restart so it expires RTO after now (the sample changed it).
    duration rto = conn->rtt().rto();
    advance(rto - 1ms);
    expect_no_tx();
    advance(1ms);
    expect_tx(seg().ack().psh().seq(1 + mss_plain).len(mss_plain));
}

TEST_F(RetransmitNoTimestamps, TimeoutCollapsesTheCongestionWindow) {
    EXPECT_EQ(conn->cwnd(), 10 * mss_plain);
    app_send(100);
    expect_tx(seg().ack().psh().len(100));
    advance(300ms);
    expect_tx(seg().ack().psh().len(100));
    EXPECT_EQ(conn->cwnd(), mss_plain);
}

// RFC 9293 3.8.3 (R2): give up after the configured number of timeouts.
TEST_F(RetransmitCustom, ConnectionAbortsAfterMaxRetransmits) {
    cfg.max_retransmits = 3;
    passive_handshake({.sack_permitted = false, .timestamps = false}, 100ms);
    app_send(100);
    expect_tx(seg().ack().psh().seq(1).len(100));
    advance(300ms + 600ms + 1200ms);
    for (int i = 0; i < 3; ++i) expect_tx(seg().ack().psh().seq(1).len(100));
    ASSERT_TRUE(conn.has_value());
    advance(2400ms - 1ms);
    ASSERT_TRUE(conn.has_value());
    advance(1ms);
    expect_no_tx();
    EXPECT_FALSE(conn.has_value());
    EXPECT_EQ(last_close, close_reason::retransmit_timeout);
    EXPECT_TRUE(take_events() & tcp_events::closed);
    EXPECT_EQ(out.counters.retransmits, 3u);
}

// RFC 1122 4.2.3.5: at R1 retransmissions of one segment, negative advice
// to the layer below (the engine expires the next hop's ARP entry), once.
TEST_F(RetransmitNoTimestamps, PathIsSuspectedAtTheR1thRetransmission) {
    app_send(100);
    expect_tx(seg().ack().psh().seq(1).len(100));
    take_events();
    duration interval = conn->rtt().rto();
    for (int i = 1; i <= 5; ++i) {
        advance(interval);
        interval *= 2;
        expect_tx(seg().ack().psh().seq(1).len(100));
        EXPECT_EQ((take_events() & tcp_events::path_suspect) != 0, i == cfg.r1_retransmits) << "retransmission " << i;
    }
}

TEST_F(RetransmitNoTimestamps, DefaultGiveUpCountIsReachedOnlyAfterFifteenRetransmissions) {
    app_send(100);
    expect_tx(seg().ack().psh().seq(1).len(100));
    advance(30min);
    for (int i = 0; i < cfg.max_retransmits; ++i) expect_tx(seg().ack().psh().seq(1).len(100));
    expect_no_tx();
    EXPECT_FALSE(conn.has_value());
    EXPECT_EQ(last_close, close_reason::retransmit_timeout);
}

TEST_F(RetransmitNoTimestamps, AnsweredRetransmissionsNeverAddUpToTheGiveUpCount) {
    for (int round = 0; round < 20; ++round) {
        app_send(100);
        expect_tx(seg().ack().psh().len(100));
        advance(conn->rtt().rto());
        expect_tx(seg().ack().psh().len(100));
        ack_after(1ms);
    }
    EXPECT_EQ(state(), tcp_state::established);
    EXPECT_EQ(out.counters.retransmits, 20u);
}

TEST_F(RetransmitNoTimestamps, FinIsRetransmittedLikeData) {
    app_shutdown();
    expect_tx(seg().ack().fin().seq(1));
    advance(300ms);
    expect_tx(seg().ack().fin().seq(1));
    advance(600ms);
    expect_tx(seg().ack().fin().seq(1));
    inject(seg().ack().seq(1).ack_no(2));
    EXPECT_EQ(state(), tcp_state::fin_wait_2);
    expect_no_tx();
}

}  // namespace
}  // namespace fptcp::tcp::testing
