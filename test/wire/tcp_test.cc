// TCP header parsing (RFC 9293 section 3.1) and the TCP frame builder.

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include <gtest/gtest.h>

#include "test_frames.hh"
#include "wire/frame.hh"
#include "wire/tcp.hh"

namespace fptcp::wire {
namespace {

using test::build;
using test::data_spec;
using test::frame_with_options;
using test::ip_a;
using test::ip_b;
using test::tcp_off;

std::vector<uint8_t> bytes(std::size_t n, uint8_t first = 0) {
    std::vector<uint8_t> v(n);
    std::iota(v.begin(), v.end(), first);
    return v;
}

parse_error parse(const std::vector<uint8_t>& f, checksum_offload rx = {}) {
    parsed_frame p;
    return parse_frame(f, rx, p);
}

TEST(TcpParse, FieldsOfDataSegment) {
    auto data = bytes(64);
    auto spec = data_spec(data);
    spec.urgent_pointer = 9;
    spec.flags = tcp_flags{tcp_flags::ack | tcp_flags::psh | tcp_flags::urg};
    auto f = build(spec);
    parsed_frame p;
    ASSERT_EQ(parse_frame(f, {}, p), parse_error::none);
    ASSERT_EQ(p.kind, frame_kind::tcp);
    EXPECT_EQ(p.tcp.src_port, 51234);
    EXPECT_EQ(p.tcp.dst_port, 80);
    EXPECT_EQ(p.tcp.seq, 0xfffffff0u);
    EXPECT_EQ(p.tcp.ack, 0x01020304u);
    EXPECT_EQ(p.tcp.header_length, 20);
    EXPECT_EQ(p.tcp.flags, spec.flags);
    EXPECT_EQ(p.tcp.window, 502);
    EXPECT_EQ(p.tcp.urgent_pointer, 9);
    EXPECT_EQ(p.tcp.checksum, load_be16(&f[tcp_off + 16]));
    EXPECT_EQ(p.tcp.options, tcp_options{});
    EXPECT_EQ(p.tcp.header.data(), f.data() + tcp_off);
    EXPECT_EQ(p.tcp.payload.data(), f.data() + tcp_off + 20);
    EXPECT_TRUE(std::equal(p.tcp.payload.begin(), p.tcp.payload.end(), data.begin(), data.end()));
}

TEST(TcpParse, ShorterThanTwentyBytesTruncated) {
    auto f = build(data_spec());
    for (std::size_t tcp_len = 0; tcp_len < 20; ++tcp_len) {
        std::vector<uint8_t> g(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(tcp_off + tcp_len));
        store_be16(&g[16], static_cast<uint16_t>(20 + tcp_len));
        test::fix_ipv4_checksum(g);
        EXPECT_EQ(parse(g), parse_error::truncated_tcp) << tcp_len;
    }
}

TEST(TcpParse, DataOffsetBelowFiveRejected) {
    for (uint8_t off = 0; off < 5; ++off) {
        auto f = build(data_spec());
        f[tcp_off + 12] = static_cast<uint8_t>(off << 4);
        test::fix_tcp_checksum(f);
        EXPECT_EQ(parse(f), parse_error::bad_tcp_data_offset) << int{off};
    }
}

TEST(TcpParse, DataOffsetPastSegmentRejected) {
    auto f = build(data_spec(bytes(3)));  // 23-byte segment
    f[tcp_off + 12] = 6 << 4;             // claims a 24-byte header
    test::fix_tcp_checksum(f);
    EXPECT_EQ(parse(f), parse_error::bad_tcp_data_offset);
}

TEST(TcpParse, DataOffsetCountsOnlyIpTotalLength) {
    // The option bytes exist in the frame, but beyond the IPv4 total length.
    auto f = frame_with_options({2, 4, 5, 0xb4});
    store_be16(&f[16], 40);  // cut the segment back to 20 bytes
    test::fix_ipv4_checksum(f);
    EXPECT_EQ(parse(f), parse_error::bad_tcp_data_offset);
}

TEST(TcpParse, ReservedBitsIgnored) {
    auto f = build(data_spec());
    f[tcp_off + 12] |= 0x0f;
    test::fix_tcp_checksum(f);
    EXPECT_EQ(parse(f), parse_error::none);
}

TEST(TcpParse, OptionErrorsReachTheFrameParser) {
    EXPECT_EQ(parse(frame_with_options({30, 1, 1, 1})), parse_error::bad_tcp_option_length);
    EXPECT_EQ(parse(frame_with_options({1, 1, 30, 3})), parse_error::tcp_option_past_header);
    EXPECT_EQ(parse(frame_with_options({2, 3, 5, 1})), parse_error::bad_tcp_option_size_for_kind);
}

TEST(TcpParse, MaximalHeaderOfFortyOptionBytes) {
    std::vector<uint8_t> nops(40, 1);
    auto f = build(data_spec());
    f.insert(f.end(), nops.begin(), nops.end());
    f[tcp_off + 12] = 15 << 4;
    store_be16(&f[16], static_cast<uint16_t>(f.size() - 14));
    test::fix_checksums(f);
    parsed_frame p;
    ASSERT_EQ(parse_frame(f, {}, p), parse_error::none);
    EXPECT_EQ(p.tcp.header_length, 60);
    EXPECT_TRUE(p.tcp.payload.empty());
}

// ---- checksums and offload ----

std::vector<uint8_t> corrupted_payload_frame() {
    auto f = build(data_spec(bytes(64)));
    f.back() ^= 0x01;
    return f;
}

TEST(TcpChecksum, BadChecksumDetectedInSoftware) {
    EXPECT_EQ(parse(corrupted_payload_frame()), parse_error::bad_tcp_checksum);
}

TEST(TcpChecksum, PseudoHeaderCovered) {
    auto f = build(data_spec());
    f[14 + 15] ^= 0x01;  // source address changed, IPv4 checksum repaired, TCP not
    test::fix_ipv4_checksum(f);
    EXPECT_EQ(parse(f), parse_error::bad_tcp_checksum);
}

TEST(TcpChecksum, SkippedWhenNicVerifiedGood) {
    EXPECT_EQ(parse(corrupted_payload_frame(), {checksum_status::unknown, checksum_status::good}),
              parse_error::none);
}

TEST(TcpChecksum, DroppedWhenNicSaysBad) {
    auto f = build(data_spec(bytes(64)));
    EXPECT_EQ(parse(f, {checksum_status::good, checksum_status::bad}), parse_error::bad_tcp_checksum);
}

TEST(TcpChecksum, IpChecksumBadInSoftwareBeforeTcp) {
    auto f = corrupted_payload_frame();
    f[14 + 8] ^= 0x01;
    EXPECT_EQ(parse(f), parse_error::bad_ipv4_checksum);
    EXPECT_EQ(parse(f, {checksum_status::good, checksum_status::unknown}), parse_error::bad_tcp_checksum);
    EXPECT_EQ(parse(f, {checksum_status::good, checksum_status::good}), parse_error::none);
    EXPECT_EQ(parse(f, {checksum_status::bad, checksum_status::good}), parse_error::bad_ipv4_checksum);
}

TEST(TcpChecksum, OddPayloadLength) {
    auto f = build(data_spec(bytes(333)));
    EXPECT_EQ(parse(f), parse_error::none);
}

// ---- the builder ----

TEST(TcpFrameBuild, SynMatchesCapturedLinuxSynBytes) {
    // The bytes of KnownFrames.LinuxSynParsedFieldByField.
    auto spec = data_spec();
    spec.ip_id = 0xb7e3;
    spec.seq = 0x5e2a17c4;
    spec.ack = 0;
    spec.flags = tcp_flags{tcp_flags::syn};
    spec.window = 64240;
    spec.options.mss = 1460;
    spec.options.sack_permitted = true;
    spec.options.has_timestamps = true;
    spec.options.ts_val = 0x9a1b2c3d;
    spec.options.window_shift = 7;
    auto f = build(spec);
    ASSERT_EQ(f.size(), 74u);
    EXPECT_EQ(load_be16(&f[24]), 0xff69);  // IPv4 checksum, computed independently
    EXPECT_EQ(load_be16(&f[50]), 0xc4e6);  // TCP checksum, computed independently
}

TEST(TcpFrameBuild, RoundTripWithOptionsAndWrappedPayload) {
    auto first = bytes(100, 0);
    auto second = bytes(37, 100);
    auto spec = data_spec(first);
    spec.payload_second = second;
    spec.options.has_timestamps = true;
    spec.options.ts_val = 1000;
    spec.options.ts_ecr = 2000;
    spec.options.sack_count = 2;
    spec.options.sack[0] = sack_block{10, 20};
    spec.options.sack[1] = sack_block{30, 40};
    auto f = build(spec);
    ASSERT_EQ(f.size(), tcp_frame_size(spec));
    parsed_frame p;
    ASSERT_EQ(parse_frame(f, {}, p), parse_error::none);
    ASSERT_EQ(p.kind, frame_kind::tcp);
    EXPECT_EQ(p.ip.src, ip_a);
    EXPECT_EQ(p.ip.dst, ip_b);
    EXPECT_EQ(p.ip.ttl, 64);
    EXPECT_TRUE(p.ip.dont_fragment);
    EXPECT_EQ(p.ip.id, 0x1234);
    EXPECT_EQ(p.tcp.seq, spec.seq);
    EXPECT_EQ(p.tcp.ack, spec.ack);
    EXPECT_EQ(p.tcp.flags, spec.flags);
    EXPECT_EQ(p.tcp.window, spec.window);
    EXPECT_EQ(p.tcp.options, spec.options);
    std::vector<uint8_t> all = first;
    all.insert(all.end(), second.begin(), second.end());
    EXPECT_TRUE(std::equal(p.tcp.payload.begin(), p.tcp.payload.end(), all.begin(), all.end()));
}

TEST(TcpFrameBuild, SynOptionsOmittedWithoutSyn) {
    auto spec = data_spec();
    spec.options.mss = 1460;
    spec.options.window_shift = 7;
    spec.options.sack_permitted = true;
    EXPECT_FALSE(spec.syn());
    auto f = build(spec);
    EXPECT_EQ(f.size(), 54u);
    spec.flags = tcp_flags{tcp_flags::syn | tcp_flags::ack};
    EXPECT_TRUE(spec.syn());
    parsed_frame p;
    auto g = build(spec);
    ASSERT_EQ(parse_frame(g, {}, p), parse_error::none);
    EXPECT_EQ(p.tcp.options.mss, 1460);
    EXPECT_EQ(p.tcp.options.window_shift, 7);
    EXPECT_TRUE(p.tcp.options.sack_permitted);
}

TEST(TcpFrameBuild, TooSmallBufferGivesZero) {
    auto data = bytes(10);
    auto spec = data_spec(data);
    std::vector<uint8_t> out(tcp_frame_size(spec) - 1);
    EXPECT_EQ(write_tcp_frame(out, spec), 0u);
    out.resize(out.size() + 1);
    EXPECT_EQ(write_tcp_frame(out, spec), out.size());
}

TEST(TcpFrameBuild, SegmentLargerThanIpv4PacketGivesZero) {
    auto data = bytes(65535 - 40 + 1);
    auto spec = data_spec(data);
    std::vector<uint8_t> out(tcp_frame_size(spec));
    EXPECT_EQ(write_tcp_frame(out, spec), 0u);
    spec.payload_first = std::span(data).first(data.size() - 1);
    EXPECT_EQ(write_tcp_frame(out, spec), out.size() - 1);
}

TEST(TcpFrameBuild, JumboFrameRoundTrip) {
    auto data = bytes(9000 - 14 - 20 - 20);
    auto f = build(data_spec(data));
    ASSERT_EQ(f.size(), 9000u);
    parsed_frame p;
    ASSERT_EQ(parse_frame(f, {}, p), parse_error::none);
    EXPECT_EQ(p.ip.total_length, 8986);
    EXPECT_EQ(p.tcp.payload.size(), data.size());
}

// What a NIC does with RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM.
void nic_fill_checksums(std::vector<uint8_t>& f) {
    store_be16(&f[24], internet_checksum(std::span(f).subspan(14, 20)));
    auto seg = std::span(f).subspan(tcp_off);
    // The field holds the pseudo-header sum; the NIC sums the segment over it.
    store_be16(&seg[16], static_cast<uint16_t>(~ones_sum(seg)));
}

TEST(TcpFrameBuild, OffloadWritesPseudoHeaderSumForTheNic) {
    auto data = bytes(65);
    auto spec = data_spec(data);
    spec.tx = tx_checksum::offload;
    auto f = build(spec);
    EXPECT_EQ(load_be16(&f[24]), 0);
    EXPECT_EQ(load_be16(&f[tcp_off + 16]),
              ipv4_pseudo_header_sum(ip_a, ip_b, 6, static_cast<uint16_t>(20 + data.size())));
    EXPECT_EQ(parse(f), parse_error::bad_ipv4_checksum);
    nic_fill_checksums(f);
    EXPECT_EQ(parse(f), parse_error::none);
    spec.tx = tx_checksum::software;
    EXPECT_EQ(f, build(spec));
}

}  // namespace
}  // namespace fptcp::wire
