#pragma once
// The ARP cache of one lcore (RFC 826; timers after RFC 1122 2.3.2.1 and
// Linux's neighbour table): IPv4 address (host order) -> MAC.
//
// An entry is resolving (a request is out; up to MaxPending packets wait,
// the oldest dropped first) or reachable (until reachable_time has passed;
// then lookup() misses and the next packet starts a new resolution). A
// resolving entry asks for a new request every retry_interval, max_retries
// times, then fails: its waiting packets are handed back to be freed.
//
// The cache sends nothing and frees nothing: Packet (e.g. rte_mbuf*) stays
// the caller's, and every packet the cache gives up comes back to it. Fixed
// capacity: open addressing on the address with backward-shift deletion;
// nothing is allocated after construction.

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>

#include "tcp/clock.hh"
#include "wire/ethernet.hh"

namespace fptcp::engine {

using tcp::duration;
using tcp::time_point;
using wire::mac_address;

struct arp_config {
    duration reachable_time = std::chrono::seconds(60);
    duration retry_interval = std::chrono::seconds(1);
    uint8_t max_retries = 3;  // requests after the first one
};

enum class arp_enqueue_status : uint8_t {
    queued_send_request,    // new resolution: send an ARP request now
    queued,                 // a request is already out
    queued_dropped_oldest,  // queue was full: the result's packet is the oldest, free it
    table_full,             // no entry to spare: the result's packet is yours, free it
    reachable,              // the address is known: the result's packet is yours, send it
};

enum class arp_event_kind : uint8_t {
    send_request,  // a retry: send an ARP request for ip
    failed,        // gave up on ip: free the packets
};

template <class Packet, std::size_t MaxPending = 4>
class arp_cache {
    static_assert(MaxPending >= 1 && MaxPending <= 255);

public:
    struct enqueue_result {
        arp_enqueue_status status;
        Packet packet{};  // see arp_enqueue_status
    };

    struct event {
        arp_event_kind kind;
        uint32_t ip;
        std::span<Packet> packets;  // failed: the waiting packets, oldest first
    };

    explicit arp_cache(uint32_t capacity = 256, arp_config cfg = {})
        : _cfg(cfg),
          _capacity(std::max(capacity, 1u)),
          _nslots(std::bit_ceil(_capacity * 2)),
          _slots(std::make_unique<entry[]>(_nslots)) {}

    // The MAC of ip while reachable; nullptr otherwise.
    const mac_address* lookup(uint32_t ip, time_point now) const {
        const entry* e = find(ip);
        return e && e->state == entry_state::reachable && now < e->deadline ? &e->mac : nullptr;
    }

    // ip's MAC is mac (an ARP reply, or a request for our address: RFC 826
    // adds the sender when we are the target), creating the entry if need
    // be. Returns the packets that were waiting for ip, oldest first, to be
    // sent now; the span is valid until the next call into the cache.
    std::span<Packet> learn(uint32_t ip, const mac_address& mac, time_point now) {
        entry* e = find(ip);
        if (!e) e = allocate(ip, now);
        return e ? make_reachable(*e, mac, now) : std::span<Packet>{};
    }

    // As learn(), for an address already in the table only (RFC 826's
    // merge of an ARP packet not addressed to us).
    std::span<Packet> update(uint32_t ip, const mac_address& mac, time_point now) {
        entry* e = find(ip);
        return e ? make_reachable(*e, mac, now) : std::span<Packet>{};
    }

    // Queues p until ip is resolved (see arp_enqueue_status).
    enqueue_result enqueue(uint32_t ip, Packet p, time_point now) {
        entry* e = find(ip);
        if (e && e->state == entry_state::reachable) {
            if (now < e->deadline) return {arp_enqueue_status::reachable, std::move(p)};
            start_resolving(*e, now);  // expired: ask again
            push(*e, std::move(p));
            return {arp_enqueue_status::queued_send_request, Packet{}};
        }
        if (!e) {
            e = allocate(ip, now);
            if (!e) {
                ++_dropped;
                return {arp_enqueue_status::table_full, std::move(p)};
            }
            start_resolving(*e, now);
            push(*e, std::move(p));
            return {arp_enqueue_status::queued_send_request, Packet{}};
        }
        if (e->count == MaxPending) {
            ++_dropped;
            Packet oldest = pop(*e);
            push(*e, std::move(p));
            return {arp_enqueue_status::queued_dropped_oldest, std::move(oldest)};
        }
        push(*e, std::move(p));
        return {arp_enqueue_status::queued, Packet{}};
    }

    // Retries and failures due at now: on_event(const event&) for each.
    // O(capacity) while a resolution is pending, O(1) otherwise.
    template <class F>
    void tick(time_point now, F&& on_event) {
        for (uint32_t i = 0; i < _nslots && _resolving > 0;) {
            entry& e = _slots[i];
            if (e.state != entry_state::resolving || now < e.deadline) {
                ++i;
                continue;
            }
            if (e.retries < _cfg.max_retries) {
                ++e.retries;
                e.deadline = now + _cfg.retry_interval;
                on_event(event{arp_event_kind::send_request, e.ip, {}});
                ++i;
                continue;
            }
            const uint32_t ip = e.ip;
            std::size_t n = take_pending(e);
            --_resolving;
            ++_failed_resolutions;
            _failed_packets += n;
            remove(i);  // may shift a later entry into i: look at i again
            on_event(event{arp_event_kind::failed, ip, {_out.data(), n}});
        }
    }

    // Negative advice (RFC 1122 4.2.3.5): a reachable ip is no longer
    // trusted, so the next packet to it starts a new resolution.
    void expire(uint32_t ip, time_point now) {
        entry* e = find(ip);
        if (e && e->state == entry_state::reachable) e->deadline = std::min(e->deadline, now);
    }

    // Empties the table, giving every waiting packet to give_back(Packet).
    template <class F>
    void clear(F&& give_back) {
        for (uint32_t i = 0; i < _nslots; ++i) {
            entry& e = _slots[i];
            while (e.count > 0) give_back(pop(e));
            e = entry{};
        }
        _size = _resolving = 0;
    }

    uint32_t size() const { return _size; }
    uint32_t capacity() const { return _capacity; }
    uint32_t resolving() const { return _resolving; }
    // Packets given back by enqueue (queue full or table full).
    uint64_t dropped_packets() const { return _dropped; }
    // Packets given back because their resolution failed.
    uint64_t failed_packets() const { return _failed_packets; }
    uint64_t failed_resolutions() const { return _failed_resolutions; }

private:
    enum class entry_state : uint8_t { empty, resolving, reachable };

    struct entry {
        uint32_t ip = 0;
        entry_state state = entry_state::empty;
        uint8_t retries = 0;
        uint8_t head = 0;   // pending ring: first packet
        uint8_t count = 0;  // pending ring: packets waiting
        mac_address mac{};
        time_point deadline{};  // reachable: expiry; resolving: next retry
        std::array<Packet, MaxPending> pending{};
    };

    // Fibonacci hashing (Knuth TAOCP vol. 3, 6.4).
    uint32_t home(uint32_t ip) const {
        return static_cast<uint32_t>((uint64_t{ip * 0x9E3779B1u} * _nslots) >> 32);
    }
    uint32_t next(uint32_t i) const { return (i + 1) & (_nslots - 1); }

    entry* find(uint32_t ip) const {
        for (uint32_t i = home(ip);; i = next(i)) {
            entry& e = _slots[i];
            if (e.state == entry_state::empty) return nullptr;
            if (e.ip == ip) return &e;
        }
    }

    // A fresh entry for ip, making room by dropping the reachable entry
    // that expires first; nullptr when every entry is resolving.
    entry* allocate(uint32_t ip, time_point now) {
        if (_size == _capacity && !evict_one()) return nullptr;
        uint32_t i = home(ip);
        while (_slots[i].state != entry_state::empty) i = next(i);
        entry& e = _slots[i];
        e.ip = ip;
        e.state = entry_state::reachable;  // the caller sets the real state
        e.deadline = now;
        ++_size;
        return &e;
    }

    bool evict_one() {
        uint32_t victim = _nslots;
        for (uint32_t i = 0; i < _nslots; ++i) {
            const entry& e = _slots[i];
            if (e.state == entry_state::reachable && (victim == _nslots || e.deadline < _slots[victim].deadline))
                victim = i;
        }
        if (victim == _nslots) return false;
        remove(victim);
        return true;
    }

    // Backward-shift deletion, as in flow_index.
    void remove(uint32_t hole) {
        for (uint32_t j = next(hole);; j = next(j)) {
            if (_slots[j].state == entry_state::empty) break;
            uint32_t h = home(_slots[j].ip);
            bool stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
            if (stays) continue;
            _slots[hole] = std::move(_slots[j]);
            hole = j;
        }
        _slots[hole] = entry{};
        --_size;
    }

    std::span<Packet> make_reachable(entry& e, const mac_address& mac, time_point now) {
        std::size_t n = 0;
        if (e.state == entry_state::resolving) {
            --_resolving;
            n = take_pending(e);
        }
        e.state = entry_state::reachable;
        e.mac = mac;
        e.deadline = now + _cfg.reachable_time;
        return {_out.data(), n};
    }

    void start_resolving(entry& e, time_point now) {
        e.state = entry_state::resolving;
        e.retries = 0;
        e.head = e.count = 0;
        e.deadline = now + _cfg.retry_interval;
        ++_resolving;
    }

    void push(entry& e, Packet p) {
        e.pending[(e.head + e.count) % MaxPending] = std::move(p);
        ++e.count;
    }

    Packet pop(entry& e) {
        Packet p = std::exchange(e.pending[e.head], Packet{});
        e.head = static_cast<uint8_t>((e.head + 1) % MaxPending);
        --e.count;
        return p;
    }

    // Moves the waiting packets to _out, oldest first; returns how many.
    std::size_t take_pending(entry& e) {
        std::size_t n = 0;
        while (e.count > 0) _out[n++] = pop(e);
        return n;
    }

    arp_config _cfg;
    uint32_t _capacity;
    uint32_t _nslots;
    uint32_t _size = 0;
    uint32_t _resolving = 0;
    uint64_t _dropped = 0;
    uint64_t _failed_packets = 0;
    uint64_t _failed_resolutions = 0;
    std::unique_ptr<entry[]> _slots;
    std::array<Packet, MaxPending> _out{};
};

}  // namespace fptcp::engine
