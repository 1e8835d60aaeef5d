// ring:NAME: two ports in one process wired back to back (tests,
// benchmarks): rte_eth_from_rings over crossed rte_rings.
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <map>

#include "port/port_kind.hh"

namespace fptcp::port {

namespace {

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

bool parse(std::string_view rest, port_spec& spec, std::string& error) {
    if (!check_ring_name(rest, error)) return false;
    spec.name = std::string(rest);
    return true;
}

std::vector<std::string> eal_arguments(const port_spec&, unsigned, uint16_t, uint16_t) { return {}; }

std::string ring_ethdev_name(const port_spec& spec, unsigned, unsigned ring_side) {
    return "net_ring_" + spec.name + "_" + std::to_string(ring_side);
}

// ---- ring links: two ring ports wired back to back in one process --------
//
// DPDK's own net_ring vdev (nodeaction=NAME:NODE:CREATE|ATTACH) gives both
// ports the same rings for RX and TX, so a port receives its own frames.
// Here rte_eth_from_rings gets crossed rings instead: side 0 transmits into
// `forward` and receives from `backward`; side 1 the other way round.
struct ring_link {
    std::vector<rte_ring*> forward;   // side 0 TX -> side 1 RX
    std::vector<rte_ring*> backward;  // side 1 TX -> side 0 RX
    std::array<bool, 2> open{};
};

std::map<std::string, ring_link>& ring_links() {
    static std::map<std::string, ring_link> links;
    return links;
}

void drain(const std::vector<rte_ring*>& rings) {
    for (rte_ring* r : rings) {
        void* m = nullptr;
        while (rte_ring_dequeue(r, &m) == 0) {
            rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
        }
    }
}

void free_rings(std::vector<rte_ring*>& rings) {
    for (rte_ring* r : rings) {
        rte_ring_free(r);
    }
    rings.clear();
}

bool create_rings(const std::string& link, char direction, uint16_t count, uint32_t size,
                  std::vector<rte_ring*>& rings, std::string& error) {
    for (uint16_t q = 0; q < count; ++q) {
        std::string name = "fr_" + link + "_" + direction + std::to_string(q);
        rte_ring* r = rte_ring_create(name.c_str(), size, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
        if (r == nullptr) {
            error = "cannot create rte_ring " + name + ": " + describe_rte_error(rte_errno);
            return false;
        }
        rings.push_back(r);
    }
    return true;
}

// Creates side 0 or 1 of the link named spec.name; returns the ethdev port id.
std::optional<uint16_t> find_device(const port_spec& spec, unsigned index, const port_settings& settings, int& side,
                                    std::string& error) {
    ring_link& link = ring_links()[spec.name];
    if (link.open[0] && link.open[1]) {
        error = "ring link '" + spec.name + "' already has two ports";
        return std::nullopt;
    }
    if (link.forward.empty()) {
        uint16_t tx = settings.tx_queues == 0 ? 1 : settings.tx_queues;
        uint16_t rx = settings.rx_queues == 0 ? 1 : settings.rx_queues;
        uint32_t size = std::max(settings.rx_ring, settings.tx_ring);
        if (!create_rings(spec.name, 'f', tx, size, link.forward, error) ||
            !create_rings(spec.name, 'b', rx, size, link.backward, error)) {
            free_rings(link.forward);
            free_rings(link.backward);
            ring_links().erase(spec.name);
            return std::nullopt;
        }
    }
    side = link.open[0] ? 1 : 0;
    auto& rx = side == 0 ? link.backward : link.forward;
    auto& tx = side == 0 ? link.forward : link.backward;
    // rte_eth_from_rings prefixes "net_ring_" itself.
    std::string name = ring_ethdev_name(spec, index, static_cast<unsigned>(side));
    int id = rte_eth_from_rings(name.c_str() + std::strlen("net_ring_"), rx.data(), static_cast<unsigned>(rx.size()), tx.data(),
                                static_cast<unsigned>(tx.size()), rte_socket_id());
    if (id < 0) {
        error = "cannot create ring port " + name + ": " + describe_rte_error(rte_errno);
        if (!link.open[0] && !link.open[1]) {
            free_rings(link.forward);
            free_rings(link.backward);
            ring_links().erase(spec.name);
        }
        return std::nullopt;
    }
    link.open[static_cast<unsigned>(side)] = true;
    return static_cast<uint16_t>(id);
}

}  // namespace

void close_ring_port(const std::string& link_name, int side) {
    auto it = ring_links().find(link_name);
    if (it == ring_links().end()) {
        return;
    }
    ring_link& link = it->second;
    drain(link.forward);
    drain(link.backward);
    link.open[static_cast<unsigned>(side)] = false;
    if (!link.open[0] && !link.open[1]) {
        free_rings(link.forward);
        free_rings(link.backward);
        ring_links().erase(it);
    }
}


const port_kind ring_kind{
    .type = port_spec::kind::ring,
    .prefix = "ring",
    .parse = parse,
    .eal_arguments = eal_arguments,
    .ethdev_name = ring_ethdev_name,
    .privilege_problem = no_privilege_needed,
    .target_problem = no_target_to_check,
    .find_device = find_device,
    .kernel_backed = false,
};

}  // namespace fptcp::port
