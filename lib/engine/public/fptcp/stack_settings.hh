#pragma once
// What one stack (one lcore's engine) is given: its addresses, its limits,
// the TCP settings of its connections, and faults to inject. Part of the
// public API; lib/engine implements it.

#include <cstdint>
#include <optional>

#include "fptcp/tcp_config.hh"

namespace fptcp {

// Fault injection on a real port (docs/ports.md, "Fault injection"):
// probabilities in parts per million (1,000,000 = every frame).
struct fault_rates {
    static constexpr uint32_t certain = 1'000'000;
    uint32_t drop = 0;
    uint32_t duplicate = 0;
    uint32_t reorder = 0;

    bool any() const { return drop != 0 || duplicate != 0 || reorder != 0; }
    bool operator==(const fault_rates&) const = default;
};

// The rates of each direction and the seed (each stack and direction derives
// its own stream from it). All zero, the default, costs one branch per burst.
struct fault_settings {
    fault_rates rx;
    fault_rates tx;
    uint64_t seed = 1;

    bool operator==(const fault_settings&) const = default;
};

struct stack_settings {
    uint32_t ip = 0;  // host order
    uint8_t prefix = 24;
    std::optional<uint32_t> gateway;
    uint32_t max_connections = 65536;
    uint32_t max_time_wait = 262144;
    // The TCP settings of listen() and connect() when they are given none.
    // Its send_buffer and receive_buffer are also the buffer memory reserved
    // per connection: a tcp_config given to listen() or connect() may ask for
    // less, not more.
    tcp_config tcp;
    // The lcore's range pool holds this many out-of-order and SACKed ranges
    // per connection on average (8 bytes each, committed as used); one
    // connection may take up to its tcp_config's max_ooo_ranges +
    // max_sack_ranges, so a few lossy connections can hold many.
    uint32_t ranges_per_connection = 64;
    // Active opens: connect() draws source addresses ip .. ip + source_ips - 1
    // (ARP answers for each, TCP accepts each) and source ports
    // first_source_port .. + source_ports - 1.
    uint32_t source_ips = 1;
    uint16_t first_source_port = 32768;  // Linux's default range, 32768-60999
    uint16_t source_ports = 28232;
    uint32_t timer_budget = 4096;      // timer expiries handled per poll
    uint32_t time_wait_budget = 4096;  // TIME_WAIT entries reaped per poll
    // Drop, duplicate and reorder frames on RX and TX.
    fault_settings fault;
};

}  // namespace fptcp
