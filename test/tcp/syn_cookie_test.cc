// SYN cookies at a listener under a SYN flood (RFC 4987 3.6): the cookie
// SYN-ACK keeps no TCB, a valid cookie's ACK opens ESTABLISHED with the
// options the SYN asked for, and anything else gets the RST a listener gives
// an ACK. syn_backlog 0 puts the listener under pressure (the fixture holds
// one connection, so it can never count a backlog above zero).

#include "script.hh"

namespace fptcp::tcp::testing {
namespace {

class SynCookies : public tcp_script {
protected:
    void SetUp() override {
        cfg.syn_backlog = 0;
        listen();
    }

    // The cookie the fixture's jar makes now for a SYN with ISN irs() + `isn_rel`.
    seq_num expected_cookie(uint16_t peer_mss, uint32_t isn_rel = 0) const {
        return cookies.make(tuple, irs() + seq_len(isn_rel), syn_cookie_jar::slot_at(now),
                            syn_cookie_jar::mss_index_for(peer_mss));
    }

    // The peer's SYN answered by a cookie SYN-ACK, checked and taken; iss()
    // is the cookie from now on. Returns the SYN-ACK.
    outgoing_segment cookie_handshake_start(const peer_options& peer = {}) {
        inject(peer_syn(peer));
        EXPECT_FALSE(sent.empty());
        if (sent.empty()) return {};
        outgoing_segment synack = sent.front().header;
        EXPECT_EQ(synack.seq, expected_cookie(peer.mss.value_or(536)));
        our_iss = synack.seq;
        expect_tx(seg().syn().ack().seq(0).ack_no(1).win(65535));
        EXPECT_FALSE(conn.has_value()) << "a cookie SYN-ACK keeps no TCB";
        EXPECT_EQ(state(), tcp_state::listen);
        peer_uses_ts = peer.timestamps;
        return synack;
    }

    // The peer's ACK of the cookie SYN-ACK, in its own window scale.
    seg_spec peer_ack(uint16_t window = 65535, uint8_t peer_shift = 7) const {
        return seg().ack().seq(1).ack_no(1).win(static_cast<uint16_t>(window >> peer_shift));
    }
};

TEST_F(SynCookies, SynUnderPressureGetsCookieSynAckAndNoTcb) {
    outgoing_segment synack = cookie_handshake_start();
    EXPECT_EQ(synack.options.mss, cfg.mss);
    EXPECT_EQ(synack.options.window_shift, 3) << "our shift for a 256 KiB buffer";
    EXPECT_TRUE(synack.options.sack_permitted);
    ASSERT_TRUE(synack.options.has_timestamps);
    EXPECT_EQ(synack.options.ts_ecr, peer_ts_now()) << "echoes the SYN's TSval";
    EXPECT_EQ(synack.options.ts_val & 0x1fu, 0x17u) << "peer shift 7 (bits 0-3) and SACK (bit 4)";
    EXPECT_EQ(out.counters.syn_cookies_sent, 1u);
    EXPECT_EQ(out.counters.resets_out, 0u);
}

TEST_F(SynCookies, RepeatedSynGetsTheSameCookieAndStillNoTcb) {
    seq_num first = cookie_handshake_start().seq;
    inject(peer_syn());
    expect_tx(seg().syn().ack().raw_seq(first.raw()).ack_no(1));
    EXPECT_FALSE(conn.has_value());
    EXPECT_EQ(out.counters.syn_cookies_sent, 2u);
}

TEST_F(SynCookies, ValidAckOpensEstablishedWithTheSynsOptions) {
    cookie_handshake_start();
    advance(5ms);
    inject(peer_ack());
    expect_no_tx();
    ASSERT_TRUE(conn.has_value());
    EXPECT_EQ(state(), tcp_state::established);
    EXPECT_EQ(take_events(), tcp_events::connected);
    EXPECT_EQ(out.counters.syn_cookies_accepted, 1u);
    EXPECT_EQ(conn->snd().iss, iss());
    EXPECT_EQ(conn->snd().una, iss() + seq_len(1));
    EXPECT_EQ(conn->rcv().irs, irs());
    EXPECT_EQ(conn->rcv().nxt, irs() + seq_len(1));
    EXPECT_EQ(conn->snd().mss, 1460 - 12) << "MSS from the cookie, less the timestamps option";
    EXPECT_EQ(conn->snd().shift, 7) << "the peer's window shift, from our TSval's echo";
    EXPECT_EQ(conn->rcv().shift, 3);
    EXPECT_EQ(conn->snd().wnd, 65535u >> 7 << 7);
    EXPECT_TRUE(conn->sack_enabled());
    EXPECT_TRUE(conn->timestamps_enabled());
    EXPECT_EQ(conn->rcv().ts_recent, peer_ts_now());
    EXPECT_FALSE(conn->rtt().has_sample()) << "the rounded TSval echo is no RTT sample";

    // The connection works: data both ways, timestamps on each segment.
    peer_synchronized();
    EXPECT_EQ(app_send("hello"), 5u);
    expect_tx(seg().ack().psh().seq(1).ack_no(1).payload("hello"));
    inject(seg().ack().seq(1).ack_no(6).payload("world"));
    EXPECT_EQ(app_read(), "world");
}

TEST_F(SynCookies, CookieCarriesTheRoundedDownMssAndNoSackOrScaleWhenNotOffered) {
    peer_options peer;
    peer.mss = 1300;
    peer.window_shift.reset();
    peer.sack_permitted = false;
    outgoing_segment synack = cookie_handshake_start(peer);
    EXPECT_FALSE(synack.options.window_shift.has_value());
    EXPECT_FALSE(synack.options.sack_permitted);
    inject(peer_ack(65535, 0));
    ASSERT_TRUE(conn.has_value());
    EXPECT_EQ(conn->snd().mss, 1220 - 12) << "1300 rounds down to the table's 1220";
    EXPECT_EQ(conn->snd().shift, 0);
    EXPECT_EQ(conn->rcv().shift, 0);
    EXPECT_FALSE(conn->sack_enabled());
    EXPECT_TRUE(conn->timestamps_enabled());
    EXPECT_EQ(take_events(), tcp_events::connected);
}

TEST_F(SynCookies, WithoutTimestampsTheConnectionRunsWithoutScaleAndSack) {
    peer_options peer;
    peer.timestamps = false;
    outgoing_segment synack = cookie_handshake_start(peer);
    EXPECT_EQ(synack.options.mss, cfg.mss);
    EXPECT_FALSE(synack.options.window_shift.has_value());
    EXPECT_FALSE(synack.options.sack_permitted);
    EXPECT_FALSE(synack.options.has_timestamps);
    inject(peer_ack(65535, 0));
    ASSERT_TRUE(conn.has_value());
    EXPECT_EQ(state(), tcp_state::established);
    EXPECT_EQ(conn->snd().mss, 1460);
    EXPECT_EQ(conn->snd().shift, 0);
    EXPECT_EQ(conn->rcv().shift, 0);
    EXPECT_FALSE(conn->sack_enabled());
    EXPECT_FALSE(conn->timestamps_enabled());
    EXPECT_EQ(take_events(), tcp_events::connected);
}

TEST_F(SynCookies, DataAndFinOnTheCookieAckAreDelivered) {
    cookie_handshake_start();
    inject(peer_ack().psh().fin().payload("GET / HTTP/1.0\r\n\r\n"));
    ASSERT_TRUE(conn.has_value());
    expect_tx(seg().ack().seq(1).ack_no(20));  // the FIN is ACKed at once
    EXPECT_EQ(state(), tcp_state::close_wait);
    EXPECT_EQ(take_events(), tcp_events::connected | tcp_events::readable | tcp_events::peer_closed);
    EXPECT_EQ(app_read(), "GET / HTTP/1.0\r\n\r\n");
}

TEST_F(SynCookies, DataOnTheCookieAckIsAckedAfterTheDelay) {
    cookie_handshake_start();
    inject(peer_ack().psh().payload("ping"));
    expect_no_tx();
    EXPECT_EQ(take_events(), tcp_events::connected | tcp_events::readable);
    advance(cfg.delayed_ack);
    expect_tx(seg().ack().seq(1).ack_no(5));
    EXPECT_EQ(app_read(), "ping");
}

TEST_F(SynCookies, WrongCookieGetsRstAndNoTcb) {
    cookie_handshake_start();
    inject(seg().ack().seq(1).ack_no(2));
    expect_tx(seg().rst().seq(2));
    EXPECT_FALSE(conn.has_value());
    EXPECT_EQ(out.counters.syn_cookies_rejected, 1u);
    EXPECT_EQ(out.counters.syn_cookies_accepted, 0u);
}

TEST_F(SynCookies, AckForAnotherPeerIsnGetsRst) {
    cookie_handshake_start();
    inject(seg().ack().seq(2).ack_no(1));
    expect_tx(seg().rst().seq(1));
    EXPECT_FALSE(conn.has_value());
    EXPECT_EQ(out.counters.syn_cookies_rejected, 1u);
}

TEST_F(SynCookies, CookieFromAnotherTupleGetsRst) {
    cookie_handshake_start();
    four_tuple other = tuple;
    other.remote_port = 40001;
    inject(peer_ack(), other);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent.front().header.tuple, other);
    expect_tx(seg().rst().seq(1));
    EXPECT_FALSE(conn.has_value());
    EXPECT_EQ(out.counters.syn_cookies_rejected, 1u);
}

TEST_F(SynCookies, CookieStaysFreshIntoTheNextSlot) {
    cookie_handshake_start();
    advance(syn_cookie_jar::slot_length);
    inject(peer_ack());
    ASSERT_TRUE(conn.has_value());
    EXPECT_EQ(state(), tcp_state::established);
    EXPECT_EQ(take_events(), tcp_events::connected);
}

TEST_F(SynCookies, CookieTwoSlotsOldGetsRstWhileNewOnesAreIssued) {
    seq_num old_cookie = cookie_handshake_start().seq;
    advance(2 * syn_cookie_jar::slot_length);
    // The peer's SYN again, answered with a cookie of the current slot.
    inject(peer_syn());
    ASSERT_EQ(sent.size(), 1u);
    seq_num new_cookie = sent.front().header.seq;
    EXPECT_NE(new_cookie, old_cookie);
    sent.clear();
    inject(seg().ack().seq(1).raw_ack((old_cookie + seq_len(1)).raw()));
    expect_tx(seg().rst().raw_seq((old_cookie + seq_len(1)).raw()));
    EXPECT_FALSE(conn.has_value());
    EXPECT_EQ(out.counters.syn_cookies_rejected, 1u);
    our_iss = new_cookie;
    inject(peer_ack());
    EXPECT_EQ(state(), tcp_state::established);
    EXPECT_EQ(take_events(), tcp_events::connected);
}

TEST_F(SynCookies, AckAtAListenerIsNotCheckedWhenNoCookieWasIssued) {
    inject(seg().ack().seq(1).raw_ack(expected_cookie(1460).raw() + 1));
    expect_tx(seg().rst().raw_seq(expected_cookie(1460).raw() + 1));
    EXPECT_FALSE(conn.has_value()) << "even the right cookie: no SYN was answered with one";
    EXPECT_EQ(out.counters.syn_cookies_rejected, 0u);
}

TEST_F(SynCookies, BelowTheBacklogSynsOpenTcbsAsBefore) {
    cfg.syn_backlog = 1;
    inject(peer_syn());
    expect_tx(seg().syn().ack().seq(0).ack_no(1));
    ASSERT_TRUE(conn.has_value());
    EXPECT_EQ(state(), tcp_state::syn_received);
    EXPECT_EQ(out.counters.syn_cookies_sent, 0u);
}

TEST_F(SynCookies, SynAckAtAListenerStillGetsRst) {
    inject(seg().syn().ack().seq(0).ack_no(7));
    expect_tx(seg().rst().seq(7));
    EXPECT_EQ(out.counters.syn_cookies_sent, 0u);
    EXPECT_FALSE(conn.has_value());
}

}  // namespace
}  // namespace fptcp::tcp::testing
