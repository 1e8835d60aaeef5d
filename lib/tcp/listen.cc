#include "tcp/listen.hh"

#include <algorithm>

#include "tcp/tcb.hh"

namespace fptcp::tcp {

listen_verdict listen_input(const four_tuple& tuple, const segment& seg, tcp_output& out) {
    // First, a RST can only be for an old connection: ignore it.
    if (seg.has(tcp_flags::rst)) {
        out.counters.drop(tcp_drop::listen_bad_flags);
        return listen_verdict::drop;
    }
    // Second, an ACK means no connection here (a SYN cookie aside):
    // <SEQ=SEG.ACK><CTL=RST>; a SYN-ACK never carries a cookie back.
    if (seg.has(tcp_flags::ack)) {
        if (!seg.has(tcp_flags::syn)) return listen_verdict::ack;
        emit_reset(out, tuple, seg.ack);
        return listen_verdict::answered;
    }
    // Third, a SYN opens; SYN+FIN is no legitimate opening and is dropped.
    if (seg.has(tcp_flags::syn) && !seg.has(tcp_flags::fin)) return listen_verdict::accept;
    out.counters.drop(tcp_drop::listen_bad_flags);
    return listen_verdict::drop;
}

void reset_for_closed(const four_tuple& tuple, const segment& seg, tcp_output& out) {
    out.counters.drop(tcp_drop::closed_port);
    if (seg.has(tcp_flags::rst)) return;
    if (seg.has(tcp_flags::ack)) {
        emit_reset(out, tuple, seg.ack);  // <SEQ=SEG.ACK><CTL=RST>
        return;
    }
    seq_num ack = seg.seq + seg.length();  // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
    emit_reset(out, tuple, seq_num(0), &ack);
}

// The SYN-ACK tcb::open_passive would send (window, MSS, options), with the
// cookie as ISN and the window scale and SACK-permitted answers in the TSval.
void answer_with_cookie(syn_cookie_jar& jar, const four_tuple& tuple, const tcp_config& cfg, time_point now,
                        const segment& syn, tcp_output& out) {
    uint32_t slot = syn_cookie_jar::slot_at(now);
    uint8_t mss_index = syn_cookie_jar::mss_index_for(syn.options.mss.value_or(536));  // RFC 9293 3.7.1 default
    seq_num cookie = jar.make(tuple, syn.seq, slot, mss_index);
    jar.note_issued(slot);
    ++out.counters.syn_cookies_sent;
    uint16_t window = static_cast<uint16_t>(std::min<uint32_t>(cfg.receive_buffer, 0xffff));
    outgoing_segment& s = emit(out, tuple, cookie, syn.seq + seq_len(1), tcp_flags::syn | tcp_flags::ack, window);
    s.options.mss = cfg.mss;
    if (!cfg.timestamps || !syn.options.has_timestamps) return;
    cookie_ts_options answered;
    if (cfg.window_scaling && syn.options.window_shift) answered.window_shift = syn.options.clamped_shift();
    answered.sack_permitted = cfg.sack_permitted && syn.options.sack_permitted;
    s.options.has_timestamps = true;
    s.options.ts_val = cookie_ts_val(to_ms32(now) + cookie.raw(), answered);  // the TCB's clock (tcb::ts_now)
    s.options.ts_ecr = syn.options.ts_val;
    if (answered.window_shift) s.options.window_shift = window_shift_for(cfg.receive_buffer);
    s.options.sack_permitted = answered.sack_permitted;
}

std::optional<tcp_options> accept_cookie(const syn_cookie_jar& jar, const four_tuple& tuple, time_point now,
                                         const segment& ack, tcp_output& out) {
    uint32_t slot = syn_cookie_jar::slot_at(now);
    if (jar.issued_since(slot - 1)) {
        seq_num peer_isn = ack.seq - seq_len(1);
        if (std::optional<uint8_t> mss_index = jar.check(tuple, peer_isn, ack.ack - seq_len(1), slot)) {
            ++out.counters.syn_cookies_accepted;
            tcp_options syn;
            syn.mss = syn_cookie_jar::mss_table[*mss_index];
            // Timestamps are on when the peer echoes a TSval (TSecr 0: none, as Linux).
            if (ack.options.has_timestamps && ack.options.ts_ecr != 0) {
                cookie_ts_options answered = cookie_ts_options::decode(ack.options.ts_ecr);
                syn.has_timestamps = true;
                syn.ts_val = ack.options.ts_val;
                syn.window_shift = answered.window_shift;
                syn.sack_permitted = answered.sack_permitted;
            }
            return syn;
        }
        ++out.counters.syn_cookies_rejected;
    }
    emit_reset(out, tuple, ack.ack);
    return std::nullopt;
}

}  // namespace fptcp::tcp
