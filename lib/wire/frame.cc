#include "wire/frame.hh"

namespace fptcp::wire {

namespace {

// IPv4 payloads: ICMP (RFC 792) or TCP (RFC 9293); anything else is dropped.
parse_error parse_ipv4_payload(checksum_offload rx, parsed_frame& out) {
    switch (out.ip.protocol) {
        case ip_protocol::tcp: {
            parse_error e = parse_tcp(out.ip.payload, out.ip.src, out.ip.dst, rx.l4, out.tcp);
            if (e == parse_error::none) out.kind = frame_kind::tcp;
            return e;
        }
        case ip_protocol::icmp: {
            parse_error e = parse_icmp_echo(out.ip.payload, out.icmp);
            if (e == parse_error::none && out.icmp.is_echo_request()) out.kind = frame_kind::icmp_echo;
            return e;
        }
        default: return parse_error::unsupported_ip_protocol;
    }
}

}  // namespace

parse_error parse_frame(std::span<const uint8_t> frame, checksum_offload rx, parsed_frame& out) {
    out.kind = frame_kind::other;
    if (parse_error e = parse_ethernet(frame, out.eth); e != parse_error::none) return e;
    switch (out.eth.type) {
        case ether_type::arp: {
            parse_error e = parse_arp(out.eth.payload, out.arp);
            if (e == parse_error::none) out.kind = frame_kind::arp;
            return e;
        }
        case ether_type::ipv4: {
            parse_error e = parse_ipv4(out.eth.payload, rx.ip, out.ip);
            if (e != parse_error::none) return e;
            return parse_ipv4_payload(rx, out);
        }
        default: return parse_error::unsupported_ethertype;
    }
}

icmp_echo_spec echo_reply_spec(const parsed_frame& request, uint16_t ip_id) {
    return icmp_echo_spec{.src_mac = request.eth.dst,
                          .dst_mac = request.eth.src,
                          .src_ip = request.ip.dst,
                          .dst_ip = request.ip.src,
                          .ip_id = ip_id,
                          .identifier = request.icmp.identifier,
                          .sequence = request.icmp.sequence,
                          .payload = request.icmp.payload};
}

}  // namespace fptcp::wire
