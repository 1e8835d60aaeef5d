// Opening a connection: RFC 9293 3.5 and 3.10.7.1-3.10.7.3, both roles;
// the SYN options of RFC 9293 3.7.1 (MSS), RFC 7323 (window scale,
// timestamps) and RFC 2018 (SACK-permitted); the SYN timers of RFC 6298.

#include "script.hh"

namespace fptcp::tcp::testing {
namespace {

// The fixture, plus a look at the options of what we answer.
class Handshake : public tcp_script {
protected:
    // The options of the oldest sent segment not yet expected.
    tcp_options next_tx_options() const { return sent.empty() ? tcp_options{} : sent.front().header.options; }
};

TEST_F(Handshake, PassiveOpenReachesEstablished) {
    passive_handshake();
    EXPECT_EQ(conn->snd().una, iss() + seq_len(1));
    EXPECT_EQ(conn->rcv().nxt, irs() + seq_len(1));
    EXPECT_TRUE(conn->timestamps_enabled());
    EXPECT_TRUE(conn->sack_enabled());
    EXPECT_EQ(conn->snd().shift, 7);
}

TEST_F(Handshake, ActiveOpenReachesEstablished) {
    active_handshake();
    EXPECT_EQ(conn->snd().una, iss() + seq_len(1));
    EXPECT_EQ(conn->snd().mss, 1460 - 12);
}

// ---------------------------------------------------------------------------
// Passive open (RFC 9293 3.5 figure 6, 3.10.7.2).

using PassiveOpen = Handshake;

TEST_F(PassiveOpen, SynAckCarriesExactlyOurOptionsAndEchoesPeerTimestamp) {
    listen();
    uint32_t peer_tsval = peer_ts_now();
    inject(peer_syn());
    ASSERT_EQ(sent.size(), 1u);
    tcp_options o = next_tx_options();
    // Receive buffer 64 KiB: shift 1 announces it in 16 bits (RFC 7323 2.2);
    // the SYN-ACK's own window is not scaled.
    expect_tx(seg().syn().ack().seq(0).ack_no(1).win(65535).mss(1460).wscale(3).sack_ok());
    EXPECT_TRUE(o.has_timestamps);
    EXPECT_EQ(o.ts_ecr, peer_tsval);  // RFC 7323 3.2: TSecr echoes the SYN's TSval
    EXPECT_EQ(o.ts_val, conn->ts_now(now));
    EXPECT_EQ(state(), tcp_state::syn_received);
    EXPECT_EQ(take_events(), 0) << "no event before the handshake completes";
}

TEST_F(PassiveOpen, FinalAckEntersEstablishedAndReportsConnected) {
    listen();
    inject(peer_syn());
    expect_tx(seg().syn().ack().seq(0).ack_no(1));
    peer_synchronized();
    inject(seg().ack().seq(1).ack_no(1));
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::established);
    EXPECT_EQ(take_events(), tcp_events::connected);
    EXPECT_EQ(snd_una(), 1u);
    EXPECT_EQ(snd_nxt(), 1u);
    EXPECT_EQ(rcv_nxt(), 1u);
}

struct buffer_shift {
    uint32_t receive_buffer;
    uint8_t shift;
    uint16_t syn_window;
};

class OurWindowScale : public Handshake, public ::testing::WithParamInterface<buffer_shift> {};

// RFC 7323 2.2/2.3: the shift we offer is the smallest that lets the receive
// buffer be announced in 16 bits; both roles offer it.
TEST_P(OurWindowScale, FollowsTheReceiveBufferOnSynAck) {
    cfg.receive_buffer = GetParam().receive_buffer;
    listen();
    inject(peer_syn());
    expect_tx(seg().syn().ack().seq(0).ack_no(1).win(GetParam().syn_window).mss(1460).wscale(GetParam().shift).sack_ok());
    EXPECT_EQ(conn->rcv().shift, GetParam().shift);
}

TEST_P(OurWindowScale, FollowsTheReceiveBufferOnSyn) {
    cfg.receive_buffer = GetParam().receive_buffer;
    connect();
    expect_tx(seg().syn().seq(0).win(GetParam().syn_window).mss(1460).wscale(GetParam().shift).sack_ok());
}

INSTANTIATE_TEST_SUITE_P(Buffers, OurWindowScale,
                         ::testing::Values(buffer_shift{16384, 0, 16384}, buffer_shift{65535, 0, 65535},
                                           buffer_shift{65536, 1, 65535}, buffer_shift{262144, 3, 65535},
                                           buffer_shift{1u << 20, 5, 65535}));

// ---------------------------------------------------------------------------
// Option negotiation: an option is used only when both SYNs carried it.

using SynAckOptions = Handshake;

// RFC 7323 2.2: no window scale on the SYN, none on the SYN-ACK, no scaling
// either way.
TEST_F(SynAckOptions, PeerWithoutWindowScaleGetsNoneAndNoScaling) {
    listen();
    inject(peer_syn({.window_shift = std::nullopt}));
    expect_tx(seg().syn().ack().seq(0).ack_no(1).mss(1460).sack_ok());
    EXPECT_EQ(conn->snd().shift, 0);
    EXPECT_EQ(conn->rcv().shift, 0);
    peer_synchronized();
    inject(seg().ack().seq(1).ack_no(1).win(1000));
    EXPECT_EQ(conn->snd().wnd, 1000u) << "the peer's window must not be scaled";
    app_send("x");
    // 64 KiB free, announced unscaled: capped at 65535 (scaled by 1 it would be 32768).
    expect_tx(seg().ack().psh().seq(1).ack_no(1).win(65535).payload("x"));
}

// RFC 7323 3.2: no TSopt on the SYN, none on the SYN-ACK or after.
TEST_F(SynAckOptions, PeerWithoutTimestampsGetsNoTimestamps) {
    listen();
    inject(peer_syn({.timestamps = false}));
    EXPECT_FALSE(next_tx_options().has_timestamps);
    expect_tx(seg().syn().ack().seq(0).ack_no(1).mss(1460).wscale(3).sack_ok());
    EXPECT_FALSE(conn->timestamps_enabled());
    EXPECT_EQ(conn->snd().mss, 1460) << "no 12 bytes of options to leave room for";
    peer_synchronized();
    inject(seg().ack().seq(1).ack_no(1));
    EXPECT_EQ(state(), tcp_state::established);
    app_send("x");
    EXPECT_FALSE(next_tx_options().has_timestamps);
    expect_tx(seg().ack().psh().seq(1).ack_no(1).payload("x"));
}

// RFC 2018 2: SACK-permitted only when the SYN offered it.
TEST_F(SynAckOptions, PeerWithoutSackPermittedGetsNone) {
    listen();
    inject(peer_syn({.sack_permitted = false}));
    expect_tx(seg().syn().ack().seq(0).ack_no(1).mss(1460).wscale(3));
    EXPECT_FALSE(conn->sack_enabled());
}

// RFC 9293 3.7.1: without an MSS option, the peer's MSS is 536. Our SYN-ACK
// still carries ours.
TEST_F(SynAckOptions, MissingMssMeansSendMss536) {
    listen();
    inject(peer_syn({.mss = std::nullopt, .timestamps = false}));
    expect_tx(seg().syn().ack().seq(0).ack_no(1).mss(1460).wscale(3).sack_ok());
    EXPECT_EQ(conn->snd().mss, 536);
}

// RFC 9293 3.7.1 / RFC 6691: the 536 excludes options, so 12 bytes of
// timestamps come off it.
TEST_F(SynAckOptions, MissingMssWithTimestampsLeavesRoomForThem) {
    listen();
    inject(peer_syn({.mss = std::nullopt}));
    expect_tx(seg().syn().ack().seq(0).ack_no(1));
    EXPECT_EQ(conn->snd().mss, 536 - 12);
}

TEST_F(SynAckOptions, PeerMssLargerThanOursIsCappedToOurs) {
    active_handshake({.mss = 9000, .timestamps = false});
    EXPECT_EQ(conn->snd().mss, 1460);
}

TEST_F(SynAckOptions, SmallerPeerMssIsUsed) {
    active_handshake({.mss = 1000, .timestamps = false});
    EXPECT_EQ(conn->snd().mss, 1000);
}

class TinyPeerMss : public Handshake, public ::testing::WithParamInterface<uint16_t> {};

// TESTING.md: MSS 0/1/48 is clamped to cfg.min_peer_mss, never a loop of
// tiny segments.
TEST_P(TinyPeerMss, IsClampedOnPassiveOpen) {
    passive_handshake({.mss = GetParam(), .timestamps = false});
    EXPECT_EQ(conn->snd().mss, cfg.min_peer_mss);
    app_send(200);
    expect_tx(seg().ack().seq(1).len(64));
    expect_tx(seg().ack().seq(65).len(64));
    expect_tx(seg().ack().seq(129).len(64));
    expect_tx(seg().ack().psh().seq(193).len(8));
}

TEST_P(TinyPeerMss, IsClampedOnActiveOpen) {
    active_handshake({.mss = GetParam(), .timestamps = false});
    EXPECT_EQ(conn->snd().mss, cfg.min_peer_mss);
}

INSTANTIATE_TEST_SUITE_P(Mss, TinyPeerMss, ::testing::Values(uint16_t{0}, uint16_t{1}, uint16_t{48}));

class HugePeerShift : public Handshake, public ::testing::WithParamInterface<uint8_t> {};

// RFC 7323 2.3: a shift above 14 is used as 14.
TEST_P(HugePeerShift, IsUsedAs14OnPassiveOpen) {
    listen();
    inject(peer_syn({.window_shift = GetParam()}));
    expect_tx(seg().syn().ack().seq(0).ack_no(1).mss(1460).wscale(3).sack_ok());
    EXPECT_EQ(conn->snd().shift, 14);
    peer_synchronized();
    inject(seg().ack().seq(1).ack_no(1).win(3));
    EXPECT_EQ(conn->snd().wnd, 3u << 14);
}

TEST_P(HugePeerShift, IsUsedAs14OnActiveOpen) {
    active_handshake({.window_shift = GetParam()});
    EXPECT_EQ(conn->snd().shift, 14);
}

INSTANTIATE_TEST_SUITE_P(Shift, HugePeerShift, ::testing::Values(uint8_t{15}, uint8_t{255}));

// RFC 7323 2.2: the window of a SYN or SYN-ACK is never scaled. Passive: the
// SYN's window is not used; the final ACK's is, scaled.
TEST_F(SynAckOptions, PassiveOpenScalesOnlyTheFinalAcksWindow) {
    listen();
    inject(peer_syn({.window = 1000}));
    expect_tx(seg().syn().ack().seq(0).ack_no(1));
    peer_synchronized();
    inject(seg().ack().seq(1).ack_no(1).win(1000));
    EXPECT_EQ(conn->snd().wnd, 1000u << 7);
    EXPECT_EQ(conn->snd().wl1, irs() + seq_len(1));
    EXPECT_EQ(conn->snd().wl2, iss() + seq_len(1));
}

// Active: SND.WND comes from the SYN-ACK, unscaled.
TEST_F(SynAckOptions, ActiveOpenTakesTheSynAckWindowUnscaled) {
    active_handshake({.window = 1000});
    EXPECT_EQ(conn->snd().wnd, 1000u);
    // The next window update is scaled.
    inject(seg().ack().seq(1).ack_no(1).win(1000));
    EXPECT_EQ(conn->snd().wnd, 1000u << 7);
}

// A duplicate SYN-ACK (our ACK was lost) is re-ACKed; its window is still a
// SYN's window and is not scaled.
TEST_F(SynAckOptions, DuplicateSynAckIsAckedAndItsWindowNotScaled) {
    active_handshake({.window = 1000});
    inject(peer_syn_ack({.window = 1000}));
    expect_tx(seg().ack().seq(1).ack_no(1));
    EXPECT_EQ(state(), tcp_state::established);
    EXPECT_EQ(conn->snd().wnd, 1000u);
}

// ---------------------------------------------------------------------------
// Active open (RFC 9293 3.5 figure 6, 3.10.7.3).

using ActiveOpen = Handshake;

TEST_F(ActiveOpen, SynCarriesAllOurOptions) {
    connect();
    tcp_options o = next_tx_options();
    expect_tx(seg().syn().seq(0).win(65535).mss(1460).wscale(3).sack_ok());
    EXPECT_TRUE(o.has_timestamps);
    EXPECT_EQ(o.ts_val, conn->ts_now(now));
    EXPECT_EQ(o.ts_ecr, 0u) << "RFC 7323 3.2: TSecr is zero without ACK";
    EXPECT_EQ(state(), tcp_state::syn_sent);
    EXPECT_EQ(take_events(), 0);
}

TEST_F(ActiveOpen, SynAckIsAckedAndEntersEstablished) {
    connect();
    expect_tx(seg().syn().seq(0));
    uint32_t peer_tsval = peer_ts_now();
    inject(peer_syn_ack());
    tcp_options o = next_tx_options();
    expect_tx(seg().ack().seq(1).ack_no(1).win(cfg.receive_buffer >> 3));  // 256 KiB at window scale 3
    EXPECT_TRUE(o.has_timestamps);
    EXPECT_EQ(o.ts_ecr, peer_tsval);
    EXPECT_EQ(state(), tcp_state::established);
    EXPECT_EQ(take_events(), tcp_events::connected);
    EXPECT_EQ(snd_una(), 1u);
    EXPECT_EQ(rcv_nxt(), 1u);
}

// The window is anchored at IRS + 1 once the SYN-ACK tells us the IRS (our
// SYN announced 64 KiB - 1, unscaled; the ACK of the SYN-ACK, scaled, the
// whole buffer): never more than the receive buffer.
TEST_F(ActiveOpen, ReceiveWindowStartsAtIrsAndFitsTheBuffer) {
    active_handshake();
    const uint32_t buffer = cfg.receive_buffer;
    EXPECT_EQ(conn->receive_window(), buffer);
    // A byte at the right edge is acceptable but trimmed: ACKed, not stored;
    // one past it is not acceptable: ACKed and dropped.
    inject(seg().ack().seq(1 + buffer).ack_no(1).payload("x"));
    expect_tx(seg().ack().seq(1).ack_no(1));
    EXPECT_EQ(out.counters.dropped(tcp_drop::not_acceptable), 0u);
    inject(seg().ack().seq(1 + buffer + 1).ack_no(1).payload("x"));
    expect_tx(seg().ack().seq(1).ack_no(1));
    EXPECT_EQ(out.counters.dropped(tcp_drop::not_acceptable), 1u);
    EXPECT_EQ(app_read(), "");
}

// RFC 9293 3.10.7.3: data on the SYN-ACK goes on to the sixth step.
TEST_F(ActiveOpen, DataOnSynAckIsAcceptedAndAcked) {
    connect();
    expect_tx(seg().syn().seq(0));
    seg_spec synack = peer_syn_ack();
    inject(synack.payload("hello"));
    expect_tx(seg().ack().seq(1).ack_no(6));
    EXPECT_EQ(state(), tcp_state::established);
    EXPECT_EQ(take_events(), tcp_events::connected | tcp_events::readable);
    EXPECT_EQ(app_read(), "hello");
}

// RFC 9293 3.10.7.3: an ACK at or below ISS or above SND.NXT is answered by
// <SEQ=SEG.ACK><CTL=RST>, and the connection stays in SYN_SENT.
TEST_F(ActiveOpen, SynAckAckingIssIsAnsweredWithReset) {
    connect();
    expect_tx(seg().syn().seq(0));
    inject(peer_syn_ack().ack_no(0));
    expect_tx(seg().rst().seq(0));
    EXPECT_EQ(state(), tcp_state::syn_sent);
    EXPECT_EQ(out.counters.dropped(tcp_drop::syn_sent_bad), 1u);
    // The real SYN-ACK still completes the handshake.
    inject(peer_syn_ack());
    expect_tx(seg().ack().seq(1).ack_no(1));
    EXPECT_EQ(state(), tcp_state::established);
}

TEST_F(ActiveOpen, SynAckAckingBeyondOurSynIsAnsweredWithReset) {
    connect();
    expect_tx(seg().syn().seq(0));
    inject(peer_syn_ack().ack_no(2));
    expect_tx(seg().rst().seq(2));
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::syn_sent);
    EXPECT_EQ(take_events(), 0);
}

// RFC 9293 3.10.7.3: RST with an unacceptable ACK is dropped, not answered.
TEST_F(ActiveOpen, RstWithUnacceptableAckIsDropped) {
    connect();
    expect_tx(seg().syn().seq(0));
    inject(seg().rst().ack().seq(0).ack_no(5));
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::syn_sent);
}

// RFC 9293 3.10.7.3 second check: "connection reset", CLOSED.
TEST_F(ActiveOpen, RstWithAcceptableAckClosesAsResetByPeer) {
    connect();
    expect_tx(seg().syn().seq(0));
    inject(seg().rst().ack().seq(0).ack_no(1));
    expect_no_tx();
    expect_closed_by_peer_reset();
}

// RFC 9293 3.10.7.3 / RFC 5961 3.2: a RST without ACK is not acceptable in SYN_SENT.
TEST_F(ActiveOpen, RstWithoutAckIsIgnored) {
    connect();
    expect_tx(seg().syn().seq(0));
    inject(seg().rst().seq(0));
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::syn_sent);
    EXPECT_EQ(out.counters.dropped(tcp_drop::syn_sent_bad), 1u);
}

// RFC 9293 3.10.7.3 fifth: neither SYN nor RST: drop.
TEST_F(ActiveOpen, AckWithoutSynIsDropped) {
    connect();
    expect_tx(seg().syn().seq(0));
    inject(seg().ack().seq(0).ack_no(1));
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::syn_sent);
    EXPECT_EQ(snd_una(), 0u) << "an ACK without SYN must not acknowledge our SYN";
    EXPECT_EQ(out.counters.dropped(tcp_drop::syn_sent_bad), 1u);
}

TEST_F(ActiveOpen, SegmentWithNoFlagsIsDropped) {
    connect();
    expect_tx(seg().syn().seq(0));
    inject(seg().seq(0).payload("data"));
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::syn_sent);
}

// ---------------------------------------------------------------------------
// Simultaneous open (RFC 9293 3.5 figure 7).

class SimultaneousOpen : public Handshake {
protected:
    // Our SYN, then the peer's SYN crossing it: our SYN-ACK, SYN_RECEIVED.
    void cross_syns() {
        connect();
        expect_tx(seg().syn().seq(0));
        inject(peer_syn());
        expect_tx(seg().syn().ack().seq(0).ack_no(1));
        peer_synchronized();
    }
};

TEST_F(SimultaneousOpen, PeerSynInSynSentGetsSynAckWithOurIss) {
    connect();
    expect_tx(seg().syn().seq(0));
    inject(peer_syn());
    expect_tx(seg().syn().ack().seq(0).ack_no(1).mss(1460).wscale(3).sack_ok());
    EXPECT_EQ(state(), tcp_state::syn_received);
    EXPECT_EQ(take_events(), 0);
}

TEST_F(SimultaneousOpen, PeerSynAckThenEntersEstablishedWithAnAck) {
    cross_syns();
    inject(peer_syn_ack());
    expect_tx(seg().ack().seq(1).ack_no(1));
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::established);
    EXPECT_EQ(take_events(), tcp_events::connected);
    EXPECT_EQ(snd_una(), 1u);
}

// RFC 7323 2.2: the peer's SYN-ACK window is not scaled here either.
TEST_F(SimultaneousOpen, PeerSynAckWindowIsNotScaled) {
    cross_syns();
    inject(peer_syn_ack({.window = 1000}));
    expect_tx(seg().ack().seq(1).ack_no(1));
    EXPECT_EQ(conn->snd().wnd, 1000u);
}

TEST_F(SimultaneousOpen, PlainAckOfOurSynEntersEstablished) {
    cross_syns();
    inject(seg().ack().seq(1).ack_no(1));
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::established);
}

// RFC 9293 3.10.7.4 second check: a SYN_RECEIVED that came from SYN_SENT
// (an active open) is refused by a RST at RCV.NXT: CLOSED, not LISTEN, and
// the application is told.
TEST_F(SimultaneousOpen, RstAtRcvNxtInSynReceivedClosesAsRefused) {
    cross_syns();
    take_events();
    inject(seg().rst().seq(1));
    expect_no_tx();
    EXPECT_FALSE(conn.has_value());
    expect_closed_by_peer_reset();
}

// RFC 5961 4.2: only a passive SYN_RECEIVED goes back to LISTEN on a SYN in
// the window; one from an active open answers with a challenge ACK.
TEST_F(SimultaneousOpen, InWindowSynInSynReceivedGetsAChallengeAck) {
    cross_syns();
    inject(seg().syn().seq(100));
    expect_tx(seg().ack().seq(1).ack_no(1));
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::syn_received);
    EXPECT_EQ(out.counters.challenge_acks, 1u);
}

// The SYN-ACK of a simultaneous open is retransmitted like a passive one's;
// after synack_retries the connection ends as a timeout (CLOSED: there is
// no listener to return to).
TEST_F(SimultaneousOpen, UnansweredSynAckGivesUpAsATimeout) {
    cfg.synack_retries = 2;
    cross_syns();
    advance(1s);
    expect_tx(seg().syn().ack().seq(0).ack_no(1));
    advance(2s);
    expect_tx(seg().syn().ack().seq(0).ack_no(1));
    advance(4s - 1us);
    expect_no_tx();
    ASSERT_EQ(state(), tcp_state::syn_received);
    advance(1us);
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::closed);
    EXPECT_EQ(last_close, close_reason::retransmit_timeout);
}

// ---------------------------------------------------------------------------
// Lost SYN (RFC 6298 5.5, RFC 9293 3.8.3 R2).

using LostSyn = Handshake;

TEST_F(LostSyn, IsRetransmittedAtOneTwoAndFourSeconds) {
    connect();
    expect_tx(seg().syn().seq(0));
    advance(1s - 1us);
    expect_no_tx();
    advance(1us);
    expect_tx(seg().syn().seq(0).mss(1460).wscale(3).sack_ok());
    advance(2s - 1us);
    expect_no_tx();
    advance(1us);
    expect_tx(seg().syn().seq(0).mss(1460).wscale(3).sack_ok());
    advance(4s - 1us);
    expect_no_tx();
    advance(1us);
    expect_tx(seg().syn().seq(0).mss(1460).wscale(3).sack_ok());
    EXPECT_EQ(out.counters.retransmits, 3u);
    EXPECT_EQ(state(), tcp_state::syn_sent);
}

TEST_F(LostSyn, BacksOffFromRtoInitialAndGivesUpAfterSynRetries) {
    cfg.rto_initial = 300ms;
    cfg.syn_retries = 4;
    connect();
    expect_tx(seg().syn().seq(0));
    duration rto = cfg.rto_initial;
    for (uint32_t i = 1; i <= cfg.syn_retries; ++i) {
        advance(rto - 1us);
        expect_no_tx();
        advance(1us);
        expect_tx(seg().syn().seq(0));
        EXPECT_EQ(out.counters.retransmits, i);
        rto *= 2;
    }
    advance(rto - 1us);
    EXPECT_EQ(state(), tcp_state::syn_sent);
    advance(1us);
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::closed);
    EXPECT_EQ(last_close, close_reason::retransmit_timeout);
    // The third retransmission also raised RFC 1122's R1 negative advice.
    EXPECT_EQ(take_events(), tcp_events::closed | tcp_events::path_suspect);
    advance(10min);
    expect_no_tx();
    EXPECT_EQ(out.counters.retransmits, cfg.syn_retries);
}

// With the defaults: six retransmissions, the backoff capped at rto_max.
TEST_F(LostSyn, DefaultGiveUpAfterSixRetransmissionsWithBackoffCappedAtRtoMax) {
    connect();
    expect_tx(seg().syn().seq(0));
    duration rto = cfg.rto_initial;
    for (uint32_t i = 1; i <= cfg.syn_retries; ++i) {
        advance(rto);
        expect_tx(seg().syn().seq(0));
        rto = std::min<duration>(2 * rto, cfg.rto_max);
    }
    EXPECT_EQ(rto, duration(cfg.rto_max));
    advance(rto - 1us);
    EXPECT_EQ(state(), tcp_state::syn_sent);
    advance(1us);
    expect_no_tx();
    EXPECT_EQ(last_close, close_reason::retransmit_timeout);
    EXPECT_EQ(out.counters.retransmits, 6u);
}

// RFC 6298 5.7: a SYN was retransmitted and no RTT sample was taken (Karn,
// no timestamps): the RTO is 3 s once data transmission begins.
TEST_F(LostSyn, RtoIsThreeSecondsOnceEstablished) {
    connect();
    expect_tx(seg().syn().seq(0));
    advance(1s);
    expect_tx(seg().syn().seq(0));
    advance(100ms);
    inject(peer_syn_ack({.timestamps = false}));
    expect_tx(seg().ack().seq(1).ack_no(1));
    peer_synchronized();
    EXPECT_FALSE(conn->rtt().has_sample());
    EXPECT_EQ(conn->rtt().rto(), duration(3s));
    app_send("x");
    expect_tx(seg().ack().psh().seq(1).payload("x"));
    advance(3s - 1us);
    expect_no_tx();
    advance(1us);
    expect_tx(seg().ack().psh().seq(1).payload("x"));
}

// ---------------------------------------------------------------------------
// Lost SYN-ACK (passive open).

using LostSynAck = Handshake;

TEST_F(LostSynAck, IsRetransmittedWithBackoffThenGivesUpBackToListen) {
    listen();
    inject(peer_syn());
    expect_tx(seg().syn().ack().seq(0).ack_no(1));
    duration rto = cfg.rto_initial;
    for (uint32_t i = 1; i <= cfg.synack_retries; ++i) {
        advance(rto - 1us);
        expect_no_tx();
        advance(1us);
        expect_tx(seg().syn().ack().seq(0).ack_no(1).mss(1460).wscale(3).sack_ok());
        EXPECT_EQ(out.counters.retransmits, i);
        rto = std::min<duration>(2 * rto, cfg.rto_max);
    }
    advance(rto - 1us);
    EXPECT_EQ(state(), tcp_state::syn_received);
    advance(1us);
    expect_no_tx();
    EXPECT_FALSE(conn.has_value());
    EXPECT_EQ(state(), tcp_state::listen);
    EXPECT_EQ(last_close, close_reason::retransmit_timeout);
}

TEST_F(LostSynAck, FirstRetransmissionsAtOneTwoAndFourSeconds) {
    listen();
    inject(peer_syn());
    expect_tx(seg().syn().ack().seq(0).ack_no(1));
    advance(1s);
    expect_tx(seg().syn().ack().seq(0).ack_no(1));
    advance(2s);
    expect_tx(seg().syn().ack().seq(0).ack_no(1));
    advance(4s - 1us);
    expect_no_tx();
    advance(1us);
    expect_tx(seg().syn().ack().seq(0).ack_no(1));
}

// The peer's SYN again (it lost our SYN-ACK): the same SYN-ACK again.
TEST_F(LostSynAck, RetransmittedSynGetsTheSynAckAgain) {
    listen();
    inject(peer_syn());
    expect_tx(seg().syn().ack().seq(0).ack_no(1));
    advance(500ms);
    inject(peer_syn());
    expect_tx(seg().syn().ack().seq(0).ack_no(1).mss(1460).wscale(3).sack_ok());
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::syn_received);
    peer_synchronized();
    inject(seg().ack().seq(1).ack_no(1));
    EXPECT_EQ(state(), tcp_state::established);
}

// RFC 6298 5.7 on the passive side.
TEST_F(LostSynAck, RtoIsThreeSecondsOnceEstablished) {
    listen();
    inject(peer_syn({.timestamps = false}));
    expect_tx(seg().syn().ack().seq(0).ack_no(1));
    advance(1s);
    expect_tx(seg().syn().ack().seq(0).ack_no(1));
    peer_synchronized();
    inject(seg().ack().seq(1).ack_no(1));
    EXPECT_EQ(state(), tcp_state::established);
    EXPECT_FALSE(conn->rtt().has_sample());
    EXPECT_EQ(conn->rtt().rto(), duration(3s));
}

// ---------------------------------------------------------------------------
// SYN_RECEIVED (RFC 9293 3.5 figure 9, 3.10.7.4).

class OldDuplicateSyn : public Handshake {
protected:
    void SetUp() override {
        listen();
        inject(peer_syn());
        expect_tx(seg().syn().ack().seq(0).ack_no(1));
        peer_synchronized();
    }
};

// An ACK that does not acknowledge our SYN (the peer answers a SYN-ACK for
// an old duplicate SYN): <SEQ=SEG.ACK><CTL=RST>, state unchanged.
TEST_F(OldDuplicateSyn, AckOfUnknownIsnGetsResetAtSegAck) {
    inject(seg().ack().seq(1).raw_ack(0x12345678));
    expect_tx(seg().rst().raw_seq(0x12345678));
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::syn_received);
    EXPECT_EQ(take_events(), 0);
}

TEST_F(OldDuplicateSyn, AckOfIssItselfGetsReset) {
    inject(seg().ack().seq(1).ack_no(0));
    expect_tx(seg().rst().seq(0));
    EXPECT_EQ(state(), tcp_state::syn_received);
    inject(seg().ack().seq(1).ack_no(1));
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::established);
}

// RFC 9293 3.10.7.4 second check: in a passive SYN_RECEIVED a RST at
// RCV.NXT returns to LISTEN; the half-open TCB goes, the listener stays.
TEST_F(OldDuplicateSyn, RstAtRcvNxtReturnsToListen) {
    inject(seg().rst().seq(1));
    expect_no_tx();
    EXPECT_FALSE(conn.has_value());
    EXPECT_EQ(state(), tcp_state::listen);
    EXPECT_EQ(last_close, close_reason::reset_by_peer);
    // The listener answers the next SYN.
    inject(seg().syn().seq(0).without_ts());
    expect_tx(seg().syn().ack().seq(0).ack_no(1));
    EXPECT_EQ(state(), tcp_state::syn_received);
}

// RFC 5961 3.2: a RST elsewhere in the window draws a challenge ACK.
TEST_F(OldDuplicateSyn, RstInWindowButNotAtRcvNxtGetsChallengeAck) {
    inject(seg().rst().seq(100));
    expect_tx(seg().ack().seq(1).ack_no(1));
    EXPECT_EQ(state(), tcp_state::syn_received);
}

// ---------------------------------------------------------------------------
// LISTEN (RFC 9293 3.10.7.2).

class Listener : public Handshake {
protected:
    void SetUp() override { listen(); }
};

TEST_F(Listener, IgnoresRst) {
    inject(seg().rst().seq(5));
    inject(seg().rst().ack().seq(5).ack_no(1));
    expect_no_tx();
    EXPECT_FALSE(conn.has_value());
    EXPECT_EQ(state(), tcp_state::listen);
    EXPECT_EQ(out.counters.dropped(tcp_drop::listen_bad_flags), 2u);
    EXPECT_EQ(out.counters.resets_out, 0u);
}

TEST_F(Listener, AnswersAckWithResetAtSegAck) {
    inject(seg().ack().seq(5).raw_ack(0xabcdef01));
    expect_tx(seg().rst().raw_seq(0xabcdef01));
    EXPECT_FALSE(conn.has_value());
    EXPECT_EQ(out.counters.resets_out, 1u);
}

TEST_F(Listener, AnswersSynAckWithResetAtSegAck) {
    inject(seg().syn().ack().seq(0).raw_ack(77));
    expect_tx(seg().rst().raw_seq(77));
    EXPECT_FALSE(conn.has_value());
}

TEST_F(Listener, DropsSynFin) {
    inject(seg().syn().fin().seq(0));
    expect_no_tx();
    EXPECT_FALSE(conn.has_value());
    EXPECT_EQ(out.counters.dropped(tcp_drop::listen_bad_flags), 1u);
}

TEST_F(Listener, DropsSegmentWithNoFlags) {
    inject(seg().seq(0));
    inject(seg().seq(0).payload("data"));
    expect_no_tx();
    EXPECT_FALSE(conn.has_value());
    EXPECT_EQ(out.counters.dropped(tcp_drop::listen_bad_flags), 2u);
}

// ---------------------------------------------------------------------------
// CLOSED, no listener (RFC 9293 3.10.7.1).

using ClosedPort = Handshake;

TEST_F(ClosedPort, SynGetsRstAckAckingTheSyn) {
    inject(seg().syn().seq(0));
    expect_tx(seg().rst().ack().raw_seq(0).ack_no(1));
    EXPECT_FALSE(conn.has_value());
    EXPECT_EQ(out.counters.dropped(tcp_drop::closed_port), 1u);
}

TEST_F(ClosedPort, AckGetsRstAtSegAck) {
    inject(seg().ack().seq(7).raw_ack(0x01020304));
    expect_tx(seg().rst().raw_seq(0x01020304));
}

TEST_F(ClosedPort, DataWithAckGetsRstAtSegAck) {
    inject(seg().ack().psh().seq(7).raw_ack(0x01020304).payload("data"));
    expect_tx(seg().rst().raw_seq(0x01020304));
}

TEST_F(ClosedPort, RstGetsNothing) {
    inject(seg().rst().seq(3));
    inject(seg().rst().ack().seq(3).ack_no(9));
    expect_no_tx();
    EXPECT_EQ(out.counters.resets_out, 0u);
}

TEST_F(ClosedPort, DataWithoutAckGetsRstAckCoveringTheData) {
    inject(seg().seq(10).payload(100));
    expect_tx(seg().rst().ack().raw_seq(0).ack_no(110));
}

TEST_F(ClosedPort, SynWithDataAndFinCountsEveryOctet) {
    inject(seg().syn().fin().seq(0).payload(20));
    expect_tx(seg().rst().ack().raw_seq(0).ack_no(22));
}

// ---------------------------------------------------------------------------
// RTT from the handshake (RFC 6298 2, RFC 7323 4.1).

using HandshakeRtt = Handshake;

TEST_F(HandshakeRtt, PassiveOpenWithTimestampsTakesASample) {
    listen();
    inject(peer_syn());
    expect_tx(seg().syn().ack().seq(0).ack_no(1));
    peer_synchronized();
    advance(40ms);
    inject(seg().ack().seq(1).ack_no(1));
    ASSERT_TRUE(conn->rtt().has_sample());
    EXPECT_EQ(conn->rtt().srtt(), duration(40ms));
}

TEST_F(HandshakeRtt, PassiveOpenWithoutTimestampsTakesASample) {
    listen();
    inject(peer_syn({.timestamps = false}));
    expect_tx(seg().syn().ack().seq(0).ack_no(1));
    peer_synchronized();
    advance(40ms);
    inject(seg().ack().seq(1).ack_no(1));
    ASSERT_TRUE(conn->rtt().has_sample());
    EXPECT_EQ(conn->rtt().srtt(), duration(40ms));
}

TEST_F(HandshakeRtt, ActiveOpenWithTimestampsTakesASample) {
    connect();
    expect_tx(seg().syn().seq(0));
    advance(25ms);
    inject(peer_syn_ack());
    expect_tx(seg().ack().seq(1).ack_no(1));
    ASSERT_TRUE(conn->rtt().has_sample());
    EXPECT_EQ(conn->rtt().srtt(), duration(25ms));
}

TEST_F(HandshakeRtt, ActiveOpenWithoutTimestampsTakesASample) {
    connect();
    expect_tx(seg().syn().seq(0));
    advance(25ms);
    inject(peer_syn_ack({.timestamps = false}));
    expect_tx(seg().ack().seq(1).ack_no(1));
    ASSERT_TRUE(conn->rtt().has_sample());
    EXPECT_EQ(conn->rtt().srtt(), duration(25ms));
}

// RFC 6298 / Karn: the SYN-ACK of a retransmitted SYN gives no sample
// without timestamps; with them the echoed TSval times it unambiguously.
TEST_F(HandshakeRtt, RetransmittedSynWithTimestampsStillTakesASample) {
    connect();
    expect_tx(seg().syn().seq(0));
    advance(1s);
    expect_tx(seg().syn().seq(0));
    advance(30ms);
    inject(peer_syn_ack());
    expect_tx(seg().ack().seq(1).ack_no(1));
    ASSERT_TRUE(conn->rtt().has_sample());
    EXPECT_EQ(conn->rtt().srtt(), duration(30ms));
}

}  // namespace
}  // namespace fptcp::tcp::testing
