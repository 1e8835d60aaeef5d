#pragma once
// fptcp-gen's syn-flood workload (docs/fptcp-gen.md): SYNs from spoofed
// sources, straight on the port, without an engine, so that, like a real
// flood, nothing on our side keeps state per SYN. The sources are the
// --source-ips x --source-ports pairs in turn. We answer ARP for the spoofed
// addresses, so the server's SYN-ACKs reach us and are counted (and so are
// its RSTs), but never answer them: each SYN leaves a half-open connection on
// the server until its SYN-ACK retransmissions give up (RFC 4987 describes
// the attack and the defences).

#include <cstdint>

#include "app/gen_options.hh"
#include "wire/ethernet.hh"

struct rte_mbuf;

namespace fptcp::port {
class port;
}
namespace fptcp::wire {
struct parsed_frame;
}

namespace fptcp::app {

struct syn_flood_counts {
    uint64_t syns = 0;         // SYNs the port took
    uint64_t syn_acks = 0;     // SYN-ACKs to a spoofed source (retransmissions included)
    uint64_t resets = 0;       // RSTs to a spoofed source
    uint64_t tx_dropped = 0;   // SYNs built but not taken by the TX queue, or no mbuf
    uint64_t arp_replies = 0;  // ARP requests for our or a spoofed address answered
};

class syn_flood {
public:
    using clock_fn = uint64_t (*)();
    // `rate`: SYNs per second; 0: as fast as the port takes them.
    syn_flood(const gen_options& opts, port::port& p, clock_fn now_ns);

    // ARP for the server (or the gateway) until it answers; false after
    // `timeout_ns`.
    bool resolve_server(uint64_t timeout_ns);
    // One iteration: RX (answer ARP, count SYN-ACKs and RSTs), then the SYNs due.
    void poll();

    void start_measuring() {
        _measuring = true;
        _measured = syn_flood_counts{};
    }
    const syn_flood_counts& total() const { return _total; }
    const syn_flood_counts& measured() const { return _measured; }

private:
    static constexpr uint16_t burst = 32;

    void receive();
    void answer_arp(const wire::parsed_frame& f);
    void count_tcp(const wire::parsed_frame& f);
    void send_syns();
    rte_mbuf* build_syn();
    void transmit(rte_mbuf** frames, uint16_t n);
    void add(uint64_t syn_flood_counts::*field, uint64_t n);
    bool is_ours(uint32_t ip) const { return ip - _opts.source_ips.first < _opts.source_ips.count || ip == _opts.ip; }

    const gen_options& _opts;
    port::port& _port;
    clock_fn _now_ns;
    wire::mac_address _server_mac{};
    uint64_t _interval_ns;  // 0: as fast as possible
    uint64_t _next_ns = 0;
    uint64_t _cursor = 0;   // the next (address, port) pair
    uint32_t _seq = 0;
    uint16_t _ip_id = 0;
    bool _measuring = false;
    syn_flood_counts _total, _measured;
};

}  // namespace fptcp::app
