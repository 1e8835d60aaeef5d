// ICMP echo (RFC 792).

#include <cstdint>
#include <numeric>
#include <vector>

#include <gtest/gtest.h>

#include "test_frames.hh"
#include "wire/frame.hh"
#include "wire/icmp.hh"

namespace fptcp::wire {
namespace {

using test::ip_a;
using test::ip_b;
using test::mac_a;
using test::mac_b;

std::vector<uint8_t> echo_request(std::span<const uint8_t> payload) {
    icmp_echo_spec s{.src_mac = mac_a, .dst_mac = mac_b, .src_ip = ip_a, .dst_ip = ip_b,
                     .ip_id = 7, .identifier = 0x4242, .sequence = 3, .payload = payload};
    std::vector<uint8_t> f(icmp_echo_frame_size(s));
    EXPECT_EQ(write_icmp_echo_request(f, s), f.size());
    return f;
}

std::vector<uint8_t> payload(std::size_t n) {
    std::vector<uint8_t> p(n);
    std::iota(p.begin(), p.end(), uint8_t{1});
    return p;
}

TEST(IcmpEcho, RequestParsed) {
    auto data = payload(56);
    auto f = echo_request(data);
    parsed_frame p;
    ASSERT_EQ(parse_frame(f, {}, p), parse_error::none);
    ASSERT_EQ(p.kind, frame_kind::icmp_echo);
    EXPECT_EQ(p.ip.protocol, ip_protocol::icmp);
    EXPECT_EQ(p.icmp.type, icmp_type::echo_request);
    EXPECT_EQ(p.icmp.code, 0);
    EXPECT_EQ(p.icmp.identifier, 0x4242);
    EXPECT_EQ(p.icmp.sequence, 3);
    EXPECT_TRUE(std::equal(p.icmp.payload.begin(), p.icmp.payload.end(), data.begin(), data.end()));
}

TEST(IcmpEcho, ReplyCopiesIdentifierSequenceAndPayload) {
    auto data = payload(57);  // odd length: checksum pads with a zero byte
    auto request = echo_request(data);
    parsed_frame req;
    ASSERT_EQ(parse_frame(request, {}, req), parse_error::none);
    icmp_echo_spec s = echo_reply_spec(req, 99);
    std::vector<uint8_t> reply(icmp_echo_frame_size(s));
    ASSERT_EQ(write_icmp_echo_reply(reply, s), reply.size());
    EXPECT_EQ(reply.size(), request.size());

    parsed_frame rep;
    ASSERT_EQ(parse_frame(reply, {}, rep), parse_error::none);  // checksums verified
    EXPECT_EQ(rep.kind, frame_kind::other);                     // a reply is nothing to answer
    EXPECT_EQ(rep.eth.src, mac_b);
    EXPECT_EQ(rep.eth.dst, mac_a);
    EXPECT_EQ(rep.ip.src, ip_b);
    EXPECT_EQ(rep.ip.dst, ip_a);
    EXPECT_EQ(rep.ip.id, 99);
    EXPECT_EQ(rep.ip.ttl, 64);
    EXPECT_EQ(rep.icmp.type, icmp_type::echo_reply);
    EXPECT_EQ(rep.icmp.code, 0);
    EXPECT_EQ(rep.icmp.identifier, 0x4242);
    EXPECT_EQ(rep.icmp.sequence, 3);
    EXPECT_TRUE(std::equal(rep.icmp.payload.begin(), rep.icmp.payload.end(), data.begin(), data.end()));
}

TEST(IcmpEcho, NonEchoTypeIsOther) {
    auto f = echo_request({});
    f[34] = 3;  // destination unreachable, code 0
    f[36] = f[37] = 0;
    store_be16(&f[36], internet_checksum(std::span(f).subspan(34)));
    parsed_frame p;
    ASSERT_EQ(parse_frame(f, {}, p), parse_error::none);
    EXPECT_EQ(p.kind, frame_kind::other);
}

TEST(IcmpEcho, NonZeroCodeIsNotAnEchoRequest) {
    icmp_echo_view v{.type = icmp_type::echo_request, .code = 1};
    EXPECT_FALSE(v.is_echo_request());
}

TEST(IcmpEcho, ShorterThanEightBytesTruncated) {
    auto f = echo_request({});
    for (uint16_t icmp_len = 0; icmp_len < 8; ++icmp_len) {
        std::vector<uint8_t> g(f.begin(), f.begin() + 34 + icmp_len);
        store_be16(&g[16], static_cast<uint16_t>(20 + icmp_len));
        test::fix_ipv4_checksum(g);
        parsed_frame p;
        EXPECT_EQ(parse_frame(g, {}, p), parse_error::truncated_icmp) << icmp_len;
    }
}

TEST(IcmpEcho, BadChecksumRejected) {
    auto f = echo_request(payload(8));
    f.back() ^= 0x80;
    parsed_frame p;
    EXPECT_EQ(parse_frame(f, {}, p), parse_error::bad_icmp_checksum);
    // The NIC's L4 flags do not cover ICMP: still verified in software.
    EXPECT_EQ(parse_frame(f, {checksum_status::good, checksum_status::good}, p),
              parse_error::bad_icmp_checksum);
}

TEST(IcmpEcho, WriteNeedsRoom) {
    auto data = payload(10);
    icmp_echo_spec s{.payload = data};
    std::vector<uint8_t> f(icmp_echo_frame_size(s) - 1);
    EXPECT_EQ(write_icmp_echo_reply(f, s), 0u);
}

TEST(IcmpEcho, PayloadTooLargeForIpv4Rejected) {
    std::vector<uint8_t> data(65535 - 20 - 8 + 1);
    icmp_echo_spec s{.payload = data};
    std::vector<uint8_t> f(icmp_echo_frame_size(s));
    EXPECT_EQ(write_icmp_echo_reply(f, s), 0u);
    s.payload = std::span(data).first(data.size() - 1);
    EXPECT_EQ(write_icmp_echo_reply(f, s), icmp_echo_frame_size(s));
}

}  // namespace
}  // namespace fptcp::wire
