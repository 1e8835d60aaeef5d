// The byte ring under the send and receive buffers: lib/tcp/byte_ring.hh.

#include <array>
#include <cstdint>
#include <deque>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "tcp/byte_ring.hh"

namespace fptcp::tcp {
namespace {

std::span<const uint8_t> bytes(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string text(std::span<const uint8_t> s) { return {s.begin(), s.end()}; }

std::string joined(const std::array<std::span<const uint8_t>, 2>& v) { return text(v[0]) + text(v[1]); }

class ByteRing : public ::testing::Test {
protected:
    std::array<uint8_t, 8> storage{};
    byte_ring ring{storage};
};

TEST_F(ByteRing, StartsEmptyWithItsCapacityFree) {
    EXPECT_EQ(ring.capacity(), 8u);
    EXPECT_EQ(ring.size(), 0u);
    EXPECT_EQ(ring.free_space(), 8u);
    EXPECT_EQ(ring.storage(), storage.data());
}

TEST_F(ByteRing, AppendStopsWhenFull) {
    EXPECT_EQ(ring.append(bytes("abcde")), 5u);
    EXPECT_EQ(ring.append(bytes("fghij")), 3u);  // only "fgh" fits
    EXPECT_EQ(ring.size(), 8u);
    EXPECT_EQ(ring.free_space(), 0u);
    EXPECT_EQ(ring.append(bytes("k")), 0u);
    EXPECT_EQ(joined(ring.view(0, 8)), "abcdefgh");
}

TEST_F(ByteRing, ConsumeFreesFromTheHead) {
    ring.append(bytes("abcdef"));
    ring.consume(4);
    EXPECT_EQ(ring.size(), 2u);
    EXPECT_EQ(ring.free_space(), 6u);
    EXPECT_EQ(joined(ring.view(0, 2)), "ef");
    ring.consume(2);
    EXPECT_EQ(ring.size(), 0u);
}

TEST_F(ByteRing, ViewOfContiguousBytesIsOneSpan) {
    ring.append(bytes("abcdef"));
    auto v = ring.view(1, 4);
    EXPECT_EQ(text(v[0]), "bcde");
    EXPECT_TRUE(v[1].empty());
}

TEST_F(ByteRing, WrappedViewIsTwoSpans) {
    ring.append(bytes("abcdef"));
    ring.consume(5);             // head at index 5, "f" held
    ring.append(bytes("ghijk"));  // indices 6, 7, then 0, 1, 2
    ASSERT_EQ(ring.size(), 6u);
    auto v = ring.view(0, 6);
    EXPECT_EQ(text(v[0]), "fgh");
    EXPECT_EQ(text(v[1]), "ijk");
    EXPECT_EQ(v[1].data(), storage.data());
    auto tail = ring.view(3, 3);  // starts past the wrap point: one span
    EXPECT_EQ(text(tail[0]), "ijk");
    EXPECT_TRUE(tail[1].empty());
    auto across = ring.view(2, 2);  // "hi", split at the end of storage
    EXPECT_EQ(text(across[0]), "h");
    EXPECT_EQ(text(across[1]), "i");
}

TEST_F(ByteRing, FullRingWrapsToExactlyItsCapacity) {
    ring.append(bytes("abc"));
    ring.consume(3);
    EXPECT_EQ(ring.append(bytes("0123456789")), 8u);
    EXPECT_EQ(joined(ring.view(0, 8)), "01234567");
}

TEST_F(ByteRing, WriteAtBeyondTheSizeThenExtend) {
    ring.append(bytes("ab"));
    ring.write_at(4, bytes("ef"));  // out of order: a hole at offsets 2..3
    EXPECT_EQ(ring.size(), 2u);    // not held yet
    ring.write_at(2, bytes("cd"));  // the hole filled
    ring.extend(4);
    EXPECT_EQ(ring.size(), 6u);
    EXPECT_EQ(joined(ring.view(0, 6)), "abcdef");
}

TEST_F(ByteRing, WriteAtWrapsAroundTheStorageEnd) {
    ring.append(bytes("abcdef"));
    ring.consume(6);                   // head at index 6
    ring.write_at(1, bytes("xyz"));     // indices 7, 0, 1
    ring.write_at(0, bytes("w"));
    ring.extend(4);
    EXPECT_EQ(joined(ring.view(0, 4)), "wxyz");
    EXPECT_EQ(storage[7], 'x');
    EXPECT_EQ(storage[0], 'y');
    EXPECT_EQ(storage[1], 'z');
}

TEST_F(ByteRing, WriteAtUpToTheCapacity) {
    ring.append(bytes("abc"));
    ring.consume(2);                        // head at 2, "c" held
    ring.write_at(1, bytes("1234567"));     // fills the ring exactly
    ring.extend(7);
    EXPECT_EQ(ring.free_space(), 0u);
    EXPECT_EQ(joined(ring.view(0, 8)), "c1234567");
}

TEST_F(ByteRing, AppendingNothingChangesNothing) {
    ring.append(bytes("ab"));
    EXPECT_EQ(ring.append(std::span<const uint8_t>{}), 0u);  // a null data pointer
    ring.write_at(2, std::span<const uint8_t>{});
    EXPECT_EQ(joined(ring.view(0, 2)), "ab");
}

TEST(ByteRingDefault, HasNoCapacity) {
    byte_ring empty;
    EXPECT_EQ(empty.capacity(), 0u);
    EXPECT_EQ(empty.free_space(), 0u);
    EXPECT_EQ(empty.append(bytes("")), 0u);
}

// Many random append/consume/out-of-order cycles against a std::deque model
// (fixed seed): every view, at every offset, byte-exact.
TEST(ByteRingModel, RandomCyclesMatchADeque) {
    constexpr uint32_t capacity = 61;  // odd, so the wrap point moves around
    std::vector<uint8_t> storage(capacity);
    byte_ring ring{storage};
    std::deque<uint8_t> model;
    std::mt19937 rng(20250);
    uint8_t next = 0;

    for (int step = 0; step < 20000; ++step) {
        switch (rng() % 3) {
        case 0: {  // append
            std::vector<uint8_t> chunk(rng() % 40);
            for (auto& b : chunk) b = next++;
            uint32_t taken = ring.append(chunk);
            uint32_t fits = capacity - static_cast<uint32_t>(model.size());
            ASSERT_EQ(taken, std::min<uint32_t>(fits, static_cast<uint32_t>(chunk.size())));
            model.insert(model.end(), chunk.begin(), chunk.begin() + taken);
            next = static_cast<uint8_t>(next - (chunk.size() - taken));  // untaken bytes are offered again
            break;
        }
        case 1: {  // consume
            uint32_t n = model.empty() ? 0 : rng() % (model.size() + 1);
            ring.consume(n);
            model.erase(model.begin(), model.begin() + n);
            break;
        }
        case 2: {  // out of order then extend, as reassembly does
            uint32_t free = capacity - static_cast<uint32_t>(model.size());
            if (free < 2) break;
            uint32_t len = 2 + rng() % (free - 1);  // 2..free
            uint32_t split = 1 + rng() % (len - 1);
            std::vector<uint8_t> chunk(len);
            for (auto& b : chunk) b = next++;
            uint32_t at = static_cast<uint32_t>(model.size());
            ring.write_at(at + split, std::span<const uint8_t>(chunk).subspan(split));  // the later part first
            ring.write_at(at, std::span<const uint8_t>(chunk).first(split));
            ring.extend(len);
            model.insert(model.end(), chunk.begin(), chunk.end());
            break;
        }
        }
        ASSERT_EQ(ring.size(), model.size()) << "step " << step;
        ASSERT_EQ(ring.free_space(), capacity - model.size());
        uint32_t offset = model.empty() ? 0 : rng() % model.size();
        uint32_t len = static_cast<uint32_t>(model.size()) - offset;
        len = len == 0 ? 0 : rng() % (len + 1);
        auto v = ring.view(offset, len);
        ASSERT_EQ(v[0].size() + v[1].size(), len);
        std::vector<uint8_t> got(v[0].begin(), v[0].end());
        got.insert(got.end(), v[1].begin(), v[1].end());
        std::vector<uint8_t> want(model.begin() + offset, model.begin() + offset + len);
        ASSERT_EQ(got, want) << "step " << step << " view " << offset << "+" << len;
        auto all = ring.view(0, static_cast<uint32_t>(model.size()));
        std::vector<uint8_t> whole(all[0].begin(), all[0].end());
        whole.insert(whole.end(), all[1].begin(), all[1].end());
        ASSERT_EQ(whole, std::vector<uint8_t>(model.begin(), model.end())) << "step " << step;
    }
}

}  // namespace
}  // namespace fptcp::tcp
