// Building the segments a connection sends: SYN, ACK, data, FIN, RST,
// probes; and the send policy (RFC 9293 3.8.6.2.1, RFC 5681, RFC 6298).

#include <algorithm>

#include "tcp/tcb.hh"
#include "wire/tcp_options.hh"

namespace fptcp::tcp {

outgoing_segment& emit(tcp_output& out, const four_tuple& tuple, seq_num seq, seq_num ack, uint8_t flags,
                       uint16_t window) {
    outgoing_segment& s = out.push();
    s.tuple = tuple;
    s.seq = seq;
    s.ack = ack;
    s.flags = tcp_flags{flags};
    s.window = window;
    s.options = tcp_options{};
    s.payload = {};
    return s;
}

void emit_reset(tcp_output& out, const four_tuple& tuple, seq_num seq, const seq_num* ack) {
    ++out.counters.resets_out;
    uint8_t flags = tcp_flags::rst | (ack ? tcp_flags::ack : 0);
    emit(out, tuple, seq, ack ? *ack : seq_num(0), flags, 0);
}

// Every segment of an open connection carries ACK and, once negotiated,
// timestamps (RFC 7323 3.2), and while out-of-order data is held up to
// `sack_limit` SACK blocks; sending one pays off any owed ACK, unless SACK
// blocks had to be left out: then the ACK that tells them is still owed.
outgoing_segment& tcb::begin_segment(time_point now, seq_num seq, uint8_t flags, tcp_output& out,
                                     std::size_t sack_limit) {
    bool syn = (flags & tcp_flags::syn) != 0;
    outgoing_segment& s = emit(out, _tuple, seq, _rcv.nxt, flags, advertise_window(syn));
    if (_ts_ok || (syn && _state == tcp_state::syn_sent && _cfg->timestamps)) {
        s.options.has_timestamps = true;
        s.options.ts_val = ts_now(now);
        s.options.ts_ecr = _rcv.ts_recent;
    }
    if ((flags & tcp_flags::ack) != 0) {
        bool blocks_left_out = !syn && sack_blocks_held() > 0 && add_sack_blocks(s.options, sack_limit);
        _rcv.last_ack_sent = _rcv.nxt;
        _ack_now = _ack_now && blocks_left_out;
        _unacked_bytes = 0;
        _delack_deadline = no_deadline;
    }
    return s;
}

// The window to announce: free receive space, moved right only in steps of
// min(buffer / 2, MSS) (receiver SWS avoidance, RFC 9293 3.8.6.2.2), never
// shrunk (3.8.6.2.2), scaled (RFC 7323 2.3; the SYN's own window never is).
uint16_t tcb::advertise_window(bool syn) {
    uint32_t avail = _rcvbuf.free_space();
    if (syn) {
        uint32_t wnd = std::min<uint32_t>(avail, 0xffff);
        _rcv.adv = _rcv.nxt + seq_len(wnd);
        return static_cast<uint16_t>(wnd);
    }
    uint32_t current = receive_window();
    uint32_t step = std::min(_rcvbuf.capacity() / 2, receive_mss());
    uint32_t wnd = avail >= current + step ? avail : current;
    uint32_t raw = std::min<uint32_t>(wnd >> _rcv.shift, 0xffff);
    _rcv.adv = seq_max(_rcv.adv, _rcv.nxt + seq_len(raw << _rcv.shift));
    return static_cast<uint16_t>(raw);
}

uint32_t tcb::receive_window() const {
    return after(_rcv.adv, _rcv.nxt) ? distance(_rcv.nxt, _rcv.adv).value : 0;
}

// SYN (active open) or SYN-ACK (passive open, simultaneous open), with the
// options of RFC 9293 3.7.1 (MSS), RFC 7323 (window scale, timestamps) and
// RFC 2018 (SACK-permitted). A SYN offers what the config allows; a SYN-ACK
// only what the peer's SYN offered.
void tcb::send_syn(time_point now, bool with_ack, tcp_output& out) {
    uint8_t flags = tcp_flags::syn | (with_ack ? tcp_flags::ack : 0);
    outgoing_segment& s = begin_segment(now, _snd.iss, flags, out);
    bool offering = _state == tcp_state::syn_sent;
    s.options.mss = _cfg->mss;
    if (offering ? _cfg->window_scaling : _ws_ok) s.options.window_shift = _rcv.shift;
    s.options.sack_permitted = offering ? _cfg->sack_permitted : _sack_ok;
    if (!with_ack) s.options.ts_ecr = 0;
    bool first_send = _snd.max == _snd.iss;
    _snd.nxt = _snd.iss + seq_len(1);
    _snd.max = seq_max(_snd.max, _snd.nxt);
    // Karn (RFC 6298 3): a SYN sent again (a timeout, the peer's SYN again,
    // a simultaneous open) makes its ACK ambiguous; the echo may still time it.
    if (first_send) {
        time_segment(now, _snd.iss);
    } else {
        _rtt_timing = false;
    }
}

// RFC 6298 3: one segment at a time is timed. When it is the oldest octet
// in flight, every octet from SND.UNA on leaves from now on, which bounds
// the echoes that may time them (take_rtt_sample).
void tcb::time_segment(time_point now, seq_num seq) {
    _rtt_timing = true;
    _rtt_seq = seq;
    _rtt_start = to_micros32(now);
    if (seq == _snd.una) _sent_floor_tsval = ts_now(now);
}

// A pure ACK carries SND.MAX, not SND.NXT: after a timeout SND.NXT went back
// to SND.UNA (go-back-N), and an ACK numbered there sits below the peer's
// RCV.NXT, so the peer finds it unacceptable and drops it unread (RFC 9293
// 3.10.7.4 first check). When both ends are retransmitting, each drops the
// other's ACKs and neither recovers. As 4.4BSD tcp_output(); a zero-window
// probe sequence (persist) keeps SND.NXT.
void tcb::send_ack(time_point now, tcp_output& out) {
    seq_num seq = _rtx_mode == rtx_mode::persist ? _snd.nxt : _snd.max;
    begin_segment(now, seq, tcp_flags::ack, out);
}

// RFC 5961 section 7: at most challenge_ack_limit challenge ACKs per second,
// counted per connection (a global count leaks state, CVE-2016-5696).
void tcb::send_challenge_ack(time_point now, tcp_output& out) {
    if (to_ms32(now) - _challenge_window_ms >= 1000) {
        _challenge_window_ms = to_ms32(now);
        _challenge_acks = 0;
    }
    if (_challenge_acks >= _cfg->challenge_ack_limit) {
        out.counters.drop(tcp_drop::challenge_ack_limited);
        return;
    }
    ++_challenge_acks;
    ++out.counters.challenge_acks;
    send_ack(now, out);
}

void tcb::send_reset(seq_num seq, tcp_output& out) {
    emit_reset(out, _tuple, seq);
}

// How many octets congestion control lets the sender put in flight now:
// cwnd less what was sent from SND.UNA to SND.NXT (after a timeout the rest
// counts as lost), plus one segment for each of the first two duplicate
// ACKs (limited transmit, RFC 3042 2: new data only).
uint32_t tcb::congestion_room() const {
    uint32_t flight = distance(_snd.una, _snd.nxt).value;
    uint32_t limit = _cc.cwnd();
    if (_snd.nxt == _snd.max) limit += std::min<uint32_t>(_dupacks, 2) * _snd.mss;
    return limit > flight ? limit - flight : 0;
}

// The payload of a full-sized segment sent now: SND.MSS (already less the
// timestamps) less the SACK blocks the segment will carry, as RFC 9293 3.7.1
// and RFC 6691 2 ask: the MSS leaves the options out, so the sender takes
// them off the data. Without this a data segment carrying SACK blocks is
// larger than the MTU (and a kernel-backed port drops it without a word).
uint32_t tcb::full_segment_payload() const {
    std::size_t options = wire::sack_option_size(sack_blocks_held(), _ts_ok ? timestamps_option_size : 0);
    return _snd.mss - static_cast<uint32_t>(options);
}

// Sends one segment of new (or, after a timeout, old) data, or the FIN,
// within `cwnd_room` octets and the peer's window. Returns false when
// nothing may be sent now.
bool tcb::send_data_segment(time_point now, uint32_t cwnd_room, tcp_output& out) {
    uint32_t resend_limit = skip_sacked_when_going_back();
    seq_num end = data_end();
    uint32_t unsent = before(_snd.nxt, end) ? distance(_snd.nxt, end).value : 0;
    uint32_t flight = distance(_snd.una, _snd.nxt).value;
    uint32_t window_room = _snd.wnd > flight ? _snd.wnd - flight : 0;  // RFC 9293 3.8.6.2.1
    uint32_t full = full_segment_payload();
    uint32_t len = std::min({unsent, window_room, cwnd_room, resend_limit, full});
    bool fin = _fin_queued && len == unsent && (!_fin_sent || !after(_snd.nxt, _snd.fin));
    if (len == 0 && !fin) return false;
    if (len > 0 && len < full && flight > 0 && !fin && holds_back_short_segment(len, unsent)) return false;

    uint8_t flags = tcp_flags::ack | (len > 0 && len == unsent ? tcp_flags::psh : 0) | (fin ? tcp_flags::fin : 0);
    outgoing_segment& s = begin_segment(now, _snd.nxt, flags, out);
    s.payload = _sndbuf.view(distance(_snd.una, _snd.nxt).value, len);
    if (before(_snd.nxt, _snd.max)) {
        ++out.counters.retransmits;
        watch_retransmission(_snd.nxt, _snd.nxt + seq_len(len + (fin ? 1 : 0)));
    } else if (!_rtt_timing && len > 0) {
        time_segment(now, _snd.nxt);
    }
    _snd.nxt += seq_len(len);
    if (len < full) _short_end = _snd.nxt;
    if (fin) {
        _snd.fin = _snd.nxt;
        _fin_sent = true;
        _snd.nxt += seq_len(1);
    }
    if (after(_snd.nxt, _snd.max) && _sack_ok) _sent_times.on_sent(_snd.nxt, to_micros32(now));
    _snd.max = seq_max(_snd.max, _snd.nxt);
    _last_data_sent_ms = to_ms32(now);
    if (_rtx_deadline == no_deadline || _rtx_mode == rtx_mode::persist) arm_retransmit(now);
    return true;
}

// Going back after a timeout (SND.NXT below SND.MAX): octets the peer
// SACKed are not sent again (the scoreboard outlives the timeout, as in
// Linux). Moves SND.NXT to the next hole and returns how long it is.
uint32_t tcb::skip_sacked_when_going_back() {
    if (!before(_snd.nxt, _snd.max) || _scoreboard.empty()) return UINT32_MAX;
    seq_num hole;
    uint32_t len = _scoreboard.next_hole(_snd.nxt, _snd.max, hole);
    _snd.nxt = len == 0 ? _snd.max : hole;
    return len == 0 ? UINT32_MAX : len;
}

// A short segment that does not carry the FIN, with data in flight, waits
// when sender SWS avoidance (RFC 9293 3.8.6.2.1) says so: it neither
// empties the buffer nor fills half the largest window the peer offered.
// Nagle (3.7.4), in Minshall's form as Linux: also while an earlier short
// segment is unacknowledged, so at most one is in flight.
bool tcb::holds_back_short_segment(uint32_t len, uint32_t unsent) const {
    if (len < unsent && len < _snd.max_wnd / 2) return true;
    return !_nodelay && after(_short_end, _snd.una);
}

// Every retransmission moves HighRxt and notes SND.MAX as it leaves; the
// lowest one still missing is watched for its loss (recovery.cc,
// detect_lost_retransmission).
void tcb::watch_retransmission(seq_num seq, seq_num end) {
    _high_rxt = seq_max(_high_rxt, end);
    _rxt_latest_max = _snd.max;
    if (_rxt_watch || !_sack_ok) return;
    _rxt_watch = true;
    _rxt_probed = false;
    _rxt_seq = seq;
    _rxt_sent_max = _snd.max;
    _rxt_high_after = _high_rxt;
}

// Sends [seq, seq + len) again from the send buffer, in recovery or as a
// loss probe (at most SND.MSS: the rest of a hole goes next, from HighRxt);
// the FIN goes with it when the octets reach it. SND.NXT stays. A segment
// goes again whole, as first sent, with only the SACK blocks that fit beside
// its data (RFC 9293 3.7.1): cut to leave room for them, a lost full-sized
// segment would cost two retransmissions, each one exposed to loss, where
// the blocks can follow in an ACK of their own.
void tcb::resend(time_point now, seq_num seq, uint32_t len, tcp_output& out) {
    seq_num end = data_end();
    uint32_t data = before(seq, end) ? std::min({len, distance(seq, end).value, uint32_t{_snd.mss}}) : 0;
    bool fin = _fin_sent && seq + seq_len(data) == _snd.fin && len > data;
    bool psh = data > 0 && seq + seq_len(data) == end;  // as when first sent: the last queued octets
    uint8_t flags = tcp_flags::ack | (psh ? tcp_flags::psh : 0) | (fin ? tcp_flags::fin : 0);
    outgoing_segment& s = begin_segment(now, seq, flags, out, sack_blocks_fitting(_snd.mss - data));
    s.payload = _sndbuf.view(distance(_snd.una, seq).value, data);
    ++out.counters.retransmits;
    count_retransmission_for_undo();
    seq_num resent_end = seq + seq_len(data + (fin ? 1 : 0));
    watch_retransmission(seq, resent_end);
    if (_rtt_timing && !before(_rtt_seq, seq) && before(_rtt_seq, resent_end)) _rtt_timing = false;  // Karn
    _last_data_sent_ms = to_ms32(now);
}

// Zero-window probe (RFC 9293 3.8.6.1): one byte past SND.UNA, sent whatever
// the window says; the peer's ACK tells whether the window opened.
void tcb::send_window_probe(time_point now, tcp_output& out) {
    if (_sndbuf.size() == 0) return;
    outgoing_segment& s = begin_segment(now, _snd.una, tcp_flags::ack, out);
    s.payload = _sndbuf.view(0, 1);
    _snd.nxt = seq_max(_snd.nxt, _snd.una + seq_len(1));
    _snd.max = seq_max(_snd.max, _snd.nxt);
}

duration tcb::backed_off_rto() const {
    duration rto = _rtt.rto();
    duration max = _cfg->rto_max;
    for (uint8_t i = 0; i < _backoff && rto < max; ++i) rto *= 2;  // RFC 6298 5.5
    return std::min(rto, max);
}

// RFC 8985 7.2 and 7.3: a probe only with SACK (its answer must tell which
// octets are missing), an RTT measured, and one probe per tail; during a
// recovery only for a retransmission nothing else can prove lost
// (recovery.cc, retransmission_needs_probe).
bool tcb::loss_probe_allowed() const {
    return _sack_ok && _rtt.has_sample() && !_probe_out && _backoff == 0 && is_synchronized(_state) &&
           _snd.una != _snd.max && (!_in_recovery || retransmission_needs_probe());
}

// The RTO (RFC 6298 5.1), or the PTO when a probe is allowed.
void tcb::arm_retransmit(time_point now) {
    _rtx_mode = rtx_mode::retransmit;
    _rtx_deadline = now + backed_off_rto();
    arm_loss_probe(now);
}

// RFC 8985 7.2: with the RTO armed and a probe allowed, the PTO runs
// instead: 2 SRTT, plus the peer's worst delayed ACK when one segment is in
// flight, and never later than the RTO would fire.
void tcb::arm_loss_probe(time_point now) {
    if (_rtx_mode != rtx_mode::retransmit || !loss_probe_allowed()) return;
    duration pto = std::max<duration>(2 * _rtt.srtt(), min_loss_probe_timeout);
    if (flight_size() <= _snd.mss) pto += worst_case_delayed_ack;
    _rtx_mode = rtx_mode::loss_probe;
    _rtx_deadline = std::min(_rtx_deadline, now + pto);
}

void tcb::transmit(time_point now, tcp_output& out) {
    switch (_state) {
    case tcp_state::established:
    case tcp_state::close_wait:
    case tcp_state::fin_wait_1:
    case tcp_state::closing:
    case tcp_state::last_ack:
        break;
    case tcp_state::closed:
    case tcp_state::listen:
    case tcp_state::syn_sent:
    case tcp_state::syn_received:
    case tcp_state::fin_wait_2:
    case tcp_state::time_wait:
        return;
    }
    if (_in_recovery) {
        transmit_in_recovery(now, out);
    } else {
        restart_after_idle(now);
        bool sent = false;
        while (out.has_room_for_data() && send_data_segment(now, congestion_room(), out)) sent = true;
        if (_cc.models_the_path() && !before(_snd.nxt, data_end()) && congestion_room() >= _snd.mss) {
            _cc.on_app_limited();  // BBR: the application, not the path, limited this round
        }
        // RFC 8985 7.2: the PTO restarts after new data went out; once per
        // burst, as Linux's tcp_schedule_loss_probe, not per segment.
        if (sent && _rtx_mode == rtx_mode::loss_probe) arm_retransmit(now);
    }
    if (!out.has_room_for_data()) out.data_pending = true;
    // Zero window with data waiting and nothing in flight: persist (RFC 9293 3.8.6.1).
    bool waiting = before(_snd.nxt, data_end()) && _snd.wnd == 0 && _snd.nxt == _snd.una;
    if (waiting && _rtx_deadline == no_deadline) {
        _rtx_mode = rtx_mode::persist;
        _rtx_deadline = now + backed_off_rto();
    }
}

// RFC 5681 4.1: nothing in flight and nothing sent for an RTO, the ACK
// clock is gone; cwnd goes back to at most the initial window. With the
// restart turned off cwnd stays, but the idle time must not count as
// congestion avoidance time either (RFC 9438 5.8).
void tcb::restart_after_idle(time_point now) {
    std::chrono::milliseconds idle(to_ms32(now) - _last_data_sent_ms);
    if (_snd.una != _snd.max || _sndbuf.size() == 0 || idle <= _rtt.rto()) return;
    if (_cfg->slow_start_after_idle) {
        _cc.on_idle_restart(now, _snd.mss);
    } else {
        _cc.on_idle();
    }
}

// After an arrival: send what the windows allow, then the ACK still owed.
// An ACK owed while out-of-order data waits goes first, without data: a
// peer without SACK counts only ACKs that carry no data as duplicates (RFC
// 5681 2 and 4.2), so one riding on our data would never start its fast
// retransmit. (In an echo at 5 % loss, both ends sending, each end's
// losses then waited for the RTO.)
void tcb::finish_input(time_point now, tcp_output& out) {
    if (_ack_now && !_sack_ok && !_ooo.empty() && _state != tcp_state::closed) send_ack(now, out);
    transmit(now, out);
    if (_ack_now && _state != tcp_state::closed) send_ack(now, out);
}

}  // namespace fptcp::tcp
