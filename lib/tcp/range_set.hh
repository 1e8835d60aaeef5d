#pragma once
// Sorted sets of sequence ranges, and the per-lcore pool their memory comes
// from. The receiver's reassembly (RFC 9293 3.10.7.4, "seventh, process the
// segment text": which ranges beyond RCV.NXT the receive ring already holds)
// and the sender's SACK scoreboard (RFC 6675 3, sack_scoreboard.hh) are both
// a range_set.
//
// The ranges live outside the TCB, in blocks from a range_pool that the
// owner gives every connection (one pool per lcore), so a connection holds
// as many ranges as its peer's losses need, up to its own bound, and an
// idle connection holds none: a set gives its block back when it empties.
// Blocks come in size classes of 8 << c ranges (64 bytes to 32 KiB); a full
// set moves to a block of the next class. The pool carves blocks from the
// owner's memory on first use, keeps one free list per class, and splits a
// larger free block when a class has none left. No allocation, no lock: an
// empty pool only makes insert() fail, and the caller counts that.

#include <array>
#include <cstdint>
#include <cstring>
#include <span>

#include "tcp/seq.hh"

namespace fptcp::tcp {

struct seq_range {
    seq_num start;
    seq_num end;  // one past the last octet
};

class range_pool {
public:
    static constexpr uint8_t classes = 10;
    static constexpr uint32_t ranges_in(uint8_t size_class) { return 8u << size_class; }
    static constexpr uint32_t largest_block = 8u << (classes - 1);  // ranges in the largest class

    range_pool() = default;  // no memory: every take() fails
    explicit range_pool(std::span<seq_range> memory) : _next(memory.data()), _end(memory.data() + memory.size()) {}
    range_pool(const range_pool&) = delete;
    range_pool& operator=(const range_pool&) = delete;

    // A block of ranges_in(size_class) ranges, or nullptr when none is left.
    seq_range* take(uint8_t size_class) {
        if (seq_range* b = pop(size_class)) return note_taken(b, size_class);
        if (static_cast<uint32_t>(_end - _next) >= ranges_in(size_class)) {
            seq_range* b = _next;
            _next += ranges_in(size_class);
            return note_taken(b, size_class);
        }
        for (uint8_t larger = size_class + 1; larger < classes; ++larger) {
            seq_range* b = pop(larger);
            if (b == nullptr) continue;
            while (larger > size_class) {  // keep the upper halves, down to the size asked for
                --larger;
                push(b + ranges_in(larger), larger);
            }
            return note_taken(b, size_class);
        }
        return nullptr;
    }

    void give_back(seq_range* block, uint8_t size_class) {
        _in_use -= ranges_in(size_class);
        push(block, size_class);
    }

    uint64_t ranges_in_use() const { return _in_use; }

private:
    std::array<seq_range*, classes> _free{};  // a free block's first bytes hold the next free block
    seq_range* _next = nullptr;               // memory never handed out yet
    seq_range* _end = nullptr;
    uint64_t _in_use = 0;

    seq_range* note_taken(seq_range* b, uint8_t size_class) {
        _in_use += ranges_in(size_class);
        return b;
    }
    void push(seq_range* block, uint8_t size_class) {
        std::memcpy(static_cast<void*>(block), &_free[size_class], sizeof(seq_range*));
        _free[size_class] = block;
    }
    seq_range* pop(uint8_t size_class) {
        seq_range* b = _free[size_class];
        if (b != nullptr) std::memcpy(&_free[size_class], static_cast<const void*>(b), sizeof(seq_range*));
        return b;
    }
};

// Sorted, disjoint, non-adjacent ranges, at most `limit` of them, in one
// block of the pool.
class range_set {
public:
    range_set(range_pool* pool, uint16_t limit) : _pool(pool), _limit(limit) {}
    ~range_set() { clear(); }
    range_set(const range_set&) = delete;
    range_set& operator=(const range_set&) = delete;

    uint16_t count() const { return _count; }
    bool empty() const { return _count == 0; }
    const seq_range& operator[](uint16_t i) const { return _ranges[i]; }
    const seq_range& last() const { return _ranges[_count - 1]; }

    // Records [start, end) as held. Returns false, changing nothing, when that
    // needs one more range than the limit or than the pool can give.
    bool insert(seq_num start, seq_num end) {
        uint16_t first = first_reaching(start);  // the first range touching or after [start, end)
        uint16_t last = first;                   // one past the last range touching [start, end)
        while (last < _count && before_or_equal(_ranges[last].start, end)) ++last;
        if (first == last) return insert_new(first, {start, end});
        seq_range merged{seq_min(start, _ranges[first].start), seq_max(end, _ranges[last - 1].end)};
        erase(first + 1, last);
        _ranges[first] = merged;
        return true;
    }

    // Removes every range that starts at or before rcv_nxt (now in order) and
    // returns the new RCV.NXT: the end of the data held contiguously.
    seq_num take_contiguous(seq_num rcv_nxt) {
        uint16_t n = 0;
        while (n < _count && before_or_equal(_ranges[n].start, rcv_nxt)) rcv_nxt = seq_max(rcv_nxt, _ranges[n++].end);
        erase(0, n);
        return rcv_nxt;
    }

    // Whether [start, end) lies inside one range already held.
    bool covers(seq_num start, seq_num end) const {
        uint16_t i = first_reaching(start);
        return i < _count && before_or_equal(_ranges[i].start, start) && before_or_equal(end, _ranges[i].end);
    }

    // The index of the range that holds `seq`, or count() when none does.
    uint16_t index_holding(seq_num seq) const {
        uint16_t i = first_reaching(seq + seq_len(1));
        return i < _count && before_or_equal(_ranges[i].start, seq) ? i : _count;
    }

    // Calls f(from, to) for each part of [start, end) that no range holds,
    // in order.
    template <class F>
    void for_each_gap(seq_num start, seq_num end, F&& f) const {
        for (uint16_t i = first_reaching(start); i < _count && before(_ranges[i].start, end); ++i) {
            if (before(start, _ranges[i].start)) f(start, _ranges[i].start);
            start = seq_max(start, _ranges[i].end);
        }
        if (before(start, end)) f(start, end);
    }

    void clear() {
        _count = 0;
        release();
    }
    void drop_last() {
        if (_count > 0) erase(static_cast<uint16_t>(_count - 1), _count);
    }

private:
    range_pool* _pool;
    seq_range* _ranges = nullptr;  // a block of range_pool::ranges_in(_class) ranges, or none
    uint16_t _count = 0;
    uint16_t _limit;
    uint8_t _class = 0;

    uint32_t capacity() const { return _ranges == nullptr ? 0 : range_pool::ranges_in(_class); }

    // Binary search: the first range whose end is at or after `seq` (ends
    // are sorted as the ranges are disjoint), or _count.
    uint16_t first_reaching(seq_num seq) const {
        uint16_t lo = 0, hi = _count;
        while (lo < hi) {
            uint16_t mid = static_cast<uint16_t>((lo + hi) / 2);
            if (before(_ranges[mid].end, seq)) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    bool insert_new(uint16_t at, seq_range r) {
        if (_count >= _limit || (_count == capacity() && !grow())) return false;
        std::memmove(static_cast<void*>(_ranges + at + 1), _ranges + at, sizeof(seq_range) * (_count - at));
        _ranges[at] = r;
        ++_count;
        return true;
    }

    // Moves the ranges to a block of the next size class.
    bool grow() {
        if (_pool == nullptr) return false;
        uint8_t cls = _ranges == nullptr ? 0 : static_cast<uint8_t>(_class + 1);
        if (cls >= range_pool::classes) return false;
        seq_range* bigger = _pool->take(cls);
        if (bigger == nullptr) return false;
        if (_count > 0) std::memcpy(static_cast<void*>(bigger), _ranges, sizeof(seq_range) * _count);
        release();
        _ranges = bigger;
        _class = cls;
        return true;
    }

    void erase(uint16_t from, uint16_t to) {
        if (from == to) return;
        std::memmove(static_cast<void*>(_ranges + from), _ranges + to, sizeof(seq_range) * (_count - to));
        _count = static_cast<uint16_t>(_count - (to - from));
        if (_count == 0) release();
    }

    void release() {
        if (_ranges != nullptr) _pool->give_back(_ranges, _class);
        _ranges = nullptr;
    }
};

}  // namespace fptcp::tcp
