// Ethernet II and 802.1Q parsing.

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "test_frames.hh"
#include "wire/ethernet.hh"

namespace fptcp::wire {
namespace {

using test::mac_a;
using test::mac_b;

std::vector<uint8_t> untagged() {
    std::vector<uint8_t> f(60, 0xee);
    write_ethernet_header(f, mac_b, mac_a, ether_type::ipv4);
    return f;
}

std::vector<uint8_t> tagged(uint16_t tci) {
    std::vector<uint8_t> f = untagged();
    uint8_t tag[4] = {0x81, 0x00, uint8_t(tci >> 8), uint8_t(tci)};
    f.insert(f.begin() + 12, tag, tag + 4);
    return f;
}

TEST(Ethernet, ParsesAddressesTypeAndPayload) {
    auto f = untagged();
    ethernet_view e;
    ASSERT_EQ(parse_ethernet(f, e), parse_error::none);
    EXPECT_EQ(e.dst, mac_b);
    EXPECT_EQ(e.src, mac_a);
    EXPECT_EQ(e.type, ether_type::ipv4);
    EXPECT_FALSE(e.vlan_id);
    EXPECT_EQ(e.header_length, 14u);
    EXPECT_EQ(e.payload.data(), f.data() + 14);
    EXPECT_EQ(e.payload.size(), 46u);
}

TEST(Ethernet, VlanTagSkippedAndIdRecorded) {
    auto f = tagged(0xa123);  // PCP 5, DEI 0, VID 0x123
    ethernet_view e;
    ASSERT_EQ(parse_ethernet(f, e), parse_error::none);
    EXPECT_EQ(e.vlan_id, 0x123);
    EXPECT_EQ(e.type, ether_type::ipv4);
    EXPECT_EQ(e.header_length, 18u);
    EXPECT_EQ(e.payload.data(), f.data() + 18);
}

TEST(Ethernet, VlanIdClearedOnReuse) {
    ethernet_view e;
    auto t = tagged(5);
    ASSERT_EQ(parse_ethernet(t, e), parse_error::none);
    auto u = untagged();
    ASSERT_EQ(parse_ethernet(u, e), parse_error::none);
    EXPECT_FALSE(e.vlan_id);
}

TEST(Ethernet, RuntFramesTruncated) {
    auto f = untagged();
    for (std::size_t len = 0; len < 14; ++len) {
        ethernet_view e;
        EXPECT_EQ(parse_ethernet(std::span(f).first(len), e), parse_error::truncated_ethernet) << len;
    }
    ethernet_view e;
    EXPECT_EQ(parse_ethernet(std::span(f).first(14), e), parse_error::none);
    EXPECT_TRUE(e.payload.empty());
}

TEST(Ethernet, RuntVlanFramesTruncated) {
    auto f = tagged(1);
    for (std::size_t len = 14; len < 18; ++len) {
        ethernet_view e;
        EXPECT_EQ(parse_ethernet(std::span(f).first(len), e), parse_error::truncated_ethernet) << len;
    }
}

TEST(Ethernet, WriteHeaderNeedsFourteenBytes) {
    std::vector<uint8_t> small(13);
    EXPECT_EQ(write_ethernet_header(small, mac_a, mac_b, ether_type::arp), 0u);
    std::vector<uint8_t> ok(14);
    EXPECT_EQ(write_ethernet_header(ok, mac_a, mac_b, ether_type::arp), 14u);
    EXPECT_EQ(ok, (std::vector<uint8_t>{0x52, 0x54, 0, 0x12, 0x34, 0x01, 0x52, 0x54, 0, 0x12, 0x34,
                                        0x02, 0x08, 0x06}));
}

}  // namespace
}  // namespace fptcp::wire
