// parse_frame end to end: a captured frame, every drop reason, VLAN, and
// robustness against truncated and mutated input.

#include <cstdint>
#include <functional>
#include <random>
#include <set>
#include <vector>

#include <gtest/gtest.h>

#include "test_frames.hh"
#include "wire/frame.hh"

namespace fptcp::wire {
namespace {

using test::build;
using test::data_spec;
using test::frame_with_options;

// A Linux-style SYN 192.168.1.10:51234 -> 192.168.1.20:80 with MSS 1460,
// SACK-permitted, timestamps, NOP, window scale 7. Checksums computed by hand
// (independently of lib/wire): IPv4 0xff69, TCP 0xc4e6.
const std::vector<uint8_t> linux_syn = {
    0x52, 0x54, 0x00, 0x12, 0x34, 0x02, 0x52, 0x54, 0x00, 0x12, 0x34, 0x01, 0x08, 0x00, 0x45, 0x00,
    0x00, 0x3c, 0xb7, 0xe3, 0x40, 0x00, 0x40, 0x06, 0xff, 0x69, 0xc0, 0xa8, 0x01, 0x0a, 0xc0, 0xa8,
    0x01, 0x14, 0xc8, 0x22, 0x00, 0x50, 0x5e, 0x2a, 0x17, 0xc4, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02,
    0xfa, 0xf0, 0xc4, 0xe6, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x9a, 0x1b,
    0x2c, 0x3d, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
};

TEST(KnownFrames, LinuxSynParsedFieldByField) {
    parsed_frame p;
    ASSERT_EQ(parse_frame(linux_syn, {}, p), parse_error::none);
    ASSERT_EQ(p.kind, frame_kind::tcp);
    EXPECT_EQ(p.eth.dst, test::mac_b);
    EXPECT_EQ(p.eth.src, test::mac_a);
    EXPECT_EQ(p.eth.type, ether_type::ipv4);
    EXPECT_FALSE(p.eth.vlan_id);
    EXPECT_EQ(p.ip.header_length, 20);
    EXPECT_EQ(p.ip.total_length, 60);
    EXPECT_EQ(p.ip.id, 0xb7e3);
    EXPECT_TRUE(p.ip.dont_fragment);
    EXPECT_EQ(p.ip.ttl, 64);
    EXPECT_EQ(p.ip.protocol, ip_protocol::tcp);
    EXPECT_EQ(p.ip.checksum, 0xff69);
    EXPECT_EQ(p.ip.src, 0xc0a8010au);
    EXPECT_EQ(p.ip.dst, 0xc0a80114u);
    EXPECT_EQ(p.tcp.src_port, 51234);
    EXPECT_EQ(p.tcp.dst_port, 80);
    EXPECT_EQ(p.tcp.seq, 0x5e2a17c4u);
    EXPECT_EQ(p.tcp.ack, 0u);
    EXPECT_EQ(p.tcp.header_length, 40);
    EXPECT_EQ(p.tcp.flags, tcp_flags{tcp_flags::syn});
    EXPECT_EQ(p.tcp.window, 64240);
    EXPECT_EQ(p.tcp.checksum, 0xc4e6);
    EXPECT_EQ(p.tcp.urgent_pointer, 0);
    EXPECT_EQ(p.tcp.options.mss, 1460);
    EXPECT_TRUE(p.tcp.options.sack_permitted);
    EXPECT_TRUE(p.tcp.options.has_timestamps);
    EXPECT_EQ(p.tcp.options.ts_val, 0x9a1b2c3du);
    EXPECT_EQ(p.tcp.options.ts_ecr, 0u);
    EXPECT_EQ(p.tcp.options.window_shift, 7);
    EXPECT_EQ(p.tcp.options.sack_count, 0);
    EXPECT_TRUE(p.tcp.payload.empty());
}

TEST(KnownFrames, LinuxSynPaddedToSixtyFourBytesStillParses) {
    auto f = linux_syn;
    f.resize(80, 0);  // trailing bytes past the IPv4 total length
    parsed_frame p;
    ASSERT_EQ(parse_frame(f, {}, p), parse_error::none);
    EXPECT_TRUE(p.tcp.payload.empty());
}

TEST(Frame, VlanTaggedTcpFrame) {
    auto f = linux_syn;
    const uint8_t tag[4] = {0x81, 0x00, 0x00, 0x64};  // VID 100
    f.insert(f.begin() + 12, tag, tag + 4);
    parsed_frame p;
    ASSERT_EQ(parse_frame(f, {}, p), parse_error::none);
    EXPECT_EQ(p.kind, frame_kind::tcp);
    EXPECT_EQ(p.eth.vlan_id, 100);
    EXPECT_EQ(p.tcp.options.mss, 1460);
}

TEST(Frame, DoubleVlanTagUnsupported) {
    auto f = linux_syn;
    const uint8_t tags[8] = {0x81, 0x00, 0x00, 0x64, 0x81, 0x00, 0x00, 0x65};
    f.insert(f.begin() + 12, tags, tags + 8);
    parsed_frame p;
    EXPECT_EQ(parse_frame(f, {}, p), parse_error::unsupported_ethertype);
}

TEST(Frame, KindResetOnFailure) {
    parsed_frame p;
    ASSERT_EQ(parse_frame(linux_syn, {}, p), parse_error::none);
    ASSERT_EQ(p.kind, frame_kind::tcp);
    EXPECT_NE(parse_frame(std::span(linux_syn).first(10), {}, p), parse_error::none);
    EXPECT_EQ(p.kind, frame_kind::other);
}

// ---- one frame per drop reason ----

std::vector<uint8_t> edited(std::function<void(std::vector<uint8_t>&)> edit,
                            std::vector<uint8_t> f = linux_syn) {
    edit(f);
    return f;
}

struct reason_case {
    parse_error expected;
    std::vector<uint8_t> frame;
    checksum_offload rx{};
};

std::vector<reason_case> reason_cases() {
    using test::fix_checksums;
    using test::fix_ipv4_checksum;
    using test::fix_tcp_checksum;
    auto set16 = [](std::size_t off, uint16_t v) {
        return [=](std::vector<uint8_t>& f) { store_be16(&f[off], v); };
    };
    std::vector<uint8_t> arp(arp_frame_size);
    write_arp_request(arp, test::mac_a, test::ip_a, test::ip_b);
    icmp_echo_spec echo{.identifier = 1};
    std::vector<uint8_t> icmp(icmp_echo_frame_size(echo));
    write_icmp_echo_request(icmp, echo);

    return {
        {parse_error::none, linux_syn},
        {parse_error::truncated_ethernet, {linux_syn.begin(), linux_syn.begin() + 13}},
        {parse_error::unsupported_ethertype, edited(set16(12, 0x86dd))},
        {parse_error::truncated_arp, {arp.begin(), arp.end() - 1}},
        {parse_error::unsupported_arp, edited(set16(14 + 6, 3), arp)},
        {parse_error::truncated_ipv4, {linux_syn.begin(), linux_syn.begin() + 33}},
        {parse_error::bad_ipv4_version, edited([](auto& f) { f[14] = 0x65; })},
        {parse_error::bad_ipv4_header_length, edited([](auto& f) { f[14] = 0x44; })},
        {parse_error::bad_ipv4_total_length, edited(set16(16, 61))},
        {parse_error::bad_ipv4_checksum, edited([](auto& f) { f[22] = 63; })},
        {parse_error::ipv4_fragment, edited([&](auto& f) { set16(20, 0x2000)(f); fix_ipv4_checksum(f); })},
        {parse_error::unsupported_ip_protocol, edited([](auto& f) { f[23] = 17; fix_ipv4_checksum(f); })},
        {parse_error::truncated_icmp,
         edited([](auto& f) { f.resize(41); store_be16(&f[16], 27); fix_ipv4_checksum(f); }, icmp)},
        {parse_error::bad_icmp_checksum, edited([](auto& f) { f[40] ^= 1; }, icmp)},
        {parse_error::truncated_tcp,
         edited([](auto& f) { f.resize(53); store_be16(&f[16], 39); fix_ipv4_checksum(f); })},
        {parse_error::bad_tcp_data_offset, edited([](auto& f) { f[46] = 0x40; fix_tcp_checksum(f); })},
        {parse_error::bad_tcp_option_length, frame_with_options({1, 30, 0, 0})},
        {parse_error::tcp_option_past_header, frame_with_options({8, 10, 0, 0, 0, 0, 0, 0})},
        {parse_error::bad_tcp_option_size_for_kind, frame_with_options({8, 8, 0, 0, 0, 0, 0, 0})},
        {parse_error::bad_tcp_checksum, edited([](auto& f) { f[38] ^= 1; })},
        {parse_error::bad_tcp_checksum, linux_syn, {checksum_status::unknown, checksum_status::bad}},
        {parse_error::bad_ipv4_checksum, linux_syn, {checksum_status::bad, checksum_status::unknown}},
    };
}

TEST(Frame, EveryDropReasonReachable) {
    std::set<parse_error> seen;
    for (const auto& c : reason_cases()) {
        parsed_frame p;
        EXPECT_EQ(parse_frame(c.frame, c.rx, p), c.expected) << to_string(c.expected);
        seen.insert(c.expected);
    }
    for (int i = 0; i < static_cast<int>(parse_error::count_); ++i) {
        EXPECT_TRUE(seen.contains(static_cast<parse_error>(i)))
            << "no case for " << to_string(static_cast<parse_error>(i));
    }
}

// ---- robustness: what the fuzzer will do, deterministically ----

std::vector<std::vector<uint8_t>> valid_frames() {
    std::vector<uint8_t> data(64, 0x5a);
    auto with_data = data_spec(data);
    with_data.options.has_timestamps = true;
    with_data.options.sack_count = 3;
    std::vector<uint8_t> arp(arp_frame_size);
    write_arp_reply(arp, test::mac_a, test::ip_a, test::mac_b, test::ip_b);
    icmp_echo_spec echo{.payload = data};
    std::vector<uint8_t> icmp(icmp_echo_frame_size(echo));
    write_icmp_echo_request(icmp, echo);
    return {linux_syn, build(with_data), arp, icmp};
}

TEST(FrameRobustness, EveryTruncationParsesOrGivesAReason) {
    for (const auto& f : valid_frames()) {
        for (std::size_t len = 0; len <= f.size(); ++len) {
            // A copy of exactly `len` bytes so ASan sees any read past the end.
            std::vector<uint8_t> cut(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(len));
            parsed_frame p;
            parse_error e = parse_frame(cut, {}, p);
            if (len == f.size()) {
                EXPECT_EQ(e, parse_error::none);
            } else if (len < 14) {
                EXPECT_EQ(e, parse_error::truncated_ethernet);
            } else {
                EXPECT_NE(e, parse_error::none) << "len " << len;  // every byte of these frames counts
            }
            EXPECT_LT(static_cast<int>(e), static_cast<int>(parse_error::count_));
        }
    }
}

TEST(FrameRobustness, RandomByteMutationsNeverCrash) {
    std::mt19937 rng(12345);
    std::size_t accepted = 0;
    const auto frames = valid_frames();
    for (int iter = 0; iter < 20000; ++iter) {
        std::vector<uint8_t> f = frames[static_cast<std::size_t>(iter) % frames.size()];
        const int edits = 1 + static_cast<int>(rng() % 4);
        for (int k = 0; k < edits; ++k) f[rng() % f.size()] = static_cast<uint8_t>(rng());
        f.resize(rng() % (f.size() + 1));
        for (checksum_status s : {checksum_status::unknown, checksum_status::good}) {
            parsed_frame p;
            parse_error e = parse_frame(f, {s, s}, p);
            ASSERT_LT(static_cast<int>(e), static_cast<int>(parse_error::count_));
            if (e == parse_error::none) {
                ++accepted;
                if (p.kind == frame_kind::tcp) {
                    EXPECT_LE(p.tcp.payload.data() + p.tcp.payload.size(), f.data() + f.size());
                }
            }
        }
    }
    EXPECT_GT(accepted, 0u);
}

TEST(FrameRobustness, RandomBytesNeverCrash) {
    std::mt19937 rng(777);
    for (int iter = 0; iter < 20000; ++iter) {
        std::vector<uint8_t> f(rng() % 128);
        for (auto& b : f) b = static_cast<uint8_t>(rng());
        if (f.size() >= 14 && iter % 2 == 0) {  // steer half of them into IPv4 + TCP
            store_be16(&f[12], ether_type::ipv4);
            if (f.size() >= 24) {
                f[14] = static_cast<uint8_t>(0x40 | (f[14] & 0x0f));
                f[23] = ip_protocol::tcp;
            }
        }
        parsed_frame p;
        parse_error e = parse_frame(f, {checksum_status::good, checksum_status::good}, p);
        ASSERT_LT(static_cast<int>(e), static_cast<int>(parse_error::count_));
    }
}

}  // namespace
}  // namespace fptcp::wire
