#pragma once
// Internet checksum (RFC 1071) for IPv4 headers (RFC 791 section 3.1), ICMP
// (RFC 792) and TCP over the IPv4 pseudo-header (RFC 9293 section 3.1).
//
// The sums are DPDK's (rte_raw_cksum). They are computed in memory order and
// returned here as host-order numbers, i.e. the value load_be16() would read
// from the checksum field, so callers store them with store_be16().
// Inline: this is on the per-packet path.

#include <cstddef>
#include <cstdint>
#include <span>

#include <rte_byteorder.h>
#include <rte_ip.h>

#include "wire/bytes.hh"

namespace fptcp::wire {

// Ones' complement sum of `bytes` (not complemented), host order.
inline uint16_t ones_sum(std::span<const uint8_t> bytes) {
    return rte_be_to_cpu_16(rte_raw_cksum(bytes.data(), bytes.size()));
}

// Ones' complement addition of two partial sums (RFC 1071 section 2(A)).
inline uint16_t ones_add(uint16_t a, uint16_t b) {
    uint32_t s = uint32_t{a} + uint32_t{b};
    return static_cast<uint16_t>((s & 0xffffu) + (s >> 16));
}

// Sum of the IPv4 pseudo-header (RFC 9293 section 3.1): source, destination,
// zero, protocol, TCP length. Addresses in host order. Not complemented: this
// is also the value DPDK's TX L4 checksum offload expects in the TCP checksum
// field (see rte_ipv4_phdr_cksum).
inline uint16_t ipv4_pseudo_header_sum(uint32_t src, uint32_t dst, uint8_t protocol,
                                       uint16_t l4_length) {
    uint8_t ph[12];
    store_be32(ph, src);
    store_be32(ph + 4, dst);
    ph[8] = 0;
    ph[9] = protocol;
    store_be16(ph + 10, l4_length);
    return ones_sum(ph);
}

// The checksum to store for `bytes` whose checksum field is zero: the ones'
// complement of the ones' complement sum (RFC 1071).
inline uint16_t internet_checksum(std::span<const uint8_t> bytes) {
    return static_cast<uint16_t>(~ones_sum(bytes));
}

// True when `bytes`, checksum field included, sum to all ones (RFC 1071
// section 2, "verify a checksum").
inline bool internet_checksum_ok(std::span<const uint8_t> bytes) {
    return ones_sum(bytes) == 0xffff;
}

// TCP checksum to store for `segment` (header + payload, checksum field zero),
// over the IPv4 pseudo-header (RFC 9293 section 3.1). Addresses in host order.
inline uint16_t tcp_checksum(uint32_t src, uint32_t dst, std::span<const uint8_t> segment) {
    uint16_t ph = ipv4_pseudo_header_sum(src, dst, 6, static_cast<uint16_t>(segment.size()));
    return static_cast<uint16_t>(~ones_add(ph, ones_sum(segment)));
}

// True when the TCP checksum of `segment` (checksum field included) verifies.
// `segment` must be at most 65535 bytes (it always is inside an IPv4 packet).
inline bool tcp_checksum_ok(uint32_t src, uint32_t dst, std::span<const uint8_t> segment) {
    uint16_t ph = ipv4_pseudo_header_sum(src, dst, 6, static_cast<uint16_t>(segment.size()));
    return ones_add(ph, ones_sum(segment)) == 0xffff;
}

}  // namespace fptcp::wire
