// TCP option parsing and writing (RFC 9293 section 3.1, RFC 7323, RFC 2018).

#include <array>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "wire/tcp_options.hh"

namespace fptcp::wire {
namespace {

parse_error parse(std::vector<uint8_t> bytes, tcp_options& out) { return parse_tcp_options(bytes, out); }

parse_error parse(std::vector<uint8_t> bytes) {
    tcp_options out;
    return parse_tcp_options(bytes, out);
}

TEST(TcpOptions, EmptyListGivesNoOptions) {
    tcp_options o;
    o.mss = 1;
    EXPECT_EQ(parse({}, o), parse_error::none);
    EXPECT_EQ(o, tcp_options{});
}

TEST(TcpOptions, LinuxSynOptionsParsed) {
    tcp_options o;
    ASSERT_EQ(parse({2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 3, 3, 7}, o),
              parse_error::none);
    EXPECT_EQ(o.mss, 1460);
    EXPECT_TRUE(o.sack_permitted);
    EXPECT_TRUE(o.has_timestamps);
    EXPECT_EQ(o.ts_val, 1u);
    EXPECT_EQ(o.ts_ecr, 2u);
    EXPECT_EQ(o.window_shift, 7);
    EXPECT_EQ(o.clamped_shift(), 7);
    EXPECT_EQ(o.sack_count, 0);
}

TEST(TcpOptions, FortyNopsAreValid) {
    tcp_options o;
    EXPECT_EQ(parse(std::vector<uint8_t>(40, 1), o), parse_error::none);
    EXPECT_EQ(o, tcp_options{});
}

TEST(TcpOptions, GarbageAfterEolIgnored) {
    tcp_options o;
    EXPECT_EQ(parse({2, 4, 0x02, 0x18, 0, 0xff, 0, 1, 5, 2, 3}, o), parse_error::none);
    EXPECT_EQ(o.mss, 0x218);
    EXPECT_FALSE(o.window_shift);
}

TEST(TcpOptions, UnknownKindSkippedByLength) {
    tcp_options o;
    // Kind 30 (MPTCP) with 6 bytes, kind 254 (experimental) with 2, then MSS.
    EXPECT_EQ(parse({30, 6, 1, 2, 3, 4, 254, 2, 2, 4, 0x01, 0x00}, o), parse_error::none);
    EXPECT_EQ(o.mss, 256);
}

TEST(TcpOptions, LengthZeroRejected) { EXPECT_EQ(parse({30, 0, 1, 1}), parse_error::bad_tcp_option_length); }

TEST(TcpOptions, LengthOneRejected) { EXPECT_EQ(parse({2, 1, 1, 1}), parse_error::bad_tcp_option_length); }

TEST(TcpOptions, LengthZeroOfKnownKindRejected) {
    EXPECT_EQ(parse({8, 0}), parse_error::bad_tcp_option_length);
}

TEST(TcpOptions, OptionRunningPastHeaderRejected) {
    EXPECT_EQ(parse({1, 1, 30, 4, 0}), parse_error::tcp_option_past_header);
    EXPECT_EQ(parse({8, 10, 0, 0, 0, 0, 0, 0}), parse_error::tcp_option_past_header);
}

TEST(TcpOptions, KindWithoutLengthByteRejected) {
    EXPECT_EQ(parse({1, 1, 1, 2}), parse_error::tcp_option_past_header);
}

TEST(TcpOptions, MssWrongLengthRejected) {
    EXPECT_EQ(parse({2, 3, 5, 1}), parse_error::bad_tcp_option_size_for_kind);
    EXPECT_EQ(parse({2, 6, 5, 0xb4, 0, 0, 1, 1}), parse_error::bad_tcp_option_size_for_kind);
}

TEST(TcpOptions, WindowScaleWrongLengthRejected) {
    EXPECT_EQ(parse({3, 2, 1, 1}), parse_error::bad_tcp_option_size_for_kind);
    EXPECT_EQ(parse({3, 4, 7, 0}), parse_error::bad_tcp_option_size_for_kind);
}

TEST(TcpOptions, SackPermittedWrongLengthRejected) {
    EXPECT_EQ(parse({4, 3, 0, 1}), parse_error::bad_tcp_option_size_for_kind);
    EXPECT_EQ(parse({4, 4, 0, 0}), parse_error::bad_tcp_option_size_for_kind);
}

TEST(TcpOptions, TimestampsWrongLengthRejected) {
    EXPECT_EQ(parse({8, 8, 0, 0, 0, 1, 0, 2}), parse_error::bad_tcp_option_size_for_kind);
    EXPECT_EQ(parse({8, 12, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0}), parse_error::bad_tcp_option_size_for_kind);
}

TEST(TcpOptions, SackLengthNotTwoPlusEightNRejected) {
    EXPECT_EQ(parse({5, 2, 1, 1}), parse_error::bad_tcp_option_size_for_kind);  // n = 0
    EXPECT_EQ(parse({5, 6, 0, 0, 0, 1, 1, 1}), parse_error::bad_tcp_option_size_for_kind);
    std::vector<uint8_t> eleven{5, 11};
    eleven.resize(12, 0);
    EXPECT_EQ(parse(eleven), parse_error::bad_tcp_option_size_for_kind);
}

TEST(TcpOptions, SackWithFiveBlocksRejected) {
    std::vector<uint8_t> b{5, 42};
    b.resize(42, 0);  // 2 + 5 * 8: more than the 40-byte header holds, rejected by size
    EXPECT_EQ(parse(b), parse_error::bad_tcp_option_size_for_kind);
}

TEST(TcpOptions, SackOneToFourBlocksParsed) {
    for (uint8_t n = 1; n <= 4; ++n) {
        std::array<uint8_t, 34> b{};
        b[0] = 5;
        b[1] = static_cast<uint8_t>(2 + 8 * n);
        for (uint8_t i = 0; i < n; ++i) {
            b[2 + 8 * i + 3] = static_cast<uint8_t>(2 * i + 1);  // left edge
            b[2 + 8 * i + 7] = static_cast<uint8_t>(2 * i + 2);  // right edge
        }
        tcp_options o;
        ASSERT_EQ(parse_tcp_options(std::span(b).first(b[1]), o), parse_error::none) << int{n};
        ASSERT_EQ(o.sack_count, n);
        for (uint8_t i = 0; i < n; ++i) {
            EXPECT_EQ(o.sack[i], (sack_block{2u * i + 1u, 2u * i + 2u}));
        }
    }
}

TEST(TcpOptions, WindowShiftAbove14KeptButClamped) {
    for (int shift = 15; shift <= 255; ++shift) {
        tcp_options o;
        ASSERT_EQ(parse({1, 3, 3, static_cast<uint8_t>(shift)}, o), parse_error::none);
        EXPECT_EQ(o.window_shift, shift);
        EXPECT_EQ(o.clamped_shift(), 14);
    }
}

TEST(TcpOptions, NoWindowScaleMeansShiftZero) {
    tcp_options o;
    EXPECT_EQ(o.clamped_shift(), 0);
}

TEST(TcpOptions, EveryByteStringOfLengthUpToThreeTerminates) {
    // Exhaustive over short inputs: must return, never read past the span.
    for (uint32_t v = 0; v < (1u << 24); v += 7) {
        std::array<uint8_t, 3> b{uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16)};
        tcp_options o;
        for (std::size_t len = 0; len <= b.size(); ++len) {
            (void)parse_tcp_options(std::span(b).first(len), o);
        }
    }
}

// ---- writing ----

std::vector<uint8_t> write(const tcp_options& o, bool syn) {
    std::array<uint8_t, 40> buf{};
    std::size_t n = write_tcp_options(o, syn, buf);
    return {buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n)};
}

tcp_options linux_syn_options() {
    tcp_options o;
    o.mss = 1460;
    o.sack_permitted = true;
    o.has_timestamps = true;
    o.ts_val = 0x9a1b2c3d;
    o.window_shift = 7;
    return o;
}

TEST(TcpOptionsWrite, SynWritesLinuxLayout) {
    EXPECT_EQ(write(linux_syn_options(), true),
              (std::vector<uint8_t>{2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0x9a, 0x1b, 0x2c, 0x3d, 0, 0, 0, 0,
                                    1, 3, 3, 7}));
}

TEST(TcpOptionsWrite, NonSynOmitsSynOnlyOptions) {
    EXPECT_EQ(write(linux_syn_options(), false),
              (std::vector<uint8_t>{1, 1, 8, 10, 0x9a, 0x1b, 0x2c, 0x3d, 0, 0, 0, 0}));
}

TEST(TcpOptionsWrite, NothingToWriteGivesZeroBytes) { EXPECT_TRUE(write(tcp_options{}, true).empty()); }

TEST(TcpOptionsWrite, SackPermittedWithoutTimestampsPaddedWithNops) {
    tcp_options o;
    o.sack_permitted = true;
    EXPECT_EQ(write(o, true), (std::vector<uint8_t>{1, 1, 4, 2}));
}

TEST(TcpOptionsWrite, WindowShiftAbove14WrittenAs14) {
    tcp_options o;
    o.window_shift = 20;
    EXPECT_EQ(write(o, true), (std::vector<uint8_t>{1, 3, 3, 14}));
}

TEST(TcpOptionsWrite, ThreeSackBlocksFitWithTimestamps) {
    tcp_options o;
    o.has_timestamps = true;
    o.sack_count = 4;
    o.sack = {sack_block{1, 2}, sack_block{3, 4}, sack_block{5, 6}, sack_block{7, 8}};
    auto bytes = write(o, false);
    EXPECT_EQ(bytes.size(), 40u);
    tcp_options back;
    ASSERT_EQ(parse(bytes, back), parse_error::none);
    EXPECT_EQ(back.sack_count, 3);
    EXPECT_EQ(back.sack[2], (sack_block{5, 6}));
    EXPECT_TRUE(back.has_timestamps);
}

TEST(TcpOptionsWrite, FourSackBlocksWithoutTimestamps) {
    tcp_options o;
    o.sack_count = 4;
    o.sack = {sack_block{1, 2}, sack_block{3, 4}, sack_block{5, 6}, sack_block{7, 8}};
    auto bytes = write(o, false);
    EXPECT_EQ(bytes.size(), 36u);
    tcp_options back;
    ASSERT_EQ(parse(bytes, back), parse_error::none);
    EXPECT_EQ(back, o);
}

// sack_option_size matches what write_tcp_options adds for the blocks.
TEST(TcpOptionsWrite, SackOptionSizeIsWhatTheBlocksAddOnTheWire) {
    for (bool timestamps : {false, true}) {
        for (uint8_t blocks = 0; blocks <= tcp_options::max_sack_blocks + 1; ++blocks) {
            tcp_options o;
            o.has_timestamps = timestamps;
            std::size_t without = write(o, false).size();
            o.sack_count = blocks;
            std::size_t with = write(o, false).size();
            EXPECT_EQ(sack_option_size(blocks, without), with - without) << int(blocks) << " blocks, ts " << timestamps;
        }
    }
    EXPECT_EQ(sack_option_size(1, 12), 12u);
    EXPECT_EQ(sack_option_size(4, 12), 28u);
    EXPECT_EQ(sack_option_size(4, 0), 36u);
    EXPECT_EQ(sack_option_size(0, 12), 0u);
}

TEST(TcpOptionsWrite, RoundTripsEveryCombination) {
    for (int mask = 0; mask < 32; ++mask) {
        for (bool syn : {false, true}) {
            tcp_options o;
            if (mask & 1) o.mss = 536;
            if (mask & 2) o.window_shift = 14;
            if (mask & 4) o.sack_permitted = true;
            if (mask & 8) {
                o.has_timestamps = true;
                o.ts_val = 7;
                o.ts_ecr = 9;
            }
            if (mask & 16) {
                o.sack_count = 1;
                o.sack[0] = sack_block{100, 200};
            }
            auto bytes = write(o, syn);
            ASSERT_EQ(bytes.size() % 4, 0u);
            ASSERT_LE(bytes.size(), 40u);
            tcp_options back;
            ASSERT_EQ(parse(bytes, back), parse_error::none);
            tcp_options expected = o;
            if (!syn) {
                expected.mss.reset();
                expected.window_shift.reset();
                expected.sack_permitted = false;
            }
            EXPECT_EQ(back, expected) << "mask " << mask << " syn " << syn;
        }
    }
}

}  // namespace
}  // namespace fptcp::wire
