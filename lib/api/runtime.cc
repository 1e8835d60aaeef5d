#include "fptcp/runtime.hh"

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <atomic>
#include <csignal>

#include "engine/engine.hh"
#include "fptcp/cpu_list.hh"
#include "fptcp/log.hh"
#include "engine/mailbox.hh"
#include "port/capture.hh"
#include "port/eal.hh"
#include "port/kernel_interface.hh"
#include "port/port.hh"
#include "runtime_impl.hh"
#include "stack_impl.hh"
#include "telemetry.hh"

namespace fptcp {

static_assert(max_cpus == RTE_MAX_LCORE, "fptcp/cpu_list.hh: max_cpus must be this DPDK's RTE_MAX_LCORE");

namespace {

volatile std::sig_atomic_t signalled = 0;
void on_signal(int) { signalled = 1; }

}  // namespace

bool runtime::impl::stopping() const { return stop_requested.load(std::memory_order_relaxed) || signalled != 0; }

runtime::runtime(std::unique_ptr<impl> i) : _impl(std::move(i)) {
    _stacks.resize(_impl->lcores);
    attach_telemetry(*this);
}

runtime::~runtime() {
    detach_telemetry(*this);
    _stacks.clear();  // the engines free their mbufs while the port's pool exists
}

std::string runtime::check(const runtime_settings& s) {
    std::string error;
    if (!port::parse_port_spec(s.port, error)) return "port: " + error;
    std::optional<std::vector<unsigned>> cpus = parse_cpu_list(s.cpus, error);
    if (!cpus) return "cpus: " + error;
    if (cpus->size() > 1 && !s.pcap.empty()) return "pcap: capturing needs one lcore";
    if (std::string problem = port::check_passthrough(s.eal); !problem.empty()) return "eal: " + problem;
    if (s.mtu != 0 && (s.mtu < 576 || s.mtu > port::max_mtu)) {
        return "mtu: " + std::to_string(s.mtu) + " is outside 576-" + std::to_string(port::max_mtu);
    }
    if (s.kernel_ip && s.kernel_prefix > 32) return "kernel_prefix: above 32";
    return {};
}

std::unique_ptr<runtime> runtime::start(const runtime_settings& settings, const char* program_name,
                                        std::string& error) {
    if (error = check(settings); !error.empty()) return nullptr;
    std::optional<port::port_spec> spec = port::parse_port_spec(settings.port, error);
    auto lcores = static_cast<uint16_t>(parse_cpu_list(settings.cpus, error)->size());

    port::eal_settings eal;
    eal.ports.push_back(*spec);
    eal.lcores = settings.cpus;
    eal.queues = lcores;
    eal.passthrough = settings.eal;
    eal.allow_hugepages = settings.allow_hugepages;
    eal.memory_mb = settings.memory_mb;
    eal.mtu = settings.mtu;
    if (error = port::start_eal(eal, program_name); !error.empty()) return nullptr;

    auto i = std::make_unique<impl>();  // from here, its destructor stops the EAL
    i->settings = settings;
    i->lcores = lcores;
    i->port_is_af_packet = spec->type == port::port_spec::kind::af_packet;
    i->published = std::vector<published_stats>(lcores);
    port::port_settings ps{.rx_queues = lcores, .tx_queues = lcores, .mbufs = settings.mbufs, .mtu = settings.mtu};
    if (!(i->port = port::port::open(*spec, 0, ps, error))) return nullptr;
    if (i->port->tx_queues() < lcores) {
        error = "port " + settings.port + " offers " + std::to_string(i->port->tx_queues()) + " TX queues, " +
                std::to_string(lcores) + " lcores need one each";
        return nullptr;
    }
    if (spec->type == port::port_spec::kind::tap && settings.kernel_ip) {
        error = port::configure_kernel_interface(spec->name, *settings.kernel_ip, settings.kernel_prefix);
        if (!error.empty()) return nullptr;
    }
    if (!settings.pcap.empty() && !(i->capture = port::capture::open(settings.pcap, i->port->id(), error))) {
        return nullptr;
    }
    if (lcores > 1) i->grid = std::make_unique<engine::mailbox_grid>(lcores);
    if (settings.stop_on_signal) {
        std::signal(SIGINT, on_signal);
        std::signal(SIGTERM, on_signal);
    }
    log(log_level::info, "port %s: %u queue pair%s, %s; %u lcore%s on CPU%s %s; telemetry: %s/dpdk_telemetry.v2",
        settings.port.c_str(), i->port->queues(), i->port->queues() == 1 ? "" : "s",
        i->port->rss() ? "RSS" : "no RSS", lcores, lcores == 1 ? "" : "s", lcores == 1 ? "" : "s",
        settings.cpus.c_str(), rte_eal_get_runtime_dir());
    return std::unique_ptr<runtime>(new runtime(std::move(i)));
}

uint16_t runtime::lcores() const { return _impl->lcores; }

stack* runtime::create_stack(uint16_t lcore, handler& h, std::string& error) {
    return create_stack(lcore, h, _impl->settings.stack, error);
}

stack* runtime::create_stack(uint16_t lcore, handler& h, const stack_settings& s, std::string& error) {
    if (lcore >= lcores() || _stacks[lcore]) {
        error = "lcore " + std::to_string(lcore) + ": no such lcore, or it has a stack already";
        return nullptr;
    }
    const port::port& p = *_impl->port;
    engine::engine_settings es;
    static_cast<stack_settings&>(es) = s;
    es.queue = lcore;
    es.poll_rx = lcore < p.queues();
    es.mailboxes = _impl->grid.get();
    // Software dispatch when the port does not spread flows over the lcores.
    es.dispatch_tcp = _impl->grid != nullptr && !(p.rss() && p.queues() >= lcores());
    es.pcap = _impl->capture.get();
    std::unique_ptr<engine::engine> e = engine::engine::create(*_impl->port, es, h, error);
    if (!e) return nullptr;
    _stacks[lcore] = stack::impl::wrap(std::move(e), s);
    return _stacks[lcore].get();
}

bool runtime::wait_for_link(unsigned timeout_ms) const { return _impl->port->wait_for_link(timeout_ms); }

std::string_view runtime::port_name() const { return _impl->port->name(); }

time_point runtime::now() const {
    return _impl->now();
}

uint64_t runtime::now_ns() const { return _impl->now_ns(); }

void runtime::run(const tick_function& tick) {
    std::vector<impl::lcore_run> runs(lcores());
    for (uint16_t l = 0; l < lcores(); ++l) runs[l] = {_impl.get(), _stacks[l].get(), l, &tick};
    uint16_t next = 1;
    unsigned lcore_id = 0;
    RTE_LCORE_FOREACH_WORKER(lcore_id) {
        if (next < lcores() && runs[next].s != nullptr) rte_eal_remote_launch(impl::launch, &runs[next], lcore_id);
        ++next;
    }
    if (runs[0].s != nullptr) _impl->loop(*runs[0].s, 0, tick);
    stop();
    rte_eal_mp_wait_lcore();
}

void runtime::stop() { _impl->stop_requested.store(true, std::memory_order_relaxed); }

bool runtime::stopping() const { return _impl->stopping(); }

stats runtime::published(uint16_t lcore) const {
    stats s;
    _impl->published.at(lcore).load(s);
    return s;
}

lcore_load runtime::load(uint16_t lcore) const { return _impl->published.at(lcore).load_of(); }

stats runtime::published_total() const {
    stats sum, one;
    for (const published_stats& p : _impl->published) {
        p.load(one);
        sum += one;
    }
    return sum;
}

port_stats runtime::port_counters() const {
    port::port_counters c = _impl->port->counters();
    port_stats s{.rx_packets = c.rx_packets,
                 .tx_packets = c.tx_packets,
                 .rx_bytes = c.rx_bytes,
                 .tx_bytes = c.tx_bytes,
                 .rx_errors = c.rx_errors,
                 .rx_missed = c.rx_missed,
                 .rx_no_mbuf = c.rx_no_mbuf,
                 .tx_errors = c.tx_errors,
                 .tx_unsent = c.tx_unsent};
    if (_impl->capture) {
        s.capture_written = _impl->capture->written();
        s.capture_missed = _impl->capture->missed();
    }
    return s;
}

int default_peer_cpu() { return port::default_peer_cpu(); }

}  // namespace fptcp
