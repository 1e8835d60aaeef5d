// IPv4 header validation (RFC 791 section 3.1).

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "test_frames.hh"
#include "wire/ipv4.hh"

namespace fptcp::wire {
namespace {

using test::ip_a;
using test::ip_b;

// A 20-byte header and `payload` bytes of 0xab, valid checksum.
std::vector<uint8_t> packet(std::size_t payload = 8) {
    std::vector<uint8_t> b(20 + payload, 0xab);
    ipv4_header_spec s{.src = ip_a, .dst = ip_b, .protocol = ip_protocol::tcp, .ttl = 61, .id = 0xbeef,
                       .dont_fragment = true, .payload_length = static_cast<uint16_t>(payload)};
    EXPECT_EQ(write_ipv4_header(b, s, tx_checksum::software), 20u);
    return b;
}

void fix_checksum(std::vector<uint8_t>& b) {
    const std::size_t hlen = std::size_t{b[0] & 0x0fu} * 4;
    store_be16(&b[10], 0);
    store_be16(&b[10], internet_checksum(std::span(b).first(hlen)));
}

parse_error parse(const std::vector<uint8_t>& b, checksum_status s = checksum_status::unknown) {
    ipv4_view v;
    return parse_ipv4(b, s, v);
}

TEST(Ipv4, ParsesEveryField) {
    auto b = packet();
    ipv4_view v;
    ASSERT_EQ(parse_ipv4(b, checksum_status::unknown, v), parse_error::none);
    EXPECT_EQ(v.header_length, 20);
    EXPECT_EQ(v.tos, 0);
    EXPECT_EQ(v.total_length, 28);
    EXPECT_EQ(v.id, 0xbeef);
    EXPECT_TRUE(v.dont_fragment);
    EXPECT_EQ(v.ttl, 61);
    EXPECT_EQ(v.protocol, ip_protocol::tcp);
    EXPECT_EQ(v.checksum, load_be16(&b[10]));
    EXPECT_EQ(v.src, ip_a);
    EXPECT_EQ(v.dst, ip_b);
    EXPECT_EQ(v.header.data(), b.data());
    EXPECT_EQ(v.header.size(), 20u);
    EXPECT_EQ(v.payload.data(), b.data() + 20);
    EXPECT_EQ(v.payload.size(), 8u);
}

TEST(Ipv4, ShorterThanTwentyBytesTruncated) {
    auto b = packet(0);
    for (std::size_t len = 0; len < 20; ++len) {
        ipv4_view v;
        EXPECT_EQ(parse_ipv4(std::span(b).first(len), {}, v), parse_error::truncated_ipv4) << len;
    }
}

TEST(Ipv4, VersionOtherThanFourRejected) {
    auto b = packet();
    b[0] = 0x65;
    fix_checksum(b);
    EXPECT_EQ(parse(b), parse_error::bad_ipv4_version);
}

TEST(Ipv4, HeaderLengthBelowFiveWordsRejected) {
    for (uint8_t ihl = 0; ihl < 5; ++ihl) {
        auto b = packet();
        b[0] = static_cast<uint8_t>(0x40 | ihl);
        EXPECT_EQ(parse(b), parse_error::bad_ipv4_header_length) << int{ihl};
    }
}

TEST(Ipv4, HeaderLengthPastDataRejected) {
    auto b = packet(0);
    b[0] = 0x46;  // 24 bytes of header, 20 present
    EXPECT_EQ(parse(b), parse_error::bad_ipv4_header_length);
}

TEST(Ipv4, TotalLengthLargerThanDataRejected) {
    auto b = packet();
    store_be16(&b[2], 29);
    fix_checksum(b);
    EXPECT_EQ(parse(b), parse_error::bad_ipv4_total_length);
}

TEST(Ipv4, TotalLengthSmallerThanHeaderRejected) {
    auto b = packet();
    store_be16(&b[2], 19);
    fix_checksum(b);
    EXPECT_EQ(parse(b), parse_error::bad_ipv4_total_length);
}

TEST(Ipv4, TrailingPaddingTrimmedByTotalLength) {
    auto b = packet(6);
    b.resize(46, 0);  // Ethernet pads a short frame to 60 bytes
    ipv4_view v;
    ASSERT_EQ(parse_ipv4(b, {}, v), parse_error::none);
    EXPECT_EQ(v.payload.size(), 6u);
}

TEST(Ipv4, OptionsSkippedByHeaderLength) {
    auto b = packet();
    // Insert 8 bytes of options: Record Route (7) with room for one address, EOL.
    const uint8_t opts[8] = {7, 7, 4, 0, 0, 0, 0, 0};
    b.insert(b.begin() + 20, opts, opts + 8);
    b[0] = 0x47;
    store_be16(&b[2], static_cast<uint16_t>(b.size()));
    fix_checksum(b);
    ipv4_view v;
    ASSERT_EQ(parse_ipv4(b, {}, v), parse_error::none);
    EXPECT_EQ(v.header_length, 28);
    EXPECT_EQ(v.payload.data(), b.data() + 28);
    EXPECT_EQ(v.payload.size(), 8u);
}

TEST(Ipv4, MoreFragmentsFlagRejected) {
    auto b = packet();
    store_be16(&b[6], 0x2000);
    fix_checksum(b);
    EXPECT_EQ(parse(b), parse_error::ipv4_fragment);
}

TEST(Ipv4, NonZeroFragmentOffsetRejected) {
    auto b = packet();
    store_be16(&b[6], 0x00b9);  // last fragment at offset 185 * 8
    fix_checksum(b);
    EXPECT_EQ(parse(b), parse_error::ipv4_fragment);
}

TEST(Ipv4, DontFragmentClearAccepted) {
    auto b = packet();
    store_be16(&b[6], 0);
    fix_checksum(b);
    ipv4_view v;
    ASSERT_EQ(parse_ipv4(b, {}, v), parse_error::none);
    EXPECT_FALSE(v.dont_fragment);
}

TEST(Ipv4, BadChecksumDetectedInSoftware) {
    auto b = packet();
    b[8] ^= 0x01;  // TTL changed, checksum not updated
    EXPECT_EQ(parse(b, checksum_status::unknown), parse_error::bad_ipv4_checksum);
}

TEST(Ipv4, BadChecksumSkippedWhenNicVerified) {
    auto b = packet();
    b[8] ^= 0x01;
    EXPECT_EQ(parse(b, checksum_status::good), parse_error::none);
}

TEST(Ipv4, NicBadChecksumDropped) {
    auto b = packet();  // checksum correct, but the NIC said bad
    EXPECT_EQ(parse(b, checksum_status::bad), parse_error::bad_ipv4_checksum);
}

TEST(Ipv4, OffloadLeavesChecksumZero) {
    std::vector<uint8_t> b(20);
    ipv4_header_spec s{.src = ip_a, .dst = ip_b, .protocol = ip_protocol::tcp};
    ASSERT_EQ(write_ipv4_header(b, s, tx_checksum::offload), 20u);
    EXPECT_EQ(load_be16(&b[10]), 0);
    EXPECT_EQ(parse(b, checksum_status::unknown), parse_error::bad_ipv4_checksum);
    EXPECT_EQ(parse(b, checksum_status::good), parse_error::none);
}

TEST(Ipv4, WriteRejectsSmallBufferAndOversizePayload) {
    std::vector<uint8_t> b(19);
    EXPECT_EQ(write_ipv4_header(b, {}, tx_checksum::software), 0u);
    b.resize(20);
    EXPECT_EQ(write_ipv4_header(b, {.payload_length = 65516}, tx_checksum::software), 0u);
    EXPECT_EQ(write_ipv4_header(b, {.payload_length = 65515}, tx_checksum::software), 20u);
}

}  // namespace
}  // namespace fptcp::wire
