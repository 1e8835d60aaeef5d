// memif:SOCKET[,role=server|client]: shared memory with another process on
// this machine (DPDK's net_memif), e.g. fptcp-gen against fptcp-server.
#include <filesystem>

#include <rte_ether.h>

#include "port/port_kind.hh"

namespace fptcp::port {

namespace {

bool parse(std::string_view rest, port_spec& spec, std::string& error) {
    auto comma = rest.find(',');
    std::string_view path = rest.substr(0, comma);
    if (path.empty()) {
        error = "missing memif socket path";
        return false;
    }
    if (path.size() > max_socket_path_length) {
        error = "memif socket path is longer than 107 characters";
        return false;
    }
    if (path.find('=') != std::string_view::npos) {
        error = "memif socket path '" + std::string(path) + "' contains '='";
        return false;
    }
    spec.name = std::string(path);
    bool role_seen = false;
    while (comma != std::string_view::npos) {
        rest = rest.substr(comma + 1);
        comma = rest.find(',');
        std::string_view option = rest.substr(0, comma);
        if (option == "role=server" || option == "role=client") {
            if (role_seen) {
                error = "memif role given twice";
                return false;
            }
            role_seen = true;
            spec.role = option == "role=server" ? port_spec::memif_role::server : port_spec::memif_role::client;
        } else if (option.starts_with("role=")) {
            error = "memif role '" + std::string(option.substr(5)) + "' is neither server nor client";
            return false;
        } else {
            error = "unknown memif option '" + std::string(option) + "' (only role=server|client)";
            return false;
        }
    }
    return true;
}

std::string memif_ethdev_name(const port_spec&, unsigned index, unsigned) { return "net_memif" + std::to_string(index); }

// socket-abstract=no: the socket is the file the user named (22.11 defaults
// to the abstract namespace). id=0 pairs the two ends; zero-copy=no keeps
// copies into memif's own shared buffers, which works without hugepages;
// bsize 2048 holds a 1514-byte frame, and a buffer as large as an mbuf's
// data room a jumbo one (both ends must agree on the MTU).
std::vector<std::string> eal_arguments(const port_spec& spec, unsigned index, uint16_t, uint16_t mtu) {
    unsigned bsize = mtu > RTE_ETHER_MTU ? jumbo_buffer : 2048;
    return {"--vdev", memif_ethdev_name(spec, index, 0) + ",socket=" + spec.name + ",socket-abstract=no,id=0,role=" +
                          (spec.role == port_spec::memif_role::server ? "server" : "client") +
                          ",zero-copy=no,bsize=" + std::to_string(bsize) + ",rsize=10"};
}

std::string target_problem(const port_spec& spec) {
    std::error_code ec;
    std::filesystem::path directory = std::filesystem::path(spec.name).parent_path();
    if (directory.empty() || std::filesystem::is_directory(directory, ec)) return {};
    return "the socket's directory '" + directory.string() + "' does not exist";
}

}  // namespace

const port_kind memif_kind{
    .type = port_spec::kind::memif,
    .prefix = "memif",
    .parse = parse,
    .eal_arguments = eal_arguments,
    .ethdev_name = memif_ethdev_name,
    .privilege_problem = no_privilege_needed,
    .target_problem = target_problem,
    .find_device = find_vdev,
    .kernel_backed = false,
};

}  // namespace fptcp::port
