// fptcp-server: a standalone server on the fptcp stack. With no arguments it
// creates the TAP interface fptcp0, gives the kernel side 10.70.0.1/24, and
// serves HTTP on 10.70.0.2:80, so that `curl http://10.70.0.2/` works from
// the same machine. `fptcp-server --help` lists the options.

#include <rte_cycles.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>

#include "engine/engine.hh"
#include "port/capture.hh"
#include "port/eal.hh"
#include "port/kernel_interface.hh"
#include "port/port.hh"
#include "server_handler.hh"
#include "server_options.hh"

namespace {

using namespace fptcp;
using tcp::no_deadline;
using tcp::time_point;

volatile std::sig_atomic_t stop_requested = 0;

void request_stop(int) { stop_requested = 1; }

int fail(int code, const std::string& message) {
    std::fprintf(stderr, "fptcp-server: %s\n", message.c_str());
    return code;
}

// The engine's clock: the TSC, in microseconds since start.
class tsc_clock {
    uint64_t _start = rte_rdtsc();
    double _us_per_cycle = 1e6 / static_cast<double>(rte_get_tsc_hz());

public:
    time_point now() const {
        return time_point(tcp::duration(static_cast<int64_t>(static_cast<double>(rte_rdtsc() - _start) * _us_per_cycle)));
    }
};

struct totals {
    uint64_t opened, closed, reaped, rx, tx, rx_bytes, tx_bytes, retransmits, drops;
};

totals read_totals(const engine::engine& e) {
    const auto& c = e.counters();
    const auto& t = e.tcp_counters();
    uint64_t drops = 0;
    for (uint64_t d : c.drops) drops += d;
    for (uint64_t d : c.rx_parse_drops) drops += d;
    for (uint64_t d : t.drops) drops += d;
    return {c.connections_opened, c.connections_closed, c.time_wait_reaped, c.rx_packets, c.tx_packets,
            c.rx_bytes, c.tx_bytes, t.retransmits, drops};
}

void print_status(double seconds, const totals& now, const totals& before, const engine::engine& e) {
    std::printf("t=%.0fs conn/s=%lu active=%u time_wait=%u rx_pps=%lu tx_pps=%lu Gbit/s=%.3f retrans=%lu drops=%lu\n",
                seconds, now.opened - before.opened, e.active_connections(), e.time_wait_connections(),
                now.rx - before.rx, now.tx - before.tx,
                static_cast<double>((now.rx_bytes - before.rx_bytes) + (now.tx_bytes - before.tx_bytes)) * 8 / 1e9,
                now.retransmits - before.retransmits, now.drops - before.drops);
    std::fflush(stdout);
}

void print_summary(const engine::engine& e, const app::server_handler& h, FILE* out) {
    totals t = read_totals(e);
    std::fprintf(out, "fptcp-server: summary\n");
    std::fprintf(out, "connections_opened: %lu\nconnections_closed: %lu\ntime_wait_reaped: %lu\n", t.opened,
                 t.closed, t.reaped);
    std::fprintf(out, "time_wait: %u\nactive: %u\nrequests: %lu\n", e.time_wait_connections(),
                 e.active_connections(), h.requests());
    std::fprintf(out, "rx_packets: %lu\ntx_packets: %lu\nretransmits: %lu\ndrops: %lu\n", t.rx, t.tx,
                 t.retransmits, t.drops);
    for (std::size_t i = 0; i < e.counters().drops.size(); ++i) {
        if (e.counters().drops[i] != 0) {
            std::fprintf(out, "drop_%s: %lu\n", to_string(static_cast<engine::engine_drop>(i)).data(),
                         e.counters().drops[i]);
        }
    }
    for (std::size_t i = 0; i < e.tcp_counters().drops.size(); ++i) {
        if (e.tcp_counters().drops[i] != 0) {
            std::fprintf(out, "drop_tcp_%s: %lu\n", to_string(static_cast<tcp::tcp_drop>(i)).data(),
                         e.tcp_counters().drops[i]);
        }
    }
    for (std::size_t i = 0; i < e.counters().rx_parse_drops.size(); ++i) {
        if (e.counters().rx_parse_drops[i] != 0) {
            std::fprintf(out, "drop_rx_%s: %lu\n", to_string(static_cast<wire::parse_error>(i)).data(),
                         e.counters().rx_parse_drops[i]);
        }
    }
}

void write_json(const std::string& path, const engine::engine& e, const app::server_handler& h) {
    totals t = read_totals(e);
    std::ofstream f(path);
    f << "{\"connections_opened\": " << t.opened << ", \"connections_closed\": " << t.closed
      << ", \"time_wait_reaped\": " << t.reaped << ", \"time_wait\": " << e.time_wait_connections()
      << ", \"active\": " << e.active_connections() << ", \"requests\": " << h.requests()
      << ", \"rx_packets\": " << t.rx << ", \"tx_packets\": " << t.tx << ", \"retransmits\": " << t.retransmits
      << ", \"drops\": " << t.drops << "}\n";
}

int serve(const app::server_options& opts, engine::engine& e) {
    tsc_clock clock;
    totals before = read_totals(e);
    time_point next_status = time_point(std::chrono::seconds(1));
    time_point end = opts.duration_s == 0 ? no_deadline : time_point(std::chrono::seconds(opts.duration_s));
    while (stop_requested == 0) {
        time_point now = clock.now();
        if (now >= end) break;
        e.poll(now);
        if (now >= next_status) {
            totals t = read_totals(e);
            if (!opts.quiet) print_status(std::chrono::duration<double>(now.time_since_epoch()).count(), t, before, e);
            before = t;
            next_status += std::chrono::seconds(1);
        }
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    app::parse_outcome parsed = app::parse_server_options(argc, argv);
    if (parsed.help) {
        std::fputs(app::usage().c_str(), stdout);
        return 0;
    }
    if (!parsed.options) return fail(2, parsed.error);
    const app::server_options& opts = *parsed.options;

    std::string error;
    std::optional<port::port_spec> spec = port::parse_port_spec(opts.port, error);
    if (!spec) return fail(2, "--port: " + error);
    if (opts.lcores != 1) return fail(2, "--lcores: only 1 lcore is supported in this version");

    port::eal_settings eal;
    eal.ports.push_back(*spec);
    eal.passthrough = opts.eal;
    if (error = port::start_eal(eal, argv[0]); !error.empty()) return fail(1, error);

    int code = 0;
    {
        std::unique_ptr<port::port> p = port::port::open(*spec, 0, port::port_settings{}, error);
        if (!p) {
            port::stop_eal();
            return fail(1, error);
        }
        if (spec->type == port::port_spec::kind::tap && opts.kernel_ip) {
            error = port::configure_kernel_interface(spec->name, *opts.kernel_ip, opts.kernel_prefix);
            if (!error.empty()) code = fail(1, error);
        }
        engine::engine_settings settings;
        settings.ip = opts.ip;
        settings.prefix = opts.prefix;
        settings.gateway = opts.gateway;
        settings.max_connections = opts.max_connections;
        settings.send_buffer = opts.tcp.send_buffer;
        settings.receive_buffer = opts.tcp.receive_buffer;
        std::unique_ptr<port::capture> pcap;
        if (!opts.pcap.empty() && !(pcap = port::capture::open(opts.pcap, p->id(), error))) code = fail(1, error);
        settings.pcap = pcap.get();
        app::server_handler handler(opts, opts.max_connections);
        std::unique_ptr<engine::engine> e;
        if (code == 0) e = engine::engine::create(*p, settings, handler, error);
        if (code == 0 && !e) code = fail(1, error);
        if (code == 0 && !e->listen(opts.listen, opts.tcp, error)) code = fail(2, "--listen: " + error);
        if (code == 0) {
            std::signal(SIGINT, request_stop);
            std::signal(SIGTERM, request_stop);
            if (!opts.quiet) {
                std::printf("fptcp-server: %s mode on %s:%u via %s\n", app::mode_name(opts.mode).data(),
                            app::format_ipv4(opts.ip).c_str(), opts.listen, opts.port.c_str());
                std::fflush(stdout);
            }
            code = serve(opts, *e);
            print_summary(*e, handler, stdout);
            if (!opts.stats_json.empty()) write_json(opts.stats_json, *e, handler);
        }
    }
    port::stop_eal();
    return code;
}
