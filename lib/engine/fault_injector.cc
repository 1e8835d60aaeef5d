// The fault injector's decisions and its holding area (fault_injector.hh).

#include "engine/fault_injector.hh"

#include <rte_mbuf.h>

#include <cassert>

namespace fptcp::engine {

namespace {

constexpr uint64_t golden_gamma = 0x9e3779b97f4a7c15ull;

// splitmix64's output function (Steele, Lea, Flood 2014): a counter advanced
// by the golden gamma gives independent-looking 64-bit draws.
uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

}  // namespace

fault_injector::fault_injector(const fault_rates& rates, uint64_t seed, uint32_t stream)
    : _rates(rates),
      _drop_below(threshold(rates.drop)),
      _duplicate_below(threshold(rates.duplicate)),
      _reorder_below(threshold(rates.reorder)),
      _state(mix64(seed + golden_gamma * (uint64_t{stream} + 1))) {}

fault_injector::~fault_injector() {
    for (std::size_t i = 0; i < _held_count; ++i) rte_pktmbuf_free(_held[(_held_first + i) % hold_capacity].frame);
}

uint64_t fault_injector::threshold(uint32_t ppm) {
    return (uint64_t{ppm} << 32) / fault_rates::certain;
}

bool fault_injector::draw(uint64_t below) {
    _state += golden_gamma;
    return (mix64(_state) >> 32) < below;
}

std::span<rte_mbuf*> fault_injector::filter(std::span<rte_mbuf* const> burst, time_point now) {
    assert(burst.size() <= max_burst);
    _out_count = 0;
    release_expired(now);
    for (rte_mbuf* m : burst) {
        // Three draws for every frame, whatever the rates: changing one rate
        // leaves the other decisions of a seed where they were.
        bool drop = draw(_drop_below);
        bool duplicate = draw(_duplicate_below);
        bool reorder = draw(_reorder_below);
        if (drop) {
            ++_counters.dropped;
            rte_pktmbuf_free(m);
            continue;
        }
        if (reorder && hold(m, now)) continue;
        pass(m);
        if (duplicate) {
            // From the frame's own pool; a full pool just means no duplicate.
            if (rte_mbuf* copy = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX)) {
                ++_counters.duplicated;
                pass(copy);
            }
        }
        release_held();  // this frame overtook every held one
    }
    return {_out.data(), _out_count};
}

void fault_injector::pass(rte_mbuf* m) {
    _out[_out_count++] = m;
}

// False when the holding area is full: the frame then passes in order.
bool fault_injector::hold(rte_mbuf* m, time_point now) {
    if (_held_count == hold_capacity) return false;
    _held[(_held_first + _held_count) % hold_capacity] = {m, now + max_hold};
    ++_held_count;
    ++_counters.reordered;
    return true;
}

void fault_injector::release_oldest() {
    pass(_held[_held_first].frame);
    _held_first = (_held_first + 1) % hold_capacity;
    --_held_count;
}

void fault_injector::release_held() {
    while (_held_count > 0) release_oldest();
}

void fault_injector::release_expired(time_point now) {
    while (_held_count > 0 && _held[_held_first].deadline <= now) release_oldest();
}

}  // namespace fptcp::engine
