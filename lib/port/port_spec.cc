#include "port/port_spec.hh"

#include <array>
#include <cctype>

namespace fptcp::port {
namespace {

using kind = port_spec::kind;

struct kind_entry {
    std::string_view prefix;
    kind type;
};

constexpr std::array<kind_entry, 5> kinds{{
    {"tap", kind::tap},
    {"af_packet", kind::af_packet},
    {"memif", kind::memif},
    {"ring", kind::ring},
    {"pci", kind::pci},
}};

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

bool check_ring_name(std::string_view name, std::string& error) {
    if (name.empty()) {
        error = "missing ring name";
        return false;
    }
    if (name.size() > max_ring_name_length) {
        error = "ring name '" + std::string(name) + "' is longer than 17 characters";
        return false;
    }
    for (char c : name) {
        if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '_' && c != '-') {
            error = "ring name '" + std::string(name) + "' may only contain letters, digits, '_' and '-'";
            return false;
        }
    }
    return true;
}

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

bool parse_memif(std::string_view rest, port_spec& spec, std::string& error) {
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

bool parse_name(port_spec& spec, std::string_view rest, std::string& error) {
    switch (spec.type) {
    case kind::tap:
    case kind::af_packet:
        if (!check_ifname(rest, error)) {
            return false;
        }
        spec.name = std::string(rest);
        return true;
    case kind::memif:
        return parse_memif(rest, spec, error);
    case kind::ring:
        if (!check_ring_name(rest, error)) {
            return false;
        }
        spec.name = std::string(rest);
        return true;
    case kind::pci: {
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
    }
    return false;
}

}  // namespace

std::string_view kind_name(port_spec::kind k) {
    for (const auto& entry : kinds) {
        if (entry.type == k) {
            return entry.prefix;
        }
    }
    return "?";
}

std::optional<port_spec> parse_port_spec(std::string_view text, std::string& error) {
    auto colon = text.find(':');
    if (colon == std::string_view::npos) {
        error = "port '" + std::string(text) + "' has no kind: use tap:NAME, af_packet:IFACE, memif:SOCKET, ring:NAME or pci:BDF";
        return std::nullopt;
    }
    std::string_view prefix = text.substr(0, colon);
    port_spec spec;
    bool known = false;
    for (const auto& entry : kinds) {
        if (entry.prefix == prefix) {
            spec.type = entry.type;
            known = true;
        }
    }
    if (!known) {
        error = "unknown port kind '" + std::string(prefix) + "' (tap, af_packet, memif, ring or pci)";
        return std::nullopt;
    }
    std::string detail;
    if (!parse_name(spec, text.substr(colon + 1), detail)) {
        error = std::string(prefix) + " port: " + detail;
        return std::nullopt;
    }
    return spec;
}

std::string to_string(const port_spec& spec) {
    std::string text = std::string(kind_name(spec.type)) + ":" + spec.name;
    if (spec.type == kind::memif) {
        text += spec.role == port_spec::memif_role::server ? ",role=server" : ",role=client";
    }
    return text;
}

std::string vdev_argument(const port_spec& spec, unsigned index, uint16_t queues) {
    std::string i = std::to_string(index);
    switch (spec.type) {
    case kind::tap:
        // mac=fixed gives 02:64:74:61:70:<n>, the same on every run, so the
        // kernel's neighbour entry for fptcp stays valid across restarts.
        return "net_tap" + i + ",iface=" + spec.name + ",mac=fixed";
    case kind::af_packet:
        // PACKET_MMAP ring: a 2048-byte frame holds the tpacket2 header and
        // sockaddr_ll (~52 bytes) plus a 1514-byte frame with room to spare;
        // 4096-byte blocks (one page) hold two frames; 4096 frames per queue
        // (8 MiB per direction) absorb bursts larger than one 1024-entry
        // descriptor ring. framecnt * framesz must be a multiple of blocksz.
        return "net_af_packet" + i + ",iface=" + spec.name + ",qpairs=" + std::to_string(queues == 0 ? 1 : queues) +
               ",blocksz=4096,framesz=2048,framecnt=4096,qdisc_bypass=0";
    case kind::memif:
        // socket-abstract=no: the socket is the file the user named (22.11
        // defaults to the abstract namespace). id=0 pairs the two ends;
        // zero-copy=no keeps copies into memif's own shared buffers, which
        // works without hugepages; bsize 2048 holds a 1514-byte frame.
        return "net_memif" + i + ",socket=" + spec.name + ",socket-abstract=no,id=0,role=" +
               (spec.role == port_spec::memif_role::server ? "server" : "client") +
               ",zero-copy=no,bsize=2048,rsize=10";
    case kind::ring:
    case kind::pci:
        return "";
    }
    return "";
}

std::vector<std::string> eal_port_arguments(const port_spec& spec, unsigned index, uint16_t queues) {
    switch (spec.type) {
    case kind::tap:
    case kind::af_packet:
    case kind::memif:
        return {"--vdev", vdev_argument(spec, index, queues)};
    case kind::pci:
        return {"-a", spec.name};
    case kind::ring:
        return {};
    }
    return {};
}

std::string ethdev_name(const port_spec& spec, unsigned index, unsigned ring_side) {
    std::string i = std::to_string(index);
    switch (spec.type) {
    case kind::tap:
        return "net_tap" + i;
    case kind::af_packet:
        return "net_af_packet" + i;
    case kind::memif:
        return "net_memif" + i;
    case kind::ring:
        return "net_ring_" + spec.name + "_" + std::to_string(ring_side);
    case kind::pci:
        return spec.name;
    }
    return "";
}

}  // namespace fptcp::port
