// fptcp-gen: a load generator on the fptcp stack (docs/fptcp-gen.md). The
// connecting workloads (crr, rr, stream) run one engine and one generator
// per lcore: lcore 0 is the main thread (it also keeps time and prints the
// live line), the others are EAL workers; `--warmup` seconds unmeasured, then
// `--duration` seconds measured, then a summary with latency percentiles
// (and --json). syn-flood runs on one lcore, straight on the port.

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <vector>

#include "app/gen_options.hh"
#include "app/gen_syn_flood.hh"
#include "app/gen_workload.hh"
#include "app/histogram.hh"
#include "app/server_options.hh"
#include "engine/engine.hh"
#include "port/eal.hh"
#include "port/port.hh"

namespace {

using namespace fptcp;
using tcp::time_point;

volatile std::sig_atomic_t stop_requested = 0;
void request_stop(int) { stop_requested = 1; }

int fail(int code, const std::string& message) {
    std::fprintf(stderr, "fptcp-gen: %s\n", message.c_str());
    return code;
}

// The TSC since start, in nanoseconds (the latencies) and microseconds (the
// engines); set before any lcore starts, read-only afterwards.
uint64_t tsc_start = 0;
double ns_per_cycle = 1;

uint64_t now_ns() {
    return static_cast<uint64_t>(static_cast<double>(rte_rdtsc() - tsc_start) * ns_per_cycle);
}

time_point engine_now(uint64_t ns) {
    return time_point(tcp::duration(static_cast<int64_t>(ns / 1000)));
}

constexpr uint64_t second = 1'000'000'000;

// The run's phase, set by the main lcore and read once per loop by all.
enum class run_phase : uint8_t { warmup, measuring, stopping };
std::atomic<run_phase> phase{run_phase::warmup};

// ---------------------------------------------------------------------------
// Output

constexpr std::array<double, 5> percentiles{50, 90, 99, 99.9, 100};
constexpr std::array<const char*, 5> percentile_names{"p50", "p90", "p99", "p99_9", "max"};

uint64_t percentile_ns(const app::histogram& h, std::size_t i) {
    return i + 1 == percentiles.size() ? h.max() : h.percentile(percentiles[i]);
}

void print_latency(const char* name, const app::histogram& h) {
    std::printf("%s_count: %lu\n", name, h.count());
    for (std::size_t i = 0; i < percentiles.size(); ++i) {
        std::printf("%s_%s_us: %.3f\n", name, percentile_names[i], static_cast<double>(percentile_ns(h, i)) / 1e3);
    }
}

std::string latency_json(const app::histogram& h) {
    std::ostringstream o;
    o << "{\"count\": " << h.count();
    for (std::size_t i = 0; i < percentiles.size(); ++i) o << ", \"" << percentile_names[i] << "_ns\": " << percentile_ns(h, i);
    o << "}";
    return o.str();
}

// The measured period, summed over lcores.
struct results {
    app::gen_counts counts;
    app::histogram connect_latency, request_latency;
    uint64_t retransmits = 0;
    double seconds = 1e-9;

    double per_second(uint64_t n) const { return static_cast<double>(n) / seconds; }
    double gbit_per_s() const { return static_cast<double>(counts.bytes) * 8 / seconds / 1e9; }
};

void print_summary(const app::gen_options& opts, const results& r) {
    const app::gen_counts& m = r.counts;
    std::printf("fptcp-gen: summary\n");
    std::printf("workload: %s%s\nconcurrency: %u\nlcores: %u\nmeasured_s: %.3f\n", app::workload_name(opts.workload).data(),
                opts.http ? " (http)" : "", opts.concurrency, opts.lcores, r.seconds);
    if (opts.workload == app::gen_workload::stream) {
        std::printf("direction: %s\nbytes: %lu\ngbit_per_s: %.3f\nretransmits: %lu\n",
                    app::direction_name(opts.direction).data(), m.bytes, r.gbit_per_s(), r.retransmits);
    }
    std::printf("connections: %lu\nconnections_per_s: %.0f\nrequests: %lu\nrequests_per_s: %.0f\nerrors: %lu\n",
                m.connections, r.per_second(m.connections), m.requests, r.per_second(m.requests), m.error_total());
    for (std::size_t i = 0; i < m.errors.size(); ++i) {
        if (m.errors[i] != 0) {
            std::printf("error_%s: %lu\n", app::to_string(static_cast<app::gen_error>(i)).data(), m.errors[i]);
        }
    }
    print_latency("connect", r.connect_latency);
    print_latency("request", r.request_latency);
    std::fflush(stdout);
}

bool write_json(const std::string& path, const app::gen_options& opts, const results& r) {
    const app::gen_counts& m = r.counts;
    std::ofstream f(path);
    f << "{\"workload\": \"" << app::workload_name(opts.workload) << "\", \"http\": " << (opts.http ? "true" : "false")
      << ", \"concurrency\": " << opts.concurrency << ", \"rate\": " << opts.rate << ", \"lcores\": " << opts.lcores
      << ", \"measured_s\": " << r.seconds << ", \"connections\": " << m.connections
      << ", \"connections_per_s\": " << r.per_second(m.connections) << ", \"requests\": " << m.requests
      << ", \"requests_per_s\": " << r.per_second(m.requests) << ", \"bytes\": " << m.bytes
      << ", \"gbit_per_s\": " << r.gbit_per_s() << ", \"retransmits\": " << r.retransmits
      << ", \"errors\": {\"total\": " << m.error_total();
    for (std::size_t i = 0; i < m.errors.size(); ++i) {
        f << ", \"" << app::to_string(static_cast<app::gen_error>(i)) << "\": " << m.errors[i];
    }
    f << "}, \"connect_latency\": " << latency_json(r.connect_latency)
      << ", \"request_latency\": " << latency_json(r.request_latency) << "}\n";
    return static_cast<bool>(f);
}

// ---------------------------------------------------------------------------
// Connecting workloads, one engine and one generator per lcore

// What the live line shows, published once a second by each lcore (relaxed
// atomics: the only cross-lcore reads, off the packet path).
struct live {
    uint64_t connections = 0, requests = 0, bytes = 0, errors = 0, in_flight = 0;
    static constexpr std::size_t fields = 5;
};

struct lcore_context {
    std::unique_ptr<app::generator> generator;
    std::unique_ptr<engine::engine> engine;
    uint64_t retransmits_before = 0;  // when measuring started
    bool measuring = false;
    std::array<std::atomic<uint64_t>, live::fields> published{};

    void publish() {
        const app::gen_counts& t = generator->total();
        std::array<uint64_t, live::fields> v{t.connections, t.requests, t.bytes, t.error_total(), generator->in_flight()};
        for (std::size_t i = 0; i < live::fields; ++i) published[i].store(v[i], std::memory_order_relaxed);
    }

    // One loop iteration; false once the run stops.
    bool step() {
        run_phase now_phase = phase.load(std::memory_order_relaxed);
        if (now_phase == run_phase::stopping) return false;
        if (now_phase == run_phase::measuring && !measuring) {
            measuring = true;
            generator->start_measuring();
            retransmits_before = engine->tcp_counters().retransmits;
        }
        time_point t = engine_now(now_ns());
        engine->poll(t);
        generator->top_up(*engine, t);
        return true;
    }
};

int worker_loop(void* arg) {
    auto& ctx = *static_cast<lcore_context*>(arg);
    uint64_t next_publish = 0;
    while (ctx.step()) {
        if (uint64_t ns = now_ns(); ns >= next_publish) {
            ctx.publish();
            next_publish = ns + second;
        }
    }
    ctx.publish();
    return 0;
}

live sum_published(std::vector<lcore_context>& lcores) {
    std::array<uint64_t, live::fields> sum{};
    for (auto& l : lcores) {
        for (std::size_t i = 0; i < live::fields; ++i) sum[i] += l.published[i].load(std::memory_order_relaxed);
    }
    return {sum[0], sum[1], sum[2], sum[3], sum[4]};
}

void print_live(const app::gen_options& opts, uint64_t ns, const live& now, const live& before, bool measuring) {
    if (opts.workload == app::gen_workload::stream) {
        std::printf("t=%lus Gbit/s=%.3f connections=%lu errors=%lu%s\n", ns / second,
                    static_cast<double>(now.bytes - before.bytes) * 8 / 1e9, now.in_flight, now.errors - before.errors,
                    measuring ? "" : " (warm-up)");
    } else {
        std::printf("t=%lus conn/s=%lu rps=%lu in_flight=%lu errors=%lu%s\n", ns / second,
                    now.connections - before.connections, now.requests - before.requests, now.in_flight,
                    now.errors - before.errors, measuring ? "" : " (warm-up)");
    }
    std::fflush(stdout);
}

// Lcore 0's loop, plus the clock of the run: returns the measured seconds.
double main_loop(const app::gen_options& opts, std::vector<lcore_context>& lcores) {
    uint64_t start = now_ns();
    uint64_t warmup_end = start + opts.warmup_s * second, end = warmup_end + opts.duration_s * second;
    uint64_t next_status = start + second, measure_start = start;
    live before;
    lcore_context& self = lcores[0];
    if (opts.warmup_s == 0) phase.store(run_phase::measuring, std::memory_order_relaxed);
    uint64_t ns = start;
    while (self.step()) {
        ns = now_ns();
        if (phase.load(std::memory_order_relaxed) == run_phase::warmup && ns >= warmup_end) {
            phase.store(run_phase::measuring, std::memory_order_relaxed);
            measure_start = ns;
        }
        if (ns >= end || stop_requested != 0) phase.store(run_phase::stopping, std::memory_order_relaxed);
        if (ns >= next_status) {
            self.publish();
            live t = sum_published(lcores);
            if (!opts.quiet) print_live(opts, ns - start, t, before, ns > warmup_end);
            before = t;
            next_status += second;
        }
    }
    rte_eal_mp_wait_lcore();
    return std::max(static_cast<double>(ns - measure_start) / 1e9, 1e-9);
}

results collect(std::vector<lcore_context>& lcores, double seconds) {
    results r;
    r.seconds = seconds;
    for (auto& l : lcores) {
        const app::gen_counts& m = l.generator->measured();
        r.counts.connections += m.connections;
        r.counts.requests += m.requests;
        r.counts.bytes += m.bytes;
        for (std::size_t i = 0; i < m.errors.size(); ++i) r.counts.errors[i] += m.errors[i];
        r.connect_latency.merge(l.generator->connect_latency());
        r.request_latency.merge(l.generator->request_latency());
        r.retransmits += l.engine->tcp_counters().retransmits - l.retransmits_before;
    }
    return r;
}

// Lcore i's part of `total`, split as evenly as possible.
uint64_t share_of(uint64_t total, uint16_t i, uint16_t n) {
    return total / n + (i < total % n ? 1 : 0);
}

std::string start_engines(const app::gen_options& opts, port::port& p, engine::mailbox_grid* grid,
                          std::vector<lcore_context>& lcores) {
    uint16_t n = opts.lcores;
    if (p.tx_queues() < n) {
        return "port " + opts.port + " offers " + std::to_string(p.tx_queues()) + " TX queues, --lcores needs " +
               std::to_string(n);
    }
    bool rss_spreads_flows = p.rss() && p.queues() >= n;
    for (uint16_t i = 0; i < n; ++i) {
        app::generator_share share{static_cast<uint32_t>(share_of(opts.concurrency, i, n)),
                                   static_cast<double>(opts.rate) / n};
        if (share.concurrency == 0) return "--concurrency must be at least --lcores";
        // Every connection in flight, plus room for those still closing.
        uint32_t max_connections = share.concurrency + share.concurrency / 4 + 64;
        engine::engine_settings s;
        s.ip = opts.ip;
        s.prefix = opts.prefix;
        s.gateway = opts.gateway;
        s.max_connections = max_connections;
        s.source_ips = opts.source_ips.count;
        s.first_source_port = opts.source_ports.first;
        s.source_ports = opts.source_ports.count;
        s.queue = i;
        s.poll_rx = i < p.queues();
        s.mailboxes = grid;
        s.dispatch_tcp = grid != nullptr && !rss_spreads_flows;
        lcore_context& l = lcores[i];
        l.generator = std::make_unique<app::generator>(opts, share, max_connections, now_ns);
        std::string error;
        l.engine = engine::engine::create(p, s, *l.generator, error);
        if (!l.engine) return error;
    }
    return {};
}

void drain(engine::mailbox_grid& grid) {
    for (uint16_t from = 0; from < grid.lcores(); ++from) {
        for (uint16_t to = 0; to < grid.lcores(); ++to) {
            grid.between(from, to).consume_all([](rte_mbuf* m) { rte_pktmbuf_free(m); });
        }
    }
}

void announce(const app::gen_options& opts) {
    if (opts.quiet) return;
    std::printf("fptcp-gen: %s%s to %s:%u from %s via %s, concurrency %u, rate %s, %u lcore%s, %us warm-up + %us\n",
                app::workload_name(opts.workload).data(), opts.http ? " (http)" : "",
                app::format_ipv4(opts.server_ip).c_str(), opts.server_port, app::format_ipv4(opts.source_ips.first).c_str(),
                opts.port.c_str(), opts.concurrency, opts.rate == 0 ? "closed loop" : std::to_string(opts.rate).c_str(),
                opts.lcores, opts.lcores == 1 ? "" : "s", opts.warmup_s, opts.duration_s);
    std::fflush(stdout);
}

int run_connecting(const app::gen_options& opts, port::port& p) {
    std::unique_ptr<engine::mailbox_grid> grid;
    if (opts.lcores > 1) grid = std::make_unique<engine::mailbox_grid>(opts.lcores);
    std::vector<lcore_context> lcores(opts.lcores);
    if (std::string error = start_engines(opts, p, grid.get(), lcores); !error.empty()) return fail(1, error);
    p.wait_for_link(3000);  // a memif peer may still be connecting
    announce(opts);
    unsigned worker = 1, lcore_id = 0;
    RTE_LCORE_FOREACH_WORKER(lcore_id) {
        if (worker < lcores.size()) rte_eal_remote_launch(worker_loop, &lcores[worker++], lcore_id);
    }
    double seconds = main_loop(opts, lcores);
    // The results are printed before the connections still open are aborted.
    results r = collect(lcores, seconds);
    print_summary(opts, r);
    bool json_ok = opts.json.empty() || write_json(opts.json, opts, r);
    for (auto& l : lcores) l.generator->abort_all();
    for (int i = 0; i < 100; ++i) {
        for (auto& l : lcores) l.engine->poll(engine_now(now_ns()));  // send the RSTs
    }
    lcores.clear();
    if (grid) drain(*grid);
    if (!json_ok) return fail(1, "--json: cannot write " + opts.json);
    return 0;
}

// ---------------------------------------------------------------------------
// syn-flood

void print_flood_summary(const app::gen_options& opts, const app::syn_flood_counts& m, double seconds) {
    auto rate = [&](uint64_t n) { return static_cast<double>(n) / seconds; };
    std::printf("fptcp-gen: summary\nworkload: syn-flood\nrate: %lu\nsources: %u addresses x %u ports\nmeasured_s: %.3f\n",
                opts.rate, opts.source_ips.count, opts.source_ports.count, seconds);
    std::printf("syns: %lu\nsyns_per_s: %.0f\nsyn_acks: %lu\nsyn_acks_per_s: %.0f\nresets: %lu\nresets_per_s: %.0f\n"
                "tx_dropped: %lu\narp_replies: %lu\n",
                m.syns, rate(m.syns), m.syn_acks, rate(m.syn_acks), m.resets, rate(m.resets), m.tx_dropped, m.arp_replies);
    std::fflush(stdout);
}

bool write_flood_json(const std::string& path, const app::gen_options& opts, const app::syn_flood_counts& m,
                      double seconds) {
    std::ofstream f(path);
    f << "{\"workload\": \"syn-flood\", \"rate\": " << opts.rate << ", \"source_ips\": " << opts.source_ips.count
      << ", \"source_ports\": " << opts.source_ports.count << ", \"measured_s\": " << seconds << ", \"syns\": " << m.syns
      << ", \"syns_per_s\": " << static_cast<double>(m.syns) / seconds << ", \"syn_acks\": " << m.syn_acks
      << ", \"syn_acks_per_s\": " << static_cast<double>(m.syn_acks) / seconds << ", \"resets\": " << m.resets
      << ", \"tx_dropped\": " << m.tx_dropped << ", \"arp_replies\": " << m.arp_replies << "}\n";
    return static_cast<bool>(f);
}

int run_syn_flood(const app::gen_options& opts, port::port& p) {
    p.wait_for_link(3000);
    app::syn_flood flood(opts, p, now_ns);
    if (!flood.resolve_server(3 * second)) return fail(1, "the server (or gateway) does not answer ARP");
    announce(opts);
    uint64_t start = now_ns();
    uint64_t warmup_end = start + opts.warmup_s * second, end = warmup_end + opts.duration_s * second;
    uint64_t next_status = start + second, measure_start = start, ns = start;
    bool measuring = false;
    app::syn_flood_counts before;
    while (ns < end && stop_requested == 0) {
        flood.poll();
        ns = now_ns();
        if (!measuring && ns >= warmup_end) {
            flood.start_measuring();
            measuring = true;
            measure_start = ns;
        }
        if (ns >= next_status) {
            const app::syn_flood_counts& t = flood.total();
            if (!opts.quiet) {
                std::printf("t=%lus syn/s=%lu syn_ack/s=%lu rst/s=%lu tx_dropped=%lu%s\n", (ns - start) / second,
                            t.syns - before.syns, t.syn_acks - before.syn_acks, t.resets - before.resets,
                            t.tx_dropped - before.tx_dropped, measuring ? "" : " (warm-up)");
                std::fflush(stdout);
            }
            before = t;
            next_status += second;
        }
    }
    double seconds = std::max(static_cast<double>(ns - measure_start) / 1e9, 1e-9);
    print_flood_summary(opts, flood.measured(), seconds);
    if (!opts.json.empty() && !write_flood_json(opts.json, opts, flood.measured(), seconds)) {
        return fail(1, "--json: cannot write " + opts.json);
    }
    return 0;
}

int run(const app::gen_options& opts, const port::port_spec& spec) {
    std::string error;
    std::unique_ptr<port::port> p =
        port::port::open(spec, 0, port::port_settings{.rx_queues = opts.lcores, .tx_queues = opts.lcores}, error);
    if (!p) return fail(1, error);
    std::signal(SIGINT, request_stop);
    std::signal(SIGTERM, request_stop);
    tsc_start = rte_rdtsc();
    ns_per_cycle = 1e9 / static_cast<double>(rte_get_tsc_hz());
    if (opts.workload == app::gen_workload::syn_flood) return run_syn_flood(opts, *p);
    return run_connecting(opts, *p);
}

}  // namespace

int main(int argc, char** argv) {
    app::gen_parse_outcome parsed = app::parse_gen_options(argc, argv);
    if (parsed.help) {
        std::fputs(app::gen_usage().c_str(), stdout);
        return 0;
    }
    if (!parsed.options) return fail(2, parsed.error);
    const app::gen_options& opts = *parsed.options;

    std::string error;
    std::optional<port::port_spec> spec = port::parse_port_spec(opts.port, error);
    if (!spec) return fail(2, "--port: " + error);

    int cpu = opts.cpu >= 0 ? opts.cpu : port::default_peer_cpu();
    port::eal_settings eal;
    eal.ports.push_back(*spec);
    eal.lcores = opts.lcores == 1 ? std::to_string(cpu) : std::to_string(cpu) + "-" + std::to_string(cpu + opts.lcores - 1);
    eal.queues = opts.lcores;
    eal.passthrough = opts.eal;
    if (error = port::start_eal(eal, argv[0]); !error.empty()) return fail(1, error);
    int code = run(opts, *spec);
    port::stop_eal();
    return code;
}
