#pragma once
// Ethernet II frames (IEEE 802.3 clause 3.2.6) with at most one IEEE 802.1Q
// tag. The FCS is not part of the bytes (NICs strip it).

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "wire/parse_error.hh"

namespace fptcp::wire {

using mac_address = std::array<uint8_t, 6>;

inline constexpr mac_address broadcast_mac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

inline mac_address load_mac(const uint8_t* p) {
    mac_address m;
    std::copy_n(p, m.size(), m.begin());
    return m;
}

inline void store_mac(uint8_t* p, const mac_address& m) { std::copy(m.begin(), m.end(), p); }

namespace ether_type {
inline constexpr uint16_t ipv4 = 0x0800;
inline constexpr uint16_t arp = 0x0806;
inline constexpr uint16_t vlan = 0x8100;  // IEEE 802.1Q
}  // namespace ether_type

// A parsed Ethernet header. `payload` points into the frame: the view must not
// outlive the frame's bytes.
struct ethernet_view {
    static constexpr std::size_t header_size = 14;
    static constexpr std::size_t vlan_tag_size = 4;

    mac_address dst{};
    mac_address src{};
    uint16_t type = 0;                // after the VLAN tag, if any
    std::optional<uint16_t> vlan_id{};  // 12-bit VID of the 802.1Q tag
    std::size_t header_length = 0;    // 14, or 18 when tagged
    std::span<const uint8_t> payload{};
};

// Parses the Ethernet header of `frame`. One 802.1Q tag is skipped; a frame
// shorter than its header is truncated_ethernet. The ethertype is not checked
// here (parse_frame does).
parse_error parse_ethernet(std::span<const uint8_t> frame, ethernet_view& out);

// Writes an untagged Ethernet header; returns 14, or 0 when `out` is too small.
std::size_t write_ethernet_header(std::span<uint8_t> out, const mac_address& dst,
                                  const mac_address& src, uint16_t type);

}  // namespace fptcp::wire
