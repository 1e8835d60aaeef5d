// RFC 6528 ISN generator and the SipHash-2-4 PRF under it.

#include <array>
#include <bit>
#include <chrono>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "tcp/isn.hh"
#include "tcp/siphash.hh"

namespace fptcp::tcp {
namespace {

using namespace std::chrono_literals;
using std::chrono::microseconds;

// The SipHash paper's key 00 01 02 ... 0f as little-endian words.
constexpr siphash_key paper_key{0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};

// Reference vectors of SipHash-2-4 (64-bit output, as bytes) for the paper
// key and the message 00 01 02 ... (i-1) of length i, i = 0..63
// (vectors_sip64 of github.com/veorq/SipHash; row 15 is the paper's
// Appendix A example a129ca6149be45e5).
constexpr uint8_t sip64_vectors[64][8] = {
    {0x31, 0x0e, 0x0e, 0xdd, 0x47, 0xdb, 0x6f, 0x72},
    {0xfd, 0x67, 0xdc, 0x93, 0xc5, 0x39, 0xf8, 0x74},
    {0x5a, 0x4f, 0xa9, 0xd9, 0x09, 0x80, 0x6c, 0x0d},
    {0x2d, 0x7e, 0xfb, 0xd7, 0x96, 0x66, 0x67, 0x85},
    {0xb7, 0x87, 0x71, 0x27, 0xe0, 0x94, 0x27, 0xcf},
    {0x8d, 0xa6, 0x99, 0xcd, 0x64, 0x55, 0x76, 0x18},
    {0xce, 0xe3, 0xfe, 0x58, 0x6e, 0x46, 0xc9, 0xcb},
    {0x37, 0xd1, 0x01, 0x8b, 0xf5, 0x00, 0x02, 0xab},
    {0x62, 0x24, 0x93, 0x9a, 0x79, 0xf5, 0xf5, 0x93},
    {0xb0, 0xe4, 0xa9, 0x0b, 0xdf, 0x82, 0x00, 0x9e},
    {0xf3, 0xb9, 0xdd, 0x94, 0xc5, 0xbb, 0x5d, 0x7a},
    {0xa7, 0xad, 0x6b, 0x22, 0x46, 0x2f, 0xb3, 0xf4},
    {0xfb, 0xe5, 0x0e, 0x86, 0xbc, 0x8f, 0x1e, 0x75},
    {0x90, 0x3d, 0x84, 0xc0, 0x27, 0x56, 0xea, 0x14},
    {0xee, 0xf2, 0x7a, 0x8e, 0x90, 0xca, 0x23, 0xf7},
    {0xe5, 0x45, 0xbe, 0x49, 0x61, 0xca, 0x29, 0xa1},
    {0xdb, 0x9b, 0xc2, 0x57, 0x7f, 0xcc, 0x2a, 0x3f},
    {0x94, 0x47, 0xbe, 0x2c, 0xf5, 0xe9, 0x9a, 0x69},
    {0x9c, 0xd3, 0x8d, 0x96, 0xf0, 0xb3, 0xc1, 0x4b},
    {0xbd, 0x61, 0x79, 0xa7, 0x1d, 0xc9, 0x6d, 0xbb},
    {0x98, 0xee, 0xa2, 0x1a, 0xf2, 0x5c, 0xd6, 0xbe},
    {0xc7, 0x67, 0x3b, 0x2e, 0xb0, 0xcb, 0xf2, 0xd0},
    {0x88, 0x3e, 0xa3, 0xe3, 0x95, 0x67, 0x53, 0x93},
    {0xc8, 0xce, 0x5c, 0xcd, 0x8c, 0x03, 0x0c, 0xa8},
    {0x94, 0xaf, 0x49, 0xf6, 0xc6, 0x50, 0xad, 0xb8},
    {0xea, 0xb8, 0x85, 0x8a, 0xde, 0x92, 0xe1, 0xbc},
    {0xf3, 0x15, 0xbb, 0x5b, 0xb8, 0x35, 0xd8, 0x17},
    {0xad, 0xcf, 0x6b, 0x07, 0x63, 0x61, 0x2e, 0x2f},
    {0xa5, 0xc9, 0x1d, 0xa7, 0xac, 0xaa, 0x4d, 0xde},
    {0x71, 0x65, 0x95, 0x87, 0x66, 0x50, 0xa2, 0xa6},
    {0x28, 0xef, 0x49, 0x5c, 0x53, 0xa3, 0x87, 0xad},
    {0x42, 0xc3, 0x41, 0xd8, 0xfa, 0x92, 0xd8, 0x32},
    {0xce, 0x7c, 0xf2, 0x72, 0x2f, 0x51, 0x27, 0x71},
    {0xe3, 0x78, 0x59, 0xf9, 0x46, 0x23, 0xf3, 0xa7},
    {0x38, 0x12, 0x05, 0xbb, 0x1a, 0xb0, 0xe0, 0x12},
    {0xae, 0x97, 0xa1, 0x0f, 0xd4, 0x34, 0xe0, 0x15},
    {0xb4, 0xa3, 0x15, 0x08, 0xbe, 0xff, 0x4d, 0x31},
    {0x81, 0x39, 0x62, 0x29, 0xf0, 0x90, 0x79, 0x02},
    {0x4d, 0x0c, 0xf4, 0x9e, 0xe5, 0xd4, 0xdc, 0xca},
    {0x5c, 0x73, 0x33, 0x6a, 0x76, 0xd8, 0xbf, 0x9a},
    {0xd0, 0xa7, 0x04, 0x53, 0x6b, 0xa9, 0x3e, 0x0e},
    {0x92, 0x59, 0x58, 0xfc, 0xd6, 0x42, 0x0c, 0xad},
    {0xa9, 0x15, 0xc2, 0x9b, 0xc8, 0x06, 0x73, 0x18},
    {0x95, 0x2b, 0x79, 0xf3, 0xbc, 0x0a, 0xa6, 0xd4},
    {0xf2, 0x1d, 0xf2, 0xe4, 0x1d, 0x45, 0x35, 0xf9},
    {0x87, 0x57, 0x75, 0x19, 0x04, 0x8f, 0x53, 0xa9},
    {0x10, 0xa5, 0x6c, 0xf5, 0xdf, 0xcd, 0x9a, 0xdb},
    {0xeb, 0x75, 0x09, 0x5c, 0xcd, 0x98, 0x6c, 0xd0},
    {0x51, 0xa9, 0xcb, 0x9e, 0xcb, 0xa3, 0x12, 0xe6},
    {0x96, 0xaf, 0xad, 0xfc, 0x2c, 0xe6, 0x66, 0xc7},
    {0x72, 0xfe, 0x52, 0x97, 0x5a, 0x43, 0x64, 0xee},
    {0x5a, 0x16, 0x45, 0xb2, 0x76, 0xd5, 0x92, 0xa1},
    {0xb2, 0x74, 0xcb, 0x8e, 0xbf, 0x87, 0x87, 0x0a},
    {0x6f, 0x9b, 0xb4, 0x20, 0x3d, 0xe7, 0xb3, 0x81},
    {0xea, 0xec, 0xb2, 0xa3, 0x0b, 0x22, 0xa8, 0x7f},
    {0x99, 0x24, 0xa4, 0x3c, 0xc1, 0x31, 0x57, 0x24},
    {0xbd, 0x83, 0x8d, 0x3a, 0xaf, 0xbf, 0x8d, 0xb7},
    {0x0b, 0x1a, 0x2a, 0x32, 0x65, 0xd5, 0x1a, 0xea},
    {0x13, 0x50, 0x79, 0xa3, 0x23, 0x1c, 0xe6, 0x60},
    {0x93, 0x2b, 0x28, 0x46, 0xe4, 0xd7, 0x06, 0x66},
    {0xe1, 0x91, 0x5f, 0x5c, 0xb1, 0xec, 0xa4, 0x6c},
    {0xf3, 0x25, 0x96, 0x5c, 0xa1, 0x6d, 0x62, 0x9f},
    {0x57, 0x5f, 0xf2, 0x8e, 0x60, 0x38, 0x1b, 0xe5},
    {0x72, 0x45, 0x06, 0xeb, 0x4c, 0x32, 0x8a, 0x95},
};

uint64_t vector_value(size_t i) {
    uint64_t v = 0;
    for (size_t b = 0; b < 8; ++b) v |= uint64_t(sip64_vectors[i][b]) << (8 * b);
    return v;
}

// The message bytes 00 01 02 ... 3f.
constexpr std::array<uint8_t, 64> counting_bytes = [] {
    std::array<uint8_t, 64> m{};
    for (size_t i = 0; i < m.size(); ++i) m[i] = uint8_t(i);
    return m;
}();

// The paper's Appendix A example, evaluated at compile time.
static_assert(siphash24(paper_key, std::span(counting_bytes).first(15)) == 0xa129ca6149be45e5ull);

constexpr isn_secret test_secret{0x0123456789abcdefull, 0xfedcba9876543210ull};
constexpr isn_tuple some_tuple{0x0a000001, 0xc0a80102, 443, 51234};

// Tuple i of a million distinct ones: every remote port of 16 remote hosts.
isn_tuple nth_tuple(uint32_t i) {
    return {0x0a000001, 0xc0a80000 + (i >> 16), 80, uint16_t(i & 0xffff)};
}

std::vector<uint32_t> isns_of_distinct_tuples(uint32_t count, microseconds now) {
    isn_generator gen(test_secret);
    std::vector<uint32_t> out(count);
    for (uint32_t i = 0; i < count; ++i) out[i] = gen.next(nth_tuple(i), now).raw();
    return out;
}

TEST(SipHash, MatchesAllReferenceVectors) {
    const auto& msg = counting_bytes;
    for (size_t len = 0; len < 64; ++len) {
        SCOPED_TRACE(len);
        EXPECT_EQ(siphash24(paper_key, std::span(msg).first(len)), vector_value(len));
    }
}

TEST(SipHash, OutputDependsOnBothKeyWords) {
    const auto& msg = counting_bytes;
    uint64_t base = siphash24(paper_key, msg);
    EXPECT_NE(siphash24({paper_key.k0 ^ 1, paper_key.k1}, msg), base);
    EXPECT_NE(siphash24({paper_key.k0, paper_key.k1 ^ (1ull << 63)}, msg), base);
}

// Pins the 12-byte encoding of the tuple: local ip, local port, remote ip,
// remote port, each little-endian, so the message is 00 01 ... 0b here.
TEST(IsnGenerator, HashesTupleAsTwelveLittleEndianBytes) {
    isn_generator gen({paper_key.k0, paper_key.k1});
    isn_tuple t{0x03020100, 0x09080706, 0x0504, 0x0b0a};
    EXPECT_EQ(gen.keyed_offset(t), uint32_t(vector_value(12)));
    EXPECT_EQ(gen.next(t, 0us).raw(), uint32_t(vector_value(12)));
}

TEST(IsnGenerator, SameKeyTupleAndTimeGiveSameIsn) {
    isn_generator a(test_secret);
    isn_generator b(test_secret);
    EXPECT_EQ(a.next(some_tuple, 123'456'789us), a.next(some_tuple, 123'456'789us));
    EXPECT_EQ(a.next(some_tuple, 123'456'789us), b.next(some_tuple, 123'456'789us));
}

// RFC 6528 section 3: M ticks every 4 microseconds.
TEST(IsnGenerator, TimerTicksEveryFourMicroseconds) {
    isn_generator gen(test_secret);
    seq_num at0 = gen.next(some_tuple, 1000us);
    EXPECT_EQ(gen.next(some_tuple, 1003us), at0);
    EXPECT_EQ(gen.next(some_tuple, 1004us) - at0, 1);
    EXPECT_EQ(gen.next(some_tuple, 1008us) - at0, 2);
}

TEST(IsnGenerator, AdvancesByQuarterMillionPerSecond) {
    isn_generator gen(test_secret);
    for (auto start : {0us, 1us, 7'777'777us, microseconds(1ll << 40)}) {
        SCOPED_TRACE(start.count());
        seq_num isn = gen.next(some_tuple, start);
        EXPECT_EQ(gen.next(some_tuple, start + 1s) - isn, 250'000);
        EXPECT_EQ(gen.next(some_tuple, start + 2s) - isn, 500'000);
    }
}

TEST(IsnGenerator, TimerIsContinuousAcrossZeroAndWraps) {
    EXPECT_EQ(isn_generator::timer_ticks(-4us), 0xffffffffu);
    EXPECT_EQ(isn_generator::timer_ticks(-1us), 0xffffffffu);
    EXPECT_EQ(isn_generator::timer_ticks(0us), 0u);
    EXPECT_EQ(isn_generator::timer_ticks(microseconds(4ll << 32)), 0u);
    EXPECT_EQ(isn_generator::timer_ticks(microseconds((4ll << 32) - 4)), 0xffffffffu);
}

// One tuple, a million successive microseconds, with the start chosen so
// that the ISN crosses 2^32 in the middle: never a step back by before().
TEST(IsnGenerator, NeverGoesBackwardsOverAMillionMicroseconds) {
    isn_generator gen(test_secret);
    uint32_t f = gen.keyed_offset(some_tuple);
    microseconds start(4 * int64_t(uint32_t(0u - f - 125'000u)));
    seq_num first = gen.next(some_tuple, start);
    seq_num prev = first;
    int wraps = 0;
    for (int64_t us = 1; us <= 1'000'000; ++us) {
        seq_num cur = gen.next(some_tuple, start + microseconds(us));
        if (before(cur, prev) || before(cur, first)) FAIL() << "went back at +" << us << "us";
        wraps += cur.raw() < prev.raw();
        prev = cur;
    }
    EXPECT_EQ(wraps, 1);
    EXPECT_EQ(prev - first, 250'000);
}

TEST(IsnGenerator, EveryBitIsSetInHalfOfAMillionTuples) {
    auto isns = isns_of_distinct_tuples(1'000'000, 42s);
    std::array<uint32_t, 32> ones{};
    for (uint32_t v : isns)
        for (int b = 0; b < 32; ++b) ones[b] += (v >> b) & 1;
    for (int b = 0; b < 32; ++b) {
        SCOPED_TRACE(b);
        EXPECT_NEAR(ones[b], 500'000, 10'000);
    }
}

// Chi-square of the top byte over 256 buckets: 255 degrees of freedom, mean
// 255, standard deviation about 22.6; 350 is over four deviations out.
TEST(IsnGenerator, TopByteOfAMillionTuplesIsUniform) {
    auto isns = isns_of_distinct_tuples(1'000'000, 42s);
    std::array<uint32_t, 256> buckets{};
    for (uint32_t v : isns) ++buckets[v >> 24];
    double expected = isns.size() / 256.0;
    double chi2 = 0;
    for (uint32_t n : buckets) chi2 += (n - expected) * (n - expected) / expected;
    EXPECT_LT(chi2, 350.0);
    EXPECT_GT(chi2, 180.0);  // suspiciously even is not random either
}

// Neighbouring tuples (one port apart) give ISNs about 16 bits apart.
TEST(IsnGenerator, NeighbouringTuplesDifferInHalfTheBits) {
    auto isns = isns_of_distinct_tuples(1'000'000, 42s);
    uint64_t flipped = 0;
    for (size_t i = 1; i < isns.size(); ++i) flipped += std::popcount(isns[i] ^ isns[i - 1]);
    double mean = double(flipped) / double(isns.size() - 1);
    EXPECT_NEAR(mean, 16.0, 0.05);
}

TEST(IsnGenerator, EveryTupleFieldChangesTheIsn) {
    isn_generator gen(test_secret);
    isn_tuple t = some_tuple;
    seq_num base = gen.next(t, 0us);
    auto differs = [&](isn_tuple u) { return gen.next(u, 0us) != base; };
    EXPECT_TRUE(differs({t.local_ip ^ 1, t.remote_ip, t.local_port, t.remote_port}));
    EXPECT_TRUE(differs({t.local_ip, t.remote_ip ^ 1, t.local_port, t.remote_port}));
    EXPECT_TRUE(differs({t.local_ip, t.remote_ip, uint16_t(t.local_port ^ 1), t.remote_port}));
    EXPECT_TRUE(differs({t.local_ip, t.remote_ip, t.local_port, uint16_t(t.remote_port ^ 1)}));
    EXPECT_TRUE(differs({t.remote_ip, t.local_ip, t.remote_port, t.local_port}));
}

TEST(IsnGenerator, DifferentSecretsGiveDifferentIsns) {
    isn_generator a(test_secret);
    isn_generator b({test_secret.k0, test_secret.k1 ^ 1});
    isn_generator c({test_secret.k0 ^ (1ull << 63), test_secret.k1});
    int same = 0;
    for (uint32_t i = 0; i < 10'000; ++i) {
        same += a.next(nth_tuple(i), 5s) == b.next(nth_tuple(i), 5s);
        same += a.next(nth_tuple(i), 5s) == c.next(nth_tuple(i), 5s);
    }
    EXPECT_EQ(same, 0);  // a chance collision has probability ~5e-6
}

TEST(IsnSecret, RandomSecretsAreFreshAndNonZero) {
    isn_secret a = isn_secret::random();
    isn_secret b = isn_secret::random();
    EXPECT_NE(a, b);
    EXPECT_NE(a, isn_secret{});
}

}  // namespace
}  // namespace fptcp::tcp
