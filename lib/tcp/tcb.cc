// Opening a TCB and the application's calls (RFC 9293 3.10.1 to 3.10.6).

#include "tcp/tcb.hh"

namespace fptcp::tcp {

// The smallest shift that lets the receive buffer be announced in 16 bits.
uint8_t window_shift_for(uint32_t buffer) {
    uint8_t shift = 0;
    while ((buffer >> shift) > 0xffff && shift < wire::tcp_options::max_window_shift) ++shift;
    return shift;
}

tcb::tcb(const tcp_config& cfg, four_tuple tuple, connection_storage storage)
    : _cfg(&cfg),
      _tuple(tuple),
      _rtt(cfg.rto_initial),
      _scoreboard(storage.ranges, cfg.max_sack_ranges),
      _sndbuf(storage.send),
      _rcvbuf(storage.receive),
      _ooo(storage.ranges, cfg.max_ooo_ranges) {
    _rcv.shift = cfg.window_scaling ? window_shift_for(_rcvbuf.capacity()) : 0;
    _keepalive = cfg.keepalive;
    _nodelay = !cfg.nagle;
}

void tcb::open_active(time_point now, seq_num iss, tcp_output& out) {
    _snd.iss = _snd.una = _snd.nxt = _snd.max = iss;
    _recover = _high_rxt = _lost_below = _short_end = iss;
    _ts_offset = iss.raw();  // RFC 7323 7.1: a per-connection offset, as unpredictable as the ISN
    _state = tcp_state::syn_sent;
    send_syn(now, false, out);
    arm_retransmit(now);
}

void tcb::open_passive(time_point now, seq_num iss, const segment& syn, tcp_output& out) {
    _passive = true;
    _snd.iss = _snd.una = _snd.nxt = _snd.max = iss;
    _recover = _high_rxt = _lost_below = _short_end = iss;
    _ts_offset = iss.raw();
    _rcv.irs = syn.seq;
    _rcv.nxt = syn.seq + seq_len(1);
    _rcv.up = _rcv.nxt;
    negotiate_options(syn.options);
    _state = tcp_state::syn_received;
    send_syn(now, true, out);
    arm_retransmit(now);
}

// The SYN-ACK went out statelessly (listen.hh, answer_with_cookie): its
// window is the one open_passive announces, so RCV.ADV follows from it. No
// RTT sample: the echoed TSval was rounded to carry the options.
void tcb::open_from_cookie(time_point now, const tcp_options& syn, const segment& ack, tcp_output& out) {
    _passive = true;
    seq_num iss = ack.ack - seq_len(1);
    _snd.iss = iss;
    _snd.una = _snd.nxt = _snd.max = ack.ack;
    _recover = _high_rxt = _lost_below = _short_end = iss;
    _ts_offset = iss.raw();
    _sent_floor_tsval = ts_now(now);  // every octet from SND.UNA on is yet to be sent
    _rcv.irs = ack.seq - seq_len(1);
    _rcv.nxt = _rcv.up = _rcv.last_ack_sent = ack.seq;
    negotiate_options(syn);
    _rcv.adv = _rcv.nxt + seq_len(std::min<uint32_t>(_rcvbuf.free_space(), 0xffff));
    enter_established(now, ack);
    input_synchronized(now, ack, out);
}

uint32_t tcb::send(time_point now, std::span<const uint8_t> data, tcp_output& out, bool more) {
    switch (_state) {
    case tcp_state::syn_sent:
    case tcp_state::syn_received:
    case tcp_state::established:
    case tcp_state::close_wait:
        break;
    case tcp_state::closed:
    case tcp_state::listen:
    case tcp_state::fin_wait_1:
    case tcp_state::fin_wait_2:
    case tcp_state::closing:
    case tcp_state::last_ack:
    case tcp_state::time_wait:
        return 0;
    }
    if (_fin_queued) return 0;
    uint32_t taken = _sndbuf.append(data);
    if (!more) transmit(now, out);
    return taken;
}

std::array<std::span<const uint8_t>, 2> tcb::readable() const {
    return _rcvbuf.view(0, _rcvbuf.size());
}

// Reading frees receive space. A window update goes out on its own only when
// the peer could be held up (the announced window is below half the buffer)
// and the window would grow by two segments or half the buffer (as BSD);
// otherwise the next ACK carries the growth.
void tcb::consume(time_point now, uint32_t n, tcp_output& out) {
    _rcvbuf.consume(std::min(n, _rcvbuf.size()));
    if (has_received_fin(_state) || !is_synchronized(_state)) return;
    uint32_t half = _rcvbuf.capacity() / 2;
    uint32_t announced = receive_window();
    if (announced < half && _rcvbuf.free_space() >= announced + std::min(half, 2 * receive_mss())) {
        send_ack(now, out);
    }
}

void tcb::shutdown(time_point now, tcp_output& out) {
    switch (_state) {
    case tcp_state::syn_sent:
        close_with(close_reason::normal);  // nothing was synchronized: just delete
        return;
    case tcp_state::syn_received:
        _fin_queued = true;  // sent once the handshake completes
        return;
    case tcp_state::established:
        _fin_queued = true;
        _state = tcp_state::fin_wait_1;
        transmit(now, out);
        return;
    case tcp_state::close_wait:
        _fin_queued = true;
        _state = tcp_state::last_ack;
        transmit(now, out);
        return;
    case tcp_state::closed:
    case tcp_state::listen:
    case tcp_state::fin_wait_1:
    case tcp_state::fin_wait_2:
    case tcp_state::closing:
    case tcp_state::last_ack:
    case tcp_state::time_wait:
        return;
    }
}

void tcb::close(time_point now, tcp_output& out) {
    if (_rcvbuf.size() > 0 && is_synchronized(_state)) {
        abort(now, out);
        return;
    }
    _app_closed = true;
    if (_state == tcp_state::fin_wait_2) _idle_deadline = now + _cfg->fin_wait_2_timeout;
    shutdown(now, out);
}

void tcb::abort(time_point, tcp_output& out) {
    if (is_synchronized(_state) && _state != tcp_state::time_wait) send_reset(_snd.nxt, out);
    close_with(close_reason::aborted);
}

void tcb::set_keepalive(time_point now, bool on) {
    _keepalive = on;
    _idle_deadline = no_deadline;
    refresh_idle_deadline(now);
}

time_point tcb::next_deadline() const {
    return earliest(_rtx_deadline, earliest(_delack_deadline, _idle_deadline));
}

void tcb::close_with(close_reason r) {
    _state = tcp_state::closed;
    _reason = r;
    _events |= tcp_events::closed;
    _rtx_deadline = _delack_deadline = _idle_deadline = no_deadline;
}

}  // namespace fptcp::tcp
