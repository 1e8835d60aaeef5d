// pci:BDF: a NIC bound to vfio-pci (docs/ports.md, "Real NICs").
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>

#include "port/port_kind.hh"

namespace fptcp::port {

namespace {

// Parses `digits` hexadecimal digits at `text[pos]`; false unless all are hex.
bool hex_field(std::string_view text, std::size_t pos, std::size_t digits, unsigned& value) {
    if (pos + digits > text.size()) {
        return false;
    }
    value = 0;
    for (std::size_t i = pos; i < pos + digits; ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        if (std::isxdigit(c) == 0) {
            return false;
        }
        value = value * 16 + static_cast<unsigned>(std::isdigit(c) != 0 ? c - '0' : std::tolower(c) - 'a' + 10);
    }
    return true;
}

// DDDD:BB:DD.F or BB:DD.F (domain 0); device <= 0x1f, function <= 7.
std::optional<std::string> normalise_bdf(std::string_view bdf) {
    std::string full = bdf.size() == 7 ? "0000:" + std::string(bdf) : std::string(bdf);
    unsigned domain = 0;
    unsigned bus = 0;
    unsigned device = 0;
    unsigned function = 0;
    if (full.size() != 12 || full[4] != ':' || full[7] != ':' || full[10] != '.' || !hex_field(full, 0, 4, domain) ||
        !hex_field(full, 5, 2, bus) || !hex_field(full, 8, 2, device) || !hex_field(full, 11, 1, function) ||
        device > 0x1f || function > 7) {
        return std::nullopt;
    }
    for (char& c : full) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return full;
}

bool parse(std::string_view rest, port_spec& spec, std::string& error) {
    if (rest.empty()) {
        error = "missing PCI address";
        return false;
    }
    auto bdf = normalise_bdf(rest);
    if (!bdf) {
        error = "'" + std::string(rest) + "' is not a PCI address (DDDD:BB:DD.F or BB:DD.F)";
        return false;
    }
    spec.name = *bdf;
    return true;
}

std::vector<std::string> eal_arguments(const port_spec& spec, unsigned, uint16_t, uint16_t) { return {"-a", spec.name}; }

std::string pci_ethdev_name(const port_spec& spec, unsigned, unsigned) { return spec.name; }

std::string privilege_problem(const port_spec&, uint64_t) {
    if (::geteuid() == 0) return {};
    return "needs root to use a PCI device (vfio, hugepages)";
}

std::string target_problem(const port_spec& spec) {
    std::error_code ec;
    if (std::filesystem::exists("/sys/bus/pci/devices/" + spec.name, ec)) return {};
    return "no PCI device " + spec.name + " (lspci -D lists them)";
}

std::optional<uint16_t> find_device(const port_spec& spec, unsigned, const port_settings&, int&, std::string& error) {
    uint16_t id = 0;
    if (rte_eth_dev_get_port_by_name(spec.name.c_str(), &id) == 0) return id;
    // Some PMDs name their ethdevs differently (several ports per device):
    // take the first port whose rte_device is the BDF.
    RTE_ETH_FOREACH_DEV(id) {
        rte_eth_dev_info info{};
        if (rte_eth_dev_info_get(id, &info) == 0 && info.device != nullptr && spec.name == rte_dev_name(info.device)) {
            return id;
        }
    }
    error = "no DPDK port on " + spec.name + " (is it bound to vfio-pci? see docs/ports.md)";
    return std::nullopt;
}

}  // namespace

const port_kind pci_kind{
    .type = port_spec::kind::pci,
    .prefix = "pci",
    .parse = parse,
    .eal_arguments = eal_arguments,
    .ethdev_name = pci_ethdev_name,
    .privilege_problem = privilege_problem,
    .target_problem = target_problem,
    .find_device = find_device,
    .kernel_backed = false,
};

}  // namespace fptcp::port
