#pragma once
// Source address and port choice for active opens (engine::connect). With
// several lcores, an opening lcore must pick a source so that the replies
// come back to it:
//   - software dispatch (no RSS, or fewer RX queues than lcores): the engine
//     that takes a frame off the wire forwards it to software_owner() of its
//     tuple as seen from our side;
//   - RSS: the NIC hashes the reply (source = the peer, destination = us)
//     with the Toeplitz function and the port's key, and the RETA (entry i
//     -> queue i % queues, lib/port) picks the queue.
// The picker visits the (address, port) pairs from a random start (RFC 6056
// 3.3.1, "simple port randomization" then sequential search) and skips those
// whose reply lands elsewhere. Header-only and free of DPDK's EAL, so
// test/app checks the property directly.

#include <rte_thash.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>

#include "engine/flow_table.hh"
#include "tcp/segment.hh"

namespace fptcp::engine {

// How frames of a flow reach an lcore.
struct reply_steering {
    enum class kind : uint8_t { single, software, rss };
    kind how = kind::single;
    uint16_t lcores = 1;     // software: engines sharing the mailboxes; rss: RX queues
    uint16_t reta_size = 0;  // rss only
    const uint8_t* rss_key = nullptr;  // rss only: 40 bytes, the port's key
};

// Software dispatch: the lcore owning tuple `t` (our side's view), the same
// for both directions of the flow.
inline uint16_t software_owner(const tcp::four_tuple& t, uint16_t lcores) {
    return static_cast<uint16_t>(crc32c_tuple_hash{}(t) % lcores);
}

// RSS: the Toeplitz hash the NIC computes for a reply to `t` (Microsoft's
// RSS specification, IPv4 with TCP: source address, destination address,
// source port, destination port).
inline uint32_t reply_rss_hash(const tcp::four_tuple& t, const uint8_t* key) {
    rte_ipv4_tuple reply{};
    reply.src_addr = t.remote_ip;
    reply.dst_addr = t.local_ip;
    reply.sport = t.remote_port;
    reply.dport = t.local_port;
    return rte_softrss(reinterpret_cast<uint32_t*>(&reply), RTE_THASH_V4_L4_LEN, key);
}

// The lcore a reply to our tuple `t` reaches.
inline uint16_t reply_lcore(const reply_steering& s, const tcp::four_tuple& t) {
    switch (s.how) {
    case reply_steering::kind::single: return 0;
    case reply_steering::kind::software: return software_owner(t, s.lcores);
    case reply_steering::kind::rss:
        return static_cast<uint16_t>(reply_rss_hash(t, s.rss_key) % s.reta_size % s.lcores);
    }
    return 0;
}

struct source_range {
    uint32_t first_ip = 0;  // host order
    uint32_t ip_count = 1;
    uint16_t first_port = 32768;  // Linux's default ephemeral range, 32768-60999
    uint16_t port_count = 28232;

    uint64_t size() const { return uint64_t{ip_count} * port_count; }
    bool has_ip(uint32_t ip) const { return ip - first_ip < ip_count; }
};

class source_picker {
public:
    // Pairs tried per call before giving up: all of them when fewer.
    static constexpr uint64_t max_tries = 65536;

    source_picker(const source_range& range, const reply_steering& steering, uint16_t lcore, uint64_t start)
        : _range(range), _steering(steering), _lcore(lcore), _cursor(start % range.size()) {}

    // The next tuple towards (remote_ip, remote_port) whose reply reaches
    // our lcore and that `usable` accepts (not in use, not in TIME_WAIT).
    // Consecutive picks change the address first, so that with several
    // addresses one peer port's tuples are spread over all of them.
    template <class Usable>
    std::optional<tcp::four_tuple> next(uint32_t remote_ip, uint16_t remote_port, Usable usable) {
        uint64_t tries = std::min(_range.size(), max_tries);
        for (uint64_t i = 0; i < tries; ++i) {
            uint64_t at = _cursor;
            _cursor = _cursor + 1 == _range.size() ? 0 : _cursor + 1;
            tcp::four_tuple t{_range.first_ip + static_cast<uint32_t>(at % _range.ip_count), remote_ip,
                              static_cast<uint16_t>(_range.first_port + at / _range.ip_count), remote_port};
            if (reply_lcore(_steering, t) != _lcore) continue;
            if (usable(t)) return t;
        }
        return std::nullopt;
    }

    const source_range& range() const { return _range; }

private:
    source_range _range;
    reply_steering _steering;
    uint16_t _lcore;
    uint64_t _cursor;
};

}  // namespace fptcp::engine
