#include "tcp/listen.hh"

namespace fptcp::tcp {

listen_verdict listen_input(const four_tuple& tuple, const segment& seg, tcp_output& out) {
    // First, a RST can only be for an old connection: ignore it.
    if (seg.has(tcp_flags::rst)) {
        out.counters.drop(tcp_drop::listen_bad_flags);
        return listen_verdict::drop;
    }
    // Second, an ACK (a SYN-ACK too) means no connection here: <SEQ=SEG.ACK><CTL=RST>.
    if (seg.has(tcp_flags::ack)) {
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

}  // namespace fptcp::tcp
