#pragma once
// What a public fptcp::runtime holds (lib/api only).

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include <atomic>
#include <memory>
#include <vector>

#include "engine/mailbox.hh"
#include "fptcp/log.hh"
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
    void store_load(const lcore_load& l) {
        _busy_percent.store(l.busy_percent, std::memory_order_relaxed);
        _rx_pps.store(l.rx_pps, std::memory_order_relaxed);
        _tx_pps.store(l.tx_pps, std::memory_order_relaxed);
    }
    lcore_load load_of() const {
        return {.busy_percent = _busy_percent.load(std::memory_order_relaxed),
                .rx_pps = _rx_pps.load(std::memory_order_relaxed),
                .tx_pps = _tx_pps.load(std::memory_order_relaxed)};
    }

private:
    std::size_t _size;
    std::unique_ptr<std::atomic<uint64_t>[]> _values;
    std::atomic<double> _busy_percent{0};
    std::atomic<uint64_t> _rx_pps{0}, _tx_pps{0};
};

// One lcore's load over each publish interval: the TSC time of the loop's
// turns that took frames in (a turn runs from one TSC read to the next, so
// no read is added), and the frames in and out.
class load_meter {
public:
    explicit load_meter(uint64_t tsc) : _interval_start(tsc), _turn_start(tsc) {}

    // A turn begins at `tsc`; the one before took frames in when `busy`.
    void turn(uint64_t tsc, bool busy) {
        if (busy) _busy_cycles += tsc - _turn_start;
        _turn_start = tsc;
    }
    // The interval ends at `tsc` with the stack's counters `now`.
    lcore_load interval(uint64_t tsc, const stats& now, double seconds_per_cycle) {
        double elapsed = static_cast<double>(tsc - _interval_start);
        double seconds = elapsed * seconds_per_cycle;
        // The first interval (the loop's first turn publishes at once) is too
        // short for a rate: 0 rather than a number out of range.
        auto rate = [seconds](uint64_t frames) {
            return seconds < 1e-3 ? 0 : static_cast<uint64_t>(static_cast<double>(frames) / seconds);
        };
        lcore_load l{.busy_percent = elapsed > 0 ? 100.0 * static_cast<double>(_busy_cycles) / elapsed : 0,
                     .rx_pps = rate(now[counter::rx_packets] - _rx),
                     .tx_pps = rate(now[counter::tx_packets] - _tx)};
        _interval_start = tsc;
        _busy_cycles = 0;
        _rx = now[counter::rx_packets];
        _tx = now[counter::tx_packets];
        return l;
    }

private:
    uint64_t _interval_start, _turn_start;
    uint64_t _busy_cycles = 0;
    uint64_t _rx = 0, _tx = 0;
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

    // On af_packet, TCP segments with bad checksums are most often a veth
    // peer's: Linux leaves their checksum to an offload that never happens,
    // and fptcp drops them (drop_rx_bad_tcp_checksum). Said once, with the fix.
    void warn_once_about_offloaded_checksums(const stats& s) {
        if (!port_is_af_packet || s.get("drop_rx_bad_tcp_checksum") == 0) return;
        if (checksum_warning_given.exchange(true, std::memory_order_relaxed)) return;
        log(log_level::warning,
            "TCP segments with bad checksums arrive on %s (drop_rx_bad_tcp_checksum): a veth peer leaves them to "
            "checksum offload; on the peer, run: ethtool -K <its interface> tx off (docs/ports.md)",
            settings.port.c_str());
    }
    bool port_is_af_packet = false;
    std::atomic<bool> checksum_warning_given{false};

    uint64_t ns_at(uint64_t tsc) const { return static_cast<uint64_t>(static_cast<double>(tsc - tsc_start) * ns_per_cycle); }
    uint64_t now_ns() const { return ns_at(rte_rdtsc()); }
    time_point time_at(uint64_t tsc) const {
        return time_point(std::chrono::duration_cast<duration>(std::chrono::nanoseconds(ns_at(tsc))));
    }
    time_point now() const { return time_at(rte_rdtsc()); }

    // Frames still in the mailboxes when the lcores stopped.
    static void drain(engine::mailbox_grid& g) {
        for (uint16_t from = 0; from < g.lcores(); ++from) {
            for (uint16_t to = 0; to < g.lcores(); ++to) {
                g.between(from, to).consume_all([](rte_mbuf* m) { rte_pktmbuf_free(m); });
            }
        }
    }

    // One lcore's loop: poll, publish once a second (counters and load), tick.
    void loop(stack& s, uint16_t lcore, const tick_function& tick) {
        stats scratch;
        time_point next_publish{};
        load_meter meter(rte_rdtsc());
        bool busy = false;
        while (!stopping()) {
            uint64_t tsc = rte_rdtsc();
            meter.turn(tsc, busy);
            time_point now = time_at(tsc);
            busy = s.poll(now) > 0;
            if (now >= next_publish) {
                s.snapshot(scratch);
                published[lcore].store(scratch);
                published[lcore].store_load(meter.interval(tsc, scratch, ns_per_cycle / 1e9));
                warn_once_about_offloaded_checksums(scratch);
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
