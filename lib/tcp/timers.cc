// Timer expiry: retransmission (RFC 6298), persist (RFC 9293 3.8.6.1),
// delayed ACK (3.8.6.3), keepalive (3.8.4) and the orphaned FIN_WAIT_2.

#include "tcp/tcb.hh"

namespace fptcp::tcp {

void tcb::on_timer(time_point now, tcp_output& out) {
    if (_rtx_deadline <= now) {
        switch (_rtx_mode) {
        case rtx_mode::retransmit:
            on_retransmit_timeout(now, out);
            break;
        case rtx_mode::persist:
            on_persist_timeout(now, out);
            break;
        case rtx_mode::loss_probe:
            on_loss_probe_timeout(now, out);
            break;
        case rtx_mode::reorder:
            on_reorder_timeout(now, out);
            break;
        }
    }
    if (_delack_deadline <= now && _state != tcp_state::closed) send_ack(now, out);
    if (_idle_deadline <= now && _state != tcp_state::closed) on_idle_timeout(now, out);
}

// RFC 6298 5.4 to 5.7: retransmit the earliest unacknowledged segment,
// double the timer, and give up after the configured count (RFC 9293 3.8.3 R2).
void tcb::on_retransmit_timeout(time_point now, tcp_output& out) {
    _rtx_deadline = no_deadline;
    uint8_t limit = _state == tcp_state::syn_sent       ? _cfg->syn_retries
                    : _state == tcp_state::syn_received ? _cfg->synack_retries
                                                        : _cfg->max_retransmits;
    if (_retries >= limit) {
        close_with(close_reason::retransmit_timeout);
        return;
    }
    bool first_timeout = _retries == 0;
    ++_retries;
    if (_retries == _cfg->r1_retransmits) _events |= tcp_events::path_suspect;  // RFC 1122 4.2.3.5: negative advice
    if (_backoff < 30) ++_backoff;
    _rtt_timing = false;  // Karn: never time a retransmitted segment
    _rto_tsval = ts_now(now);
    if (_state == tcp_state::syn_sent || _state == tcp_state::syn_received) {
        ++out.counters.retransmits;
        send_syn(now, _state == tcp_state::syn_received, out);
    } else {
        ++out.counters.timeouts;
        if (first_timeout) {
            _cc.on_retransmit_timeout(now, flight_size(), _snd.mss);
        } else {
            _cc.on_repeated_timeout(_snd.mss);
        }
        forget_recovery_state();
        _snd.nxt = _snd.una;  // go back: resend from the first unacknowledged octet
        transmit(now, out);
        if (_rtx_mode == rtx_mode::persist) {
            // The peer shrank its window to zero under data in flight, so
            // transmit() sent nothing and armed the persist timer: probe now
            // and go on probing (RFC 9293 3.8.6.1).
            send_window_probe(now, out);
            return;
        }
    }
    arm_retransmit(now);
}

// After a timeout fast recovery ends and no fast retransmit is started for
// the octets sent before it (RFC 6582 3.2 step 2 and RFC 6675 5.1: recover =
// the highest sent); going back from SND.UNA skips what the peer SACKed.
// The scoreboard is kept across timeouts, as Linux keeps it: RFC 2018 8
// suggests dropping it in case the peer reneged, but reneging shows itself
// (an ACK that stops at a SACKed octet: forget_reneged_sacks), and
// dropping it on every second timeout of the same data resent whole
// windows the peer held (5 % of the segments, on the simulator's 1 ms path
// at 10 % loss with BBR).
void tcb::forget_recovery_state() {
    _in_recovery = false;
    _undo_armed = false;  // no undo after a timeout (F-RTO, RFC 5682, is not implemented)
    _probe_out = false;
    _rxt_watch = false;
    _dupacks = 0;
    _recover = _snd.max;
    _lost_below = _snd.una;
    _high_rxt = _snd.una;
}

void tcb::on_persist_timeout(time_point now, tcp_output& out) {
    if (_retries >= _cfg->max_retransmits) {
        close_with(close_reason::retransmit_timeout);
        return;
    }
    ++_retries;
    if (_backoff < 30) ++_backoff;
    send_window_probe(now, out);
    _rtx_mode = rtx_mode::persist;
    _rtx_deadline = now + backed_off_rto();
}

// Keepalive (RFC 9293 3.8.4): after the idle time, probes with
// SEG.SEQ = SND.NXT - 1 that any live peer answers with an ACK; after the
// last unanswered probe, abort with RST (as Linux). The same deadline ends an
// orphaned FIN_WAIT_2.
void tcb::on_idle_timeout(time_point now, tcp_output& out) {
    _idle_deadline = no_deadline;
    if (_state == tcp_state::fin_wait_2) {
        send_reset(_snd.nxt, out);
        close_with(close_reason::aborted);
        return;
    }
    if (!_keepalive) return;
    if (_snd.una != _snd.max) {
        refresh_idle_deadline(now);  // data in flight: the retransmission timer watches
        return;
    }
    if (_keepalive_probes >= _cfg->keepalive_probes) {
        send_reset(_snd.nxt, out);
        close_with(close_reason::keepalive_timeout);
        return;
    }
    ++_keepalive_probes;
    begin_segment(now, _snd.nxt - seq_len(1), tcp_flags::ack, out);
    _idle_deadline = now + _cfg->keepalive_interval;
}

void tcb::refresh_idle_deadline(time_point now) {
    if (!_keepalive || (_state != tcp_state::established && _state != tcp_state::close_wait)) return;
    _keepalive_probes = 0;
    _idle_deadline = now + _cfg->keepalive_idle;
}

}  // namespace fptcp::tcp
