#pragma once
// IPv4 headers (RFC 791 section 3.1). Addresses in host order.

#include <cstddef>
#include <cstdint>
#include <span>

#include "wire/offload.hh"
#include "wire/parse_error.hh"

namespace fptcp::wire {

namespace ip_protocol {
inline constexpr uint8_t icmp = 1;
inline constexpr uint8_t tcp = 6;
}  // namespace ip_protocol

// A parsed, validated IPv4 header. The spans point into the frame.
struct ipv4_view {
    static constexpr std::size_t min_header_size = 20;

    uint8_t header_length = 0;  // bytes, IHL * 4, options included
    uint8_t tos = 0;
    uint16_t total_length = 0;
    uint16_t id = 0;
    bool dont_fragment = false;
    uint8_t ttl = 0;
    uint8_t protocol = 0;
    uint16_t checksum = 0;
    uint32_t src = 0;
    uint32_t dst = 0;
    std::span<const uint8_t> header{};   // header_length bytes, options included
    std::span<const uint8_t> payload{};  // total_length - header_length bytes
};

// Parses an IPv4 packet (the Ethernet payload). Checks, in order: at least 20
// bytes (truncated_ipv4); version 4 (bad_ipv4_version); IHL >= 5 and the
// header within the bytes (bad_ipv4_header_length); header_length <= total
// length <= bytes (bad_ipv4_total_length; trailing Ethernet padding beyond
// the total length is trimmed); the header checksum unless `checksum` says the
// NIC verified it (bad_ipv4_checksum); not a fragment, i.e. MF clear and
// fragment offset 0 (ipv4_fragment: fptcp does not reassemble). Options are
// skipped by the header length, not interpreted.
parse_error parse_ipv4(std::span<const uint8_t> bytes, checksum_status checksum, ipv4_view& out);

// What write_ipv4_header writes: a 20-byte header, no options.
struct ipv4_header_spec {
    uint32_t src = 0;
    uint32_t dst = 0;
    uint8_t protocol = 0;
    uint8_t ttl = 64;
    uint16_t id = 0;
    bool dont_fragment = true;
    uint16_t payload_length = 0;  // bytes after the header
};

// Writes a 20-byte IPv4 header. With tx_checksum::software the header
// checksum is computed; with tx_checksum::offload it is left 0 for the NIC.
// Returns 20, or 0 when `out` is too small or the total length would exceed
// 65535.
std::size_t write_ipv4_header(std::span<uint8_t> out, const ipv4_header_spec& spec,
                              tx_checksum checksum);

}  // namespace fptcp::wire
