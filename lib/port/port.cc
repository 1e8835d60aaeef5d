#include "port/port.hh"

#include <cerrno>

#include "port/kernel_interface.hh"
#include "port/port_kind.hh"

#include <rte_bus_vdev.h>
#include <rte_dev.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <optional>
#include <thread>
#include <vector>

namespace fptcp::port {
namespace {

using kind = port_spec::kind;


}  // namespace

const std::array<uint8_t, 40>& symmetric_rss_key() {
    static const std::array<uint8_t, 40> key = [] {
        std::array<uint8_t, 40> k{};
        for (std::size_t i = 0; i < k.size(); i += 2) {
            k[i] = 0x6d;
            k[i + 1] = 0x5a;
        }
        return k;
    }();
    return key;
}

port::port(const port_spec& spec, uint16_t id, std::string name) : _spec(spec), _id(id), _name(std::move(name)) {}

std::unique_ptr<port> port::open(const port_spec& spec, unsigned index, const port_settings& settings,
                                 std::string& error) {
    std::string prefix = "port " + to_string(spec) + ": ";
    const port_kind& k = kind_of(spec.type);
    int side = -1;
    std::string detail;
    std::optional<uint16_t> id = k.find_device(spec, index, settings, side, detail);
    if (!id) {
        error = prefix + detail;
        return nullptr;
    }
    std::string name = k.ethdev_name(spec, index, side < 0 ? 0 : static_cast<unsigned>(side));
    std::unique_ptr<port> p(new port(spec, *id, name));
    p->_ring_side = side;
    if (!p->configure(settings, detail)) {
        error = prefix + detail;
        return nullptr;
    }
    return p;
}

bool port::configure(const port_settings& settings, std::string& error) {
    rte_eth_dev_info info{};
    if (int ret = rte_eth_dev_info_get(_id, &info); ret != 0) {
        error = "rte_eth_dev_info_get: " + describe_rte_error(ret);
        return false;
    }
    _rx_queues = std::min<uint16_t>(settings.rx_queues == 0 ? 1 : settings.rx_queues, info.max_rx_queues);
    _tx_queues = std::min<uint16_t>(settings.tx_queues == 0 ? 1 : settings.tx_queues, info.max_tx_queues);
    if (_rx_queues == 0 || _tx_queues == 0) {
        error = "the device offers no RX or TX queue";
        return false;
    }
    if (!configure_device(_rx_queues, _tx_queues, error) || !set_mtu(settings.mtu, error) ||
        !setup_queues(settings, error)) {
        return false;
    }
    if (int ret = rte_eth_dev_start(_id); ret != 0) {
        error = "rte_eth_dev_start: " + describe_rte_error(ret);
        return false;
    }
    _started = true;
    if (_spec.type == kind::af_packet) {
        _kernel_tx_at_start = kernel_interface_tx_packets(_spec.name);
    }
    if (_rss) {
        program_reta();
    }
    // Kernel-backed ports (tap, af_packet) get only frames for us from the
    // kernel: leave the interface's flags as the user set them. The others
    // take only frames to our MAC, broadcast (ARP) and multicast; memif and
    // ring do not filter and answer -ENOTSUP, which is fine.
    if (!kind_of(_spec.type).kernel_backed) rte_eth_promiscuous_disable(_id);
    rte_ether_addr addr{};
    if (_spec.type == kind::ring) {
        // The ring PMD's address is all zeros: give each ring port a locally
        // administered one of its own, 02:72:6e:67:<port id>.
        addr = {{0x02, 0x72, 0x6e, 0x67, static_cast<uint8_t>(_id >> 8), static_cast<uint8_t>(_id)}};
        rte_eth_dev_default_mac_addr_set(_id, &addr);
        std::memcpy(_mac.data(), addr.addr_bytes, _mac.size());
    } else if (rte_eth_macaddr_get(_id, &addr) == 0) {
        std::memcpy(_mac.data(), addr.addr_bytes, _mac.size());
    }
    return true;
}

bool port::configure_device(uint16_t rx_queues, uint16_t tx_queues, std::string& error) {
    rte_eth_dev_info info{};
    rte_eth_dev_info_get(_id, &info);
    rte_eth_conf conf{};
    constexpr uint64_t rx_checksum = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM;
    constexpr uint64_t tx_checksum = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
    _rx_checksum = (info.rx_offload_capa & rx_checksum) == rx_checksum;
    _tx_checksum = (info.tx_offload_capa & tx_checksum) == tx_checksum;
    // Chained mbufs (send(rte_mbuf*) takes them) where the device offers it.
    bool tx_multi_segment = (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) != 0;
    if (_rx_checksum) {
        conf.rxmode.offloads |= rx_checksum;
    }
    if (_tx_checksum) {
        conf.txmode.offloads |= tx_checksum;
    }
    if (tx_multi_segment) {
        conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
    }
    // RSS over IPv4/TCP with the symmetric key (hash_key_size may be larger
    // than 40, e.g. 52 on i40e: the repeating pattern just continues).
    uint64_t hash_types = info.flow_type_rss_offloads & (RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_TCP);
    std::vector<uint8_t> key(info.hash_key_size == 0 ? 40 : info.hash_key_size);
    for (std::size_t i = 0; i < key.size(); ++i) {
        key[i] = i % 2 == 0 ? 0x6d : 0x5a;
    }
    // The tap PMD advertises RSS, but the kernel picks a TAP queue with its
    // own flow hash (tun_automq_select_queue), not Toeplitz with our key; the
    // PMD's eBPF RSS needs rte_flow, which it turns off without sch_multiq.
    // So a multi-queue TAP counts as "no RSS": the engine dispatches flows.
    _rss = rx_queues > 1 && (hash_types & RTE_ETH_RSS_NONFRAG_IPV4_TCP) != 0 && _spec.type != kind::tap;
    if (_rss) {
        conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
        conf.rx_adv_conf.rss_conf.rss_key = key.data();
        conf.rx_adv_conf.rss_conf.rss_key_len = static_cast<uint8_t>(key.size());
        conf.rx_adv_conf.rss_conf.rss_hf = hash_types;
        if ((info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_RSS_HASH) != 0) {
            conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_RSS_HASH;
        }
        _reta_size = info.reta_size;
    }
    int ret = rte_eth_dev_configure(_id, rx_queues, tx_queues, &conf);
    if (ret != 0 && _rss) {
        // Some virtual devices advertise hash types but refuse the key: run
        // without RSS (the engine dispatches in software).
        _rss = false;
        _reta_size = 0;
        conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
        conf.rx_adv_conf.rss_conf = {};
        conf.rxmode.offloads &= ~RTE_ETH_RX_OFFLOAD_RSS_HASH;
        ret = rte_eth_dev_configure(_id, rx_queues, tx_queues, &conf);
    }
    _rx_offloads = conf.rxmode.offloads;
    _tx_offloads = conf.txmode.offloads;
    if (ret != 0) {
        error = "rte_eth_dev_configure with " + std::to_string(rx_queues) + " RX and " + std::to_string(tx_queues) +
                " TX queues: " + describe_rte_error(ret);
        return false;
    }
    return true;
}

// The MTU, when one is asked for. A NIC's PMD sets it (rte_eth_dev_set_mtu).
// The virtual ones of 22.11 cannot: tap and af_packet report a maximum frame
// of 1518-1522 bytes whatever their buffers hold (sized for jumbo frames by
// the mbuf pool and the vdev arguments), so the ethdev layer refuses, and
// memif has no MTU of its own (its buffers are the limit) and refuses with
// ENOTSUP. For the kernel-backed kinds fptcp sets the interface's MTU
// itself (SIOCSIFMTU); for those and memif the port reports the MTU asked for.
bool port::set_mtu(uint16_t mtu, std::string& error) {
    if (mtu == 0) return true;
    if (kind_of(_spec.type).kernel_backed) {
        error = set_kernel_interface_mtu(_spec.name, mtu);
        _mtu = mtu;
        return error.empty();
    }
    int ret = rte_eth_dev_set_mtu(_id, mtu);
    if (ret == -ENOTSUP && _spec.type == kind::memif) {
        _mtu = mtu;
        return true;
    }
    if (ret != 0) {
        error = "cannot set the MTU to " + std::to_string(mtu) + ": " + describe_rte_error(ret);
        return false;
    }
    return true;
}

uint16_t mbuf_data_room(uint16_t mtu) {
    return mtu > RTE_ETHER_MTU ? RTE_PKTMBUF_HEADROOM + jumbo_buffer : RTE_MBUF_DEFAULT_BUF_SIZE;
}

bool port::setup_queues(const port_settings& settings, std::string& error) {
    uint16_t rx_desc = settings.rx_ring;
    uint16_t tx_desc = settings.tx_ring;
    if (int ret = rte_eth_dev_adjust_nb_rx_tx_desc(_id, &rx_desc, &tx_desc); ret != 0) {
        error = "rte_eth_dev_adjust_nb_rx_tx_desc: " + describe_rte_error(ret);
        return false;
    }
    int socket = rte_eth_dev_socket_id(_id);
    std::string pool_name = "fptcp_mp_" + std::to_string(_id);
    _pool = rte_pktmbuf_pool_create(pool_name.c_str(), settings.mbufs, 256, 0, mbuf_data_room(settings.mtu), socket);
    if (_pool == nullptr) {
        error = "cannot create a pool of " + std::to_string(settings.mbufs) + " mbufs: " + describe_rte_error(rte_errno) +
                " (reserve hugepages or raise --memory; see docs/ports.md)";
        return false;
    }
    rte_eth_dev_info info{};
    rte_eth_dev_info_get(_id, &info);
    rte_eth_rxconf rxconf = info.default_rxconf;
    rxconf.offloads = _rx_offloads;
    rte_eth_txconf txconf = info.default_txconf;
    txconf.offloads = _tx_offloads;
    for (uint16_t q = 0; q < _rx_queues; ++q) {
        if (int ret = rte_eth_rx_queue_setup(_id, q, rx_desc, static_cast<unsigned>(socket), &rxconf, _pool); ret != 0) {
            error = "rte_eth_rx_queue_setup " + std::to_string(q) + ": " + describe_rte_error(ret);
            return false;
        }
    }
    for (uint16_t q = 0; q < _tx_queues; ++q) {
        if (int ret = rte_eth_tx_queue_setup(_id, q, tx_desc, static_cast<unsigned>(socket), &txconf); ret != 0) {
            error = "rte_eth_tx_queue_setup " + std::to_string(q) + ": " + describe_rte_error(ret);
            return false;
        }
    }
    return true;
}

// Entry i -> queue i % queues(), written explicitly so the engine can predict
// the queue of a flow with rte_softrss (ARCHITECTURE.md: active opens).
void port::program_reta() {
    if (_reta_size == 0) {
        return;
    }
    std::vector<rte_eth_rss_reta_entry64> reta((_reta_size + RTE_ETH_RETA_GROUP_SIZE - 1) / RTE_ETH_RETA_GROUP_SIZE);
    for (uint16_t i = 0; i < _reta_size; ++i) {
        auto& group = reta[i / RTE_ETH_RETA_GROUP_SIZE];
        group.mask |= 1ULL << (i % RTE_ETH_RETA_GROUP_SIZE);
        group.reta[i % RTE_ETH_RETA_GROUP_SIZE] = static_cast<uint16_t>(i % _rx_queues);
    }
    if (rte_eth_dev_rss_reta_update(_id, reta.data(), _reta_size) != 0) {
        // Most PMDs default to the same round-robin table; keep going.
        RTE_LOG(WARNING, USER1, "fptcp: port %s: RETA update refused, relying on the default table\n", _name.c_str());
    }
}

port::~port() {
    if (_started) {
        rte_eth_dev_stop(_id);
    }
    if (_spec.type == kind::ring) {
        // rte_vdev_uninit closes the ethdev and frees the name for reuse.
        rte_vdev_uninit(_name.c_str());
        close_ring_port(_spec.name, _ring_side);
    } else {
        rte_eth_dev_close(_id);
    }
    if (_pool != nullptr) {
        rte_mempool_free(_pool);
    }
}

uint16_t port::rx_burst(uint16_t queue, rte_mbuf** pkts, uint16_t n) { return rte_eth_rx_burst(_id, queue, pkts, n); }

uint16_t port::tx_burst(uint16_t queue, rte_mbuf** pkts, uint16_t n) { return rte_eth_tx_burst(_id, queue, pkts, n); }

uint16_t port::mtu() const {
    if (_mtu != 0) return _mtu;
    uint16_t mtu = RTE_ETHER_MTU;
    rte_eth_dev_get_mtu(_id, &mtu);  // leaves it as it was on failure
    return mtu;
}

bool port::link_up() const {
    rte_eth_link link{};
    return rte_eth_link_get_nowait(_id, &link) == 0 && link.link_status == RTE_ETH_LINK_UP;
}

bool port::wait_for_link(unsigned timeout_ms) const {
    for (unsigned waited = 0;; waited += 10) {
        if (link_up()) {
            return true;
        }
        if (waited >= timeout_ms) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

port_counters port::counters() const {
    rte_eth_stats s{};
    port_counters c;
    if (rte_eth_stats_get(_id, &s) == 0) {
        c.rx_packets = s.ipackets;
        c.tx_packets = s.opackets;
        c.rx_bytes = s.ibytes;
        c.tx_bytes = s.obytes;
        c.rx_missed = s.imissed;
        c.rx_errors = s.ierrors;
        c.tx_errors = s.oerrors;
        c.rx_no_mbuf = s.rx_nombuf;
        c.tx_unsent = frames_the_kernel_did_not_send(c.tx_packets + c.tx_errors);
    }
    return c;
}

// The af_packet PMD counts a frame as sent once it is in the PACKET_MMAP TX
// ring, but the kernel may still drop it silently: the PMD sets PACKET_LOSS,
// so tpacket_snd skips a frame it finds malformed (e.g. longer than the MTU)
// and the interface never counts it. Those frames are what the PMD took
// less what the interface transmitted since the port opened.
uint64_t port::frames_the_kernel_did_not_send(uint64_t taken) const {
    std::optional<uint64_t> now = _kernel_tx_at_start ? kernel_interface_tx_packets(_spec.name) : std::nullopt;
    if (!now) {
        return 0;  // not af_packet, or the interface is gone: nothing to compare with
    }
    uint64_t transmitted = *now - *_kernel_tx_at_start;
    return taken > transmitted ? taken - transmitted : 0;
}

}  // namespace fptcp::port
