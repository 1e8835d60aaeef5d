// fptcp-server's command line and TOML configuration. One table of options
// serves both: the command-line spelling is `--name`, the TOML key is the
// same name with dashes as underscores. A value is checked the same way
// wherever it comes from, so a message reads the same for both.
//
// toml++ reports syntax errors with exceptions; they are caught in
// load_config() and never leave this file. Nothing here runs per packet.

#include "app/server_options.hh"

#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <limits>
#include <vector>

#include "fptcp/cpu_list.hh"

namespace fptcp::app {

namespace {

enum class value_kind : uint8_t { text, integer, flag };

// A value that has passed its kind's check: for integer options, `number`
// lies inside the option's [min, max]; `text` is the value as written.
struct option_value {
    std::string_view text;
    uint64_t number = 0;
    bool flag = false;
};

// Applies a checked value; returns why it is wrong (without the option's
// name), or an empty string.
using apply_fn = std::string (*)(server_options&, const option_value&);

struct option_def {
    std::string_view name;  // "kernel-ip" on the command line, "kernel_ip" in TOML
    std::string_view metavar;
    std::string_view help;
    value_kind kind = value_kind::text;
    uint64_t min = 0;
    uint64_t max = 0;
    std::string_view what;  // integers: "'x' is not <what> (<min>-<max>)"
    apply_fn apply = nullptr;
    bool cli_only = false;  // --config and --help have no TOML key
};

constexpr option_def text_option(std::string_view name, std::string_view metavar, std::string_view help,
                                 apply_fn apply) {
    return {name, metavar, help, value_kind::text, 0, 0, {}, apply, false};
}

constexpr option_def integer_option(std::string_view name, std::string_view metavar, std::string_view help,
                                    uint64_t min, uint64_t max, std::string_view what, apply_fn apply) {
    return {name, metavar, help, value_kind::integer, min, max, what, apply, false};
}

constexpr option_def flag_option(std::string_view name, std::string_view help, apply_fn apply) {
    return {name, {}, help, value_kind::flag, 0, 0, {}, apply, false};
}

constexpr option_def cli_only(option_def d) {
    d.cli_only = true;
    return d;
}

constexpr uint64_t u16_max = std::numeric_limits<uint16_t>::max();
constexpr uint64_t u32_max = std::numeric_limits<uint32_t>::max();
constexpr uint64_t u64_max = std::numeric_limits<uint64_t>::max();
// RTE_MAX_LCORE of Debian 12's DPDK 22.11; lib/port checks the lcores that exist.
constexpr uint64_t max_lcores = 128;
constexpr uint64_t max_table = uint64_t{1} << 24;
constexpr uint64_t max_response = uint64_t{1} << 30;
constexpr uint64_t max_msl_s = 3600;
constexpr uint64_t max_ms = 24 * 3600 * 1000;       // one day
constexpr uint64_t max_s = 365 * 24 * 3600;          // one year

constexpr uint32_t ipv4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
    return (a << 24) | (b << 16) | (c << 8) | d;
}

uint32_t netmask(uint8_t prefix) {
    return prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
}

// 0.0.0.0/8 ("this network", RFC 1122 3.2.1.3) and 224.0.0.0 upwards
// (multicast, reserved, limited broadcast) cannot be a host's address.
bool is_unicast(uint32_t addr) {
    return (addr >> 24) != 0 && addr < ipv4(224, 0, 0, 0);
}

std::string quoted(std::string_view text) {
    std::string s = "'";
    s += text;
    s += '\'';
    return s;
}

std::optional<uint64_t> parse_decimal(std::string_view text) {
    if (text.empty()) return std::nullopt;
    uint64_t v = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        auto digit = static_cast<uint64_t>(c - '0');
        if (v > (u64_max - digit) / 10) return std::nullopt;
        v = v * 10 + digit;
    }
    return v;
}

struct cidr {
    uint32_t addr;
    uint8_t prefix;
};

std::optional<cidr> parse_cidr(std::string_view text) {
    size_t slash = text.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    std::optional<uint32_t> addr = parse_ipv4(text.substr(0, slash));
    std::string_view digits = text.substr(slash + 1);
    std::optional<uint64_t> prefix = digits.size() <= 2 ? parse_decimal(digits) : std::nullopt;
    if (!addr || !prefix || *prefix > 32) return std::nullopt;
    return cidr{*addr, static_cast<uint8_t>(*prefix)};
}

// Our own address: unicast, and neither the network nor the broadcast
// address of its subnet when the subnet has those (prefix 30 or shorter).
std::string host_address_problem(std::string_view text, cidr c) {
    if (!is_unicast(c.addr)) return quoted(text) + " is not a unicast address";
    if (c.prefix <= 30) {
        uint32_t host = c.addr & ~netmask(c.prefix);
        if (host == 0) return quoted(text) + " is the network address of its subnet";
        if (host == ~netmask(c.prefix)) return quoted(text) + " is the broadcast address of its subnet";
    }
    return {};
}

std::string apply_port(server_options& o, const option_value& v) {
    // Only the shape KIND:VALUE; lib/port knows the kinds and their values.
    size_t colon = v.text.find(':');
    bool blank = v.text.find_first_of(" \t\r\n") != std::string_view::npos;
    if (colon == 0 || colon == std::string_view::npos || colon + 1 == v.text.size() || blank) {
        return quoted(v.text) +
               " is not a port spec (tap:NAME, af_packet:IFACE, memif:SOCKET[,role=server|client], ring:NAME, pci:BDF)";
    }
    o.port = v.text;
    return {};
}

std::string apply_ip(server_options& o, const option_value& v) {
    std::optional<cidr> c = parse_cidr(v.text);
    if (!c) return quoted(v.text) + " is not ADDR/PREFIX";
    if (std::string problem = host_address_problem(v.text, *c); !problem.empty()) return problem;
    o.ip = c->addr;
    o.prefix = c->prefix;
    return {};
}

std::string apply_cpus(server_options& o, const option_value& v) {
    std::string error;
    if (!v.text.empty() && !parse_cpu_list(v.text, error)) return error;
    o.cpus = v.text;  // "": CPUs 0..lcores-1
    return {};
}

std::string apply_gateway(server_options& o, const option_value& v) {
    if (v.text == "none") {
        o.gateway.reset();
        return {};
    }
    std::optional<uint32_t> addr = parse_ipv4(v.text);
    if (!addr) return quoted(v.text) + " is not an IPv4 address or none";
    if (!is_unicast(*addr)) return quoted(v.text) + " is not a unicast address";
    o.gateway = *addr;
    return {};
}

std::string apply_kernel_ip(server_options& o, const option_value& v) {
    if (v.text == "none") {
        o.kernel_ip.reset();
        return {};
    }
    std::optional<cidr> c = parse_cidr(v.text);
    if (!c) return quoted(v.text) + " is not ADDR/PREFIX or none";
    if (std::string problem = host_address_problem(v.text, *c); !problem.empty()) return problem;
    o.kernel_ip = c->addr;
    o.kernel_prefix = c->prefix;
    return {};
}

std::string apply_mode(server_options& o, const option_value& v) {
    for (server_mode m : {server_mode::http, server_mode::echo, server_mode::discard, server_mode::source}) {
        if (v.text == mode_name(m)) {
            o.mode = m;
            return {};
        }
    }
    return quoted(v.text) + " is not one of http, echo, discard, source";
}

std::string apply_congestion(server_options& o, const option_value& v) {
    for (congestion_algorithm a : {congestion_algorithm::cubic, congestion_algorithm::newreno, congestion_algorithm::bbr}) {
        if (v.text == congestion_name(a)) {
            o.tcp.congestion = a;
            return {};
        }
    }
    return quoted(v.text) + " is not one of cubic, newreno, bbr";
}

// "5%", "0.25%", "100%" in parts per million: at most three digits before
// the point, four after it.
std::optional<uint32_t> parse_percent(std::string_view text) {
    if (text.empty() || text.back() != '%') return std::nullopt;
    text.remove_suffix(1);
    size_t dot = text.find('.');
    std::string_view whole = text.substr(0, dot);
    std::string_view fraction = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
    if (whole.size() > 3 || fraction.size() > 4 || (dot != std::string_view::npos && fraction.empty())) {
        return std::nullopt;
    }
    std::optional<uint64_t> units = parse_decimal(whole);
    std::optional<uint64_t> decimals = fraction.empty() ? std::optional<uint64_t>(0) : parse_decimal(fraction);
    if (!units || !decimals) return std::nullopt;
    for (size_t i = fraction.size(); i < 4; ++i) *decimals *= 10;
    uint64_t ppm = *units * 10000 + *decimals;
    if (ppm > fault_rates::certain) return std::nullopt;
    return static_cast<uint32_t>(ppm);
}

// "drop=P%,dup=P%,reorder=P%" (any of them, each once) or "none".
std::string parse_fault_rates(std::string_view text, fault_rates& rates) {
    fault_rates parsed;
    if (text == "none") {
        rates = parsed;
        return {};
    }
    constexpr std::array<std::string_view, 3> keys{"drop", "dup", "reorder"};
    std::array<uint32_t*, 3> fields{&parsed.drop, &parsed.duplicate, &parsed.reorder};
    std::array<bool, 3> given{};
    for (;;) {
        size_t comma = text.find(',');
        std::string_view item = text.substr(0, comma);
        size_t eq = item.find('=');
        std::string_view key = item.substr(0, eq);
        size_t k = static_cast<size_t>(std::find(keys.begin(), keys.end(), key) - keys.begin());
        if (eq == std::string_view::npos || k == keys.size()) {
            return quoted(item) + " is not drop=P%, dup=P% or reorder=P% (e.g. drop=5%,dup=1%,reorder=1%, or none)";
        }
        std::optional<uint32_t> ppm = parse_percent(item.substr(eq + 1));
        if (!ppm) return quoted(item) + ": the rate is not a percentage from 0% to 100% (e.g. 5% or 0.25%)";
        if (given[k]) return quoted(std::string(key)) + " is given twice";
        given[k] = true;
        *fields[k] = *ppm;
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
    rates = parsed;
    return {};
}

template <typename T>
T narrow(uint64_t v) {
    return static_cast<T>(v);  // the option's [min, max] keeps v inside T
}

// The order is --help's order, that of the contract in config/README.md.
constexpr std::array top_options{
    text_option("port", "SPEC",
                "tap:NAME | af_packet:IFACE | memif:SOCKET[,role=server|client] | ring:NAME | pci:BDF "
                "(default tap:fptcp0)",
                apply_port),
    text_option("ip", "ADDR/PREFIX", "fptcp's own address (default 10.70.0.2/24)", apply_ip),
    text_option("gateway", "ADDR", "next hop for off-link destinations (default: none, on-link only)",
                apply_gateway),
    text_option("kernel-ip", "ADDR/PREFIX",
                "tap only: address given to the kernel side of the TAP (default 10.70.0.1/24; \"none\" leaves "
                "it alone)",
                apply_kernel_ip),
    integer_option("listen", "PORT", "TCP port (default 80)", 1, u16_max, "a port number",
                   [](server_options& o, const option_value& v) {
                       o.listen = narrow<uint16_t>(v.number);
                       return std::string{};
                   }),
    text_option("mode", "MODE", "http | echo | discard | source (default http)", apply_mode),
    integer_option("response-size", "BYTES", "http: body size of the fixed response (default 1024)", 0,
                   max_response, "a size in bytes",
                   [](server_options& o, const option_value& v) {
                       o.response_size = narrow<uint32_t>(v.number);
                       return std::string{};
                   }),
    integer_option("source-bytes", "BYTES", "source: bytes sent per connection, 0 = endless (default 0)", 0,
                   u64_max, "a size in bytes",
                   [](server_options& o, const option_value& v) {
                       o.source_bytes = v.number;
                       return std::string{};
                   }),
    integer_option("header-timeout", "SECONDS",
                   "http: a request header must arrive whole within this from its first byte, or 408 and close "
                   "(default 10; 0 = no limit)",
                   0, max_s, "a number of seconds",
                   [](server_options& o, const option_value& v) {
                       o.header_timeout_s = narrow<uint32_t>(v.number);
                       return std::string{};
                   }),
    integer_option("keepalive-timeout", "SECONDS",
                   "http: a connection idle this long between requests is closed (default 75; 0 = no limit)", 0,
                   max_s, "a number of seconds",
                   [](server_options& o, const option_value& v) {
                       o.keepalive_timeout_s = narrow<uint32_t>(v.number);
                       return std::string{};
                   }),
    integer_option("lcores", "N", "number of lcores, on CPUs 0..N-1 (default 1)", 1, max_lcores,
                   "a number of lcores",
                   [](server_options& o, const option_value& v) {
                       o.lcores = narrow<uint16_t>(v.number);
                       o.lcores_given = true;
                       return std::string{};
                   }),
    text_option("cpus", "LIST", "CPUs to run on, one lcore each, e.g. 2-5,8 (default: 0..N-1 of --lcores)",
                apply_cpus),
    integer_option("mtu", "BYTES", "the port's MTU, 576-9000 (jumbo frames); [tcp] mss follows unless set "
                   "(default 0: the port's own, 1500)", 0, 9000, "an MTU in bytes",
                   [](server_options& o, const option_value& v) {
                       o.mtu = narrow<uint16_t>(v.number);
                       return std::string{};
                   }),
    integer_option("msl", "SECONDS", "MSL; TIME_WAIT lasts 2*MSL (default 30)", 1, max_msl_s,
                   "a number of seconds",
                   [](server_options& o, const option_value& v) {
                       o.tcp.msl = std::chrono::seconds(v.number);
                       return std::string{};
                   }),
    integer_option("max-connections", "N", "connection table size per lcore (default 65536)", 1, max_table,
                   "a number of connections",
                   [](server_options& o, const option_value& v) {
                       o.max_connections = narrow<uint32_t>(v.number);
                       return std::string{};
                   }),
    // The [tcp] table's congestion, nagle and slow_start_after_idle, on the
    // command line (cli_only: in the file they are [tcp] keys).
    cli_only(text_option("congestion", "NAME", "cubic | newreno | bbr (default cubic; [tcp] congestion)", apply_congestion)),
    cli_only(flag_option("no-nagle", "send small segments at once (Nagle is on by default; [tcp] nagle)",
                         [](server_options& o, const option_value& v) {
                             o.tcp.nagle = !v.flag;
                             return std::string{};
                         })),
    cli_only(flag_option("no-slow-start-after-idle",
                         "keep the congestion window over idle periods (default: restart, RFC 5681 4.1; "
                         "[tcp] slow_start_after_idle)",
                         [](server_options& o, const option_value& v) {
                             o.tcp.slow_start_after_idle = !v.flag;
                             return std::string{};
                         })),
    text_option("fault-rx", "SPEC",
                "drop, duplicate, reorder received frames: drop=P%,dup=P%,reorder=P% (default none; docs/ports.md)",
                [](server_options& o, const option_value& v) { return parse_fault_rates(v.text, o.fault.rx); }),
    text_option("fault-tx", "SPEC", "the same for frames sent (default none)",
                [](server_options& o, const option_value& v) { return parse_fault_rates(v.text, o.fault.tx); }),
    integer_option("fault-seed", "N", "seed of the injected faults (default 1)", 0, u64_max, "a seed",
                   [](server_options& o, const option_value& v) {
                       o.fault.seed = v.number;
                       return std::string{};
                   }),
    option_def{"config", "FILE", "TOML configuration, read first; the command line wins (see config/README.md)",
               value_kind::text, 0, 0, {}, nullptr, true},
    text_option("pcap", "FILE", "write everything sent and received as pcapng (default: none)",
                [](server_options& o, const option_value& v) {
                    o.pcap = v.text;
                    return std::string{};
                }),
    integer_option("duration", "SECONDS", "stop after this long (default 0: until Ctrl-C / SIGTERM)", 0, u32_max,
                   "a number of seconds",
                   [](server_options& o, const option_value& v) {
                       o.duration_s = narrow<uint32_t>(v.number);
                       return std::string{};
                   }),
    text_option("stats-json", "FILE", "at exit, write the final counters as JSON (default: none)",
                [](server_options& o, const option_value& v) {
                    o.stats_json = v.text;
                    return std::string{};
                }),
    flag_option("quiet", "no live status line",
                [](server_options& o, const option_value& v) {
                    o.quiet = v.flag;
                    return std::string{};
                }),
    text_option("log-level", "LEVEL", "error | warning | notice | info | debug: fptcp's log on stderr (default notice)",
                [](server_options& o, const option_value& v) {
                    std::optional<log_level> l = parse_log_level(v.text);
                    if (!l) return quoted(v.text) + " is not one of error, warning, notice, info, debug";
                    o.log_level = *l;
                    return std::string{};
                }),
    text_option("eal", "\"ARGS\"", "extra EAL arguments for experts (default: none)",
                [](server_options& o, const option_value& v) {
                    o.eal = v.text;
                    return std::string{};
                }),
    option_def{"help", {}, "print this help and exit", value_kind::flag, 0, 0, {}, nullptr, true},
};

// The [tcp] table: the fields of include/fptcp/tcp_config.hh; durations
// carry their unit in the key. The ranges are those of the field's type
// (or a sane bound); tcp_config_problem() checks what the values mean.
#define FPTCP_TCP_INT(key, field, max, what, conv)                                   \
    integer_option(key, {}, {}, 0, max, what, [](server_options& o, const option_value& v) { \
        o.tcp.field = conv;                                                         \
        return std::string{};                                                       \
    })
#define FPTCP_TCP_FLAG(key, field)                                 \
    flag_option(key, {}, [](server_options& o, const option_value& v) { \
        o.tcp.field = v.flag;                                     \
        return std::string{};                                     \
    })

constexpr std::array tcp_options{
    FPTCP_TCP_INT("mss", mss, u16_max, "a size in bytes", narrow<uint16_t>(v.number)),
    FPTCP_TCP_INT("min_peer_mss", min_peer_mss, u16_max, "a size in bytes", narrow<uint16_t>(v.number)),
    FPTCP_TCP_INT("send_buffer", send_buffer, u32_max, "a size in bytes", narrow<uint32_t>(v.number)),
    FPTCP_TCP_INT("receive_buffer", receive_buffer, u32_max, "a size in bytes", narrow<uint32_t>(v.number)),
    FPTCP_TCP_INT("max_ooo_ranges", max_ooo_ranges, u16_max, "a count", narrow<uint16_t>(v.number)),
    FPTCP_TCP_INT("max_sack_ranges", max_sack_ranges, u16_max, "a count", narrow<uint16_t>(v.number)),
    FPTCP_TCP_FLAG("window_scaling", window_scaling),
    FPTCP_TCP_FLAG("timestamps", timestamps),
    FPTCP_TCP_FLAG("sack_permitted", sack_permitted),
    text_option("congestion", {}, {}, apply_congestion),
    FPTCP_TCP_FLAG("nagle", nagle),
    FPTCP_TCP_FLAG("slow_start_after_idle", slow_start_after_idle),
    FPTCP_TCP_INT("rto_initial_ms", rto_initial, max_ms, "a number of milliseconds",
                  std::chrono::milliseconds(v.number)),
    FPTCP_TCP_INT("rto_min_ms", rto_min, max_ms, "a number of milliseconds", std::chrono::milliseconds(v.number)),
    FPTCP_TCP_INT("rto_max_ms", rto_max, max_ms, "a number of milliseconds", std::chrono::milliseconds(v.number)),
    FPTCP_TCP_INT("syn_retries", syn_retries, 255, "a count", narrow<uint8_t>(v.number)),
    FPTCP_TCP_INT("synack_retries", synack_retries, 255, "a count", narrow<uint8_t>(v.number)),
    FPTCP_TCP_INT("r1_retransmits", r1_retransmits, 255, "a count", narrow<uint8_t>(v.number)),
    FPTCP_TCP_INT("max_retransmits", max_retransmits, 255, "a count", narrow<uint8_t>(v.number)),
    FPTCP_TCP_INT("delayed_ack_ms", delayed_ack, max_ms, "a number of milliseconds",
                  std::chrono::milliseconds(v.number)),
    FPTCP_TCP_FLAG("keepalive", keepalive),
    FPTCP_TCP_INT("keepalive_idle_s", keepalive_idle, max_s, "a number of seconds", std::chrono::seconds(v.number)),
    FPTCP_TCP_INT("keepalive_interval_s", keepalive_interval, max_s, "a number of seconds",
                  std::chrono::seconds(v.number)),
    FPTCP_TCP_INT("keepalive_probes", keepalive_probes, 255, "a count", narrow<uint8_t>(v.number)),
    FPTCP_TCP_INT("fin_wait_2_timeout_s", fin_wait_2_timeout, max_s, "a number of seconds",
                  std::chrono::seconds(v.number)),
    FPTCP_TCP_INT("syn_backlog", syn_backlog, u32_max, "a count", narrow<uint32_t>(v.number)),
    FPTCP_TCP_INT("challenge_ack_limit", challenge_ack_limit, u16_max, "a count", narrow<uint16_t>(v.number)),
};

#undef FPTCP_TCP_INT
#undef FPTCP_TCP_FLAG

std::string toml_key(std::string_view cli_name) {
    std::string key(cli_name);
    for (char& c : key) {
        if (c == '-') c = '_';
    }
    return key;
}

template <size_t N>
const option_def* find_cli(const std::array<option_def, N>& defs, std::string_view name) {
    for (const option_def& d : defs) {
        if (d.name == name) return &d;
    }
    return nullptr;
}

template <size_t N>
const option_def* find_toml(const std::array<option_def, N>& defs, std::string_view key) {
    for (const option_def& d : defs) {
        if (!d.cli_only && toml_key(d.name) == key) return &d;
    }
    return nullptr;
}

// Range check shared by both sources; `text` is the value as written.
std::string check_integer(const option_def& d, std::string_view text, std::optional<uint64_t> number,
                          option_value& out) {
    if (!number || *number < d.min || *number > d.max) {
        return quoted(text) + " is not " + std::string(d.what) + " (" + std::to_string(d.min) + "-" +
               std::to_string(d.max) + ")";
    }
    out.text = text;
    out.number = *number;
    return {};
}

// ---- the TOML file -------------------------------------------------------

std::string_view type_name(toml::node_type t) {
    switch (t) {
    case toml::node_type::none: return "nothing";
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a floating-point number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    }
    return "an unknown type";
}

std::string_view expected_type(value_kind k) {
    switch (k) {
    case value_kind::text: return "a string";
    case value_kind::integer: return "an integer";
    case value_kind::flag: return "a boolean (true or false)";
    }
    return "a value";
}

std::string location(std::string_view path, const toml::source_region& where) {
    return std::string(path) + ":" + std::to_string(where.begin.line) + ": ";
}

// Type check, then the same checks as on the command line.
std::string apply_toml_value(const option_def& d, const toml::node& node, server_options& o) {
    option_value v;
    std::string storage;
    switch (d.kind) {
    case value_kind::text:
        if (const auto* s = node.as_string()) {
            storage = s->get();
            v.text = storage;
            return d.apply(o, v);
        }
        break;
    case value_kind::integer:
        if (const auto* i = node.as_integer()) {
            int64_t n = i->get();
            storage = std::to_string(n);
            std::optional<uint64_t> number;
            if (n >= 0) number = static_cast<uint64_t>(n);
            if (std::string problem = check_integer(d, storage, number, v); !problem.empty()) return problem;
            return d.apply(o, v);
        }
        break;
    case value_kind::flag:
        if (const auto* b = node.as_boolean()) {
            v.flag = b->get();
            return d.apply(o, v);
        }
        break;
    }
    return "expected " + std::string(expected_type(d.kind)) + ", not " + std::string(type_name(node.type()));
}

template <size_t N>
std::string apply_toml_table(const toml::table& table, const std::array<option_def, N>& defs,
                             std::string_view path, std::string_view key_prefix, server_options& o) {
    for (auto&& [key, node] : table) {
        if (key_prefix.empty() && key.str() == "tcp") continue;  // see apply_toml()
        std::string full = std::string(key_prefix) + std::string(key.str());
        const option_def* d = find_toml(defs, key.str());
        if (d == nullptr) {
            std::string msg = location(path, key.source()) + "unknown key " + quoted(full);
            if (full == "tcp.msl" || full == "tcp.msl_s") msg += " (the MSL is the top-level key msl)";
            if (key_prefix.empty() && find_toml(tcp_options, key.str()) != nullptr) msg += " (a [tcp] key)";
            return msg;
        }
        if (std::string problem = apply_toml_value(*d, node, o); !problem.empty()) {
            return location(path, node.source()) + full + ": " + problem;
        }
    }
    return {};
}

std::string apply_toml(const toml::table& root, std::string_view path, server_options& o) {
    if (const toml::node* tcp = root.get("tcp")) {
        const toml::table* t = tcp->as_table();
        if (t == nullptr) return location(path, tcp->source()) + "tcp: expected a table, not " +
                                 std::string(type_name(tcp->type()));
        if (std::string problem = apply_toml_table(*t, tcp_options, path, "tcp.", o); !problem.empty()) {
            return problem;
        }
    }
    return apply_toml_table(root, top_options, path, "", o);
}

std::optional<std::string> read_file(const std::string& path, std::string& error) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) {
        error = "--config: cannot read " + quoted(path) + ": " + std::strerror(errno);
        return std::nullopt;
    }
    std::string text;
    std::array<char, 4096> buf;
    size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) text.append(buf.data(), n);
    bool failed = std::ferror(f) != 0;
    int err = errno;
    std::fclose(f);
    if (failed) {
        error = "--config: cannot read " + quoted(path) + ": " + std::strerror(err);
        return std::nullopt;
    }
    return text;
}

// The only place where exceptions are expected (toml++ throws on syntax
// errors); none leaves this function.
std::string load_config(const std::string& path, server_options& o) {
    try {
        std::string error;
        std::optional<std::string> text = read_file(path, error);
        if (!text) return error;
        toml::table root = toml::parse(*text, path);
        return apply_toml(root, path, o);
    } catch (const toml::parse_error& e) {
        return path + ":" + std::to_string(e.source().begin.line) + ":" + std::to_string(e.source().begin.column) +
               ": " + std::string(e.description());
    } catch (const std::exception& e) {
        return path + ": " + e.what();
    }
}

// ---- the command line ----------------------------------------------------

struct cli_item {
    const option_def* def;
    std::string_view value;
};

std::string tokenize(int argc, const char* const* argv, std::vector<cli_item>& items) {
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg.size() < 3 || arg.substr(0, 2) != "--") {
            return "unexpected argument " + quoted(arg) + " (options start with --; see --help)";
        }
        std::string_view name = arg.substr(2);
        std::optional<std::string_view> inline_value;
        if (size_t eq = name.find('='); eq != std::string_view::npos) {
            inline_value = name.substr(eq + 1);
            name = name.substr(0, eq);
        }
        const option_def* d = find_cli(top_options, name);
        if (d == nullptr) return "unknown option " + quoted(std::string("--") + std::string(name)) + " (see --help)";
        std::string prefix = "--" + std::string(name) + ": ";
        if (d->kind == value_kind::flag) {
            if (inline_value) return prefix + "takes no value";
            items.push_back({d, {}});
            continue;
        }
        if (inline_value) {
            items.push_back({d, *inline_value});
            continue;
        }
        // A following option is not a value, except for --eal, whose value
        // is itself made of options ("--no-huge -l 0-3").
        bool next_is_option = i + 1 < argc && std::string_view(argv[i + 1]).substr(0, 2) == "--";
        if (i + 1 >= argc || (next_is_option && d->name != "eal")) return prefix + "missing value";
        items.push_back({d, argv[++i]});
    }
    return {};
}

std::string apply_cli(const cli_item& item, server_options& o) {
    const option_def& d = *item.def;
    option_value v;
    std::string problem;
    switch (d.kind) {
    case value_kind::text: v.text = item.value; break;
    case value_kind::integer: problem = check_integer(d, item.value, parse_decimal(item.value), v); break;
    case value_kind::flag: v.flag = true; break;
    }
    if (problem.empty()) problem = d.apply(o, v);
    if (problem.empty()) return {};
    return "--" + std::string(d.name) + ": " + problem;
}

// The CPUs of a list apply_cpus accepted.
std::size_t cpu_count(const std::string& cpus) {
    std::string error;
    return parse_cpu_list(cpus, error)->size();
}

// Rules between settings, after the file and the command line are merged.
std::string check_combination(const server_options& o, std::string_view config_path) {
    if (std::string_view problem = tcp_config_problem(o.tcp); !problem.empty()) {
        // Only the [tcp] table can break these: msl alone is range-checked.
        std::string where = config_path.empty() ? std::string("tcp: ") : std::string(config_path) + ": [tcp] ";
        return where + std::string(problem);
    }
    std::string ip = format_ipv4(o.ip) + "/" + std::to_string(o.prefix);
    if (o.gateway && ((*o.gateway ^ o.ip) & netmask(o.prefix)) != 0) {
        return "gateway " + format_ipv4(*o.gateway) + " is not inside the subnet of ip " + ip;
    }
    if (o.gateway && *o.gateway == o.ip) return "gateway " + format_ipv4(*o.gateway) + " is fptcp's own address (ip)";
    if (o.kernel_ip && *o.kernel_ip == o.ip) {
        return "kernel_ip " + format_ipv4(*o.kernel_ip) + " is fptcp's own address (ip); the two ends need two addresses";
    }
    if (!o.cpus.empty() && o.lcores_given && cpu_count(o.cpus) != o.lcores) {
        return "lcores " + std::to_string(o.lcores) + " and cpus " + o.cpus + " (" + std::to_string(cpu_count(o.cpus)) +
               " CPUs) disagree; give one of them";
    }
    return {};
}


parse_outcome failure(std::string error) {
    parse_outcome out;
    out.error = std::move(error);
    return out;
}

}  // namespace

std::string_view mode_name(server_mode m) {
    switch (m) {
    case server_mode::http: return "http";
    case server_mode::echo: return "echo";
    case server_mode::discard: return "discard";
    case server_mode::source: return "source";
    }
    return "?";
}

std::string usage() {
    std::string s =
        "usage: fptcp-server [options]   (every option can also be set in the TOML file given with --config; "
        "the command line wins)\n";
    for (const option_def& d : top_options) {
        std::string left = "  --" + std::string(d.name);
        if (!d.metavar.empty()) left += " " + std::string(d.metavar);
        left.resize(std::max<size_t>(left.size() + 2, 27), ' ');
        s += left + std::string(d.help) + "\n";
    }
    s += "exit status: 0 after a clean stop, 1 for a runtime failure, 2 for bad options or configuration\n";
    return s;
}

std::vector<std::string> config_keys() {
    std::vector<std::string> keys;
    for (const option_def& d : top_options) {
        if (!d.cli_only) keys.push_back(toml_key(d.name));
    }
    for (const option_def& d : tcp_options) keys.push_back("tcp." + toml_key(d.name));
    return keys;
}

parse_outcome parse_server_options(int argc, const char* const* argv) {
    try {
        for (int i = 1; i < argc; ++i) {
            if (std::string_view(argv[i]) == "--help") {
                parse_outcome out;
                out.help = true;
                return out;
            }
        }
        std::vector<cli_item> items;
        if (std::string problem = tokenize(argc, argv, items); !problem.empty()) return failure(problem);

        server_options o;
        std::string config_path;
        for (const cli_item& item : items) {
            if (item.def->name != "config") continue;
            if (item.value.empty()) return failure("--config: missing value");
            config_path = item.value;  // the last one counts
        }
        if (!config_path.empty()) {
            if (std::string problem = load_config(config_path, o); !problem.empty()) return failure(problem);
        }
        for (const cli_item& item : items) {
            if (item.def->name == "config") continue;
            if (std::string problem = apply_cli(item, o); !problem.empty()) return failure(problem);
        }
        if (std::string problem = check_combination(o, config_path); !problem.empty()) return failure(problem);
        if (!o.cpus.empty()) o.lcores = static_cast<uint16_t>(cpu_count(o.cpus));
        // The MSS follows the MTU (less IPv4 and TCP headers) unless [tcp]
        // mss says otherwise than its default.
        if (o.mtu != 0 && o.tcp.mss == tcp_config{}.mss) o.tcp.mss = static_cast<uint16_t>(o.mtu - 40);
        parse_outcome out;
        out.options = std::move(o);
        return out;
    } catch (const std::exception& e) {  // std::bad_alloc: nothing else throws here
        return failure(std::string("cannot parse the options: ") + e.what());
    }
}

std::string with_option_names(const std::string& runtime_error) {
    for (std::string_view field : {"port: ", "pcap: ", "eal: ", "cpus: "}) {
        if (runtime_error.starts_with(field)) return "--" + runtime_error;
    }
    return runtime_error;
}

}  // namespace fptcp::app
