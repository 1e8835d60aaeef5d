#pragma once
// TCP headers (RFC 9293 section 3.1) over IPv4, and the TCP frame builder.

#include <cstddef>
#include <cstdint>
#include <span>

#include "wire/ethernet.hh"
#include "wire/offload.hh"
#include "wire/parse_error.hh"
#include "wire/tcp_options.hh"

namespace fptcp::wire {

// A parsed, validated TCP header. The spans point into the frame.
struct tcp_view {
    static constexpr std::size_t min_header_size = 20;
    static constexpr std::size_t max_header_size = 60;

    uint16_t src_port = 0;
    uint16_t dst_port = 0;
    uint32_t seq = 0;
    uint32_t ack = 0;
    uint8_t header_length = 0;  // bytes: data offset * 4
    tcp_flags flags{};
    uint16_t window = 0;  // raw, unscaled
    uint16_t checksum = 0;
    uint16_t urgent_pointer = 0;
    tcp_options options{};
    std::span<const uint8_t> header{};   // header_length bytes, options included
    std::span<const uint8_t> payload{};  // the segment's data
};

// Parses a TCP segment (the IPv4 payload, trimmed to the IPv4 total length).
// Checks, in order: at least 20 bytes (truncated_tcp); data offset >= 5 and
// the header within the segment (bad_tcp_data_offset); the checksum over the
// IPv4 pseudo-header built from `src_ip`/`dst_ip` (host order) unless
// `checksum` says the NIC verified it (bad_tcp_checksum); the options (see
// parse_tcp_options).
parse_error parse_tcp(std::span<const uint8_t> segment, uint32_t src_ip, uint32_t dst_ip,
                      checksum_status checksum, tcp_view& out);

// One TCP segment to write as a whole frame: untagged Ethernet, a 20-byte
// IPv4 header (DF set, TTL 64), the TCP header, its options, the payload.
struct tcp_frame_spec {
    mac_address src_mac{};
    mac_address dst_mac{};
    uint32_t src_ip = 0;  // host order
    uint32_t dst_ip = 0;  // host order
    uint16_t ip_id = 0;
    uint16_t src_port = 0;
    uint16_t dst_port = 0;
    uint32_t seq = 0;
    uint32_t ack = 0;
    tcp_flags flags{};
    uint16_t window = 0;  // raw 16-bit field, already scaled down
    uint16_t urgent_pointer = 0;
    tcp_options options{};
    // The payload, in order: a ring buffer that wraps gives two spans.
    std::span<const uint8_t> payload_first{};
    std::span<const uint8_t> payload_second{};
    tx_checksum tx = tx_checksum::software;

    // SYN-only options (MSS, window scale, SACK-permitted) go out only on a SYN.
    bool syn() const { return flags.has(tcp_flags::syn); }
    std::size_t payload_size() const { return payload_first.size() + payload_second.size(); }
};

// Size of the frame write_tcp_frame writes for `spec`.
std::size_t tcp_frame_size(const tcp_frame_spec& spec);

// Writes the frame described by `spec` into `out`; returns the bytes written,
// or 0 when `out` is too small or the segment does not fit one IPv4 packet.
// With spec.tx == tx_checksum::software both checksums are computed; with
// tx_checksum::offload the IPv4 checksum is 0 and the TCP checksum field
// holds the pseudo-header sum, as DPDK's RTE_MBUF_F_TX_IP_CKSUM |
// RTE_MBUF_F_TX_TCP_CKSUM offload expects. The payload spans must not
// overlap `out`.
std::size_t write_tcp_frame(std::span<uint8_t> out, const tcp_frame_spec& spec);

}  // namespace fptcp::wire
