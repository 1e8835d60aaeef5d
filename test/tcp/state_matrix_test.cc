// The SEGMENT ARRIVES matrix of RFC 9293 section 3.10.7: every state,
// reached by running the scripts, against every kind of segment at the
// sequence positions that matter, with the RFC 5961 amendments (RST accepted
// only at exactly RCV.NXT, challenge ACK for an in-window RST and for any
// in-window SYN, out-of-window RST dropped) and RFC 1337 (RST ignored in
// TIME_WAIT). Each row writes out the reply, the next state and the drop
// counter that must move; nothing is computed from the rules under test.

#include <array>
#include <cstdint>
#include <ostream>
#include <string>

#include "script.hh"

namespace fptcp::tcp::testing {
namespace {

// What arrives. Fin, Data and DataFin carry ACK in the synchronized states;
// in CLOSED, LISTEN and SYN_SENT the position decides the ACK bit.
enum class kind : uint8_t {
    syn,       // SYN
    syn_ack,   // SYN+ACK
    ack,       // bare ACK
    bare,      // no control flag (ACK only when the position says so)
    rst,       // RST
    fin,       // FIN
    data,      // one octet of data
    data_fin,  // one octet of data and FIN
    syn_fin,   // SYN+FIN
};

// Where it arrives. The first four place SEG.SEQ against the receive window
// (the ACK field then acknowledges SND.NXT); the rest, for the states without
// a window, set the ACK field instead (SEG.SEQ is then the peer's ISN).
enum class where : uint8_t {
    left_of_window,   // the segment ends just before RCV.NXT (SEG.SEQ = RCV.NXT - max(SEG.LEN, 1) - 1: an empty one at RCV.NXT - 1 is a keep-alive); a SYN or RST, or any in TIME_WAIT, at RCV.NXT - max(SEG.LEN, 1)
    left_edge,        // SEG.SEQ = RCV.NXT
    right_edge,       // SEG.SEQ = RCV.NXT + RCV.WND - 1
    right_of_window,  // SEG.SEQ = RCV.NXT + RCV.WND + 1, a SYN's or RST's = RCV.NXT + RCV.WND (the edge is in but for them)
    acking_syn,       // SEG.ACK = ISS + 1 (acceptable in SYN_SENT)
    acking_iss,       // SEG.ACK = ISS
    acking_beyond,    // SEG.ACK = SND.NXT + 1
    with_ack,         // CLOSED, LISTEN: ACK bit set (SEG.ACK = ISS + 1, any value would do)
    without_ack,      // ACK bit off
};

// What must come back.
enum class reply : uint8_t {
    none,
    ack,            // <SEQ=SND.NXT><ACK=RCV.NXT + advance><CTL=ACK>, not counted as a challenge
    challenge_ack,  // the same segment, counted as an RFC 5961 challenge ACK
    delayed_ack,    // nothing now, the ACK after cfg.delayed_ack
    syn_ack,        // <SEQ=ISS><ACK=RCV.NXT + advance><CTL=SYN,ACK>
    rst,            // <SEQ=SEG.ACK><CTL=RST>
    rst_ack,        // <SEQ=0><ACK=SEG.SEQ + advance><CTL=RST,ACK> (advance = SEG.LEN)
};

enum class drop : uint8_t {
    none,
    not_acceptable,
    rst_out_of_window,
    rst_not_exact,
    syn_in_synchronized,
    after_fin,
    listen_bad_flags,
    syn_sent_bad,
    closed_port,
    rst_in_time_wait,
};

struct row {
    tcp_state state;
    kind what;
    where at;
    reply answer;
    uint32_t advance;  // the reply's ACK (or RST's ACK) past RCV.NXT (or SEG.SEQ)
    tcp_state next;
    drop counted;
};

std::string_view camel(tcp_state s) {
    switch (s) {
    case tcp_state::closed: return "Closed";
    case tcp_state::listen: return "Listen";
    case tcp_state::syn_sent: return "SynSent";
    case tcp_state::syn_received: return "SynReceived";
    case tcp_state::established: return "Established";
    case tcp_state::fin_wait_1: return "FinWait1";
    case tcp_state::fin_wait_2: return "FinWait2";
    case tcp_state::close_wait: return "CloseWait";
    case tcp_state::closing: return "Closing";
    case tcp_state::last_ack: return "LastAck";
    case tcp_state::time_wait: return "TimeWait";
    }
    return "Unknown";
}

std::string_view camel(kind k) {
    switch (k) {
    case kind::syn: return "Syn";
    case kind::syn_ack: return "SynAck";
    case kind::ack: return "Ack";
    case kind::bare: return "Bare";
    case kind::rst: return "Rst";
    case kind::fin: return "Fin";
    case kind::data: return "Data";
    case kind::data_fin: return "DataFin";
    case kind::syn_fin: return "SynFin";
    }
    return "Unknown";
}

std::string_view camel(where w) {
    switch (w) {
    case where::left_of_window: return "LeftOfWindow";
    case where::left_edge: return "AtLeftEdge";
    case where::right_edge: return "AtRightEdge";
    case where::right_of_window: return "RightOfWindow";
    case where::acking_syn: return "AckingOurSyn";
    case where::acking_iss: return "AckingIss";
    case where::acking_beyond: return "AckingBeyondSndNxt";
    case where::with_ack: return "WithAck";
    case where::without_ack: return "WithoutAck";
    }
    return "Unknown";
}

std::string_view camel(reply r) {
    switch (r) {
    case reply::none: return "nothing";
    case reply::ack: return "ACK";
    case reply::challenge_ack: return "challenge ACK";
    case reply::delayed_ack: return "delayed ACK";
    case reply::syn_ack: return "SYN-ACK";
    case reply::rst: return "RST";
    case reply::rst_ack: return "RST-ACK";
    }
    return "?";
}

std::optional<tcp_drop> to_drop(drop d) {
    switch (d) {
    case drop::none: return std::nullopt;
    case drop::not_acceptable: return tcp_drop::not_acceptable;
    case drop::rst_out_of_window: return tcp_drop::rst_out_of_window;
    case drop::rst_not_exact: return tcp_drop::rst_not_exact;
    case drop::syn_in_synchronized: return tcp_drop::syn_in_synchronized;
    case drop::after_fin: return tcp_drop::after_fin;
    case drop::listen_bad_flags: return tcp_drop::listen_bad_flags;
    case drop::syn_sent_bad: return tcp_drop::syn_sent_bad;
    case drop::closed_port: return tcp_drop::closed_port;
    case drop::rst_in_time_wait: return tcp_drop::rst_in_time_wait;
    }
    return std::nullopt;
}

void PrintTo(const row& r, std::ostream* os) {
    *os << camel(r.state) << camel(r.what) << camel(r.at) << " -> " << camel(r.answer) << " +" << r.advance
        << ", " << to_string(r.next);
    if (auto d = to_drop(r.counted)) *os << ", drop " << to_string(*d);
}

bool has_window(tcp_state s) { return is_synchronized(s); }

// The fixture: drives a fresh connection into a state the way a peer would.
class StateMatrix : public tcp_script, public ::testing::WithParamInterface<row> {
protected:
    seq_num rcv_nxt_at;  // RCV.NXT once in the state (the peer's ISN where there is none)
    seq_num snd_nxt_at;  // SND.NXT once in the state
    uint32_t rcv_wnd_at = 0;
    uint8_t rcv_shift = 0;

    void reach(tcp_state s);
    seg_spec arriving(const row& r) const;
    void expect_reply(const row& r, const seg_spec& sent_seg);

private:
    void reach_syn_received();
    void reach_established();
    void reach_fin_wait_1();
    void reach_fin_wait_2();
    void reach_close_wait();
};

void StateMatrix::reach_syn_received() {
    listen();
    seg_spec syn = seg().syn().seq(0).win(65535).mss(1460).wscale(7).sack_ok();
    syn.options.has_timestamps = true;
    syn.options.ts_val = peer_ts_now();
    inject(syn);
    expect_tx(seg().syn().ack().seq(0).ack_no(1));
    ASSERT_TRUE(conn.has_value());
    peer_uses_ts = conn->timestamps_enabled();
    peer_window_raw = static_cast<uint16_t>(65535 >> conn->snd().shift);
}

// The passive side; the listener is then closed so that a connection that
// ends reads CLOSED rather than the listener's LISTEN.
void StateMatrix::reach_established() {
    passive_handshake();
    listening = false;
}

// RFC 9293 3.10.4: CLOSE (here the half-close) in ESTABLISHED sends our FIN.
void StateMatrix::reach_fin_wait_1() {
    reach_established();
    app_shutdown();
    expect_tx(seg().fin().ack().seq(1).ack_no(1));
}

void StateMatrix::reach_fin_wait_2() {
    reach_fin_wait_1();
    inject(seg().ack().seq(1).ack_no(2));
    expect_no_tx();
}

void StateMatrix::reach_close_wait() {
    reach_established();
    inject(seg().fin().ack().seq(1).ack_no(1));
    expect_tx(seg().ack().seq(1).ack_no(2));
}

void StateMatrix::reach(tcp_state s) {
    switch (s) {
    case tcp_state::closed:
        break;
    case tcp_state::listen:
        listen();
        break;
    case tcp_state::syn_sent:
        connect();
        expect_tx(seg().syn().seq(0));
        break;
    case tcp_state::syn_received:
        reach_syn_received();
        break;
    case tcp_state::established:
        reach_established();
        break;
    case tcp_state::fin_wait_1:
        reach_fin_wait_1();
        break;
    case tcp_state::fin_wait_2:
        reach_fin_wait_2();
        break;
    case tcp_state::close_wait:
        reach_close_wait();
        break;
    case tcp_state::closing:  // simultaneous close: their FIN before the ACK of ours
        reach_fin_wait_1();
        inject(seg().fin().ack().seq(1).ack_no(1));
        expect_tx(seg().ack().seq(2).ack_no(2));
        break;
    case tcp_state::last_ack:
        reach_close_wait();
        app_shutdown();
        expect_tx(seg().fin().ack().seq(1).ack_no(2));
        break;
    case tcp_state::time_wait:
        reach_fin_wait_2();
        rcv_shift = conn->rcv().shift;
        inject(seg().fin().ack().seq(1).ack_no(2));
        expect_tx(seg().ack().seq(2).ack_no(2));
        break;
    }
    ASSERT_EQ(state(), s);
    take_events();
    if (conn && has_window(s)) {
        rcv_nxt_at = conn->rcv().nxt;
        snd_nxt_at = conn->snd().nxt;
        rcv_wnd_at = conn->receive_window();
    } else if (time_wait) {
        rcv_nxt_at = time_wait->rcv_nxt;
        snd_nxt_at = time_wait->snd_nxt;
        rcv_wnd_at = uint32_t{time_wait->window} << rcv_shift;
    } else {
        rcv_nxt_at = irs();
        snd_nxt_at = conn ? conn->snd().nxt : iss() + seq_len(1);
    }
}

seg_spec StateMatrix::arriving(const row& r) const {
    seg_spec s;
    switch (r.what) {
    case kind::syn: s.syn(); break;
    case kind::syn_ack: s.syn().ack(); break;
    case kind::ack: s.ack(); break;
    case kind::bare: break;
    case kind::rst: s.rst(); break;
    case kind::fin: s.fin(); break;
    case kind::data: s.payload("x"); break;
    case kind::data_fin: s.fin().payload("x"); break;
    case kind::syn_fin: s.syn().fin(); break;
    }
    bool carries_ack = r.what == kind::fin || r.what == kind::data || r.what == kind::data_fin;
    uint32_t len = (s.data ? 1u : 0u) + ((s.flags & tcp_flags::syn) ? 1u : 0u) + ((s.flags & tcp_flags::fin) ? 1u : 0u);
    bool rfc_test = (s.flags & (tcp_flags::syn | tcp_flags::rst)) != 0;  // SYN and RST: RFC 9293's four cases
    bool in_time_wait = r.state == tcp_state::time_wait;  // its entry's own rules: the FIN again ends at RCV.NXT
    seq_num seq = rcv_nxt_at;
    seq_num ack = snd_nxt_at;
    switch (r.at) {
    case where::left_of_window: seq = rcv_nxt_at - seq_len(std::max(len, 1u) + (rfc_test || in_time_wait ? 0 : 1)); break;
    case where::left_edge: break;
    case where::right_edge: seq = rcv_nxt_at + seq_len(rcv_wnd_at - 1); break;
    case where::right_of_window: seq = rcv_nxt_at + seq_len(rcv_wnd_at + (rfc_test ? 0 : 1)); break;
    case where::acking_syn:
    case where::with_ack: ack = iss() + seq_len(1); break;
    case where::acking_iss: ack = iss(); break;
    case where::acking_beyond: ack = snd_nxt_at + seq_len(1); break;
    case where::without_ack: carries_ack = false; break;
    }
    if (!has_window(r.state) && r.at != where::without_ack) carries_ack = true;
    if (carries_ack) s.ack();
    s.raw_seq(seq.raw());
    if (s.flags & tcp_flags::ack) s.raw_ack(ack.raw());
    return s;
}

void StateMatrix::expect_reply(const row& r, const seg_spec& in) {
    seq_num our_ack = rcv_nxt_at + seq_len(r.advance);
    switch (r.answer) {
    case reply::none:
    case reply::delayed_ack:
        expect_no_tx();
        return;
    case reply::ack:
    case reply::challenge_ack:
        expect_tx(seg().ack().raw_seq(snd_nxt_at.raw()).raw_ack(our_ack.raw()));
        return;
    case reply::syn_ack:
        expect_tx(seg().syn().ack().seq(0).raw_ack(our_ack.raw()));
        return;
    case reply::rst:
        expect_tx(seg().rst().raw_seq(*in.abs_ack));
        return;
    case reply::rst_ack:
        expect_tx(seg().rst().ack().raw_seq(0).raw_ack((seq_num(*in.abs_seq) + seq_len(r.advance)).raw()));
        return;
    }
}

TEST_P(StateMatrix, SegmentArrives) {
    const row& r = GetParam();
    reach(r.state);
    if (HasFatalFailure()) return;
    const seg_spec in = arriving(r);
    const tcp_counters before = out.counters;

    inject(in);
    expect_reply(r, in);
    advance(cfg.delayed_ack);
    if (r.answer == reply::delayed_ack) {
        expect_tx(seg().ack().raw_seq(snd_nxt_at.raw()).raw_ack((rcv_nxt_at + seq_len(r.advance)).raw()));
    }
    expect_no_tx();

    EXPECT_EQ(state(), r.next);
    std::optional<tcp_drop> counted = to_drop(r.counted);
    for (std::size_t i = 0; i < before.drops.size(); ++i) {
        auto d = static_cast<tcp_drop>(i);
        uint64_t want = counted == d ? 1 : 0;
        EXPECT_EQ(out.counters.dropped(d) - before.dropped(d), want) << "drop counter " << to_string(d);
    }
    EXPECT_EQ(out.counters.challenge_acks - before.challenge_acks, r.answer == reply::challenge_ack ? 1u : 0u);
    // Whatever happened, the window never promises more than the buffer holds.
    if (conn && is_synchronized(conn->state())) {
        EXPECT_LE(conn->receive_window(), cfg.receive_buffer);
    }
}

using S = tcp_state;
using K = kind;
using W = where;
using R = reply;
using D = drop;

constexpr W L = W::left_of_window;
constexpr W E = W::left_edge;
constexpr W RE = W::right_edge;
constexpr W O = W::right_of_window;

// RFC 9293 3.10.7.1: CLOSED. Every segment but a RST draws a RST: with an
// ACK <SEQ=SEG.ACK><CTL=RST>, else <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
constexpr row closed_rows[] = {
    {S::closed, K::syn, W::without_ack, R::rst_ack, 1, S::closed, D::closed_port},
    {S::closed, K::syn, W::with_ack, R::rst, 0, S::closed, D::closed_port},
    {S::closed, K::bare, W::without_ack, R::rst_ack, 0, S::closed, D::closed_port},
    {S::closed, K::bare, W::with_ack, R::rst, 0, S::closed, D::closed_port},
    {S::closed, K::rst, W::without_ack, R::none, 0, S::closed, D::closed_port},
    {S::closed, K::rst, W::with_ack, R::none, 0, S::closed, D::closed_port},
    {S::closed, K::fin, W::without_ack, R::rst_ack, 1, S::closed, D::closed_port},
    {S::closed, K::fin, W::with_ack, R::rst, 0, S::closed, D::closed_port},
    {S::closed, K::data, W::without_ack, R::rst_ack, 1, S::closed, D::closed_port},
    {S::closed, K::data, W::with_ack, R::rst, 0, S::closed, D::closed_port},
    {S::closed, K::data_fin, W::without_ack, R::rst_ack, 2, S::closed, D::closed_port},
    {S::closed, K::data_fin, W::with_ack, R::rst, 0, S::closed, D::closed_port},
    {S::closed, K::syn_fin, W::without_ack, R::rst_ack, 2, S::closed, D::closed_port},
    {S::closed, K::syn_fin, W::with_ack, R::rst, 0, S::closed, D::closed_port},
};

// RFC 9293 3.10.7.2: LISTEN. RST ignored; any ACK -> <SEQ=SEG.ACK><CTL=RST>;
// a SYN opens (SYN+FIN is dropped: a documented choice in listen.cc); the
// rest is dropped.
constexpr row listen_rows[] = {
    {S::listen, K::syn, W::without_ack, R::syn_ack, 1, S::syn_received, D::none},
    {S::listen, K::syn, W::with_ack, R::rst, 0, S::listen, D::none},
    {S::listen, K::bare, W::without_ack, R::none, 0, S::listen, D::listen_bad_flags},
    {S::listen, K::bare, W::with_ack, R::rst, 0, S::listen, D::none},
    {S::listen, K::rst, W::without_ack, R::none, 0, S::listen, D::listen_bad_flags},
    {S::listen, K::rst, W::with_ack, R::none, 0, S::listen, D::listen_bad_flags},
    {S::listen, K::fin, W::without_ack, R::none, 0, S::listen, D::listen_bad_flags},
    {S::listen, K::fin, W::with_ack, R::rst, 0, S::listen, D::none},
    {S::listen, K::data, W::without_ack, R::none, 0, S::listen, D::listen_bad_flags},
    {S::listen, K::data, W::with_ack, R::rst, 0, S::listen, D::none},
    {S::listen, K::data_fin, W::without_ack, R::none, 0, S::listen, D::listen_bad_flags},
    {S::listen, K::data_fin, W::with_ack, R::rst, 0, S::listen, D::none},
    {S::listen, K::syn_fin, W::without_ack, R::none, 0, S::listen, D::listen_bad_flags},
    {S::listen, K::syn_fin, W::with_ack, R::rst, 0, S::listen, D::none},
};

// RFC 9293 3.10.7.3: SYN_SENT. An ACK must cover exactly our SYN (else RST
// <SEQ=SEG.ACK>, not for a RST); a RST counts only with that ACK (RFC 5961
// 3.2); a SYN+ACK establishes, a SYN alone is a simultaneous open; anything
// without SYN or RST is dropped.
constexpr row syn_sent_rows[] = {
    {S::syn_sent, K::syn, W::acking_syn, R::ack, 1, S::established, D::none},
    {S::syn_sent, K::syn, W::acking_iss, R::rst, 0, S::syn_sent, D::syn_sent_bad},
    {S::syn_sent, K::syn, W::acking_beyond, R::rst, 0, S::syn_sent, D::syn_sent_bad},
    {S::syn_sent, K::syn, W::without_ack, R::syn_ack, 1, S::syn_received, D::none},
    {S::syn_sent, K::bare, W::acking_syn, R::none, 0, S::syn_sent, D::syn_sent_bad},
    {S::syn_sent, K::bare, W::acking_iss, R::rst, 0, S::syn_sent, D::syn_sent_bad},
    {S::syn_sent, K::bare, W::acking_beyond, R::rst, 0, S::syn_sent, D::syn_sent_bad},
    {S::syn_sent, K::bare, W::without_ack, R::none, 0, S::syn_sent, D::syn_sent_bad},
    {S::syn_sent, K::rst, W::acking_syn, R::none, 0, S::closed, D::none},
    {S::syn_sent, K::rst, W::acking_iss, R::none, 0, S::syn_sent, D::syn_sent_bad},
    {S::syn_sent, K::rst, W::acking_beyond, R::none, 0, S::syn_sent, D::syn_sent_bad},
    {S::syn_sent, K::rst, W::without_ack, R::none, 0, S::syn_sent, D::syn_sent_bad},
    {S::syn_sent, K::fin, W::acking_syn, R::none, 0, S::syn_sent, D::syn_sent_bad},
    {S::syn_sent, K::fin, W::acking_iss, R::rst, 0, S::syn_sent, D::syn_sent_bad},
    {S::syn_sent, K::fin, W::acking_beyond, R::rst, 0, S::syn_sent, D::syn_sent_bad},
    {S::syn_sent, K::fin, W::without_ack, R::none, 0, S::syn_sent, D::syn_sent_bad},
    {S::syn_sent, K::data, W::acking_syn, R::none, 0, S::syn_sent, D::syn_sent_bad},
    {S::syn_sent, K::data, W::acking_iss, R::rst, 0, S::syn_sent, D::syn_sent_bad},
    {S::syn_sent, K::data, W::acking_beyond, R::rst, 0, S::syn_sent, D::syn_sent_bad},
    {S::syn_sent, K::data, W::without_ack, R::none, 0, S::syn_sent, D::syn_sent_bad},
    {S::syn_sent, K::data_fin, W::acking_syn, R::none, 0, S::syn_sent, D::syn_sent_bad},
    {S::syn_sent, K::data_fin, W::acking_iss, R::rst, 0, S::syn_sent, D::syn_sent_bad},
    {S::syn_sent, K::data_fin, W::acking_beyond, R::rst, 0, S::syn_sent, D::syn_sent_bad},
    {S::syn_sent, K::data_fin, W::without_ack, R::none, 0, S::syn_sent, D::syn_sent_bad},
};

// RFC 9293 3.10.7.4, SYN_RECEIVED from a passive open. A duplicate of the
// peer's SYN re-sends the SYN-ACK (documented in input.cc); a new SYN in the
// window returns to LISTEN (fourth check); a RST at RCV.NXT too.
constexpr row syn_received_rows[] = {
    {S::syn_received, K::syn, L, R::syn_ack, 0, S::syn_received, D::none},
    {S::syn_received, K::syn, E, R::none, 0, S::listen, D::syn_in_synchronized},
    {S::syn_received, K::syn, RE, R::none, 0, S::listen, D::syn_in_synchronized},
    {S::syn_received, K::syn, O, R::ack, 0, S::syn_received, D::not_acceptable},
    {S::syn_received, K::syn_ack, L, R::ack, 0, S::established, D::none},
    {S::syn_received, K::syn_ack, E, R::none, 0, S::listen, D::syn_in_synchronized},
    {S::syn_received, K::syn_ack, RE, R::none, 0, S::listen, D::syn_in_synchronized},
    {S::syn_received, K::syn_ack, O, R::ack, 0, S::syn_received, D::not_acceptable},
    {S::syn_received, K::ack, L, R::ack, 0, S::syn_received, D::not_acceptable},
    {S::syn_received, K::ack, E, R::none, 0, S::established, D::none},
    {S::syn_received, K::ack, RE, R::none, 0, S::established, D::none},
    {S::syn_received, K::ack, O, R::ack, 0, S::syn_received, D::not_acceptable},
    {S::syn_received, K::rst, L, R::none, 0, S::syn_received, D::rst_out_of_window},
    {S::syn_received, K::rst, E, R::none, 0, S::listen, D::none},
    {S::syn_received, K::rst, RE, R::challenge_ack, 0, S::syn_received, D::rst_not_exact},
    {S::syn_received, K::rst, O, R::none, 0, S::syn_received, D::rst_out_of_window},
    {S::syn_received, K::fin, L, R::ack, 0, S::syn_received, D::not_acceptable},
    {S::syn_received, K::fin, E, R::ack, 1, S::close_wait, D::none},
    {S::syn_received, K::fin, RE, R::ack, 0, S::established, D::none},
    {S::syn_received, K::fin, O, R::ack, 0, S::syn_received, D::not_acceptable},
    {S::syn_received, K::data, L, R::ack, 0, S::syn_received, D::not_acceptable},
    {S::syn_received, K::data, E, R::delayed_ack, 1, S::established, D::none},
    {S::syn_received, K::data, RE, R::ack, 0, S::established, D::none},
    {S::syn_received, K::data, O, R::ack, 0, S::syn_received, D::not_acceptable},
    {S::syn_received, K::data_fin, L, R::ack, 0, S::syn_received, D::not_acceptable},
    {S::syn_received, K::data_fin, E, R::ack, 2, S::close_wait, D::none},
    {S::syn_received, K::data_fin, RE, R::ack, 0, S::established, D::none},
    {S::syn_received, K::data_fin, O, R::ack, 0, S::syn_received, D::not_acceptable},
};

// ESTABLISHED. Left of the window a SYN+ACK is the peer's SYN-ACK again
// (our ACK was lost): its SYN is old sequence space, the rest an ACK, and
// it is ACKed (documented in input.cc).
constexpr row established_rows[] = {
    {S::established, K::syn, L, R::ack, 0, S::established, D::not_acceptable},
    {S::established, K::syn, E, R::challenge_ack, 0, S::established, D::syn_in_synchronized},
    {S::established, K::syn, RE, R::challenge_ack, 0, S::established, D::syn_in_synchronized},
    {S::established, K::syn, O, R::ack, 0, S::established, D::not_acceptable},
    {S::established, K::syn_ack, L, R::ack, 0, S::established, D::none},
    {S::established, K::syn_ack, E, R::challenge_ack, 0, S::established, D::syn_in_synchronized},
    {S::established, K::syn_ack, RE, R::challenge_ack, 0, S::established, D::syn_in_synchronized},
    {S::established, K::syn_ack, O, R::ack, 0, S::established, D::not_acceptable},
    {S::established, K::ack, L, R::ack, 0, S::established, D::not_acceptable},
    {S::established, K::ack, E, R::none, 0, S::established, D::none},
    {S::established, K::ack, RE, R::none, 0, S::established, D::none},
    {S::established, K::ack, O, R::ack, 0, S::established, D::not_acceptable},
    {S::established, K::rst, L, R::none, 0, S::established, D::rst_out_of_window},
    {S::established, K::rst, E, R::none, 0, S::closed, D::none},
    {S::established, K::rst, RE, R::challenge_ack, 0, S::established, D::rst_not_exact},
    {S::established, K::rst, O, R::none, 0, S::established, D::rst_out_of_window},
    {S::established, K::fin, L, R::ack, 0, S::established, D::not_acceptable},
    {S::established, K::fin, E, R::ack, 1, S::close_wait, D::none},
    {S::established, K::fin, RE, R::ack, 0, S::established, D::none},
    {S::established, K::fin, O, R::ack, 0, S::established, D::not_acceptable},
    {S::established, K::data, L, R::ack, 0, S::established, D::not_acceptable},
    {S::established, K::data, E, R::delayed_ack, 1, S::established, D::none},
    {S::established, K::data, RE, R::ack, 0, S::established, D::none},
    {S::established, K::data, O, R::ack, 0, S::established, D::not_acceptable},
    {S::established, K::data_fin, L, R::ack, 0, S::established, D::not_acceptable},
    {S::established, K::data_fin, E, R::ack, 2, S::close_wait, D::none},
    {S::established, K::data_fin, RE, R::ack, 0, S::established, D::none},
    {S::established, K::data_fin, O, R::ack, 0, S::established, D::not_acceptable},
};

// FIN_WAIT_1: our FIN is out; every acceptable segment here ACKs it
// (SEG.ACK = SND.NXT), so it moves to FIN_WAIT_2 before its text and FIN.
constexpr row fin_wait_1_rows[] = {
    {S::fin_wait_1, K::syn, L, R::ack, 0, S::fin_wait_1, D::not_acceptable},
    {S::fin_wait_1, K::syn, E, R::challenge_ack, 0, S::fin_wait_1, D::syn_in_synchronized},
    {S::fin_wait_1, K::syn, RE, R::challenge_ack, 0, S::fin_wait_1, D::syn_in_synchronized},
    {S::fin_wait_1, K::syn, O, R::ack, 0, S::fin_wait_1, D::not_acceptable},
    {S::fin_wait_1, K::syn_ack, L, R::ack, 0, S::fin_wait_2, D::none},
    {S::fin_wait_1, K::syn_ack, E, R::challenge_ack, 0, S::fin_wait_1, D::syn_in_synchronized},
    {S::fin_wait_1, K::syn_ack, RE, R::challenge_ack, 0, S::fin_wait_1, D::syn_in_synchronized},
    {S::fin_wait_1, K::syn_ack, O, R::ack, 0, S::fin_wait_1, D::not_acceptable},
    {S::fin_wait_1, K::ack, L, R::ack, 0, S::fin_wait_1, D::not_acceptable},
    {S::fin_wait_1, K::ack, E, R::none, 0, S::fin_wait_2, D::none},
    {S::fin_wait_1, K::ack, RE, R::none, 0, S::fin_wait_2, D::none},
    {S::fin_wait_1, K::ack, O, R::ack, 0, S::fin_wait_1, D::not_acceptable},
    {S::fin_wait_1, K::rst, L, R::none, 0, S::fin_wait_1, D::rst_out_of_window},
    {S::fin_wait_1, K::rst, E, R::none, 0, S::closed, D::none},
    {S::fin_wait_1, K::rst, RE, R::challenge_ack, 0, S::fin_wait_1, D::rst_not_exact},
    {S::fin_wait_1, K::rst, O, R::none, 0, S::fin_wait_1, D::rst_out_of_window},
    {S::fin_wait_1, K::fin, L, R::ack, 0, S::fin_wait_1, D::not_acceptable},
    {S::fin_wait_1, K::fin, E, R::ack, 1, S::time_wait, D::none},
    {S::fin_wait_1, K::fin, RE, R::ack, 0, S::fin_wait_2, D::none},
    {S::fin_wait_1, K::fin, O, R::ack, 0, S::fin_wait_1, D::not_acceptable},
    {S::fin_wait_1, K::data, L, R::ack, 0, S::fin_wait_1, D::not_acceptable},
    {S::fin_wait_1, K::data, E, R::delayed_ack, 1, S::fin_wait_2, D::none},
    {S::fin_wait_1, K::data, RE, R::ack, 0, S::fin_wait_2, D::none},
    {S::fin_wait_1, K::data, O, R::ack, 0, S::fin_wait_1, D::not_acceptable},
    {S::fin_wait_1, K::data_fin, L, R::ack, 0, S::fin_wait_1, D::not_acceptable},
    {S::fin_wait_1, K::data_fin, E, R::ack, 2, S::time_wait, D::none},
    {S::fin_wait_1, K::data_fin, RE, R::ack, 0, S::fin_wait_2, D::none},
    {S::fin_wait_1, K::data_fin, O, R::ack, 0, S::fin_wait_1, D::not_acceptable},
};

// FIN_WAIT_2: still receiving; the peer's FIN ends in TIME_WAIT.
constexpr row fin_wait_2_rows[] = {
    {S::fin_wait_2, K::syn, L, R::ack, 0, S::fin_wait_2, D::not_acceptable},
    {S::fin_wait_2, K::syn, E, R::challenge_ack, 0, S::fin_wait_2, D::syn_in_synchronized},
    {S::fin_wait_2, K::syn, RE, R::challenge_ack, 0, S::fin_wait_2, D::syn_in_synchronized},
    {S::fin_wait_2, K::syn, O, R::ack, 0, S::fin_wait_2, D::not_acceptable},
    {S::fin_wait_2, K::syn_ack, L, R::ack, 0, S::fin_wait_2, D::none},
    {S::fin_wait_2, K::syn_ack, E, R::challenge_ack, 0, S::fin_wait_2, D::syn_in_synchronized},
    {S::fin_wait_2, K::syn_ack, RE, R::challenge_ack, 0, S::fin_wait_2, D::syn_in_synchronized},
    {S::fin_wait_2, K::syn_ack, O, R::ack, 0, S::fin_wait_2, D::not_acceptable},
    {S::fin_wait_2, K::ack, L, R::ack, 0, S::fin_wait_2, D::not_acceptable},
    {S::fin_wait_2, K::ack, E, R::none, 0, S::fin_wait_2, D::none},
    {S::fin_wait_2, K::ack, RE, R::none, 0, S::fin_wait_2, D::none},
    {S::fin_wait_2, K::ack, O, R::ack, 0, S::fin_wait_2, D::not_acceptable},
    {S::fin_wait_2, K::rst, L, R::none, 0, S::fin_wait_2, D::rst_out_of_window},
    {S::fin_wait_2, K::rst, E, R::none, 0, S::closed, D::none},
    {S::fin_wait_2, K::rst, RE, R::challenge_ack, 0, S::fin_wait_2, D::rst_not_exact},
    {S::fin_wait_2, K::rst, O, R::none, 0, S::fin_wait_2, D::rst_out_of_window},
    {S::fin_wait_2, K::fin, L, R::ack, 0, S::fin_wait_2, D::not_acceptable},
    {S::fin_wait_2, K::fin, E, R::ack, 1, S::time_wait, D::none},
    {S::fin_wait_2, K::fin, RE, R::ack, 0, S::fin_wait_2, D::none},
    {S::fin_wait_2, K::fin, O, R::ack, 0, S::fin_wait_2, D::not_acceptable},
    {S::fin_wait_2, K::data, L, R::ack, 0, S::fin_wait_2, D::not_acceptable},
    {S::fin_wait_2, K::data, E, R::delayed_ack, 1, S::fin_wait_2, D::none},
    {S::fin_wait_2, K::data, RE, R::ack, 0, S::fin_wait_2, D::none},
    {S::fin_wait_2, K::data, O, R::ack, 0, S::fin_wait_2, D::not_acceptable},
    {S::fin_wait_2, K::data_fin, L, R::ack, 0, S::fin_wait_2, D::not_acceptable},
    {S::fin_wait_2, K::data_fin, E, R::ack, 2, S::time_wait, D::none},
    {S::fin_wait_2, K::data_fin, RE, R::ack, 0, S::fin_wait_2, D::none},
    {S::fin_wait_2, K::data_fin, O, R::ack, 0, S::fin_wait_2, D::not_acceptable},
};

// CLOSE_WAIT: the peer's FIN is in, so text is ignored (seventh step) and a
// FIN again is only ACKed (eighth step). Left of the window a SYN+ACK ends
// at RCV.NXT like a repeated SYN-ACK, and is treated as one.
constexpr row close_wait_rows[] = {
    {S::close_wait, K::syn, L, R::ack, 0, S::close_wait, D::not_acceptable},
    {S::close_wait, K::syn, E, R::challenge_ack, 0, S::close_wait, D::syn_in_synchronized},
    {S::close_wait, K::syn, RE, R::challenge_ack, 0, S::close_wait, D::syn_in_synchronized},
    {S::close_wait, K::syn, O, R::ack, 0, S::close_wait, D::not_acceptable},
    {S::close_wait, K::syn_ack, L, R::ack, 0, S::close_wait, D::not_acceptable},
    {S::close_wait, K::syn_ack, E, R::challenge_ack, 0, S::close_wait, D::syn_in_synchronized},
    {S::close_wait, K::syn_ack, RE, R::challenge_ack, 0, S::close_wait, D::syn_in_synchronized},
    {S::close_wait, K::syn_ack, O, R::ack, 0, S::close_wait, D::not_acceptable},
    {S::close_wait, K::ack, L, R::ack, 0, S::close_wait, D::not_acceptable},
    {S::close_wait, K::ack, E, R::none, 0, S::close_wait, D::none},
    {S::close_wait, K::ack, RE, R::none, 0, S::close_wait, D::none},
    {S::close_wait, K::ack, O, R::ack, 0, S::close_wait, D::not_acceptable},
    {S::close_wait, K::rst, L, R::none, 0, S::close_wait, D::rst_out_of_window},
    {S::close_wait, K::rst, E, R::none, 0, S::closed, D::none},
    {S::close_wait, K::rst, RE, R::challenge_ack, 0, S::close_wait, D::rst_not_exact},
    {S::close_wait, K::rst, O, R::none, 0, S::close_wait, D::rst_out_of_window},
    {S::close_wait, K::fin, L, R::ack, 0, S::close_wait, D::not_acceptable},
    {S::close_wait, K::fin, E, R::ack, 0, S::close_wait, D::none},
    {S::close_wait, K::fin, RE, R::ack, 0, S::close_wait, D::none},
    {S::close_wait, K::fin, O, R::ack, 0, S::close_wait, D::not_acceptable},
    {S::close_wait, K::data, L, R::ack, 0, S::close_wait, D::not_acceptable},
    {S::close_wait, K::data, E, R::none, 0, S::close_wait, D::after_fin},
    {S::close_wait, K::data, RE, R::none, 0, S::close_wait, D::after_fin},
    {S::close_wait, K::data, O, R::ack, 0, S::close_wait, D::not_acceptable},
    {S::close_wait, K::data_fin, L, R::ack, 0, S::close_wait, D::not_acceptable},
    {S::close_wait, K::data_fin, E, R::ack, 0, S::close_wait, D::after_fin},
    {S::close_wait, K::data_fin, RE, R::ack, 0, S::close_wait, D::after_fin},
    {S::close_wait, K::data_fin, O, R::ack, 0, S::close_wait, D::not_acceptable},
};

// CLOSING: an acceptable segment ACKs our FIN and ends in TIME_WAIT; the
// rest of it is not processed (fifth step: TIME_WAIT has nothing to take).
constexpr row closing_rows[] = {
    {S::closing, K::syn, L, R::ack, 0, S::closing, D::not_acceptable},
    {S::closing, K::syn, E, R::challenge_ack, 0, S::closing, D::syn_in_synchronized},
    {S::closing, K::syn, RE, R::challenge_ack, 0, S::closing, D::syn_in_synchronized},
    {S::closing, K::syn, O, R::ack, 0, S::closing, D::not_acceptable},
    {S::closing, K::syn_ack, L, R::ack, 0, S::closing, D::not_acceptable},
    {S::closing, K::syn_ack, E, R::challenge_ack, 0, S::closing, D::syn_in_synchronized},
    {S::closing, K::syn_ack, RE, R::challenge_ack, 0, S::closing, D::syn_in_synchronized},
    {S::closing, K::syn_ack, O, R::ack, 0, S::closing, D::not_acceptable},
    {S::closing, K::ack, L, R::ack, 0, S::closing, D::not_acceptable},
    {S::closing, K::ack, E, R::none, 0, S::time_wait, D::none},
    {S::closing, K::ack, RE, R::none, 0, S::time_wait, D::none},
    {S::closing, K::ack, O, R::ack, 0, S::closing, D::not_acceptable},
    {S::closing, K::rst, L, R::none, 0, S::closing, D::rst_out_of_window},
    {S::closing, K::rst, E, R::none, 0, S::closed, D::none},
    {S::closing, K::rst, RE, R::challenge_ack, 0, S::closing, D::rst_not_exact},
    {S::closing, K::rst, O, R::none, 0, S::closing, D::rst_out_of_window},
    {S::closing, K::fin, L, R::ack, 0, S::closing, D::not_acceptable},
    {S::closing, K::fin, E, R::none, 0, S::time_wait, D::none},
    {S::closing, K::fin, RE, R::none, 0, S::time_wait, D::none},
    {S::closing, K::fin, O, R::ack, 0, S::closing, D::not_acceptable},
    {S::closing, K::data, L, R::ack, 0, S::closing, D::not_acceptable},
    {S::closing, K::data, E, R::none, 0, S::time_wait, D::none},
    {S::closing, K::data, RE, R::none, 0, S::time_wait, D::none},
    {S::closing, K::data, O, R::ack, 0, S::closing, D::not_acceptable},
    {S::closing, K::data_fin, L, R::ack, 0, S::closing, D::not_acceptable},
    {S::closing, K::data_fin, E, R::none, 0, S::time_wait, D::none},
    {S::closing, K::data_fin, RE, R::none, 0, S::time_wait, D::none},
    {S::closing, K::data_fin, O, R::ack, 0, S::closing, D::not_acceptable},
};

// LAST_ACK: the ACK of our FIN deletes the TCB (fifth step, and return).
constexpr row last_ack_rows[] = {
    {S::last_ack, K::syn, L, R::ack, 0, S::last_ack, D::not_acceptable},
    {S::last_ack, K::syn, E, R::challenge_ack, 0, S::last_ack, D::syn_in_synchronized},
    {S::last_ack, K::syn, RE, R::challenge_ack, 0, S::last_ack, D::syn_in_synchronized},
    {S::last_ack, K::syn, O, R::ack, 0, S::last_ack, D::not_acceptable},
    {S::last_ack, K::syn_ack, L, R::ack, 0, S::last_ack, D::not_acceptable},
    {S::last_ack, K::syn_ack, E, R::challenge_ack, 0, S::last_ack, D::syn_in_synchronized},
    {S::last_ack, K::syn_ack, RE, R::challenge_ack, 0, S::last_ack, D::syn_in_synchronized},
    {S::last_ack, K::syn_ack, O, R::ack, 0, S::last_ack, D::not_acceptable},
    {S::last_ack, K::ack, L, R::ack, 0, S::last_ack, D::not_acceptable},
    {S::last_ack, K::ack, E, R::none, 0, S::closed, D::none},
    {S::last_ack, K::ack, RE, R::none, 0, S::closed, D::none},
    {S::last_ack, K::ack, O, R::ack, 0, S::last_ack, D::not_acceptable},
    {S::last_ack, K::rst, L, R::none, 0, S::last_ack, D::rst_out_of_window},
    {S::last_ack, K::rst, E, R::none, 0, S::closed, D::none},
    {S::last_ack, K::rst, RE, R::challenge_ack, 0, S::last_ack, D::rst_not_exact},
    {S::last_ack, K::rst, O, R::none, 0, S::last_ack, D::rst_out_of_window},
    {S::last_ack, K::fin, L, R::ack, 0, S::last_ack, D::not_acceptable},
    {S::last_ack, K::fin, E, R::none, 0, S::closed, D::none},
    {S::last_ack, K::fin, RE, R::none, 0, S::closed, D::none},
    {S::last_ack, K::fin, O, R::ack, 0, S::last_ack, D::not_acceptable},
    {S::last_ack, K::data, L, R::ack, 0, S::last_ack, D::not_acceptable},
    {S::last_ack, K::data, E, R::none, 0, S::closed, D::none},
    {S::last_ack, K::data, RE, R::none, 0, S::closed, D::none},
    {S::last_ack, K::data, O, R::ack, 0, S::last_ack, D::not_acceptable},
    {S::last_ack, K::data_fin, L, R::ack, 0, S::last_ack, D::not_acceptable},
    {S::last_ack, K::data_fin, E, R::none, 0, S::closed, D::none},
    {S::last_ack, K::data_fin, RE, R::none, 0, S::closed, D::none},
    {S::last_ack, K::data_fin, O, R::ack, 0, S::last_ack, D::not_acceptable},
};

// TIME_WAIT (the compact entry, time_wait.cc): RST ignored (RFC 1337); the
// peer's FIN again ACKed; an in-order bare ACK needs nothing; anything else
// is ACKed as unacceptable (a SYN with no newer timestamp cannot reopen,
// RFC 6191).
constexpr row time_wait_rows[] = {
    {S::time_wait, K::syn, L, R::ack, 0, S::time_wait, D::not_acceptable},
    {S::time_wait, K::syn, E, R::ack, 0, S::time_wait, D::not_acceptable},
    {S::time_wait, K::syn, RE, R::ack, 0, S::time_wait, D::not_acceptable},
    {S::time_wait, K::syn, O, R::ack, 0, S::time_wait, D::not_acceptable},
    {S::time_wait, K::syn_ack, L, R::ack, 0, S::time_wait, D::not_acceptable},
    {S::time_wait, K::syn_ack, E, R::ack, 0, S::time_wait, D::not_acceptable},
    {S::time_wait, K::syn_ack, RE, R::ack, 0, S::time_wait, D::not_acceptable},
    {S::time_wait, K::syn_ack, O, R::ack, 0, S::time_wait, D::not_acceptable},
    {S::time_wait, K::ack, L, R::ack, 0, S::time_wait, D::not_acceptable},
    {S::time_wait, K::ack, E, R::none, 0, S::time_wait, D::none},
    {S::time_wait, K::ack, RE, R::ack, 0, S::time_wait, D::not_acceptable},
    {S::time_wait, K::ack, O, R::ack, 0, S::time_wait, D::not_acceptable},
    {S::time_wait, K::rst, L, R::none, 0, S::time_wait, D::rst_in_time_wait},
    {S::time_wait, K::rst, E, R::none, 0, S::time_wait, D::rst_in_time_wait},
    {S::time_wait, K::rst, RE, R::none, 0, S::time_wait, D::rst_in_time_wait},
    {S::time_wait, K::rst, O, R::none, 0, S::time_wait, D::rst_in_time_wait},
    {S::time_wait, K::fin, L, R::ack, 0, S::time_wait, D::none},
    {S::time_wait, K::fin, E, R::ack, 0, S::time_wait, D::not_acceptable},
    {S::time_wait, K::fin, RE, R::ack, 0, S::time_wait, D::not_acceptable},
    {S::time_wait, K::fin, O, R::ack, 0, S::time_wait, D::not_acceptable},
    {S::time_wait, K::data, L, R::ack, 0, S::time_wait, D::not_acceptable},
    {S::time_wait, K::data, E, R::ack, 0, S::time_wait, D::not_acceptable},
    {S::time_wait, K::data, RE, R::ack, 0, S::time_wait, D::not_acceptable},
    {S::time_wait, K::data, O, R::ack, 0, S::time_wait, D::not_acceptable},
    {S::time_wait, K::data_fin, L, R::ack, 0, S::time_wait, D::none},
    {S::time_wait, K::data_fin, E, R::ack, 0, S::time_wait, D::not_acceptable},
    {S::time_wait, K::data_fin, RE, R::ack, 0, S::time_wait, D::not_acceptable},
    {S::time_wait, K::data_fin, O, R::ack, 0, S::time_wait, D::not_acceptable},
};

std::string row_name(const ::testing::TestParamInfo<row>& info) {
    const row& r = info.param;
    std::string name;
    name += camel(r.state);
    name += camel(r.what);
    name += camel(r.at);
    return name;
}

INSTANTIATE_TEST_SUITE_P(Closed, StateMatrix, ::testing::ValuesIn(closed_rows), row_name);
INSTANTIATE_TEST_SUITE_P(Listen, StateMatrix, ::testing::ValuesIn(listen_rows), row_name);
INSTANTIATE_TEST_SUITE_P(SynSent, StateMatrix, ::testing::ValuesIn(syn_sent_rows), row_name);
INSTANTIATE_TEST_SUITE_P(SynReceived, StateMatrix, ::testing::ValuesIn(syn_received_rows), row_name);
INSTANTIATE_TEST_SUITE_P(Established, StateMatrix, ::testing::ValuesIn(established_rows), row_name);
INSTANTIATE_TEST_SUITE_P(FinWait1, StateMatrix, ::testing::ValuesIn(fin_wait_1_rows), row_name);
INSTANTIATE_TEST_SUITE_P(FinWait2, StateMatrix, ::testing::ValuesIn(fin_wait_2_rows), row_name);
INSTANTIATE_TEST_SUITE_P(CloseWait, StateMatrix, ::testing::ValuesIn(close_wait_rows), row_name);
INSTANTIATE_TEST_SUITE_P(Closing, StateMatrix, ::testing::ValuesIn(closing_rows), row_name);
INSTANTIATE_TEST_SUITE_P(LastAck, StateMatrix, ::testing::ValuesIn(last_ack_rows), row_name);
INSTANTIATE_TEST_SUITE_P(TimeWait, StateMatrix, ::testing::ValuesIn(time_wait_rows), row_name);

// RFC 5961 section 7: challenge ACKs are rate-limited per connection; the
// matrix sends one per row, this sends a burst.
class ChallengeAckLimit : public StateMatrix {};

TEST_F(ChallengeAckLimit, InWindowRstBurstGetsAtMostTheLimitPerSecond) {
    cfg.challenge_ack_limit = 3;
    reach(tcp_state::established);
    seq_num inside = rcv_nxt_at + seq_len(100);
    for (int i = 0; i < 5; ++i) inject(seg().rst().raw_seq(inside.raw()));
    for (int i = 0; i < 3; ++i) expect_tx(seg().ack().seq(1).ack_no(1));
    expect_no_tx();
    EXPECT_EQ(out.counters.challenge_acks, 3u);
    EXPECT_EQ(out.counters.dropped(tcp_drop::challenge_ack_limited), 2u);
    EXPECT_EQ(out.counters.dropped(tcp_drop::rst_not_exact), 5u);

    advance(1s);  // a new one-second window
    inject(seg().syn().raw_seq(inside.raw()));
    expect_tx(seg().ack().seq(1).ack_no(1));
    EXPECT_EQ(out.counters.challenge_acks, 4u);
    EXPECT_EQ(state(), tcp_state::established);
}

TEST_F(ChallengeAckLimit, OutOfWindowSegmentsAreAckedWithoutTheLimit) {
    // RFC 9293 3.10.7.4 first check: an unacceptable segment is ACKed; the
    // RFC 5961 limit applies to challenge ACKs only.
    cfg.challenge_ack_limit = 1;
    reach(tcp_state::established);
    // Beyond the whole buffer: the ACK of the first opens the window from
    // the SYN-ACK's unscaled 64 KiB - 1 to all of it.
    seq_num outside = rcv_nxt_at + seq_len(cfg.receive_buffer + 1);
    for (int i = 0; i < 3; ++i) inject(seg().ack().raw_seq(outside.raw()));
    for (int i = 0; i < 3; ++i) expect_tx(seg().ack().seq(1).ack_no(1));
    EXPECT_EQ(out.counters.dropped(tcp_drop::not_acceptable), 3u);
    EXPECT_EQ(out.counters.challenge_acks, 0u);
}

// RFC 9293 3.10.7.4 eighth step, TIME-WAIT: the peer's FIN again (the
// matrix row TimeWaitFinLeftOfWindow) also restarts the 2 MSL timeout.
class TimeWaitRestart : public StateMatrix {};

TEST_F(TimeWaitRestart, FinAgainRestartsTwoMsl) {
    reach(tcp_state::time_wait);
    advance(10s);
    inject(seg().fin().ack().raw_seq((rcv_nxt_at - seq_len(1)).raw()).raw_ack(snd_nxt_at.raw()));
    expect_tx(seg().ack().seq(2).ack_no(2));
    const duration twice_msl = 2 * std::chrono::duration_cast<duration>(cfg.msl);
    ASSERT_TRUE(time_wait.has_value());
    EXPECT_EQ(time_wait->deadline, now + twice_msl);
    advance(twice_msl - 1ms);
    EXPECT_EQ(state(), tcp_state::time_wait);
    advance(1ms);
    EXPECT_EQ(state(), tcp_state::closed);
}

}  // namespace
}  // namespace fptcp::tcp::testing
