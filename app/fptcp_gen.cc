// fptcp-gen: a load generator on the fptcp stack (docs/fptcp-gen.md). It
// keeps `--concurrency` connections in flight against `--connect`, runs
// `--warmup` seconds unmeasured then `--duration` seconds measured, prints a
// live line per second and a summary with latency percentiles, and writes
// the same numbers as JSON with --json. One lcore in this version.

#include <rte_cycles.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "app/gen_options.hh"
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

// The TSC since start, in nanoseconds (the latencies) and microseconds (the engine).
uint64_t tsc_start = 0;
double ns_per_cycle = 1;

uint64_t now_ns() {
    return static_cast<uint64_t>(static_cast<double>(rte_rdtsc() - tsc_start) * ns_per_cycle);
}

time_point engine_now(uint64_t ns) {
    return time_point(tcp::duration(static_cast<int64_t>(ns / 1000)));
}

constexpr std::array<double, 5> percentiles{50, 90, 99, 99.9, 100};
constexpr std::array<const char*, 5> percentile_names{"p50", "p90", "p99", "p99_9", "max"};

void print_latency(const char* name, const app::histogram& h) {
    std::printf("%s_count: %lu\n", name, h.count());
    for (std::size_t i = 0; i < percentiles.size(); ++i) {
        std::printf("%s_%s_us: %.3f\n", name, percentile_names[i],
                    static_cast<double>(i + 1 == percentiles.size() ? h.max() : h.percentile(percentiles[i])) / 1e3);
    }
}

std::string latency_json(const app::histogram& h) {
    std::ostringstream o;
    o << "{\"count\": " << h.count();
    for (std::size_t i = 0; i < percentiles.size(); ++i) {
        o << ", \"" << percentile_names[i]
          << "_ns\": " << (i + 1 == percentiles.size() ? h.max() : h.percentile(percentiles[i]));
    }
    o << "}";
    return o.str();
}

void print_summary(const app::gen_options& opts, const app::generator& g, double seconds) {
    const app::gen_counts& m = g.measured();
    std::printf("fptcp-gen: summary\n");
    std::printf("workload: %s%s\nconcurrency: %u\nmeasured_s: %.3f\n", app::workload_name(opts.workload).data(),
                opts.http ? " (http)" : "", opts.concurrency, seconds);
    std::printf("connections: %lu\nconnections_per_s: %.0f\nrequests: %lu\nrequests_per_s: %.0f\nerrors: %lu\n",
                m.connections, static_cast<double>(m.connections) / seconds, m.requests,
                static_cast<double>(m.requests) / seconds, m.error_total());
    for (std::size_t i = 0; i < m.errors.size(); ++i) {
        if (m.errors[i] != 0) {
            std::printf("error_%s: %lu\n", app::to_string(static_cast<app::gen_error>(i)).data(), m.errors[i]);
        }
    }
    print_latency("connect", g.connect_latency());
    print_latency("request", g.request_latency());
    std::fflush(stdout);
}

bool write_json(const std::string& path, const app::gen_options& opts, const app::generator& g, double seconds) {
    const app::gen_counts& m = g.measured();
    std::ofstream f(path);
    f << "{\"workload\": \"" << app::workload_name(opts.workload) << "\", \"http\": " << (opts.http ? "true" : "false")
      << ", \"concurrency\": " << opts.concurrency << ", \"measured_s\": " << seconds
      << ", \"connections\": " << m.connections
      << ", \"connections_per_s\": " << static_cast<double>(m.connections) / seconds
      << ", \"requests\": " << m.requests << ", \"requests_per_s\": " << static_cast<double>(m.requests) / seconds
      << ", \"errors\": {\"total\": " << m.error_total();
    for (std::size_t i = 0; i < m.errors.size(); ++i) {
        f << ", \"" << app::to_string(static_cast<app::gen_error>(i)) << "\": " << m.errors[i];
    }
    f << "}, \"connect_latency\": " << latency_json(g.connect_latency())
      << ", \"request_latency\": " << latency_json(g.request_latency()) << "}\n";
    return static_cast<bool>(f);
}

int run(const app::gen_options& opts, const port::port_spec& spec) {
    std::string error;
    std::unique_ptr<port::port> p = port::port::open(spec, 0, port::port_settings{}, error);
    if (!p) return fail(1, error);
    // Every connection in flight, plus room for those still closing.
    uint32_t max_connections = opts.concurrency + opts.concurrency / 4 + 64;
    auto g = std::make_unique<app::generator>(opts, max_connections, now_ns);
    engine::engine_settings s;
    s.ip = opts.ip;
    s.prefix = opts.prefix;
    s.gateway = opts.gateway;
    s.max_connections = max_connections;
    auto e = engine::engine::create(*p, s, *g, error);
    if (!e) return fail(1, error);
    p->wait_for_link(3000);  // a memif peer may still be connecting

    std::signal(SIGINT, request_stop);
    std::signal(SIGTERM, request_stop);
    if (!opts.quiet) {
        std::printf("fptcp-gen: %s%s to %s:%u from %s via %s, concurrency %u, %us warm-up + %us\n",
                    app::workload_name(opts.workload).data(), opts.http ? " (http)" : "",
                    app::format_ipv4(opts.server_ip).c_str(), opts.server_port, app::format_ipv4(opts.ip).c_str(),
                    opts.port.c_str(), opts.concurrency, opts.warmup_s, opts.duration_s);
        std::fflush(stdout);
    }
    tsc_start = rte_rdtsc();
    ns_per_cycle = 1e9 / static_cast<double>(rte_get_tsc_hz());
    const uint64_t second = 1000000000;
    uint64_t warmup_end = opts.warmup_s * second, end = warmup_end + opts.duration_s * second;
    uint64_t next_status = second, measure_start = 0, measure_end = 0;
    bool measuring = false;
    if (opts.warmup_s == 0) {
        g->start_measuring();
        measuring = true;
    }
    app::gen_counts before;
    for (;;) {
        uint64_t ns = now_ns();
        if (!measuring && ns >= warmup_end) {
            g->start_measuring();
            measuring = true;
            measure_start = ns;
        }
        if (ns >= end || stop_requested != 0) {
            measure_end = ns;
            break;
        }
        time_point now = engine_now(ns);
        e->poll(now);
        g->top_up(*e, now);
        if (ns >= next_status) {
            const app::gen_counts& t = g->total();
            if (!opts.quiet) {
                std::printf("t=%lus conn/s=%lu rps=%lu in_flight=%u errors=%lu%s\n", ns / second,
                            t.connections - before.connections, t.requests - before.requests, g->in_flight(),
                            t.error_total() - before.error_total(), measuring ? "" : " (warm-up)");
                std::fflush(stdout);
            }
            before = t;
            next_status += second;
        }
    }
    double seconds = static_cast<double>(measure_end - measure_start) / 1e9;
    if (seconds <= 0) seconds = 1e-9;
    // The results are printed before the connections still open are aborted.
    g->stop();
    print_summary(opts, *g, seconds);
    bool json_ok = opts.json.empty() || write_json(opts.json, opts, *g, seconds);
    g->abort_all(*e);
    for (int i = 0; i < 100; ++i) e->poll(engine_now(now_ns()));  // send the RSTs
    if (!json_ok) return fail(1, "--json: cannot write " + opts.json);
    return 0;
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
    eal.lcores = std::to_string(cpu);
    eal.passthrough = opts.eal;
    if (error = port::start_eal(eal, argv[0]); !error.empty()) return fail(1, error);
    int code = run(opts, *spec);
    port::stop_eal();
    return code;
}
