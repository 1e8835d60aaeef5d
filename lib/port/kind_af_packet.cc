// af_packet:IFACE: a packet socket on a Linux interface (DPDK's
// net_af_packet), a veth end for instance.
#include <rte_ether.h>
#include <net/if.h>

#include "port/port_kind.hh"

namespace fptcp::port {

namespace {

std::string af_packet_ethdev_name(const port_spec&, unsigned index, unsigned) {
    return "net_af_packet" + std::to_string(index);
}

// PACKET_MMAP ring: a 2048-byte frame holds the tpacket2 header and
// sockaddr_ll (~52 bytes) plus a 1514-byte frame with room to spare;
// 4096-byte blocks (one page) hold two frames; 4096 frames per queue (8 MiB
// per direction) absorb bursts larger than one 1024-entry descriptor ring.
// For jumbo frames (an MTU above 1500), frames of jumbo_buffer (10 KiB),
// two to a 20 KiB block, 1024 of them (10 MiB per direction).
// framecnt * framesz must be a multiple of blocksz.
std::vector<std::string> eal_arguments(const port_spec& spec, unsigned index, uint16_t queues, uint16_t mtu) {
    std::string ring = mtu > RTE_ETHER_MTU ? ",blocksz=" + std::to_string(2 * jumbo_buffer) + ",framesz=" +
                                                 std::to_string(jumbo_buffer) + ",framecnt=1024"
                                           : ",blocksz=4096,framesz=2048,framecnt=4096";
    return {"--vdev", af_packet_ethdev_name(spec, index, 0) + ",iface=" + spec.name +
                          ",qpairs=" + std::to_string(queues == 0 ? 1 : queues) + ring + ",qdisc_bypass=0"};
}

std::string privilege_problem(const port_spec&, uint64_t capabilities) {
    if (has_capability(capabilities, cap_net_raw)) return {};
    return "needs root (CAP_NET_RAW) to open a packet socket";
}

std::string target_problem(const port_spec& spec) {
    if (::if_nametoindex(spec.name.c_str()) != 0) return {};
    return "no network interface '" + spec.name + "' (ip link lists them)";
}

}  // namespace

const port_kind af_packet_kind{
    .type = port_spec::kind::af_packet,
    .prefix = "af_packet",
    .parse = parse_ifname,
    .eal_arguments = eal_arguments,
    .ethdev_name = af_packet_ethdev_name,
    .privilege_problem = privilege_problem,
    .target_problem = target_problem,
    .find_device = find_vdev,
    .kernel_backed = true,
};

}  // namespace fptcp::port
