#include "wire/ethernet.hh"

#include "wire/bytes.hh"

namespace fptcp::wire {

parse_error parse_ethernet(std::span<const uint8_t> frame, ethernet_view& out) {
    if (frame.size() < ethernet_view::header_size) return parse_error::truncated_ethernet;
    const uint8_t* p = frame.data();
    out.dst = load_mac(p);
    out.src = load_mac(p + 6);
    out.type = load_be16(p + 12);
    out.vlan_id.reset();
    out.header_length = ethernet_view::header_size;
    if (out.type == ether_type::vlan) {
        // 802.1Q: TPID 0x8100, then TCI (PCP:3 DEI:1 VID:12), then the real type.
        if (frame.size() < ethernet_view::header_size + ethernet_view::vlan_tag_size) {
            return parse_error::truncated_ethernet;
        }
        out.vlan_id = static_cast<uint16_t>(load_be16(p + 14) & 0x0fff);
        out.type = load_be16(p + 16);
        out.header_length += ethernet_view::vlan_tag_size;
    }
    out.payload = frame.subspan(out.header_length);
    return parse_error::none;
}

std::size_t write_ethernet_header(std::span<uint8_t> out, const mac_address& dst,
                                  const mac_address& src, uint16_t type) {
    if (out.size() < ethernet_view::header_size) return 0;
    uint8_t* p = out.data();
    store_mac(p, dst);
    store_mac(p + 6, src);
    store_be16(p + 12, type);
    return ethernet_view::header_size;
}

}  // namespace fptcp::wire
