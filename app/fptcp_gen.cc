// fptcp-gen: a load generator on the fptcp stack (docs/fptcp-gen.md). The
// connecting workloads (crr, rr, stream) run one stack and one generator
// per lcore (fptcp::runtime): lcore 0 is the main thread (it also keeps time and prints the
// live line), the others are EAL workers; `--warmup` seconds unmeasured, then
// `--duration` seconds measured, then a summary with latency percentiles
// (and --json). syn-flood runs on one lcore, straight on the port
// (fptcp::syn_flood).

#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include "app/gen_options.hh"
#include "app/gen_workload.hh"
#include "app/histogram.hh"
#include "app/server_options.hh"
#include "fptcp/fptcp.hh"

namespace {

using namespace fptcp;

int fail(int code, const std::string& message) {
    std::fprintf(stderr, "fptcp-gen: %s\n", message.c_str());
    return code;
}

constexpr uint64_t second = 1'000'000'000;

// The run's phase, set by lcore 0 and read once per loop by all.
enum class run_phase : uint8_t { warmup, measuring };
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
    std::printf("%s_min_us: %.3f\n%s_mean_us: %.3f\n%s_stdev_us: %.3f\n", name, static_cast<double>(h.min()) / 1e3,
                name, h.mean() / 1e3, name, h.stdev() / 1e3);
    for (std::size_t i = 0; i < percentiles.size(); ++i) {
        std::printf("%s_%s_us: %.3f\n", name, percentile_names[i], static_cast<double>(percentile_ns(h, i)) / 1e3);
    }
}

std::string latency_json(const app::histogram& h) {
    std::ostringstream o;
    o << "{\"count\": " << h.count() << ", \"min_ns\": " << h.min() << ", \"mean_ns\": " << h.mean()
      << ", \"stdev_ns\": " << h.stdev();
    for (std::size_t i = 0; i < percentiles.size(); ++i) o << ", \"" << percentile_names[i] << "_ns\": " << percentile_ns(h, i);
    o << "}";
    return o.str();
}

// One second of the run as the live line shows it (deltas over the second).
struct second_sample {
    uint64_t t = 0;  // seconds since the start, at the second's end
    bool warmup = false;
    uint64_t connections = 0, requests = 0, errors = 0, in_flight = 0;
    double gbit = 0;
};

// The measured period, summed over lcores.
struct results {
    app::gen_counts counts;
    app::histogram connect_latency, request_latency;
    uint64_t retransmits = 0;
    double seconds = 1e-9;
    std::vector<second_sample> seconds_series;  // every second, the warm-up marked

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
    std::printf("connections: %lu\nconnections_per_s: %.0f\nrequests: %lu\nrequests_per_s: %.0f\nlate_starts: %lu\n"
                "errors: %lu\n",
                m.connections, r.per_second(m.connections), m.requests, r.per_second(m.requests), m.late_starts,
                m.error_total());
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
      << ", \"late_starts\": " << m.late_starts
      << ", \"errors\": {\"total\": " << m.error_total();
    for (std::size_t i = 0; i < m.errors.size(); ++i) {
        f << ", \"" << app::to_string(static_cast<app::gen_error>(i)) << "\": " << m.errors[i];
    }
    f << "}, \"connect_latency\": " << latency_json(r.connect_latency)
      << ", \"request_latency\": " << latency_json(r.request_latency) << ", \"per_second\": [";
    for (std::size_t i = 0; i < r.seconds_series.size(); ++i) {
        const second_sample& s = r.seconds_series[i];
        f << (i == 0 ? "" : ", ") << "{\"t\": " << s.t << ", \"warmup\": " << (s.warmup ? "true" : "false")
          << ", \"connections\": " << s.connections << ", \"requests\": " << s.requests
          << ", \"errors\": " << s.errors << ", \"in_flight\": " << s.in_flight << ", \"gbit_per_s\": " << s.gbit
          << "}";
    }
    f << "]}\n";
    return static_cast<bool>(f);
}

bool write_hdr_log(const std::string& path, const app::histogram& h) {
    std::ofstream f(path);
    app::write_percentile_distribution(f, h, 1e6);
    return static_cast<bool>(f);
}

// ---------------------------------------------------------------------------
// Connecting workloads, one stack and one generator per lcore

// What the live line shows, published once a second by each lcore (relaxed
// atomics: the only cross-lcore reads, off the packet path).
struct live {
    uint64_t connections = 0, requests = 0, bytes = 0, errors = 0, in_flight = 0;
    static constexpr std::size_t fields = 5;
};

struct lcore_context {
    std::unique_ptr<app::generator> generator;
    stack* lcore_stack = nullptr;
    uint64_t retransmits_before = 0;  // when measuring started
    bool measuring = false;
    uint64_t next_publish_ns = 0;
    std::array<std::atomic<uint64_t>, live::fields> published{};

    void publish() {
        const app::gen_counts& t = generator->total();
        std::array<uint64_t, live::fields> v{t.connections, t.requests, t.bytes, t.error_total(), generator->in_flight()};
        for (std::size_t i = 0; i < live::fields; ++i) published[i].store(v[i], std::memory_order_relaxed);
    }

    // After each poll of this lcore's stack.
    void tick(const runtime& rt, time_point now) {
        if (!measuring && phase.load(std::memory_order_relaxed) == run_phase::measuring) {
            measuring = true;
            generator->start_measuring();
            retransmits_before = lcore_stack->snapshot()[counter::retransmits];
        }
        generator->top_up(*lcore_stack, now);
        if (uint64_t ns = rt.now_ns(); ns >= next_publish_ns) {
            publish();
            next_publish_ns = ns + second;
        }
    }
};

live sum_published(std::vector<lcore_context>& lcores) {
    std::array<uint64_t, live::fields> sum{};
    for (auto& l : lcores) {
        for (std::size_t i = 0; i < live::fields; ++i) sum[i] += l.published[i].load(std::memory_order_relaxed);
    }
    return {sum[0], sum[1], sum[2], sum[3], sum[4]};
}

second_sample sample_of(uint64_t ns, const live& now, const live& before, bool measuring) {
    return {.t = ns / second,
            .warmup = !measuring,
            .connections = now.connections - before.connections,
            .requests = now.requests - before.requests,
            .errors = now.errors - before.errors,
            .in_flight = now.in_flight,
            .gbit = static_cast<double>(now.bytes - before.bytes) * 8 / 1e9};
}

void print_live(const app::gen_options& opts, const second_sample& s) {
    const char* warmup = s.warmup ? " (warm-up)" : "";
    if (opts.workload == app::gen_workload::stream) {
        std::printf("t=%lus Gbit/s=%.3f connections=%lu errors=%lu%s\n", s.t, s.gbit, s.in_flight, s.errors, warmup);
    } else {
        std::printf("t=%lus conn/s=%lu rps=%lu in_flight=%lu errors=%lu%s\n", s.t, s.connections, s.requests,
                    s.in_flight, s.errors, warmup);
    }
    std::fflush(stdout);
}

// Lcore 0's own tick: the phases of the run and the live line.
class run_clock {
public:
    run_clock(runtime& rt, const app::gen_options& opts, std::vector<lcore_context>& lcores)
        : _rt(rt), _opts(opts), _lcores(lcores), _start(rt.now_ns()), _warmup_end(_start + opts.warmup_s * second),
          _end(_warmup_end + opts.duration_s * second), _next_status(_start + second), _measure_start(_start) {
        phase.store(opts.warmup_s == 0 ? run_phase::measuring : run_phase::warmup, std::memory_order_relaxed);
        _samples.reserve(opts.warmup_s + opts.duration_s + 2);
    }

    void tick() {
        uint64_t ns = _rt.now_ns();
        _last = ns;
        if (phase.load(std::memory_order_relaxed) == run_phase::warmup && ns >= _warmup_end) {
            phase.store(run_phase::measuring, std::memory_order_relaxed);
            _measure_start = ns;
        }
        if (ns >= _end) _rt.stop();
        if (ns < _next_status) return;
        _lcores[0].publish();
        live t = sum_published(_lcores);
        // A second is warm-up when it began before the warm-up ended.
        _samples.push_back(sample_of(ns - _start, t, _before, ns - second >= _warmup_end));
        if (!_opts.quiet) print_live(_opts, _samples.back());
        _before = t;
        _next_status += second;
    }

    double measured_seconds() const { return std::max(static_cast<double>(_last - _measure_start) / 1e9, 1e-9); }
    const std::vector<second_sample>& samples() const { return _samples; }

private:
    runtime& _rt;
    const app::gen_options& _opts;
    std::vector<lcore_context>& _lcores;
    uint64_t _start, _warmup_end, _end, _next_status, _measure_start, _last = 0;
    live _before;
    std::vector<second_sample> _samples;  // reserved for the whole run: no allocation while it runs
};

results collect(std::vector<lcore_context>& lcores, double seconds) {
    results r;
    r.seconds = seconds;
    for (auto& l : lcores) {
        const app::gen_counts& m = l.generator->measured();
        r.counts.connections += m.connections;
        r.counts.requests += m.requests;
        r.counts.bytes += m.bytes;
        r.counts.late_starts += m.late_starts;
        for (std::size_t i = 0; i < m.errors.size(); ++i) r.counts.errors[i] += m.errors[i];
        r.connect_latency.merge(l.generator->connect_latency());
        r.request_latency.merge(l.generator->request_latency());
        r.retransmits += l.lcore_stack->snapshot()[counter::retransmits] - l.retransmits_before;
    }
    return r;
}

// Lcore i's part of `total`, split as evenly as possible.
uint64_t share_of(uint64_t total, uint16_t i, uint16_t n) {
    return total / n + (i < total % n ? 1 : 0);
}

std::string start_stacks(const app::gen_options& opts, runtime& rt, std::vector<lcore_context>& lcores) {
    uint16_t n = opts.lcores;
    for (uint16_t i = 0; i < n; ++i) {
        app::generator_share share{static_cast<uint32_t>(share_of(opts.concurrency, i, n)),
                                   static_cast<double>(opts.rate) / n};
        if (share.concurrency == 0) return "--concurrency must be at least --lcores";
        stack_settings s;
        // Every connection in flight, plus room for those still closing.
        s.max_connections = share.concurrency + share.concurrency / 4 + 64;
        s.ip = opts.ip;
        s.prefix = opts.prefix;
        s.gateway = opts.gateway;
        s.source_ips = opts.source_ips.count;
        s.first_source_port = opts.source_ports.first;
        s.source_ports = opts.source_ports.count;
        lcore_context& l = lcores[i];
        l.generator = std::make_unique<app::generator>(opts, share, s.max_connections, rt);
        std::string error;
        if (!(l.lcore_stack = rt.create_stack(i, *l.generator, s, error))) return error;
    }
    return {};
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

int run_connecting(const app::gen_options& opts, runtime& rt) {
    std::vector<lcore_context> lcores(opts.lcores);
    if (std::string error = start_stacks(opts, rt, lcores); !error.empty()) return fail(1, error);
    rt.wait_for_link(3000);  // a memif peer may still be connecting
    announce(opts);
    run_clock clock(rt, opts, lcores);
    rt.run([&](uint16_t lcore, time_point now) {
        lcores[lcore].tick(rt, now);
        if (lcore == 0) clock.tick();
    });
    // The results are printed before the connections still open are aborted.
    results r = collect(lcores, clock.measured_seconds());
    r.seconds_series = clock.samples();
    print_summary(opts, r);
    bool json_ok = opts.json.empty() || write_json(opts.json, opts, r);
    bool hdr_ok = opts.hdr_log.empty() || write_hdr_log(opts.hdr_log, r.request_latency);
    for (auto& l : lcores) l.generator->abort_all();
    for (int i = 0; i < 100; ++i) {
        for (auto& l : lcores) l.lcore_stack->poll(rt.now());  // send the RSTs
    }
    if (!json_ok) return fail(1, "--json: cannot write " + opts.json);
    if (!hdr_ok) return fail(1, "--hdr-log: cannot write " + opts.hdr_log);
    return 0;
}

// ---------------------------------------------------------------------------
// syn-flood

void print_flood_summary(const app::gen_options& opts, const syn_flood_counts& m, double seconds) {
    auto rate = [&](uint64_t n) { return static_cast<double>(n) / seconds; };
    std::printf("fptcp-gen: summary\nworkload: syn-flood\nrate: %lu\nsources: %u addresses x %u ports\nmeasured_s: %.3f\n",
                opts.rate, opts.source_ips.count, opts.source_ports.count, seconds);
    std::printf("syns: %lu\nsyns_per_s: %.0f\nsyn_acks: %lu\nsyn_acks_per_s: %.0f\nresets: %lu\nresets_per_s: %.0f\n"
                "tx_dropped: %lu\narp_replies: %lu\n",
                m.syns, rate(m.syns), m.syn_acks, rate(m.syn_acks), m.resets, rate(m.resets), m.tx_dropped, m.arp_replies);
    std::fflush(stdout);
}

bool write_flood_json(const std::string& path, const app::gen_options& opts, const syn_flood_counts& m,
                      double seconds) {
    std::ofstream f(path);
    f << "{\"workload\": \"syn-flood\", \"rate\": " << opts.rate << ", \"source_ips\": " << opts.source_ips.count
      << ", \"source_ports\": " << opts.source_ports.count << ", \"measured_s\": " << seconds << ", \"syns\": " << m.syns
      << ", \"syns_per_s\": " << static_cast<double>(m.syns) / seconds << ", \"syn_acks\": " << m.syn_acks
      << ", \"syn_acks_per_s\": " << static_cast<double>(m.syn_acks) / seconds << ", \"resets\": " << m.resets
      << ", \"tx_dropped\": " << m.tx_dropped << ", \"arp_replies\": " << m.arp_replies << "}\n";
    return static_cast<bool>(f);
}

syn_flood_settings flood_settings_of(const app::gen_options& opts) {
    syn_flood_settings s;
    s.ip = opts.ip;
    s.prefix = opts.prefix;
    s.gateway = opts.gateway;
    s.server_ip = opts.server_ip;
    s.server_port = opts.server_port;
    s.first_source_ip = opts.source_ips.first;
    s.source_ips = opts.source_ips.count;
    s.first_source_port = opts.source_ports.first;
    s.source_ports = opts.source_ports.count;
    s.rate = opts.rate;
    return s;
}

int run_syn_flood(const app::gen_options& opts, runtime& rt) {
    std::string error;
    std::unique_ptr<syn_flood> flood = syn_flood::create(rt, flood_settings_of(opts), error);
    if (!flood) return fail(2, error);
    rt.wait_for_link(3000);
    if (!flood->resolve_server(3 * second)) return fail(1, "the server (or gateway) does not answer ARP");
    announce(opts);
    uint64_t start = rt.now_ns();
    uint64_t warmup_end = start + opts.warmup_s * second, end = warmup_end + opts.duration_s * second;
    uint64_t next_status = start + second, measure_start = start, ns = start;
    bool measuring = false;
    syn_flood_counts before;
    while (ns < end && !rt.stopping()) {
        flood->poll();
        ns = rt.now_ns();
        if (!measuring && ns >= warmup_end) {
            flood->start_measuring();
            measuring = true;
            measure_start = ns;
        }
        if (ns >= next_status) {
            const syn_flood_counts& t = flood->total();
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
    print_flood_summary(opts, flood->measured(), seconds);
    if (!opts.json.empty() && !write_flood_json(opts.json, opts, flood->measured(), seconds)) {
        return fail(1, "--json: cannot write " + opts.json);
    }
    return 0;
}

runtime_settings runtime_settings_of(const app::gen_options& opts) {
    runtime_settings r;
    int cpu = opts.cpu >= 0 ? opts.cpu : default_peer_cpu();
    r.port = opts.port;
    r.cpus = !opts.cpus.empty() ? opts.cpus
             : opts.lcores == 1 ? std::to_string(cpu)
                                : std::to_string(cpu) + "-" + std::to_string(cpu + opts.lcores - 1);
    r.eal = opts.eal;
    r.mtu = opts.mtu;
    if (opts.mtu != 0) r.stack.tcp.mss = static_cast<uint16_t>(opts.mtu - 40);
    return r;
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
    set_log_level(opts.log_level);
    runtime_settings settings = runtime_settings_of(opts);
    std::string error;
    if (error = runtime::check(settings); !error.empty()) return fail(2, app::with_option_names(error));
    std::unique_ptr<runtime> rt = runtime::start(settings, argv[0], error);
    if (!rt) return fail(1, app::with_option_names(error));
    if (opts.workload == app::gen_workload::syn_flood) return run_syn_flood(opts, *rt);
    return run_connecting(opts, *rt);
}
