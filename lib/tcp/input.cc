// SEGMENT ARRIVES, RFC 9293 section 3.10.7, for the states that have a TCB:
// SYN_SENT (3.10.7.3) and the synchronized states (3.10.7.4), with the
// RFC 5961 and RFC 7323 amendments. Each check is a small function in RFC
// order; a check that returns false has dealt with the segment.

#include <algorithm>

#include "tcp/tcb.hh"

namespace fptcp::tcp {

void tcb::input(time_point now, const segment& seg, tcp_output& out) {
    switch (_state) {
    case tcp_state::syn_sent:
        input_syn_sent(now, seg, out);
        return;
    case tcp_state::syn_received:
    case tcp_state::established:
    case tcp_state::fin_wait_1:
    case tcp_state::fin_wait_2:
    case tcp_state::close_wait:
    case tcp_state::closing:
    case tcp_state::last_ack:
        input_synchronized(now, seg, out);
        return;
    case tcp_state::closed:
    case tcp_state::listen:
    case tcp_state::time_wait:
        return;  // no TCB in these states: listen.hh and time_wait.hh answer
    }
}

// RFC 9293 3.10.7.3.
void tcb::input_syn_sent(time_point now, const segment& seg, tcp_output& out) {
    bool has_ack = seg.has(tcp_flags::ack);
    // First, check the ACK: it must acknowledge our SYN and nothing beyond.
    if (has_ack && (before_or_equal(seg.ack, _snd.iss) || after(seg.ack, _snd.max))) {
        out.counters.drop(tcp_drop::syn_sent_bad);
        if (!seg.has(tcp_flags::rst)) send_reset(seg.ack, out);
        return;
    }
    // Second, the RST: only with an acceptable ACK (RFC 5961 3.2 for SYN-SENT).
    if (seg.has(tcp_flags::rst)) {
        if (has_ack) {
            close_with(close_reason::reset_by_peer);
        } else {
            out.counters.drop(tcp_drop::syn_sent_bad);
        }
        return;
    }
    // Fourth, the SYN.
    if (!seg.has(tcp_flags::syn)) {
        out.counters.drop(tcp_drop::syn_sent_bad);
        return;
    }
    _rcv.irs = seg.seq;
    _rcv.nxt = seg.seq + seq_len(1);
    _rcv.up = _rcv.nxt;
    // The window our SYN announced starts at IRS + 1, unknown until now
    // (RCV.ADV was computed from an unset RCV.NXT).
    _rcv.adv = _rcv.nxt + seq_len(std::min<uint32_t>(_rcvbuf.free_space(), 0xffff));
    negotiate_options(seg.options);
    if (!has_ack) {
        // Simultaneous open: SYN-RECEIVED, and our SYN again with an ACK.
        _state = tcp_state::syn_received;
        send_syn(now, true, out);
        return;
    }
    _snd.una = _snd.iss + seq_len(1);
    take_rtt_sample(now, seg);
    enter_established(now, seg);
    _ack_now = true;
    // Data or FIN riding on the SYN-ACK: from the sixth step on.
    process_urgent(seg);
    process_text(now, seg, out);
    finish_input(now, out);
}

// RFC 9293 3.10.7.4, the synchronized states.
void tcb::input_synchronized(time_point now, const segment& arrived, tcp_output& out) {
    const segment* seg = &arrived;
    segment trimmed;
    if (arrived.has(tcp_flags::syn) && arrived.seq == _rcv.irs) {
        if (_state == tcp_state::syn_received && !arrived.has(tcp_flags::ack)) {
            // The peer did not get our SYN-ACK and sent its SYN again.
            ++out.counters.retransmits;
            send_syn(now, true, out);
            return;
        }
        if (arrived.has(tcp_flags::ack)) {
            // A SYN-ACK again (our ACK was lost, or simultaneous open): the SYN
            // is old sequence space; process what follows it (RFC 9293 3.10.7.4,
            // "only the new parts are processed") and ACK at once.
            trimmed = arrived;
            trimmed.flags.bits &= static_cast<uint8_t>(~tcp_flags::syn);
            trimmed.seq = arrived.seq + seq_len(1);
            trimmed.syn_trimmed = true;
            seg = &trimmed;
            _ack_now = true;
        }
    }
    if (!check_timestamps(now, *seg, out)) return;
    if (!check_sequence(now, *seg, out)) return;
    if (!check_rst(now, *seg, out)) return;
    if (!check_syn(now, *seg, out)) return;
    if (!process_ack(now, *seg, out)) return;
    process_urgent(*seg);
    process_text(now, *seg, out);
    refresh_idle_deadline(now);
    finish_input(now, out);
}

// RFC 7323 section 5.3 (PAWS) and 3.2 (a segment without timestamps once
// they are in use). RST is exempt from both, and a SYN from 3.2: it goes on
// to RFC 5961 4.2 (as in Linux, which checks the SYN first). It comes from
// a peer that lost this connection and opens a new one with timestamps
// off; dropped, it would retry into a connection that never answers, while
// the ACK it draws brings back its RST at RCV.NXT, which clears the way.
bool tcb::check_timestamps(time_point now, const segment& seg, tcp_output& out) {
    if (!_ts_ok || seg.has(tcp_flags::rst)) return true;
    if (!seg.options.has_timestamps) {
        if (seg.has(tcp_flags::syn)) return true;
        out.counters.drop(tcp_drop::missing_timestamp);
        return false;
    }
    if (before(seq_num(seg.options.ts_val), seq_num(_rcv.ts_recent))) {
        out.counters.drop(tcp_drop::paws);
        send_ack(now, out);
        return false;
    }
    return true;
}

// RFC 9293 3.10.7.4: the four cases of segment length and receive window.
bool tcb::rfc9293_acceptable(seq_num seq, uint32_t len, uint32_t wnd) const {
    if (wnd == 0) return seq == _rcv.nxt;  // the allowance for ACK, URG and RST: at RCV.NXT only
    if (len == 0) return in_window(seq, _rcv.nxt, seq_len(wnd));
    return in_window(seq, _rcv.nxt, seq_len(wnd)) || in_window(seq + seq_len(len - 1), _rcv.nxt, seq_len(wnd));
}

// First: is the segment acceptable? An unacceptable one is ACKed and
// dropped (a RST silently).
bool tcb::check_sequence(time_point now, const segment& seg, tcp_output& out) {
    uint32_t wnd = receive_window();
    uint32_t len = seg.length().value;
    // RFC 9293 3.10.7.4's four cases, widened for segments without SYN or RST as
    // Linux (tcp_sequence) and the BSDs widen them: RCV.NXT - SEG.LEN =<
    // SEG.SEQ =< RCV.NXT + RCV.WND.
    // The segment must reach RCV.NXT and start within the window, its right
    // edge included, even when all of its text is old or the window is
    // zero; processing then trims the text to the window (nothing, at a zero
    // window; a D-SACK for the old part) and reads the ACK, the "special
    // allowance ... to accept valid ACKs" of 3.10.7.4. Two peers meet this
    // on a lossy path: one whose data reached our right edge puts that edge
    // in the SEQ of every ACK until it resends what was lost, and one whose
    // ACK from us was lost resends data we have, with its newest ACK. While
    // our window is closed (an echo whose reader is slow) those segments
    // carry the only news of our own data: refused, it waited for the RTO.
    // An empty segment may start one below RCV.NXT: the shape of a
    // keep-alive (RFC 9293 3.8.4) and of Linux's zero-window probe, which is
    // how a peer facing our closed window reports what it has received. Its
    // ACK is read and, its sequence being old, answered at once.
    // SYN and RST keep the RFC's test: a SYN at IRS is the peer's SYN again
    // (below), and RFC 5961 3.2 drops a RST outside the window silently;
    // neither has an ACK to read.
    bool rfc_test = seg.has(tcp_flags::syn) || seg.has(tcp_flags::rst);
    uint32_t reach_back = std::max<uint32_t>(len, 1);
    bool acceptable = rfc_test ? rfc9293_acceptable(seg.seq, len, wnd)
                               : in_window(seg.seq, _rcv.nxt - seq_len(reach_back), seq_len(reach_back + wnd + 1));
    if (!acceptable) {
        if (seg.has(tcp_flags::rst)) {
            out.counters.drop(tcp_drop::rst_out_of_window);
            return false;
        }
        out.counters.drop(tcp_drop::not_acceptable);
        if (len > 0 && before_or_equal(seg.seq + seq_len(len), _rcv.nxt)) note_duplicate(seg.seq, seg.seq + seq_len(len));
        send_ack(now, out);
        return false;
    }
    if (len == 0 && before(seg.seq, _rcv.nxt)) _ack_now = true;  // a keep-alive or probe: answered
    // RFC 7323 4.3: TS.Recent follows the segment that covers Last.ACK.sent.
    if (_ts_ok && seg.options.has_timestamps && !before(seq_num(seg.options.ts_val), seq_num(_rcv.ts_recent)) &&
        before_or_equal(seg.seq, _rcv.last_ack_sent)) {
        _rcv.ts_recent = seg.options.ts_val;
    }
    return true;
}

// Second: RST (RFC 5961 3.2). Only a RST at exactly RCV.NXT resets; one
// elsewhere in the window draws a challenge ACK.
bool tcb::check_rst(time_point now, const segment& seg, tcp_output& out) {
    if (!seg.has(tcp_flags::rst)) return true;
    if (seg.seq != _rcv.nxt) {
        out.counters.drop(tcp_drop::rst_not_exact);
        send_challenge_ack(now, out);
        return false;
    }
    // SYN-RECEIVED from a passive open returns to LISTEN: the listener still
    // exists, this half-open TCB simply goes; the application never saw it.
    close_with(close_reason::reset_by_peer);
    return false;
}

// Fourth: SYN (the third check, security, does not apply). In a
// synchronized state it draws a challenge ACK (RFC 5961 4.2); a passive
// SYN-RECEIVED goes back to LISTEN (RFC 9293 3.10.7.4).
bool tcb::check_syn(time_point now, const segment& seg, tcp_output& out) {
    if (!seg.has(tcp_flags::syn)) return true;
    out.counters.drop(tcp_drop::syn_in_synchronized);
    if (_state == tcp_state::syn_received && _passive) {
        close_with(close_reason::reset_by_peer);
        return false;
    }
    send_challenge_ack(now, out);
    return false;
}

// Fifth: ACK.
bool tcb::process_ack(time_point now, const segment& seg, tcp_output& out) {
    if (!seg.has(tcp_flags::ack)) {
        out.counters.drop(tcp_drop::no_ack);
        return false;
    }
    if (_state == tcp_state::syn_received && !ack_syn_received(now, seg, out)) return false;
    // RFC 5961 5.2: acceptable only in [SND.UNA - MAX.SND.WND, SND.NXT]; an
    // ACK of unsent data is answered (RFC 9293) and, as any ACK outside the
    // range, through the challenge-ACK limit.
    if (after(seg.ack, _snd.max) || before(seg.ack, _snd.una - seq_len(_snd.max_wnd))) {
        out.counters.drop(tcp_drop::bad_ack);
        send_challenge_ack(now, out);
        return false;
    }
    if (_rtx_mode == rtx_mode::persist) _retries = 0;  // the peer answers our probes
    seq_num sacked_before = _scoreboard.highest(_snd.una);  // RACK.fack before this ACK
    bool new_sack = _sack_ok && seg.options.sack_count > 0 && take_sack_blocks(now, seg, out);
    bool duplicate = is_duplicate_ack(seg, new_sack);  // before the window update it compares with
    bool advanced = after(seg.ack, _snd.una);
    if (advanced && _sack_ok) forget_reneged_sacks(seg.ack, out);
    if (advanced) acknowledge(now, seg, sacked_before);
    if (advanced && watched_retransmission_overtaken()) detect_lost_retransmission(now, out);
    update_send_window(seg, advanced);
    if (!_scoreboard.empty()) detect_loss_by_time(now);  // RACK needs a hole above SACKed octets
    // Loss detection has news only in recovery, on a duplicate, or when
    // octets proved lost remain above the new SND.UNA.
    if (_in_recovery || duplicate || after(_lost_below, _snd.una)) {
        detect_loss(now, advanced, duplicate, out);
    } else if (advanced) {
        _dupacks = 0;
    }
    if (_cc.models_the_path() && (advanced || new_sack)) _cc.on_delivery(delivery_now(now), _snd.mss);
    switch (_state) {
    case tcp_state::fin_wait_1:
        if (fin_acked()) {
            _state = tcp_state::fin_wait_2;
            if (_app_closed) _idle_deadline = now + _cfg->fin_wait_2_timeout;
        }
        return true;
    case tcp_state::closing:
        if (fin_acked()) enter_time_wait();
        return !fin_acked();
    case tcp_state::last_ack:
        if (fin_acked()) close_with(close_reason::normal);
        return !fin_acked();
    case tcp_state::syn_received:
    case tcp_state::established:
    case tcp_state::fin_wait_2:
    case tcp_state::close_wait:
        return true;
    case tcp_state::closed:
    case tcp_state::listen:
    case tcp_state::syn_sent:
    case tcp_state::time_wait:
        return false;
    }
    return false;
}

// SYN-RECEIVED: an ACK of our SYN completes the handshake; any other ACK is
// from an old connection (an old duplicate SYN was answered) and gets
// <SEQ=SEG.ACK><CTL=RST>.
bool tcb::ack_syn_received(time_point now, const segment& seg, tcp_output& out) {
    if (before_or_equal(seg.ack, _snd.iss) || after(seg.ack, _snd.max)) {
        out.counters.drop(tcp_drop::bad_ack);
        send_reset(seg.ack, out);
        return false;
    }
    _snd.una = _snd.iss + seq_len(1);
    take_rtt_sample(now, seg);
    enter_established(now, seg);
    return true;
}

void tcb::enter_established(time_point now, const segment& seg) {
    _state = _fin_queued ? tcp_state::fin_wait_1 : tcp_state::established;
    _events |= tcp_events::connected;
    _snd.wnd = scaled_window(seg);
    _snd.wl1 = seg.seq;
    _snd.wl2 = seg.ack;
    _snd.max_wnd = std::max(_snd.max_wnd, _snd.wnd);
    if (_retries > 0 && !_rtt.has_sample()) _rtt.set_rto(std::chrono::seconds(3));  // RFC 6298 5.7
    _retries = 0;
    _backoff = 0;
    _rtx_deadline = no_deadline;
    _cc.start(_cfg->congestion, _snd.mss);
    refresh_idle_deadline(now);
}

// New data acknowledged: free it, time it, restart or stop the timer.
// `sacked_before`: the highest octet SACKed by earlier ACKs (RACK.fack).
void tcb::acknowledge(time_point now, const segment& seg, seq_num sacked_before) {
    uint32_t acked = distance(_snd.una, seg.ack).value;
    uint32_t data_acked = std::min(acked, _sndbuf.size());
    _sndbuf.consume(data_acked);
    if (data_acked > 0) _events |= tcp_events::writable;
    take_rtt_sample(now, seg);
    if (_sack_ok) {
        note_delivered(now, _snd.una, seg.ack);
        detect_reordering(_snd.una, _snd.una + seq_len(1), sacked_before);
    }
    _snd.una = seg.ack;
    if (before(_snd.nxt, _snd.una)) _snd.nxt = _snd.una;
    _scoreboard.advance(_snd.una);
    _sent_times.advance(_snd.una);
    if (_probe_out && after(_snd.una, _probe_seq)) _probe_out = false;  // the probe was answered
    if (_rxt_watch && after(_snd.una, _rxt_seq)) watch_next_retransmission();  // the watched one arrived
    if (!_in_recovery) _cc.on_ack(now, data_acked, _snd.mss, _rtt.srtt());  // RFC 6675 5: not in recovery
    _retries = 0;
    _backoff = 0;
    if (_snd.una == _snd.max) {
        _rtx_deadline = no_deadline;
    } else {
        arm_retransmit(now);
    }
}

// RFC 6298 section 3 with Karn's rule; with timestamps, RFC 7323 4.1. As
// Linux's tcp_ack_update_rtt, the timed segment gives the sample when the
// ACK covers it, and the echo only when it does not, or when the ACK also
// covers resent octets (Linux's FLAG_RETRANS_DATA_ACKED): the timed segment
// then waited behind a hole, and its sample would include the repair (at
// 20 % loss in the simulator, goodput fell by 40 %).
void tcb::take_rtt_sample(time_point now, const segment& seg) {
    if (_rtt_timing && after(seg.ack, _rtt_seq)) {
        _rtt_timing = false;
        if (!before(_snd.una, _high_rxt)) {
            int32_t measured = std::max(micros_between(_rtt_start, to_micros32(now)), 0);
            _rtt.sample(duration(measured), _cfg->rto_min, _cfg->rto_max);
            _cc.on_rtt(now, duration(measured));  // BBR's RTprop: microseconds, not the echo's milliseconds
            // The octets still in flight left after the timed one: a TSval no
            // later than its own (rounded up to whole TSval ticks of 1 ms).
            _sent_floor_tsval = ts_now(now) - static_cast<uint32_t>((int64_t{measured} + 999) / 1000);
            return;
        }
    }
    if (echo_times_acknowledged_data(now, seg)) {
        _rtt.sample(std::chrono::milliseconds(ts_now(now) - seg.options.ts_ecr), _cfg->rto_min, _cfg->rto_max);
    }
}

// An echo times the data an ACK acknowledges only when it is a TSval we can
// have sent with that data (RFC 7323 4.1 and 4.2): not newer than our
// clock, and not older than the first send of the octets from SND.UNA on
// (so not older than the connection). Anything else is forged or broken,
// and one such sample used to hold the next retransmission back by up to
// rto_max.
bool tcb::echo_times_acknowledged_data(time_point now, const segment& seg) const {
    if (!_ts_ok || !seg.options.has_timestamps || seg.options.ts_ecr == 0) return false;
    seq_num echo(seg.options.ts_ecr);
    if (after(echo, seq_num(ts_now(now))) || before(echo, seq_num(_sent_floor_tsval))) return false;
    // Karn (RFC 6298 3) with timestamps: an echo of a TSval sent before the
    // last timeout is ambiguous. The peer echoes the original when our
    // retransmission was a duplicate (its ACK was lost; an unacceptable
    // segment does not update TS.Recent, RFC 7323 4.3 and 5.3 R2), so the
    // sample would include the whole backed-off RTO, and the inflated RTO
    // feeds back into every later sample.
    return !(_backoff > 0 && before(echo, seq_num(_rto_tsval)));
}

// RFC 5681 2 (DUPLICATE ACKNOWLEDGMENT); with SACK, RFC 6675 2: an ACK
// that SACKs octets not SACKed before. The answers to zero-window probes
// repeat the ACK because the window is shut, not because of a loss.
bool tcb::is_duplicate_ack(const segment& seg, bool new_sack) const {
    if (seg.ack != _snd.una || _snd.una == _snd.max) return false;
    if (_rtx_mode == rtx_mode::persist || scaled_window(seg) == 0) return false;
    if (_sack_ok) return new_sack;
    return seg.payload.empty() && !seg.has(tcp_flags::syn | tcp_flags::fin) && scaled_window(seg) == _snd.wnd;
}

// RFC 9293 3.10.7.4 fifth step: the SND.WL1/SND.WL2 rule keeps an old
// segment from setting an old window. One addition, as Linux's
// tcp_may_update_window: a segment whose ACK moved SND.UNA (`advanced`)
// sets the window too, whatever its sequence number. The peer's resent data
// filling a hole is such a segment; its window is measured from its ACK, and
// the older offer kept instead would be read from the new SND.UNA, past the
// peer's right edge.
void tcb::update_send_window(const segment& seg, bool advanced) {
    if (before(seg.ack, _snd.una)) return;
    bool newer = before(_snd.wl1, seg.seq) || (_snd.wl1 == seg.seq && before_or_equal(_snd.wl2, seg.ack));
    if (!newer && !advanced) return;
    _snd.wnd = scaled_window(seg);
    _snd.wl1 = seq_max(_snd.wl1, seg.seq);
    _snd.wl2 = seg.ack;
    _snd.max_wnd = std::max(_snd.max_wnd, _snd.wnd);
    if (_snd.wnd > 0 && _rtx_mode == rtx_mode::persist) {
        _rtx_deadline = no_deadline;
        _rtx_mode = rtx_mode::retransmit;
        // The window opened: resend from SND.UNA (an unacknowledged probe
        // byte was not taken), and the probes' backoff does not carry over
        // to the retransmission timer (as Linux).
        _snd.nxt = _snd.una;
        _backoff = 0;
    }
}

// SEG.WND in bytes: a SYN's window is never scaled (RFC 7323 2.2), also
// when the SYN of a repeated SYN-ACK was trimmed off.
uint32_t tcb::scaled_window(const segment& seg) const {
    if (seg.has(tcp_flags::syn) || seg.syn_trimmed) return seg.window;
    return uint32_t{seg.window} << _snd.shift;
}

// Sixth: URG (RFC 9293 3.8.5). The pointer is remembered, the data is
// delivered inline like any other; no pointer value can do harm.
void tcb::process_urgent(const segment& seg) {
    if (!seg.has(tcp_flags::urg) || has_received_fin(_state)) return;
    seq_num up = seg.seq + seq_len(seg.urgent_ptr);
    _rcv.up = seq_max(_rcv.up, up);
}

// Seventh and eighth: the text and the FIN.
void tcb::process_text(time_point now, const segment& seg, tcp_output& out) {
    seq_num start = seg.seq + seq_len(seg.has(tcp_flags::syn) ? 1 : 0);
    std::span<const uint8_t> data = seg.payload;
    bool fin = seg.has(tcp_flags::fin);
    if (has_received_fin(_state)) {
        if (!data.empty()) out.counters.drop(tcp_drop::after_fin);
        if (fin) _ack_now = true;  // a FIN again: remain, and ACK it
        return;
    }
    // Trim what lies left of RCV.NXT (old: ACK at once) and right of the window.
    if (before(start, _rcv.nxt)) {
        uint32_t old = std::min<uint32_t>(distance(start, _rcv.nxt).value, static_cast<uint32_t>(data.size()));
        note_duplicate(start, start + seq_len(old));
        data = data.subspan(old);
        start += seq_len(old);
        _ack_now = true;
    }
    uint32_t room = after(_rcv.adv, start) ? distance(start, _rcv.adv).value : 0;
    if (data.size() > room || (fin && data.size() == room)) {  // the FIN too lies beyond the window
        data = data.first(room);
        fin = false;
        _ack_now = true;
    }
    if (!data.empty() && _app_closed) {
        // Data for an application that closed: RFC 9293 3.6 (as Linux) resets.
        send_reset(_snd.nxt, out);
        close_with(close_reason::aborted);
        return;
    }
    if (!data.empty()) {
        store_first_copy(start, data);
        seq_num end = start + seq_len(static_cast<uint32_t>(data.size()));
        if (start == _rcv.nxt) {
            bool filled_hole = !_ooo.empty();
            seq_num nxt = _ooo.take_contiguous(end);
            _rcvbuf.extend(distance(_rcv.nxt, nxt).value);
            _unacked_bytes += distance(_rcv.nxt, nxt).value;
            _rcv.nxt = nxt;
            _events |= tcp_events::readable;
            // RFC 9293 3.8.6.3 / RFC 5681 4.2: ACK at once when a hole is
            // filled, and at least every second full-size segment.
            if (filled_hole || _unacked_bytes >= 2 * receive_mss()) _ack_now = true;
            else if (_delack_deadline == no_deadline) _delack_deadline = now + _cfg->delayed_ack;
        } else {
            if (_ooo.covers(start, end)) note_duplicate(start, end);
            if (!_ooo.insert(start, end)) {
                out.counters.drop(tcp_drop::ooo_overflow);
            } else {
                note_latest_arrival(start);
                if (fin) {
                    _ooo_fin = true;
                    _rcv.fin = end;
                }
            }
            _ack_now = true;  // out of order: a duplicate ACK at once
            return;
        }
    } else if (fin && start != _rcv.nxt) {
        _ooo_fin = true;  // a bare FIN beyond a hole
        _rcv.fin = start;
        _ack_now = true;
        return;
    }
    seq_num fin_seq = start + seq_len(static_cast<uint32_t>(data.size()));
    if (fin && fin_seq == _rcv.nxt) process_fin(now, fin_seq, out);
    else if (_ooo_fin && _rcv.fin == _rcv.nxt) process_fin(now, _rcv.fin, out);
}

// Writes the parts of the segment that no earlier arrival holds: where data
// overlaps, the first copy stays (as Linux, and as in-order data already
// behaves: octets below RCV.NXT are trimmed), so that a monitor modelled on
// Linux reassembles the same stream (RFC 9293 3.10.7.4 leaves the choice).
void tcb::store_first_copy(seq_num start, std::span<const uint8_t> data) {
    uint32_t base = _rcvbuf.size() + distance(_rcv.nxt, start).value;  // ring offset of `start`
    if (_ooo.empty()) return _rcvbuf.write_at(base, data);  // nothing held: no overlap
    _ooo.for_each_gap(start, start + seq_len(static_cast<uint32_t>(data.size())), [&](seq_num from, seq_num to) {
        uint32_t skip = distance(start, from).value;
        _rcvbuf.write_at(base + skip, data.subspan(skip, distance(from, to).value));
    });
}

// RFC 9293 3.10.7.4 eighth step.
void tcb::process_fin(time_point, seq_num fin_seq, tcp_output&) {
    _rcv.nxt = fin_seq + seq_len(1);
    _ooo_fin = false;
    _events |= tcp_events::peer_closed;
    _ack_now = true;
    switch (_state) {
    case tcp_state::syn_received:
    case tcp_state::established:
        _state = tcp_state::close_wait;
        _idle_deadline = no_deadline;
        return;
    case tcp_state::fin_wait_1:
        _state = tcp_state::closing;  // our FIN not yet acked, else we would be in FIN_WAIT_2
        return;
    case tcp_state::fin_wait_2:
        enter_time_wait();
        return;
    case tcp_state::closed:
    case tcp_state::listen:
    case tcp_state::syn_sent:
    case tcp_state::close_wait:
    case tcp_state::closing:
    case tcp_state::last_ack:
    case tcp_state::time_wait:
        return;
    }
}

// RFC 9293 3.7.1 (MSS), RFC 7323 (window scale, timestamps), RFC 2018
// (SACK-permitted): an option is in use when both SYNs carried it.
void tcb::negotiate_options(const tcp_options& peer) {
    uint16_t mss = peer.mss.value_or(536);  // RFC 9293 3.7.1 default
    mss = std::max(mss, _cfg->min_peer_mss);
    _ts_ok = _cfg->timestamps && peer.has_timestamps;
    _snd.mss = static_cast<uint16_t>(std::min(mss, _cfg->mss) - (_ts_ok ? timestamps_option_size : 0));
    _ws_ok = _cfg->window_scaling && peer.window_shift.has_value();
    _snd.shift = _ws_ok ? peer.clamped_shift() : 0;
    if (!_ws_ok) _rcv.shift = 0;
    _sack_ok = _cfg->sack_permitted && peer.sack_permitted;
    if (_ts_ok) _rcv.ts_recent = peer.ts_val;
}

void tcb::enter_time_wait() {
    _state = tcp_state::time_wait;
    _reason = close_reason::normal;
    _events |= tcp_events::closed | tcp_events::time_wait;
    _rtx_deadline = _delack_deadline = _idle_deadline = no_deadline;
}

}  // namespace fptcp::tcp
