#pragma once
// The sender's SACK scoreboard (RFC 6675 section 3): which octets above
// SND.UNA the peer has reported holding (RFC 2018 SACK blocks), as a few
// sorted, disjoint ranges, and the questions RFC 6675 asks of it: IsLost
// (as one boundary below which every hole is lost), the holes to fill, and
// the octets SACKed in a span (for the pipe).
//
// The ranges come from the lcore's range_pool (range_set.hh), as many as the
// peer reports over time, up to tcp_config::max_sack_ranges. When a block
// would need more than that, or the pool has no block left, the highest
// range is dropped. Forgetting a SACK must
// only make the sender more cautious: the pipe counts the octets in flight,
// and the span the forgotten ranges lay in is remembered until SND.UNA
// passes it, so that no hole there is taken for a loss (certain_below).

#include <cstdint>

#include "tcp/range_set.hh"
#include "tcp/seq.hh"

namespace fptcp::tcp {

class sack_scoreboard {
public:
    static constexpr uint32_t dup_thresh = 3;  // RFC 6675 2: DupThresh

    using range = seq_range;

    sack_scoreboard(range_pool* pool, uint16_t max_ranges) : _set(pool, max_ranges) {}

    bool empty() const { return _set.empty(); }
    uint16_t count() const { return _set.count(); }
    const range& operator[](uint16_t i) const { return _set[i]; }
    void clear() {
        _set.clear();
        _uncertain_from = _uncertain_end;
    }

    // One SACK block from the peer, clipped to (una, max]. Returns whether
    // it reported octets not SACKed before.
    bool add(seq_num left, seq_num right, seq_num una, seq_num max) {
        seq_num start = seq_max(left, una);
        seq_num end = seq_min(right, max);
        if (!before(start, end)) return false;
        if (sacked_between(start, end) == distance(start, end).value) return false;
        while (!_set.insert(start, end)) {
            if (_set.empty() || !before(start, _set.last().start)) {  // no room at all, or above all: forget it
                forget(start, end);
                return true;
            }
            const range& last = _set.last();
            forget(last.start, last.end);
            _set.drop_last();
        }
        return true;
    }

    // The cumulative ACK moved to `una`: forget the ranges it reached.
    void advance(seq_num una) {
        _set.take_contiguous(una);
        if (!before(una, _uncertain_end)) {
            _uncertain_from = _uncertain_end;
        } else if (after(una, _uncertain_from)) {
            _uncertain_from = una;
        }
    }

    // Below it the scoreboard is exact: every octet it does not hold is
    // missing at the peer. Above it ranges were dropped for room.
    seq_num certain_below(seq_num una) const {
        seq_num top = highest(una);
        return _uncertain_from == _uncertain_end ? top : seq_min(top, seq_max(_uncertain_from, una));
    }

    // Octets SACKed within [from, to).
    uint32_t sacked_between(seq_num from, seq_num to) const {
        uint32_t n = 0;
        for (uint16_t i = 0; i < _set.count(); ++i) {
            seq_num a = seq_max(_set[i].start, from);
            seq_num b = seq_min(_set[i].end, to);
            if (before(a, b)) n += distance(a, b).value;
        }
        return n;
    }

    // RFC 6675 4, IsLost(SeqNum): an octet is lost when `threshold`
    // (DupThresh) discontiguous SACKed ranges lie above it, or more than
    // (DupThresh - 1) * SMSS SACKed octets. Holes sit only below range
    // starts, so the answer is one boundary: every un-SACKed octet below
    // the returned sequence number is lost (`una` when none is).
    seq_num lost_below(seq_num una, uint32_t mss, uint32_t threshold = dup_thresh) const {
        uint32_t above = 0;
        for (uint16_t i = _set.count(); i-- > 0;) {
            above += distance(_set[i].start, _set[i].end).value;
            uint32_t ranges_above = _set.count() - i;
            if (ranges_above >= threshold || above > (threshold - 1) * mss) {
                return seq_min(_set[i].start, certain_below(una));
            }
        }
        return una;
    }

    // The first un-SACKed octet at or after `from` and below `limit` (in
    // `start`), and how many un-SACKed octets follow it (0 when none).
    uint32_t next_hole(seq_num from, seq_num limit, seq_num& start) const {
        start = from;
        for (uint16_t i = 0; i < _set.count() && before(start, limit); ++i) {
            if (before_or_equal(_set[i].end, start)) continue;
            if (before(start, _set[i].start)) return distance(start, seq_min(_set[i].start, limit)).value;
            start = _set[i].end;  // inside a SACKed range: skip it
        }
        return before(start, limit) ? distance(start, limit).value : 0;
    }

    // One past the highest SACKed octet (`una` when nothing is SACKed).
    seq_num highest(seq_num una) const {
        return _set.empty() ? una : _set.last().end;
    }

private:
    range_set _set;              // the same sorted range set the receiver uses
    seq_num _uncertain_from;     // [_uncertain_from, _uncertain_end) held the forgotten ranges; empty when equal
    seq_num _uncertain_end;

    void forget(seq_num start, seq_num end) {
        bool none = _uncertain_from == _uncertain_end;
        _uncertain_from = none ? start : seq_min(_uncertain_from, start);
        _uncertain_end = none ? end : seq_max(_uncertain_end, end);
    }
};

}  // namespace fptcp::tcp
