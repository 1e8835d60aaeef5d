#define ALLOW_EXPERIMENTAL_API 1  // rte_pcapng is experimental in DPDK 22.11

#include "port/capture.hh"

#include <fcntl.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_pcapng.h>
#include <unistd.h>

#include <array>
#include <cstring>

namespace fptcp::port {

namespace {

constexpr uint32_t snap_length = 2048;  // a whole 1514-byte frame and then some
constexpr uint32_t copy_mbufs = 4095;

}  // namespace

std::unique_ptr<capture> capture::open(const std::string& path, uint16_t port_id, std::string& error) {
    std::unique_ptr<capture> c(new capture());
    c->_port = port_id;
    c->_fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (c->_fd < 0) {
        error = "pcap: cannot open '" + path + "': " + std::strerror(errno);
        return nullptr;
    }
    std::string pool_name = "fptcp_pcap_" + std::to_string(port_id);
    c->_pool = rte_pktmbuf_pool_create(pool_name.c_str(), copy_mbufs, 0, 0,
                                       static_cast<uint16_t>(rte_pcapng_mbuf_size(snap_length)), SOCKET_ID_ANY);
    if (c->_pool == nullptr) {
        error = std::string("pcap: no memory for the copy pool: ") + rte_strerror(rte_errno);
        return nullptr;
    }
    c->_file = rte_pcapng_fdopen(c->_fd, nullptr, nullptr, "fptcp", nullptr);
    if (c->_file == nullptr) {
        error = std::string("pcap: ") + rte_strerror(rte_errno);
        return nullptr;
    }
    c->_fd = -1;  // rte_pcapng_close closes it
    return c;
}

capture::~capture() {
    if (_file != nullptr) rte_pcapng_close(_file);
    if (_fd >= 0) ::close(_fd);
    if (_pool != nullptr) rte_mempool_free(_pool);
}

void capture::record(rte_mbuf* const* pkts, uint16_t n, bool outgoing) {
    std::array<rte_mbuf*, 64> copies;
    uint16_t copied = 0;
    uint64_t tsc = rte_get_tsc_cycles();
    auto direction = outgoing ? RTE_PCAPNG_DIRECTION_OUT : RTE_PCAPNG_DIRECTION_IN;
    for (uint16_t i = 0; i < n; ++i) {
        if (copied == copies.size()) {
            ++_missed;
            continue;
        }
        rte_mbuf* c = rte_pcapng_copy(_port, 0, pkts[i], _pool, snap_length, tsc, direction);
        if (c == nullptr) {
            ++_missed;
            continue;
        }
        copies[copied++] = c;
    }
    if (copied == 0) return;
    if (rte_pcapng_write_packets(_file, copies.data(), copied) < 0) {
        _missed += copied;
    } else {
        _written += copied;
    }
    rte_pktmbuf_free_bulk(copies.data(), copied);
}

}  // namespace fptcp::port
