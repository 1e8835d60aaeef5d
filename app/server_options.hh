#pragma once
// fptcp-server's settings: the command line and the TOML file given with
// --config (read first; every command-line option then overrides it). The
// contract (option names, defaults, exit codes) is written down in
// config/README.md; `usage()` prints the same list.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>
#include <string_view>

#include "fptcp/address.hh"
#include "fptcp/log.hh"
#include "fptcp/stack_settings.hh"
#include "fptcp/tcp_config.hh"

namespace fptcp::app {

enum class server_mode : uint8_t { http, echo, discard, source };

struct server_options {
    // Port spec, kept as text: lib/port parses it (tap:NAME, af_packet:IFACE,
    // memif:SOCKET[,role=...], ring:NAME, pci:BDF).
    std::string port = "tap:fptcp0";
    uint32_t ip = (10u << 24) | (70u << 16) | 2u;  // 10.70.0.2, host byte order
    uint8_t prefix = 24;
    std::optional<uint32_t> gateway;  // none: every destination is on-link
    // tap only: the address given to the kernel side; nullopt leaves it alone.
    std::optional<uint32_t> kernel_ip = (10u << 24) | (70u << 16) | 1u;  // 10.70.0.1
    uint8_t kernel_prefix = 24;
    uint16_t listen = 80;
    server_mode mode = server_mode::http;
    uint32_t response_size = 1024;  // http: body bytes of the fixed response
    uint64_t source_bytes = 0;      // source: bytes per connection, 0 = endless
    uint32_t header_timeout_s = 10;     // http: a request header whole within this from its first byte; 0 = no limit
    uint32_t keepalive_timeout_s = 75;  // http: idle (no request begun) for this closes; 0 = no limit
    uint16_t lcores = 1;       // one engine per lcore, on CPUs 0..lcores-1 unless cpus says
    bool lcores_given = false;  // --lcores or `lcores` was set (it must then agree with cpus)
    std::string cpus;           // --cpus LIST ("2-5,8"): the CPUs, one lcore each; lcores follows
    uint32_t max_connections = 65536;  // connection table size per lcore
    uint16_t mtu = 0;                  // 0: the port's own (1500); else set, and [tcp] mss follows (MTU - 40)
    std::string pcap;                  // empty: no capture
    uint32_t duration_s = 0;           // 0: until SIGINT / SIGTERM
    std::string stats_json;            // empty: no JSON at exit
    bool quiet = false;
    fptcp::log_level log_level = fptcp::log_level::notice;  // fptcp's log (rte_log) from this level up
    std::string eal;  // extra EAL arguments, split by lib/port
    fptcp::tcp_config tcp;  // --msl / msl lands in tcp.msl; --congestion, --no-nagle, ... too
    fault_settings fault;  // --fault-rx, --fault-tx, --fault-seed
};

struct parse_outcome {
    std::optional<server_options> options;  // set when the arguments are valid
    std::string error;                      // one line, without the program name
    bool help = false;                      // --help was given: print usage(), exit 0
};

// Never throws; a bad option, value or file is reported in `error`.
parse_outcome parse_server_options(int argc, const char* const* argv);

// The --help text: one line per option, with its default.
std::string usage();

// Every key a configuration file may hold: top-level ones, then the [tcp]
// table's as "tcp.<key>" (config/default-tap.toml names them all).
std::vector<std::string> config_keys();

std::string_view mode_name(server_mode m);
// fptcp::runtime names its settings in errors ("port: ...", "eal: ...");
// the programs' users know them by their options ("--port: ...").
std::string with_option_names(const std::string& runtime_error);
using fptcp::format_ipv4;  // fptcp/address.hh
using fptcp::parse_ipv4;

}  // namespace fptcp::app
