#pragma once
// A log-linear latency histogram in the manner of HdrHistogram: fixed memory
// (no allocation after construction), nanosecond values, exact below 128 ns
// and within 1/256 (0.4%) relative error above, up to 2^37 ns (137 s; larger
// values count as the maximum bucket). record() is a few instructions, fit
// for the packet path; percentile() walks the buckets and is for the summary.
//
// Buckets: values below 2^sub_bits each have their own bucket; a value v in
// [2^e, 2^(e+1)) with e >= sub_bits falls in one of 2^sub_bits linear buckets
// of width 2^(e - sub_bits), so a bucket is at most v / 2^sub_bits wide and
// its midpoint is within v / 2^(sub_bits+1) of every value in it.

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ostream>

namespace fptcp::app {

class histogram {
public:
    static constexpr unsigned sub_bits = 7;
    static constexpr uint64_t sub_count = uint64_t{1} << sub_bits;  // 128
    static constexpr unsigned max_exponent = 36;                   // values up to 2^37 - 1 ns
    static constexpr uint64_t max_trackable = (uint64_t{1} << (max_exponent + 1)) - 1;
    static constexpr std::size_t bucket_count = sub_count * (max_exponent - sub_bits + 2);

    void record(uint64_t ns) {
        ++_counts[index_of(ns)];
        ++_count;
        _max = std::max(_max, ns);
        _min = std::min(_min, ns);
        _sum += ns;
    }

    void merge(const histogram& other) {
        for (std::size_t i = 0; i < bucket_count; ++i) _counts[i] += other._counts[i];
        _count += other._count;
        _max = std::max(_max, other._max);
        _min = std::min(_min, other._min);
        _sum += other._sum;
    }

    void reset() { *this = histogram{}; }

    uint64_t count() const { return _count; }
    uint64_t max() const { return _count == 0 ? 0 : _max; }
    uint64_t min() const { return _count == 0 ? 0 : _min; }
    double mean() const { return _count == 0 ? 0 : static_cast<double>(_sum) / static_cast<double>(_count); }
    // The standard deviation, over the buckets' midpoints (as HdrHistogram's
    // getStdDeviation): for the summary.
    double stdev() const {
        if (_count == 0) return 0;
        double m = mean(), squares = 0;
        for (std::size_t i = 0; i < bucket_count; ++i) {
            if (_counts[i] == 0) continue;
            double d = static_cast<double>(std::clamp(midpoint_of(i), min(), max())) - m;
            squares += d * d * static_cast<double>(_counts[i]);
        }
        return std::sqrt(squares / static_cast<double>(_count));
    }
    // How many recorded values fall in the buckets up to value's.
    uint64_t count_at_or_below(uint64_t value) const {
        uint64_t n = 0;
        for (std::size_t i = 0; i <= index_of(value); ++i) n += _counts[i];
        return n;
    }

    // The value below or at which `p` percent of the recorded values lie
    // (nearest rank: the ceil(p/100 * count)-th smallest), as the midpoint of
    // its bucket, clamped to [min, max]. 0 when empty.
    uint64_t percentile(double p) const {
        if (_count == 0) return 0;
        double clamped = std::clamp(p, 0.0, 100.0);
        auto rank = static_cast<uint64_t>(std::ceil(clamped / 100.0 * static_cast<double>(_count)));
        rank = std::clamp<uint64_t>(rank, 1, _count);
        uint64_t seen = 0;
        for (std::size_t i = 0; i < bucket_count; ++i) {
            seen += _counts[i];
            if (seen >= rank) return std::clamp(midpoint_of(i), min(), max());
        }
        return max();
    }

    static std::size_t index_of(uint64_t ns) {
        uint64_t v = std::min(ns, max_trackable);
        if (v < sub_count) return static_cast<std::size_t>(v);
        auto e = static_cast<unsigned>(std::bit_width(v) - 1);  // v in [2^e, 2^(e+1))
        unsigned shift = e - sub_bits;
        uint64_t sub = (v >> shift) - sub_count;  // 0 .. sub_count-1
        return static_cast<std::size_t>(sub_count * (shift + 1) + sub);
    }

    // Smallest value of bucket i, and its width.
    static uint64_t lowest_of(std::size_t i) {
        if (i < sub_count) return i;
        uint64_t shift = i / sub_count - 1;
        return (sub_count + i % sub_count) << shift;
    }
    static uint64_t width_of(std::size_t i) { return i < sub_count ? 1 : uint64_t{1} << (i / sub_count - 1); }
    static uint64_t midpoint_of(std::size_t i) { return lowest_of(i) + width_of(i) / 2; }

private:
    std::array<uint64_t, bucket_count> _counts{};
    uint64_t _count = 0;
    uint64_t _max = 0;
    uint64_t _min = UINT64_MAX;
    uint64_t _sum = 0;
};

// HdrHistogram's percentile distribution (outputPercentileDistribution, as
// wrk2 -U and hdr tools print and read it), values divided by `unit_ns`
// (1e6: milliseconds): one line per percentile step, the steps halving the
// distance to 100 % five ticks at a time, then the mean, deviation, max
// and count.
inline void write_percentile_distribution(std::ostream& out, const histogram& h, double unit_ns) {
    constexpr int ticks_per_half_distance = 5;
    char line[128];
    std::snprintf(line, sizeof(line), "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)");
    out << line;
    auto value = [unit_ns](uint64_t ns) { return static_cast<double>(ns) / unit_ns; };
    double p = 0;
    while (h.count() > 0) {
        uint64_t v = h.percentile(p);
        uint64_t total = h.count_at_or_below(v);
        if (total >= h.count() || p >= 100) {
            std::snprintf(line, sizeof(line), "%12.3f %14.12f %10lu %14s\n", value(h.max()), 1.0, h.count(), "inf");
            out << line;
            break;
        }
        std::snprintf(line, sizeof(line), "%12.3f %14.12f %10lu %14.2f\n", value(v), p / 100, total, 1 / (1 - p / 100));
        out << line;
        double halvings = std::floor(std::log2(100 / (100 - p)));
        p += 100 / (ticks_per_half_distance * std::exp2(halvings + 1));
    }
    std::snprintf(line, sizeof(line), "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n", value(static_cast<uint64_t>(h.mean())),
                  h.stdev() / unit_ns);
    out << line;
    std::snprintf(line, sizeof(line), "#[Max     = %12.3f, Total count    = %12lu]\n", value(h.max()), h.count());
    out << line;
    std::snprintf(line, sizeof(line), "#[Buckets = %12zu, SubBuckets     = %12lu]\n",
                  histogram::bucket_count / histogram::sub_count, histogram::sub_count);
    out << line;
}

}  // namespace fptcp::app
