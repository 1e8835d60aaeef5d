// lib/port: EAL start-up, port specs (tap:, af_packet:, memif:, ring:, pci:),
// mempools, queues, RSS and offloads. The only folder that includes
// rte_ethdev.h; see docs/ports.md for every port kind and how to run it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fptcp::port {

// One port as given on the command line or in a config file.
struct port_spec {
    enum class kind : uint8_t { tap, af_packet, memif, ring, pci };
    enum class memif_role : uint8_t { server, client };

    kind type = kind::tap;
    // tap: interface name; af_packet: interface; memif: socket path;
    // ring: link name (two ring ports on one name are wired back to back);
    // pci: BDF, normalised to the long form DDDD:BB:DD.F in lower case.
    std::string name;
    memif_role role = memif_role::client;  // memif only
};

// Longest kernel interface name: IFNAMSIZ - 1.
inline constexpr std::size_t max_ifname_length = 15;
// Longest ring link name: rte_eth_from_rings builds the ethdev name
// "net_ring_NAME_S" in a RTE_RING_NAMESIZE buffer (28 characters usable).
inline constexpr std::size_t max_ring_name_length = 17;
// Longest memif socket path (sun_path is 108 bytes with the terminator).
inline constexpr std::size_t max_socket_path_length = 107;

// Parses `tap:NAME`, `af_packet:IFACE`, `memif:SOCKET[,role=server|client]`,
// `ring:NAME`, `pci:BDF`. On failure returns nullopt and sets `error` to one
// line naming the problem.
std::optional<port_spec> parse_port_spec(std::string_view text, std::string& error);

// "tap", "af_packet", ...: the prefix accepted by parse_port_spec.
std::string_view kind_name(port_spec::kind k);

// The spec written back in the form parse_port_spec accepts.
std::string to_string(const port_spec& spec);

// The EAL --vdev value for port number `index` (its position in the port
// list given to start_eal), e.g. "net_tap0,iface=fptcp0,mac=fixed".
// Empty for ring (created at port::open with rte_eth_from_rings) and pci
// (not a virtual device; see eal_port_arguments). `queues` sets af_packet's
// qpairs; the other kinds create their queues at configure time.
std::string vdev_argument(const port_spec& spec, unsigned index, uint16_t queues = 1, uint16_t mtu = 0);

// The EAL arguments this port adds: {"--vdev", ...}, {"-a", BDF} or nothing;
// with an `mtu` (0: the default 1500), the virtual devices' buffers fit it.
std::vector<std::string> eal_port_arguments(const port_spec& spec, unsigned index, uint16_t queues = 1,
                                            uint16_t mtu = 0);

// The ethdev name port::open looks up: "net_tap0", "net_af_packet1",
// "net_memif2", the BDF for pci. For ring, the name of side `ring_side`
// (0 or 1) of the link: "net_ring_NAME_0".
std::string ethdev_name(const port_spec& spec, unsigned index, unsigned ring_side = 0);

}  // namespace fptcp::port
