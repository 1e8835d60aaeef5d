#pragma once
// A hashed timing wheel for one lcore (Varghese and Lauck, "Hashed and
// hierarchical timing wheels", SOSP 1987, scheme 6), drained with a budget
// per poll loop as in mTCP.
//
// Time is cut into ticks of `tick` from `start`. A hook armed for deadline d
// gets tick ceil((d - start) / tick) and waits in slot tick % slots; a hook
// more than one revolution away stays in its slot and is skipped ("rounds")
// until the wheel reaches its tick. advance(now) fires, in order of tick,
// every hook whose tick is <= floor((now - start) / tick): a timer never
// fires before its deadline and at most one tick after it (given the
// budget). A hook armed for a tick the wheel has already passed goes to a
// due list that the next advance() fires first.
//
// The hooks are intrusive (the owner embeds a timer_hook) and the lists are
// circular with a sentinel per slot, so arm and cancel are O(1) and nothing
// is allocated after construction.

#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "tcp/clock.hh"

namespace fptcp::engine {

using tcp::duration;
using tcp::time_point;

struct timer_hook {
    timer_hook* next = nullptr;  // nullptr: not armed
    timer_hook* prev = nullptr;
    uint64_t tick = 0;
};

class timer_wheel {
public:
    static constexpr uint32_t default_slots = 4096;
    static constexpr duration default_tick = std::chrono::milliseconds(1);

    // slots is rounded up to a power of two (at least 2), tick to >= 1 us.
    timer_wheel(uint32_t slots, duration tick, time_point start)
        : _nslots(std::bit_ceil(slots < 2 ? 2u : slots)),
          _mask(_nslots - 1),
          _tick(tick.count() < 1 ? 1 : tick.count()),
          _start(start),
          _lists(std::make_unique<timer_hook[]>(std::size_t{_nslots} + 1)) {
        for (uint32_t i = 0; i <= _nslots; ++i) make_empty(_lists[i]);
    }
    explicit timer_wheel(time_point start) : timer_wheel(default_slots, default_tick, start) {}

    timer_wheel(const timer_wheel&) = delete;
    timer_wheel& operator=(const timer_wheel&) = delete;

    // Hooks still armed keep links into the wheel: neither arm nor cancel
    // them once it is gone (the hooks may die before or after the wheel).
    ~timer_wheel() = default;

    static bool armed(const timer_hook& h) { return h.next != nullptr; }

    // O(1). Re-arming an armed hook moves it.
    void arm(timer_hook& h, time_point deadline) {
        if (armed(h)) {
            unlink(h);
        } else {
            ++_size;
        }
        h.tick = tick_ceil(deadline);
        // While slot _cursor is being drained, its tick counts as passed.
        bool passed = h.tick < _cursor + (_draining ? 1 : 0);
        link_tail(passed ? due_list() : _lists[h.tick & _mask], h);
    }

    // O(1); a no-op when the hook is not armed.
    void cancel(timer_hook& h) {
        if (!armed(h)) return;
        unlink(h);
        h.next = h.prev = nullptr;
        --_size;
    }

    // Calls expire(timer_hook&) for each hook due at now, at most budget of
    // them; the rest stay due for the next call. Each hook is disarmed
    // before expire runs, so expire may re-arm it (a deadline already
    // passed then fires at the next advance, not in this one) or arm and
    // cancel others. Returns the number fired.
    template <class F>
    uint32_t advance(time_point now, uint32_t budget, F&& expire) {
        uint32_t fired = drain(due_list(), UINT64_MAX, budget, expire);
        if (now < _start) return fired;
        const uint64_t target = static_cast<uint64_t>((now - _start).count() / _tick);
        while (_cursor <= target && fired < budget) {
            if (_size == 0) {  // nothing armed: jump instead of walking empty slots
                _cursor = target + 1;
                break;
            }
            _draining = true;
            fired += drain(_lists[_cursor & _mask], _cursor, budget - fired, expire);
            _draining = false;
            if (fired == budget && !slot_done()) break;  // resume this slot next call
            ++_cursor;
        }
        return fired;
    }

    // Armed hooks, due list included.
    std::size_t size() const { return _size; }
    uint32_t slot_count() const { return _nslots; }
    duration tick() const { return duration(_tick); }

private:
    uint64_t tick_ceil(time_point deadline) const {
        if (deadline <= _start) return 0;
        auto d = (deadline - _start).count();
        return static_cast<uint64_t>(d / _tick + (d % _tick != 0 ? 1 : 0));
    }

    timer_hook& due_list() { return _lists[_nslots]; }

    // True when the current slot holds nothing due at _cursor.
    bool slot_done() const {
        const timer_hook& head = _lists[_cursor & _mask];
        for (const timer_hook* h = head.next; h != &head; h = h->next)
            if (h->tick <= _cursor) return false;
        return true;
    }

    // Fires the hooks of list whose tick <= upto, up to budget. The list is
    // first moved to a local head, so hooks armed meanwhile into this list
    // wait for the next pass; what is left goes back in its order.
    template <class F>
    uint32_t drain(timer_hook& list, uint64_t upto, uint32_t budget, F& expire) {
        if (list.next == &list || budget == 0) return 0;
        timer_hook pending;
        move_all(list, pending);
        uint32_t fired = 0;
        while (pending.next != &pending && fired < budget) {
            timer_hook& h = *pending.next;
            unlink(h);
            if (h.tick > upto) {  // a later round: back to its slot
                link_tail(list, h);
                continue;
            }
            h.next = h.prev = nullptr;
            --_size;
            ++fired;
            expire(h);
        }
        // Unvisited hooks go back ahead of anything armed meanwhile.
        if (pending.next != &pending) {
            pending.prev->next = list.next;
            list.next->prev = pending.prev;
            list.next = pending.next;
            pending.next->prev = &list;
        }
        return fired;
    }

    static void make_empty(timer_hook& head) { head.next = head.prev = &head; }

    static void link_tail(timer_hook& head, timer_hook& h) {
        h.prev = head.prev;
        h.next = &head;
        head.prev->next = &h;
        head.prev = &h;
    }

    static void unlink(timer_hook& h) {
        h.prev->next = h.next;
        h.next->prev = h.prev;
    }

    // Moves every hook of from to the empty head to.
    static void move_all(timer_hook& from, timer_hook& to) {
        to.next = from.next;
        to.prev = from.prev;
        to.next->prev = &to;
        to.prev->next = &to;
        make_empty(from);
    }

    uint32_t _nslots;
    uint32_t _mask;
    int64_t _tick;  // in tcp_clock units (microseconds)
    time_point _start;
    uint64_t _cursor = 0;
    bool _draining = false;
    std::size_t _size = 0;
    std::unique_ptr<timer_hook[]> _lists;  // _nslots slots, then the due list
};

}  // namespace fptcp::engine
