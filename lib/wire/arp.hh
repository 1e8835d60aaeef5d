#pragma once
// ARP for IPv4 over Ethernet (RFC 826): requests and replies only.

#include <cstddef>
#include <cstdint>
#include <span>

#include "wire/ethernet.hh"
#include "wire/parse_error.hh"

namespace fptcp::wire {

enum class arp_op : uint16_t {
    request = 1,  // RFC 826 ares_op$REQUEST
    reply = 2,    // RFC 826 ares_op$REPLY
};

// A parsed ARP packet. IPv4 addresses in host order.
struct arp_view {
    static constexpr std::size_t packet_size = 28;  // Ethernet/IPv4 ARP body

    arp_op op = arp_op::request;
    mac_address sender_mac{};
    uint32_t sender_ip = 0;
    mac_address target_mac{};
    uint32_t target_ip = 0;
};

// Parses the ARP body (the Ethernet payload). Fewer than 28 bytes is
// truncated_arp; a hardware type other than Ethernet, a protocol other than
// IPv4, odd address lengths or an opcode other than request/reply is
// unsupported_arp. Trailing Ethernet padding is ignored.
parse_error parse_arp(std::span<const uint8_t> bytes, arp_view& out);

// Size of the frames written below (untagged Ethernet + ARP, no padding:
// the NIC pads to the 60-byte minimum).
inline constexpr std::size_t arp_frame_size = 14 + arp_view::packet_size;

// Writes an ARP reply frame from us (`our_mac`, `our_ip`) to the requester;
// returns arp_frame_size, or 0 when `out` is too small.
std::size_t write_arp_reply(std::span<uint8_t> out, const mac_address& our_mac, uint32_t our_ip,
                            const mac_address& peer_mac, uint32_t peer_ip);

// Writes a broadcast ARP request asking who has `target_ip`; returns
// arp_frame_size, or 0 when `out` is too small.
std::size_t write_arp_request(std::span<uint8_t> out, const mac_address& our_mac, uint32_t our_ip,
                              uint32_t target_ip);

}  // namespace fptcp::wire
