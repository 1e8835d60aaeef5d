// EAL start-up behind fptcp's own options.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "port/port_spec.hh"

namespace fptcp::port {

struct eal_settings {
    std::vector<port_spec> ports;  // index in this vector = index for port::open
    std::string lcores = "0";      // EAL -l list, e.g. "0-3"
    std::string file_prefix;       // empty: "fptcp-<pid>"
    std::string passthrough;       // --eal "..." from the user, split on spaces, appended last
    bool allow_hugepages = true;   // false forces --no-huge
    uint32_t memory_mb = 512;      // -m when running without hugepages
    uint16_t queues = 1;           // af_packet qpairs (other kinds size queues in port::open)
    uint16_t mtu = 0;              // 0: 1500; else the virtual devices' buffers hold it
};

// True when some hugepage size has free pages
// (/sys/kernel/mm/hugepages/*/free_hugepages > 0).
bool hugepages_available();

// Empty when the process may open these ports, else one line saying which
// privilege is missing: tap needs CAP_NET_ADMIN, af_packet CAP_NET_RAW, pci
// root. ring and memif need nothing.
std::string check_port_privileges(const std::vector<port_spec>& ports);

// Empty when what each port names exists, else one line saying what is
// missing or wrong: an af_packet interface, a memif socket's directory, a
// PCI device, a tap name taken by an interface that is not a TAP or by the
// TAP of another process. Checked before the EAL starts, whose drivers would otherwise
// report it in several lines of their own.
std::string check_port_targets(const std::vector<port_spec>& ports);

// The argv given to rte_eal_init (argv[0] = program_name), without touching
// the system: `hugepages` says whether hugepages are used.
std::vector<std::string> eal_arguments(const eal_settings& settings, const char* program_name, bool hugepages);

// Starts the EAL once per process. Empty on success, else one line (bad
// arguments, missing privileges or targets, rte_strerror(rte_errno) of
// rte_eal_init).
// Without free hugepages, or with allow_hugepages false, runs with
// --no-huge -m memory_mb; the former prints a one-line warning on stderr.
std::string start_eal(const eal_settings& settings, const char* program_name);

// The CPU a second fptcp process on the same machine (fptcp-gen,
// fptcp-fetch) polls on by default: CPU 1 when the machine has two or more,
// so that it does not share CPU 0 with fptcp-server's first lcore. Two
// pollers time-sliced on one CPU are slow, and they expose a race in DPDK
// 22.11's memif PMD (docs/ports.md, "memif").
int default_peer_cpu();

// "" when the user's extra EAL arguments (eal_settings::passthrough) leave
// the CPUs alone (-l, --lcores, -c, --coremask: the runtime's cpus set
// them); else one line naming the argument.
std::string check_passthrough(const std::string& passthrough);

// rte_eal_cleanup(); call after every port is destroyed. (The runtime
// directory goes at exit.)
void stop_eal();

}  // namespace fptcp::port
