#pragma once
// ICMP echo (RFC 792, "Echo or Echo Reply Message").

#include <cstddef>
#include <cstdint>
#include <span>

#include "wire/ethernet.hh"
#include "wire/parse_error.hh"

namespace fptcp::wire {

namespace icmp_type {
inline constexpr uint8_t echo_reply = 0;
inline constexpr uint8_t echo_request = 8;
}  // namespace icmp_type

// A parsed ICMP message read with the echo layout: type, code, checksum,
// identifier, sequence number, data. `payload` points into the frame.
struct icmp_echo_view {
    static constexpr std::size_t header_size = 8;

    uint8_t type = 0;
    uint8_t code = 0;
    uint16_t identifier = 0;
    uint16_t sequence = 0;
    std::span<const uint8_t> payload{};

    bool is_echo_request() const { return type == icmp_type::echo_request && code == 0; }
};

// Parses an ICMP message (the IPv4 payload): at least 8 bytes
// (truncated_icmp) and a checksum over the whole message that verifies
// (bad_icmp_checksum; RFC 792: "the 16-bit one's complement of the one's
// complement sum of the ICMP message"). Any type is accepted; check
// is_echo_request().
parse_error parse_icmp_echo(std::span<const uint8_t> bytes, icmp_echo_view& out);

// An echo message to write as a whole frame (Ethernet + IPv4 + ICMP).
struct icmp_echo_spec {
    mac_address src_mac{};
    mac_address dst_mac{};
    uint32_t src_ip = 0;
    uint32_t dst_ip = 0;
    uint16_t ip_id = 0;
    uint16_t identifier = 0;
    uint16_t sequence = 0;
    std::span<const uint8_t> payload{};  // copied
};

// Bytes write_icmp_echo_* writes for `spec`.
inline std::size_t icmp_echo_frame_size(const icmp_echo_spec& spec) {
    return 14 + 20 + icmp_echo_view::header_size + spec.payload.size();
}

// Write an echo reply (type 0) or request (type 8) frame with both checksums
// computed in software. Return the bytes written, or 0 when `out` is too small
// or the payload does not fit one IPv4 packet. `out` must not overlap
// `spec.payload`.
std::size_t write_icmp_echo_reply(std::span<uint8_t> out, const icmp_echo_spec& spec);
std::size_t write_icmp_echo_request(std::span<uint8_t> out, const icmp_echo_spec& spec);

}  // namespace fptcp::wire
