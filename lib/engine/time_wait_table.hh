#pragma once
// The TIME_WAIT table (RFC 9293 3.10.7.4): the compact entries of
// connections in TIME_WAIT, for one lcore. Every entry waits the same
// 2*MSL, so insertion order is expiry order and a FIFO replaces a timer
// per entry (mTCP does the same): reap() pops expired entries from the
// head, O(1) each.
//
// Layout: a ring of tcp::time_wait_entry (48 bytes, tuple included), a
// 4-byte "queued" deadline per ring slot, and a flow_index from tuple to
// ring slot that reads the key from the entry itself (8-byte slots, load
// <= 0.75): 48 + 4 + 8 * 4/3 = 62.7 bytes per connection at capacity
// (bytes_per_entry()).
//
// Policies:
//   - Full table: insert() evicts the oldest entry early (its TIME_WAIT is
//     cut short, as Linux does past tcp_max_tw_buckets) and counts it in
//     evicted().
//   - Restarted 2*MSL: time_wait_input() may move an entry's deadline
//     later (a retransmitted FIN). The ring keeps the deadline it was
//     queued with; when that one comes, reap() finds the entry's deadline
//     later and re-appends it at the tail instead of reaping it, so the
//     head never blocks the entries behind it and each step stays O(1).
//     An entry re-appended behind younger ones may outlive its deadline by
//     less than 2*MSL: TIME_WAIT only ever lasts longer, never shorter.
//   - erase() (RFC 6191 reopen) removes the tuple from the index and marks
//     the ring slot dead; the slot is dropped when it reaches the head.
//
// Queued deadlines are kept in milliseconds modulo 2^32 and compared with
// serial arithmetic, which holds while reap() runs at least every 24 days
// (the engine calls it every loop).

#include <algorithm>
#include <cstdint>

#include "engine/flow_table.hh"
#include "tcp/time_wait.hh"

namespace fptcp::engine {

using tcp::time_point;
using tcp::time_wait_entry;

class time_wait_table {
    // The index's key of ring slot pos: the entry's own tuple.
    struct ring_key {
        const time_wait_entry* ring;
        const four_tuple& operator()(uint32_t pos) const { return ring[pos].tuple; }
    };

public:
    explicit time_wait_table(uint32_t capacity)
        : _capacity(std::max(capacity, 1u)),
          _index(_capacity),
          _ring_buf(sizeof(time_wait_entry) * std::size_t{_capacity}),
          _queued_buf(sizeof(uint32_t) * std::size_t{_capacity}),
          _ring(_ring_buf.as<time_wait_entry>()),
          _queued(_queued_buf.as<uint32_t>()) {
        // Touch every page now: no page fault on the fast path.
        for (uint32_t i = 0; i < _capacity; ++i) {
            new (&_ring[i]) time_wait_entry{};
            _queued[i] = 0;
        }
    }
    time_wait_table(const time_wait_table&) = delete;
    time_wait_table& operator=(const time_wait_table&) = delete;

    time_wait_entry* find(const four_tuple& t) {
        uint32_t pos = _index.find(t, _hash(t), ring_key{_ring});
        return pos == flow_index::npos ? nullptr : &_ring[pos];
    }

    // Appends e (replacing an entry with the same tuple). Returns true when
    // the table was full and its oldest live entry was evicted.
    bool insert(const time_wait_entry& e) {
        const uint32_t h = _hash(e.tuple);
        erase(e.tuple, h);
        bool evicted = false;
        if (_used == _capacity) {
            prefetch_ahead();
            uint32_t pos = _head;
            if (!dead(pos)) {
                remove_live(pos);
                ++_evicted;
                evicted = true;
            }
            pop_head();
        }
        uint32_t pos = tail();
        _ring[pos] = e;
        if (e.deadline == dead_mark) _ring[pos].deadline += tcp::duration(1);  // not a dead mark
        _queued[pos] = ms_ceil(e.deadline);
        _index.insert(h, pos);
        ++_used;
        ++_live;
        return evicted;
    }

    // O(1) apart from the index probe: the ring slot is marked dead.
    void erase(const four_tuple& t) { erase(t, _hash(t)); }

    // Removes up to budget expired entries from the head, O(1) each;
    // re-appends restarted ones. Dead slots and re-appends count toward the
    // budget (they are work) but not in the result. Returns entries reaped.
    uint32_t reap(time_point now, uint32_t budget) {
        const uint32_t now_ms = ms_floor(now);
        uint32_t reaped = 0;
        for (uint32_t steps = 0; steps < budget && _used > 0; ++steps) {
            const uint32_t pos = _head;
            prefetch_ahead();
            if (dead(pos)) {
                pop_head();
                continue;
            }
            if (!serial_le(_queued[pos], now_ms)) break;  // the head is not due: nothing is
            if (_ring[pos].deadline > now) {
                requeue_head();
                continue;
            }
            remove_live(pos);
            pop_head();
            ++reaped;
        }
        return reaped;
    }

    uint32_t size() const { return _live; }
    uint32_t capacity() const { return _capacity; }
    // Ring slots in use, dead ones included.
    uint32_t ring_used() const { return _used; }
    uint64_t evicted() const { return _evicted; }
    double bytes_per_entry() const {
        return static_cast<double>(sizeof(time_wait_entry) + sizeof(uint32_t)) +
               static_cast<double>(sizeof(flow_index::slot)) * _index.slot_count() / _capacity;
    }

private:
    // A dead slot's deadline; a live entry's is never this early.
    static constexpr time_point dead_mark = time_point::min();
    static constexpr uint32_t prefetch_distance = 16;


    bool dead(uint32_t pos) const { return _ring[pos].deadline == dead_mark; }

    uint32_t wrap(uint64_t pos) const { return static_cast<uint32_t>(pos >= _capacity ? pos - _capacity : pos); }
    uint32_t tail() const { return wrap(uint64_t{_head} + _used); }

    void erase(const four_tuple& t, uint32_t h) {
        uint32_t pos = _index.erase(t, h, ring_key{_ring});
        if (pos == flow_index::npos) return;
        _ring[pos].deadline = dead_mark;
        --_live;
    }

    // Reaping and eviction go from the head, each with an index probe at a
    // random place: start loading the probe of an entry a few places on.
    void prefetch_ahead() const {
        if (_used <= prefetch_distance) return;
        const time_wait_entry& e = _ring[wrap(uint64_t{_head} + prefetch_distance)];
        _index.prefetch_run(_hash(e.tuple));
    }

    // The live entry at pos leaves the index (its slot is popped by the caller).
    void remove_live(uint32_t pos) {
        _index.erase(_ring[pos].tuple, _hash(_ring[pos].tuple), ring_key{_ring});
        _ring[pos].deadline = dead_mark;
        --_live;
    }

    void pop_head() {
        _head = wrap(uint64_t{_head} + 1);
        --_used;
    }

    // The head's deadline moved later: queue it again at the tail.
    void requeue_head() {
        const uint32_t from = _head;
        pop_head();
        const uint32_t to = tail();  // == from when the ring was full
        if (to != from) {
            _ring[to] = _ring[from];
            _ring[from].deadline = dead_mark;
            _index.renumber(_hash(_ring[to].tuple), from, to);
        }
        _queued[to] = ms_ceil(_ring[to].deadline);
        ++_used;
    }

    // Milliseconds since the clock's epoch, modulo 2^32. A queued deadline
    // is rounded up and now down, so "queued <= now" implies deadline <= now.
    static uint32_t ms_floor(time_point t) {
        auto us = t.time_since_epoch().count();
        return static_cast<uint32_t>(static_cast<uint64_t>(us / 1000 - (us % 1000 < 0 ? 1 : 0)));
    }
    static uint32_t ms_ceil(time_point t) {
        auto us = t.time_since_epoch().count();
        return static_cast<uint32_t>(static_cast<uint64_t>(us / 1000 + (us % 1000 > 0 ? 1 : 0)));
    }
    // RFC 1982 serial number comparison on 32 bits.
    static bool serial_le(uint32_t a, uint32_t b) { return static_cast<int32_t>(b - a) >= 0; }

    crc32c_tuple_hash _hash;
    uint32_t _capacity;
    uint32_t _head = 0;
    uint32_t _used = 0;  // ring slots between head and tail, dead ones included
    uint32_t _live = 0;  // entries in the index
    uint64_t _evicted = 0;
    flow_index _index;
    detail::big_buffer _ring_buf;
    detail::big_buffer _queued_buf;
    time_wait_entry* _ring;
    uint32_t* _queued;
};

}  // namespace fptcp::engine
