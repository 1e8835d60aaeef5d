// One DPDK ethdev: its mbuf pool, queues, RSS and checksum offloads.
// Does not include DPDK headers (only port.cc includes rte_ethdev.h).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "port/port_spec.hh"

struct rte_mempool;
struct rte_mbuf;

namespace fptcp::port {

struct port_settings {
    uint16_t rx_queues = 1, tx_queues = 1;  // clamped to what the device offers
    uint32_t mbufs = 8191;                   // pool size; 2^n - 1 is optimal for rte_mempool
    uint16_t rx_ring = 1024, tx_ring = 1024; // descriptors, adjusted to the device's limits
    uint16_t mtu = 0;                        // 0: the device's own (1500); else set, and mbufs sized for it
};

// The largest MTU fptcp sets (jumbo frames), and the buffer every layer
// gives a jumbo frame: an mbuf's data (the engine parses single-segment
// frames), a memif buffer, an af_packet ring frame (whose PMD wants its
// whole frame to fit an mbuf).
inline constexpr uint16_t max_mtu = 9000;
inline constexpr uint16_t jumbo_buffer = 10240;
// The mbuf data room (headroom included) for frames of `mtu`.
uint16_t mbuf_data_room(uint16_t mtu);

// Counters read from rte_eth_stats_get, and for af_packet from the kernel.
struct port_counters {
    uint64_t rx_packets = 0, tx_packets = 0, rx_bytes = 0, tx_bytes = 0;
    uint64_t rx_missed = 0, rx_errors = 0, tx_errors = 0, rx_no_mbuf = 0;
    // af_packet: frames the PMD took (tx_packets + tx_errors) that the
    // kernel has not transmitted on the interface since the port opened
    // (frames the kernel itself sends there hide as many); 0 elsewhere.
    uint64_t tx_unsent = 0;
};

// 40-byte Toeplitz key of repeated 0x6d5a: symmetric, so (a, b) and (b, a)
// hash alike and both directions of a flow land on one queue (Woo and Park,
// "Scalable TCP Session Monitoring with Symmetric Receive-side Scaling").
const std::array<uint8_t, 40>& symmetric_rss_key();

class port {
public:
    // Opens port `index` (its position in eal_settings::ports; start_eal must
    // have run). Finds the ethdev (rte_eth_dev_get_port_by_name, or the PCI
    // device), creates its mbuf pool, configures queues, RSS and offloads,
    // starts it. nullptr and `error` (one line) on failure.
    // ring: the first port opened on a link name is side 0, the second side 1;
    // side 0's TX queue q feeds side 1's RX queue q and the other way round.
    static std::unique_ptr<port> open(const port_spec& spec, unsigned index, const port_settings& settings,
                                      std::string& error);
    ~port();  // stops and closes the ethdev, frees the pool
    port(const port&) = delete;
    port& operator=(const port&) = delete;

    uint16_t id() const { return _id; }
    std::array<uint8_t, 6> mac() const { return _mac; }
    rte_mempool* pool() const { return _pool; }
    uint16_t queues() const { return _rx_queues; }  // RX queues = polling lcores
    uint16_t tx_queues() const { return _tx_queues; }
    std::string_view name() const { return _name; }  // ethdev name, e.g. "net_tap0"
    const port_spec& spec() const { return _spec; }

    // rte_eth_rx_burst / rte_eth_tx_burst. tx_burst returns how many were
    // taken; the caller still owns (and must free or retry) the others.
    uint16_t rx_burst(uint16_t queue, rte_mbuf** pkts, uint16_t n);
    uint16_t tx_burst(uint16_t queue, rte_mbuf** pkts, uint16_t n);

    // The largest IP datagram the port carries (rte_eth_dev_get_mtu; 1500,
    // Ethernet's, unless the device was set otherwise).
    uint16_t mtu() const;

    bool link_up() const;
    // Polls link_up() every 10 ms for up to timeout_ms.
    bool wait_for_link(unsigned timeout_ms) const;

    // RX: the device checks IPv4 and TCP checksums (RTE_MBUF_F_RX_*_CKSUM_*
    // flags are set). TX: it fills them when the mbuf asks
    // (RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM,
    // l2_len/l3_len, TCP checksum field preset to the pseudo-header sum).
    bool rx_checksum_offload() const { return _rx_checksum; }
    bool tx_checksum_offload() const { return _tx_checksum; }
    // RSS on (more than one RX queue and the device hashes IPv4/TCP) with
    // symmetric_rss_key(); the RETA is programmed as entry i -> queue
    // i % queues(), so queue = (hash % reta_size()) % queues().
    bool rss() const { return _rss; }
    uint16_t reta_size() const { return _reta_size; }
    port_counters counters() const;  // reads the kernel's counters too: not for the packet path

private:
    port(const port_spec& spec, uint16_t id, std::string name);
    bool configure(const port_settings& settings, std::string& error);
    bool configure_device(uint16_t rx_queues, uint16_t tx_queues, std::string& error);
    bool set_mtu(uint16_t mtu, std::string& error);
    bool setup_queues(const port_settings& settings, std::string& error);
    void program_reta();
    uint64_t frames_the_kernel_did_not_send(uint64_t taken) const;

    port_spec _spec;
    uint16_t _id;
    std::string _name;
    std::array<uint8_t, 6> _mac{};
    rte_mempool* _pool = nullptr;
    uint16_t _rx_queues = 0;
    uint16_t _tx_queues = 0;
    uint16_t _reta_size = 0;
    uint64_t _rx_offloads = 0;  // as given to rte_eth_dev_configure
    uint64_t _tx_offloads = 0;
    int _ring_side = -1;  // ring ports only
    std::optional<uint64_t> _kernel_tx_at_start;  // af_packet: the interface's tx_packets when opened
    bool _started = false;
    bool _rx_checksum = false;
    bool _tx_checksum = false;
    bool _rss = false;
    uint16_t _mtu = 0;  // tap, af_packet, memif: the MTU set for them (set_mtu)
};

}  // namespace fptcp::port
