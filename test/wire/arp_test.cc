// ARP (RFC 826), IPv4 over Ethernet.

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "test_frames.hh"
#include "wire/arp.hh"
#include "wire/frame.hh"

namespace fptcp::wire {
namespace {

using test::ip_a;
using test::ip_b;
using test::mac_a;
using test::mac_b;

std::vector<uint8_t> request_frame() {
    std::vector<uint8_t> f(arp_frame_size);
    EXPECT_EQ(write_arp_request(f, mac_a, ip_a, ip_b), arp_frame_size);
    return f;
}

TEST(Arp, RequestRoundTrip) {
    auto f = request_frame();
    parsed_frame p;
    ASSERT_EQ(parse_frame(f, {}, p), parse_error::none);
    ASSERT_EQ(p.kind, frame_kind::arp);
    EXPECT_EQ(p.eth.dst, broadcast_mac);
    EXPECT_EQ(p.eth.src, mac_a);
    EXPECT_EQ(p.arp.op, arp_op::request);
    EXPECT_EQ(p.arp.sender_mac, mac_a);
    EXPECT_EQ(p.arp.sender_ip, ip_a);
    EXPECT_EQ(p.arp.target_mac, mac_address{});
    EXPECT_EQ(p.arp.target_ip, ip_b);
}

TEST(Arp, ReplyRoundTrip) {
    std::vector<uint8_t> f(arp_frame_size);
    ASSERT_EQ(write_arp_reply(f, mac_b, ip_b, mac_a, ip_a), arp_frame_size);
    parsed_frame p;
    ASSERT_EQ(parse_frame(f, {}, p), parse_error::none);
    ASSERT_EQ(p.kind, frame_kind::arp);
    EXPECT_EQ(p.eth.dst, mac_a);
    EXPECT_EQ(p.eth.src, mac_b);
    EXPECT_EQ(p.arp.op, arp_op::reply);
    EXPECT_EQ(p.arp.sender_mac, mac_b);
    EXPECT_EQ(p.arp.sender_ip, ip_b);
    EXPECT_EQ(p.arp.target_mac, mac_a);
    EXPECT_EQ(p.arp.target_ip, ip_a);
}

TEST(Arp, RequestBytesMatchRfc826Layout) {
    auto f = request_frame();
    const std::vector<uint8_t> body(f.begin() + 14, f.end());
    EXPECT_EQ(body, (std::vector<uint8_t>{0, 1, 0x08, 0, 6, 4, 0, 1, 0x52, 0x54, 0, 0x12, 0x34, 0x01,
                                          192, 168, 1, 10, 0, 0, 0, 0, 0, 0, 192, 168, 1, 20}));
}

TEST(Arp, PaddingToSixtyBytesIgnored) {
    auto f = request_frame();
    f.resize(60, 0);
    parsed_frame p;
    EXPECT_EQ(parse_frame(f, {}, p), parse_error::none);
    EXPECT_EQ(p.kind, frame_kind::arp);
}

TEST(Arp, ShortBodyTruncated) {
    auto f = request_frame();
    for (std::size_t len = 14; len < arp_frame_size; ++len) {
        parsed_frame p;
        EXPECT_EQ(parse_frame(std::span(f).first(len), {}, p), parse_error::truncated_arp) << len;
    }
}

TEST(Arp, WriteNeedsRoom) {
    std::vector<uint8_t> f(arp_frame_size - 1);
    EXPECT_EQ(write_arp_request(f, mac_a, ip_a, ip_b), 0u);
    EXPECT_EQ(write_arp_reply(f, mac_a, ip_a, mac_b, ip_b), 0u);
}

struct arp_edit {
    std::size_t offset;  // within the ARP body
    uint8_t value;
};

class ArpUnsupported : public ::testing::TestWithParam<arp_edit> {};

TEST_P(ArpUnsupported, Rejected) {
    auto f = request_frame();
    f[14 + GetParam().offset] = GetParam().value;
    parsed_frame p;
    EXPECT_EQ(parse_frame(f, {}, p), parse_error::unsupported_arp);
}

INSTANTIATE_TEST_SUITE_P(Fields, ArpUnsupported,
                         ::testing::Values(arp_edit{1, 6},     // hardware type IEEE 802
                                           arp_edit{2, 0x86},  // protocol 0x86dd
                                           arp_edit{4, 8},     // hardware length
                                           arp_edit{5, 16},    // protocol length
                                           arp_edit{7, 3},     // RARP request
                                           arp_edit{7, 0}));

}  // namespace
}  // namespace fptcp::wire
