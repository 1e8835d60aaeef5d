// engine/source_picker.hh: every source an lcore picks for an active open
// makes the reply come back to that lcore, for software dispatch (ring,
// memif: the engine that takes the frame forwards it to the owner of its
// tuple) and for RSS (a Toeplitz hash of the reply, then the RETA). The
// lcore a reply reaches is computed here independently: the reply's tuple as
// the receiving engine builds it (tcp::arriving_tuple), and a bit-by-bit
// Toeplitz reference checked against Microsoft's verification suite.

#include "engine/source_picker.hh"

#include <gtest/gtest.h>

#include <array>
#include <random>
#include <set>
#include <tuple>
#include <vector>

#include "tcp/wire_adapter.hh"

namespace fptcp::engine {
namespace {

constexpr uint32_t ip(uint32_t a, uint32_t b, uint32_t c, uint32_t d) { return a << 24 | b << 16 | c << 8 | d; }

constexpr uint32_t server_ip = ip(10, 72, 0, 1);
constexpr uint16_t server_port = 80;

// Microsoft's RSS verification key (also DPDK's default in many drivers).
constexpr std::array<uint8_t, 40> microsoft_key{
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
    0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};

std::array<uint8_t, 40> symmetric_key() {
    std::array<uint8_t, 40> k{};
    for (std::size_t i = 0; i < k.size(); i += 2) {
        k[i] = 0x6d;
        k[i + 1] = 0x5a;
    }
    return k;
}

// Toeplitz, bit by bit: for every set bit of the input, XOR in the 32 key
// bits starting at that bit position.
uint32_t toeplitz(const std::array<uint8_t, 40>& key, const std::vector<uint8_t>& input) {
    auto key_bit = [&](std::size_t i) { return (key[i / 8] >> (7 - i % 8)) & 1u; };
    uint32_t hash = 0;
    for (std::size_t bit = 0; bit < input.size() * 8; ++bit) {
        if (((input[bit / 8] >> (7 - bit % 8)) & 1u) == 0) continue;
        uint32_t window = 0;
        for (std::size_t j = 0; j < 32; ++j) window = window << 1 | key_bit(bit + j);
        hash ^= window;
    }
    return hash;
}

// The NIC's input for an IPv4/TCP frame: source address, destination
// address, source port, destination port, in network order.
std::vector<uint8_t> rss_input(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport) {
    std::vector<uint8_t> in;
    for (uint32_t v : {src, dst}) {
        for (int s = 24; s >= 0; s -= 8) in.push_back(static_cast<uint8_t>(v >> s));
    }
    for (uint16_t v : {sport, dport}) {
        in.push_back(static_cast<uint8_t>(v >> 8));
        in.push_back(static_cast<uint8_t>(v));
    }
    return in;
}

// The reply to our tuple `t` as it travels: from the server to us.
struct reply_frame {
    wire::ipv4_view ip;
    wire::tcp_view tcp;
};
reply_frame reply_to(const tcp::four_tuple& t) {
    reply_frame r;
    r.ip.src = t.remote_ip;
    r.ip.dst = t.local_ip;
    r.tcp.src_port = t.remote_port;
    r.tcp.dst_port = t.local_port;
    return r;
}

// Where the reply lands with RSS: queue = (hash % RETA size) % queues.
uint16_t rss_queue(const std::array<uint8_t, 40>& key, const reply_frame& r, uint16_t reta_size, uint16_t queues) {
    uint32_t h = toeplitz(key, rss_input(r.ip.src, r.ip.dst, r.tcp.src_port, r.tcp.dst_port));
    return static_cast<uint16_t>(h % reta_size % queues);
}

// Where it lands with software dispatch: the receiving engine's owner_of
// (crc32c of the arriving tuple, modulo the lcores).
uint16_t software_lcore(const reply_frame& r, uint16_t lcores) {
    return static_cast<uint16_t>(crc32c_tuple_hash{}(tcp::arriving_tuple(r.ip, r.tcp)) % lcores);
}

// Every tuple one lcore picks over a whole cycle of the range.
std::vector<tcp::four_tuple> pick_all(const source_range& range, const reply_steering& s, uint16_t lcore) {
    source_picker picker(range, s, lcore, 12345);
    std::set<std::tuple<uint32_t, uint16_t>> used;
    std::vector<tcp::four_tuple> picked;
    while (auto t = picker.next(server_ip, server_port, [&](const tcp::four_tuple& c) {
        return !used.contains({c.local_ip, c.local_port});
    })) {
        used.insert({t->local_ip, t->local_port});
        picked.push_back(*t);
    }
    return picked;
}

TEST(SourcePicker, ToeplitzReferenceMatchesMicrosoftsVerificationSuite) {
    // "Verifying the RSS Hash Calculation", IPv4 with TCP, first two rows.
    EXPECT_EQ(toeplitz(microsoft_key, rss_input(ip(66, 9, 149, 187), ip(161, 142, 100, 80), 2794, 1766)), 0x51ccc178u);
    EXPECT_EQ(toeplitz(microsoft_key, rss_input(ip(199, 92, 111, 2), ip(65, 69, 140, 83), 14230, 4739)), 0xc626b0eau);
}

// The key lib/port programs (0x6d5a repeated) gives both directions of a
// flow the same Toeplitz hash, so RSS puts them on the same queue; a
// general key (Microsoft's) does not.
TEST(SourcePicker, SymmetricKeyHashesBothDirectionsAlike) {
    std::mt19937 rng(11);
    int asymmetric_with_microsoft_key = 0;
    for (int i = 0; i < 1000; ++i) {
        uint32_t a = rng(), b = rng();
        auto pa = static_cast<uint16_t>(rng()), pb = static_cast<uint16_t>(rng());
        ASSERT_EQ(toeplitz(symmetric_key(), rss_input(a, b, pa, pb)), toeplitz(symmetric_key(), rss_input(b, a, pb, pa)));
        asymmetric_with_microsoft_key +=
            toeplitz(microsoft_key, rss_input(a, b, pa, pb)) != toeplitz(microsoft_key, rss_input(b, a, pb, pa));
    }
    EXPECT_GT(asymmetric_with_microsoft_key, 900);
}

TEST(SourcePicker, ReplyHashIsDpdksSoftRssOfTheReversedTuple) {
    tcp::four_tuple ours{ip(161, 142, 100, 80), ip(66, 9, 149, 187), 1766, 2794};
    EXPECT_EQ(reply_rss_hash(ours, microsoft_key.data()), 0x51ccc178u);
}

TEST(SourcePicker, SoftwareDispatchRepliesReachTheOpeningLcore) {
    source_range range{ip(10, 72, 0, 2), 3, 40000, 500};
    for (uint16_t lcores : {2, 3, 4}) {
        reply_steering s{.how = reply_steering::kind::software, .lcores = lcores};
        std::size_t total = 0;
        for (uint16_t lcore = 0; lcore < lcores; ++lcore) {
            std::vector<tcp::four_tuple> picked = pick_all(range, s, lcore);
            // A fair share: crc32c spreads the 1500 pairs about evenly.
            EXPECT_GT(picked.size(), range.size() / lcores / 2) << lcores << " lcores, lcore " << lcore;
            for (const tcp::four_tuple& t : picked) {
                ASSERT_EQ(software_lcore(reply_to(t), lcores), lcore);
                ASSERT_TRUE(range.has_ip(t.local_ip));
                ASSERT_GE(t.local_port, range.first_port);
                ASSERT_LT(t.local_port, range.first_port + range.port_count);
            }
            total += picked.size();
        }
        EXPECT_EQ(total, range.size()) << "every pair belongs to exactly one lcore";
    }
}

TEST(SourcePicker, RssRepliesReachTheOpeningLcore) {
    source_range range{ip(10, 72, 0, 2), 2, 50000, 400};
    for (const auto& key : {symmetric_key(), microsoft_key}) {
        for (auto [reta, queues] : {std::pair<uint16_t, uint16_t>{128, 2}, {512, 4}, {64, 3}}) {
            reply_steering s{.how = reply_steering::kind::rss, .lcores = queues, .reta_size = reta, .rss_key = key.data()};
            std::size_t total = 0;
            for (uint16_t lcore = 0; lcore < queues; ++lcore) {
                std::vector<tcp::four_tuple> picked = pick_all(range, s, lcore);
                EXPECT_GT(picked.size(), range.size() / queues / 2);
                for (const tcp::four_tuple& t : picked) ASSERT_EQ(rss_queue(key, reply_to(t), reta, queues), lcore);
                total += picked.size();
            }
            EXPECT_EQ(total, range.size());
        }
    }
}

TEST(SourcePicker, OneLcoreTakesEveryPairThenGivesUp) {
    source_range range{ip(10, 72, 0, 2), 4, 1000, 10};
    std::vector<tcp::four_tuple> picked = pick_all(range, reply_steering{}, 0);
    ASSERT_EQ(picked.size(), 40u);
    // Consecutive picks change the address first.
    EXPECT_NE(picked[0].local_ip, picked[1].local_ip);
    EXPECT_EQ(picked[0].remote_ip, server_ip);
    EXPECT_EQ(picked[0].remote_port, server_port);
}

TEST(SourcePicker, SkipsWhatIsInUse) {
    source_range range{ip(10, 72, 0, 2), 1, 1000, 3};
    source_picker picker(range, reply_steering{}, 0, 0);
    auto t = picker.next(server_ip, server_port, [](const tcp::four_tuple& c) { return c.local_port == 1002; });
    ASSERT_TRUE(t);
    EXPECT_EQ(t->local_port, 1002);
    EXPECT_FALSE(picker.next(server_ip, server_port, [](const tcp::four_tuple&) { return false; }));
}

}  // namespace
}  // namespace fptcp::engine
