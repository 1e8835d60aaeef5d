#pragma once
// Checksum offload: what the NIC verified on receive, what it will compute on
// transmit. Maps DPDK's mbuf ol_flags so the rest of lib/wire stays free of
// rte_mbuf.

#include <cstdint>

#include <rte_mbuf_core.h>

namespace fptcp::wire {

// What the NIC says about one checksum of a received frame.
enum class checksum_status : uint8_t {
    unknown,  // not verified: software verifies
    good,     // verified good by the NIC: software skips
    bad,      // verified bad by the NIC: the frame is dropped
};

// Receive side: one status for the IPv4 header checksum, one for the L4
// (TCP) checksum. Default: nothing verified, software checks everything.
struct checksum_offload {
    checksum_status ip = checksum_status::unknown;
    checksum_status l4 = checksum_status::unknown;
    constexpr bool operator==(const checksum_offload&) const = default;
};

// Maps one RTE_MBUF_F_RX_*_CKSUM_* field. DPDK's "NONE" means the checksum
// field itself is not valid but the data integrity was verified: good.
constexpr checksum_status rx_status_from_bits(uint64_t bits, uint64_t good, uint64_t bad) {
    if (bits == (good | bad)) return checksum_status::good;  // *_CKSUM_NONE
    if (bits == good) return checksum_status::good;
    if (bits == bad) return checksum_status::bad;
    return checksum_status::unknown;
}

// The receive checksum state of an mbuf, from its ol_flags.
constexpr checksum_offload rx_checksum_offload(uint64_t ol_flags) {
    return checksum_offload{
        rx_status_from_bits(ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK, RTE_MBUF_F_RX_IP_CKSUM_GOOD,
                            RTE_MBUF_F_RX_IP_CKSUM_BAD),
        rx_status_from_bits(ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK, RTE_MBUF_F_RX_L4_CKSUM_GOOD,
                            RTE_MBUF_F_RX_L4_CKSUM_BAD),
    };
}

// Transmit side: who computes the IPv4 and TCP checksums of a built frame.
enum class tx_checksum : uint8_t {
    software,  // both checksums computed by write_*_frame
    offload,   // IPv4 checksum left 0, TCP checksum field = pseudo-header sum;
               // the mbuf needs tx_checksum_ol_flags, l2_len and l3_len
};

// ol_flags to set on an mbuf built with tx_checksum::offload.
inline constexpr uint64_t tx_checksum_ol_flags =
    RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM;

}  // namespace fptcp::wire
