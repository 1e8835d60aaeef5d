#pragma once
// A stack's counters: a snapshot of one lcore, or the sum of several
// (fptcp::runtime publishes one per lcore, readable from any thread).

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace fptcp {

// The counters every stack keeps, in the order stats::names() lists them.
enum class counter : uint16_t {
    // frames on the port
    rx_packets,
    rx_bytes,
    tx_packets,
    tx_bytes,
    // connections
    connections_opened,  // reached ESTABLISHED (either role)
    connections_closed,  // of those opened, freed (to TIME_WAIT or CLOSED)
    time_wait_reaped,
    time_wait_reopened,  // a new SYN took over a TIME_WAIT tuple (RFC 6191)
    active,              // gauge: connections holding a slot
    time_wait,           // gauge: TIME_WAIT entries
    // TCP
    segments_out,
    retransmits,
    timeouts,             // retransmission timeouts (RFC 6298 5.4)
    fast_recoveries,      // entries into fast recovery (RFC 6675 5)
    loss_probes,          // tail loss probes (RFC 8985 7)
    lost_retransmits,     // retransmissions found lost (RFC 8985 6.2)
    dsacks_received,      // the peer reported a duplicate (RFC 2883)
    spurious_recoveries,  // fast recoveries undone (RFC 3708)
    sack_renegings,       // the peer dropped data it had SACKed (RFC 2018 8)
    challenge_acks,       // RFC 5961
    resets_out,
    syn_cookies_sent,  // RFC 4987 3.6
    syn_cookies_accepted,
    syn_cookies_rejected,
    output_overflows,
    // ARP, ICMP
    arp_replies,
    icmp_echo_replies,
    path_suspects,  // a next hop's ARP entry expired because TCP suspected the path (RFC 1122 4.2.3.5)
    // fault injection (stack_settings::fault)
    fault_rx_dropped,
    fault_rx_duplicated,
    fault_rx_reordered,
    fault_tx_dropped,
    fault_tx_duplicated,
    fault_tx_reordered,
    count_
};

class stats {
public:
    stats();  // every counter zero

    uint64_t operator[](counter c) const { return _values[static_cast<std::size_t>(c)]; }
    // Every drop reason summed.
    uint64_t drops() const;
    // The value of names()[i] for the name given; 0 for a name not listed.
    uint64_t get(std::string_view name) const;

    // Every counter by name: those of `counter`, then each drop reason
    // ("drop_<reason>" for the engine's, "drop_tcp_<reason>" for the TCP
    // core's, "drop_rx_<reason>" for frames that did not parse), then the
    // connections in each state before TIME_WAIT ("state_<name>").
    static std::span<const std::string_view> names();
    // Whether names()[i] is a drop reason.
    static bool is_drop(std::size_t i);
    // Whether names()[i] is a count of connections in a state.
    static bool is_state(std::size_t i);
    // Whether names()[i] is a drop of a frame that looks malformed or forged:
    // bad lengths, checksums and options, martian sources, frames over the
    // MTU, RFC 5961's blind resets, SYNs and ACKs, segments without ACK or
    // timestamp, reassembly overflow. The other drops are routine (traffic
    // not for fptcp, old duplicates, segments after a close) or a lack of
    // resources.
    static bool is_suspect_drop(std::size_t i);
    // The suspect drops summed.
    uint64_t suspect_drops() const;
    std::span<const uint64_t> values() const { return _values; }
    std::span<uint64_t> values() { return _values; }

    stats& operator+=(const stats& other);

private:
    std::vector<uint64_t> _values;
};

}  // namespace fptcp
