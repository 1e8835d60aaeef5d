// The latency histogram against exact percentiles of sorted arrays.

#include "app/histogram.hh"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <sstream>
#include <vector>

namespace fptcp::app {
namespace {

// Nearest rank, as histogram::percentile defines it.
uint64_t exact_percentile(const std::vector<uint64_t>& sorted, double p) {
    auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
    rank = std::clamp<std::size_t>(rank, 1, sorted.size());
    return sorted[rank - 1];
}

void expect_within_one_percent(const histogram& h, std::vector<uint64_t> values) {
    std::sort(values.begin(), values.end());
    for (double p : {0.0, 1.0, 10.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
        double exact = static_cast<double>(exact_percentile(values, p));
        double got = static_cast<double>(h.percentile(p));
        EXPECT_LE(std::abs(got - exact), exact * 0.01) << "p" << p << " exact " << exact << " got " << got;
    }
    EXPECT_EQ(h.max(), values.back());
    EXPECT_EQ(h.min(), values.front());
    EXPECT_EQ(h.count(), values.size());
}

TEST(Histogram, EmptyReportsZero) {
    auto h = std::make_unique<histogram>();
    EXPECT_EQ(h->count(), 0u);
    EXPECT_EQ(h->percentile(50), 0u);
    EXPECT_EQ(h->max(), 0u);
}

TEST(Histogram, SmallValuesAreExact) {
    auto h = std::make_unique<histogram>();
    std::vector<uint64_t> v;
    for (uint64_t i = 1; i <= 127; ++i) {
        h->record(i);
        v.push_back(i);
    }
    EXPECT_EQ(h->percentile(50), exact_percentile(v, 50));
    EXPECT_EQ(h->percentile(99), exact_percentile(v, 99));
    EXPECT_EQ(h->percentile(100), 127u);
}

TEST(Histogram, LogUniformValuesFrom100NsTo100SAreWithinOnePercent) {
    auto h = std::make_unique<histogram>();
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> exponent(2.0, 11.0);  // 100 ns .. 100 s
    std::vector<uint64_t> values;
    for (int i = 0; i < 200000; ++i) {
        auto v = static_cast<uint64_t>(std::pow(10.0, exponent(rng)));
        values.push_back(v);
        h->record(v);
    }
    expect_within_one_percent(*h, values);
}

TEST(Histogram, ATightLatencyClusterWithATailIsWithinOnePercent) {
    auto h = std::make_unique<histogram>();
    std::mt19937_64 rng(7);
    std::normal_distribution<double> body(2500.0, 200.0);
    std::vector<uint64_t> values;
    for (int i = 0; i < 100000; ++i) {
        auto v = static_cast<uint64_t>(std::max(100.0, body(rng)));
        if (i % 1000 == 0) v = 3'000'000 + static_cast<uint64_t>(i);  // rare stalls
        values.push_back(v);
        h->record(v);
    }
    expect_within_one_percent(*h, values);
}

TEST(Histogram, EveryBucketIsAtMostOnePercentOfItsValues) {
    for (std::size_t i = histogram::sub_count; i < histogram::bucket_count; ++i) {
        double low = static_cast<double>(histogram::lowest_of(i));
        EXPECT_LE(static_cast<double>(histogram::width_of(i)) / low, 0.01) << i;
        EXPECT_EQ(histogram::index_of(histogram::lowest_of(i)), i);
        EXPECT_EQ(histogram::index_of(histogram::lowest_of(i) + histogram::width_of(i) - 1), i);
    }
}

TEST(Histogram, ValuesBeyondTheRangeLandInTheLastBucketButKeepTheirMax) {
    auto h = std::make_unique<histogram>();
    h->record(uint64_t{1} << 50);
    EXPECT_EQ(histogram::index_of(uint64_t{1} << 50), histogram::bucket_count - 1);
    EXPECT_EQ(h->max(), uint64_t{1} << 50);
    EXPECT_EQ(h->percentile(100), uint64_t{1} << 50);
}

TEST(Histogram, MergeEqualsRecordingEverythingInOne) {
    auto a = std::make_unique<histogram>(), b = std::make_unique<histogram>(), all = std::make_unique<histogram>();
    std::vector<uint64_t> values;
    for (uint64_t i = 0; i < 5000; ++i) {
        uint64_t v = 100 + i * i * 37;
        (i % 2 == 0 ? *a : *b).record(v);
        all->record(v);
        values.push_back(v);
    }
    a->merge(*b);
    EXPECT_EQ(a->count(), all->count());
    EXPECT_EQ(a->max(), all->max());
    for (double p : {50.0, 90.0, 99.0, 99.9}) EXPECT_EQ(a->percentile(p), all->percentile(p));
    expect_within_one_percent(*a, values);
}

TEST(Histogram, ResetForgetsEverything) {
    auto h = std::make_unique<histogram>();
    h->record(1000);
    h->reset();
    EXPECT_EQ(h->count(), 0u);
    EXPECT_EQ(h->max(), 0u);
    h->record(200);
    EXPECT_EQ(h->percentile(50), 200u);
}

TEST(Histogram, MeanMinAndDeviationOfAUniformRange) {
    auto h = std::make_unique<histogram>();
    for (uint64_t v = 1; v <= 100; ++v) h->record(v);  // exact buckets below 128
    EXPECT_EQ(h->min(), 1u);
    EXPECT_DOUBLE_EQ(h->mean(), 50.5);
    EXPECT_NEAR(h->stdev(), 28.866, 0.001);  // sqrt((100^2 - 1) / 12)
}

// HdrHistogram's text form: a header, lines with rising values and
// percentiles whose counts reach the total on the last ("inf") line, then
// the mean, deviation, max and count, in the unit asked for (ms here).
TEST(Histogram, PercentileDistributionAsHdrHistogramPrintsIt) {
    auto h = std::make_unique<histogram>();
    for (uint64_t i = 1; i <= 10000; ++i) h->record(i * 1000);  // 1 us .. 10 ms
    std::ostringstream out;
    write_percentile_distribution(out, *h, 1e6);
    std::istringstream in(out.str());
    std::string line;
    std::getline(in, line);
    EXPECT_NE(line.find("Value"), std::string::npos);
    EXPECT_NE(line.find("1/(1-Percentile)"), std::string::npos);
    double last_value = -1, last_percentile = -1;
    uint64_t last_total = 0;
    int rows = 0;
    while (std::getline(in, line) && !line.starts_with("#")) {
        if (line.empty()) continue;
        std::istringstream fields(line);
        double value, percentile;
        uint64_t total;
        std::string inverse;
        fields >> value >> percentile >> total >> inverse;
        EXPECT_GE(value, last_value) << line;
        EXPECT_GT(percentile, last_percentile) << line;
        EXPECT_GE(total, last_total) << line;
        last_value = value, last_percentile = percentile, last_total = total;
        ++rows;
        if (inverse == "inf") break;
    }
    EXPECT_EQ(last_percentile, 1.0);
    EXPECT_EQ(last_total, 10000u);
    EXPECT_NEAR(last_value, 10.0, 0.05);
    EXPECT_GT(rows, 30);  // five ticks per halving of the distance to 100 %, until the top bucket
    EXPECT_NE(out.str().find("#[Mean    =        5.00"), std::string::npos) << out.str();
    EXPECT_NE(out.str().find("Total count    =        10000]"), std::string::npos);
}

}  // namespace
}  // namespace fptcp::app
