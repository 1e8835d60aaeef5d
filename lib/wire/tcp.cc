#include "wire/tcp.hh"

#include <algorithm>
#include <array>

#include "wire/bytes.hh"
#include "wire/checksum.hh"
#include "wire/ipv4.hh"

namespace fptcp::wire {

namespace {

bool checksum_acceptable(std::span<const uint8_t> segment, uint32_t src_ip, uint32_t dst_ip,
                         checksum_status status) {
    switch (status) {
        case checksum_status::good: return true;
        case checksum_status::bad: return false;
        case checksum_status::unknown: return tcp_checksum_ok(src_ip, dst_ip, segment);
    }
    return false;
}

// RFC 9293 section 3.1: the fixed 20 bytes, field by field.
void read_fixed_header(const uint8_t* p, tcp_view& out) {
    out.src_port = load_be16(p);
    out.dst_port = load_be16(p + 2);
    out.seq = load_be32(p + 4);
    out.ack = load_be32(p + 8);
    out.flags = tcp_flags{p[13]};
    out.window = load_be16(p + 14);
    out.checksum = load_be16(p + 16);
    out.urgent_pointer = load_be16(p + 18);
}

void write_fixed_header(uint8_t* p, const tcp_frame_spec& spec, std::size_t header_length) {
    store_be16(p, spec.src_port);
    store_be16(p + 2, spec.dst_port);
    store_be32(p + 4, spec.seq);
    store_be32(p + 8, spec.ack);
    p[12] = static_cast<uint8_t>((header_length / 4) << 4);  // data offset, reserved bits 0
    p[13] = spec.flags.bits;
    store_be16(p + 14, spec.window);
    store_be16(p + 16, 0);  // checksum, filled last
    store_be16(p + 18, spec.urgent_pointer);
}

}  // namespace

parse_error parse_tcp(std::span<const uint8_t> segment, uint32_t src_ip, uint32_t dst_ip,
                      checksum_status checksum, tcp_view& out) {
    if (segment.size() < tcp_view::min_header_size) return parse_error::truncated_tcp;
    const std::size_t header_length = std::size_t{segment[12]} >> 4 << 2;
    if (header_length < tcp_view::min_header_size || header_length > segment.size()) {
        return parse_error::bad_tcp_data_offset;
    }
    if (!checksum_acceptable(segment, src_ip, dst_ip, checksum)) {
        return parse_error::bad_tcp_checksum;
    }
    read_fixed_header(segment.data(), out);
    out.header_length = static_cast<uint8_t>(header_length);
    out.header = segment.first(header_length);
    out.payload = segment.subspan(header_length);
    return parse_tcp_options(out.header.subspan(tcp_view::min_header_size), out.options);
}

std::size_t tcp_frame_size(const tcp_frame_spec& spec) {
    std::array<uint8_t, max_tcp_options_size> opts;
    const std::size_t opt_len = write_tcp_options(spec.options, spec.syn(), opts);
    return ethernet_view::header_size + 20 + tcp_view::min_header_size + opt_len +
           spec.payload_size();
}

std::size_t write_tcp_frame(std::span<uint8_t> out, const tcp_frame_spec& spec) {
    std::array<uint8_t, max_tcp_options_size> opts;
    const std::size_t opt_len = write_tcp_options(spec.options, spec.syn(), opts);
    const std::size_t tcp_header_length = tcp_view::min_header_size + opt_len;
    const std::size_t tcp_length = tcp_header_length + spec.payload_size();
    const std::size_t frame_length = ethernet_view::header_size + 20 + tcp_length;
    if (out.size() < frame_length || 20 + tcp_length > 0xffff) return 0;

    std::size_t n = write_ethernet_header(out, spec.dst_mac, spec.src_mac, ether_type::ipv4);
    const ipv4_header_spec ip{.src = spec.src_ip,
                              .dst = spec.dst_ip,
                              .protocol = ip_protocol::tcp,
                              .ttl = 64,
                              .id = spec.ip_id,
                              .dont_fragment = true,
                              .payload_length = static_cast<uint16_t>(tcp_length)};
    n += write_ipv4_header(out.subspan(n), ip, spec.tx);

    std::span<uint8_t> segment = out.subspan(n, tcp_length);
    uint8_t* p = segment.data();
    write_fixed_header(p, spec, tcp_header_length);
    std::copy_n(opts.begin(), opt_len, p + tcp_view::min_header_size);
    uint8_t* data = p + tcp_header_length;
    data = std::copy(spec.payload_first.begin(), spec.payload_first.end(), data);
    std::copy(spec.payload_second.begin(), spec.payload_second.end(), data);

    switch (spec.tx) {
        case tx_checksum::software:
            store_be16(p + 16, tcp_checksum(spec.src_ip, spec.dst_ip, segment));
            break;
        case tx_checksum::offload:  // RTE_MBUF_F_TX_TCP_CKSUM: NIC adds the segment
            store_be16(p + 16, ipv4_pseudo_header_sum(spec.src_ip, spec.dst_ip, ip_protocol::tcp,
                                                      static_cast<uint16_t>(tcp_length)));
            break;
    }
    return frame_length;
}

}  // namespace fptcp::wire
