#include "tcp/time_wait.hh"

#include "tcp/tcb.hh"

namespace fptcp::tcp {

time_wait_entry make_time_wait_entry(const tcb& t, time_point now) {
    time_wait_entry e;
    e.tuple = t.tuple();
    e.snd_nxt = t.snd().nxt;
    e.rcv_nxt = t.rcv().nxt;
    e.ts_ok = t.timestamps_enabled();
    e.ts_recent = t.rcv().ts_recent;
    e.ts_offset = t.ts_offset();
    e.twice_msl_ms = static_cast<uint32_t>(std::chrono::milliseconds(2 * t.config().msl).count());
    e.deadline = now + std::chrono::milliseconds(e.twice_msl_ms);
    e.window = static_cast<uint16_t>(std::min<uint32_t>(t.receive_window() >> t.rcv().shift, 0xffff));
    return e;
}

namespace {

void send_time_wait_ack(const time_wait_entry& e, time_point now, tcp_output& out) {
    outgoing_segment& s = emit(out, e.tuple, e.snd_nxt, e.rcv_nxt, tcp_flags::ack, e.window);
    if (e.ts_ok) {
        s.options.has_timestamps = true;
        s.options.ts_val = to_ms32(now) + e.ts_offset;
        s.options.ts_ecr = e.ts_recent;
    }
}

// RFC 6191 section 2: a SYN may reuse the tuple when its timestamp is newer
// than the old connection's, or, without timestamps, when its sequence number
// is above the old RCV.NXT.
bool may_reopen(const time_wait_entry& e, const segment& syn) {
    if (e.ts_ok && syn.options.has_timestamps) return after(seq_num(syn.options.ts_val), seq_num(e.ts_recent));
    return after(syn.seq, e.rcv_nxt);
}

}  // namespace

time_wait_verdict time_wait_input(time_wait_entry& e, time_point now, const segment& seg, tcp_output& out) {
    if (seg.has(tcp_flags::rst)) {  // RFC 1337: TIME-WAIT assassination is refused
        out.counters.drop(tcp_drop::rst_in_time_wait);
        return time_wait_verdict::keep;
    }
    if (seg.has(tcp_flags::syn) && !seg.has(tcp_flags::ack) && may_reopen(e, seg)) return time_wait_verdict::reopen;
    if (e.ts_ok && seg.options.has_timestamps && before(seq_num(seg.options.ts_val), seq_num(e.ts_recent))) {
        out.counters.drop(tcp_drop::paws);
        send_time_wait_ack(e, now, out);
        return time_wait_verdict::keep;
    }
    // The peer's FIN again (our last ACK was lost): ACK it and restart 2*MSL.
    bool fin_again = seg.has(tcp_flags::fin) && seg.seq + seg.length() == e.rcv_nxt;
    if (fin_again) {
        e.deadline = now + std::chrono::milliseconds(e.twice_msl_ms);
        send_time_wait_ack(e, now, out);
        return time_wait_verdict::keep;
    }
    // An in-order bare ACK needs nothing (answering it could start an ACK
    // loop with a peer also in TIME-WAIT); anything else is acknowledged, as
    // an unacceptable segment (or, for a SYN, a challenge ACK, RFC 5961 4).
    if (seg.length().value == 0 && seg.seq == e.rcv_nxt && !seg.has(tcp_flags::syn)) return time_wait_verdict::keep;
    out.counters.drop(tcp_drop::not_acceptable);
    send_time_wait_ack(e, now, out);
    return time_wait_verdict::keep;
}

}  // namespace fptcp::tcp
