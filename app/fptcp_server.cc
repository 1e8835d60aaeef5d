// fptcp-server: a standalone server on the fptcp stack. With no arguments it
// creates the TAP interface fptcp0, gives the kernel side 10.70.0.1/24, and
// serves HTTP on 10.70.0.2:80, so that `curl http://10.70.0.2/` works from
// the same machine. `fptcp-server --help` lists the options.
//
// One engine per lcore (--lcores N): lcore 0 is the main thread (it also
// prints the status line), the others are EAL workers.

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "fptcp/fptcp.hh"
#include "server_handler.hh"
#include "server_options.hh"

namespace {

using namespace fptcp;

int fail(int code, const std::string& message) {
    std::fprintf(stderr, "fptcp-server: %s\n", message.c_str());
    return code;
}

// The live line, once a second (app/README.md, "The status line"): rates
// over the last second, then levels, then each lcore's busy share.
void print_status(double seconds, const stats& now, const stats& before, uint64_t requests, const runtime& rt) {
    auto delta = [&](counter c) { return now[c] - before[c]; };
    auto gbit = [&](counter bytes) { return static_cast<double>(delta(bytes)) * 8 / 1e9; };
    std::printf("t=%.0fs conn/s=%lu req/s=%lu active=%lu time_wait=%lu rx_pps=%lu tx_pps=%lu rx_Gbit/s=%.3f "
                "tx_Gbit/s=%.3f retrans=%lu drops=%lu suspect_drops=%lu busy=",
                seconds, delta(counter::connections_opened), requests, now[counter::active],
                now[counter::time_wait], delta(counter::rx_packets), delta(counter::tx_packets),
                gbit(counter::rx_bytes), gbit(counter::tx_bytes), delta(counter::retransmits),
                now.drops() - before.drops(), now.suspect_drops() - before.suspect_drops());
    for (uint16_t l = 0; l < rt.lcores(); ++l) std::printf("%s%.0f%%", l == 0 ? "" : ",", rt.load(l).busy_percent);
    std::printf("\n");
    std::fflush(stdout);
}

// What the summary and the JSON show, in their order; `handlers` are the
// handlers' own counts.
template <class Print>
void for_each_total(const stats& sum, const app::handler_counts& handlers, Print print) {
    for (counter c : {counter::connections_opened, counter::connections_closed, counter::time_wait_reaped,
                      counter::time_wait_reopened, counter::time_wait, counter::active}) {
        print(stats::names()[static_cast<std::size_t>(c)], sum[c]);
    }
    print("requests", handlers.requests);
    print("header_timeouts", handlers.header_timeouts);
    print("keepalive_timeouts", handlers.keepalive_timeouts);
    for (counter c : {counter::rx_packets, counter::tx_packets, counter::rx_bytes, counter::tx_bytes,
                      counter::retransmits}) {
        print(stats::names()[static_cast<std::size_t>(c)], sum[c]);
    }
    print("drops", sum.drops());
    print("suspect_drops", sum.suspect_drops());
    for (counter c : {counter::timeouts, counter::fast_recoveries, counter::loss_probes}) {
        print(stats::names()[static_cast<std::size_t>(c)], sum[c]);
    }
    for (counter c = counter::fault_rx_dropped; c < counter::count_; c = static_cast<counter>(static_cast<int>(c) + 1)) {
        print(stats::names()[static_cast<std::size_t>(c)], sum[c]);
    }
}

// The run's length and its mean rates, after the totals.
template <class Print>
void for_each_rate(double seconds, const stats& sum, const app::handler_counts& handlers, Print print) {
    auto per_second = [seconds](uint64_t n) { return seconds > 0 ? static_cast<double>(n) / seconds : 0.0; };
    print("elapsed_s", seconds);
    print("conn_per_s", per_second(sum[counter::connections_opened]));
    print("req_per_s", per_second(handlers.requests));
    print("rx_Gbit_per_s", per_second(sum[counter::rx_bytes]) * 8 / 1e9);
    print("tx_Gbit_per_s", per_second(sum[counter::tx_bytes]) * 8 / 1e9);
}

// The counters of one kind (states, drops) that are not zero.
template <class Print>
void for_each_nonzero(const stats& sum, bool (*kind)(std::size_t), Print print) {
    for (std::size_t i = 0; i < sum.values().size(); ++i) {
        if (kind(i) && sum.values()[i] != 0) print(stats::names()[i], sum.values()[i]);
    }
}

// What the port's driver dropped before any stack saw it: frames too long
// for an mbuf (a TAP's), a full RX ring, no free mbuf; and frames it took
// that never reached the interface (af_packet only, else 0).
template <class Print>
void for_each_port_drop(const port_stats& c, Print print) {
    print("port_rx_errors", c.rx_errors);
    print("port_rx_missed", c.rx_missed);
    print("port_rx_no_mbuf", c.rx_no_mbuf);
    print("port_tx_unsent", c.tx_unsent);
}

// With --pcap: frames written, and frames the capture could not copy or
// write (missing from the file).
void print_summary(double seconds, const stats& sum, const app::handler_counts& handlers, const port_stats& port,
                   bool pcap) {
    auto line = [](std::string_view name, uint64_t v) {
        std::printf("%.*s: %lu\n", static_cast<int>(name.size()), name.data(), v);
    };
    auto rate = [](std::string_view name, double v) {
        std::printf("%.*s: %.3f\n", static_cast<int>(name.size()), name.data(), v);
    };
    std::printf("fptcp-server: summary\n");
    for_each_total(sum, handlers, line);
    for_each_rate(seconds, sum, handlers, rate);
    for_each_nonzero(sum, stats::is_state, line);
    for_each_port_drop(port, line);
    for_each_nonzero(sum, stats::is_drop, line);
    if (pcap) {
        line("capture_written", port.capture_written);
        line("capture_missed", port.capture_missed);
    }
    std::fflush(stdout);
}

void write_json(const std::string& path, double seconds, const stats& sum, const app::handler_counts& handlers,
                const port_stats& port, uint16_t lcores) {
    std::ofstream out(path);
    const char* separator = "{";
    auto field = [&](std::string_view name, auto v) {
        out << separator << "\"" << name << "\": " << v;
        separator = ", ";
    };
    // Every counter by name (stats::names(): the named ones, each drop
    // reason, each state), zero or not, then what the summary adds.
    for (std::size_t i = 0; i < sum.values().size(); ++i) field(stats::names()[i], sum.values()[i]);
    field("drops", sum.drops());
    field("suspect_drops", sum.suspect_drops());
    field("requests", handlers.requests);
    field("header_timeouts", handlers.header_timeouts);
    field("keepalive_timeouts", handlers.keepalive_timeouts);
    for_each_rate(seconds, sum, handlers, field);
    for_each_port_drop(port, field);
    out << ", \"lcores\": " << lcores << "}\n";
}

void print_faults(const fault_settings& f) {
    auto pct = [](uint32_t ppm) { return static_cast<double>(ppm) / 1e4; };
    std::printf("fptcp-server: fault injection, seed %lu: rx drop=%g%% dup=%g%% reorder=%g%%, tx drop=%g%% dup=%g%% "
                "reorder=%g%%\n",
                f.seed, pct(f.rx.drop), pct(f.rx.duplicate), pct(f.rx.reorder), pct(f.tx.drop), pct(f.tx.duplicate),
                pct(f.tx.reorder));
}

runtime_settings runtime_settings_of(const app::server_options& opts) {
    runtime_settings r;
    r.port = opts.port;
    r.cpus = !opts.cpus.empty() ? opts.cpus : opts.lcores == 1 ? "0" : "0-" + std::to_string(opts.lcores - 1);
    r.eal = opts.eal;
    r.kernel_ip = opts.kernel_ip;
    r.kernel_prefix = opts.kernel_prefix;
    r.pcap = opts.pcap;
    r.stack.ip = opts.ip;
    r.stack.prefix = opts.prefix;
    r.stack.gateway = opts.gateway;
    r.stack.max_connections = opts.max_connections;
    r.mtu = opts.mtu;
    r.stack.tcp = opts.tcp;
    r.stack.fault = opts.fault;
    return r;
}

// Lcore 0's tick: the status line once a second, and the end of --duration.
class status_ticker {
public:
    status_ticker(runtime& rt, const app::server_options& opts,
                  const std::vector<std::unique_ptr<app::server_handler>>& handlers)
        : _rt(rt), _handlers(handlers), _quiet(opts.quiet),
          _end(opts.duration_s == 0 ? time_point::max() : time_point(std::chrono::seconds(opts.duration_s))) {}

    void operator()(uint16_t lcore, time_point now) {
        if (lcore != 0) return;
        if (now >= _end) _rt.stop();
        if (now < _next_status) return;
        stats total = _rt.published_total();
        uint64_t requests = 0;
        for (const auto& h : _handlers) requests += h->requests_published();
        if (!_quiet) {
            print_status(std::chrono::duration<double>(now.time_since_epoch()).count(), total, _before,
                         requests - _requests_before, _rt);
        }
        _before = std::move(total);
        _requests_before = requests;
        _next_status += std::chrono::seconds(1);
    }

private:
    runtime& _rt;
    const std::vector<std::unique_ptr<app::server_handler>>& _handlers;
    bool _quiet;
    time_point _end;
    time_point _next_status = time_point(std::chrono::seconds(1));
    stats _before;
    uint64_t _requests_before = 0;
};

int run(const app::server_options& opts, runtime& rt) {
    std::vector<std::unique_ptr<app::server_handler>> handlers;
    for (uint16_t i = 0; i < rt.lcores(); ++i) {
        auto& h = *handlers.emplace_back(app::server_handler::create(opts, opts.max_connections));
        std::string error;
        stack* s = rt.create_stack(i, h, error);
        if (s == nullptr) return fail(1, error);
        if (!s->listen(opts.listen, error)) return fail(1, "--listen: " + error);
    }
    if (!opts.quiet) {
        std::printf("fptcp-server: %s mode on %s:%u via %s, %u lcore%s\n", app::mode_name(opts.mode).data(),
                    app::format_ipv4(opts.ip).c_str(), opts.listen, opts.port.c_str(), opts.lcores,
                    opts.lcores == 1 ? "" : "s");
        if (opts.fault.rx.any() || opts.fault.tx.any()) print_faults(opts.fault);
        std::fflush(stdout);
    }
    status_ticker status(rt, opts, handlers);
    rt.run([&](uint16_t lcore, time_point now) {
        handlers[lcore]->on_tick(now);
        status(lcore, now);
    });
    stats sum = rt.published_total();
    app::handler_counts counts;
    for (const auto& h : handlers) counts += h->counts();
    port_stats port = rt.port_counters();  // read once: tx_unsent asks the kernel
    double seconds = std::chrono::duration<double>(rt.now().time_since_epoch()).count();
    print_summary(seconds, sum, counts, port, !opts.pcap.empty());
    if (!opts.stats_json.empty()) write_json(opts.stats_json, seconds, sum, counts, port, rt.lcores());
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
    set_log_level(opts.log_level);
    std::string error;
    if (error = runtime::check(runtime_settings_of(opts)); !error.empty()) return fail(2, app::with_option_names(error));
    std::unique_ptr<runtime> rt = runtime::start(runtime_settings_of(opts), argv[0], error);
    if (!rt) return fail(1, app::with_option_names(error));
    return run(opts, *rt);
}
