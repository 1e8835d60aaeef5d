#pragma once
// Transfers run on the simulator (docs/sim.md): many connections from host
// A to host B's listener, byte streams each way, and what came of them. The
// sim tests, the throughput-versus-loss table (loss_table.cc) and the aims
// of issue 4 share these.

#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

#include "sim.hh"

namespace fptcp::sim {

struct transfer {
    int connections = 1;
    uint64_t bytes = 1 << 20;  // A to B on each connection, and B to A unless one_way
    uint32_t buffer = 1 << 20;
    bool one_way = false;        // B sends nothing (and shuts down at once)
    bool close_when_sent = true;  // false: both ends hold their connections open
    bool compare = false;        // check bytes against the stream instead of SHA-256 (app_state::compare)
};

struct outcome {
    bool completed = false;
    double seconds = 0;       // virtual time from the first SYN to the end of the run
    double goodput_mbps = 0;  // application bytes received, both ways, over `seconds`
    sender_stats sent;        // both hosts
    uint64_t core_retransmits = 0;  // tcp_counters::retransmits, both hosts
};

class scenario {
public:
    // A 1 Gbit/s link with 10 ms RTT, no faults.
    explicit scenario(uint64_t seed);

    simulator net;
    std::vector<app_state> apps_a, apps_b;

    void set_both(const std::function<void(link_config&)>& f) {
        for (link_config& l : net.links) f(l);
    }
    void set_both_hosts(const std::function<void(tcp_config&)>& f) {
        for (auto& h : net.hosts) f(h->cfg);
    }
    static four_tuple tuple(int i) { return {0x0a000001, 0x0a000002, static_cast<uint16_t>(40000 + i), 80}; }

    // Opens t.connections from A to B's listener with their applications.
    void open(const transfer& t);
    // open(), then runs until every application has finished (or `limit`),
    // measures, and lets every TIME_WAIT expire.
    outcome run(const transfer& t, duration limit = std::chrono::hours(1));
    bool all_finished();
    // What happened since `begin`.
    outcome measure(time_point begin) const;

private:
    size_t _finished_prefix = 0;  // apps [0, this) have finished at both ends
};

// Frames of at most this many payload bytes: MSS 1460 less the timestamps option.
inline constexpr uint32_t sim_segment_payload = 1448;

// Two senders' figures added up.
sender_stats plus(const sender_stats& a, const sender_stats& b);

// RFC 3649 / Mathis et al. 1997: the steady-state rate of a loss-based
// congestion controller, MSS / RTT * sqrt(3/2) / sqrt(p), in Mbit/s.
double mathis_mbps(uint32_t mss, duration rtt, double p);

// A path the loss table sweeps.
struct path {
    const char* name;
    uint64_t rate;       // bytes/s
    duration rtt;        // twice the one-way delay
    duration length;     // virtual time each run lasts
    duration jitter{};   // each way, up to this much more than rtt / 2 (link_config::jitter, FIFO)
    // The LAN paths: both ends send (an echo, as a client streaming through
    // an echo server), and timers fire on the engine's 1 ms wheel ticks
    // (simulator::timer_tick).
    bool lan = false;
};
inline constexpr path gigabit_10ms{"1 Gbit/s, 10 ms RTT", 125'000'000, std::chrono::milliseconds(10),
                                   std::chrono::seconds(10)};
inline constexpr path ten_gigabit_1ms{"10 Gbit/s, 1 ms RTT", 1'250'000'000, std::chrono::milliseconds(1),
                                      std::chrono::seconds(2)};
inline constexpr path lan_100us{"LAN: 10 Gbit/s, 100 us RTT + 20 us jitter, echo", 1'250'000'000,
                                std::chrono::microseconds(100), std::chrono::milliseconds(500),
                                std::chrono::microseconds(10), true};
inline constexpr path lan_1ms{"LAN: 10 Gbit/s, 1 ms RTT + 200 us jitter, echo", 1'250'000'000,
                              std::chrono::milliseconds(1), std::chrono::seconds(1), std::chrono::microseconds(100),
                              true};

// One bulk transfer, A to B (and B to A on a LAN path), for path.length:
// random loss both ways (or reordering), one connection with 4 MiB buffers
// (over three times any path's bandwidth-delay product).
struct bulk_config {
    path p = gigabit_10ms;
    congestion_algorithm cc = congestion_algorithm::cubic;
    bool sack = true;
    double loss = 0;
    double reorder = 0;
    duration reorder_delay{};
    uint64_t seed = 1;
};

// On a LAN path (both ends sending) every figure covers both directions,
// and goodput is their mean.
struct bulk_result {
    double goodput_mbps = 0;    // received over path.length (per direction)
    uint64_t received = 0;      // bytes the receiving applications got
    uint64_t mismatches = 0;    // received bytes differing from the stream: must be 0
    sender_stats sender;        // the senders
    uint64_t second_half_segments = 0;  // data segments sent in the second half of the run
    uint64_t second_half_spurious = 0;  // spurious retransmissions then
};

bulk_result run_bulk(const bulk_config& c);

// A tail loss: A sends 100 segments' worth to B on an established
// connection (1 Gbit/s, 10 ms RTT) and the first transmissions of the last
// data segments are lost; nothing else is.
struct tail_loss_result {
    bool delivered = false;       // every byte reached B's application, intact
    // From the first lost segment's first transmission until every lost
    // segment had been sent again.
    double repair_after_rtts = 0;
    double delay_rtts = 0;         // how much later the last byte reached B than without the loss
    sender_stats sender;           // host A during the transfer
};

// 100 segments from A to B; the first transmissions of the last
// `lost_segments` are lost.
tail_loss_result run_tail_loss(congestion_algorithm cc, bool sack, uint64_t seed, uint32_t lost_segments = 1);

// When RFC 8985 7 has the lost tail resent, in RTTs after its first
// transmission: the last ACK comes one RTT after it left, and the probe
// (PTO) 2 SRTT later. With one segment left in flight, 7.2 adds WCDelAckT
// (tcb::worst_case_delayed_ack, for a receiver delaying its ACK) and the
// RTO caps the PTO. With two, the probe resends the last segment and its
// SACK proves the one below lost: one more RTT. Plus half an RTT of
// slack, as SRTT exceeds the path's RTT by the flight's queueing.
double tail_probe_bound_rtts(uint32_t lost_segments);

}  // namespace fptcp::sim
