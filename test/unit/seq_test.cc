// Properties of RFC 9293 section 3.4 sequence-number arithmetic (seq.hh),
// checked around the 2^31 and 2^32 edges and at seeded random bases.

#include <concepts>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "tcp/seq.hh"

namespace fptcp::tcp {
namespace {

constexpr uint32_t half = 1u << 31;
constexpr uint32_t top = std::numeric_limits<uint32_t>::max();

std::vector<uint32_t> bases() {
    std::vector<uint32_t> b{0, 1, half - 1, half, half + 1, top, top - 999};
    std::mt19937 rng(6528);
    for (int i = 0; i < 8; ++i) b.push_back(uint32_t(rng()));
    return b;
}

// Forward offsets n with 0 < n < 2^31, where a + n is strictly after a.
std::vector<uint32_t> forward_offsets() {
    std::vector<uint32_t> o{1, 2, 999, 1000, 65535, 65536, half - 2, half - 1};
    std::mt19937 rng(9293);
    std::uniform_int_distribution<uint32_t> pick(1, half - 1);
    for (int i = 0; i < 32; ++i) o.push_back(pick(rng));
    return o;
}

// Window lengths for in_window, from one octet to the whole circle but one.
std::vector<uint32_t> window_lengths() { return {1, 2, 1000, half - 1, half, half + 1, top - 1, top}; }

seq_num operator+(seq_num a, uint32_t n) { return a + seq_len(n); }

// seq_num has no ordering: on the circle "a < b" is not transitive, so code
// must say before(), after() or in_window(). The build fails the day someone
// adds an operator< (or <=>, or a conversion to an integer that would
// compare); lengths are plain integers and do compare.
template <typename T>
concept less_comparable = requires(T a, T b) { a < b; };
template <typename T>
concept three_way_comparable = requires(T a, T b) { a <=> b; };
static_assert(!less_comparable<seq_num> && !three_way_comparable<seq_num>);
static_assert(!std::totally_ordered<seq_num>);
static_assert(!std::is_convertible_v<seq_num, uint32_t> && !std::is_convertible_v<uint32_t, seq_num>);
static_assert(std::totally_ordered<seq_len>);

class SeqAt : public testing::TestWithParam<uint32_t> {
protected:
    seq_num a() const { return seq_num(GetParam()); }
};

TEST_P(SeqAt, NothingIsBeforeOrAfterItself) {
    EXPECT_FALSE(before(a(), a()));
    EXPECT_FALSE(after(a(), a()));
    EXPECT_TRUE(before_or_equal(a(), a()));
    EXPECT_TRUE(after_or_equal(a(), a()));
}

TEST_P(SeqAt, ForwardOffsetsBelowHalfSpaceAreAfter) {
    for (uint32_t n : forward_offsets()) {
        SCOPED_TRACE(n);
        seq_num b = a() + n;
        EXPECT_TRUE(before(a(), b));
        EXPECT_TRUE(after(b, a()));
        EXPECT_FALSE(after(a(), b));
        EXPECT_FALSE(before(b, a()));
    }
}

TEST_P(SeqAt, BeforeAndAfterAreAntisymmetricAwayFromHalfSpace) {
    for (uint32_t n : forward_offsets()) {
        for (seq_num b : {a() + n, a() + (0u - n)}) {
            SCOPED_TRACE(b.raw());
            EXPECT_NE(before(a(), b), before(b, a()));
            EXPECT_EQ(before(a(), b), after(b, a()));
            EXPECT_EQ(after(a(), b), before(b, a()));
        }
    }
}

// Exactly 2^31 apart the order is undefined (RFC 1982 section 3.2); seq.hh
// says each is before the other. Pinned so that a change is deliberate.
TEST_P(SeqAt, HalfSpaceApartEachIsBeforeTheOther) {
    seq_num b = a() + half;
    EXPECT_TRUE(before(a(), b));
    EXPECT_TRUE(before(b, a()));
    EXPECT_FALSE(after(a(), b));
    EXPECT_FALSE(after(b, a()));
    EXPECT_EQ(b - a(), std::numeric_limits<int32_t>::min());
}

TEST_P(SeqAt, OrEqualVariantsAgreeWithStrictOnes) {
    for (uint32_t n : forward_offsets()) {
        for (seq_num b : {a() + n, a() + (0u - n)}) {
            SCOPED_TRACE(b.raw());
            EXPECT_EQ(before_or_equal(a(), b), before(a(), b));
            EXPECT_EQ(after_or_equal(a(), b), after(a(), b));
            EXPECT_NE(before_or_equal(a(), b), after_or_equal(a(), b));
        }
    }
}

TEST_P(SeqAt, InWindowIncludesExactlyStartToStartPlusLenMinusOne) {
    for (uint32_t len : window_lengths()) {
        SCOPED_TRACE(len);
        seq_len l(len);
        EXPECT_TRUE(in_window(a(), a(), l));
        EXPECT_TRUE(in_window(a() + (len - 1), a(), l));
        EXPECT_TRUE(in_window(a() + len / 2, a(), l));
        EXPECT_FALSE(in_window(a() + len, a(), l));
        EXPECT_FALSE(in_window(a() - seq_len(1), a(), l));
    }
}

TEST_P(SeqAt, EmptyWindowContainsNothing) {
    for (uint32_t n : {0u, 1u, half - 1, half, top}) {
        SCOPED_TRACE(n);
        EXPECT_FALSE(in_window(a() + n, a(), seq_len(0)));
    }
}

TEST_P(SeqAt, LargestWindowMissesOnlyTheOctetBeforeStart) {
    seq_len l(top);
    for (uint32_t n : forward_offsets()) {
        EXPECT_TRUE(in_window(a() + n, a(), l));
        EXPECT_TRUE(in_window(a() + (top - n), a(), l));
    }
    EXPECT_FALSE(in_window(a() + top, a(), l));
}

TEST_P(SeqAt, MaxAndMinPickTheLaterAndEarlier) {
    EXPECT_EQ(seq_max(a(), a()), a());
    EXPECT_EQ(seq_min(a(), a()), a());
    for (uint32_t n : forward_offsets()) {
        SCOPED_TRACE(n);
        seq_num b = a() + n;
        EXPECT_EQ(seq_max(a(), b), b);
        EXPECT_EQ(seq_max(b, a()), b);
        EXPECT_EQ(seq_min(a(), b), a());
        EXPECT_EQ(seq_min(b, a()), a());
    }
}

TEST_P(SeqAt, DistanceCountsForwardOctets) {
    EXPECT_EQ(distance(a(), a()), seq_len(0));
    for (uint32_t n : forward_offsets()) {
        SCOPED_TRACE(n);
        EXPECT_EQ(distance(a(), a() + n), seq_len(n));
    }
}

TEST_P(SeqAt, SubtractionIsSignedDistance) {
    EXPECT_EQ(a() - a(), 0);
    for (uint32_t n : forward_offsets()) {
        SCOPED_TRACE(n);
        EXPECT_EQ((a() + n) - a(), int32_t(n));
        EXPECT_EQ(a() - (a() + n), -int32_t(n));
    }
}

TEST_P(SeqAt, AddingAndSubtractingLengthsWraps) {
    for (uint32_t n : forward_offsets()) {
        SCOPED_TRACE(n);
        seq_num b = a();
        b += seq_len(n);
        EXPECT_EQ(b, a() + seq_len(n));
        EXPECT_EQ(b.raw(), uint32_t(uint64_t(GetParam()) + n));  // mod 2^32
        EXPECT_EQ(b - seq_len(n), a());
    }
    seq_num whole = a();
    whole += seq_len(top);
    whole += seq_len(1);
    EXPECT_EQ(whole, a());
}

std::string base_name(const testing::TestParamInfo<uint32_t>& info) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "Base%u", info.param);
    return buf;
}

INSTANTIATE_TEST_SUITE_P(Edges, SeqAt, testing::ValuesIn(bases()), base_name);

TEST(SeqNum, IncrementAtTopWrapsToZero) {
    seq_num s(top);
    s += seq_len(1);
    EXPECT_EQ(s, seq_num(0));
    EXPECT_TRUE(before(seq_num(top), seq_num(0)));
    EXPECT_TRUE(after(seq_num(0), seq_num(top)));
}

TEST(SeqNum, HalfSpaceBoundaryFromZero) {
    EXPECT_TRUE(before(seq_num(0), seq_num(half - 1)));
    EXPECT_TRUE(after(seq_num(0), seq_num(half + 1)));
    EXPECT_EQ(seq_num(half - 1) - seq_num(0), std::numeric_limits<int32_t>::max());
    EXPECT_EQ(seq_num(half + 1) - seq_num(0), std::numeric_limits<int32_t>::min() + 1);
}

TEST(SeqLen, ArithmeticWrapsAndCompares) {
    EXPECT_EQ(seq_len(top) + seq_len(1), seq_len(0));
    EXPECT_EQ(seq_len(0) - seq_len(1), seq_len(top));
    EXPECT_LT(seq_len(1), seq_len(2));
}

}  // namespace
}  // namespace fptcp::tcp
