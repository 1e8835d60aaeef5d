// Keepalive: RFC 9293 3.8.4 and RFC 1122 4.2.3.6 (off by default, at least
// two hours idle, a probe any live peer answers, one lost probe is not death).

#include "script.hh"

namespace fptcp::tcp::testing {
namespace {

using KeepaliveOff = tcp_script;

class KeepaliveOn : public tcp_script {
protected:
    void SetUp() override {
        cfg.keepalive = true;
        passive_handshake();
    }

    // <SEQ=SND.NXT-1><ACK=RCV.NXT>, no data.
    void expect_probe() { expect_tx(seg().ack().seq(snd_nxt() - 1).ack_no(rcv_nxt()).len(0)); }
    // The peer's answer to a probe: an ACK of what it has.
    void answer() { inject(seg().ack().seq(rcv_nxt()).ack_no(snd_nxt())); }
};

// --- off by default ---

TEST_F(KeepaliveOff, IsOffByDefault) {
    EXPECT_FALSE(cfg.keepalive);
    passive_handshake();
    advance(3h);
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::established);
    EXPECT_EQ(conn->next_deadline(), no_deadline);
}

TEST_F(KeepaliveOff, DefaultIdleIsAtLeastTwoHours) {
    EXPECT_GE(cfg.keepalive_idle, std::chrono::hours(2));
}

TEST_F(KeepaliveOff, SetKeepaliveTurnsItOnForALiveConnection) {
    passive_handshake();
    advance(1h);
    conn->set_keepalive(now, true);
    advance(cfg.keepalive_idle - 1ms);
    expect_no_tx();
    advance(1ms);
    expect_tx(seg().ack().seq(0).ack_no(1).len(0));
    expect_no_tx();
}

TEST_F(KeepaliveOff, SetKeepaliveOffCancelsTheProbes) {
    cfg.keepalive = true;
    passive_handshake();
    advance(1h);
    conn->set_keepalive(now, false);
    advance(5h);
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::established);
}

// --- on ---

TEST_F(KeepaliveOn, FirstProbeComesAfterExactlyTheIdleTime) {
    advance(cfg.keepalive_idle - 1ms);
    expect_no_tx();
    advance(1ms);
    expect_probe();
    expect_no_tx();
}

TEST_F(KeepaliveOn, ProbeUsesSndNxtMinusOneAndCarriesNoData) {
    app_send("x");
    expect_tx(seg().ack().psh().seq(1).payload("x"));
    inject(seg().ack().seq(1).ack_no(2));
    advance(cfg.keepalive_idle);
    expect_tx(seg().ack().seq(1).ack_no(1).len(0));  // SND.NXT - 1 = 1
    expect_no_tx();
    EXPECT_EQ(snd_nxt(), 2u);
}

TEST_F(KeepaliveOn, AnsweredProbeResetsTheCountAndWaitsTheIdleTimeAgain) {
    advance(cfg.keepalive_idle);
    expect_probe();
    answer();
    expect_no_tx();
    advance(cfg.keepalive_idle - 1ms);
    expect_no_tx();
    advance(1ms);
    expect_probe();
    expect_no_tx();
}

TEST_F(KeepaliveOn, UnansweredProbesRepeatEveryInterval) {
    advance(cfg.keepalive_idle);
    expect_probe();
    for (int i = 1; i < cfg.keepalive_probes; ++i) {
        advance(cfg.keepalive_interval - 1ms);
        expect_no_tx();
        advance(1ms);
        expect_probe();
    }
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::established);
}

TEST_F(KeepaliveOn, OneLostProbeIsNotDeath) {
    advance(cfg.keepalive_idle);
    expect_probe();  // lost
    advance(cfg.keepalive_interval);
    expect_probe();
    answer();
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::established);
    // The count starts over: a full set of probes before giving up.
    advance(cfg.keepalive_idle);
    expect_probe();
    advance((cfg.keepalive_probes - 1) * cfg.keepalive_interval);
    for (int i = 1; i < cfg.keepalive_probes; ++i) expect_probe();
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::established);
}

TEST_F(KeepaliveOn, AllProbesUnansweredResetsTheConnection) {
    uint32_t nxt = snd_nxt();
    advance(cfg.keepalive_idle);
    advance((cfg.keepalive_probes - 1) * cfg.keepalive_interval);
    for (int i = 0; i < cfg.keepalive_probes; ++i) expect_probe();
    expect_no_tx();
    ASSERT_TRUE(conn.has_value());
    advance(cfg.keepalive_interval - 1ms);
    ASSERT_TRUE(conn.has_value());
    advance(1ms);
    expect_tx(seg().rst().seq(nxt));
    expect_no_tx();
    EXPECT_FALSE(conn.has_value());
    EXPECT_EQ(last_close, close_reason::keepalive_timeout);
    EXPECT_TRUE(take_events() & tcp_events::closed);
}

TEST_F(KeepaliveOn, ReceivedAckPostponesTheProbe) {
    advance(1h);
    inject(seg().ack().seq(1).ack_no(1));
    advance(cfg.keepalive_idle - 1ms);
    expect_no_tx();
    advance(1ms);
    expect_probe();
}

TEST_F(KeepaliveOn, ReceivedDataPostponesTheProbe) {
    advance(1h);
    inject(seg().ack().seq(1).payload("ping"));
    advance(cfg.delayed_ack);
    expect_tx(seg().ack().ack_no(5));
    advance(cfg.keepalive_idle - cfg.delayed_ack - 1ms);
    expect_no_tx();
    advance(1ms);
    expect_probe();
}

TEST_F(KeepaliveOn, SegmentBetweenProbesResetsTheCount) {
    advance(cfg.keepalive_idle);
    expect_probe();
    advance(cfg.keepalive_interval);
    expect_probe();
    inject(seg().ack().seq(1).ack_no(1));  // any segment, not only an answer
    advance(cfg.keepalive_idle);
    advance((cfg.keepalive_probes - 1) * cfg.keepalive_interval);
    for (int i = 0; i < cfg.keepalive_probes; ++i) expect_probe();
    expect_no_tx();
    EXPECT_EQ(state(), tcp_state::established);
}

TEST_F(KeepaliveOn, DroppedSegmentDoesNotPostponeTheProbe) {
    advance(1h);
    inject(seg().ack().seq(1).ack_no(1).without_ts());  // dropped: no timestamp
    expect_no_tx();
    advance(cfg.keepalive_idle - 1h);
    expect_probe();
}

TEST_F(KeepaliveOn, ProbesContinueInCloseWait) {
    inject(seg().ack().fin().seq(1));
    expect_tx(seg().ack().ack_no(2));
    ASSERT_EQ(state(), tcp_state::close_wait);
    advance(cfg.keepalive_idle);
    expect_probe();
    expect_no_tx();
}

// --- configured: idle, interval and count come from the connection's config ---

// The other side: a peer's keep-alive (SEQ = RCV.NXT - 1, no data) is
// answered with an ACK at once, also after the peer's FIN, where RCV.NXT
// counts the FIN.
TEST_F(KeepaliveOff, PeersKeepAliveIsAnsweredAtOnce) {
    passive_handshake();
    inject(seg().ack().seq(rcv_nxt() - 1).ack_no(snd_nxt()));
    expect_tx(seg().ack().seq(snd_nxt()).ack_no(rcv_nxt()).len(0));
    expect_no_tx();
    inject(seg().ack().fin().seq(rcv_nxt()).ack_no(snd_nxt()));
    expect_tx(seg().ack().ack_no(rcv_nxt()));
    ASSERT_EQ(state(), tcp_state::close_wait);
    inject(seg().ack().seq(rcv_nxt() - 1).ack_no(snd_nxt()));
    expect_tx(seg().ack().seq(snd_nxt()).ack_no(rcv_nxt()).len(0));
    expect_no_tx();
    EXPECT_EQ(out.counters.dropped(tcp_drop::not_acceptable), 0u);
}

TEST_F(KeepaliveOff, ConfiguredIdleIntervalAndCountAreHonoured) {
    cfg.keepalive = true;
    cfg.keepalive_idle = 10min;
    cfg.keepalive_interval = 5s;
    cfg.keepalive_probes = 3;
    passive_handshake();
    const uint32_t nxt = snd_nxt();
    advance(10min - 1ms);
    expect_no_tx();
    advance(1ms);
    expect_tx(seg().ack().seq(nxt - 1).ack_no(rcv_nxt()).len(0));
    for (int i = 1; i < 3; ++i) {
        advance(5s - 1ms);
        expect_no_tx();
        advance(1ms);
        expect_tx(seg().ack().seq(nxt - 1).ack_no(rcv_nxt()).len(0));
    }
    advance(5s - 1ms);
    expect_no_tx();
    ASSERT_EQ(state(), tcp_state::established);
    advance(1ms);
    expect_tx(seg().rst().seq(nxt));
    expect_no_tx();
    EXPECT_FALSE(conn.has_value());
    EXPECT_EQ(last_close, close_reason::keepalive_timeout);
}

}  // namespace
}  // namespace fptcp::tcp::testing
