// The out-of-order range set of RFC 9293 3.10.7.4 ("seventh, process the
// segment text"): lib/tcp/reassembly.hh. Every test runs at a base just below
// 2^32 so the ranges cross the wrap.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <numeric>
#include <random>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tcp/reassembly.hh"

namespace fptcp::tcp {
namespace {

constexpr uint8_t bound = reassembly::hard_max_ranges;

class Reassembly : public ::testing::Test {
protected:
    static constexpr uint32_t base = 0xffffff00u;  // 256 below the wrap
    reassembly r;

    static seq_num at(uint32_t offset) { return seq_num(base + offset); }
    bool insert(uint32_t from, uint32_t to, uint8_t max = bound) { return r.insert(at(from), at(to), max); }

    // The ranges held, as offsets from the base.
    std::vector<std::pair<uint32_t, uint32_t>> held() const {
        std::vector<std::pair<uint32_t, uint32_t>> v;
        for (uint8_t i = 0; i < r.count(); ++i) v.emplace_back(r[i].start.raw() - base, r[i].end.raw() - base);
        return v;
    }
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
    for (uint32_t i = 0; i < 3; ++i) EXPECT_TRUE(insert(100 + 20 * i, 110 + 20 * i, 3));
    const ranges before = held();
    EXPECT_FALSE(insert(500, 510, 3));  // after all of them
    EXPECT_FALSE(insert(10, 20, 3));    // before all of them
    EXPECT_FALSE(insert(112, 118, 3));  // in a gap
    EXPECT_EQ(held(), before);
}

TEST_F(Reassembly, BoundStillMergesIntoExistingRanges) {
    for (uint32_t i = 0; i < 3; ++i) EXPECT_TRUE(insert(100 + 20 * i, 110 + 20 * i, 3));
    EXPECT_TRUE(insert(110, 115, 3));  // adjacent
    EXPECT_TRUE(insert(135, 145, 3));  // overlapping
    EXPECT_TRUE(insert(141, 142, 3));  // inside
    EXPECT_EQ(held(), (ranges{{100, 115}, {120, 130}, {135, 150}}));
    EXPECT_TRUE(insert(115, 120, 3));  // bridging frees a slot
    EXPECT_EQ(r.count(), 2);
    EXPECT_TRUE(insert(500, 510, 3));
    EXPECT_EQ(r.count(), 3);
}

TEST_F(Reassembly, HardBoundHoldsWhateverTheCallerAsks) {
    for (uint32_t i = 0; i < bound; ++i) EXPECT_TRUE(insert(10 * i, 10 * i + 1, 255));
    EXPECT_FALSE(insert(1000, 1001, 255));
    EXPECT_EQ(r.count(), bound);
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

// A naive list would walk every hole on each insert: 10,000 one-byte holes
// in descending order, then ascending, then shuffled. Here the count stays at
// the bound, every refusal is O(bound), and the whole run is fast.
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

// The same holes with a bound of 255 asked for: the hard bound still holds.
TEST_F(Reassembly, TenThousandHolesNeverExceedTheHardBound) {
    for (uint32_t i = 10000; i-- > 0;) {
        insert(2 * i + 1, 2 * i + 2, 255);
        ASSERT_LE(r.count(), bound);
    }
    EXPECT_EQ(r.count(), bound);
}

// Against a bitmap model: random inserts over a small span crossing the
// wrap, merged ranges must equal the model's runs exactly.
TEST_F(Reassembly, RandomInsertsMatchABitmapModel) {
    std::mt19937 rng(9293);
    for (int round = 0; round < 200; ++round) {
        r.clear();
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
            EXPECT_EQ(insert(from, to, 6), fits);
            if (fits) model = next;
            ranges expect;
            for (uint32_t i = 0; i < model.size(); ++i) {
                if (!model[i]) continue;
                uint32_t j = i;
                while (j < model.size() && model[j]) ++j;
                expect.emplace_back(i, j);
                i = j;
            }
            ASSERT_EQ(held(), expect) << "round " << round << " insert " << from << ".." << to;
        }
    }
}

}  // namespace
}  // namespace fptcp::tcp
