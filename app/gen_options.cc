// fptcp-gen's command line: `--name VALUE` or `--name=VALUE`, checked one by
// one; the first problem ends parsing with one line naming the option.

#include "app/gen_options.hh"

#include <array>
#include <limits>
#include <utility>

#include "app/server_options.hh"  // parse_ipv4
#include "fptcp/cpu_list.hh"

namespace fptcp::app {

namespace {

constexpr uint64_t u16_max = std::numeric_limits<uint16_t>::max();
constexpr uint64_t max_concurrency = uint64_t{1} << 22;
constexpr uint64_t max_seconds = 365 * 24 * 3600;
constexpr uint64_t max_size = uint64_t{1} << 30;
constexpr uint64_t max_msl_s = 3600;
constexpr uint64_t max_cpu = 127;  // RTE_MAX_LCORE - 1 of Debian 12's DPDK 22.11
constexpr uint64_t max_lcores = 64;
constexpr uint64_t max_rate = uint64_t{1} << 32;
constexpr uint64_t max_pipeline = 1024;
constexpr uint32_t max_source_ips = 1u << 16;

std::string quoted(std::string_view text) {
    return "'" + std::string(text) + "'";
}

std::optional<uint64_t> parse_decimal(std::string_view text) {
    if (text.empty() || text.size() > 19) return std::nullopt;
    uint64_t v = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    return v;
}

bool is_unicast(uint32_t addr) {
    return (addr >> 24) != 0 && addr < (224u << 24);
}

// The suffixes a number may carry: counts and rates (k, M, G: powers of
// 1000), durations (s, m, h), sizes (k, M, G: powers of 1024, as iperf).
enum class unit : uint8_t { count, seconds, bytes };

std::optional<uint64_t> multiplier_of(std::string_view suffix, unit u) {
    if (suffix.empty()) return 1;
    if (suffix.size() != 1) return std::nullopt;
    char c = suffix[0];
    switch (u) {
    case unit::count:
        if (c == 'k' || c == 'K') return 1'000;
        if (c == 'M') return 1'000'000;
        if (c == 'G') return 1'000'000'000;
        return std::nullopt;
    case unit::seconds:
        if (c == 's') return 1;
        if (c == 'm') return 60;
        if (c == 'h') return 3600;
        return std::nullopt;
    case unit::bytes:
        if (c == 'k' || c == 'K') return uint64_t{1} << 10;
        if (c == 'M') return uint64_t{1} << 20;
        if (c == 'G') return uint64_t{1} << 30;
        return std::nullopt;
    }
    return std::nullopt;
}

// A decimal number with its unit's optional suffix ("100k", "2m", "64K").
std::optional<uint64_t> parse_with_unit(std::string_view text, unit u) {
    std::size_t digits = text.find_first_not_of("0123456789");
    if (digits == std::string_view::npos) digits = text.size();
    std::optional<uint64_t> number = parse_decimal(text.substr(0, digits));
    std::optional<uint64_t> multiplier = multiplier_of(text.substr(digits), u);
    if (!number || !multiplier || *number > UINT64_MAX / *multiplier) return std::nullopt;
    return *number * *multiplier;
}

// An integer within [min, max], or why not.
std::string parse_integer(std::string_view text, unit u, uint64_t min, uint64_t max, std::string_view what,
                          uint64_t& out) {
    std::optional<uint64_t> v = parse_with_unit(text, u);
    if (!v || *v < min || *v > max) {
        return quoted(text) + " is not " + std::string(what) + " (" + std::to_string(min) + "-" + std::to_string(max) +
               ")";
    }
    out = *v;
    return {};
}

std::string apply_port(gen_options& o, std::string_view v) {
    size_t colon = v.find(':');
    bool blank = v.find_first_of(" \t\r\n") != std::string_view::npos;
    if (colon == 0 || colon == std::string_view::npos || colon + 1 == v.size() || blank) {
        return quoted(v) +
               " is not a port spec (tap:NAME, af_packet:IFACE, memif:SOCKET[,role=server|client], ring:NAME, pci:BDF)";
    }
    o.port = v;
    return {};
}

std::string apply_ip(gen_options& o, std::string_view v) {
    size_t slash = v.find('/');
    std::optional<uint32_t> addr = slash == std::string_view::npos ? std::nullopt : parse_ipv4(v.substr(0, slash));
    std::string_view digits = slash == std::string_view::npos ? std::string_view{} : v.substr(slash + 1);
    std::optional<uint64_t> prefix = digits.size() <= 2 ? parse_decimal(digits) : std::nullopt;
    if (!addr || !prefix || *prefix > 32) return quoted(v) + " is not ADDR/PREFIX";
    if (!is_unicast(*addr)) return quoted(v) + " is not a unicast address";
    o.ip = *addr;
    o.prefix = static_cast<uint8_t>(*prefix);
    return {};
}

std::string apply_gateway(gen_options& o, std::string_view v) {
    if (v == "none") {
        o.gateway.reset();
        return {};
    }
    std::optional<uint32_t> addr = parse_ipv4(v);
    if (!addr || !is_unicast(*addr)) return quoted(v) + " is not a unicast IPv4 address or none";
    o.gateway = *addr;
    return {};
}

std::string apply_connect(gen_options& o, std::string_view v) {
    size_t colon = v.rfind(':');
    std::optional<uint32_t> addr = colon == std::string_view::npos ? std::nullopt : parse_ipv4(v.substr(0, colon));
    std::optional<uint64_t> port = colon == std::string_view::npos ? std::nullopt : parse_decimal(v.substr(colon + 1));
    if (!addr || !port || *port == 0 || *port > u16_max) return quoted(v) + " is not IP:PORT";
    if (!is_unicast(*addr)) return quoted(v) + " is not a unicast address";
    o.server_ip = *addr;
    o.server_port = static_cast<uint16_t>(*port);
    return {};
}

std::string apply_workload(gen_options& o, std::string_view v) {
    constexpr std::array<gen_workload, 4> all{gen_workload::crr, gen_workload::rr, gen_workload::stream,
                                              gen_workload::syn_flood};
    for (gen_workload w : all) {
        if (v == workload_name(w)) {
            o.workload = w;
            return {};
        }
    }
    return quoted(v) + " is not one of crr, rr, stream, syn-flood";
}

std::string apply_direction(gen_options& o, std::string_view v) {
    if (v == "send") {
        o.direction = stream_direction::send;
    } else if (v == "receive") {
        o.direction = stream_direction::receive;
    } else {
        return quoted(v) + " is not send or receive";
    }
    return {};
}

// FIRST or FIRST-LAST, split at the dash.
std::pair<std::string_view, std::string_view> range_ends(std::string_view v) {
    size_t dash = v.find('-');
    if (dash == std::string_view::npos) return {v, v};
    return {v.substr(0, dash), v.substr(dash + 1)};
}

std::string apply_source_ips(gen_options& o, std::string_view v) {
    auto [first_text, last_text] = range_ends(v);
    std::optional<uint32_t> first = parse_ipv4(first_text), last = parse_ipv4(last_text);
    if (!first || !last || *last < *first) return quoted(v) + " is not ADDR or FIRST-LAST";
    if (!is_unicast(*first) || !is_unicast(*last)) return quoted(v) + " is not a range of unicast addresses";
    if (*last - *first >= max_source_ips) {
        return quoted(v) + " has more than " + std::to_string(max_source_ips) + " addresses";
    }
    o.source_ips = {*first, *last - *first + 1};
    return {};
}

std::string apply_source_ports(gen_options& o, std::string_view v) {
    auto [first_text, last_text] = range_ends(v);
    std::optional<uint64_t> first = parse_decimal(first_text), last = parse_decimal(last_text);
    if (!first || !last || *first == 0 || *last > u16_max || *last < *first) {
        return quoted(v) + " is not PORT or FIRST-LAST (1-65535)";
    }
    o.source_ports = {static_cast<uint16_t>(*first), static_cast<uint16_t>(*last - *first + 1)};
    return {};
}

// Applies --name with `value`; returns the problem (without the name).
std::string apply(gen_options& o, std::string_view name, std::string_view value) {
    uint64_t n = 0;
    std::string problem;
    auto integer = [&](uint64_t min, uint64_t max, std::string_view what, unit u = unit::count) {
        problem = parse_integer(value, u, min, max, what, n);
        return problem.empty();
    };
    if (name == "port") return apply_port(o, value);
    if (name == "ip") return apply_ip(o, value);
    if (name == "gateway") return apply_gateway(o, value);
    if (name == "connect") return apply_connect(o, value);
    if (name == "workload") return apply_workload(o, value);
    if (name == "direction") return apply_direction(o, value);
    if (name == "source-ips") return apply_source_ips(o, value);
    if (name == "source-ports") return apply_source_ports(o, value);
    if (name == "json" || name == "hdr-log") {
        if (value.empty()) return "missing file name";
        (name == "json" ? o.json : o.hdr_log) = value;
        return {};
    }
    if (name == "eal") {
        o.eal = value;
        return {};
    }
    if (name == "path") {
        if (!value.starts_with('/') || value.find_first_of(" \t\r\n") != std::string_view::npos) {
            return quoted(value) + " is not an origin-form path (RFC 9112 3.2.1: starts with /, no spaces)";
        }
        o.path = value;
        return {};
    }
    if (name == "header") {
        std::size_t colon = value.find(':');
        bool bad_name = colon == 0 || colon == std::string_view::npos ||
                        value.substr(0, colon).find_first_of(" \t") != std::string_view::npos;
        if (bad_name || value.find_first_of("\r\n") != std::string_view::npos) {
            return quoted(value) + " is not a header line \"Name: value\" (RFC 9110 5)";
        }
        o.headers.emplace_back(value);
        return {};
    }
    if (name == "log-level") {
        std::optional<log_level> l = parse_log_level(value);
        if (!l) return "'" + std::string(value) + "' is not one of error, warning, notice, info, debug";
        o.log_level = *l;
        return {};
    }
    if (name == "cpus") {
        if (!parse_cpu_list(value, problem)) return problem;
        o.cpus = value;
        return {};
    }
    if (name == "concurrency") {
        if (integer(1, max_concurrency, "a number of connections")) o.concurrency = static_cast<uint32_t>(n);
    } else if (name == "rate") {
        if (integer(0, max_rate, "a rate per second")) o.rate = n;
    } else if (name == "lcores") {
        if (integer(1, max_lcores, "a number of lcores")) o.lcores = static_cast<uint16_t>(n);
        o.lcores_given = true;
    } else if (name == "duration") {
        if (integer(1, max_seconds, "a number of seconds", unit::seconds)) o.duration_s = static_cast<uint32_t>(n);
    } else if (name == "warmup") {
        if (integer(0, max_seconds, "a number of seconds", unit::seconds)) o.warmup_s = static_cast<uint32_t>(n);
    } else if (name == "request-size") {
        if (integer(1, max_size, "a size in bytes", unit::bytes)) o.request_size = static_cast<uint32_t>(n);
    } else if (name == "response-size") {
        if (integer(0, max_size, "a size in bytes", unit::bytes)) o.response_size = static_cast<uint32_t>(n);
    } else if (name == "msl") {
        if (integer(1, max_msl_s, "a number of seconds", unit::seconds)) o.msl_s = static_cast<uint32_t>(n);
    } else if (name == "pipeline") {
        if (integer(1, max_pipeline, "a pipeline depth")) o.pipeline = static_cast<uint32_t>(n);
    } else if (name == "mtu") {
        if (integer(576, 9000, "an MTU in bytes")) o.mtu = static_cast<uint16_t>(n);
    } else if (name == "cpu") {
        if (integer(0, max_cpu, "a CPU number")) o.cpu = static_cast<int>(n);
    } else {
        return "unknown option";
    }
    return problem;
}

bool is_flag(std::string_view name) {
    return name == "http" || name == "quiet" || name == "help";
}

// --cpus names the CPUs and so the lcore count; --cpu (the first of a
// range) cannot go with it, and --lcores must agree.
std::string place_on_cpus(gen_options& o) {
    if (o.cpus.empty()) return {};
    std::string error;
    auto count = static_cast<uint16_t>(parse_cpu_list(o.cpus, error)->size());
    if (o.cpu >= 0) return "--cpus: give --cpus or --cpu, not both";
    if (o.lcores_given && o.lcores != count) {
        return "--lcores " + std::to_string(o.lcores) + " and --cpus " + o.cpus + " (" + std::to_string(count) +
               " CPUs) disagree; give one of them";
    }
    o.lcores = count;
    return {};
}

gen_parse_outcome failure(std::string message) {
    gen_parse_outcome out;
    out.error = std::move(message);
    return out;
}

}  // namespace

std::string_view workload_name(gen_workload w) {
    switch (w) {
    case gen_workload::crr: return "crr";
    case gen_workload::rr: return "rr";
    case gen_workload::stream: return "stream";
    case gen_workload::syn_flood: return "syn-flood";
    }
    return "?";
}

std::string_view direction_name(stream_direction d) {
    switch (d) {
    case stream_direction::send: return "send";
    case stream_direction::receive: return "receive";
    }
    return "?";
}

std::string gen_usage() {
    return "usage: fptcp-gen --port SPEC --ip ADDR/PREFIX --connect IP:PORT [options]\n"
           "  --port SPEC            tap:NAME | af_packet:IFACE | memif:SOCKET[,role=server|client] | ring:NAME | "
           "pci:BDF\n"
           "  --ip ADDR/PREFIX       fptcp-gen's own address\n"
           "  --gateway ADDR         next hop for off-link destinations (default: none, on-link only)\n"
           "  --connect IP:PORT      the server to load\n"
           "  --workload W           crr (connect, request, response, close) | rr (request/response on persistent\n"
           "                         connections) | stream (bulk data, see --direction) | syn-flood (SYNs from\n"
           "                         the --source-ips, counting the SYN-ACKs and RSTs that come back) (default crr)\n"
           "  --direction D          stream: send (to fptcp-server --mode discard) | receive (from --mode source)\n"
           "                         (default send)\n"
           "  --concurrency N        connections in flight (default 64)\n"
           "  --rate R               open loop: R connections (crr), requests (rr) or SYNs (syn-flood) per second\n"
           "                         over all lcores (default 0: closed loop; syn-flood: as fast as it can)\n"
           "  --duration S           measured seconds, after the warm-up (default 10)\n"
           "  --warmup S             seconds run first and excluded from the results (default 1)\n"
           "  --request-size B       request bytes, without --http (default 64)\n"
           "  --response-size B      response bytes expected, without --http (default 64; against fptcp-server\n"
           "                         --mode echo use the request size)\n"
           "  --http                 HTTP/1.1 GET requests (crr: with Connection: close); a response is complete\n"
           "                         when its header and Content-Length body arrived\n"
           "  --pipeline N           rr, closed loop: N requests sent back to back on each connection, the next\n"
           "                         N once all N responses are in (default 1)\n"
           "  --path /P              http: the request target (default /)\n"
           "  --header \"N: V\"        http: one more request header line (repeatable)\n"
           "  --source-ips A[-B]     source addresses: ours (ARP answered for each; default --ip's alone), or for\n"
           "                         syn-flood the spoofed ones (default: --ip's)\n"
           "  --source-ports A[-B]   source ports (default 32768-60999)\n"
           "  --lcores N             lcores, on CPUs --cpu .. --cpu + N - 1 (default 1); each opens connections\n"
           "                         whose replies come back to it (RSS or software dispatch)\n"
           "  --msl S                MSL of our connections: TIME_WAIT lasts 2*MSL (default 30)\n"
           "  --cpu N                the first CPU (EAL lcore) to run on (default 1 on a machine with 2 or more\n"
           "                         CPUs, else 0)\n"
           "  --cpus LIST            the CPUs to run on, one lcore each, e.g. 2-5,8 (instead of --cpu and --lcores)\n"
           "  --json FILE            write the results as JSON, with a per-second series\n"
           "  --hdr-log FILE         write the request latencies (ms) as HdrHistogram's percentile distribution\n"
           "                         (wrk2 -U's text)\n"
           "  --quiet                no live line per second\n"
           "  --mtu BYTES            the port's MTU, 576-9000 (jumbo frames; our MSS is MTU - 40) (default: the port's)\n"
           "  --log-level LEVEL      error | warning | notice | info | debug: fptcp's log on stderr (default notice)\n"
           "  --eal \"ARGS\"           extra EAL arguments for experts\n"
           "  --help\n"
           "Numbers take suffixes: N and R k, M, G (x1000); S s, m, h; B k, M, G (x1024): --rate 100k,\n"
           "--duration 2m, --response-size 64k\n"
           "Exit status: 0 after a run, 1 for a runtime failure, 2 for bad options\n";
}

gen_parse_outcome parse_gen_options(int argc, const char* const* argv) {
    for (int i = 1; i < argc; ++i) {
        if (std::string_view(argv[i]) == "--help") {
            gen_parse_outcome out;
            out.help = true;
            return out;
        }
    }
    gen_options o;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (!arg.starts_with("--") || arg.size() == 2) return failure(quoted(arg) + " is not an option (see --help)");
        std::string_view name = arg.substr(2);
        std::optional<std::string_view> value;
        if (size_t eq = name.find('='); eq != std::string_view::npos) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
        }
        std::string option = "--" + std::string(name);
        if (is_flag(name)) {
            if (value) return failure(option + ": takes no value");
            if (name == "help") {
                gen_parse_outcome out;
                out.help = true;
                return out;
            }
            (name == "http" ? o.http : o.quiet) = true;
            continue;
        }
        if (!value) {
            if (i + 1 >= argc) return failure(option + ": missing value");
            value = argv[++i];
        }
        if (std::string problem = apply(o, name, *value); !problem.empty()) {
            if (problem == "unknown option") return failure(option + ": unknown option (see --help)");
            return failure(option + ": " + problem);
        }
    }
    if (o.port.empty()) return failure("--port: missing (the port to send on)");
    if (o.ip == 0) return failure("--ip: missing (fptcp-gen's own address)");
    if (o.server_ip == 0) return failure("--connect: missing (the server to load)");
    if (o.server_ip == o.ip) return failure("--connect: the server cannot be our own address");
    if (o.source_ips.count == 0) o.source_ips = {o.ip, 1};
    if (o.server_ip - o.source_ips.first < o.source_ips.count) {
        return failure("--source-ips: the range holds the server's address");
    }
    if (o.workload == gen_workload::stream && o.rate != 0) {
        return failure("--rate: stream runs closed loop (as fast as TCP allows)");
    }
    if (o.workload != gen_workload::syn_flood && o.source_ips.first != o.ip) {
        return failure("--source-ips: must start at --ip's address (fptcp-gen's own)");
    }
    if (std::string problem = place_on_cpus(o); !problem.empty()) return failure(problem);
    if (o.pipeline > 1 && (o.workload != gen_workload::rr || o.rate != 0)) {
        return failure("--pipeline: rr in closed loop only (no --rate)");
    }
    if (o.workload == gen_workload::syn_flood && o.lcores != 1) {
        return failure("--lcores: syn-flood runs on one lcore");
    }
    gen_parse_outcome out;
    out.options = o;
    return out;
}

}  // namespace fptcp::app
