#pragma once
// Bring your own packets: what a stack needs to know of the link when the
// application owns the DPDK port and hands frames in and out itself
// (fptcp::stack::create, docs/api.md). Part of the public API; lib/engine
// implements it.

#include <array>
#include <cstdint>

struct rte_mempool;

namespace fptcp {

struct link_settings {
    std::array<uint8_t, 6> mac{};  // the stack's own Ethernet address
    uint16_t mtu = 1500;           // the largest IP datagram; longer frames in are dropped
    rte_mempool* pool = nullptr;   // where the frames the stack builds come from (pktmbufs)
    // The device fills IPv4 and TCP checksums of the frames it is given
    // (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM enabled):
    // the stack then asks for it in each mbuf instead of computing them.
    bool tx_checksum_offload = false;
    // Frames the stack holds for take_tx(); when they are all taken up,
    // further frames are dropped and counted (drop_tx_queue_full).
    uint32_t tx_queue = 1024;
};

}  // namespace fptcp
