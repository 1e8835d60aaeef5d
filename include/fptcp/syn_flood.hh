#pragma once
// A SYN flood, to test a listener's defences (fptcp-gen's syn-flood workload,
// docs/fptcp-gen.md): SYNs from spoofed sources, straight on a runtime's
// port (lcore 0's queues), without a stack, so that, like a real
// flood, nothing on our side keeps state per SYN. The sources are the
// source address x source port pairs in turn. We answer ARP for the spoofed
// addresses, so the server's SYN-ACKs reach us and are counted (and so are
// its RSTs), but never answer them: each SYN leaves a half-open connection on
// the server until its SYN-ACK retransmissions give up (RFC 4987 describes
// the attack and the defences).

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace fptcp {

class runtime;

struct syn_flood_settings {
    uint32_t ip = 0;  // our own address (host order), which ARP asks for
    uint8_t prefix = 24;
    std::optional<uint32_t> gateway;  // for a server off our subnet
    uint32_t server_ip = 0;
    uint16_t server_port = 80;
    // The spoofed sources: first_source_ip .. + source_ips - 1, each with
    // first_source_port .. + source_ports - 1.
    uint32_t first_source_ip = 0;
    uint32_t source_ips = 1;
    uint16_t first_source_port = 32768;
    uint16_t source_ports = 28232;
    uint64_t rate = 0;  // SYNs per second; 0: as fast as the port takes them
};

struct syn_flood_counts {
    uint64_t syns = 0;         // SYNs the port took
    uint64_t syn_acks = 0;     // SYN-ACKs to a spoofed source (retransmissions included)
    uint64_t resets = 0;       // RSTs to a spoofed source
    uint64_t tx_dropped = 0;   // SYNs built but not taken by the TX queue, or no mbuf
    uint64_t arp_replies = 0;  // ARP requests for our or a spoofed address answered
};

class syn_flood {
public:
    // On `rt`'s port, which no stack may use meanwhile. nullptr and `error`
    // when the settings cannot work.
    static std::unique_ptr<syn_flood> create(runtime& rt, const syn_flood_settings& s, std::string& error);
    ~syn_flood();

    // ARP for the server (or the gateway) until it answers; false after
    // `timeout_ns`.
    bool resolve_server(uint64_t timeout_ns);
    // One iteration: RX (answer ARP, count SYN-ACKs and RSTs), then the SYNs due.
    void poll();

    void start_measuring();  // measured() starts from zero
    const syn_flood_counts& total() const;
    const syn_flood_counts& measured() const;

private:
    struct impl;
    explicit syn_flood(std::unique_ptr<impl> i);

    std::unique_ptr<impl> _impl;
};

}  // namespace fptcp
