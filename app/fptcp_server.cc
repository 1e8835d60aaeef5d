// fptcp-server: a standalone server on the fptcp stack. With no arguments it
// creates the TAP interface fptcp0, gives the kernel side 10.70.0.1/24, and
// serves HTTP on 10.70.0.2:80, so that `curl http://10.70.0.2/` works from
// the same machine. `fptcp-server --help` lists the options.
//
// One engine per lcore (--lcores N): lcore 0 is the main thread (it also
// prints the status line), the others are EAL workers.

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <array>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fptcp/fptcp.hh"
#include "server_handler.hh"
#include "server_options.hh"

namespace {

using namespace fptcp;
using tcp::no_deadline;
using tcp::time_point;

volatile std::sig_atomic_t stop_requested = 0;
std::atomic<bool> stop_all{false};  // read once per loop by every lcore

void request_stop(int) { stop_requested = 1; }

int fail(int code, const std::string& message) {
    std::fprintf(stderr, "fptcp-server: %s\n", message.c_str());
    return code;
}

// The engines' clock: the TSC, in microseconds since start.
class tsc_clock {
    uint64_t _start = rte_rdtsc();
    double _us_per_cycle = 1e6 / static_cast<double>(rte_get_tsc_hz());

public:
    time_point now() const {
        return time_point(tcp::duration(static_cast<int64_t>(static_cast<double>(rte_rdtsc() - _start) * _us_per_cycle)));
    }
};

// What the status line and the summary show, summed over lcores.
struct totals {
    uint64_t opened = 0, closed = 0, reaped = 0, reopened = 0, rx = 0, tx = 0, rx_bytes = 0, tx_bytes = 0, retransmits = 0,
             drops = 0, active = 0, time_wait = 0, requests = 0, timeouts = 0, fast_recoveries = 0, loss_probes = 0;
    engine::fault_counters fault_rx, fault_tx;  // what --fault-rx / --fault-tx did

    static constexpr std::size_t fields = 22;
    std::array<uint64_t*, fields> all() {
        return {&opened, &closed, &reaped, &reopened, &rx, &tx, &rx_bytes, &tx_bytes, &retransmits, &drops, &active, &time_wait,
                &requests, &timeouts, &fast_recoveries, &loss_probes, &fault_rx.dropped, &fault_rx.duplicated, &fault_rx.reordered, &fault_tx.dropped,
                &fault_tx.duplicated, &fault_tx.reordered};
    }
};

// The fault counters' names in the summary and the JSON: fault_rx_dropped, ...
template <class Print>
void for_each_fault_counter(const totals& t, Print print) {
    for (auto [direction, c] : {std::pair{"rx", &t.fault_rx}, std::pair{"tx", &t.fault_tx}}) {
        print(std::string("fault_") + direction + "_dropped", c->dropped);
        print(std::string("fault_") + direction + "_duplicated", c->duplicated);
        print(std::string("fault_") + direction + "_reordered", c->reordered);
    }
}

totals read_totals(const engine::engine& e, const app::server_handler& h) {
    const auto& c = e.counters();
    const auto& t = e.tcp_counters();
    totals r;
    for (uint64_t d : c.drops) r.drops += d;
    for (uint64_t d : c.rx_parse_drops) r.drops += d;
    for (uint64_t d : t.drops) r.drops += d;
    r.opened = c.connections_opened;
    r.closed = c.connections_closed;
    r.reaped = c.time_wait_reaped;
    r.reopened = c.time_wait_reopened;
    r.rx = c.rx_packets;
    r.tx = c.tx_packets;
    r.rx_bytes = c.rx_bytes;
    r.tx_bytes = c.tx_bytes;
    r.retransmits = t.retransmits;
    r.timeouts = t.timeouts;
    r.fast_recoveries = t.fast_recoveries;
    r.loss_probes = t.loss_probes;
    r.active = e.active_connections();
    r.time_wait = e.time_wait_connections();
    r.requests = h.requests();
    r.fault_rx = e.rx_fault_counters();
    r.fault_tx = e.tx_fault_counters();
    return r;
}

// One lcore's engine, its handler, and the counters it publishes once a
// second (relaxed atomics: the only cross-lcore reads, off the packet path).
struct lcore_context {
    std::unique_ptr<app::server_handler> handler;
    std::unique_ptr<engine::engine> engine;
    const tsc_clock* clock = nullptr;
    std::array<std::atomic<uint64_t>, totals::fields> published{};

    void publish() {
        totals t = read_totals(*engine, *handler);
        auto fields = t.all();
        for (std::size_t i = 0; i < totals::fields; ++i) published[i].store(*fields[i], std::memory_order_relaxed);
    }
};

int worker_loop(void* arg) {
    auto& ctx = *static_cast<lcore_context*>(arg);
    time_point next_publish{};
    while (!stop_all.load(std::memory_order_relaxed)) {
        time_point now = ctx.clock->now();
        ctx.engine->poll(now);
        if (now >= next_publish) {
            ctx.publish();
            next_publish = now + std::chrono::seconds(1);
        }
    }
    return 0;
}

totals sum_published(std::vector<lcore_context>& lcores) {
    totals sum;
    auto fields = sum.all();
    for (auto& l : lcores) {
        for (std::size_t i = 0; i < totals::fields; ++i) *fields[i] += l.published[i].load(std::memory_order_relaxed);
    }
    return sum;
}

void print_status(double seconds, const totals& now, const totals& before) {
    std::printf("t=%.0fs conn/s=%lu active=%lu time_wait=%lu rx_pps=%lu tx_pps=%lu Gbit/s=%.3f retrans=%lu drops=%lu\n",
                seconds, now.opened - before.opened, now.active, now.time_wait, now.rx - before.rx, now.tx - before.tx,
                static_cast<double>((now.rx_bytes - before.rx_bytes) + (now.tx_bytes - before.tx_bytes)) * 8 / 1e9,
                now.retransmits - before.retransmits, now.drops - before.drops);
    std::fflush(stdout);
}

// Every drop by reason, summed over lcores.
struct drop_totals {
    std::array<uint64_t, static_cast<std::size_t>(engine::engine_drop::count_)> engine{};
    std::array<uint64_t, static_cast<std::size_t>(tcp::tcp_drop::count_)> tcp{};
    std::array<uint64_t, static_cast<std::size_t>(wire::parse_error::count_)> rx{};
};

template <class Reason, class Counters, class Print>
void for_each_named(const Counters& counters, const char* prefix, Print print) {
    for (std::size_t i = 0; i < counters.size(); ++i) {
        if (counters[i] != 0) print(prefix + std::string(to_string(static_cast<Reason>(i))), counters[i]);
    }
}

// The drops that happened, named as in the summary and the JSON:
// drop_<engine reason>, drop_tcp_<tcp reason>, drop_rx_<parse error>.
template <class Print>
void for_each_drop(const drop_totals& d, Print print) {
    for_each_named<engine::engine_drop>(d.engine, "drop_", print);
    for_each_named<tcp::tcp_drop>(d.tcp, "drop_tcp_", print);
    for_each_named<wire::parse_error>(d.rx, "drop_rx_", print);
}

// Connections by state (TIME_WAIT is `time_wait` above), those not empty.
void print_connection_states(std::vector<lcore_context>& lcores) {
    for (auto s = tcp::tcp_state::syn_sent; s != tcp::tcp_state::time_wait;
         s = static_cast<tcp::tcp_state>(static_cast<int>(s) + 1)) {
        uint64_t n = 0;
        for (auto& l : lcores) n += l.engine->connections_in(s);
        if (n != 0) std::printf("state_%s: %lu\n", tcp::to_string(s).data(), n);
    }
}

// After the lcores stopped: their counters directly.
totals sum_final(std::vector<lcore_context>& lcores) {
    totals sum;
    auto fields = sum.all();
    for (auto& l : lcores) {
        totals t = read_totals(*l.engine, *l.handler);
        auto f = t.all();
        for (std::size_t i = 0; i < totals::fields; ++i) *fields[i] += *f[i];
    }
    return sum;
}

drop_totals sum_drops(std::vector<lcore_context>& lcores) {
    drop_totals d;
    for (auto& l : lcores) {
        for (std::size_t i = 0; i < d.engine.size(); ++i) d.engine[i] += l.engine->counters().drops[i];
        for (std::size_t i = 0; i < d.tcp.size(); ++i) d.tcp[i] += l.engine->tcp_counters().drops[i];
        for (std::size_t i = 0; i < d.rx.size(); ++i) d.rx[i] += l.engine->counters().rx_parse_drops[i];
    }
    return d;
}

// What the port's driver dropped before any engine saw it (rte_eth_stats):
// frames too long for an mbuf (a TAP's), a full RX ring, no free mbuf; and
// frames it took that never reached the interface (port_counters::tx_unsent;
// af_packet only, else 0).
template <class Print>
void for_each_port_drop(const port::port_counters& c, Print print) {
    print("port_rx_errors", c.rx_errors);
    print("port_rx_missed", c.rx_missed);
    print("port_rx_no_mbuf", c.rx_no_mbuf);
    print("port_tx_unsent", c.tx_unsent);
}

// With --pcap: frames written, and frames the capture could not copy or
// write (missing from the file).
void print_summary(std::vector<lcore_context>& lcores, const port::port_counters& port, const port::capture* pcap) {
    totals sum = sum_final(lcores);
    std::printf("fptcp-server: summary\n");
    std::printf("connections_opened: %lu\nconnections_closed: %lu\ntime_wait_reaped: %lu\ntime_wait_reopened: %lu\n",
                sum.opened, sum.closed, sum.reaped, sum.reopened);
    std::printf("time_wait: %lu\nactive: %lu\nrequests: %lu\n", sum.time_wait, sum.active, sum.requests);
    std::printf("rx_packets: %lu\ntx_packets: %lu\nretransmits: %lu\ndrops: %lu\n", sum.rx, sum.tx, sum.retransmits,
                sum.drops);
    std::printf("timeouts: %lu\nfast_recoveries: %lu\nloss_probes: %lu\n", sum.timeouts, sum.fast_recoveries,
                sum.loss_probes);
    for_each_fault_counter(sum, [](const std::string& name, uint64_t v) { std::printf("%s: %lu\n", name.c_str(), v); });
    print_connection_states(lcores);
    auto line = [](const std::string& name, uint64_t v) { std::printf("%s: %lu\n", name.c_str(), v); };
    for_each_port_drop(port, line);
    for_each_drop(sum_drops(lcores), line);
    if (pcap) {
        line("capture_written", pcap->written());
        line("capture_missed", pcap->missed());
    }
    std::fflush(stdout);
}

void write_json(const std::string& path, std::vector<lcore_context>& lcores, const port::port_counters& port) {
    totals sum = sum_final(lcores);
    std::ofstream out(path);
    out << "{\"connections_opened\": " << sum.opened << ", \"connections_closed\": " << sum.closed
        << ", \"time_wait_reaped\": " << sum.reaped << ", \"time_wait\": " << sum.time_wait << ", \"active\": " << sum.active
        << ", \"requests\": " << sum.requests << ", \"rx_packets\": " << sum.rx << ", \"tx_packets\": " << sum.tx
        << ", \"retransmits\": " << sum.retransmits << ", \"drops\": " << sum.drops << ", \"timeouts\": " << sum.timeouts
        << ", \"fast_recoveries\": " << sum.fast_recoveries << ", \"loss_probes\": " << sum.loss_probes;
    auto field = [&out](const std::string& name, uint64_t v) { out << ", \"" << name << "\": " << v; };
    for_each_fault_counter(sum, field);
    for_each_port_drop(port, field);
    for_each_drop(sum_drops(lcores), field);
    out << ", \"lcores\": " << lcores.size() << "}\n";
}

void print_faults(const engine::fault_settings& f) {
    auto pct = [](uint32_t ppm) { return static_cast<double>(ppm) / 1e4; };
    std::printf("fptcp-server: fault injection, seed %lu: rx drop=%g%% dup=%g%% reorder=%g%%, tx drop=%g%% dup=%g%% "
                "reorder=%g%%\n",
                f.seed, pct(f.rx.drop), pct(f.rx.duplicate), pct(f.rx.reorder), pct(f.tx.drop), pct(f.tx.duplicate),
                pct(f.tx.reorder));
}

// The main lcore: engine 0, the status line, the duration and Ctrl-C.
void main_loop(const app::server_options& opts, std::vector<lcore_context>& lcores, const tsc_clock& clock) {
    totals before{};
    time_point next_status = time_point(std::chrono::seconds(1));
    time_point end = opts.duration_s == 0 ? no_deadline : time_point(std::chrono::seconds(opts.duration_s));
    lcore_context& self = lcores[0];
    while (stop_requested == 0) {
        time_point now = clock.now();
        if (now >= end) break;
        self.engine->poll(now);
        if (now >= next_status) {
            self.publish();
            totals t = sum_published(lcores);
            if (!opts.quiet) print_status(std::chrono::duration<double>(now.time_since_epoch()).count(), t, before);
            before = t;
            next_status += std::chrono::seconds(1);
        }
    }
    stop_all.store(true, std::memory_order_relaxed);
    rte_eal_mp_wait_lcore();
}

// Opens the port with one queue pair per lcore, creates the engines, and
// starts listening. Returns an error message, or "" when ready.
std::string start_engines(const app::server_options& opts, port::port& p, port::capture* pcap,
                          engine::mailbox_grid* grid, std::vector<lcore_context>& lcores, const tsc_clock& clock) {
    uint16_t n = opts.lcores;
    if (p.tx_queues() < n) {
        return "port " + opts.port + " offers " + std::to_string(p.tx_queues()) + " TX queues, --lcores needs " +
               std::to_string(n);
    }
    bool rss_spreads_flows = p.rss() && p.queues() >= n;
    for (uint16_t i = 0; i < n; ++i) {
        engine::engine_settings s;
        s.ip = opts.ip;
        s.prefix = opts.prefix;
        s.gateway = opts.gateway;
        s.max_connections = opts.max_connections;
        s.send_buffer = opts.tcp.send_buffer;
        s.receive_buffer = opts.tcp.receive_buffer;
        s.queue = i;
        s.poll_rx = i < p.queues();
        s.mailboxes = grid;
        s.dispatch_tcp = grid != nullptr && !rss_spreads_flows;
        s.pcap = pcap;
        s.fault = opts.fault;
        lcore_context& l = lcores[i];
        l.clock = &clock;
        l.handler = std::make_unique<app::server_handler>(opts, opts.max_connections);
        std::string error;
        l.engine = engine::engine::create(p, s, *l.handler, error);
        if (!l.engine) return error;
        if (!l.engine->listen(opts.listen, opts.tcp, error)) return "--listen: " + error;
    }
    return {};
}

// Frames still in the mailboxes when the lcores stop.
void drain(engine::mailbox_grid& grid) {
    for (uint16_t from = 0; from < grid.lcores(); ++from) {
        for (uint16_t to = 0; to < grid.lcores(); ++to) {
            grid.between(from, to).consume_all([](rte_mbuf* m) { rte_pktmbuf_free(m); });
        }
    }
}

int run(const app::server_options& opts, const port::port_spec& spec) {
    std::string error;
    std::unique_ptr<port::port> p =
        port::port::open(spec, 0, port::port_settings{.rx_queues = opts.lcores, .tx_queues = opts.lcores}, error);
    if (!p) return fail(1, error);
    if (spec.type == port::port_spec::kind::tap && opts.kernel_ip) {
        error = port::configure_kernel_interface(spec.name, *opts.kernel_ip, opts.kernel_prefix);
        if (!error.empty()) return fail(1, error);
    }
    std::unique_ptr<port::capture> pcap;
    if (!opts.pcap.empty() && !(pcap = port::capture::open(opts.pcap, p->id(), error))) return fail(1, error);
    std::unique_ptr<engine::mailbox_grid> grid;
    if (opts.lcores > 1) grid = std::make_unique<engine::mailbox_grid>(opts.lcores);
    tsc_clock clock;
    std::vector<lcore_context> lcores(opts.lcores);
    if (error = start_engines(opts, *p, pcap.get(), grid.get(), lcores, clock); !error.empty()) return fail(1, error);

    std::signal(SIGINT, request_stop);
    std::signal(SIGTERM, request_stop);
    if (!opts.quiet) {
        std::printf("fptcp-server: %s mode on %s:%u via %s, %u lcore%s\n", app::mode_name(opts.mode).data(),
                    app::format_ipv4(opts.ip).c_str(), opts.listen, opts.port.c_str(), opts.lcores,
                    opts.lcores == 1 ? "" : "s");
        if (opts.fault.rx.any() || opts.fault.tx.any()) print_faults(opts.fault);
        std::fflush(stdout);
    }
    unsigned worker = 1;
    unsigned lcore_id;
    RTE_LCORE_FOREACH_WORKER(lcore_id) {
        if (worker < lcores.size()) rte_eal_remote_launch(worker_loop, &lcores[worker++], lcore_id);
    }
    main_loop(opts, lcores, clock);
    port::port_counters port = p->counters();  // read once: tx_unsent asks the kernel
    print_summary(lcores, port, pcap.get());
    if (!opts.stats_json.empty()) write_json(opts.stats_json, lcores, port);
    if (grid) drain(*grid);
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
    if (opts.lcores > 1 && !opts.pcap.empty()) return fail(2, "--pcap: capturing needs --lcores 1");

    port::eal_settings eal;
    eal.ports.push_back(*spec);
    eal.lcores = opts.lcores == 1 ? "0" : "0-" + std::to_string(opts.lcores - 1);
    eal.queues = opts.lcores;
    eal.passthrough = opts.eal;
    if (error = port::start_eal(eal, argv[0]); !error.empty()) return fail(1, error);
    int code = run(opts, *spec);
    port::stop_eal();
    return code;
}
