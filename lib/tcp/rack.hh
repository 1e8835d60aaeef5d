#pragma once
// RACK, time-based loss detection (RFC 8985 6): an octet is lost once
// octets sent after it were delivered and a reordering window has passed
// since then, whatever the count of duplicate ACKs.
//
// RACK needs every segment's transmission time (6.1). fptcp's send buffer is
// a byte ring without per-segment records, so the times live in a small
// ledger of marks. New data leaves in sequence order, so send times grow
// with the sequence number and a mark says: the octets from the previous
// mark's end up to `end` were sent at `sent`. Sends at the same
// microsecond share a mark; when the marks run out, the two closest in time
// merge. A merged mark keeps the later time: its octets look sent later
// than they were, so their loss is declared later, never earlier. An RTT
// sample, the other way round, takes the earliest time the octet can have
// left (the previous mark's), so that it is never too short: a too short
// RACK.rtt or min_RTT would declare every older octet lost early. (Taking
// the later time there was a bug: a merged mark can span much of the
// flight, RTT samples from it fell to microseconds on a 10 ms path, and
// reordering caused up to 16 % spurious retransmissions.) Only first
// transmissions are recorded; delivered retransmissions do not feed RACK
// (the step-2 ambiguity of RFC 8985 6.2 never arises), and a lost
// retransmission is found by the rule in recovery.cc.

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>

#include "tcp/clock.hh"
#include "tcp/seq.hh"

namespace fptcp::tcp {

class send_time_ledger {
public:
    static constexpr uint8_t capacity = 6;

    struct mark {
        seq_num end;   // one past the last octet of the mark
        micros32 sent; // when its last octet was sent
    };

    // When an octet left: at `earliest` at the earliest and at `latest` at
    // the latest (the same for a mark never merged).
    struct bounds {
        micros32 earliest;
        micros32 latest;
    };

    bool empty() const { return _count == 0; }
    uint8_t count() const { return _count; }
    const mark& operator[](uint8_t i) const { return _marks[i]; }
    void clear() { _count = 0; }

    // New data up to `end` (exclusive) left at `now`.
    void on_sent(seq_num end, micros32 now) {
        if (_count > 0 && _marks[_count - 1].sent == now) {
            _marks[_count - 1].end = end;
            return;
        }
        if (_count == 0) _floor = now;  // (a merged first mark is no older)
        if (_count == capacity) merge_closest();
        _merged = static_cast<uint8_t>(_merged & ~(1u << _count));
        _marks[_count++] = {end, now};
    }

    // The cumulative ACK reached `una`: marks wholly below it go; the last
    // of them bounds when the first remaining octets left.
    void advance(seq_num una) {
        uint8_t gone = 0;
        while (gone < _count && before_or_equal(_marks[gone].end, una)) ++gone;
        if (gone == 0) return;
        _floor = _marks[gone - 1].sent;
        std::copy(_marks.begin() + gone, _marks.begin() + _count, _marks.begin());
        _count -= gone;
        _merged = static_cast<uint8_t>(_merged >> gone);
    }

    // When octet `seq` left, or nullopt when it was never recorded.
    std::optional<bounds> sent_bounds(seq_num seq) const {
        for (uint8_t i = 0; i < _count; ++i) {
            if (before(seq, _marks[i].end)) return bounds{earliest(i), _marks[i].sent};
        }
        return std::nullopt;
    }

private:
    std::array<mark, capacity> _marks{};
    micros32 _floor = 0;  // the last mark advance() dropped: the first mark's octets left after it
    uint8_t _count = 0;
    uint8_t _merged = 0;  // bit i: mark i was merged, its octets left between mark i - 1's time and its own

    micros32 earliest(uint8_t i) const {
        if ((_merged & (1u << i)) == 0) return _marks[i].sent;
        return i == 0 ? _floor : _marks[i - 1].sent;
    }

    // Merges marks i and i + 1 (into i + 1's end and time) for the i whose
    // times lie closest, the oldest such pair on a tie. (Merging so that
    // every mark stays a short slice of the flight instead made most RTT
    // samples uncertain; in the simulator at 5 % loss, 10 of seeds 1-20
    // then had an RTO, against 4 with this rule.)
    void merge_closest() {
        uint8_t best = 0;
        int32_t best_gap = INT32_MAX;
        for (uint8_t i = 0; i + 1 < _count; ++i) {
            int32_t gap = micros_between(_marks[i].sent, _marks[i + 1].sent);
            if (gap < best_gap) {
                best_gap = gap;
                best = i;
            }
        }
        std::copy(_marks.begin() + best + 1, _marks.begin() + _count, _marks.begin() + best);
        --_count;
        uint8_t below = static_cast<uint8_t>(_merged & ((1u << best) - 1));
        uint8_t above = static_cast<uint8_t>(_merged >> (best + 2) << (best + 1));
        _merged = static_cast<uint8_t>(below | above | (1u << best));
    }
};

// RFC 8985 6.1 and 6.2: the most recently sent delivered segment, the
// minimum RTT, and the reordering window that adapts to D-SACKs.
class rack_state {
public:
    static constexpr uint8_t reo_wnd_persist_recoveries = 16;  // RFC 8985 6.2 step 4

    bool has_delivery() const { return _rtt != 0; }
    micros32 xmit() const { return _xmit; }
    seq_num end() const { return _end; }
    micros32 rtt() const { return _rtt; }
    bool reordering_seen() const { return _reord; }
    uint8_t reo_wnd_mult() const { return _reo_wnd_mult; }

    // Step 2: octets up to `end`, whose last one left within `sent`, were
    // delivered now. RACK.xmit_ts takes the latest time it can have left,
    // RACK.rtt the longest it can have taken.
    void on_delivered(send_time_ledger::bounds sent, seq_num end, micros32 now) {
        bool newer = !has_delivery() || micros_between(_xmit, sent.latest) > 0 ||
                     (sent.latest == _xmit && after(end, _end));
        if (!newer) return;
        _xmit = sent.latest;
        _end = end;
        _rtt = static_cast<micros32>(std::max(micros_between(sent.earliest, now), 1));
        _min_rtt = std::min(_min_rtt, _rtt);
    }

    // Step 3: never-retransmitted octets delivered below ones delivered before.
    void on_reordering() { _reord = true; }

    // Step 4: a D-SACK widens the window by min_RTT / 4, at most once per
    // round trip (until SND.UNA passes `snd_max`). It does not prove
    // reordering (a lost ACK or a probe also causes one), so alone it never
    // opens the window during recovery. A round can only be open while the
    // widening persists.
    void on_dsack(seq_num una, seq_num snd_max) {
        if (_reo_wnd_persist > 0 && before(una, _dsack_round)) return;
        _dsack_round = snd_max;
        if (_reo_wnd_mult < UINT8_MAX) ++_reo_wnd_mult;
        _reo_wnd_persist = reo_wnd_persist_recoveries;
    }

    // Step 4: after 16 recoveries without a D-SACK the window shrinks back.
    void on_recovery_exit() {
        if (_reo_wnd_persist > 0 && --_reo_wnd_persist == 0) _reo_wnd_mult = 1;
    }

    // Step 4, RACK.reo_wnd: zero before any reordering was seen once a loss
    // is certain (in recovery, or when RFC 6675's DupThresh rule would call
    // a hole lost), else min_RTT / 4 per step, never above SRTT.
    micros32 reo_wnd(bool in_recovery, bool dupthresh_sacked, duration srtt) const {
        if (!_reord && (in_recovery || dupthresh_sacked)) return 0;
        uint64_t wnd = uint64_t{_min_rtt == UINT32_MAX ? 0 : _min_rtt / 4} * _reo_wnd_mult;
        return static_cast<micros32>(std::min<uint64_t>(wnd, static_cast<uint64_t>(srtt.count())));
    }

private:
    micros32 _xmit = 0;               // RACK.xmit_ts
    seq_num _end;                     // RACK.end_seq
    micros32 _rtt = 0;                // RACK.rtt; 0 until a first delivery
    micros32 _min_rtt = UINT32_MAX;   // RACK.min_RTT (over the connection's life)
    seq_num _dsack_round;             // RACK.dsack_round
    uint8_t _reo_wnd_mult = 1;        // RACK.reo_wnd_mult
    uint8_t _reo_wnd_persist = 0;     // RACK.reo_wnd_persist
    bool _reord = false;              // RACK.reord
};

}  // namespace fptcp::tcp
