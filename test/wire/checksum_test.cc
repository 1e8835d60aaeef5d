// Internet checksum (RFC 1071) through DPDK's rte_raw_cksum, and the mapping
// of DPDK's receive checksum flags.

#include <array>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "wire/checksum.hh"
#include "wire/offload.hh"

namespace fptcp::wire {
namespace {

TEST(Checksum, Rfc1071ExampleSum) {
    // RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to dd f2.
    const std::array<uint8_t, 8> b{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    EXPECT_EQ(ones_sum(b), 0xddf2);
    EXPECT_EQ(internet_checksum(b), 0x220d);
}

TEST(Checksum, OddLengthPadsWithZero) {
    const std::array<uint8_t, 3> odd{0x12, 0x34, 0x56};
    const std::array<uint8_t, 4> even{0x12, 0x34, 0x56, 0x00};
    EXPECT_EQ(ones_sum(odd), ones_sum(even));
    EXPECT_EQ(ones_sum(odd), 0x6834);
}

TEST(Checksum, OnesAddFoldsCarry) {
    EXPECT_EQ(ones_add(0xffff, 0x0001), 0x0001);
    EXPECT_EQ(ones_add(0x8000, 0x8000), 0x0001);
    EXPECT_EQ(ones_add(0x1234, 0x0001), 0x1235);
}

TEST(Checksum, StoredChecksumVerifies) {
    std::vector<uint8_t> b{0x45, 0x00, 0x00, 0x3c, 0xb7, 0xe3, 0x40, 0x00, 0x40, 0x06,
                           0x00, 0x00, 0xc0, 0xa8, 0x01, 0x0a, 0xc0, 0xa8, 0x01, 0x14};
    uint16_t c = internet_checksum(b);
    EXPECT_EQ(c, 0xff69);  // computed independently
    store_be16(&b[10], c);
    EXPECT_TRUE(internet_checksum_ok(b));
    b[0] ^= 1;
    EXPECT_FALSE(internet_checksum_ok(b));
}

TEST(Checksum, PseudoHeaderSum) {
    // 192.168.1.10 -> 192.168.1.20, TCP, 40 bytes:
    // c0a8 + 010a + c0a8 + 0114 + 0006 + 0028 = 0x1839c -> 0x839d.
    EXPECT_EQ(ipv4_pseudo_header_sum(0xc0a8010a, 0xc0a80114, 6, 40), 0x839d);
}

TEST(Checksum, TcpChecksumOverPseudoHeader) {
    std::vector<uint8_t> seg(20, 0);
    seg[12] = 0x50;
    uint16_t c = tcp_checksum(1, 2, seg);
    store_be16(&seg[16], c);
    EXPECT_TRUE(tcp_checksum_ok(1, 2, seg));
    EXPECT_FALSE(tcp_checksum_ok(1, 3, seg));
}

TEST(RxChecksumOffload, NoFlagsMeansUnknown) {
    EXPECT_EQ(rx_checksum_offload(0), (checksum_offload{}));
}

TEST(RxChecksumOffload, GoodFlags) {
    auto o = rx_checksum_offload(RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD);
    EXPECT_EQ(o.ip, checksum_status::good);
    EXPECT_EQ(o.l4, checksum_status::good);
}

TEST(RxChecksumOffload, BadFlags) {
    auto o = rx_checksum_offload(RTE_MBUF_F_RX_IP_CKSUM_BAD | RTE_MBUF_F_RX_L4_CKSUM_BAD);
    EXPECT_EQ(o.ip, checksum_status::bad);
    EXPECT_EQ(o.l4, checksum_status::bad);
}

TEST(RxChecksumOffload, NoneMeansIntegrityVerified) {
    auto o = rx_checksum_offload(RTE_MBUF_F_RX_IP_CKSUM_NONE | RTE_MBUF_F_RX_L4_CKSUM_NONE);
    EXPECT_EQ(o.ip, checksum_status::good);
    EXPECT_EQ(o.l4, checksum_status::good);
}

TEST(RxChecksumOffload, IpAndL4Independent) {
    auto o = rx_checksum_offload(RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_BAD |
                                 RTE_MBUF_F_RX_VLAN);
    EXPECT_EQ(o.ip, checksum_status::good);
    EXPECT_EQ(o.l4, checksum_status::bad);
    o = rx_checksum_offload(RTE_MBUF_F_RX_L4_CKSUM_GOOD);
    EXPECT_EQ(o.ip, checksum_status::unknown);
    EXPECT_EQ(o.l4, checksum_status::good);
}

TEST(TxChecksumOffload, FlagsAskForIpv4AndTcp) {
    EXPECT_NE(tx_checksum_ol_flags & RTE_MBUF_F_TX_IP_CKSUM, 0u);
    EXPECT_NE(tx_checksum_ol_flags & RTE_MBUF_F_TX_TCP_CKSUM, 0u);
    EXPECT_NE(tx_checksum_ol_flags & RTE_MBUF_F_TX_IPV4, 0u);
}

}  // namespace
}  // namespace fptcp::wire
