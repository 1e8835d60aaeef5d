#pragma once
// What every fptcp program needs around its stacks, written once: the DPDK
// EAL started from settings, the port opened from its spec, one lcore per
// CPU of a list, the clock, the loop on every lcore, a clean stop on SIGINT
// or SIGTERM, and per-lcore counters published for any thread to read.
// docs/api.md shows a complete program.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fptcp/connection.hh"
#include "fptcp/stack.hh"
#include "fptcp/stack_settings.hh"
#include "fptcp/stats.hh"
#include "fptcp/time.hh"

namespace fptcp {

struct runtime_settings {
    // The port (docs/ports.md): tap:NAME, af_packet:IFACE, memif:SOCKET[,role],
    // ring:NAME or pci:ADDRESS.
    std::string port = "tap:fptcp0";
    // One lcore per CPU, e.g. "0", "0-3" or "2,5": the first runs on the
    // thread that calls run(), the others on EAL worker threads. Each lcore
    // has its own stack, RX queue and TX queue.
    std::string cpus = "0";
    std::string eal;              // more EAL arguments, space-separated, appended last
    bool allow_hugepages = true;  // false forces --no-huge (also without free hugepages)
    uint32_t memory_mb = 512;     // EAL memory without hugepages
    uint32_t mbufs = 8191;        // the port's mbuf pool
    // The port's MTU, up to 9000 (jumbo frames): 0 keeps the port's own
    // (1500). The mbufs, memif's and af_packet's buffers are sized for it;
    // stack.tcp.mss must fit it (at most MTU - 40).
    uint16_t mtu = 0;
    // tap: the kernel side's address and prefix (host order), set and the
    // interface brought up when given.
    std::optional<uint32_t> kernel_ip;
    uint8_t kernel_prefix = 24;
    std::string pcap;             // every frame in and out to this pcapng file (one lcore only)
    bool stop_on_signal = true;   // SIGINT and SIGTERM make run() return
    stack_settings stack;         // every lcore's stack, unless create_stack() is given its own
};

// The port's own counters (rte_eth_stats, and the kernel's for af_packet):
// what the driver dropped before any stack saw it, and what it took but
// never sent; with runtime_settings::pcap, the capture's.
struct port_stats {
    uint64_t rx_packets = 0, tx_packets = 0, rx_bytes = 0, tx_bytes = 0;
    uint64_t rx_errors = 0;   // frames too long for an mbuf (a TAP's), bad frames
    uint64_t rx_missed = 0;   // a full RX ring
    uint64_t rx_no_mbuf = 0;  // no free mbuf
    uint64_t tx_errors = 0;
    uint64_t tx_unsent = 0;   // af_packet: taken by the driver, not sent by the kernel
    uint64_t capture_written = 0, capture_missed = 0;
};

// What one lcore did over its last publish interval (a second).
struct lcore_load {
    double busy_percent = 0;  // the share of its loop's time spent on turns that took frames in
    uint64_t rx_pps = 0;      // frames received per second
    uint64_t tx_pps = 0;      // frames sent per second
};

class runtime {
public:
    // Starts the EAL (once per process) and opens the port. nullptr and
    // `error` (one line) when the settings are wrong, a privilege or the
    // port's target is missing, or DPDK fails.
    // What start() would refuse in `settings` itself, without touching the
    // system: a malformed port spec or CPU list, a capture on several lcores.
    // Empty when none; else one line naming the setting ("port: ...").
    static std::string check(const runtime_settings& settings);
    static std::unique_ptr<runtime> start(const runtime_settings& settings, const char* program_name,
                                          std::string& error);
    ~runtime();  // the stacks, then the port, then the EAL
    runtime(const runtime&) = delete;
    runtime& operator=(const runtime&) = delete;

    uint16_t lcores() const;
    // Lcore `lcore`'s stack, calling `h` (which must outlive the runtime);
    // with settings.stack or `s`. nullptr and `error` when it cannot work.
    stack* create_stack(uint16_t lcore, handler& h, std::string& error);
    stack* create_stack(uint16_t lcore, handler& h, const stack_settings& s, std::string& error);
    stack& stack_of(uint16_t lcore) { return *_stacks.at(lcore); }
    // Lcore `lcore`'s stack, or nullptr before create_stack().
    const stack* find_stack(uint16_t lcore) const { return _stacks.at(lcore).get(); }

    // Waits up to timeout_ms for the port's link (a memif peer connecting).
    bool wait_for_link(unsigned timeout_ms) const;
    std::string_view port_name() const;

    // The clock of every stack: the TSC, since start().
    time_point now() const;
    uint64_t now_ns() const;

    // Runs every lcore until stop() (or a signal): each polls its stack,
    // publishes its counters once a second, and calls tick(lcore, now) if
    // given. Lcore 0 runs on the calling thread. Returns when all stopped;
    // the counters are then published exactly.
    using tick_function = std::function<void(uint16_t lcore, time_point now)>;
    void run(const tick_function& tick = {});
    void stop();           // any thread
    bool stopping() const;  // stop() was called or a signal arrived

    // Lcore `lcore`'s counters as last published; any thread.
    stats published(uint16_t lcore) const;
    stats published_total() const;
    // Lcore `lcore`'s load over its last publish interval; any thread.
    lcore_load load(uint16_t lcore) const;
    // Asks the driver (and the kernel): not for the packet path.
    port_stats port_counters() const;

private:
    friend class syn_flood;  // floods on the port, without a stack
    struct impl;
    explicit runtime(std::unique_ptr<impl> i);
    std::unique_ptr<impl> _impl;
    std::vector<std::unique_ptr<stack>> _stacks;
};

// The CPU a second fptcp process on the same machine (a client next to
// fptcp-server) polls on by default: CPU 1 when the machine has two or more,
// so that it does not share CPU 0 with the server's first lcore.
int default_peer_cpu();

}  // namespace fptcp
