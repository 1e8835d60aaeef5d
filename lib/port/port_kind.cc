#include "port/port_kind.hh"

#include <rte_errno.h>
#include <rte_ethdev.h>

#include <array>
#include <cctype>

namespace fptcp::port {

namespace {

constexpr std::array<const port_kind*, 5> all_kinds{&tap_kind, &af_packet_kind, &memif_kind, &ring_kind, &pci_kind};

}  // namespace

const port_kind& kind_of(port_spec::kind type) {
    for (const port_kind* k : all_kinds) {
        if (k->type == type) return *k;
    }
    return tap_kind;  // unreachable: every kind has an entry (test PortSpec.EveryKindHasItsEntry)
}

const port_kind* kind_named(std::string_view prefix) {
    for (const port_kind* k : all_kinds) {
        if (k->prefix == prefix) return k;
    }
    return nullptr;
}

// Linux dev_valid_name(): not ".", "..", no '/', ':' or whitespace, at most
// IFNAMSIZ - 1 characters. ',' and '=' are refused as well because the name
// becomes an EAL devargs value.
bool check_ifname(std::string_view name, std::string& error) {
    if (name.empty()) {
        error = "missing interface name";
        return false;
    }
    if (name.size() > max_ifname_length) {
        error = "interface name '" + std::string(name) + "' is longer than 15 characters";
        return false;
    }
    if (name == "." || name == "..") {
        error = "'" + std::string(name) + "' is not a valid interface name";
        return false;
    }
    for (char c : name) {
        auto u = static_cast<unsigned char>(c);
        if (c == '/' || c == ':' || c == ',' || c == '=' || std::isspace(u) != 0 || std::isprint(u) == 0) {
            error = "interface name '" + std::string(name) + "' contains an invalid character";
            return false;
        }
    }
    return true;
}

bool parse_ifname(std::string_view rest, port_spec& spec, std::string& error) {
    if (!check_ifname(rest, error)) return false;
    spec.name = std::string(rest);
    return true;
}

std::optional<uint16_t> find_vdev(const port_spec& spec, unsigned index, const port_settings&, int&,
                                  std::string& error) {
    std::string name = kind_of(spec.type).ethdev_name(spec, index, 0);
    uint16_t found = 0;
    if (rte_eth_dev_get_port_by_name(name.c_str(), &found) == 0) return found;
    error = "no DPDK device " + name + " (the EAL did not create it; see its log above)";
    return std::nullopt;
}

std::string no_privilege_needed(const port_spec&, uint64_t) { return {}; }

std::string no_target_to_check(const port_spec&) { return {}; }

std::string describe_rte_error(int ret) { return rte_strerror(ret < 0 ? -ret : ret); }

}  // namespace fptcp::port
