// Microbenchmarks of the engine's per-lcore structures: flow-table lookups
// (hits one at a time and in a 32-key RX burst, and misses) at 10^3 to 10^7
// entries against DPDK's rte_hash, the timer wheel (arm, cancel, expire),
// and TIME_WAIT reaping at 10^4 to 10^7 entries.
// docs/benchmarks.md ("Engine data structures", "Engine microbenchmarks
// and scale") records the figures.
//
// rte_hash needs the EAL: it is started once, on first use, with --no-huge
// (so rte_hash's memory is 4 KiB pages, as ours is when transparent huge
// pages are off: FPTCP_BENCH_NO_THP=1 turns them off for this process).

#include <benchmark/benchmark.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "engine/flow_table.hh"
#include "engine/time_wait_table.hh"
#include "engine/timer_wheel.hh"

namespace {

using namespace fptcp;
using namespace fptcp::engine;
using namespace std::chrono_literals;

// FPTCP_BENCH_NO_THP=1: no transparent huge pages for this process.
[[maybe_unused]] const bool thp_disabled = [] {
    const char* v = std::getenv("FPTCP_BENCH_NO_THP");
    return v != nullptr && v[0] == '1' && ::prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) == 0;
}();

// ------------------------------------------------------------- workloads

// n distinct tuples as a server sees them: one local address and port,
// remote addresses spread over the whole space (an odd multiplier is a
// bijection on 32 bits), random remote ports.
std::vector<tcp::four_tuple> make_keys(uint32_t n) {
    std::mt19937 rng(1);
    std::vector<tcp::four_tuple> keys(n);
    for (uint32_t i = 0; i < n; ++i)
        keys[i] = tcp::four_tuple{0x0a460002u, (i + 1) * 0x9E3779B1u, 80, static_cast<uint16_t>(1024 + rng() % 60000)};
    return keys;
}

// Tuples that are in no table made by make_keys: another local port.
std::vector<tcp::four_tuple> make_absent_keys(uint32_t n) {
    std::vector<tcp::four_tuple> keys = make_keys(n);
    for (auto& k : keys) k.local_port = 81;
    return keys;
}

// The keys in random order, as arriving packets would look them up.
constexpr uint32_t stream_length = 1u << 20;

std::vector<tcp::four_tuple> make_stream(const std::vector<tcp::four_tuple>& keys) {
    std::mt19937 rng(2);
    std::vector<tcp::four_tuple> s(stream_length);
    for (auto& k : s) k = keys[rng() % keys.size()];
    return s;
}

// Built once per size: 10^7 entries take seconds to insert.
struct flow_fixture {
    uint32_t n;
    std::vector<tcp::four_tuple> keys;
    std::vector<tcp::four_tuple> stream;
    std::vector<tcp::four_tuple> misses;  // a stream of absent tuples
    flow_table<uint32_t> table;

    explicit flow_fixture(uint32_t size)
        : n(size), keys(make_keys(size)), stream(make_stream(keys)), misses(make_stream(make_absent_keys(size))),
          table(size) {
        for (uint32_t i = 0; i < n; ++i) table.insert(keys[i], i);
    }
};

flow_fixture& flows(uint32_t n) {
    static std::unique_ptr<flow_fixture> f;
    if (!f || f->n != n) {
        f.reset();
        f = std::make_unique<flow_fixture>(n);
    }
    return *f;
}

// ------------------------------------------------------------- flow table

void BM_FlowTableFind(benchmark::State& state) {
    flow_fixture& f = flows(static_cast<uint32_t>(state.range(0)));
    uint32_t i = 0;
    uint64_t sum = 0;
    for (auto _ : state) {
        uint32_t* v = f.table.find(f.stream[i]);
        sum += *v;  // the engine reads the value: count that access
        i = (i + 1) & (stream_length - 1);
    }
    benchmark::DoNotOptimize(sum);
    state.SetItemsProcessed(state.iterations());
}

// A segment of no connection (a SYN, a stray): the probe runs to an empty slot.
void BM_FlowTableFindMiss(benchmark::State& state) {
    flow_fixture& f = flows(static_cast<uint32_t>(state.range(0)));
    uint32_t i = 0;
    uint64_t found = 0;
    for (auto _ : state) {
        found += f.table.find(f.misses[i]) != nullptr;
        i = (i + 1) & (stream_length - 1);
    }
    if (found != 0) state.SkipWithError("an absent tuple was found");
    state.SetItemsProcessed(state.iterations());
}

void BM_FlowTableFindBurst32(benchmark::State& state) {
    flow_fixture& f = flows(static_cast<uint32_t>(state.range(0)));
    uint32_t i = 0;
    uint64_t sum = 0;
    uint32_t* out[32];
    for (auto _ : state) {
        f.table.find_burst(&f.stream[i], 32, out);
        for (uint32_t* v : out) sum += *v;
        i = (i + 32) & (stream_length - 1);
    }
    benchmark::DoNotOptimize(sum);
    state.SetItemsProcessed(state.iterations() * 32);
}

void BM_FlowTableInsertErase(benchmark::State& state) {
    flow_fixture& f = flows(static_cast<uint32_t>(state.range(0)));
    // Erase a present key and insert it again: the table stays full.
    uint32_t i = 0;
    for (auto _ : state) {
        const tcp::four_tuple& k = f.stream[i];
        f.table.erase(k);
        benchmark::DoNotOptimize(f.table.insert(k, i));
        i = (i + 1) & (stream_length - 1);
    }
    state.SetItemsProcessed(state.iterations());
}

// ------------------------------------------------------------- rte_hash

struct rte_hash_fixture;
// At namespace scope so that it dies after the atexit handler below, which
// frees the table before the EAL is cleaned up.
std::unique_ptr<rte_hash_fixture> g_rte_hash;

bool eal_started() {
    static const bool ok = [] {
        std::string prefix = "fptcp-bench-" + std::to_string(::getpid());
        const char* argv[] = {"fptcp-bench", "--no-huge", "-m", "2048", "--no-pci", "-l", "0", "--no-telemetry",
                              "--file-prefix", prefix.c_str(), "--log-level", "lib.eal:error"};
        int argc = static_cast<int>(std::size(argv));
        if (rte_eal_init(argc, const_cast<char**>(argv)) < 0) {
            std::fprintf(stderr, "rte_eal_init failed: %s\n", rte_strerror(rte_errno));
            return false;
        }
        std::atexit([] {
            g_rte_hash.reset();
            rte_eal_cleanup();
        });
        return true;
    }();
    return ok;
}

struct rte_hash_fixture {
    uint32_t n;
    std::vector<tcp::four_tuple> keys;
    std::vector<tcp::four_tuple> stream;
    rte_hash* hash = nullptr;

    explicit rte_hash_fixture(uint32_t size) : n(size), keys(make_keys(size)), stream(make_stream(keys)) {
        std::string name = "bench" + std::to_string(size);
        rte_hash_parameters p{};
        p.name = name.c_str();
        p.entries = size;
        p.key_len = sizeof(tcp::four_tuple);
        p.hash_func = rte_hash_crc;
        p.hash_func_init_val = 0;
        p.socket_id = SOCKET_ID_ANY;
        p.extra_flag = 0;  // single writer, no extendable buckets
        hash = rte_hash_create(&p);
        if (hash == nullptr) return;
        for (uint32_t i = 0; i < n; ++i) {
            if (rte_hash_add_key_data(hash, &keys[i], reinterpret_cast<void*>(uintptr_t{i})) < 0) {
                std::fprintf(stderr, "rte_hash full at %u of %u entries\n", i, n);
                rte_hash_free(hash);
                hash = nullptr;
                return;
            }
        }
    }
    ~rte_hash_fixture() { rte_hash_free(hash); }
};

rte_hash_fixture* rte_hashes(uint32_t n) {
    if (!eal_started()) return nullptr;
    if (!g_rte_hash || g_rte_hash->n != n) {
        g_rte_hash.reset();
        g_rte_hash = std::make_unique<rte_hash_fixture>(n);
    }
    return g_rte_hash->hash ? g_rte_hash.get() : nullptr;
}

void BM_RteHashLookupData(benchmark::State& state) {
    rte_hash_fixture* f = rte_hashes(static_cast<uint32_t>(state.range(0)));
    if (f == nullptr) {
        state.SkipWithError("rte_hash unavailable (EAL or memory)");
        return;
    }
    uint32_t i = 0;
    uint64_t sum = 0;
    for (auto _ : state) {
        void* data;
        rte_hash_lookup_data(f->hash, &f->stream[i], &data);
        sum += reinterpret_cast<uintptr_t>(data);
        i = (i + 1) & (stream_length - 1);
    }
    benchmark::DoNotOptimize(sum);
    state.SetItemsProcessed(state.iterations());
}

void BM_RteHashLookupBulkData32(benchmark::State& state) {
    rte_hash_fixture* f = rte_hashes(static_cast<uint32_t>(state.range(0)));
    if (f == nullptr) {
        state.SkipWithError("rte_hash unavailable (EAL or memory)");
        return;
    }
    uint32_t i = 0;
    uint64_t sum = 0;
    const void* keys[32];
    void* data[32];
    uint64_t hits;
    for (auto _ : state) {
        for (uint32_t k = 0; k < 32; ++k) keys[k] = &f->stream[i + k];
        rte_hash_lookup_bulk_data(f->hash, keys, 32, &hits, data);
        sum += hits;
        i = (i + 32) & (stream_length - 1);
    }
    benchmark::DoNotOptimize(sum);
    state.SetItemsProcessed(state.iterations() * 32);
}

void flow_sizes(benchmark::internal::Benchmark* b) {
    for (int64_t n : {1'000, 10'000, 100'000, 1'000'000, 10'000'000}) b->Arg(n);
}

BENCHMARK(BM_FlowTableFind)->Apply(flow_sizes);
BENCHMARK(BM_FlowTableFindMiss)->Apply(flow_sizes);
BENCHMARK(BM_RteHashLookupData)->Apply(flow_sizes);
BENCHMARK(BM_FlowTableFindBurst32)->Apply(flow_sizes);
BENCHMARK(BM_RteHashLookupBulkData32)->Apply(flow_sizes);
BENCHMARK(BM_FlowTableInsertErase)->Arg(1'000'000);

// ------------------------------------------------------------- timer wheel

// Arm and cancel one hook while a million others wait in the wheel.
void BM_TimerArmCancel(benchmark::State& state) {
    timer_wheel w(time_point{});
    std::vector<timer_hook> background(1'000'000);
    std::mt19937 rng(3);
    for (auto& h : background) w.arm(h, time_point{} + duration(rng() % 10'000'000));
    timer_hook h;
    uint32_t i = 0;
    for (auto _ : state) {
        w.arm(h, time_point{} + duration((i++ * 7919u) % 10'000'000));
        w.cancel(h);
    }
    benchmark::DoNotOptimize(w.size());
}
BENCHMARK(BM_TimerArmCancel);

// Steady state of a busy lcore: every 10 us one timer is armed 10 ms ahead
// and advance() runs; about one timer expires per iteration.
void BM_TimerArmExpire(benchmark::State& state) {
    timer_wheel w(time_point{});
    std::vector<timer_hook> hooks(4096);
    time_point now{};
    uint64_t fired = 0;
    uint32_t i = 0;
    for (auto _ : state) {
        now += 10us;
        w.arm(hooks[i++ & 4095], now + 10ms);
        fired += w.advance(now, 256, [](timer_hook&) {});
    }
    state.counters["fired_per_iteration"] =
        static_cast<double>(fired) / static_cast<double>(std::max<int64_t>(state.iterations(), 1));
}
BENCHMARK(BM_TimerArmExpire);

// Each operation alone, in batches of 4096 hooks whose deadlines spread over
// the next 4096 ticks (one revolution of the wheel). Only the named
// operation is timed (manual time); the figure is per hook. Arm and cancel
// run with a million other timers armed a year ahead (the connections of a
// busy lcore: the slot lists they link into are cold); expire runs without
// them, as a hashed wheel walks past every hook in a slot it drains, and
// idle connections arm no timer (TIME_WAIT has its own FIFO).
struct timer_batch {
    static constexpr uint32_t n = 4096;
    timer_wheel wheel{time_point{}};
    std::vector<timer_hook> background;
    std::vector<timer_hook> hooks = std::vector<timer_hook>(n);
    std::vector<time_point> deadlines = std::vector<time_point>(n);
    time_point now{};

    explicit timer_batch(uint32_t background_timers) : background(background_timers) {
        std::mt19937 rng(3);
        for (auto& h : background) wheel.arm(h, time_point{} + 24h * 365 + duration(rng() % 10'000'000));
        for (uint32_t i = 0; i < n; ++i) deadlines[i] = time_point{} + std::chrono::milliseconds((i * 2053u) % n);
    }
    void arm_all() {
        for (uint32_t i = 0; i < n; ++i) wheel.arm(hooks[i], now + (deadlines[i] - time_point{}));
    }
    void cancel_all() {
        for (auto& h : hooks) wheel.cancel(h);
    }
    // The wheel walks past every batch deadline: each hook fires once.
    uint32_t expire_all() {
        now += std::chrono::milliseconds(n);
        return wheel.advance(now, 2 * n, [](timer_hook&) {});
    }
};

template <class F>
double seconds_of(F&& f) {
    auto start = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void BM_TimerArm(benchmark::State& state) {
    timer_batch b(1'000'000);
    for (auto _ : state) {
        state.SetIterationTime(seconds_of([&] { b.arm_all(); }));
        b.cancel_all();
    }
    state.SetItemsProcessed(state.iterations() * timer_batch::n);
}
BENCHMARK(BM_TimerArm)->UseManualTime();

void BM_TimerCancel(benchmark::State& state) {
    timer_batch b(1'000'000);
    for (auto _ : state) {
        b.arm_all();
        state.SetIterationTime(seconds_of([&] { b.cancel_all(); }));
    }
    state.SetItemsProcessed(state.iterations() * timer_batch::n);
}
BENCHMARK(BM_TimerCancel)->UseManualTime();

void BM_TimerExpire(benchmark::State& state) {
    timer_batch b(0);
    uint64_t fired = 0;
    for (auto _ : state) {
        b.arm_all();
        state.SetIterationTime(seconds_of([&] { fired += b.expire_all(); }));
    }
    if (fired != static_cast<uint64_t>(state.iterations()) * timer_batch::n) state.SkipWithError("a timer did not fire");
    state.SetItemsProcessed(state.iterations() * timer_batch::n);
}
BENCHMARK(BM_TimerExpire)->UseManualTime();

// ------------------------------------------------------------- TIME_WAIT

// Reap n expired entries; only reap() is timed (manual time), the figure is
// per entry. O(1) per entry means about the same figure at every n, apart
// from the caches: 10^4 entries (630 KB) fit in L2, 10^6 (63 MB) and 10^7
// do not fit in any cache.
void BM_TimeWaitReap(benchmark::State& state) {
    const auto n = static_cast<uint32_t>(state.range(0));
    time_wait_table t(n);
    auto keys = make_keys(n);
    double seconds = 0;
    for (auto _ : state) {
        for (uint32_t i = 0; i < n; ++i) {
            tcp::time_wait_entry e;
            e.tuple = keys[i];
            e.deadline = time_point{} + 60s + duration(i);
            t.insert(e);
        }
        uint32_t reaped = 0;
        double s = seconds_of([&] { reaped = t.reap(time_point{} + 61s + duration(n), n); });
        state.SetIterationTime(s);
        seconds += s;
        if (reaped != n) state.SkipWithError("not every entry was reaped");
    }
    state.SetItemsProcessed(state.iterations() * n);
    state.counters["ns_per_entry"] = seconds * 1e9 / static_cast<double>(state.iterations() * n);
}
BENCHMARK(BM_TimeWaitReap)->Arg(10'000)->Arg(100'000)->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kMillisecond)->UseManualTime();

// Insert into a full table (evicting the oldest), per entry.
void BM_TimeWaitInsertFull(benchmark::State& state) {
    constexpr uint32_t n = 1'000'000;
    time_wait_table t(n);
    auto keys = make_keys(2 * n);
    uint32_t i = 0;
    for (auto _ : state) {
        tcp::time_wait_entry e;
        e.tuple = keys[i];
        e.deadline = time_point{} + 60s + duration(i);
        benchmark::DoNotOptimize(t.insert(e));
        i = i + 1 == 2 * n ? 0 : i + 1;
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TimeWaitInsertFull);

}  // namespace
