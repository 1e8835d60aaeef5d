// The range set of RFC 9293 3.10.7.4's reassembly ("seventh, process the
// segment text") and of the SACK scoreboard, and the range pool it takes its
// blocks from: lib/tcp/range_set.hh. Every test runs at a base just below
// 2^32 so the ranges cross the wrap.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <numeric>
#include <random>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "../support/range_memory.hh"
#include "tcp/range_set.hh"

namespace fptcp::tcp {
namespace {

constexpr uint16_t bound = range_pool::largest_block;

class Reassembly : public ::testing::Test {
protected:
    static constexpr uint32_t base = 0xffffff00u;  // 256 below the wrap
    fptcp::testing::range_memory memory;
    range_set r{&memory.pool, bound};

    static seq_num at(uint32_t offset) { return seq_num(base + offset); }
    bool insert(uint32_t from, uint32_t to) { return r.insert(at(from), at(to)); }
    bool insert_into(range_set& set, uint32_t from, uint32_t to) { return set.insert(at(from), at(to)); }

    // The ranges held, as offsets from the base.
    static std::vector<std::pair<uint32_t, uint32_t>> held(const range_set& set) {
        std::vector<std::pair<uint32_t, uint32_t>> v;
        for (uint16_t i = 0; i < set.count(); ++i) v.emplace_back(set[i].start.raw() - base, set[i].end.raw() - base);
        return v;
    }
    std::vector<std::pair<uint32_t, uint32_t>> held() const { return held(r); }
    using ranges = std::vector<std::pair<uint32_t, uint32_t>>;
};

TEST_F(Reassembly, StartsEmpty) {
    EXPECT_TRUE(r.empty());
    EXPECT_EQ(r.take_contiguous(at(0)), at(0));
}

TEST_F(Reassembly, DisjointRangesAreKeptSortedAcrossTheWrap) {
    EXPECT_TRUE(insert(600, 700));  // past the wrap
    EXPECT_TRUE(insert(100, 200));  // before it
    EXPECT_TRUE(insert(250, 300));  // straddles it (2^32 is at offset 256)
    EXPECT_EQ(held(), (ranges{{100, 200}, {250, 300}, {600, 700}}));
}

TEST_F(Reassembly, AdjacentRangesMerge) {
    EXPECT_TRUE(insert(100, 200));
    EXPECT_TRUE(insert(200, 256));  // adjacent on the right, ends at the wrap
    EXPECT_TRUE(insert(50, 100));   // adjacent on the left
    EXPECT_EQ(held(), (ranges{{50, 256}}));
    EXPECT_TRUE(insert(256, 300));  // continues past the wrap
    EXPECT_EQ(held(), (ranges{{50, 300}}));
}

TEST_F(Reassembly, OverlappingRangeExtendsBothSides) {
    EXPECT_TRUE(insert(200, 300));
    EXPECT_TRUE(insert(150, 250));
    EXPECT_EQ(held(), (ranges{{150, 300}}));
    EXPECT_TRUE(insert(280, 400));
    EXPECT_EQ(held(), (ranges{{150, 400}}));
}

TEST_F(Reassembly, RangeInsideAnExistingOneChangesNothing) {
    EXPECT_TRUE(insert(200, 300));
    EXPECT_TRUE(insert(220, 280));
    EXPECT_EQ(held(), (ranges{{200, 300}}));
}

TEST_F(Reassembly, CoveringRangeSwallowsSeveral) {
    EXPECT_TRUE(insert(100, 110));
    EXPECT_TRUE(insert(200, 210));
    EXPECT_TRUE(insert(255, 258));
    EXPECT_TRUE(insert(400, 410));
    EXPECT_TRUE(insert(90, 300));  // covers the first three, not the last
    EXPECT_EQ(held(), (ranges{{90, 300}, {400, 410}}));
}

TEST_F(Reassembly, RangeBridgingTwoNeighboursJoinsThem) {
    EXPECT_TRUE(insert(100, 200));
    EXPECT_TRUE(insert(300, 400));
    EXPECT_TRUE(insert(200, 300));  // exactly fills the gap
    EXPECT_EQ(held(), (ranges{{100, 400}}));
}

TEST_F(Reassembly, BoundRefusesANewDisjointRangeAndChangesNothing) {
    range_set three(&memory.pool, 3);
    for (uint32_t i = 0; i < 3; ++i) EXPECT_TRUE(insert_into(three, 100 + 20 * i, 110 + 20 * i));
    const ranges before = held(three);
    EXPECT_FALSE(insert_into(three, 500, 510));  // after all of them
    EXPECT_FALSE(insert_into(three, 10, 20));    // before all of them
    EXPECT_FALSE(insert_into(three, 112, 118));  // in a gap
    EXPECT_EQ(held(three), before);
}

TEST_F(Reassembly, BoundStillMergesIntoExistingRanges) {
    range_set three(&memory.pool, 3);
    for (uint32_t i = 0; i < 3; ++i) EXPECT_TRUE(insert_into(three, 100 + 20 * i, 110 + 20 * i));
    EXPECT_TRUE(insert_into(three, 110, 115));  // adjacent
    EXPECT_TRUE(insert_into(three, 135, 145));  // overlapping
    EXPECT_TRUE(insert_into(three, 141, 142));  // inside
    EXPECT_EQ(held(three), (ranges{{100, 115}, {120, 130}, {135, 150}}));
    EXPECT_TRUE(insert_into(three, 115, 120));  // bridging frees a slot
    EXPECT_EQ(three.count(), 2);
    EXPECT_TRUE(insert_into(three, 500, 510));
    EXPECT_EQ(three.count(), 3);
}

// The set grows through the pool's size classes (8, 16, 32, ... ranges) as
// holes appear, keeping its ranges, and gives its block back when it empties.
TEST_F(Reassembly, GrowsFromThePoolAndGivesItsBlockBackWhenEmpty) {
    EXPECT_EQ(memory.pool.ranges_in_use(), 0u);
    EXPECT_TRUE(insert(0, 1));
    EXPECT_EQ(memory.pool.ranges_in_use(), 8u);
    for (uint32_t i = 1; i < 100; ++i) EXPECT_TRUE(insert(2 * i, 2 * i + 1));
    EXPECT_EQ(r.count(), 100);
    EXPECT_EQ(memory.pool.ranges_in_use(), 128u);  // the smallest class that holds 100
    for (uint32_t i = 0; i < 100; ++i) EXPECT_EQ(r[static_cast<uint16_t>(i)].start, at(2 * i));
    EXPECT_EQ(r.take_contiguous(at(0)), at(1));
    EXPECT_EQ(memory.pool.ranges_in_use(), 128u);
    r.clear();
    EXPECT_EQ(memory.pool.ranges_in_use(), 0u);
    EXPECT_TRUE(insert(10, 20));
    EXPECT_EQ(r.take_contiguous(at(10)), at(20));  // the last range taken: the block goes back
    EXPECT_EQ(memory.pool.ranges_in_use(), 0u);
}

// Sets of one lcore share its pool: when it is empty a new disjoint range is
// refused (the caller counts a drop) and nothing changes; merging still works.
TEST_F(Reassembly, AnEmptyPoolRefusesNewRangesAndChangesNothing) {
    fptcp::testing::range_memory small(16);  // two blocks of 8
    range_set a(&small.pool, bound), b(&small.pool, bound), c(&small.pool, bound);
    EXPECT_TRUE(insert_into(a, 0, 1));
    EXPECT_TRUE(insert_into(b, 0, 1));
    EXPECT_FALSE(insert_into(c, 0, 1));  // no block left
    EXPECT_TRUE(c.empty());
    for (uint32_t i = 1; i < 8; ++i) EXPECT_TRUE(insert_into(a, 2 * i, 2 * i + 1));
    const ranges before = held(a);
    EXPECT_FALSE(insert_into(a, 100, 101));  // a ninth range needs a block of 16
    EXPECT_EQ(held(a), before);
    EXPECT_TRUE(insert_into(a, 1, 2));  // merging needs no room
    b.clear();
    EXPECT_TRUE(insert_into(c, 0, 1));  // b's block went back
}

// A class whose free list is empty splits a larger free block: after one set
// grew through blocks of 8, 16 and 32 ranges and emptied, the pool's 64
// ranges serve eight sets of 8.
TEST_F(Reassembly, ThePoolSplitsLargerFreeBlocks) {
    fptcp::testing::range_memory small(64);
    {
        range_set big(&small.pool, bound);
        for (uint32_t i = 0; i < 20; ++i) EXPECT_TRUE(insert_into(big, 2 * i, 2 * i + 1));
        EXPECT_EQ(small.pool.ranges_in_use(), 32u);
    }
    EXPECT_EQ(small.pool.ranges_in_use(), 0u);
    std::vector<std::unique_ptr<range_set>> sets;
    for (int i = 0; i < 8; ++i) {
        sets.push_back(std::make_unique<range_set>(&small.pool, bound));
        EXPECT_TRUE(insert_into(*sets.back(), 0, 1)) << "set " << i;
    }
    EXPECT_EQ(small.pool.ranges_in_use(), 64u);
    range_set ninth(&small.pool, bound);
    EXPECT_FALSE(insert_into(ninth, 0, 1));
}

TEST_F(Reassembly, HardBoundIsTheLargestBlock) {
    range_set more(&memory.pool, bound);
    for (uint32_t i = 0; i < bound; ++i) EXPECT_TRUE(insert_into(more, 10 * i, 10 * i + 1));
    EXPECT_FALSE(insert_into(more, 10 * bound, 10 * bound + 1));
    EXPECT_EQ(more.count(), bound);
}

TEST_F(Reassembly, GapsAreThePartsNotHeld) {
    EXPECT_TRUE(insert(100, 200));
    EXPECT_TRUE(insert(250, 300));
    ranges gaps;
    r.for_each_gap(at(50), at(400), [&](seq_num a, seq_num b) { gaps.emplace_back(a.raw() - base, b.raw() - base); });
    EXPECT_EQ(gaps, (ranges{{50, 100}, {200, 250}, {300, 400}}));
    gaps.clear();
    r.for_each_gap(at(120), at(260), [&](seq_num a, seq_num b) { gaps.emplace_back(a.raw() - base, b.raw() - base); });
    EXPECT_EQ(gaps, (ranges{{200, 250}}));
    gaps.clear();
    r.for_each_gap(at(260), at(280), [&](seq_num a, seq_num b) { gaps.emplace_back(a.raw() - base, b.raw() - base); });
    EXPECT_TRUE(gaps.empty());
    EXPECT_EQ(r.index_holding(at(260)), 1);
    EXPECT_EQ(r.index_holding(at(200)), 2);  // one past the first range's end: none holds it
    EXPECT_EQ(r.index_holding(at(100)), 0);
}

TEST_F(Reassembly, TakeContiguousStopsAtTheFirstHole) {
    EXPECT_TRUE(insert(100, 200));
    EXPECT_TRUE(insert(300, 400));
    EXPECT_EQ(r.take_contiguous(at(50)), at(50));  // still a hole at 50..100
    EXPECT_EQ(r.count(), 2);
    EXPECT_EQ(r.take_contiguous(at(100)), at(200));  // exactly at the start
    EXPECT_EQ(held(), (ranges{{300, 400}}));
}

TEST_F(Reassembly, TakeContiguousAcrossSeveralRangesAndTheWrap) {
    EXPECT_TRUE(insert(100, 200));
    EXPECT_TRUE(insert(220, 260));  // the wrap inside
    EXPECT_TRUE(insert(300, 400));
    EXPECT_TRUE(insert(500, 600));
    // In-order data covered 0..310: the first three are now in order.
    EXPECT_EQ(r.take_contiguous(at(310)), at(400));
    EXPECT_EQ(held(), (ranges{{500, 600}}));
    EXPECT_EQ(r.take_contiguous(at(600)), at(600));
    EXPECT_TRUE(r.empty());
}

TEST_F(Reassembly, TakeContiguousKeepsTheFurthestEnd) {
    EXPECT_TRUE(insert(100, 150));
    // RCV.NXT already beyond the range's end: the range is dropped, RCV.NXT kept.
    EXPECT_EQ(r.take_contiguous(at(180)), at(180));
    EXPECT_TRUE(r.empty());
}

TEST_F(Reassembly, ClearForgetsEverything) {
    EXPECT_TRUE(insert(100, 200));
    r.clear();
    EXPECT_TRUE(r.empty());
}

// A peer that sends 10,000 one-byte holes, in descending order, then
// ascending, then shuffled: the count stays at the bound (the largest block),
// every insert is a binary search plus at most one block's move, and the
// whole run is fast.
TEST_F(Reassembly, TenThousandOneByteHolesStayBoundedAndFast) {
    constexpr uint32_t n = 10000;
    std::vector<uint32_t> order(n);
    std::iota(order.begin(), order.end(), 0u);
    std::vector<std::vector<uint32_t>> orders;
    orders.push_back(std::vector<uint32_t>(order.rbegin(), order.rend()));
    orders.push_back(order);
    std::mt19937 rng(1234);
    std::shuffle(order.begin(), order.end(), rng);
    orders.push_back(order);

    auto start = std::chrono::steady_clock::now();
    for (const auto& o : orders) {
        r.clear();
        uint32_t accepted = 0;
        for (uint32_t i : o) {
            if (insert(2 * i + 1, 2 * i + 2)) ++accepted;  // one byte, a hole before it
            ASSERT_LE(r.count(), bound);
        }
        EXPECT_EQ(accepted, bound);
        EXPECT_EQ(r.count(), bound);
        // Filling a hole between two held bytes merges them: still bounded.
        auto first = held().front();
        EXPECT_TRUE(insert(first.second, first.second + 1));
        EXPECT_LE(r.count(), bound);
    }
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_LT(took, std::chrono::milliseconds(500)) << "30,000 inserts into a bounded set";
}

// Against a bitmap model: random inserts over a small span crossing the
// wrap, merged ranges must equal the model's runs exactly.
TEST_F(Reassembly, RandomInsertsMatchABitmapModel) {
    std::mt19937 rng(9293);
    range_set six(&memory.pool, 6);
    for (int round = 0; round < 200; ++round) {
        six.clear();
        std::vector<bool> model(512, false);
        for (int k = 0; k < 30; ++k) {
            uint32_t from = rng() % 500;
            uint32_t to = from + 1 + rng() % 12;
            std::vector<bool> next = model;
            for (uint32_t i = from; i < to; ++i) next[i] = true;
            ranges runs;
            for (uint32_t i = 0; i < next.size(); ++i) {
                if (!next[i]) continue;
                uint32_t j = i;
                while (j < next.size() && next[j]) ++j;
                runs.emplace_back(i, j);
                i = j;
            }
            bool fits = runs.size() <= 6;
            EXPECT_EQ(insert_into(six, from, to), fits);
            if (fits) model = next;
            ranges expect;
            for (uint32_t i = 0; i < model.size(); ++i) {
                if (!model[i]) continue;
                uint32_t j = i;
                while (j < model.size() && model[j]) ++j;
                expect.emplace_back(i, j);
                i = j;
            }
            ASSERT_EQ(held(six), expect) << "round " << round << " insert " << from << ".." << to;
        }
    }
}

}  // namespace
}  // namespace fptcp::tcp
