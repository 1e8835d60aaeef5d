// tap:NAME: a TAP interface the kernel sees (DPDK's net_tap).
#include <filesystem>
#include <fstream>

#include "port/port_kind.hh"

namespace fptcp::port {

namespace {

std::string tap_ethdev_name(const port_spec&, unsigned index, unsigned) { return "net_tap" + std::to_string(index); }

// mac=fixed gives 02:64:74:61:70:<n>, the same on every run, so the kernel's
// neighbour entry for fptcp stays valid across restarts.
std::vector<std::string> eal_arguments(const port_spec& spec, unsigned index, uint16_t, uint16_t) {
    return {"--vdev", tap_ethdev_name(spec, index, 0) + ",iface=" + spec.name + ",mac=fixed"};
}

std::string privilege_problem(const port_spec&, uint64_t capabilities) {
    if (has_capability(capabilities, cap_net_admin)) return {};
    return "needs root (CAP_NET_ADMIN) to create a TAP interface";
}

// An interface NAME that exists already. The TAP PMD creates the interface,
// or attaches to a TAP of that name: to a persistent one (`ip tuntap add`) as
// the user meant, but also, as one more queue, to the TAP of another running
// process, which would then get half of the traffic. Any other kind of
// interface makes the PMD fail.
std::string target_problem(const port_spec& spec) {
    constexpr unsigned long iff_persist = 0x0800;  // linux/if_tun.h
    std::string dir = "/sys/class/net/" + spec.name;
    std::error_code ec;
    if (!std::filesystem::exists(dir, ec)) return {};
    std::ifstream flags_file(dir + "/tun_flags");
    unsigned long flags = 0;
    if (!(flags_file >> std::hex >> flags)) return "'" + spec.name + "' exists and is not a TAP interface";
    if ((flags & iff_persist) == 0) {
        return "the TAP interface '" + spec.name + "' is in use by another process (another fptcp-server?)";
    }
    return {};
}

}  // namespace

const port_kind tap_kind{
    .type = port_spec::kind::tap,
    .prefix = "tap",
    .parse = parse_ifname,
    .eal_arguments = eal_arguments,
    .ethdev_name = tap_ethdev_name,
    .privilege_problem = privilege_problem,
    .target_problem = target_problem,
    .find_device = find_vdev,
    .kernel_backed = true,
};

}  // namespace fptcp::port
