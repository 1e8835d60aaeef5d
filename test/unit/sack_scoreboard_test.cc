// The sender's SACK scoreboard (RFC 6675 3 and 4): ranges, IsLost as a
// boundary, holes, and its bound (per connection, and the lcore's pool).

#include <gtest/gtest.h>

#include "../support/range_memory.hh"
#include "tcp/sack_scoreboard.hh"

namespace fptcp::tcp {
namespace {

constexpr uint32_t mss = 1000;
const seq_num una(0xfffff000u);  // the ranges cross the 2^32 wrap
const seq_num max = una + seq_len(100 * mss);

seq_num at(uint32_t segment) { return una + seq_len(segment * mss); }

fptcp::testing::range_memory memory;
constexpr uint16_t small_limit = 4;  // what one ACK carries beside timestamps, plus one

sack_scoreboard board(uint16_t limit = 256) { return sack_scoreboard(&memory.pool, limit); }

TEST(SackScoreboard, BlocksAreClippedToTheUnacknowledgedSpan) {
    sack_scoreboard b = board();
    EXPECT_FALSE(b.add(una - seq_len(500), una, una, max));  // entirely below SND.UNA (a D-SACK)
    EXPECT_TRUE(b.add(una - seq_len(500), at(1), una, max));
    EXPECT_TRUE(b.add(at(99), max + seq_len(5000), una, max));
    EXPECT_EQ(b.sacked_between(una, max), 2 * mss);
    EXPECT_EQ(b.highest(una), max);
}

TEST(SackScoreboard, RepeatedBlocksAreNotNews) {
    sack_scoreboard b = board();
    EXPECT_TRUE(b.add(at(2), at(4), una, max));
    EXPECT_FALSE(b.add(at(2), at(4), una, max));
    EXPECT_FALSE(b.add(at(3), at(4), una, max));
    EXPECT_TRUE(b.add(at(3), at(5), una, max));
    ASSERT_EQ(b.count(), 1);
    EXPECT_EQ(b[0].start, at(2));
    EXPECT_EQ(b[0].end, at(5));
}

TEST(SackScoreboard, AdjacentAndOverlappingBlocksMerge) {
    sack_scoreboard b = board();
    b.add(at(2), at(3), una, max);
    b.add(at(6), at(7), una, max);
    b.add(at(3), at(6), una, max);
    ASSERT_EQ(b.count(), 1);
    EXPECT_EQ(b.sacked_between(una, max), 5 * mss);
}

TEST(SackScoreboard, WhenFullTheHighestRangeIsForgotten) {
    sack_scoreboard b = board(small_limit);
    for (uint32_t i = 0; i < small_limit; ++i) b.add(at(2 * i + 1), at(2 * i + 2), una, max);
    ASSERT_EQ(b.count(), small_limit);
    EXPECT_TRUE(b.add(at(50), at(51), una, max));  // above every range: not kept
    EXPECT_EQ(b.highest(una), at(2 * small_limit));
    b.add(una, una + seq_len(10), una, max);  // below every range: the highest goes
    EXPECT_EQ(b.count(), small_limit);
    EXPECT_EQ(b[0].start, una);
    EXPECT_EQ(b.highest(una), at(2 * small_limit - 2));
}

// A forgotten range may lie anywhere above the retained ones it was dropped
// from: holes there are not certain until SND.UNA passes every forgotten one.
TEST(SackScoreboard, ForgottenRangesLeaveNoCertainHoleAboveThem) {
    sack_scoreboard b = board(small_limit);
    for (uint32_t i = 0; i < small_limit; ++i) b.add(at(2 * i + 1), at(2 * i + 2), una, max);
    EXPECT_EQ(b.certain_below(una), at(8));
    b.add(at(50), at(51), una, max);  // above every range: forgotten
    EXPECT_EQ(b.certain_below(una), at(8));
    b.add(una, una + seq_len(10), una, max);  // [7, 8) is dropped for it
    EXPECT_EQ(b.certain_below(una), at(6));
    b.advance(at(2));  // room again: a block above the forgotten ones is kept ...
    b.add(at(60), at(61), at(2), max);
    EXPECT_EQ(b.highest(at(2)), at(61));
    EXPECT_EQ(b.certain_below(at(2)), at(7));  // ... but proves no hole above the dropped [7, 8)
    EXPECT_EQ(b.lost_below(at(2), mss), at(3));  // IsLost stops there too
    b.advance(at(9));
    EXPECT_EQ(b.certain_below(at(9)), at(9));  // [50, 51) may still be held
    b.advance(at(51));
    EXPECT_EQ(b.certain_below(at(51)), at(61));
}

// As many ranges as the peer reports over time, up to the limit: 40 holes
// in a flight of 100 segments are all remembered, so every one is certain.
TEST(SackScoreboard, KeepsEveryRangeThePeerReportsUpToItsLimit) {
    sack_scoreboard b = board();
    for (uint32_t i = 0; i < 40; ++i) EXPECT_TRUE(b.add(at(2 * i + 1), at(2 * i + 2), una, max));
    EXPECT_EQ(b.count(), 40);
    EXPECT_EQ(b.certain_below(una), at(80));
    EXPECT_EQ(b.sacked_between(una, max), 40 * mss);
    b.advance(max);
    EXPECT_TRUE(b.empty());
    EXPECT_EQ(memory.pool.ranges_in_use(), 0u);  // the block went back to the pool
}

// An lcore whose pool is empty: the scoreboard forgets, as at its limit.
TEST(SackScoreboard, WithNoRoomInThePoolBlocksAreForgottenSafely) {
    fptcp::testing::range_memory none(0);
    sack_scoreboard b(&none.pool, 256);
    EXPECT_TRUE(b.add(at(3), at(4), una, max));  // news, but not kept
    EXPECT_TRUE(b.empty());
    EXPECT_EQ(b.certain_below(una), una);  // no hole is certain
    EXPECT_EQ(b.lost_below(una, mss), una);
}

TEST(SackScoreboard, AdvanceForgetsWhatTheCumulativeAckReached) {
    sack_scoreboard b = board();
    b.add(at(2), at(3), una, max);
    b.add(at(5), at(6), una, max);
    b.advance(at(3));
    ASSERT_EQ(b.count(), 1);
    EXPECT_EQ(b[0].start, at(5));
    b.advance(at(6));
    EXPECT_TRUE(b.empty());
}

// RFC 6675 4 IsLost: more than (DupThresh - 1) * SMSS octets SACKed above.
TEST(SackScoreboard, LostBelowNeedsMoreThanTwoSegmentsSackedAbove) {
    sack_scoreboard b = board();
    b.add(at(1), at(3), una, max);
    EXPECT_EQ(b.lost_below(una, mss), una);  // exactly 2 * SMSS: not yet
    b.add(at(3), at(3) + seq_len(1), una, max);
    EXPECT_EQ(b.lost_below(una, mss), at(1));
}

// RFC 6675 4 IsLost: DupThresh discontiguous SACKed ranges above.
TEST(SackScoreboard, LostBelowThreeRanges) {
    sack_scoreboard b = board();
    b.add(at(1), at(1) + seq_len(10), una, max);
    b.add(at(3), at(3) + seq_len(10), una, max);
    EXPECT_EQ(b.lost_below(una, mss), una);
    b.add(at(5), at(5) + seq_len(10), una, max);
    EXPECT_EQ(b.lost_below(una, mss), at(1));
    b.add(at(7), at(7) + seq_len(10), una, max);
    EXPECT_EQ(b.lost_below(una, mss), at(3));  // the hole at segment 2 too
}

TEST(SackScoreboard, NextHoleSkipsSackedRanges) {
    sack_scoreboard b = board();
    b.add(at(1), at(3), una, max);
    b.add(at(4), at(5), una, max);
    seq_num start;
    EXPECT_EQ(b.next_hole(una, max, start), mss);
    EXPECT_EQ(start, una);
    EXPECT_EQ(b.next_hole(at(1), max, start), mss);
    EXPECT_EQ(start, at(3));
    EXPECT_EQ(b.next_hole(at(4), max, start), 95 * mss);
    EXPECT_EQ(start, at(5));
    EXPECT_EQ(b.next_hole(at(1), at(3), start), 0u);  // all SACKed below the limit
    EXPECT_EQ(b.next_hole(at(4), at(5), start), 0u);
}

}  // namespace
}  // namespace fptcp::tcp
