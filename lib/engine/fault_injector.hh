#pragma once
// Fault injection on a real port (docs/ports.md, "Fault injection"): this
// machine's kernel has no netem, so fptcp makes the faults itself. One
// injector filters the frames an engine takes off its RX queue (before they
// are parsed) and another the frames it hands to its TX queue: each frame is
// dropped, duplicated or held back (reordered) with its own probability.
//
// Deterministic: every decision comes from a counter-based generator seeded
// once, so a seed and a sequence of frames give the same decisions. Bounded:
// a fixed holding area and a fixed output array, no allocation per frame (a
// duplicate is an mbuf copied from the frame's own mempool). A held frame
// goes out right after the next frame that passes, or once it has been held
// `max_hold`; the destructor frees what is still held.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "fptcp/stack_settings.hh"
#include "tcp/clock.hh"

struct rte_mbuf;

namespace fptcp::engine {

using tcp::time_point;

using fptcp::fault_rates;
using fptcp::fault_settings;

struct fault_counters {
    uint64_t dropped = 0;
    uint64_t duplicated = 0;
    uint64_t reordered = 0;  // held back, released after a later frame or after max_hold

    fault_counters& operator+=(const fault_counters& o) {
        dropped += o.dropped;
        duplicated += o.duplicated;
        reordered += o.reordered;
        return *this;
    }
};

class fault_injector {
public:
    // Bursts given to filter() hold at most this many frames (the engine's
    // TX batch is the larger of its two bursts).
    static constexpr std::size_t max_burst = 64;
    static constexpr std::size_t hold_capacity = 32;
    // A held frame waits at most this long for a later frame to overtake it.
    static constexpr tcp::duration max_hold = std::chrono::milliseconds(1);

    // `stream` tells apart the injectors sharing one seed (engine lcore and
    // direction), so that each draws its own sequence.
    fault_injector(const fault_rates& rates, uint64_t seed, uint32_t stream);
    ~fault_injector();
    fault_injector(const fault_injector&) = delete;
    fault_injector& operator=(const fault_injector&) = delete;

    // The engine's one branch per burst: false keeps filter() off the path.
    bool enabled() const { return _rates.any(); }

    // Takes ownership of `burst` (at most max_burst frames) and returns the
    // frames to pass on, in order: survivors, duplicates right after their
    // original, held frames after a later frame or once max_hold has passed.
    // The span stays valid until the next call.
    std::span<rte_mbuf*> filter(std::span<rte_mbuf* const> burst, time_point now);

    std::size_t held() const { return _held_count; }
    const fault_counters& counters() const { return _counters; }

private:
    struct held_frame {
        rte_mbuf* frame;
        time_point deadline;
    };

    static uint64_t threshold(uint32_t ppm);
    bool draw(uint64_t below);
    void pass(rte_mbuf* m);
    void release_oldest();
    void release_held();
    void release_expired(time_point now);
    bool hold(rte_mbuf* m, time_point now);

    fault_rates _rates;
    // Each rate as a bound on the top 32 bits of a draw.
    uint64_t _drop_below;
    uint64_t _duplicate_below;
    uint64_t _reorder_below;
    uint64_t _state;  // splitmix64's counter
    fault_counters _counters;
    // A FIFO: frames are held in arrival order, so the oldest deadline is first.
    std::array<held_frame, hold_capacity> _held{};
    std::size_t _held_first = 0;
    std::size_t _held_count = 0;
    // Each input frame yields at most two outputs; released frames add the rest.
    std::array<rte_mbuf*, 2 * max_burst + hold_capacity> _out{};
    std::size_t _out_count = 0;
};

}  // namespace fptcp::engine
