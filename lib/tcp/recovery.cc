// Loss recovery without a timeout: SACK blocks into the scoreboard (RFC
// 2018, RFC 2883); with SACK, RACK's time-based loss detection (RFC 8985
// 6), without it duplicate ACKs (RFC 5681 3.2, early retransmit RFC 5827);
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
    bool dsack = before_or_equal(right0, seg.ack) || inside_second;
    if (dsack) {
        ++out.counters.dsacks_received;
        _rack.on_dsack(_snd.una, _snd.max);
        count_spurious_retransmission(left0, right0, out);
    }
    seq_num fack = _scoreboard.highest(_snd.una);
    bool news = false;
    bool resent_later_arrived = false;
    for (uint8_t i = dsack ? 1 : 0; i < seg.options.sack_count; ++i) {  // a D-SACK delivers nothing new
        seq_num left(blocks[i].left), right(blocks[i].right);
        seq_num from = seq_max(left, seg.ack), to = seq_min(right, _snd.max);
        note_delivered(now, from, to);
        detect_reordering(from, to, fack);  // before the block is added: its holes are what it delivers
        resent_later_arrived |= newly_sacks_data_sent_after_watched_retransmission(from, to);
        news |= _scoreboard.add(left, right, seg.ack, _snd.max);
    }
    // The probe arrived while octets below it are still missing: they were
    // sent at least a PTO before it, so they are lost (RFC 8985 7.4, RACK's
    // rule for this one case).
    if (_probe_out && after(_scoreboard.highest(_snd.una), _probe_seq)) {
        _lost_below = seq_max(_lost_below, seq_min(_probe_seq, _scoreboard.certain_below(_snd.una)));
        _probe_out = false;
    }
    // Not when this very ACK delivers the watched one: acknowledge() moves
    // the watch on (a retransmission filling the hole at SND.UNA is
    // acknowledged together with the SACKs of what was sent after it).
    if (resent_later_arrived && !after(seg.ack, _rxt_seq)) detect_lost_retransmission(now, out);
    return news;
}

// Whether a SACK block [from, to) reports, among the octets not SACKed
// before (the holes of the scoreboard in it), some that went out after the
// watched retransmission: holes resent after it (from HighRxt as it was
// then, up to HighRxt now) or new data sent after it. Only the new octets
// count, and only holes resent later: a block SACKed long ago that grows
// by new data sent before the retransmission, or a hole resent before a
// second copy of the watched one, says nothing of that copy (both mistakes
// resent one segment many times over when large flights kept filling and
// extending the blocks above it).
bool tcb::newly_sacks_data_sent_after_watched_retransmission(seq_num from, seq_num to) const {
    if (!_rxt_watch) return false;
    seq_num hole;
    for (seq_num at = from; before(at, to); at = hole) {
        uint32_t len = _scoreboard.next_hole(at, to, hole);
        if (len == 0) return false;
        seq_num end = hole + seq_len(len);
        bool resent_after = !before(hole, _rxt_high_after) && before(hole, _high_rxt);
        if (after(hole, _rxt_seq) && (resent_after || after(end, _rxt_sent_max))) return true;
        hole = end;
    }
    return false;
}

// A lost retransmission (RFC 8985 6.2's rule applied to the one that
// matters most: the lowest, which holds SND.UNA back). Once octets sent
// after it are SACKed while it is still missing, it is resent at once
// rather than at the RTO; the watch then restarts from this new copy.
void tcb::detect_lost_retransmission(time_point now, tcp_output& out) {
    if (_scoreboard.sacked_between(_rxt_seq, _rxt_seq + seq_len(1)) != 0) {
        watch_next_retransmission();  // it arrived after all
        return;
    }
    ++out.counters.lost_retransmits;
    resend_watched_retransmission(now, out);
}

// The watched retransmission goes again; the watch restarts from this copy.
void tcb::resend_watched_retransmission(time_point now, tcp_output& out) {
    seq_num start;
    uint32_t len = _scoreboard.next_hole(_rxt_seq, _snd.max, start);
    _rxt_watch = false;
    resend(now, start, std::min<uint32_t>(len, _snd.mss), out);
}

// The watched retransmission arrived: watch the lowest one still missing
// (every hole below HighRxt was resent). When it left is not known, but
// not after the latest retransmission: octets above SND.MAX as it was then
// left after it, and when they were SACKed already it is lost
// (watched_retransmission_overtaken). (Taking SND.MAX as it is now, as
// before, waited for data sent from now on: at 10 % loss on a 100 us path
// the few segments sent after a pair of retransmissions were often all
// there was, and the lost one waited for the RTO.)
void tcb::watch_next_retransmission() {
    seq_num hole;
    _rxt_watch = _scoreboard.next_hole(_snd.una, _high_rxt, hole) > 0;
    _rxt_probed = false;
    _rxt_seq = hole;
    _rxt_sent_max = _rxt_latest_max;
    // Holes are resent lowest first (NextSeg, RFC 6675 4), and only the
    // watched one is ever sent a second time: those above it went after it.
    _rxt_high_after = hole + seq_len(1);
}

// RFC 8985 6.2, a retransmission is lost once a segment sent after it was
// delivered: octets sent after the watched one were SACKed while it is
// still missing.
bool tcb::watched_retransmission_overtaken() const {
    return _rxt_watch && after(_scoreboard.highest(_snd.una), _rxt_sent_max);
}

// RFC 2018 8: the cumulative ACK moved up to an octet the peer had SACKed
// and stopped there. A peer that still held it would have acknowledged it
// too, so it dropped what it SACKed (reneging, allowed to a receiver short
// of memory): the scoreboard is cleared and sending goes back to the new
// SND.UNA, so every octet from there goes again as cwnd allows (Linux's
// tcp_check_sack_reneging goes back through a timeout). This is what makes
// it safe to keep the scoreboard across timeouts (timers.cc).
void tcb::forget_reneged_sacks(seq_num ack, tcp_output& out) {
    if (_scoreboard.sacked_between(ack, ack + seq_len(1)) == 0) return;
    ++out.counters.sack_renegings;
    _scoreboard.clear();
    _rxt_watch = false;
    if (after(_snd.nxt, ack)) _snd.nxt = ack;
}

// RFC 3708 2 (spurious retransmission detection with D-SACK): the D-SACK
// [left, right) reports a duplicate of octets resent in the last fast
// recovery, so one of its retransmissions was not needed. Once none is
// left that was needed, the recovery was spurious.
void tcb::count_spurious_retransmission(seq_num left, seq_num right, tcp_output& out) {
    if (!_undo_armed || before(left, _undo_from) || after(right, _high_rxt)) return;
    uint32_t segments = (distance(left, right).value + _snd.mss - 1) / _snd.mss;
    _undo_retrans = static_cast<uint16_t>(_undo_retrans - std::min<uint32_t>(segments, _undo_retrans));
    if (!_in_recovery) undo_if_spurious(out);
}

// RFC 3708 3's response, as Linux's tcp_try_undo_dsack: once every
// retransmission of the last fast recovery was reported a duplicate, and
// that recovery is over, its congestion window reduction is undone. A
// retransmission timeout disarms it (forget_recovery_state).
void tcb::undo_if_spurious(tcp_output& out) {
    if (!_undo_armed || _undo_retrans != 0) return;
    _undo_armed = false;
    ++out.counters.spurious_recoveries;
    _cc.undo_recovery();
}

// After the ACK field was processed: enter, advance or leave fast recovery.
void tcb::detect_loss(time_point now, bool advanced, bool duplicate, tcp_output& out) {
    if (_in_recovery && !before(_snd.una, _recover)) {
        // RFC 6582 3.2 step 3: a full acknowledgment. Octets sent during the
        // recovery may be known lost already: a new one may start at once.
        exit_recovery(now, out);
    } else if (_in_recovery) {
        if (advanced) {
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
    bool lost = (!_sack_ok && _dupacks >= duplicate_threshold()) || lost_boundary() != _snd.una;
    // RFC 6582 3.2 step 2: not again for losses of a window already recovered.
    if (lost && !before(_snd.una, _recover)) enter_recovery(now, out);
}

// RFC 6675 5 steps 4.1 to 4.3 (RFC 5681 3.2 steps 2 and 3 without SACK).
void tcb::enter_recovery(time_point now, tcp_output& out) {
    ++out.counters.fast_recoveries;
    _in_recovery = true;
    _recover = _snd.max;
    _high_rxt = _snd.una;
    _undo_armed = _sack_ok;
    _undo_from = _snd.una;
    _undo_retrans = 0;
    _cc.on_enter_recovery(now, flight_size(), _snd.mss);
    // The first segment goes now whatever the pipe says (fast retransmit).
    _lost_below = seq_max(_lost_below, _snd.una + seq_len(std::min<uint32_t>(_snd.mss, flight_size())));
    resend_lost(now, out);
    // A PTO armed for the tail now guards the fast retransmission, from now
    // (retransmission_needs_probe).
    if (_rtx_mode == rtx_mode::loss_probe) arm_retransmit(now);
}

// RFC 8985 7.2: with data still in flight, the PTO is armed afresh once
// the recovery is over; acknowledge() armed the RTO while it still ran, and
// otherwise a tail lost after the recovery would wait for the RTO (200 ms,
// thousands of round trips on a LAN).
void tcb::exit_recovery(time_point now, tcp_output& out) {
    _in_recovery = false;
    _dupacks = 0;
    _rack.on_recovery_exit();
    _cc.on_exit_recovery(flight_size(), _snd.mss);
    undo_if_spurious(out);
    if (_rtx_mode == rtx_mode::retransmit && _snd.una != _snd.max) arm_retransmit(now);
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

// IsLost as a boundary: below it every un-SACKed octet is lost (RACK, a
// partial ACK or a loss probe said so).
seq_num tcb::lost_boundary() const {
    return seq_min(seq_max(_lost_below, _snd.una), _snd.max);
}

// RFC 8985 6.2 step 2: octets [left, right) were just delivered (ACKed or
// SACKed). Only first transmissions count: octets below HighRxt may have
// been resent.
void tcb::note_delivered(time_point now, seq_num left, seq_num right) {
    if (!before(seq_max(left, _high_rxt), right)) return;
    std::optional<send_time_ledger::bounds> sent = _sent_times.sent_bounds(right - seq_len(1));
    if (sent) _rack.on_delivered(*sent, right, to_micros32(now));
}

// RFC 8985 6.2 step 3: octets never resent arrived below octets SACKed
// before them. For a SACK block: an un-SACKed octet in it below the highest
// SACKed before this ACK. For a cumulative ACK only the first octet counts
// (a hole at SND.UNA filled by its late original): the octets above it may
// have arrived long ago while the ACKs that SACKed them were lost.
void tcb::detect_reordering(seq_num left, seq_num right, seq_num fack) {
    seq_num late;
    uint32_t unsacked = _scoreboard.next_hole(seq_max(left, _high_rxt), right, late);
    if (unsacked > 0 && before(late, fack)) _rack.on_reordering();
}

// RFC 8985 6.2 step 5. First transmissions leave in sequence order, so the
// octets RACK finds lost form a prefix of the ledger: those sent before the
// latest delivered segment whose reordering window has passed. The rest of
// that prefix waits for the reordering timer (6.3).
//
// One departure from 6.2 step 4: before any reordering was seen and outside
// recovery, RACK waits for RFC 6675's DupThresh (lowered for a small flight
// as RFC 5827 does) instead of a min_RTT / 4 window. Measured in the
// simulator (docs/benchmarks.md, "Loss recovery"): at 5 % random loss the
// quarter-RTT timer entered recovery on one or two SACKed segments, and
// goodput fell below the Mathis bound on 4 of 5 seeds; with the gate every
// seed is above it without an RTO.
void tcb::detect_loss_by_time(time_point now) {
    if (!_rack.has_delivery()) return;
    bool dupthresh_sacked = _scoreboard.lost_below(_snd.una, _snd.mss, duplicate_threshold()) != _snd.una;
    if (!_in_recovery && !dupthresh_sacked && !_rack.reordering_seen()) return;
    micros32 deadline_after_send = _rack.rtt() + _rack.reo_wnd(_in_recovery, dupthresh_sacked, _rtt.srtt());
    micros32 now_us = to_micros32(now);
    // Above certain_below, SACKed octets may have been forgotten (the
    // scoreboard keeps a few ranges): no hole there is certain.
    seq_num known = seq_min(_rack.end(), _scoreboard.certain_below(_snd.una));
    int32_t wait = 0;
    seq_num from = _snd.una;
    for (uint8_t i = 0; i < _sent_times.count(); ++i) {
        const send_time_ledger::mark& m = _sent_times[i];
        if (micros_between(m.sent, _rack.xmit()) < 0) break;
        seq_num end = seq_min(m.end, known);
        bool has_hole = before(from, end) && _scoreboard.sacked_between(from, end) < distance(from, end).value;
        int32_t remaining = micros_between(now_us, m.sent + deadline_after_send);
        if (has_hole && remaining > 0) wait = std::max(wait, remaining);
        if (has_hole && remaining <= 0) _lost_below = seq_max(_lost_below, end);
        from = seq_max(from, end);
    }
    if (wait > 0) arm_reorder_timer(now, duration(wait));
}

// RFC 8985 6.3: the reordering timer runs before the RTO or the PTO, on the
// same deadline; not instead of the persist timer, whose window is shut.
// The RTO keeps its time: it is remembered as a delay after the reordering
// deadline, so that reordering timers cannot postpone it without end while
// a lost retransmission holds SND.UNA back.
void tcb::arm_reorder_timer(time_point now, duration wait) {
    time_point rto_at = no_deadline;
    switch (_rtx_mode) {
    case rtx_mode::persist:
        return;
    case rtx_mode::retransmit:
        rto_at = _rtx_deadline;
        break;
    case rtx_mode::reorder:
        rto_at = _rto_after_reorder_us == 0 ? no_deadline : _rtx_deadline + duration(_rto_after_reorder_us);
        break;
    case rtx_mode::loss_probe:
        break;  // the PTO is armed afresh afterwards
    }
    time_point at = now + wait;
    if (rto_at <= at) return;  // the RTO comes first anyway
    _rto_after_reorder_us = rto_at == no_deadline ? 0 : static_cast<uint32_t>((rto_at - at).count());
    _rtx_mode = rtx_mode::reorder;
    _rtx_deadline = at;
}

// RFC 8985 6.3: time has proved octets lost; recover them, then the RTO
// (or PTO) watches again, the RTO at its old time when there was one.
void tcb::on_reorder_timeout(time_point now, tcp_output& out) {
    _rtx_mode = rtx_mode::retransmit;
    _rtx_deadline = _rto_after_reorder_us == 0 ? no_deadline : now + duration(_rto_after_reorder_us);
    detect_loss_by_time(now);
    if (!_in_recovery && lost_boundary() != _snd.una && !before(_snd.una, _recover)) enter_recovery(now, out);
    transmit(now, out);
    if (_rtx_deadline == no_deadline && _snd.una != _snd.max) arm_retransmit(now);
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

// What an ACK that delivered octets tells BBR (bbr.hh): the octets ACKed
// or SACKed so far, one past the highest of them, and the pipe.
delivery_sample tcb::delivery_now(time_point now) const {
    uint32_t sacked = _scoreboard.sacked_between(_snd.una, _snd.max);
    return {.now = to_micros32(now),
            .now_ms = to_ms32(now),
            .delivered = distance(_snd.iss, _snd.una).value + sacked,
            .delivered_edge = _scoreboard.highest(_snd.una),
            .snd_nxt = _snd.max,
            .inflight = pipe()};
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
    arm_loss_probe(now);
}

// One departure from RFC 8985 7.2, which arms no PTO during a recovery.
// RACK proves a retransmission lost once data sent after it is delivered
// (6.2). When nothing is sent after it (all the application wrote is out,
// or the peer's window is full), or all of that is lost too, only the RTO
// is left: 200 ms, a thousand round trips on a LAN. That was the commonest
// stall of an echo through 10 % loss (docs/benchmarks.md, "Round three"):
// the echo's send buffer was full behind its own lost retransmission. So
// during a recovery the PTO guards the watched retransmission (the lowest,
// which holds SND.UNA back): once per copy, a PTO without SND.UNA moving
// sends it again, and the RTO guards that probe.
bool tcb::retransmission_needs_probe() const {
    return _rxt_watch && !_rxt_probed;
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
// SACKed octet (as far as the scoreboard is certain), not (yet) known lost.
bool tcb::resend_below_sacked(time_point now, tcp_output& out) {
    if (!_sack_ok) return false;
    seq_num start;
    uint32_t len = _scoreboard.next_hole(seq_max(_high_rxt, _snd.una), _scoreboard.certain_below(_snd.una), start);
    if (len == 0) return false;
    resend(now, start, std::min<uint32_t>(len, _snd.mss), out);
    return true;
}

// RFC 8985 7.3: send one new segment if the windows allow, else resend the
// last one; either way the RTO guards what follows. In recovery the probe
// is the watched retransmission (retransmission_needs_probe).
void tcb::on_loss_probe_timeout(time_point now, tcp_output& out) {
    _rtx_deadline = no_deadline;
    if (_in_recovery) {
        probe_watched_retransmission(now, out);
        return;
    }
    ++out.counters.loss_probes;
    seq_num sent_from = _snd.max;
    if (!send_data_segment(now, _snd.mss, out)) {
        uint32_t len = std::min<uint32_t>(_snd.mss, flight_size());  // the very last octets
        sent_from = _snd.max - seq_len(len);
        resend(now, sent_from, len, out);
    }
    _probe_out = true;
    _probe_seq = sent_from;
    _rtx_mode = rtx_mode::retransmit;
    _rtx_deadline = now + backed_off_rto();
}

void tcb::probe_watched_retransmission(time_point now, tcp_output& out) {
    if (_rxt_watch) {
        ++out.counters.loss_probes;
        resend_watched_retransmission(now, out);
        _rxt_probed = true;
    }
    _rtx_mode = rtx_mode::retransmit;
    _rtx_deadline = now + backed_off_rto();
}

// RFC 2883: remember the duplicate octets [start, end) for the next ACK.
void tcb::note_duplicate(seq_num start, seq_num end) {
    if (!_sack_ok || !before(start, end)) return;
    _dsack = {start, end};
    _dsack_pending = true;
}

// How many SACK blocks fit in `room` bytes beside the timestamps.
std::size_t tcb::sack_blocks_fitting(uint32_t room) const {
    std::size_t options = wire::max_tcp_options_size - (_ts_ok ? timestamps_option_size : 0);
    return wire::sack_blocks_that_fit(tcp_options::max_sack_blocks, std::min<std::size_t>(room, options));
}

// An out-of-order segment starting at `start` was stored. When it lies in
// another block than the latest arrival before it, that one becomes
// history: its block is repeated in the next options, so that the loss of
// the one ACK that reported it first does not hide it (RFC 2018 4). A
// retransmission filling a low hole lands in such a block while new data
// keeps arriving higher up; reported only once, its loss was believed and
// it was sent again.
void tcb::note_latest_arrival(seq_num start) {
    if (_ooo.index_holding(_last_ooo) != _ooo.index_holding(start)) {
        std::copy_backward(_sack_history.begin(), _sack_history.end() - 1, _sack_history.end());
        _sack_history[0] = _last_ooo;
    }
    _last_ooo = start;
}

// RFC 2018 4 and RFC 2883 4: a D-SACK block first, then the block holding
// the latest out-of-order arrival, then the blocks of the earlier latest
// arrivals, most recent first, then the others, highest first, each block
// once, at most `limit` of them (the option writer keeps as many as fit
// beside the timestamps). Returns whether `limit` left out blocks the
// option had room for; a D-SACK left out stays pending.
bool tcb::add_sack_blocks(tcp_options& options, std::size_t limit) {
    std::size_t room = std::min(sack_blocks_held(), sack_blocks_fitting(UINT32_MAX));
    limit = std::min(limit, room);
    uint8_t n = 0;
    std::array<uint16_t, tcp_options::max_sack_blocks> pushed{};
    uint8_t pushed_count = 0;
    auto push = [&](uint16_t i) {
        bool again = std::find(pushed.begin(), pushed.begin() + pushed_count, i) != pushed.begin() + pushed_count;
        if (n == limit || i >= _ooo.count() || again) return;
        pushed[pushed_count++] = i;
        options.sack[n++] = wire::sack_block{_ooo[i].start.raw(), _ooo[i].end.raw()};
    };
    if (_dsack_pending && limit > 0) {
        options.sack[n++] = wire::sack_block{_dsack.start.raw(), _dsack.end.raw()};
        _dsack_pending = false;
    }
    push(_ooo.index_holding(_last_ooo));
    for (seq_num earlier : _sack_history) push(_ooo.index_holding(earlier));
    for (uint16_t i = _ooo.count(); i-- > 0 && n < limit;) push(i);
    options.sack_count = n;
    return limit < room;
}

}  // namespace fptcp::tcp
