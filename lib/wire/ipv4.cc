#include "wire/ipv4.hh"

#include "wire/bytes.hh"
#include "wire/checksum.hh"

namespace fptcp::wire {

namespace {

// RFC 791 section 3.1, the Flags and Fragment Offset word.
constexpr uint16_t flag_df = 0x4000;
constexpr uint16_t flag_mf = 0x2000;
constexpr uint16_t fragment_offset_mask = 0x1fff;

bool checksum_acceptable(std::span<const uint8_t> header, checksum_status status) {
    switch (status) {
        case checksum_status::good: return true;
        case checksum_status::bad: return false;
        case checksum_status::unknown: return internet_checksum_ok(header);
    }
    return false;
}

}  // namespace

parse_error parse_ipv4(std::span<const uint8_t> bytes, checksum_status checksum, ipv4_view& out) {
    if (bytes.size() < ipv4_view::min_header_size) return parse_error::truncated_ipv4;
    const uint8_t* p = bytes.data();
    if ((p[0] >> 4) != 4) return parse_error::bad_ipv4_version;
    std::size_t header_length = std::size_t{p[0] & 0x0fu} * 4;
    if (header_length < ipv4_view::min_header_size || header_length > bytes.size()) {
        return parse_error::bad_ipv4_header_length;
    }
    uint16_t total_length = load_be16(p + 2);
    if (total_length < header_length || total_length > bytes.size()) {
        return parse_error::bad_ipv4_total_length;
    }
    if (!checksum_acceptable(bytes.first(header_length), checksum)) {
        return parse_error::bad_ipv4_checksum;
    }
    uint16_t frag = load_be16(p + 6);
    if ((frag & flag_mf) != 0 || (frag & fragment_offset_mask) != 0) {
        return parse_error::ipv4_fragment;
    }
    out.header_length = static_cast<uint8_t>(header_length);
    out.tos = p[1];
    out.total_length = total_length;
    out.id = load_be16(p + 4);
    out.dont_fragment = (frag & flag_df) != 0;
    out.ttl = p[8];
    out.protocol = p[9];
    out.checksum = load_be16(p + 10);
    out.src = load_be32(p + 12);
    out.dst = load_be32(p + 16);
    out.header = bytes.first(header_length);
    out.payload = bytes.subspan(header_length, total_length - header_length);
    return parse_error::none;
}

std::size_t write_ipv4_header(std::span<uint8_t> out, const ipv4_header_spec& spec,
                              tx_checksum checksum) {
    constexpr std::size_t hlen = ipv4_view::min_header_size;
    if (out.size() < hlen || spec.payload_length > 0xffff - hlen) return 0;
    uint8_t* p = out.data();
    p[0] = 0x45;  // version 4, IHL 5
    p[1] = 0;     // TOS
    store_be16(p + 2, static_cast<uint16_t>(hlen + spec.payload_length));
    store_be16(p + 4, spec.id);
    store_be16(p + 6, spec.dont_fragment ? flag_df : 0);
    p[8] = spec.ttl;
    p[9] = spec.protocol;
    store_be16(p + 10, 0);
    store_be32(p + 12, spec.src);
    store_be32(p + 16, spec.dst);
    switch (checksum) {
        case tx_checksum::software: store_be16(p + 10, internet_checksum(out.first(hlen))); break;
        case tx_checksum::offload: break;  // RTE_MBUF_F_TX_IP_CKSUM: the NIC fills it
    }
    return hlen;
}

}  // namespace fptcp::wire
