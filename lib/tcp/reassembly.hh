#pragma once
// Out-of-order bookkeeping (RFC 9293 3.10.7.4, "seventh, process the segment
// text"): which sequence ranges beyond RCV.NXT are already held in the
// receive ring. The bytes themselves sit in the ring at their offset, so the
// byte bound is the receive buffer and the count bound is max_ranges.

#include <array>
#include <cstdint>

#include "tcp/seq.hh"

namespace fptcp::tcp {

struct seq_range {
    seq_num start;
    seq_num end;  // one past the last octet
};

// A sorted set of at most Capacity disjoint sequence ranges; the receiver's
// reassembly holds 8, the sender's SACK scoreboard (sack_scoreboard.hh) 4.
template <uint8_t Capacity>
class range_set {
public:
    static constexpr uint8_t hard_max_ranges = Capacity;
    using range = seq_range;

private:
    std::array<range, hard_max_ranges> _ranges{};  // sorted by start, disjoint, not adjacent
    uint8_t _count = 0;

public:
    uint8_t count() const { return _count; }
    bool empty() const { return _count == 0; }
    const range& operator[](uint8_t i) const { return _ranges[i]; }

    // Records [start, end) as held. Returns false, changing nothing, when that
    // would need more than `max_ranges` disjoint ranges.
    bool insert(seq_num start, seq_num end, uint8_t max_ranges) {
        uint8_t first = 0;  // first range touching or after [start, end)
        while (first < _count && before(_ranges[first].end, start)) ++first;
        uint8_t last = first;  // one past the last range touching [start, end)
        while (last < _count && before_or_equal(_ranges[last].start, end)) ++last;
        if (first == last) return insert_new(first, {start, end}, max_ranges);
        range merged{seq_min(start, _ranges[first].start), seq_max(end, _ranges[last - 1].end)};
        erase(first + 1, last);
        _ranges[first] = merged;
        return true;
    }

    // Removes every range that starts at or before rcv_nxt (now in order) and
    // returns the new RCV.NXT: the end of the data held contiguously.
    seq_num take_contiguous(seq_num rcv_nxt) {
        while (_count > 0 && before_or_equal(_ranges[0].start, rcv_nxt)) {
            rcv_nxt = seq_max(rcv_nxt, _ranges[0].end);
            erase(0, 1);
        }
        return rcv_nxt;
    }

    // Whether [start, end) lies inside one range already held.
    bool covers(seq_num start, seq_num end) const {
        for (uint8_t i = 0; i < _count; ++i) {
            if (!before(start, _ranges[i].start) && !after(end, _ranges[i].end)) return true;
        }
        return false;
    }

    void clear() { _count = 0; }
    void drop_last() {
        if (_count > 0) --_count;
    }

private:
    bool insert_new(uint8_t at, range r, uint8_t max_ranges) {
        if (_count >= max_ranges || _count >= hard_max_ranges) return false;
        for (uint8_t i = _count; i > at; --i) _ranges[i] = _ranges[i - 1];
        _ranges[at] = r;
        ++_count;
        return true;
    }

    void erase(uint8_t from, uint8_t to) {
        uint8_t n = to - from;
        for (uint8_t i = from; i + n < _count; ++i) _ranges[i] = _ranges[i + n];
        _count -= n;
    }
};

using reassembly = range_set<8>;

}  // namespace fptcp::tcp
