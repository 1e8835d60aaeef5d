#pragma once
// What a public fptcp::runtime holds (lib/api only).

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include <atomic>
#include <memory>
#include <vector>

#include "engine/mailbox.hh"
#include "fptcp/runtime.hh"
#include "port/capture.hh"
#include "port/eal.hh"
#include "port/port.hh"

namespace fptcp {

constexpr auto publish_interval = std::chrono::seconds(1);

// One lcore's counters as it last published them: relaxed atomics, the only
// memory lcores share besides the mailboxes, written once a second.
class published_stats {
public:
    published_stats() : _size(stats().values().size()), _values(std::make_unique<std::atomic<uint64_t>[]>(_size)) {}

    void store(const stats& s) {
        for (std::size_t i = 0; i < _size; ++i) _values[i].store(s.values()[i], std::memory_order_relaxed);
    }
    void load(stats& into) const {
        for (std::size_t i = 0; i < _size; ++i) into.values()[i] = _values[i].load(std::memory_order_relaxed);
    }

private:
    std::size_t _size;
    std::unique_ptr<std::atomic<uint64_t>[]> _values;
};

struct runtime::impl {
    runtime_settings settings;
    uint16_t lcores = 0;  // one per CPU of settings.cpus
    std::unique_ptr<port::port> port;
    std::unique_ptr<port::capture> capture;
    std::unique_ptr<engine::mailbox_grid> grid;
    std::vector<published_stats> published;
    std::atomic<bool> stop_requested{false};
    uint64_t tsc_start = rte_rdtsc();
    double ns_per_cycle = 1e9 / static_cast<double>(rte_get_tsc_hz());

    // What run() gives each lcore.
    struct lcore_run {
        impl* rt;
        stack* s;
        uint16_t lcore;
        const tick_function* tick;
    };

    ~impl() {
        capture.reset();
        if (grid) drain(*grid);
        port.reset();
        port::stop_eal();
    }

    bool stopping() const;  // stop() was called or a signal arrived

    uint64_t now_ns() const { return static_cast<uint64_t>(static_cast<double>(rte_rdtsc() - tsc_start) * ns_per_cycle); }
    time_point now() const {
        return time_point(std::chrono::duration_cast<duration>(std::chrono::nanoseconds(now_ns())));
    }

    // Frames still in the mailboxes when the lcores stopped.
    static void drain(engine::mailbox_grid& g) {
        for (uint16_t from = 0; from < g.lcores(); ++from) {
            for (uint16_t to = 0; to < g.lcores(); ++to) {
                g.between(from, to).consume_all([](rte_mbuf* m) { rte_pktmbuf_free(m); });
            }
        }
    }

    // One lcore's loop: poll, publish once a second, tick.
    void loop(stack& s, uint16_t lcore, const tick_function& tick) {
        stats scratch;
        time_point next_publish{};
        while (!stopping()) {
            time_point now = this->now();
            s.poll(now);
            if (now >= next_publish) {
                s.snapshot(scratch);
                published[lcore].store(scratch);
                next_publish = now + publish_interval;
            }
            if (tick) tick(lcore, now);
        }
        s.snapshot(scratch);
        published[lcore].store(scratch);
    }

    static int launch(void* arg) {
        auto& r = *static_cast<lcore_run*>(arg);
        r.rt->loop(*r.s, r.lcore, *r.tick);
        return 0;
    }
};

}  // namespace fptcp
