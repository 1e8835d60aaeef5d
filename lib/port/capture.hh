#pragma once
// --pcap: every frame received and sent, written as pcapng by DPDK's
// rte_pcapng (readable by tshark/wireshark). Copies are taken per burst into
// a pool of its own, so capturing never holds the port's mbufs.

#include <cstdint>
#include <memory>
#include <string>

struct rte_mbuf;
struct rte_mempool;
struct rte_pcapng;

namespace fptcp::port {

class capture {
public:
    // nullptr and `error` when the file or the copy pool cannot be made.
    static std::unique_ptr<capture> open(const std::string& path, uint16_t port_id, std::string& error);
    ~capture();
    capture(const capture&) = delete;
    capture& operator=(const capture&) = delete;

    void record(rte_mbuf* const* pkts, uint16_t n, bool outgoing);
    uint64_t written() const { return _written; }
    uint64_t missed() const { return _missed; }  // no copy mbuf or a short write

private:
    capture() = default;
    rte_pcapng* _file = nullptr;
    rte_mempool* _pool = nullptr;
    int _fd = -1;
    uint16_t _port = 0;
    uint64_t _written = 0;
    uint64_t _missed = 0;
};

}  // namespace fptcp::port
