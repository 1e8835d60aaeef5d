#include "wire/icmp.hh"

#include <algorithm>

#include "wire/bytes.hh"
#include "wire/checksum.hh"
#include "wire/ipv4.hh"

namespace fptcp::wire {

namespace {

std::size_t write_icmp_echo(std::span<uint8_t> out, const icmp_echo_spec& spec, uint8_t type) {
    const std::size_t icmp_length = icmp_echo_view::header_size + spec.payload.size();
    if (out.size() < icmp_echo_frame_size(spec) || icmp_length > 0xffff) return 0;
    std::size_t n = write_ethernet_header(out, spec.dst_mac, spec.src_mac, ether_type::ipv4);
    ipv4_header_spec ip{.src = spec.src_ip,
                        .dst = spec.dst_ip,
                        .protocol = ip_protocol::icmp,
                        .ttl = 64,
                        .id = spec.ip_id,
                        .dont_fragment = true,
                        .payload_length = static_cast<uint16_t>(icmp_length)};
    std::size_t ip_n = write_ipv4_header(out.subspan(n), ip, tx_checksum::software);
    if (ip_n == 0) return 0;
    n += ip_n;
    std::span<uint8_t> icmp = out.subspan(n, icmp_length);
    uint8_t* p = icmp.data();
    p[0] = type;
    p[1] = 0;  // code
    store_be16(p + 2, 0);
    store_be16(p + 4, spec.identifier);
    store_be16(p + 6, spec.sequence);
    std::copy(spec.payload.begin(), spec.payload.end(), p + icmp_echo_view::header_size);
    store_be16(p + 2, internet_checksum(icmp));  // RFC 792: over the ICMP message
    return n + icmp_length;
}

}  // namespace

parse_error parse_icmp_echo(std::span<const uint8_t> bytes, icmp_echo_view& out) {
    if (bytes.size() < icmp_echo_view::header_size) return parse_error::truncated_icmp;
    if (!internet_checksum_ok(bytes)) return parse_error::bad_icmp_checksum;
    const uint8_t* p = bytes.data();
    out.type = p[0];
    out.code = p[1];
    out.identifier = load_be16(p + 4);
    out.sequence = load_be16(p + 6);
    out.payload = bytes.subspan(icmp_echo_view::header_size);
    return parse_error::none;
}

std::size_t write_icmp_echo_reply(std::span<uint8_t> out, const icmp_echo_spec& spec) {
    return write_icmp_echo(out, spec, icmp_type::echo_reply);
}

std::size_t write_icmp_echo_request(std::span<uint8_t> out, const icmp_echo_spec& spec) {
    return write_icmp_echo(out, spec, icmp_type::echo_request);
}

}  // namespace fptcp::wire
