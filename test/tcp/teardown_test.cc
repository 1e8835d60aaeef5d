// Closing a connection: RFC 9293 3.6 and 3.10.4 (CLOSE), 3.10.5 (ABORT),
// 3.10.7.4 (FIN processing, TIME-WAIT), RFC 1337 and RFC 6191. Most scripts
// run in both roles: fptcp as the server (passive open) and as the client.

#include "script.hh"

namespace fptcp::tcp::testing {
namespace {

enum class role { server, client };

std::string role_name(const ::testing::TestParamInfo<role>& info) {
    return info.param == role::server ? "Server" : "Client";
}

class Teardown : public tcp_script, public ::testing::WithParamInterface<role> {
protected:
    void SetUp() override { open(); }

    void open(const peer_options& p = {}) {
        if (GetParam() == role::server) {
            passive_handshake(p);
        } else {
            active_handshake(p);
        }
    }
    // Where the tuple is once the connection is gone: the listener answers
    // again on the server; nothing on the client.
    tcp_state gone() const { return GetParam() == role::server ? tcp_state::listen : tcp_state::closed; }

    // app_close, the peer ACKs our FIN, then sends its own: TIME_WAIT.
    void close_to_time_wait() {
        app_close();
        expect_tx(seg().fin().ack().seq(1).ack_no(1));
        inject(seg().ack().seq(1).ack_no(2));
        expect_no_tx();
        ASSERT_EQ(state(), tcp_state::fin_wait_2);
        inject(seg().fin().ack().seq(1).ack_no(2));
        expect_tx(seg().ack().seq(2).ack_no(2));
        ASSERT_EQ(state(), tcp_state::time_wait);
        ASSERT_TRUE(time_wait.has_value());
        take_events();
    }
};

#define FPTCP_BOTH_ROLES(suite) \
    INSTANTIATE_TEST_SUITE_P(Roles, suite, ::testing::Values(role::server, role::client), role_name)

// ---------------------------------------------------------------------------
// Active close (RFC 9293 3.6 figure 12, left side).

using ActiveClose = Teardown;
FPTCP_BOTH_ROLES(ActiveClose);

TEST_P(ActiveClose, CloseSendsFinAndEntersFinWait1) {
    app_close();
    expect_tx(seg().fin().ack().seq(1).ack_no(1));
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::fin_wait_1);
    EXPECT_EQ(snd_nxt(), 2u);
}

TEST_P(ActiveClose, AckOfOurFinEntersFinWait2) {
    app_close();
    expect_tx(seg().fin().ack().seq(1).ack_no(1));
    inject(seg().ack().seq(1).ack_no(2));
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::fin_wait_2);
    EXPECT_EQ(snd_una(), 2u);
}

TEST_P(ActiveClose, PeerFinInFinWait2IsAckedAndEntersTimeWait) {
    app_close();
    expect_tx(seg().fin().ack().seq(1).ack_no(1));
    inject(seg().ack().seq(1).ack_no(2));
    take_events();
    inject(seg().fin().ack().seq(1).ack_no(2));
    expect_tx(seg().ack().seq(2).ack_no(2));
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::time_wait);
    EXPECT_EQ(take_events(), tcp_events::peer_closed | tcp_events::closed | tcp_events::time_wait);
    EXPECT_EQ(last_close, close_reason::normal);
    ASSERT_TRUE(time_wait.has_value());
    EXPECT_EQ(time_wait->rcv_nxt, irs() + seq_len(2));
    EXPECT_EQ(time_wait->snd_nxt, iss() + seq_len(2));
}

// RFC 9293 3.10.7.4 TIME-WAIT / 3.4.2: 2 * MSL, default MSL 30 s.
TEST_P(ActiveClose, TimeWaitLastsExactlyTwiceTheDefaultMsl) {
    ASSERT_EQ(cfg.msl, std::chrono::seconds(30));
    close_to_time_wait();
    advance(60s - 1us);
    EXPECT_EQ(state(), tcp_state::time_wait);
    advance(1us);
    EXPECT_FALSE(time_wait.has_value());
    EXPECT_EQ(state(), gone());
    expect_no_tx();
}

TEST_P(ActiveClose, TimeWaitLastsExactlyTwiceAShortMsl) {
    cfg.msl = std::chrono::seconds(2);
    close_to_time_wait();
    advance(4s - 1us);
    EXPECT_EQ(state(), tcp_state::time_wait);
    advance(1us);
    EXPECT_EQ(state(), gone());
    expect_no_tx();
}

// Our last ACK was lost: the peer's FIN again is re-ACKed and 2*MSL starts over.
TEST_P(ActiveClose, RetransmittedFinInTimeWaitIsReackedAndRestartsTheTimer) {
    close_to_time_wait();
    advance(20s);
    inject(seg().fin().ack().seq(1).ack_no(2));
    expect_tx(seg().ack().seq(2).ack_no(2));
    advance(60s - 1us);
    EXPECT_EQ(state(), tcp_state::time_wait) << "2*MSL must restart when the FIN is re-ACKed";
    advance(1us);
    EXPECT_EQ(state(), gone());
    expect_no_tx();
}

// ---------------------------------------------------------------------------
// Passive close (RFC 9293 3.6 figure 12, right side).

using PassiveClose = Teardown;
FPTCP_BOTH_ROLES(PassiveClose);

TEST_P(PassiveClose, PeerFinIsAckedEntersCloseWaitAndReportsPeerClosed) {
    inject(seg().fin().ack().seq(1).ack_no(1));
    expect_tx(seg().ack().seq(1).ack_no(2));
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::close_wait);
    EXPECT_EQ(take_events(), tcp_events::peer_closed);
    EXPECT_TRUE(conn->read_finished());
    EXPECT_EQ(rcv_nxt(), 2u);
}

TEST_P(PassiveClose, ApplicationStillSendsInCloseWait) {
    inject(seg().fin().ack().seq(1).ack_no(1));
    expect_tx(seg().ack().seq(1).ack_no(2));
    EXPECT_EQ(app_send("more"), 4u);
    expect_tx(seg().ack().psh().seq(1).ack_no(2).payload("more"));
    inject(seg().ack().seq(2).ack_no(5));
    expect_no_tx();
    EXPECT_EQ(snd_una(), 5u);
    EXPECT_EQ(conn->send_buffered(), 0u);
    EXPECT_EQ(state(), tcp_state::close_wait);
}

TEST_P(PassiveClose, CloseSendsFinEntersLastAckThenClosesNormally) {
    inject(seg().fin().ack().seq(1).ack_no(1));
    expect_tx(seg().ack().seq(1).ack_no(2));
    take_events();
    app_close();
    expect_tx(seg().fin().ack().seq(1).ack_no(2));
    EXPECT_EQ(state(), tcp_state::last_ack);
    inject(seg().ack().seq(2).ack_no(2));
    expect_no_tx();
    EXPECT_FALSE(conn.has_value());
    EXPECT_EQ(state(), gone());
    EXPECT_EQ(last_close, close_reason::normal);
    EXPECT_FALSE(time_wait.has_value()) << "the passive closer does not wait";
}

TEST_P(PassiveClose, FinAfterDataInCloseWaitCarriesTheRightSequence) {
    inject(seg().fin().ack().seq(1).ack_no(1));
    expect_tx(seg().ack().seq(1).ack_no(2));
    app_send("bye");
    expect_tx(seg().ack().psh().seq(1).ack_no(2).payload("bye"));
    app_close();
    expect_tx(seg().fin().ack().seq(4).ack_no(2));
    inject(seg().ack().seq(2).ack_no(5));
    EXPECT_EQ(state(), gone());
    EXPECT_EQ(last_close, close_reason::normal);
}

// RFC 9293 3.10.7.4: the FIN in LAST_ACK is retransmitted until ACKed.
TEST_P(PassiveClose, UnackedFinInLastAckIsRetransmitted) {
    inject(seg().fin().ack().seq(1).ack_no(1));
    expect_tx(seg().ack().seq(1).ack_no(2));
    app_close();
    expect_tx(seg().fin().ack().seq(1).ack_no(2));
    advance(conn->rtt().rto());
    expect_tx(seg().fin().ack().seq(1).ack_no(2));
    EXPECT_EQ(state(), tcp_state::last_ack);
    inject(seg().ack().seq(2).ack_no(2));
    EXPECT_EQ(state(), gone());
}

// ---------------------------------------------------------------------------
// Simultaneous close (RFC 9293 3.6 figure 13).

using SimultaneousClose = Teardown;
FPTCP_BOTH_ROLES(SimultaneousClose);

TEST_P(SimultaneousClose, PeerFinNotAckingOursEntersClosingThenTimeWait) {
    app_close();
    expect_tx(seg().fin().ack().seq(1).ack_no(1));
    inject(seg().fin().ack().seq(1).ack_no(1));
    expect_tx(seg().ack().seq(2).ack_no(2));
    EXPECT_EQ(state(), tcp_state::closing);
    EXPECT_EQ(take_events(), tcp_events::peer_closed);
    inject(seg().ack().seq(2).ack_no(2));
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::time_wait);
    EXPECT_EQ(last_close, close_reason::normal);
    advance(2 * cfg.msl);
    EXPECT_EQ(state(), gone());
}

TEST_P(SimultaneousClose, PeerFinAckingOursInFinWait1EntersTimeWaitDirectly) {
    app_close();
    expect_tx(seg().fin().ack().seq(1).ack_no(1));
    inject(seg().fin().ack().seq(1).ack_no(2));
    expect_tx(seg().ack().seq(2).ack_no(2));
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::time_wait);
    EXPECT_EQ(take_events(), tcp_events::peer_closed | tcp_events::closed | tcp_events::time_wait);
}

// The FIN in CLOSING is still ours to retransmit.
TEST_P(SimultaneousClose, UnackedFinInClosingIsRetransmitted) {
    app_close();
    expect_tx(seg().fin().ack().seq(1).ack_no(1));
    inject(seg().fin().ack().seq(1).ack_no(1));
    expect_tx(seg().ack().seq(2).ack_no(2));
    advance(conn->rtt().rto());
    expect_tx(seg().fin().ack().seq(1).ack_no(2));
    EXPECT_EQ(state(), tcp_state::closing);
}

// ---------------------------------------------------------------------------
// Half-close: each direction ends on its own (RFC 9293 3.6).

using HalfClose = Teardown;
FPTCP_BOTH_ROLES(HalfClose);

TEST_P(HalfClose, PeerDataInFinWait1IsDeliveredAndAcked) {
    app_shutdown();
    expect_tx(seg().fin().ack().seq(1).ack_no(1));
    inject(seg().ack().psh().seq(1).ack_no(1).payload("hello"));
    EXPECT_EQ(state(), tcp_state::fin_wait_1);
    EXPECT_EQ(app_read(), "hello");
    advance(cfg.delayed_ack);
    expect_tx(seg().ack().seq(2).ack_no(6));
    expect_no_tx();
}

TEST_P(HalfClose, PeerDataInFinWait2IsDeliveredAndAckedThenItsFinEndsInTimeWait) {
    app_shutdown();
    expect_tx(seg().fin().ack().seq(1).ack_no(1));
    inject(seg().ack().seq(1).ack_no(2));
    ASSERT_EQ(state(), tcp_state::fin_wait_2);
    take_events();
    inject(seg().ack().psh().seq(1).ack_no(2).payload("world"));
    EXPECT_EQ(take_events(), tcp_events::readable);
    EXPECT_EQ(app_read(), "world");
    advance(cfg.delayed_ack);
    expect_tx(seg().ack().seq(2).ack_no(6));
    inject(seg().fin().ack().seq(6).ack_no(2));
    expect_tx(seg().ack().seq(2).ack_no(7));
    EXPECT_EQ(state(), tcp_state::time_wait);
}

TEST_P(HalfClose, ApplicationCannotSendAfterShutdown) {
    app_shutdown();
    expect_tx(seg().fin().ack().seq(1).ack_no(1));
    EXPECT_EQ(app_send("late"), 0u);
    expect_no_tx();
}

TEST_P(HalfClose, OurDataAfterPeerFinIsSentAndAcknowledged) {
    inject(seg().fin().ack().seq(1).ack_no(1));
    expect_tx(seg().ack().seq(1).ack_no(2));
    uint32_t mss = conn->snd().mss;
    app_send(2 * mss + 10);
    expect_tx(seg().ack().seq(1).ack_no(2).len(mss));
    expect_tx(seg().ack().seq(1 + mss).ack_no(2).len(mss));
    expect_tx(seg().ack().psh().seq(1 + 2 * mss).ack_no(2).len(10));
    inject(seg().ack().seq(2).ack_no(1 + 2 * mss + 10));
    expect_no_tx();
    EXPECT_EQ(conn->send_buffered(), 0u);
    EXPECT_EQ(take_events() & tcp_events::writable, tcp_events::writable);
    EXPECT_EQ(state(), tcp_state::close_wait);
}

// ---------------------------------------------------------------------------
// Our FIN and the data before it.

// The RTO on its own: without SACK no tail loss probe comes first.
class FinTransmission : public Teardown {
protected:
    void SetUp() override { open({.sack_permitted = false}); }
};
FPTCP_BOTH_ROLES(FinTransmission);

// RFC 6298 5: the FIN occupies sequence space and is retransmitted on RTO,
// with backoff.
TEST_P(FinTransmission, UnackedFinIsRetransmittedOnRtoWithBackoff) {
    app_close();
    expect_tx(seg().fin().ack().seq(1).ack_no(1));
    duration rto = conn->rtt().rto();
    advance(rto - 1us);
    expect_no_tx();
    advance(1us);
    expect_tx(seg().fin().ack().seq(1).ack_no(1));
    EXPECT_EQ(out.counters.retransmits, 1u);
    advance(2 * rto - 1us);
    expect_no_tx();
    advance(1us);
    expect_tx(seg().fin().ack().seq(1).ack_no(1));
    EXPECT_EQ(out.counters.retransmits, 2u);
    inject(seg().ack().seq(1).ack_no(2));
    EXPECT_EQ(state(), tcp_state::fin_wait_2);
}

// The FIN rides on the last data segment when both wait for the window.
TEST_P(FinTransmission, QueuedDataAndFinGoInOneSegment) {
    inject(seg().ack().seq(1).ack_no(1).win(0));
    EXPECT_EQ(app_send("bye"), 3u);
    app_close();
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::fin_wait_1);
    inject(seg().ack().seq(1).ack_no(1).win(1000));
    expect_tx(seg().fin().psh().ack().seq(1).ack_no(1).payload("bye"));
    expect_no_tx();
    inject(seg().ack().seq(1).ack_no(5));
    EXPECT_EQ(state(), tcp_state::fin_wait_2);
}

// The FIN goes after the data already in flight, at the next sequence number.
TEST_P(FinTransmission, FinFollowsDataInFlight) {
    app_send("abc");
    expect_tx(seg().ack().psh().seq(1).payload("abc"));
    app_shutdown();
    expect_tx(seg().fin().ack().seq(4).ack_no(1));
    inject(seg().ack().seq(1).ack_no(4));
    EXPECT_EQ(state(), tcp_state::fin_wait_1) << "only the data is acknowledged";
    inject(seg().ack().seq(1).ack_no(5));
    EXPECT_EQ(state(), tcp_state::fin_wait_2);
}

// ---------------------------------------------------------------------------
// Resets on close and abort (RFC 9293 3.10.4, 3.10.5, 3.6).

using CloseAndAbort = Teardown;
FPTCP_BOTH_ROLES(CloseAndAbort);

// Closing with unread data loses it: say so with a RST (RFC 2525 2.17, as Linux).
TEST_P(CloseAndAbort, CloseWithUnreadDataSendsRstAndReportsAborted) {
    inject(seg().ack().psh().seq(1).ack_no(1).payload("unread"));
    take_events();
    app_close();
    expect_tx(seg().rst().seq(1));
    expect_no_tx();
    EXPECT_FALSE(conn.has_value());
    EXPECT_EQ(state(), gone());
    EXPECT_EQ(last_close, close_reason::aborted);
    EXPECT_EQ(take_events(), tcp_events::closed);
}

// After close (not shutdown) nobody will read: data arriving resets.
TEST_P(CloseAndAbort, DataArrivingAfterCloseIsAnsweredWithRst) {
    app_close();
    expect_tx(seg().fin().ack().seq(1).ack_no(1));
    inject(seg().ack().psh().seq(1).ack_no(1).payload("late"));
    expect_tx(seg().rst().seq(2));
    expect_no_tx();
    EXPECT_EQ(state(), gone());
    EXPECT_EQ(last_close, close_reason::aborted);
}

TEST_P(CloseAndAbort, DataArrivingInOrphanedFinWait2IsAnsweredWithRst) {
    app_close();
    expect_tx(seg().fin().ack().seq(1).ack_no(1));
    inject(seg().ack().seq(1).ack_no(2));
    inject(seg().ack().psh().seq(1).ack_no(2).payload("late"));
    expect_tx(seg().rst().seq(2));
    EXPECT_EQ(state(), gone());
    EXPECT_EQ(last_close, close_reason::aborted);
}

// RFC 9293 3.10.5: ABORT sends <SEQ=SND.NXT><CTL=RST>.
TEST_P(CloseAndAbort, AbortSendsRstAtSndNxt) {
    app_send("abc");
    expect_tx(seg().ack().psh().seq(1).payload("abc"));
    take_events();
    app_abort();
    expect_tx(seg().rst().seq(4));
    expect_no_tx();
    EXPECT_EQ(state(), gone());
    EXPECT_EQ(last_close, close_reason::aborted);
    EXPECT_EQ(take_events(), tcp_events::closed);
    advance(10min);
    expect_no_tx();
}

TEST_P(CloseAndAbort, AbortInCloseWaitSendsRst) {
    inject(seg().fin().ack().seq(1).ack_no(1));
    expect_tx(seg().ack().seq(1).ack_no(2));
    app_abort();
    expect_tx(seg().rst().seq(1));
    EXPECT_EQ(last_close, close_reason::aborted);
}

// ---------------------------------------------------------------------------
// The orphaned FIN_WAIT_2 (the application closed; the peer never sends FIN).

using OrphanedFinWait2 = Teardown;
FPTCP_BOTH_ROLES(OrphanedFinWait2);

TEST_P(OrphanedFinWait2, IsResetAfterTheTimeout) {
    app_close();
    expect_tx(seg().fin().ack().seq(1).ack_no(1));
    inject(seg().ack().seq(1).ack_no(2));
    ASSERT_EQ(state(), tcp_state::fin_wait_2);
    advance(cfg.fin_wait_2_timeout - 1us);
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::fin_wait_2);
    advance(1us);
    expect_tx(seg().rst().seq(2));
    EXPECT_FALSE(conn.has_value());
    EXPECT_EQ(state(), gone());
    EXPECT_EQ(last_close, close_reason::aborted);
}

TEST_P(OrphanedFinWait2, ShortTimeoutIsHonoured) {
    cfg.fin_wait_2_timeout = std::chrono::seconds(5);
    app_close();
    expect_tx(seg().fin().ack().seq(1).ack_no(1));
    inject(seg().ack().seq(1).ack_no(2));
    advance(5s - 1us);
    expect_no_tx();
    advance(1us);
    expect_tx(seg().rst().seq(2));
    EXPECT_EQ(state(), gone());
}

TEST_P(OrphanedFinWait2, CloseAfterShutdownStartsTheTimeout) {
    app_shutdown();
    expect_tx(seg().fin().ack().seq(1).ack_no(1));
    inject(seg().ack().seq(1).ack_no(2));
    advance(10s);
    app_close();
    expect_no_tx();
    advance(cfg.fin_wait_2_timeout - 1us);
    EXPECT_EQ(state(), tcp_state::fin_wait_2);
    advance(1us);
    expect_tx(seg().rst().seq(2));
    EXPECT_EQ(state(), gone());
}

TEST_P(OrphanedFinWait2, PeerFinBeforeTheTimeoutEndsNormally) {
    app_close();
    expect_tx(seg().fin().ack().seq(1).ack_no(1));
    inject(seg().ack().seq(1).ack_no(2));
    advance(cfg.fin_wait_2_timeout - 1s);
    inject(seg().fin().ack().seq(1).ack_no(2));
    expect_tx(seg().ack().seq(2).ack_no(2));
    EXPECT_EQ(state(), tcp_state::time_wait);
    advance(2 * cfg.msl);
    expect_no_tx();
    EXPECT_EQ(state(), gone());
    EXPECT_EQ(last_close, close_reason::normal);
}

// A half-closed connection (shutdown) may receive for as long as it likes.
TEST_P(OrphanedFinWait2, ShutdownConnectionStaysInFinWait2) {
    app_shutdown();
    expect_tx(seg().fin().ack().seq(1).ack_no(1));
    inject(seg().ack().seq(1).ack_no(2));
    advance(10 * cfg.fin_wait_2_timeout);
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::fin_wait_2);
    EXPECT_EQ(conn->next_deadline(), no_deadline);
}

// ---------------------------------------------------------------------------
// TIME_WAIT (RFC 9293 3.10.7.4, RFC 1337).

class TimeWait : public Teardown {
protected:
    void SetUp() override {
        Teardown::SetUp();
        close_to_time_wait();
    }
};
FPTCP_BOTH_ROLES(TimeWait);

// RFC 1337: TIME-WAIT assassination refused.
TEST_P(TimeWait, RstIsIgnored) {
    inject(seg().rst().seq(2));
    inject(seg().rst().ack().seq(2).ack_no(2));
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::time_wait);
    EXPECT_EQ(out.counters.dropped(tcp_drop::rst_in_time_wait), 2u);
    advance(2 * cfg.msl - 1us);
    EXPECT_EQ(state(), tcp_state::time_wait) << "a RST must not shorten TIME_WAIT";
}

TEST_P(TimeWait, InOrderBareAckIsNotAnswered) {
    inject(seg().ack().seq(2).ack_no(2));
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::time_wait);
}

TEST_P(TimeWait, OutOfWindowSegmentGetsAnAck) {
    inject(seg().ack().psh().seq(5000).ack_no(2).payload("x"));
    tcp_options o = sent.empty() ? tcp_options{} : sent.front().header.options;
    expect_tx(seg().ack().seq(2).ack_no(2));
    expect_no_tx();
    EXPECT_TRUE(o.has_timestamps);
    EXPECT_EQ(o.ts_ecr, time_wait->ts_recent);
    EXPECT_EQ(out.counters.dropped(tcp_drop::not_acceptable), 1u);
    EXPECT_EQ(state(), tcp_state::time_wait);
}

TEST_P(TimeWait, OldDuplicateDataGetsAnAck) {
    inject(seg().ack().psh().seq(1).ack_no(1).payload("x"));
    expect_tx(seg().ack().seq(2).ack_no(2));
    EXPECT_EQ(state(), tcp_state::time_wait);
}

// RFC 7323 5: an old timestamp is answered with an ACK and does not extend 2*MSL.
TEST_P(TimeWait, OldTimestampGetsAnAckAndDoesNotRestartTheTimer) {
    advance(10s);
    inject(seg().fin().ack().seq(1).ack_no(2).ts(time_wait->ts_recent - 1));
    expect_tx(seg().ack().seq(2).ack_no(2));
    EXPECT_EQ(out.counters.dropped(tcp_drop::paws), 1u);
    advance(2 * cfg.msl - 10s);
    EXPECT_EQ(state(), gone());
}

// ---------------------------------------------------------------------------
// Reusing a tuple in TIME_WAIT (RFC 6191): needs the listener, so server only.

class TimeWaitReuse : public tcp_script {
protected:
    void reach_time_wait(const peer_options& p = {}) {
        passive_handshake(p);
        app_close();
        expect_tx(seg().fin().ack().seq(1).ack_no(1));
        inject(seg().fin().ack().seq(1).ack_no(2));
        expect_tx(seg().ack().seq(2).ack_no(2));
        ASSERT_EQ(state(), tcp_state::time_wait);
        ASSERT_TRUE(time_wait.has_value());
    }
};

TEST_F(TimeWaitReuse, SynWithNewerTimestampReopens) {
    reach_time_wait();
    advance(1s);
    inject(seg().syn().seq(100000).ts(time_wait->ts_recent + 1));
    expect_tx(seg().syn().ack().seq(0).ack_no(100001));
    expect_no_tx();
    EXPECT_FALSE(time_wait.has_value());
    EXPECT_EQ(state(), tcp_state::syn_received);
}

TEST_F(TimeWaitReuse, SynWithOlderTimestampDoesNotReopen) {
    reach_time_wait();
    advance(1s);
    inject(seg().syn().seq(100000).ts(time_wait->ts_recent - 1));
    expect_tx(seg().ack().seq(2).ack_no(2));
    expect_no_tx();
    EXPECT_FALSE(conn.has_value());
    EXPECT_EQ(state(), tcp_state::time_wait);
}

TEST_F(TimeWaitReuse, SynWithTheSameTimestampDoesNotReopen) {
    reach_time_wait();
    inject(seg().syn().seq(100000).ts(time_wait->ts_recent));
    expect_tx(seg().ack().seq(2).ack_no(2));
    EXPECT_EQ(state(), tcp_state::time_wait);
}

TEST_F(TimeWaitReuse, WithoutTimestampsSynAboveOldRcvNxtReopens) {
    reach_time_wait({.timestamps = false});
    inject(seg().syn().seq(100000));
    expect_tx(seg().syn().ack().seq(0).ack_no(100001));
    EXPECT_FALSE(time_wait.has_value());
    EXPECT_EQ(state(), tcp_state::syn_received);
}

TEST_F(TimeWaitReuse, WithoutTimestampsSynBelowOldRcvNxtDoesNotReopen) {
    reach_time_wait({.timestamps = false});
    inject(seg().syn().seq(0));
    expect_tx(seg().ack().seq(2).ack_no(2));
    EXPECT_FALSE(conn.has_value());
    EXPECT_EQ(state(), tcp_state::time_wait);
}

// A reopened tuple completes a fresh handshake.
TEST_F(TimeWaitReuse, ReopenedConnectionReachesEstablished) {
    reach_time_wait({.timestamps = false});
    inject(seg().syn().seq(100000));
    expect_tx(seg().syn().ack().seq(0).ack_no(100001));
    inject(seg().ack().seq(100001).ack_no(1));
    EXPECT_EQ(state(), tcp_state::established);
    EXPECT_EQ(take_events() & tcp_events::connected, tcp_events::connected);
}

// ---------------------------------------------------------------------------
// Before the handshake completes.

using CloseBeforeSynchronized = tcp_script;

// RFC 9293 3.10.4 SYN-SENT: delete the TCB, send nothing.
TEST_F(CloseBeforeSynchronized, CloseInSynSentDeletesTheTcbSilently) {
    connect();
    expect_tx(seg().syn().seq(0));
    app_close();
    expect_no_tx();
    EXPECT_FALSE(conn.has_value());
    EXPECT_EQ(state(), tcp_state::closed);
    EXPECT_EQ(last_close, close_reason::normal);
    advance(10min);
    expect_no_tx();  // no SYN retransmission after the TCB is gone
    // A late SYN-ACK finds no connection.
    inject(seg().syn().ack().seq(0).ack_no(1));
    expect_tx(seg().rst().seq(1));
}

// RFC 9293 3.10.5 SYN-SENT: ABORT sends nothing.
TEST_F(CloseBeforeSynchronized, AbortInSynSentSendsNothing) {
    connect();
    expect_tx(seg().syn().seq(0));
    app_abort();
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::closed);
    EXPECT_EQ(last_close, close_reason::aborted);
}

// RFC 9293 3.10.4 SYN-RECEIVED: the FIN waits for the handshake, then
// follows the queued data in the same segment.
TEST_F(CloseBeforeSynchronized, ShutdownInSynReceivedSendsDataAndFinOnceEstablished) {
    listen();
    seg_spec syn = seg().syn().seq(0);
    syn.options.mss = 1460;
    inject(syn);
    expect_tx(seg().syn().ack().seq(0).ack_no(1));
    EXPECT_EQ(app_send("hello"), 5u);
    app_shutdown();
    expect_no_tx();
    inject(seg().ack().seq(1).ack_no(1));
    expect_tx(seg().fin().psh().ack().seq(1).ack_no(1).payload("hello"));
    EXPECT_EQ(state(), tcp_state::fin_wait_1);
    inject(seg().ack().seq(1).ack_no(7));
    EXPECT_EQ(state(), tcp_state::fin_wait_2);
}

// The client role (SYN_RECEIVED from a simultaneous open), nothing queued:
// the FIN also waits for the ACK of our SYN, then goes alone.
TEST_F(CloseBeforeSynchronized, ShutdownInSimultaneousOpenSendsTheFinOnceEstablished) {
    connect();
    expect_tx(seg().syn().seq(0));
    inject(peer_syn());
    expect_tx(seg().syn().ack().seq(0).ack_no(1));
    peer_synchronized();
    app_shutdown();
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::syn_received);
    inject(seg().ack().seq(1).ack_no(1));
    expect_tx(seg().fin().ack().seq(1).ack_no(1));
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::fin_wait_1);
    inject(seg().ack().seq(1).ack_no(2));
    EXPECT_EQ(state(), tcp_state::fin_wait_2);
}

}  // namespace
}  // namespace fptcp::tcp::testing
