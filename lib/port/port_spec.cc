#include "port/port_spec.hh"

#include "port/port_kind.hh"

namespace fptcp::port {

std::string_view kind_name(port_spec::kind k) { return kind_of(k).prefix; }

std::optional<port_spec> parse_port_spec(std::string_view text, std::string& error) {
    auto colon = text.find(':');
    if (colon == std::string_view::npos) {
        error = "port '" + std::string(text) + "' has no kind: use tap:NAME, af_packet:IFACE, memif:SOCKET, ring:NAME or pci:BDF";
        return std::nullopt;
    }
    std::string_view prefix = text.substr(0, colon);
    const port_kind* k = kind_named(prefix);
    if (k == nullptr) {
        error = "unknown port kind '" + std::string(prefix) + "' (tap, af_packet, memif, ring or pci)";
        return std::nullopt;
    }
    port_spec spec;
    spec.type = k->type;
    std::string detail;
    if (!k->parse(text.substr(colon + 1), spec, detail)) {
        error = std::string(prefix) + " port: " + detail;
        return std::nullopt;
    }
    return spec;
}

std::string to_string(const port_spec& spec) {
    std::string text = std::string(kind_name(spec.type)) + ":" + spec.name;
    if (spec.type == port_spec::kind::memif) {
        text += spec.role == port_spec::memif_role::server ? ",role=server" : ",role=client";
    }
    return text;
}

std::string vdev_argument(const port_spec& spec, unsigned index, uint16_t queues, uint16_t mtu) {
    std::vector<std::string> args = eal_port_arguments(spec, index, queues, mtu);
    return args.size() == 2 && args[0] == "--vdev" ? args[1] : "";
}

std::vector<std::string> eal_port_arguments(const port_spec& spec, unsigned index, uint16_t queues, uint16_t mtu) {
    return kind_of(spec.type).eal_arguments(spec, index, queues, mtu);
}

std::string ethdev_name(const port_spec& spec, unsigned index, unsigned ring_side) {
    return kind_of(spec.type).ethdev_name(spec, index, ring_side);
}

}  // namespace fptcp::port
