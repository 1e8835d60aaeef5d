#define ALLOW_EXPERIMENTAL_API 1  // rte_pcapng is experimental in DPDK 22.11

#include "port/capture.hh"

#include <fcntl.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_pcapng.h>
#include <unistd.h>

#include <array>
#include <cstring>

namespace fptcp::port {

namespace {

constexpr uint32_t snap_length = 2048;  // a whole 1514-byte frame and then some
constexpr uint32_t copy_mbufs = 4095;

// DPDK 22.11's rte_pcapng reads the wall clock and the TSC on its first
// conversion of a TSC timestamp (pcapng_tsc_to_ns), inside rte_pcapng_copy,
// so the first frame's TSC, read before the call, is older than that origin.
// Its negative difference, taken as unsigned, moved the origin forward by
// 2^64 / tsc_hz seconds for the whole run: captures dated in the 23rd
// century. So a first conversion is made on a throwaway frame, stamped 1 ms
// ahead, before any real one.
bool start_timestamp_conversion(uint16_t port_id, rte_mempool* pool) {
    rte_mbuf* frame = rte_pktmbuf_alloc(pool);
    char* data = frame == nullptr ? nullptr : rte_pktmbuf_append(frame, RTE_ETHER_MIN_LEN);
    if (data == nullptr) {
        rte_pktmbuf_free(frame);
        return false;
    }
    std::memset(data, 0, RTE_ETHER_MIN_LEN);
    uint64_t ahead = rte_get_tsc_cycles() + rte_get_tsc_hz() / 1000;
    rte_mbuf* copy = rte_pcapng_copy(port_id, 0, frame, pool, snap_length, ahead, RTE_PCAPNG_DIRECTION_OUT);
    rte_pktmbuf_free(copy);
    rte_pktmbuf_free(frame);
    return copy != nullptr;
}

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
    if (!start_timestamp_conversion(port_id, c->_pool)) {
        error = "pcap: cannot copy a frame into the copy pool";
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
