// The engine's per-lcore structures: timer wheel, flow table, TIME_WAIT
// table, ARP cache. Pure code: no EAL, a manual clock.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <memory>
#include <random>
#include <unordered_map>
#include <vector>

#include "engine/arp_cache.hh"
#include "engine/flow_table.hh"
#include "engine/time_wait_table.hh"
#include "engine/timer_wheel.hh"

namespace fptcp::engine {
namespace {

using namespace std::chrono_literals;
using tcp::four_tuple;

time_point at(duration d) { return time_point{} + d; }

// ---------------------------------------------------------------- timer wheel

struct timer {
    timer_hook hook;
    int id = 0;
    time_point deadline;

    explicit timer(int i = 0) : id(i) {}
};

timer& owner(timer_hook& h) { return *reinterpret_cast<timer*>(reinterpret_cast<char*>(&h) - offsetof(timer, hook)); }

struct fired_log {
    std::vector<int> ids;
    auto recorder() {
        return [this](timer_hook& h) { ids.push_back(owner(h).id); };
    }
};

TEST(TimerWheel, ArmAndCancelTrackArmedHooks) {
    timer_wheel w(at(0ms));
    timer a{1}, b{2};
    EXPECT_FALSE(timer_wheel::armed(a.hook));
    w.arm(a.hook, at(5ms));
    w.arm(b.hook, at(5ms));
    EXPECT_TRUE(timer_wheel::armed(a.hook));
    EXPECT_EQ(w.size(), 2u);
    w.cancel(a.hook);
    EXPECT_FALSE(timer_wheel::armed(a.hook));
    EXPECT_EQ(w.size(), 1u);
    w.cancel(a.hook);  // not armed: nothing happens
    EXPECT_EQ(w.size(), 1u);
    fired_log log;
    EXPECT_EQ(w.advance(at(10ms), 100, log.recorder()), 1u);
    EXPECT_EQ(log.ids, std::vector<int>{2});
    EXPECT_EQ(w.size(), 0u);
    EXPECT_FALSE(timer_wheel::armed(b.hook));
}

TEST(TimerWheel, ReArmingMovesTheHook) {
    timer_wheel w(at(0ms));
    timer a{1};
    w.arm(a.hook, at(5ms));
    w.arm(a.hook, at(9ms));
    EXPECT_EQ(w.size(), 1u);
    fired_log log;
    EXPECT_EQ(w.advance(at(8ms), 100, log.recorder()), 0u);
    EXPECT_EQ(w.advance(at(9ms), 100, log.recorder()), 1u);
    EXPECT_EQ(log.ids, std::vector<int>{1});
}

TEST(TimerWheel, FiresAtTheFirstTickAtOrAfterTheDeadline) {
    timer_wheel w(4096, 1ms, at(0ms));
    timer exact{1}, mid{2};
    w.arm(exact.hook, at(5ms));     // tick 5
    w.arm(mid.hook, at(5300us));    // rounded up to tick 6: never early
    EXPECT_EQ(exact.hook.tick, 5u);
    EXPECT_EQ(mid.hook.tick, 6u);
    fired_log log;
    EXPECT_EQ(w.advance(at(4999us), 100, log.recorder()), 0u);
    EXPECT_EQ(w.advance(at(5ms), 100, log.recorder()), 1u);
    EXPECT_EQ(w.advance(at(5999us), 100, log.recorder()), 0u);
    EXPECT_EQ(w.advance(at(6ms), 100, log.recorder()), 1u);
    EXPECT_EQ(log.ids, (std::vector<int>{1, 2}));
}

TEST(TimerWheel, StartOffsetAndCoarseTick) {
    timer_wheel w(64, 10ms, at(1000ms));
    timer a{1};
    w.arm(a.hook, at(1025ms));  // 25 ms after start: tick 3 (1030 ms)
    fired_log log;
    EXPECT_EQ(w.advance(at(1029ms), 10, log.recorder()), 0u);
    EXPECT_EQ(w.advance(at(1030ms), 10, log.recorder()), 1u);
}

TEST(TimerWheel, BudgetCarriesOverInTickOrderAndLosesNothing) {
    timer_wheel w(at(0ms));
    std::vector<timer> ts(20);
    for (int i = 0; i < 20; ++i) {
        ts[i].id = i;
        w.arm(ts[i].hook, at(i < 10 ? 3ms : 4ms));
    }
    fired_log log;
    EXPECT_EQ(w.advance(at(10ms), 4, log.recorder()), 4u);
    EXPECT_EQ(w.size(), 16u);
    EXPECT_EQ(w.advance(at(10ms), 8, log.recorder()), 8u);
    EXPECT_EQ(w.advance(at(10ms), 0, log.recorder()), 0u);
    EXPECT_EQ(w.advance(at(10ms), 100, log.recorder()), 8u);
    std::vector<int> expected(20);
    for (int i = 0; i < 20; ++i) expected[i] = i;
    EXPECT_EQ(log.ids, expected);  // tick 3 ones first, each in arm order
    EXPECT_EQ(w.size(), 0u);
}

TEST(TimerWheel, PastDeadlineFiresAtTheNextAdvance) {
    timer_wheel w(at(0ms));
    fired_log log;
    w.advance(at(100ms), 100, log.recorder());
    timer late{7}, before_start{8};
    w.arm(late.hook, at(50ms));
    w.arm(before_start.hook, time_point{} - 5s);
    EXPECT_EQ(w.advance(at(100ms), 100, log.recorder()), 2u);  // now has not moved
    EXPECT_EQ(log.ids, (std::vector<int>{7, 8}));
}

TEST(TimerWheel, FarDeadlinesWaitForTheirRound) {
    timer_wheel w(16, 1ms, at(0ms));  // one revolution: 16 ms
    timer far{1}, farther{2};
    w.arm(far.hook, at(100ms));      // 6 revolutions and 4 slots away
    w.arm(farther.hook, at(1004ms)); // same slot, many rounds later
    fired_log log;
    for (int ms = 1; ms < 100; ++ms) EXPECT_EQ(w.advance(at(ms * 1ms), 10, log.recorder()), 0u) << ms;
    EXPECT_EQ(w.advance(at(100ms), 10, log.recorder()), 1u);
    EXPECT_EQ(w.advance(at(1003ms), 10, log.recorder()), 0u);  // one big step over many revolutions
    EXPECT_EQ(w.advance(at(1004ms), 10, log.recorder()), 1u);
    EXPECT_EQ(log.ids, (std::vector<int>{1, 2}));
}

TEST(TimerWheel, ExpireMayReArmItsOwnHook) {
    timer_wheel w(at(0ms));
    timer periodic{1};
    std::vector<int64_t> fired_at;
    time_point now = at(0ms);
    auto expire = [&](timer_hook& h) {
        fired_at.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
        if (fired_at.size() < 4) w.arm(h, now + 3ms);
    };
    w.arm(periodic.hook, at(3ms));
    for (int ms = 1; ms <= 20; ++ms) {
        now = at(ms * 1ms);
        w.advance(now, 10, expire);
    }
    EXPECT_EQ(fired_at, (std::vector<int64_t>{3, 6, 9, 12}));
}

TEST(TimerWheel, ReArmIntoThePastInsideExpireWaitsForTheNextAdvance) {
    timer_wheel w(at(0ms));
    timer t{1};
    int fired = 0;
    auto again = [&](timer_hook& h) {
        ++fired;
        w.arm(h, at(0ms));  // already passed: must not loop within one advance
    };
    w.arm(t.hook, at(2ms));
    EXPECT_EQ(w.advance(at(5ms), 100, again), 1u);
    EXPECT_EQ(w.advance(at(5ms), 100, again), 1u);
    EXPECT_EQ(fired, 2);
    EXPECT_TRUE(timer_wheel::armed(t.hook));
}

TEST(TimerWheel, ExpireMayCancelAHookOfTheSameSlot) {
    timer_wheel w(at(0ms));
    timer a{1}, b{2};
    w.arm(a.hook, at(3ms));
    w.arm(b.hook, at(3ms));
    fired_log log;
    auto expire = [&](timer_hook& h) {
        log.ids.push_back(owner(h).id);
        w.cancel(b.hook);
    };
    EXPECT_EQ(w.advance(at(3ms), 10, expire), 1u);
    EXPECT_EQ(log.ids, std::vector<int>{1});
    EXPECT_EQ(w.size(), 0u);
}

TEST(TimerWheel, MillionRandomTimersFireExactlyOnceInTickOrder) {
    constexpr int n = 1'000'000;
    timer_wheel w(4096, 1ms, at(0ms));
    std::mt19937_64 rng(42);
    std::vector<timer> ts(n);
    std::uniform_int_distribution<int64_t> deadline_us(0, 20'000'000);  // up to 20 s: ~5 revolutions
    for (int i = 0; i < n; ++i) {
        ts[i].id = i;
        ts[i].deadline = at(duration(deadline_us(rng)));
        w.arm(ts[i].hook, ts[i].deadline);
    }
    // Cancel a tenth, re-arm another tenth.
    for (int i = 0; i < n; i += 10) w.cancel(ts[i].hook);
    for (int i = 5; i < n; i += 10) {
        ts[i].deadline = at(duration(deadline_us(rng)));
        w.arm(ts[i].hook, ts[i].deadline);
    }
    std::vector<int> fire_count(n, 0);
    uint64_t last_tick = 0;
    bool in_order = true, early = false;
    time_point now = at(0ms);
    auto expire = [&](timer_hook& h) {
        timer& t = owner(h);
        ++fire_count[t.id];
        if (h.tick < last_tick) in_order = false;
        last_tick = h.tick;
        if (t.deadline > now) early = true;
    };
    std::uniform_int_distribution<int64_t> step_us(0, 30'000);
    std::uniform_int_distribution<uint32_t> budget(1, 400);
    std::size_t total = 0;
    while (now < at(21s) || w.size() > 0) {
        now += duration(step_us(rng));
        total += w.advance(now, budget(rng), expire);
    }
    EXPECT_TRUE(in_order);
    EXPECT_FALSE(early);
    EXPECT_EQ(total, static_cast<std::size_t>(n - n / 10));
    for (int i = 0; i < n; ++i) ASSERT_EQ(fire_count[i], i % 10 == 0 ? 0 : 1) << i;
}

// ---------------------------------------------------------------- flow table

four_tuple random_tuple(std::mt19937& rng, uint32_t span) {
    std::uniform_int_distribution<uint32_t> d(0, span - 1);
    uint32_t x = d(rng);
    // Few local addresses and ports, many remote ones, as on a server.
    return four_tuple{0x0a460002u, 0x0a000000u + x / 4000, 80, static_cast<uint16_t>(1024 + x % 4000)};
}

struct tuple_std_hash {
    std::size_t operator()(const four_tuple& t) const {
        return std::hash<uint64_t>()((uint64_t{t.remote_ip} << 32) ^ (uint64_t{t.remote_port} << 16) ^ t.local_port) ^
               t.local_ip;
    }
};

template <class Table>
void random_ops_against_std(Table& table, uint32_t key_span, int ops, uint32_t seed) {
    std::mt19937 rng(seed);
    std::unordered_map<four_tuple, uint64_t, tuple_std_hash> model;
    std::uniform_int_distribution<int> op(0, 9);
    for (int i = 0; i < ops; ++i) {
        four_tuple k = random_tuple(rng, key_span);
        int o = op(rng);
        if (o < 4) {
            auto r = table.insert(k, uint64_t{static_cast<uint64_t>(i)});
            if (model.count(k)) {
                ASSERT_EQ(r.status, insert_status::exists);
                ASSERT_EQ(*r.value, model[k]);
            } else if (model.size() == table.capacity()) {
                ASSERT_EQ(r.status, insert_status::full);
                ASSERT_EQ(r.value, nullptr);
            } else {
                ASSERT_EQ(r.status, insert_status::inserted);
                model[k] = static_cast<uint64_t>(i);
            }
        } else if (o < 7) {
            ASSERT_EQ(table.erase(k), model.erase(k) == 1);
        } else {
            uint64_t* v = table.find(k);
            auto it = model.find(k);
            ASSERT_EQ(v != nullptr, it != model.end());
            if (v) {
                ASSERT_EQ(*v, it->second);
            }
        }
        ASSERT_EQ(table.size(), model.size());
    }
    for (auto& [k, v] : model) {
        uint64_t* p = table.find(k);
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(*p, v);
    }
}

TEST(FlowTable, RandomOperationsMatchUnorderedMap) {
    flow_table<uint64_t> table(5000);
    random_ops_against_std(table, 12000, 300'000, 7);
}

// A hash with 8 values: long probe runs that wrap around the slot array.
struct colliding_hash {
    uint32_t operator()(const four_tuple& t) const { return (t.remote_port % 8) * 0x20000000u + 0x1fffffffu; }
};

TEST(FlowTable, ManyCollisionsStayCorrect) {
    flow_table<uint64_t, colliding_hash> table(600);
    random_ops_against_std(table, 1500, 100'000, 11);
}

TEST(FlowTable, FullTableRefusesAndAcceptsAgainAfterErase) {
    flow_table<uint64_t> table(100);
    EXPECT_LE(static_cast<double>(table.capacity()) / table.slot_count(), 0.75);
    for (uint16_t p = 0; p < 100; ++p) {
        auto r = table.insert(four_tuple{1, 2, 80, p}, uint64_t{p});
        ASSERT_EQ(r.status, insert_status::inserted);
    }
    auto full = table.insert(four_tuple{1, 2, 80, 100});
    EXPECT_EQ(full.status, insert_status::full);
    EXPECT_EQ(full.value, nullptr);
    auto dup = table.insert(four_tuple{1, 2, 80, 42});
    EXPECT_EQ(dup.status, insert_status::exists);
    ASSERT_NE(dup.value, nullptr);
    EXPECT_EQ(*dup.value, 42u);
    EXPECT_TRUE(table.erase(four_tuple{1, 2, 80, 42}));
    EXPECT_FALSE(table.erase(four_tuple{1, 2, 80, 42}));
    EXPECT_EQ(table.insert(four_tuple{1, 2, 80, 100}).status, insert_status::inserted);
    EXPECT_EQ(table.size(), 100u);
}

TEST(FlowTable, ValuesKeepTheirAddressUntilErased) {
    flow_table<uint64_t> table(1000);
    uint64_t* kept = table.insert(four_tuple{9, 9, 9, 9}, uint64_t{99}).value;
    for (uint16_t p = 0; p < 999; ++p) table.insert(four_tuple{1, 2, 80, p});
    for (uint16_t p = 0; p < 999; p += 2) table.erase(four_tuple{1, 2, 80, p});
    EXPECT_EQ(table.find(four_tuple{9, 9, 9, 9}), kept);
    EXPECT_EQ(*kept, 99u);
}

TEST(FlowTable, BurstFindEqualsSingleFind) {
    flow_table<uint64_t> table(10'000);
    std::mt19937 rng(3);
    for (int i = 0; i < 9000; ++i) table.insert(random_tuple(rng, 20'000), uint64_t{static_cast<uint64_t>(i)});
    std::vector<four_tuple> keys;
    for (int i = 0; i < 5000; ++i) keys.push_back(random_tuple(rng, 20'000));  // hits and misses
    std::vector<uint64_t*> out(keys.size());
    std::size_t hits = 0;
    for (std::size_t off = 0, n = 1; off < keys.size(); off += n, n = n % 150 + 1) {
        n = std::min(n, keys.size() - off);
        table.find_burst(&keys[off], static_cast<uint32_t>(n), &out[off]);  // bursts of 1 to 150
    }
    for (std::size_t i = 0; i < keys.size(); ++i) {
        ASSERT_EQ(out[i], table.find(keys[i])) << i;
        hits += out[i] != nullptr;
    }
    EXPECT_GT(hits, 1000u);
    EXPECT_LT(hits, 4500u);
}

TEST(FlowTable, BurstFindWithEqualHashesComparesKeys) {
    flow_table<uint64_t, colliding_hash> table(64);
    for (uint16_t p = 0; p < 40; ++p) table.insert(four_tuple{1, 2, 80, p}, uint64_t{p});
    std::vector<four_tuple> keys;
    for (uint16_t p = 0; p < 48; ++p) keys.push_back(four_tuple{1, 2, 80, p});
    std::vector<uint64_t*> out(keys.size());
    table.find_burst(keys.data(), static_cast<uint32_t>(keys.size()), out.data());
    for (uint16_t p = 0; p < 48; ++p) {
        if (p < 40) {
            ASSERT_NE(out[p], nullptr);
            EXPECT_EQ(*out[p], p);
        } else {
            EXPECT_EQ(out[p], nullptr);
        }
    }
}

TEST(FlowTable, ValuesAreConstructedAndDestroyed) {
    static int live = 0;
    struct counted {
        int x;
        explicit counted(int v) : x(v) { ++live; }
        ~counted() { --live; }
    };
    {
        flow_table<counted> table(10);
        table.insert(four_tuple{1, 1, 1, 1}, 5);
        table.insert(four_tuple{1, 1, 1, 2}, 6);
        EXPECT_EQ(table.find(four_tuple{1, 1, 1, 2})->x, 6);
        EXPECT_EQ(live, 2);
        table.erase(four_tuple{1, 1, 1, 1});
        EXPECT_EQ(live, 1);
        int seen = 0;
        table.for_each([&](const four_tuple&, counted& c) { seen += c.x; });
        EXPECT_EQ(seen, 6);
    }
    EXPECT_EQ(live, 0);
}

TEST(FlowTable, HashIsCrc32cOfTheTwelveBytes) {
    std::mt19937 rng(5);
    for (int i = 0; i < 1000; ++i) {
        four_tuple t{static_cast<uint32_t>(rng()), static_cast<uint32_t>(rng()), static_cast<uint16_t>(rng()),
                     static_cast<uint16_t>(rng())};
        EXPECT_EQ(crc32c_tuple_hash{}(t), detail::crc32c_soft(0, reinterpret_cast<const uint8_t*>(&t), 12));
    }
    // RFC 3720 B.4: CRC32C of 32 zero bytes is 0x8A9136AA (with inversions).
    uint8_t zeros[32] = {};
    EXPECT_EQ(~detail::crc32c_soft(~0u, zeros, 32), 0x8A9136AAu);
}

// ---------------------------------------------------------------- TIME_WAIT

time_wait_entry tw(uint16_t port, time_point deadline) {
    time_wait_entry e;
    e.tuple = four_tuple{0x0a460002u, 0x0a460001u, 80, port};
    e.deadline = deadline;
    return e;
}

four_tuple tw_tuple(uint16_t port) { return tw(port, {}).tuple; }

TEST(TimeWaitTable, ReapsFromTheHeadInFifoOrder) {
    time_wait_table t(16);
    for (uint16_t p = 1; p <= 5; ++p) t.insert(tw(p, at(p * 10ms)));
    EXPECT_EQ(t.size(), 5u);
    EXPECT_EQ(t.reap(at(9ms), 100), 0u);
    EXPECT_EQ(t.reap(at(30ms), 100), 3u);
    EXPECT_EQ(t.find(tw_tuple(3)), nullptr);
    ASSERT_NE(t.find(tw_tuple(4)), nullptr);
    EXPECT_EQ(t.find(tw_tuple(4))->deadline, at(40ms));
    EXPECT_EQ(t.reap(at(100ms), 1), 1u);  // the budget
    EXPECT_EQ(t.reap(at(100ms), 100), 1u);
    EXPECT_EQ(t.size(), 0u);
}

TEST(TimeWaitTable, RestartedEntryIsRequeuedNotReaped) {
    time_wait_table t(16);
    t.insert(tw(1, at(10ms)));
    t.insert(tw(2, at(11ms)));
    t.insert(tw(3, at(12ms)));
    t.find(tw_tuple(1))->deadline = at(50ms);  // a retransmitted FIN restarted 2*MSL
    EXPECT_EQ(t.reap(at(12ms), 100), 2u);      // the head does not block 2 and 3
    ASSERT_NE(t.find(tw_tuple(1)), nullptr);
    EXPECT_EQ(t.reap(at(49ms), 100), 0u);
    EXPECT_EQ(t.reap(at(50ms), 100), 1u);
    EXPECT_EQ(t.find(tw_tuple(1)), nullptr);
}

TEST(TimeWaitTable, RestartInAFullRingKeepsEveryEntry) {
    time_wait_table t(4);
    for (uint16_t p = 1; p <= 4; ++p) t.insert(tw(p, at(p * 1ms)));
    t.find(tw_tuple(1))->deadline = at(100ms);
    t.find(tw_tuple(2))->deadline = at(100ms);
    EXPECT_EQ(t.reap(at(4ms), 100), 2u);
    EXPECT_EQ(t.size(), 2u);
    EXPECT_NE(t.find(tw_tuple(1)), nullptr);
    EXPECT_NE(t.find(tw_tuple(2)), nullptr);
    EXPECT_EQ(t.reap(at(100ms), 100), 2u);
}

TEST(TimeWaitTable, FullTableEvictsTheOldestAndCountsIt) {
    time_wait_table t(4);
    for (uint16_t p = 1; p <= 4; ++p) EXPECT_FALSE(t.insert(tw(p, at(1s))));
    EXPECT_TRUE(t.insert(tw(5, at(1s))));
    EXPECT_EQ(t.evicted(), 1u);
    EXPECT_EQ(t.size(), 4u);
    EXPECT_EQ(t.find(tw_tuple(1)), nullptr);
    EXPECT_NE(t.find(tw_tuple(5)), nullptr);
}

TEST(TimeWaitTable, EraseMarksTheSlotDeadAndReapSkipsIt) {
    time_wait_table t(4);
    for (uint16_t p = 1; p <= 4; ++p) t.insert(tw(p, at(p * 1ms)));
    t.erase(tw_tuple(1));  // RFC 6191: a new SYN reopened the tuple
    t.erase(tw_tuple(9));  // absent: nothing happens
    EXPECT_EQ(t.find(tw_tuple(1)), nullptr);
    EXPECT_EQ(t.size(), 3u);
    EXPECT_FALSE(t.insert(tw(6, at(9ms))));  // the dead head made room: no eviction
    EXPECT_EQ(t.evicted(), 0u);
    EXPECT_EQ(t.reap(at(10ms), 100), 4u);
    EXPECT_EQ(t.size(), 0u);
    EXPECT_EQ(t.ring_used(), 0u);
}

TEST(TimeWaitTable, InsertingATupleAgainReplacesIt) {
    time_wait_table t(4);
    t.insert(tw(1, at(1ms)));
    t.insert(tw(1, at(5ms)));
    EXPECT_EQ(t.size(), 1u);
    EXPECT_EQ(t.find(tw_tuple(1))->deadline, at(5ms));
    EXPECT_EQ(t.reap(at(4ms), 100), 0u);
    EXPECT_EQ(t.reap(at(5ms), 100), 1u);
}

TEST(TimeWaitTable, EntryCostsAtMost64Bytes) {
    time_wait_table t(1'000'000);
    std::printf("TIME_WAIT: %.1f bytes per entry (entry %zu + queued deadline 4 + index)\n", t.bytes_per_entry(),
                sizeof(time_wait_entry));
    EXPECT_LE(t.bytes_per_entry(), 64.0);
}

TEST(TimeWaitTable, ReapsAMillionEntriesInConstantTimeEach) {
    constexpr uint32_t n = 1'000'000;
    time_wait_table t(n);
    for (uint32_t i = 0; i < n; ++i) {
        time_wait_entry e;
        e.tuple = four_tuple{0x0a460002u, 0x0a000000u + i / 50'000, 80, static_cast<uint16_t>(1024 + i % 50'000)};
        e.deadline = at(60s + duration(i));  // one per microsecond
        ASSERT_FALSE(t.insert(e));
    }
    EXPECT_EQ(t.reap(at(59s), n), 0u);
    auto begin = std::chrono::steady_clock::now();
    uint32_t reaped = t.reap(at(62s), n);
    auto elapsed = std::chrono::steady_clock::now() - begin;
    EXPECT_EQ(reaped, n);
    EXPECT_EQ(t.size(), 0u);
    double ns = std::chrono::duration<double, std::nano>(elapsed).count() / n;
    std::printf("TIME_WAIT reaping: %.1f ns per entry (%u entries)\n", ns, n);
    EXPECT_LT(ns, 1000.0);
}

// ---------------------------------------------------------------- ARP cache

using cache = arp_cache<int, 4>;
constexpr uint32_t gateway = 0x0a460001u;
constexpr mac_address gateway_mac{2, 0, 0, 0, 0, 1};

std::vector<int> to_vector(std::span<int> s) { return {s.begin(), s.end()}; }

TEST(ArpCache, LearnReleasesTheQueuedPacketsInOrder) {
    cache c;
    EXPECT_EQ(c.lookup(gateway, at(0s)), nullptr);
    EXPECT_EQ(c.enqueue(gateway, 1, at(0s)).status, arp_enqueue_status::queued_send_request);
    EXPECT_EQ(c.enqueue(gateway, 2, at(0s)).status, arp_enqueue_status::queued);
    EXPECT_EQ(c.enqueue(gateway, 3, at(0s)).status, arp_enqueue_status::queued);
    EXPECT_EQ(to_vector(c.learn(gateway, gateway_mac, at(100ms))), (std::vector<int>{1, 2, 3}));
    const mac_address* m = c.lookup(gateway, at(100ms));
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(*m, gateway_mac);
    auto r = c.enqueue(gateway, 4, at(200ms));
    EXPECT_EQ(r.status, arp_enqueue_status::reachable);
    EXPECT_EQ(r.packet, 4);
    EXPECT_EQ(c.resolving(), 0u);
}

TEST(ArpCache, QueueIsBoundedAndDropsTheOldest) {
    cache c;
    for (int p = 1; p <= 4; ++p) c.enqueue(gateway, p, at(0s));
    auto r5 = c.enqueue(gateway, 5, at(0s));
    EXPECT_EQ(r5.status, arp_enqueue_status::queued_dropped_oldest);
    EXPECT_EQ(r5.packet, 1);
    auto r6 = c.enqueue(gateway, 6, at(0s));
    EXPECT_EQ(r6.packet, 2);
    EXPECT_EQ(c.dropped_packets(), 2u);
    EXPECT_EQ(to_vector(c.learn(gateway, gateway_mac, at(0s))), (std::vector<int>{3, 4, 5, 6}));
}

TEST(ArpCache, RetriesEverySecondThreeTimesThenFails) {
    cache c;
    c.enqueue(gateway, 1, at(0s));
    c.enqueue(gateway, 2, at(0s));
    std::vector<std::pair<int64_t, arp_event_kind>> events;
    std::vector<int> freed;
    for (int64_t ms = 0; ms <= 6000; ms += 100) {
        c.tick(at(ms * 1ms), [&](const cache::event& e) {
            EXPECT_EQ(e.ip, gateway);
            events.emplace_back(ms, e.kind);
            for (int p : e.packets) freed.push_back(p);
        });
    }
    using enum arp_event_kind;
    EXPECT_EQ(events, (std::vector<std::pair<int64_t, arp_event_kind>>{
                          {1000, send_request}, {2000, send_request}, {3000, send_request}, {4000, failed}}));
    EXPECT_EQ(freed, (std::vector<int>{1, 2}));
    EXPECT_EQ(c.failed_packets(), 2u);
    EXPECT_EQ(c.failed_resolutions(), 1u);
    EXPECT_EQ(c.size(), 0u);
    EXPECT_EQ(c.enqueue(gateway, 3, at(7s)).status, arp_enqueue_status::queued_send_request);
}

TEST(ArpCache, ReachableEntryExpiresAndIsResolvedAgain) {
    cache c(8, arp_config{.reachable_time = 60s});
    c.learn(gateway, gateway_mac, at(0s));
    EXPECT_NE(c.lookup(gateway, at(59s)), nullptr);
    EXPECT_EQ(c.lookup(gateway, at(60s)), nullptr);
    EXPECT_EQ(c.enqueue(gateway, 1, at(60s)).status, arp_enqueue_status::queued_send_request);
    EXPECT_EQ(to_vector(c.learn(gateway, gateway_mac, at(61s))), std::vector<int>{1});
    EXPECT_NE(c.lookup(gateway, at(120s)), nullptr);
}

TEST(ArpCache, UpdateRefreshesButDoesNotCreate) {
    cache c;
    EXPECT_TRUE(c.update(gateway, gateway_mac, at(0s)).empty());
    EXPECT_EQ(c.lookup(gateway, at(0s)), nullptr);
    EXPECT_EQ(c.size(), 0u);
    c.enqueue(gateway, 1, at(0s));
    EXPECT_EQ(to_vector(c.update(gateway, gateway_mac, at(1s))), std::vector<int>{1});
    constexpr mac_address moved{2, 0, 0, 0, 0, 9};
    c.update(gateway, moved, at(2s));
    EXPECT_EQ(*c.lookup(gateway, at(2s)), moved);
}

TEST(ArpCache, ClearGivesBackEveryWaitingPacket) {
    cache c;
    c.enqueue(1, 10, at(0s));
    c.enqueue(1, 11, at(0s));
    c.enqueue(2, 20, at(0s));
    c.learn(3, gateway_mac, at(0s));
    std::vector<int> back;
    c.clear([&](int p) { back.push_back(p); });
    std::sort(back.begin(), back.end());
    EXPECT_EQ(back, (std::vector<int>{10, 11, 20}));
    EXPECT_EQ(c.size(), 0u);
    EXPECT_EQ(c.resolving(), 0u);
    EXPECT_EQ(c.lookup(3, at(0s)), nullptr);
}

TEST(ArpCache, FullTableEvictsAReachableEntryNeverAResolvingOne) {
    cache c(2);
    c.learn(1, gateway_mac, at(0s));
    c.enqueue(2, 20, at(0s));
    EXPECT_EQ(c.enqueue(3, 30, at(1s)).status, arp_enqueue_status::queued_send_request);  // 1 evicted
    EXPECT_EQ(c.lookup(1, at(1s)), nullptr);
    auto r = c.enqueue(4, 40, at(1s));  // 2 and 3 both resolving
    EXPECT_EQ(r.status, arp_enqueue_status::table_full);
    EXPECT_EQ(r.packet, 40);
    EXPECT_EQ(to_vector(c.learn(2, gateway_mac, at(1s))), std::vector<int>{20});
    EXPECT_EQ(to_vector(c.learn(3, gateway_mac, at(1s))), std::vector<int>{30});
}

TEST(ArpCache, ManyAddressesSurviveFailuresRemovedMidScan) {
    cache c(64);
    for (uint32_t ip = 1; ip <= 64; ++ip) c.enqueue(ip * 7919u, static_cast<int>(ip), at(0s));
    for (uint32_t ip = 1; ip <= 64; ip += 2) c.learn(ip * 7919u, gateway_mac, at(500ms));
    std::vector<int> freed;
    for (int s = 1; s <= 4; ++s)
        c.tick(at(s * 1s), [&](const cache::event& e) {
            for (int p : e.packets) freed.push_back(p);
        });
    std::sort(freed.begin(), freed.end());
    std::vector<int> even;
    for (int ip = 2; ip <= 64; ip += 2) even.push_back(ip);
    EXPECT_EQ(freed, even);
    EXPECT_EQ(c.size(), 32u);
    for (uint32_t ip = 1; ip <= 64; ip += 2) EXPECT_NE(c.lookup(ip * 7919u, at(5s)), nullptr) << ip;
}

}  // namespace
}  // namespace fptcp::engine
