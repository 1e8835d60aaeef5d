#pragma once
// What differs between the kinds of port (docs/ports.md): one entry per
// kind, each in its own file (kind_tap.cc, kind_af_packet.cc, kind_memif.cc,
// kind_ring.cc, kind_pci.cc), found through one table (port_kind.cc). The
// spec parser, the EAL arguments, the privilege and target checks and
// port::open ask the entry instead of switching over the kind.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "port/port.hh"
#include "port/port_spec.hh"

namespace fptcp::port {

struct port_kind {
    port_spec::kind type;
    std::string_view prefix;  // "tap" of "tap:NAME"
    // Fills `spec` from what follows "PREFIX:", or says in `error` what is wrong.
    bool (*parse)(std::string_view rest, port_spec& spec, std::string& error);
    // The EAL arguments port number `index` adds: {"--vdev", ...}, {"-a", BDF}
    // or none; a virtual device's buffers hold frames of `mtu` (0: 1500).
    std::vector<std::string> (*eal_arguments)(const port_spec& spec, unsigned index, uint16_t queues, uint16_t mtu);
    // The ethdev name port::open looks up (ring: that of side `ring_side`).
    std::string (*ethdev_name)(const port_spec& spec, unsigned index, unsigned ring_side);
    // Empty when a process with these effective capabilities may open it,
    // else the missing privilege.
    std::string (*privilege_problem)(const port_spec& spec, uint64_t capabilities);
    // Empty when what the spec names exists, else what is missing.
    std::string (*target_problem)(const port_spec& spec);
    // The ethdev of port number `index` (ring: created, and its side set);
    // nullopt and `error` when there is none.
    std::optional<uint16_t> (*find_device)(const port_spec& spec, unsigned index, const port_settings& settings,
                                           int& ring_side, std::string& error);
    // The kernel hands the port only frames for it (tap, af_packet): leave
    // its interface's promiscuous mode as the user set it.
    bool kernel_backed;
};

extern const port_kind tap_kind;
extern const port_kind af_packet_kind;
extern const port_kind memif_kind;
extern const port_kind ring_kind;
extern const port_kind pci_kind;

const port_kind& kind_of(port_spec::kind type);
// nullptr for an unknown prefix.
const port_kind* kind_named(std::string_view prefix);

// Helpers the kinds share.
inline constexpr unsigned cap_net_admin = 12;  // linux/capability.h
inline constexpr unsigned cap_net_raw = 13;
inline bool has_capability(uint64_t capabilities, unsigned cap) { return (capabilities >> cap & 1U) != 0; }
// A Linux interface name (dev_valid_name(), and no ',' or '=' for devargs).
bool check_ifname(std::string_view name, std::string& error);
// A spec whose name is an interface's (tap, af_packet).
bool parse_ifname(std::string_view rest, port_spec& spec, std::string& error);
// A virtual device the EAL created from its --vdev argument, by ethdev name.
std::optional<uint16_t> find_vdev(const port_spec& spec, unsigned index, const port_settings& settings, int& ring_side,
                                  std::string& error);
std::string no_privilege_needed(const port_spec& spec, uint64_t capabilities);
std::string no_target_to_check(const port_spec& spec);
// ring: frees what is in flight on the link (frames that may come from the
// closing side's pool); the last side out frees the rings.
void close_ring_port(const std::string& link_name, int side);
// rte_strerror of a DPDK return value or rte_errno.
std::string describe_rte_error(int ret);

}  // namespace fptcp::port
