// Loss recovery without a timeout: SACK blocks into the scoreboard (RFC
// 2018, RFC 2883), duplicate ACKs and fast retransmit (RFC 5681 3.2),
// limited transmit (RFC 3042), fast recovery driven by the pipe (RFC 6675,
// and for a peer without SACK NewReno's partial ACKs, RFC 6582), and the
// tail loss probe (RFC 8985 7). The congestion module says how large cwnd
// is; this file says what to send.

#include <algorithm>

#include "tcp/tcb.hh"

namespace fptcp::tcp {

// RFC 2018 / RFC 6675 3: record the peer's SACK blocks (the caller checked
// that SACK is on and the segment carries blocks). Returns whether they
// reported octets not SACKed before. A first block below SND.UNA or inside
// the second is a D-SACK (RFC 2883 4): a duplicate reached the peer.
bool tcb::take_sack_blocks(time_point now, const segment& seg, tcp_output& out) {
    const auto& blocks = seg.options.sack;
    seq_num left0(blocks[0].left), right0(blocks[0].right);
    bool inside_second = seg.options.sack_count > 1 && !before(left0, seq_num(blocks[1].left)) &&
                         !after(right0, seq_num(blocks[1].right));
    if (before_or_equal(right0, seg.ack) || inside_second) ++out.counters.dsacks_received;
    bool news = false;
    bool resent_later_arrived = false;
    for (uint8_t i = 0; i < seg.options.sack_count; ++i) {
        seq_num left(blocks[i].left), right(blocks[i].right);
        bool added = _scoreboard.add(left, right, seg.ack, _snd.max);
        news |= added;
        resent_later_arrived |= added && sent_after_watched_retransmission(left, right);
    }
    // The probe arrived while octets below it are still missing: they were
    // sent at least a PTO before it, so they are lost (RFC 8985 7.4, RACK's
    // rule for this one case).
    if (_probe_out && after(_scoreboard.highest(_snd.una), _probe_seq)) {
        _lost_below = seq_max(_lost_below, _probe_seq);
        _probe_out = false;
    }
    if (resent_later_arrived) detect_lost_retransmission(now, out);
    return news;
}

// Whether the SACKed octets [left, right) went out after the watched
// retransmission: resent above it (up to HighRxt, in recovery or going back
// after a timeout) or new data sent after it.
bool tcb::sent_after_watched_retransmission(seq_num left, seq_num right) const {
    return _rxt_watch && after(left, _rxt_seq) && (before(left, _high_rxt) || after(right, _rxt_sent_max));
}

// A lost retransmission (RFC 8985 6.2's rule applied to the one that
// matters most: the lowest, which holds SND.UNA back). Once octets sent
// after it are SACKed while it is still missing, it is resent at once
// rather than at the RTO; the watch then restarts from this new copy.
void tcb::detect_lost_retransmission(time_point now, tcp_output& out) {
    if (_scoreboard.sacked_between(_rxt_seq, _rxt_seq + seq_len(1)) != 0) {
        _rxt_watch = false;  // it arrived after all
        return;
    }
    seq_num start;
    uint32_t len = _scoreboard.next_hole(_rxt_seq, _snd.max, start);
    ++out.counters.lost_retransmits;
    _rxt_watch = false;
    resend(now, start, std::min<uint32_t>(len, _snd.mss), out);
}

// After the ACK field was processed: enter, advance or leave fast recovery.
void tcb::detect_loss(time_point now, bool advanced, bool duplicate, tcp_output& out) {
    if (_in_recovery) {
        if (!before(_snd.una, _recover)) {
            exit_recovery();  // RFC 6582 3.2 step 3: a full acknowledgment
        } else if (advanced) {
            // A partial ACK: the octets now at SND.UNA were sent before the
            // retransmission that arrived, so they are lost too. Without SACK
            // they go at once (RFC 6582 3.2 step 4); with SACK the pipe decides.
            _dupacks = 0;
            _lost_below = seq_max(_lost_below, _snd.una + seq_len(std::min<uint32_t>(_snd.mss, flight_size())));
            if (!_sack_ok) resend_lost(now, out);
        } else if (duplicate && _dupacks < UINT8_MAX) {
            ++_dupacks;
        }
        return;
    }
    if (advanced) {
        _dupacks = 0;
        if (!after(_lost_below, _snd.una)) return;  // nothing a probe proved lost remains
    } else if (duplicate && _dupacks < UINT8_MAX) {
        ++_dupacks;
    }
    bool lost = _dupacks >= duplicate_threshold() || lost_boundary() != _snd.una;
    // RFC 6582 3.2 step 2: not again for losses of a window already recovered.
    if (lost && !before(_snd.una, _recover)) enter_recovery(now, out);
}

// RFC 6675 5 steps 4.1 to 4.3 (RFC 5681 3.2 steps 2 and 3 without SACK).
void tcb::enter_recovery(time_point now, tcp_output& out) {
    ++out.counters.fast_recoveries;
    _in_recovery = true;
    _recover = _snd.max;
    _high_rxt = _snd.una;
    _cc.on_enter_recovery(now, flight_size(), _snd.mss);
    // The first segment goes now whatever the pipe says (fast retransmit).
    _lost_below = seq_max(_lost_below, _snd.una + seq_len(std::min<uint32_t>(_snd.mss, flight_size())));
    resend_lost(now, out);
}

void tcb::exit_recovery() {
    _in_recovery = false;
    _dupacks = 0;
    _cc.on_exit_recovery(flight_size(), _snd.mss);
}

// DupThresh, lowered for a small flight with nothing new to send (early
// retransmit, RFC 5827 3.1/3.2): with fewer than four segments out, three
// duplicates can never come, and only the RTO would be left.
uint32_t tcb::duplicate_threshold() const {
    uint32_t segments = (flight_size() + _snd.mss - 1) / _snd.mss;
    bool unsent = before(_snd.nxt, data_end()) || (_fin_queued && !_fin_sent);
    if (segments >= 4 || unsent) return sack_scoreboard::dup_thresh;
    return std::max<uint32_t>(segments, 2) - 1;
}

// RFC 6675 4, IsLost as a boundary: below it every un-SACKed octet is lost.
seq_num tcb::lost_boundary() const {
    seq_num by_sack = _scoreboard.lost_below(_snd.una, _snd.mss, duplicate_threshold());
    return seq_min(seq_max(seq_max(by_sack, _lost_below), _snd.una), _snd.max);
}

// RFC 6675 4, SetPipe(): octets in flight. Un-SACKed octets count once
// unless lost, and once more when resent in this recovery. Without SACK
// each duplicate ACK stands for one segment that left the network (the
// RFC 5681 3.2 window inflation, counted on the pipe instead).
uint32_t tcb::pipe() const {
    uint32_t flight = flight_size();
    if (!_sack_ok) {
        uint32_t left = uint32_t{_dupacks} * _snd.mss;
        return flight > left ? flight - left : 0;
    }
    seq_num lost = lost_boundary();
    seq_num resent = seq_max(_high_rxt, _snd.una);
    uint32_t sacked = _scoreboard.sacked_between(_snd.una, _snd.max);
    uint32_t lost_octets = distance(_snd.una, lost).value - _scoreboard.sacked_between(_snd.una, lost);
    uint32_t resent_octets = distance(_snd.una, resent).value - _scoreboard.sacked_between(_snd.una, resent);
    return flight - sacked - lost_octets + resent_octets;
}

// RFC 6675 5 step (C): while cwnd - pipe >= 1 SMSS, send what NextSeg()
// names: a lost hole (rule 1), new data (rule 2), or a hole below SACKed
// octets (rule 3).
void tcb::transmit_in_recovery(time_point now, tcp_output& out) {
    while (out.has_room_for_data() && pipe() + _snd.mss <= _cc.cwnd()) {
        if (resend_lost(now, out)) continue;
        if (send_data_segment(now, _snd.mss, out)) continue;
        if (!resend_below_sacked(now, out)) break;
    }
}

// NextSeg() rule 1: the first lost, un-SACKed octets not yet resent.
bool tcb::resend_lost(time_point now, tcp_output& out) {
    seq_num start;
    uint32_t len = _scoreboard.next_hole(seq_max(_high_rxt, _snd.una), lost_boundary(), start);
    if (len == 0) return false;
    resend(now, start, std::min<uint32_t>(len, _snd.mss), out);
    return true;
}

// NextSeg() rule 3: un-SACKed octets above HighRxt and below the highest
// SACKed octet, not (yet) known lost.
bool tcb::resend_below_sacked(time_point now, tcp_output& out) {
    if (!_sack_ok) return false;
    seq_num start;
    uint32_t len = _scoreboard.next_hole(seq_max(_high_rxt, _snd.una), _scoreboard.highest(_snd.una), start);
    if (len == 0) return false;
    resend(now, start, std::min<uint32_t>(len, _snd.mss), out);
    return true;
}

// RFC 8985 7.3: send one new segment if the windows allow, else resend the
// last one; either way the RTO guards what follows.
void tcb::on_loss_probe_timeout(time_point now, tcp_output& out) {
    _rtx_deadline = no_deadline;
    ++out.counters.loss_probes;
    seq_num sent_from = _snd.max;
    if (!send_data_segment(now, _snd.mss, out)) {
        uint32_t len = std::min<uint32_t>(_snd.mss, flight_size());
        sent_from = _snd.max - seq_len(len);
        resend(now, sent_from, len, out);
    }
    _probe_out = true;
    _probe_seq = sent_from;
    _rtx_mode = rtx_mode::retransmit;
    _rtx_deadline = now + backed_off_rto();
}

// RFC 2883: remember the duplicate octets [start, end) for the next ACK.
void tcb::note_duplicate(seq_num start, seq_num end) {
    if (!_sack_ok || !before(start, end)) return;
    _dsack = {start, end};
    _dsack_pending = true;
}

// RFC 2018 4 and RFC 2883 4: a D-SACK block first, then the block holding
// the latest out-of-order arrival, then the others, highest first. The
// option writer keeps as many as fit beside the timestamps.
void tcb::add_sack_blocks(tcp_options& options) {
    uint8_t n = 0;
    auto push = [&](seq_num left, seq_num right) {
        if (n < tcp_options::max_sack_blocks) options.sack[n++] = wire::sack_block{left.raw(), right.raw()};
    };
    if (_dsack_pending) {
        push(_dsack.start, _dsack.end);
        _dsack_pending = false;
    }
    uint8_t latest = _ooo.count();
    for (uint8_t i = 0; i < _ooo.count(); ++i) {
        if (!before(_last_ooo, _ooo[i].start) && before(_last_ooo, _ooo[i].end)) latest = i;
    }
    if (latest < _ooo.count()) push(_ooo[latest].start, _ooo[latest].end);
    for (uint8_t i = _ooo.count(); i-- > 0;) {
        if (i != latest) push(_ooo[i].start, _ooo[i].end);
    }
    options.sack_count = n;
}

}  // namespace fptcp::tcp
