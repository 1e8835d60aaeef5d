// DPDK telemetry commands under /fptcp/ (docs/api.md, "Telemetry"). Any
// client of the EAL's telemetry socket reads a running runtime's counters
// (/var/run/dpdk/<file prefix>/dpdk_telemetry.v2; Debian's dpdk package
// ships dpdk-telemetry.py): the counters the lcores publish once a second,
// so the callbacks, on DPDK's telemetry thread, touch nothing an lcore owns.

#include "telemetry.hh"

#include <rte_telemetry.h>

#include <cmath>
#include <mutex>
#include <string>

#include "fptcp/stack.hh"

namespace fptcp {

namespace {

// The runtime the commands describe, or none; the mutex keeps a command
// from running while the runtime goes away (never on the packet path).
std::mutex attached_mutex;
const runtime* attached = nullptr;

// Runs `fill` on the attached runtime; -1 (DPDK's "failed") without one.
template <class Fill>
int with_runtime(rte_tel_data* d, Fill fill) {
    std::lock_guard lock(attached_mutex);
    if (attached == nullptr) return -1;
    rte_tel_data_start_dict(d);
    fill(*attached, d);
    return 0;
}

// The published counters, summed over lcores, for which `kind(i)` holds.
int counters(rte_tel_data* d, bool (*kind)(std::size_t)) {
    return with_runtime(d, [kind](const runtime& rt, rte_tel_data* out) {
        stats total = rt.published_total();
        for (std::size_t i = 0; i < total.values().size(); ++i) {
            if (kind(i)) rte_tel_data_add_dict_u64(out, std::string(stats::names()[i]).c_str(), total.values()[i]);
        }
    });
}

bool any(std::size_t) { return true; }

int stats_cmd(const char*, const char*, rte_tel_data* d) { return counters(d, any); }
int drops_cmd(const char*, const char*, rte_tel_data* d) { return counters(d, stats::is_drop); }
int states_cmd(const char*, const char*, rte_tel_data* d) { return counters(d, stats::is_state); }

// Per lcore: busy share (percent, rounded), frames per second in and out,
// open connections.
int lcores_cmd(const char*, const char*, rte_tel_data* d) {
    return with_runtime(d, [](const runtime& rt, rte_tel_data* out) {
        for (uint16_t l = 0; l < rt.lcores(); ++l) {
            rte_tel_data* one = rte_tel_data_alloc();
            if (one == nullptr) return;
            lcore_load load = rt.load(l);
            rte_tel_data_start_dict(one);
            rte_tel_data_add_dict_u64(one, "busy_percent", static_cast<uint64_t>(std::lround(load.busy_percent)));
            rte_tel_data_add_dict_u64(one, "rx_pps", load.rx_pps);
            rte_tel_data_add_dict_u64(one, "tx_pps", load.tx_pps);
            rte_tel_data_add_dict_u64(one, "active", rt.published(l)[counter::active]);
            rte_tel_data_add_dict_container(out, ("lcore_" + std::to_string(l)).c_str(), one, 0);
        }
    });
}

// Per lcore with a stack: the ports it listens on.
int listeners_cmd(const char*, const char*, rte_tel_data* d) {
    return with_runtime(d, [](const runtime& rt, rte_tel_data* out) {
        for (uint16_t l = 0; l < rt.lcores(); ++l) {
            const stack* s = rt.find_stack(l);
            if (s == nullptr) continue;
            rte_tel_data* ports = rte_tel_data_alloc();
            if (ports == nullptr) return;
            rte_tel_data_start_array(ports, RTE_TEL_U64_VAL);
            for (uint16_t p : s->listening()) rte_tel_data_add_array_u64(ports, p);
            rte_tel_data_add_dict_container(out, ("lcore_" + std::to_string(l)).c_str(), ports, 0);
        }
    });
}

// The port's own counters (runtime::port_counters: the driver's, and for
// af_packet the kernel's).
int port_cmd(const char*, const char*, rte_tel_data* d) {
    return with_runtime(d, [](const runtime& rt, rte_tel_data* out) {
        port_stats p = rt.port_counters();
        for (auto [name, value] : {std::pair{"rx_packets", p.rx_packets}, {"tx_packets", p.tx_packets},
                                   {"rx_bytes", p.rx_bytes}, {"tx_bytes", p.tx_bytes}, {"rx_errors", p.rx_errors},
                                   {"rx_missed", p.rx_missed}, {"rx_no_mbuf", p.rx_no_mbuf},
                                   {"tx_errors", p.tx_errors}, {"tx_unsent", p.tx_unsent},
                                   {"capture_written", p.capture_written}, {"capture_missed", p.capture_missed}}) {
            rte_tel_data_add_dict_u64(out, name, value);
        }
    });
}

struct command {
    const char* name;
    telemetry_cb callback;
    const char* help;
};

constexpr command commands[] = {
    {"/fptcp/stats", stats_cmd, "Every counter of fptcp's stacks, summed over lcores (published once a second)."},
    {"/fptcp/drops", drops_cmd, "fptcp's drops by reason, summed over lcores."},
    {"/fptcp/states", states_cmd, "fptcp's connections by TCP state, summed over lcores."},
    {"/fptcp/lcores", lcores_cmd, "Per lcore: busy percent, rx and tx packets per second, open connections."},
    {"/fptcp/listeners", listeners_cmd, "Per lcore: the TCP ports listened on."},
    {"/fptcp/port", port_cmd, "The port's own counters (driver and kernel)."},
};

}  // namespace

void attach_telemetry(const runtime& rt) {
    static const bool registered = [] {
        for (const command& c : commands) rte_telemetry_register_cmd(c.name, c.callback, c.help);
        return true;
    }();
    (void)registered;
    std::lock_guard lock(attached_mutex);
    attached = &rt;
}

void detach_telemetry(const runtime& rt) {
    std::lock_guard lock(attached_mutex);
    if (attached == &rt) attached = nullptr;
}

}  // namespace fptcp
