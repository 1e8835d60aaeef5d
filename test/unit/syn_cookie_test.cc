// The SYN cookie codec (RFC 4987 3.6, lib/tcp/syn_cookie.hh): layout, round
// trips, freshness across the slot counter's wrap, and that the MAC covers
// every input.

#include <chrono>
#include <cstdint>

#include <gtest/gtest.h>

#include "tcp/syn_cookie.hh"

namespace fptcp::tcp {
namespace {

using namespace std::chrono_literals;

constexpr four_tuple tuple{0x0a000001, 0x0a000002, 80, 40000};
constexpr seq_num peer_isn(0x12345678u);

class SynCookie : public ::testing::Test {
protected:
    syn_cookie_jar jar{isn_secret{0x1111111111111111ull, 0x2222222222222222ull}};
};

TEST_F(SynCookie, RoundTripsEveryMssIndex) {
    for (uint8_t i = 0; i < syn_cookie_jar::mss_table.size(); ++i) {
        seq_num cookie = jar.make(tuple, peer_isn, 1000, i);
        EXPECT_EQ(jar.check(tuple, peer_isn, cookie, 1000), i);
        EXPECT_EQ((cookie.raw() >> syn_cookie_jar::mac_bits) & 7u, i) << "the index sits in clear bits 27-29";
    }
}

TEST_F(SynCookie, SlotSitsInTheTopTwoBits) {
    for (uint32_t slot = 1000; slot < 1004; ++slot) {
        EXPECT_EQ(jar.make(tuple, peer_isn, slot, 0).raw() >> 30, slot & 3u);
    }
}

TEST_F(SynCookie, FreshInItsSlotAndTheNextOnly) {
    seq_num cookie = jar.make(tuple, peer_isn, 1000, 6);
    EXPECT_FALSE(jar.check(tuple, peer_isn, cookie, 999).has_value()) << "from the future";
    EXPECT_EQ(jar.check(tuple, peer_isn, cookie, 1000), 6);
    EXPECT_EQ(jar.check(tuple, peer_isn, cookie, 1001), 6);
    EXPECT_FALSE(jar.check(tuple, peer_isn, cookie, 1002).has_value());
    EXPECT_FALSE(jar.check(tuple, peer_isn, cookie, 1003).has_value());
    // Four slots later the clear bits match again; the MAC over the full slot does not.
    EXPECT_FALSE(jar.check(tuple, peer_isn, cookie, 1004).has_value());
    EXPECT_FALSE(jar.check(tuple, peer_isn, cookie, 1005).has_value());
}

TEST_F(SynCookie, SlotCounterWrapKeepsTheNextSlotFresh) {
    seq_num cookie = jar.make(tuple, peer_isn, UINT32_MAX, 3);
    EXPECT_EQ(jar.check(tuple, peer_isn, cookie, UINT32_MAX), 3);
    EXPECT_EQ(jar.check(tuple, peer_isn, cookie, 0), 3);
    EXPECT_FALSE(jar.check(tuple, peer_isn, cookie, 1).has_value());
}

TEST_F(SynCookie, MacCoversTupleIsnSlotAndIndex) {
    seq_num cookie = jar.make(tuple, peer_isn, 1000, 6);
    four_tuple other = tuple;
    other.remote_port = 40001;
    EXPECT_FALSE(jar.check(other, peer_isn, cookie, 1000).has_value()) << "remote port";
    other = tuple;
    other.remote_ip ^= 1;
    EXPECT_FALSE(jar.check(other, peer_isn, cookie, 1000).has_value()) << "remote address";
    other = tuple;
    other.local_port = 81;
    EXPECT_FALSE(jar.check(other, peer_isn, cookie, 1000).has_value()) << "local port";
    EXPECT_FALSE(jar.check(tuple, peer_isn + seq_len(1), cookie, 1000).has_value()) << "peer ISN";
    // The clear bits changed by a forger: another index or slot, the MAC no longer fits.
    EXPECT_FALSE(jar.check(tuple, peer_isn, seq_num(cookie.raw() ^ (1u << 27)), 1000).has_value()) << "index";
    EXPECT_FALSE(jar.check(tuple, peer_isn, seq_num(cookie.raw() ^ (1u << 30)), 1001).has_value()) << "slot";
    for (uint32_t bit = 0; bit < syn_cookie_jar::mac_bits; ++bit) {
        EXPECT_FALSE(jar.check(tuple, peer_isn, seq_num(cookie.raw() ^ (1u << bit)), 1000).has_value()) << bit;
    }
}

TEST_F(SynCookie, AnotherSecretMakesAnotherCookie) {
    syn_cookie_jar other{isn_secret{0x1111111111111111ull, 0x2222222222222223ull}};
    seq_num cookie = jar.make(tuple, peer_isn, 1000, 6);
    EXPECT_NE(other.make(tuple, peer_isn, 1000, 6), cookie);
    EXPECT_FALSE(other.check(tuple, peer_isn, cookie, 1000).has_value());
}

TEST_F(SynCookie, MssRoundsDownToTheTable) {
    EXPECT_EQ(syn_cookie_jar::mss_index_for(0), 0);
    EXPECT_EQ(syn_cookie_jar::mss_index_for(535), 0);
    EXPECT_EQ(syn_cookie_jar::mss_index_for(536), 1);
    EXPECT_EQ(syn_cookie_jar::mss_index_for(1459), 5);
    EXPECT_EQ(syn_cookie_jar::mss_index_for(1460), 6);
    EXPECT_EQ(syn_cookie_jar::mss_index_for(8959), 6);
    EXPECT_EQ(syn_cookie_jar::mss_index_for(65535), 7);
    for (uint8_t i = 0; i < syn_cookie_jar::mss_table.size(); ++i) {
        EXPECT_EQ(syn_cookie_jar::mss_index_for(syn_cookie_jar::mss_table[i]), i);
    }
}

TEST_F(SynCookie, SlotsAreSixtyFourSeconds) {
    EXPECT_EQ(syn_cookie_jar::slot_at(time_point(63s)), 0u);
    EXPECT_EQ(syn_cookie_jar::slot_at(time_point(64s)), 1u);
    EXPECT_EQ(syn_cookie_jar::slot_at(time_point(6400s + 999ms)), 100u);
}

TEST_F(SynCookie, CheckedOnlyWhileIssued) {
    EXPECT_FALSE(jar.issued_since(0));
    jar.note_issued(1000);
    EXPECT_TRUE(jar.issued_since(999));
    EXPECT_TRUE(jar.issued_since(1000));
    EXPECT_FALSE(jar.issued_since(1001));
}

TEST(CookieTimestamps, OptionsRoundTripInTheLowFiveBits) {
    for (int shift = -1; shift <= 14; ++shift) {
        for (bool sack : {false, true}) {
            cookie_ts_options o;
            if (shift >= 0) o.window_shift = static_cast<uint8_t>(shift);
            o.sack_permitted = sack;
            uint32_t ts = cookie_ts_val(0x40000123u, o);
            cookie_ts_options back = cookie_ts_options::decode(ts);
            EXPECT_EQ(back.window_shift, o.window_shift);
            EXPECT_EQ(back.sack_permitted, sack);
        }
    }
}

TEST(CookieTimestamps, TsValNeverRunsAheadOfTheClock) {
    cookie_ts_options o;
    o.window_shift = 7;
    o.sack_permitted = true;  // low bits 10111
    EXPECT_EQ(cookie_ts_val(0x1000 + 0x17, o), 0x1000u + 0x17);
    EXPECT_EQ(cookie_ts_val(0x1000 + 0x18, o), 0x1000u + 0x17);
    EXPECT_EQ(cookie_ts_val(0x1000 + 0x16, o), 0x1000u - 0x20 + 0x17);
    EXPECT_EQ(cookie_ts_val(3, o), 0u - 0x20 + 0x17) << "wraps below zero";
}

TEST(CookieTimestamps, ShiftAboveFourteenIsSentAsFourteen) {
    cookie_ts_options o;
    o.window_shift = 15;  // RFC 7323 2.3: used as 14
    EXPECT_EQ(cookie_ts_options::decode(o.encode()).window_shift, 14);
}

}  // namespace
}  // namespace fptcp::tcp
