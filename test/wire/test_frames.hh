#pragma once
// Frames for the lib/wire tests: built with the library's builders, then
// edited byte by byte (with checksums repaired) to reach each drop reason.

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

#include "wire/bytes.hh"
#include "wire/checksum.hh"
#include "wire/ethernet.hh"
#include "wire/tcp.hh"

namespace fptcp::wire::test {

inline constexpr mac_address mac_a{0x52, 0x54, 0x00, 0x12, 0x34, 0x01};
inline constexpr mac_address mac_b{0x52, 0x54, 0x00, 0x12, 0x34, 0x02};
inline constexpr uint32_t ip_a = 0xc0a8010a;  // 192.168.1.10
inline constexpr uint32_t ip_b = 0xc0a80114;  // 192.168.1.20

// Offsets in an untagged frame.
inline constexpr std::size_t ip_off = 14;
inline constexpr std::size_t tcp_off = 34;

// A data segment from a to b; callers adjust fields.
inline tcp_frame_spec data_spec(std::span<const uint8_t> payload = {}) {
    tcp_frame_spec s;
    s.src_mac = mac_a;
    s.dst_mac = mac_b;
    s.src_ip = ip_a;
    s.dst_ip = ip_b;
    s.ip_id = 0x1234;
    s.src_port = 51234;
    s.dst_port = 80;
    s.seq = 0xfffffff0;  // near the wrap
    s.ack = 0x01020304;
    s.flags = tcp_flags{tcp_flags::ack | tcp_flags::psh};
    s.window = 502;
    s.payload_first = payload;
    return s;
}

inline std::vector<uint8_t> build(const tcp_frame_spec& spec) {
    std::vector<uint8_t> f(tcp_frame_size(spec));
    f.resize(write_tcp_frame(f, spec));
    return f;
}

// Recomputes the IPv4 header checksum of the header at `off`.
inline void fix_ipv4_checksum(std::vector<uint8_t>& f, std::size_t off = ip_off) {
    const std::size_t hlen = std::size_t{f[off] & 0x0fu} * 4;
    store_be16(&f[off + 10], 0);
    store_be16(&f[off + 10], internet_checksum(std::span(f).subspan(off, hlen)));
}

// Recomputes the TCP checksum of the segment after the IPv4 header at `off`,
// using the IPv4 total length.
inline void fix_tcp_checksum(std::vector<uint8_t>& f, std::size_t off = ip_off) {
    const std::size_t hlen = std::size_t{f[off] & 0x0fu} * 4;
    const std::size_t total = load_be16(&f[off + 2]);
    auto seg = std::span(f).subspan(off + hlen, total - hlen);
    store_be16(&seg[16], 0);
    store_be16(&seg[16], tcp_checksum(load_be32(&f[off + 12]), load_be32(&f[off + 16]), seg));
}

inline void fix_checksums(std::vector<uint8_t>& f, std::size_t off = ip_off) {
    fix_ipv4_checksum(f, off);
    fix_tcp_checksum(f, off);
}

// A frame whose TCP header carries exactly `options` (zero-padded to a
// multiple of 4 bytes) followed by `payload`, with valid checksums.
inline std::vector<uint8_t> frame_with_options(std::initializer_list<uint8_t> options,
                                               std::span<const uint8_t> payload = {}) {
    std::vector<uint8_t> opts(options);
    while (opts.size() % 4 != 0) opts.push_back(0);
    std::vector<uint8_t> f = build(data_spec());  // 54 bytes, no options
    f.insert(f.end(), opts.begin(), opts.end());
    f.insert(f.end(), payload.begin(), payload.end());
    f[tcp_off + 12] = static_cast<uint8_t>(((20 + opts.size()) / 4) << 4);
    store_be16(&f[ip_off + 2], static_cast<uint16_t>(f.size() - ip_off));
    fix_checksums(f);
    return f;
}

}  // namespace fptcp::wire::test
