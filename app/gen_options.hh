#pragma once
// fptcp-gen's command line (docs/fptcp-gen.md). A library of its own so
// test/app can test it without DPDK. Nothing here runs per packet.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fptcp/log.hh"

namespace fptcp::app {

enum class gen_workload : uint8_t { crr, rr, stream, syn_flood };
enum class stream_direction : uint8_t { send, receive };

// An inclusive range [first, first + count - 1] of addresses or ports.
struct address_range {
    uint32_t first = 0;  // host order
    uint32_t count = 0;  // 0: the default (--ip alone)
};
struct port_range {
    uint16_t first = 32768;  // Linux's default ephemeral range
    uint16_t count = 28232;
};

struct gen_options {
    // Port spec, kept as text: lib/port parses it (as fptcp-server's --port).
    std::string port;
    uint32_t ip = 0;  // fptcp's own address, host byte order (required)
    uint8_t prefix = 24;
    std::optional<uint32_t> gateway;  // none: every destination is on-link
    uint32_t server_ip = 0;           // --connect IP:PORT (required)
    uint16_t server_port = 0;
    gen_workload workload = gen_workload::crr;
    uint32_t concurrency = 64;   // connections in flight
    // Open loop: connections (crr), requests (rr) or SYNs (syn-flood) per
    // second, over all lcores; 0: closed loop (syn-flood: as fast as it can).
    uint64_t rate = 0;
    stream_direction direction = stream_direction::send;  // stream: we send (discard) or receive (source)
    address_range source_ips;    // connecting workloads: ours; syn-flood: the spoofed ones
    port_range source_ports;
    uint16_t lcores = 1;         // on CPUs cpu .. cpu + lcores - 1, or on cpus
    bool lcores_given = false;   // --lcores was given (it must then agree with --cpus)
    std::string cpus;            // --cpus LIST ("2-5,8"): the CPUs, one lcore each; lcores follows
    uint32_t duration_s = 10;    // measured seconds, after the warm-up
    uint32_t warmup_s = 1;       // excluded from the results
    uint32_t request_size = 64;  // bytes per request (not --http)
    uint32_t response_size = 64; // bytes per response (not --http)
    bool http = false;           // HTTP/1.1 GET requests, Content-Length responses
    uint32_t pipeline = 1;       // rr, closed loop: requests sent back to back per connection
    std::string path = "/";      // http: the request target
    std::vector<std::string> headers;  // http: extra header lines ("Name: value"), in order
    uint32_t msl_s = 30;         // our TIME_WAIT lasts 2*MSL (the side that closes first holds it)
    uint16_t mtu = 0;            // 0: the port's own (1500); else set, our MSS MTU - 40
    int cpu = -1;                // EAL lcore / CPU; -1: 1 when the machine has two CPUs, else 0
    std::string json;            // empty: no JSON file
    std::string hdr_log;         // empty: none; else the request latencies as HdrHistogram's percentile text
    bool quiet = false;
    fptcp::log_level log_level = fptcp::log_level::notice;  // fptcp's log (rte_log) from this level up
    std::string eal;  // extra EAL arguments, split by lib/port
};

struct gen_parse_outcome {
    std::optional<gen_options> options;  // set when the arguments are valid
    std::string error;                   // one line, without the program name
    bool help = false;                   // --help: print gen_usage(), exit 0
};

// Never throws; a bad option or value is reported in `error`.
gen_parse_outcome parse_gen_options(int argc, const char* const* argv);

// The --help text.
std::string gen_usage();

std::string_view workload_name(gen_workload w);
std::string_view direction_name(stream_direction d);

}  // namespace fptcp::app
