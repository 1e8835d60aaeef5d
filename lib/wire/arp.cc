#include "wire/arp.hh"

#include "wire/bytes.hh"

namespace fptcp::wire {

namespace {

// RFC 826 packet format, Ethernet/IPv4 only.
constexpr uint16_t hrd_ethernet = 1;  // ar$hrd
constexpr uint8_t hln_ethernet = 6;   // ar$hln
constexpr uint8_t pln_ipv4 = 4;       // ar$pln

std::size_t write_arp(std::span<uint8_t> out, arp_op op, const mac_address& eth_dst,
                      const mac_address& sha, uint32_t spa, const mac_address& tha, uint32_t tpa) {
    if (out.size() < arp_frame_size) return 0;
    std::size_t n = write_ethernet_header(out, eth_dst, sha, ether_type::arp);
    uint8_t* p = out.data() + n;
    store_be16(p, hrd_ethernet);
    store_be16(p + 2, ether_type::ipv4);  // ar$pro
    p[4] = hln_ethernet;
    p[5] = pln_ipv4;
    store_be16(p + 6, static_cast<uint16_t>(op));
    store_mac(p + 8, sha);
    store_be32(p + 14, spa);
    store_mac(p + 18, tha);
    store_be32(p + 24, tpa);
    return arp_frame_size;
}

}  // namespace

parse_error parse_arp(std::span<const uint8_t> bytes, arp_view& out) {
    if (bytes.size() < arp_view::packet_size) return parse_error::truncated_arp;
    const uint8_t* p = bytes.data();
    if (load_be16(p) != hrd_ethernet || load_be16(p + 2) != ether_type::ipv4 ||
        p[4] != hln_ethernet || p[5] != pln_ipv4) {
        return parse_error::unsupported_arp;
    }
    uint16_t op = load_be16(p + 6);
    if (op != static_cast<uint16_t>(arp_op::request) && op != static_cast<uint16_t>(arp_op::reply)) {
        return parse_error::unsupported_arp;
    }
    out.op = static_cast<arp_op>(op);
    out.sender_mac = load_mac(p + 8);
    out.sender_ip = load_be32(p + 14);
    out.target_mac = load_mac(p + 18);
    out.target_ip = load_be32(p + 24);
    return parse_error::none;
}

std::size_t write_arp_reply(std::span<uint8_t> out, const mac_address& our_mac, uint32_t our_ip,
                            const mac_address& peer_mac, uint32_t peer_ip) {
    return write_arp(out, arp_op::reply, peer_mac, our_mac, our_ip, peer_mac, peer_ip);
}

std::size_t write_arp_request(std::span<uint8_t> out, const mac_address& our_mac, uint32_t our_ip,
                              uint32_t target_ip) {
    // RFC 826: the target hardware address is unknown; sent as zeros.
    return write_arp(out, arp_op::request, broadcast_mac, our_mac, our_ip, mac_address{},
                     target_ip);
}

}  // namespace fptcp::wire
