// fptcp-server's options: the command line, the TOML file, their merge, and
// the one-line message for every bad value.

#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "app/server_options.hh"

namespace fptcp::app {
namespace {

using namespace std::chrono_literals;

parse_outcome parse(std::vector<std::string> args) {
    args.insert(args.begin(), "fptcp-server");
    std::vector<const char*> argv;
    for (const std::string& a : args) argv.push_back(a.c_str());
    return parse_server_options(static_cast<int>(argv.size()), argv.data());
}

server_options parse_ok(std::vector<std::string> args) {
    parse_outcome out = parse(std::move(args));
    EXPECT_EQ(out.error, "");
    EXPECT_FALSE(out.help);
    return out.options.value_or(server_options{});
}

std::string parse_error(std::vector<std::string> args) {
    parse_outcome out = parse(std::move(args));
    EXPECT_FALSE(out.options.has_value());
    EXPECT_EQ(out.error.find('\n'), std::string::npos) << "one line: " << out.error;
    return out.error;
}

constexpr uint32_t addr(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
    return (a << 24) | (b << 16) | (c << 8) | d;
}

void expect_same_tcp(const tcp_config& a, const tcp_config& b) {
    EXPECT_EQ(a.mss, b.mss);
    EXPECT_EQ(a.min_peer_mss, b.min_peer_mss);
    EXPECT_EQ(a.send_buffer, b.send_buffer);
    EXPECT_EQ(a.receive_buffer, b.receive_buffer);
    EXPECT_EQ(a.max_ooo_ranges, b.max_ooo_ranges);
    EXPECT_EQ(a.max_sack_ranges, b.max_sack_ranges);
    EXPECT_EQ(a.window_scaling, b.window_scaling);
    EXPECT_EQ(a.timestamps, b.timestamps);
    EXPECT_EQ(a.sack_permitted, b.sack_permitted);
    EXPECT_EQ(a.congestion, b.congestion);
    EXPECT_EQ(a.nagle, b.nagle);
    EXPECT_EQ(a.slow_start_after_idle, b.slow_start_after_idle);
    EXPECT_EQ(a.msl, b.msl);
    EXPECT_EQ(a.rto_initial, b.rto_initial);
    EXPECT_EQ(a.rto_min, b.rto_min);
    EXPECT_EQ(a.rto_max, b.rto_max);
    EXPECT_EQ(a.syn_retries, b.syn_retries);
    EXPECT_EQ(a.synack_retries, b.synack_retries);
    EXPECT_EQ(a.r1_retransmits, b.r1_retransmits);
    EXPECT_EQ(a.max_retransmits, b.max_retransmits);
    EXPECT_EQ(a.delayed_ack, b.delayed_ack);
    EXPECT_EQ(a.keepalive, b.keepalive);
    EXPECT_EQ(a.keepalive_idle, b.keepalive_idle);
    EXPECT_EQ(a.keepalive_interval, b.keepalive_interval);
    EXPECT_EQ(a.keepalive_probes, b.keepalive_probes);
    EXPECT_EQ(a.fin_wait_2_timeout, b.fin_wait_2_timeout);
    EXPECT_EQ(a.syn_backlog, b.syn_backlog);
    EXPECT_EQ(a.challenge_ack_limit, b.challenge_ack_limit);
}

void expect_same(const server_options& a, const server_options& b) {
    EXPECT_EQ(a.port, b.port);
    EXPECT_EQ(a.ip, b.ip);
    EXPECT_EQ(a.prefix, b.prefix);
    EXPECT_EQ(a.gateway, b.gateway);
    EXPECT_EQ(a.kernel_ip, b.kernel_ip);
    EXPECT_EQ(a.kernel_prefix, b.kernel_prefix);
    EXPECT_EQ(a.listen, b.listen);
    EXPECT_EQ(a.mode, b.mode);
    EXPECT_EQ(a.response_size, b.response_size);
    EXPECT_EQ(a.source_bytes, b.source_bytes);
    EXPECT_EQ(a.header_timeout_s, b.header_timeout_s);
    EXPECT_EQ(a.keepalive_timeout_s, b.keepalive_timeout_s);
    EXPECT_EQ(a.lcores, b.lcores);
    EXPECT_EQ(a.cpus, b.cpus);
    EXPECT_EQ(a.mtu, b.mtu);
    EXPECT_EQ(a.max_connections, b.max_connections);
    EXPECT_EQ(a.pcap, b.pcap);
    EXPECT_EQ(a.duration_s, b.duration_s);
    EXPECT_EQ(a.stats_json, b.stats_json);
    EXPECT_EQ(a.quiet, b.quiet);
    EXPECT_EQ(a.eal, b.eal);
    EXPECT_EQ(a.fault, b.fault);
    expect_same_tcp(a.tcp, b.tcp);
}

// A TOML file under the test's temporary directory, removed afterwards.
class temp_file {
public:
    explicit temp_file(std::string_view text) {
        static int counter = 0;
        _path = ::testing::TempDir() + "fptcp_options_" + std::to_string(::getpid()) + "_" +
                std::to_string(counter++) + ".toml";
        std::ofstream(_path) << text;
    }
    ~temp_file() { std::filesystem::remove(_path); }
    temp_file(const temp_file&) = delete;
    temp_file& operator=(const temp_file&) = delete;
    const std::string& path() const { return _path; }

private:
    std::string _path;
};

// ---- the command line ----------------------------------------------------

TEST(ServerOptions, NoArgumentsGiveTheContractDefaults) {
    server_options o = parse_ok({});
    EXPECT_EQ(o.port, "tap:fptcp0");
    EXPECT_EQ(o.ip, addr(10, 70, 0, 2));
    EXPECT_EQ(o.prefix, 24);
    EXPECT_EQ(o.gateway, std::nullopt);
    EXPECT_EQ(o.kernel_ip, addr(10, 70, 0, 1));
    EXPECT_EQ(o.kernel_prefix, 24);
    EXPECT_EQ(o.listen, 80);
    EXPECT_EQ(o.mode, server_mode::http);
    EXPECT_EQ(o.response_size, 1024u);
    EXPECT_EQ(o.source_bytes, 0u);
    EXPECT_EQ(o.lcores, 1);
    EXPECT_EQ(o.tcp.msl, 30s);
    EXPECT_EQ(o.max_connections, 65536u);
    EXPECT_EQ(o.pcap, "");
    EXPECT_EQ(o.duration_s, 0u);
    EXPECT_EQ(o.stats_json, "");
    EXPECT_FALSE(o.quiet);
    EXPECT_EQ(o.eal, "");
    EXPECT_FALSE(o.fault.rx.any());
    EXPECT_FALSE(o.fault.tx.any());
    EXPECT_EQ(o.fault.seed, 1u);
    expect_same_tcp(o.tcp, tcp_config{});
}

TEST(ServerOptions, EveryOptionIsParsed) {
    server_options o = parse_ok({"--port", "af_packet:veth-fptcp", "--ip", "192.168.5.10/16", "--gateway",
                                 "192.168.0.1", "--kernel-ip", "192.168.5.1/16", "--listen", "8080", "--mode",
                                 "source", "--response-size", "0", "--source-bytes", "104857600", "--lcores", "4",
                                 "--msl", "2", "--max-connections", "1000", "--pcap", "/tmp/x.pcapng", "--duration",
                                 "60", "--stats-json", "/tmp/s.json", "--quiet", "--eal", "--no-huge",
                                 "--header-timeout", "5", "--keepalive-timeout", "0", "--log-level", "debug"});
    EXPECT_EQ(o.port, "af_packet:veth-fptcp");
    EXPECT_EQ(o.ip, addr(192, 168, 5, 10));
    EXPECT_EQ(o.prefix, 16);
    EXPECT_EQ(o.gateway, addr(192, 168, 0, 1));
    EXPECT_EQ(o.kernel_ip, addr(192, 168, 5, 1));
    EXPECT_EQ(o.kernel_prefix, 16);
    EXPECT_EQ(o.listen, 8080);
    EXPECT_EQ(o.mode, server_mode::source);
    EXPECT_EQ(o.response_size, 0u);
    EXPECT_EQ(o.source_bytes, 104857600u);
    EXPECT_EQ(o.lcores, 4);
    EXPECT_EQ(o.tcp.msl, 2s);
    EXPECT_EQ(o.max_connections, 1000u);
    EXPECT_EQ(o.pcap, "/tmp/x.pcapng");
    EXPECT_EQ(o.duration_s, 60u);
    EXPECT_EQ(o.stats_json, "/tmp/s.json");
    EXPECT_TRUE(o.quiet);
    EXPECT_EQ(o.eal, "--no-huge");
    EXPECT_EQ(o.header_timeout_s, 5u);
    EXPECT_EQ(o.keepalive_timeout_s, 0u);
    EXPECT_EQ(o.log_level, log_level::debug);
}

// --mtu sets the port's MTU and, unless [tcp] mss is set otherwise, the MSS.
TEST(ServerOptions, MtuAndTheMssThatFollows) {
    server_options o = parse_ok({"--mtu", "9000"});
    EXPECT_EQ(o.mtu, 9000);
    EXPECT_EQ(o.tcp.mss, 8960);
    EXPECT_EQ(parse_ok({}).tcp.mss, 1460);
    temp_file f("[tcp]\nmss = 4000\n");
    EXPECT_EQ(parse_ok({"--mtu", "9000", "--config", f.path()}).tcp.mss, 4000);
    EXPECT_EQ(parse({"--mtu", "9001"}).error, "--mtu: '9001' is not an MTU in bytes (0-9000)");
}

// --cpus names the CPUs, one lcore each, and sets the lcore count; with
// --lcores too, the two must agree (docs/ports.md's NIC recipe).
TEST(ServerOptions, CpusSetTheLcoresAndMustAgreeWithThem) {
    server_options o = parse_ok({"--cpus", "2-5,8"});
    EXPECT_EQ(o.cpus, "2-5,8");
    EXPECT_EQ(o.lcores, 5);
    EXPECT_EQ(parse_ok({"--cpus", "0-3", "--lcores", "4"}).lcores, 4);
    EXPECT_EQ(parse_ok({"--lcores", "4", "--cpus", "0-3"}).cpus, "0-3");
    parse_outcome out = parse({"--lcores", "3", "--cpus", "0-1"});
    EXPECT_EQ(out.error, "lcores 3 and cpus 0-1 (2 CPUs) disagree; give one of them");
    out = parse({"--cpus", "0-3,2"});
    EXPECT_EQ(out.error, "--cpus: \"0-3,2\" is not a CPU list like 0, 0-3 or 1,3,5-6 of distinct CPUs below 128");
}

TEST(ServerOptions, TcpChoicesHaveTheirFlags) {
    server_options o = parse_ok({"--congestion", "newreno", "--no-nagle", "--no-slow-start-after-idle"});
    EXPECT_EQ(o.tcp.congestion, congestion_algorithm::newreno);
    EXPECT_FALSE(o.tcp.nagle);
    EXPECT_FALSE(o.tcp.slow_start_after_idle);
    EXPECT_EQ(parse_ok({"--congestion", "cubic"}).tcp.congestion, congestion_algorithm::cubic);
    for (congestion_algorithm a : {congestion_algorithm::cubic, congestion_algorithm::newreno, congestion_algorithm::bbr}) {
        EXPECT_EQ(parse_ok({"--congestion", std::string(congestion_name(a))}).tcp.congestion, a);
    }
}

TEST(ServerOptions, FaultRatesArePercentagesInPartsPerMillion) {
    server_options o = parse_ok({"--fault-rx", "drop=5%,dup=1%,reorder=0.25%", "--fault-tx", "reorder=100%,drop=0.0001%",
                                 "--fault-seed", "18446744073709551615"});
    EXPECT_EQ(o.fault.rx, (fault_rates{.drop = 50000, .duplicate = 10000, .reorder = 2500}));
    EXPECT_EQ(o.fault.tx, (fault_rates{.drop = 1, .duplicate = 0, .reorder = 1'000'000}));
    EXPECT_EQ(o.fault.seed, UINT64_MAX);
    EXPECT_EQ(parse_ok({"--fault-rx", "drop=0%"}).fault.rx, fault_rates{});
    EXPECT_EQ(parse_ok({"--fault-rx", "dup=12.5%"}).fault.rx.duplicate, 125000u);
}

TEST(ServerOptions, FaultNoneClearsARateSetEarlier) {
    server_options o = parse_ok({"--fault-tx", "drop=5%", "--fault-tx", "none"});
    EXPECT_FALSE(o.fault.tx.any());
}

TEST(ServerOptions, EqualsFormWorksAndTheLastOccurrenceWins) {
    server_options o = parse_ok({"--listen=8080", "--listen", "9090", "--mode=echo", "--eal=--no-huge"});
    EXPECT_EQ(o.listen, 9090);
    EXPECT_EQ(o.mode, server_mode::echo);
    EXPECT_EQ(o.eal, "--no-huge");
}

TEST(ServerOptions, EveryModeHasItsName) {
    for (server_mode m : {server_mode::http, server_mode::echo, server_mode::discard, server_mode::source}) {
        EXPECT_EQ(parse_ok({"--mode", std::string(mode_name(m))}).mode, m);
    }
}

TEST(ServerOptions, NoneClearsGatewayAndKernelIp) {
    server_options o = parse_ok({"--gateway", "10.70.0.254", "--gateway", "none", "--kernel-ip", "none"});
    EXPECT_EQ(o.gateway, std::nullopt);
    EXPECT_EQ(o.kernel_ip, std::nullopt);
}

TEST(ServerOptions, BoundaryValuesAreAccepted) {
    server_options o = parse_ok({"--listen", "65535", "--lcores", "128", "--msl", "3600", "--max-connections",
                                 "16777216", "--source-bytes", "18446744073709551615", "--ip", "10.0.0.1/32"});
    EXPECT_EQ(o.listen, 65535);
    EXPECT_EQ(o.lcores, 128);
    EXPECT_EQ(o.tcp.msl, 3600s);
    EXPECT_EQ(o.max_connections, 16777216u);
    EXPECT_EQ(o.source_bytes, UINT64_MAX);
    EXPECT_EQ(o.prefix, 32);
    EXPECT_EQ(parse_ok({"--listen", "1"}).listen, 1);
}

struct bad_args {
    const char* name;
    std::vector<std::string> args;
    std::string error;
};

class ServerOptionsReject : public ::testing::TestWithParam<bad_args> {};

TEST_P(ServerOptionsReject, WithOneLineNamingOptionAndValue) {
    EXPECT_EQ(parse_error(GetParam().args), GetParam().error);
}

const std::string port_spec = "(tap:NAME, af_packet:IFACE, memif:SOCKET[,role=server|client], ring:NAME, pci:BDF)";

INSTANTIATE_TEST_SUITE_P(
    EveryBadValue, ServerOptionsReject,
    ::testing::Values(
        bad_args{"UnknownOption", {"--lisen", "80"}, "unknown option '--lisen' (see --help)"},
        bad_args{"PositionalArgument", {"80"}, "unexpected argument '80' (options start with --; see --help)"},
        bad_args{"SingleDash", {"-q"}, "unexpected argument '-q' (options start with --; see --help)"},
        bad_args{"MissingValueAtEnd", {"--listen"}, "--listen: missing value"},
        bad_args{"MissingValueBeforeOption", {"--pcap", "--quiet"}, "--pcap: missing value"},
        bad_args{"FlagWithValue", {"--quiet=yes"}, "--quiet: takes no value"},
        bad_args{"EmptyConfig", {"--config="}, "--config: missing value"},
        bad_args{"PortWithoutKind", {"--port", "fptcp0"}, "--port: 'fptcp0' is not a port spec " + port_spec},
        bad_args{"PortWithoutName", {"--port", "tap:"}, "--port: 'tap:' is not a port spec " + port_spec},
        bad_args{"PortWithBlank", {"--port", "tap:a b"}, "--port: 'tap:a b' is not a port spec " + port_spec},
        bad_args{"IpOctetTooBig", {"--ip", "10.0.0.300/24"}, "--ip: '10.0.0.300/24' is not ADDR/PREFIX"},
        bad_args{"IpWithoutPrefix", {"--ip", "10.0.0.2"}, "--ip: '10.0.0.2' is not ADDR/PREFIX"},
        bad_args{"IpPrefixTooLong", {"--ip", "10.0.0.2/33"}, "--ip: '10.0.0.2/33' is not ADDR/PREFIX"},
        bad_args{"IpThreeOctets", {"--ip", "10.0.2/24"}, "--ip: '10.0.2/24' is not ADDR/PREFIX"},
        bad_args{"IpLeadingZero", {"--ip", "10.0.0.02/24"}, "--ip: '10.0.0.02/24' is not ADDR/PREFIX"},
        bad_args{"IpMulticast", {"--ip", "224.0.0.5/24"}, "--ip: '224.0.0.5/24' is not a unicast address"},
        bad_args{"IpZero", {"--ip", "0.0.0.0/0"}, "--ip: '0.0.0.0/0' is not a unicast address"},
        bad_args{"IpNetworkAddress", {"--ip", "10.70.0.0/24"},
                 "--ip: '10.70.0.0/24' is the network address of its subnet"},
        bad_args{"IpBroadcastAddress", {"--ip", "10.70.0.255/24"},
                 "--ip: '10.70.0.255/24' is the broadcast address of its subnet"},
        bad_args{"GatewayNotAnAddress", {"--gateway", "router"},
                 "--gateway: 'router' is not an IPv4 address or none"},
        bad_args{"GatewayWithPrefix", {"--gateway", "10.70.0.1/24"},
                 "--gateway: '10.70.0.1/24' is not an IPv4 address or none"},
        bad_args{"GatewayBroadcast", {"--gateway", "255.255.255.255"},
                 "--gateway: '255.255.255.255' is not a unicast address"},
        bad_args{"GatewayOffLink", {"--gateway", "10.71.0.1"},
                 "gateway 10.71.0.1 is not inside the subnet of ip 10.70.0.2/24"},
        bad_args{"GatewayIsOwnAddress", {"--gateway", "10.70.0.2"}, "gateway 10.70.0.2 is fptcp's own address (ip)"},
        bad_args{"KernelIpBad", {"--kernel-ip", "kernel"}, "--kernel-ip: 'kernel' is not ADDR/PREFIX or none"},
        bad_args{"KernelIpIsOwnAddress", {"--kernel-ip", "10.70.0.2/24"},
                 "kernel_ip 10.70.0.2 is fptcp's own address (ip); the two ends need two addresses"},
        bad_args{"ListenTooBig", {"--listen", "70000"}, "--listen: '70000' is not a port number (1-65535)"},
        bad_args{"ListenZero", {"--listen", "0"}, "--listen: '0' is not a port number (1-65535)"},
        bad_args{"ListenNegative", {"--listen", "-1"}, "--listen: '-1' is not a port number (1-65535)"},
        bad_args{"ListenNotANumber", {"--listen", "http"}, "--listen: 'http' is not a port number (1-65535)"},
        bad_args{"ListenEmpty", {"--listen="}, "--listen: '' is not a port number (1-65535)"},
        bad_args{"ListenHex", {"--listen", "0x50"}, "--listen: '0x50' is not a port number (1-65535)"},
        bad_args{"ModeUnknown", {"--mode", "web"}, "--mode: 'web' is not one of http, echo, discard, source"},
        bad_args{"ModeUpperCase", {"--mode", "HTTP"}, "--mode: 'HTTP' is not one of http, echo, discard, source"},
        bad_args{"ResponseSizeTooBig", {"--response-size", "1073741825"},
                 "--response-size: '1073741825' is not a size in bytes (0-1073741824)"},
        bad_args{"SourceBytesOverflow", {"--source-bytes", "18446744073709551616"},
                 "--source-bytes: '18446744073709551616' is not a size in bytes (0-18446744073709551615)"},
        bad_args{"SourceBytesWithUnit", {"--source-bytes", "100M"},
                 "--source-bytes: '100M' is not a size in bytes (0-18446744073709551615)"},
        bad_args{"LcoresZero", {"--lcores", "0"}, "--lcores: '0' is not a number of lcores (1-128)"},
        bad_args{"LogLevelUnknown", {"--log-level", "loud"},
                 "--log-level: 'loud' is not one of error, warning, notice, info, debug"},
        bad_args{"LcoresTooMany", {"--lcores", "129"}, "--lcores: '129' is not a number of lcores (1-128)"},
        bad_args{"MslZero", {"--msl", "0"}, "--msl: '0' is not a number of seconds (1-3600)"},
        bad_args{"MslFraction", {"--msl", "0.5"}, "--msl: '0.5' is not a number of seconds (1-3600)"},
        bad_args{"MaxConnectionsZero", {"--max-connections", "0"},
                 "--max-connections: '0' is not a number of connections (1-16777216)"},
        bad_args{"MaxConnectionsTooMany", {"--max-connections", "16777217"},
                 "--max-connections: '16777217' is not a number of connections (1-16777216)"},
        bad_args{"DurationTooLong", {"--duration", "4294967296"},
                 "--duration: '4294967296' is not a number of seconds (0-4294967295)"},
        bad_args{"DurationWithUnit", {"--duration", "10s"},
                 "--duration: '10s' is not a number of seconds (0-4294967295)"},
        bad_args{"CongestionUnknown", {"--congestion", "vegas"}, "--congestion: 'vegas' is not one of cubic, newreno, bbr"},
        bad_args{"NoNagleWithValue", {"--no-nagle=1"}, "--no-nagle: takes no value"},
        bad_args{"FaultUnknownKey", {"--fault-rx", "drop=5%,loss=1%"},
                 "--fault-rx: 'loss=1%' is not drop=P%, dup=P% or reorder=P% (e.g. drop=5%,dup=1%,reorder=1%, or none)"},
        bad_args{"FaultWithoutRate", {"--fault-tx", "drop"},
                 "--fault-tx: 'drop' is not drop=P%, dup=P% or reorder=P% (e.g. drop=5%,dup=1%,reorder=1%, or none)"},
        bad_args{"FaultEmpty", {"--fault-tx="},
                 "--fault-tx: '' is not drop=P%, dup=P% or reorder=P% (e.g. drop=5%,dup=1%,reorder=1%, or none)"},
        bad_args{"FaultTrailingComma", {"--fault-rx", "drop=5%,"},
                 "--fault-rx: '' is not drop=P%, dup=P% or reorder=P% (e.g. drop=5%,dup=1%,reorder=1%, or none)"},
        bad_args{"FaultRateWithoutPercent", {"--fault-rx", "drop=5"},
                 "--fault-rx: 'drop=5': the rate is not a percentage from 0% to 100% (e.g. 5% or 0.25%)"},
        bad_args{"FaultRateAsFraction", {"--fault-rx", "drop=0.05"},
                 "--fault-rx: 'drop=0.05': the rate is not a percentage from 0% to 100% (e.g. 5% or 0.25%)"},
        bad_args{"FaultRateAbove100", {"--fault-rx", "drop=100.0001%"},
                 "--fault-rx: 'drop=100.0001%': the rate is not a percentage from 0% to 100% (e.g. 5% or 0.25%)"},
        bad_args{"FaultRateTooPrecise", {"--fault-rx", "dup=0.00001%"},
                 "--fault-rx: 'dup=0.00001%': the rate is not a percentage from 0% to 100% (e.g. 5% or 0.25%)"},
        bad_args{"FaultRateNegative", {"--fault-rx", "dup=-1%"},
                 "--fault-rx: 'dup=-1%': the rate is not a percentage from 0% to 100% (e.g. 5% or 0.25%)"},
        bad_args{"FaultRateBareDot", {"--fault-rx", "dup=5.%"},
                 "--fault-rx: 'dup=5.%': the rate is not a percentage from 0% to 100% (e.g. 5% or 0.25%)"},
        bad_args{"FaultRateOnlyPercent", {"--fault-rx", "dup=%"},
                 "--fault-rx: 'dup=%': the rate is not a percentage from 0% to 100% (e.g. 5% or 0.25%)"},
        bad_args{"FaultKeyTwice", {"--fault-rx", "drop=1%,drop=2%"}, "--fault-rx: 'drop' is given twice"},
        bad_args{"FaultSeedNotANumber", {"--fault-seed", "abc"},
                 "--fault-seed: 'abc' is not a seed (0-18446744073709551615)"},
        bad_args{"ConfigMissingFile", {"--config", "/nonexistent/fptcp.toml"},
                 "--config: cannot read '/nonexistent/fptcp.toml': No such file or directory"}),
    [](const ::testing::TestParamInfo<bad_args>& p) { return std::string(p.param.name); });

TEST(ServerOptions, HelpWinsOverEverythingElse) {
    parse_outcome out = parse({"--bogus", "--help", "--listen", "0"});
    EXPECT_TRUE(out.help);
    EXPECT_EQ(out.error, "");
    EXPECT_FALSE(out.options.has_value());
}

TEST(ServerOptions, UsageListsEveryOptionOnOneLineWithItsDefault) {
    std::string u = usage();
    for (std::string_view line : {
             "--port SPEC ", "--ip ADDR/PREFIX ", "--gateway ADDR ", "--kernel-ip ADDR/PREFIX ", "--listen PORT ",
             "--mode MODE ", "--response-size BYTES ", "--source-bytes BYTES ", "--header-timeout SECONDS ",
             "--keepalive-timeout SECONDS ", "--lcores N ", "--cpus LIST ",
             "--msl SECONDS ",
             "--max-connections N ", "--config FILE ", "--pcap FILE ", "--duration SECONDS ", "--stats-json FILE ",
             "--quiet ", "--eal \"ARGS\" ", "--help ", "--congestion NAME ", "--no-nagle ",
             "--no-slow-start-after-idle ", "--fault-rx SPEC ", "--fault-tx SPEC ", "--fault-seed N "}) {
        EXPECT_NE(u.find(line), std::string::npos) << line;
    }
    for (std::string_view dflt : {"(default tap:fptcp0)", "(default 10.70.0.2/24)", "(default: none, on-link only)",
                                  "(default 10.70.0.1/24;", "(default 80)", "(default http)", "(default 1024)",
                                  "(default 1)", "(default 30)", "(default 65536)", "(default 0: until Ctrl-C",
                                  "(default cubic;", "(default none;", "(default: 0..N-1 of --lcores)",
                                  "(default 10; 0 = no limit)", "(default 75; 0 = no limit)"}) {
        EXPECT_NE(u.find(dflt), std::string::npos) << dflt;
    }
    // Each option's line holds its help: 29 options, a title and a footer.
    EXPECT_EQ(std::count(u.begin(), u.end(), '\n'), 31);
}

TEST(Ipv4, ParsesAndFormatsDottedQuads) {
    EXPECT_EQ(parse_ipv4("10.70.0.2"), addr(10, 70, 0, 2));
    EXPECT_EQ(parse_ipv4("0.0.0.0"), 0u);
    EXPECT_EQ(parse_ipv4("255.255.255.255"), UINT32_MAX);
    EXPECT_EQ(format_ipv4(addr(192, 168, 1, 254)), "192.168.1.254");
    EXPECT_EQ(format_ipv4(0), "0.0.0.0");
    for (uint32_t a : {0u, 1u, addr(10, 70, 0, 2), UINT32_MAX}) EXPECT_EQ(parse_ipv4(format_ipv4(a)), a);
}

TEST(Ipv4, RejectsEverythingElse) {
    for (std::string_view bad : {"", "10", "10.70.0", "10.70.0.2.", "10.70.0.2.1", "10..0.2", ".10.70.0", "10.70.0.256",
                                 "010.70.0.2", "10.70.0.-1", "10.70.0.2 ", " 10.70.0.2", "a.b.c.d", "1000.0.0.1",
                                 "10.70.0.2/24"}) {
        EXPECT_EQ(parse_ipv4(bad), std::nullopt) << bad;
    }
}

// ---- the TOML file -------------------------------------------------------

TEST(ServerConfig, EveryKeyIsLoaded) {
    temp_file f(R"(
port = "memif:/run/fptcp/memif.sock,role=server"
ip = "172.16.0.2/12"
gateway = "172.16.0.1"
kernel_ip = "none"
listen = 8000
mode = "discard"
response_size = 10
source_bytes = 5
header_timeout = 7
keepalive_timeout = 8
lcores = 2
cpus = "2-3"
mtu = 4000
msl = 5
max_connections = 4096
pcap = "run.pcapng"
duration = 9
stats_json = "stats.json"
quiet = true
log_level = "warning"
eal = "--no-huge"
fault_rx = "drop=5%,dup=1%"
fault_tx = "reorder=2.5%"
fault_seed = 99

[tcp]
mss = 1400
min_peer_mss = 536
send_buffer = 262144
receive_buffer = 131072
max_ooo_ranges = 4
max_sack_ranges = 300
window_scaling = false
timestamps = false
sack_permitted = false
congestion = "newreno"
nagle = false
slow_start_after_idle = false
rto_initial_ms = 500
rto_min_ms = 100
rto_max_ms = 30000
syn_retries = 3
synack_retries = 2
r1_retransmits = 2
max_retransmits = 7
delayed_ack_ms = 0
keepalive = true
keepalive_idle_s = 60
keepalive_interval_s = 10
keepalive_probes = 3
fin_wait_2_timeout_s = 20
syn_backlog = 128
challenge_ack_limit = 100
)");
    server_options o = parse_ok({"--config", f.path()});
    EXPECT_EQ(o.port, "memif:/run/fptcp/memif.sock,role=server");
    EXPECT_EQ(o.ip, addr(172, 16, 0, 2));
    EXPECT_EQ(o.prefix, 12);
    EXPECT_EQ(o.gateway, addr(172, 16, 0, 1));
    EXPECT_EQ(o.kernel_ip, std::nullopt);
    EXPECT_EQ(o.listen, 8000);
    EXPECT_EQ(o.mode, server_mode::discard);
    EXPECT_EQ(o.response_size, 10u);
    EXPECT_EQ(o.source_bytes, 5u);
    EXPECT_EQ(o.header_timeout_s, 7u);
    EXPECT_EQ(o.keepalive_timeout_s, 8u);
    EXPECT_EQ(o.lcores, 2);
    EXPECT_EQ(o.cpus, "2-3");
    EXPECT_EQ(o.mtu, 4000);
    EXPECT_EQ(o.max_connections, 4096u);
    EXPECT_EQ(o.pcap, "run.pcapng");
    EXPECT_EQ(o.duration_s, 9u);
    EXPECT_EQ(o.stats_json, "stats.json");
    EXPECT_TRUE(o.quiet);
    EXPECT_EQ(o.log_level, log_level::warning);
    EXPECT_EQ(o.eal, "--no-huge");
    EXPECT_EQ(o.fault.rx, (fault_rates{.drop = 50000, .duplicate = 10000, .reorder = 0}));
    EXPECT_EQ(o.fault.tx, (fault_rates{.drop = 0, .duplicate = 0, .reorder = 25000}));
    EXPECT_EQ(o.fault.seed, 99u);
    EXPECT_EQ(o.tcp.congestion, congestion_algorithm::newreno);
    EXPECT_FALSE(o.tcp.nagle);
    EXPECT_FALSE(o.tcp.slow_start_after_idle);
    EXPECT_EQ(o.tcp.msl, 5s);
    EXPECT_EQ(o.tcp.mss, 1400);
    EXPECT_EQ(o.tcp.min_peer_mss, 536);
    EXPECT_EQ(o.tcp.send_buffer, 262144u);
    EXPECT_EQ(o.tcp.receive_buffer, 131072u);
    EXPECT_EQ(o.tcp.max_ooo_ranges, 4);
    EXPECT_EQ(o.tcp.max_sack_ranges, 300);
    EXPECT_FALSE(o.tcp.window_scaling);
    EXPECT_FALSE(o.tcp.timestamps);
    EXPECT_FALSE(o.tcp.sack_permitted);
    EXPECT_EQ(o.tcp.rto_initial, 500ms);
    EXPECT_EQ(o.tcp.rto_min, 100ms);
    EXPECT_EQ(o.tcp.rto_max, 30000ms);
    EXPECT_EQ(o.tcp.syn_retries, 3);
    EXPECT_EQ(o.tcp.synack_retries, 2);
    EXPECT_EQ(o.tcp.r1_retransmits, 2);
    EXPECT_EQ(o.tcp.max_retransmits, 7);
    EXPECT_EQ(o.tcp.delayed_ack, 0ms);
    EXPECT_TRUE(o.tcp.keepalive);
    EXPECT_EQ(o.tcp.keepalive_idle, 60s);
    EXPECT_EQ(o.tcp.keepalive_interval, 10s);
    EXPECT_EQ(o.tcp.keepalive_probes, 3);
    EXPECT_EQ(o.tcp.fin_wait_2_timeout, 20s);
    EXPECT_EQ(o.tcp.syn_backlog, 128u);
    EXPECT_EQ(o.tcp.challenge_ack_limit, 100);
}

// Every tcp_config field has a [tcp] key (msl's is the top-level msl), each
// set above: a field added to tcp_config changes its size and fails here
// until the configuration file can set it too.
static_assert(sizeof(tcp_config) == 120, "a new tcp_config field needs a [tcp] key (app/server_options.cc, "
                                          "config/default-tap.toml, config/README.md) and a line above");

TEST(ServerConfig, AnEmptyFileKeepsTheDefaults) {
    temp_file f("# nothing\n");
    expect_same(parse_ok({"--config", f.path()}), server_options{});
}

TEST(ServerConfig, TheCommandLineWinsWhereverConfigAppears) {
    temp_file f("listen = 8000\nmode = \"echo\"\nmsl = 5\nquiet = true\ngateway = \"10.70.0.1\"\n");
    server_options o = parse_ok({"--listen", "9000", "--config", f.path(), "--msl", "1", "--gateway", "none"});
    EXPECT_EQ(o.listen, 9000);
    EXPECT_EQ(o.mode, server_mode::echo);  // from the file, not overridden
    EXPECT_EQ(o.tcp.msl, 1s);
    EXPECT_TRUE(o.quiet);
    EXPECT_EQ(o.gateway, std::nullopt);
}

TEST(ServerConfig, TheFlagsOverrideTheTcpTable) {
    temp_file f("[tcp]\ncongestion = \"newreno\"\nnagle = true\n");
    server_options o = parse_ok({"--config", f.path(), "--congestion", "cubic", "--no-nagle"});
    EXPECT_EQ(o.tcp.congestion, congestion_algorithm::cubic);
    EXPECT_FALSE(o.tcp.nagle);
    EXPECT_EQ(parse_ok({"--config", f.path()}).tcp.congestion, congestion_algorithm::newreno);
}

TEST(ServerConfig, FaultOnTheCommandLineReplacesTheFilesWholeSpec) {
    temp_file f("fault_rx = \"drop=5%,dup=1%\"\n");
    server_options o = parse_ok({"--config", f.path(), "--fault-rx", "reorder=1%"});
    EXPECT_EQ(o.fault.rx, (fault_rates{.drop = 0, .duplicate = 0, .reorder = 10000}));
}

TEST(ServerConfig, QuietFalseInTheFileIsOverriddenByTheFlag) {
    temp_file f("quiet = false\n");
    EXPECT_TRUE(parse_ok({"--config", f.path(), "--quiet"}).quiet);
    EXPECT_FALSE(parse_ok({"--config", f.path()}).quiet);
}

TEST(ServerConfig, ACommandLineValueCanFixABadCombinationInTheFile) {
    temp_file f("gateway = \"10.71.0.1\"\n");  // off-link for the default ip
    server_options o = parse_ok({"--config", f.path(), "--ip", "10.71.0.2/24", "--kernel-ip", "none"});
    EXPECT_EQ(o.gateway, addr(10, 71, 0, 1));
}

struct bad_file {
    const char* name;
    std::string text;
    std::string error;  // after "<path>:"
};

class ServerConfigRejects : public ::testing::TestWithParam<bad_file> {};

TEST_P(ServerConfigRejects, WithOneLineNamingFileLineKeyAndValue) {
    temp_file f(GetParam().text);
    EXPECT_EQ(parse_error({"--config", f.path()}), f.path() + ":" + GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    EveryBadValue, ServerConfigRejects,
    ::testing::Values(
        bad_file{"UnknownKey", "listen = 80\nlisen = 80\n", "2: unknown key 'lisen'"},
        bad_file{"DashedKey", "kernel-ip = \"none\"\n", "1: unknown key 'kernel-ip'"},
        bad_file{"ConfigKey", "config = \"other.toml\"\n", "1: unknown key 'config'"},
        bad_file{"UnknownTcpKey", "[tcp]\nmss = 1400\nmsss = 1400\n", "3: unknown key 'tcp.msss'"},
        bad_file{"MslInTcpTable", "[tcp]\nmsl_s = 1\n",
                 "2: unknown key 'tcp.msl_s' (the MSL is the top-level key msl)"},
        bad_file{"UnknownTable", "[server]\nlisten = 80\n", "1: unknown key 'server'"},
        bad_file{"TcpNotATable", "tcp = 1\n", "1: tcp: expected a table, not an integer"},
        bad_file{"ListenAsString", "listen = \"80\"\n", "1: listen: expected an integer, not a string"},
        bad_file{"ListenAsFloat", "listen = 80.0\n", "1: listen: expected an integer, not a floating-point number"},
        bad_file{"PortAsInteger", "port = 1\n", "1: port: expected a string, not an integer"},
        bad_file{"QuietAsString", "quiet = \"yes\"\n", "1: quiet: expected a boolean (true or false), not a string"},
        bad_file{"IpAsArray", "ip = [10, 70, 0, 2]\n", "1: ip: expected a string, not an array"},
        bad_file{"TcpFlagAsInteger", "[tcp]\ntimestamps = 1\n",
                 "2: tcp.timestamps: expected a boolean (true or false), not an integer"},
        bad_file{"ListenOutOfRange", "\nlisten = 70000\n", "2: listen: '70000' is not a port number (1-65535)"},
        bad_file{"ListenNegative", "listen = -1\n", "1: listen: '-1' is not a port number (1-65535)"},
        bad_file{"MslZero", "msl = 0\n", "1: msl: '0' is not a number of seconds (1-3600)"},
        bad_file{"ModeUnknown", "mode = \"web\"\n", "1: mode: 'web' is not one of http, echo, discard, source"},
        bad_file{"IpBad", "ip = \"10.0.0.300/24\"\n", "1: ip: '10.0.0.300/24' is not ADDR/PREFIX"},
        bad_file{"CongestionAtTopLevel", "congestion = \"newreno\"\n", "1: unknown key 'congestion' (a [tcp] key)"},
        bad_file{"NoNagleKey", "[tcp]\nno_nagle = true\n", "2: unknown key 'tcp.no_nagle'"},
        bad_file{"TcpCongestionUnknown", "[tcp]\ncongestion = \"vegas\"\n",
                 "2: tcp.congestion: 'vegas' is not one of cubic, newreno, bbr"},
        bad_file{"TcpNagleAsString", "[tcp]\nnagle = \"off\"\n",
                 "2: tcp.nagle: expected a boolean (true or false), not a string"},
        bad_file{"FaultRxBad", "fault_rx = \"drop=5\"\n",
                 "1: fault_rx: 'drop=5': the rate is not a percentage from 0% to 100% (e.g. 5% or 0.25%)"},
        bad_file{"FaultSeedNegative", "fault_seed = -1\n", "1: fault_seed: '-1' is not a seed (0-18446744073709551615)"},
        bad_file{"FaultTxAsTable", "[fault_tx]\ndrop = 5\n", "1: fault_tx: expected a string, not a table"},
        bad_file{"TcpMssOutOfType", "[tcp]\nmss = 65536\n", "2: tcp.mss: '65536' is not a size in bytes (0-65535)"},
        bad_file{"TcpRetriesOutOfType", "[tcp]\nsyn_retries = 256\n",
                 "2: tcp.syn_retries: '256' is not a count (0-255)"},
        bad_file{"TcpMssBelowFloor", "[tcp]\nmss = 40\n", " [tcp] mss must lie between min_peer_mss and 8960 bytes"},
        bad_file{"TcpDelayedAckTooLong", "[tcp]\ndelayed_ack_ms = 500\n", " [tcp] delayed_ack must lie in [0, 500) ms"},
        bad_file{"TcpRtoOrder", "[tcp]\nrto_min_ms = 2000\n",
                 " [tcp] rto_min, rto_initial and rto_max must be positive and in that order"}),
    [](const ::testing::TestParamInfo<bad_file>& p) { return std::string(p.param.name); });

TEST(ServerConfig, ASyntaxErrorNamesFileLineAndColumn) {
    temp_file f("listen = 80\nmode = http\n");
    std::string error = parse_error({"--config", f.path()});
    EXPECT_EQ(error.rfind(f.path() + ":2:", 0), 0u) << error;
}

TEST(ServerConfig, ADuplicateKeyIsASyntaxError) {
    temp_file f("listen = 80\nlisten = 81\n");
    std::string error = parse_error({"--config", f.path()});
    EXPECT_EQ(error.rfind(f.path() + ":2:", 0), 0u) << error;
    EXPECT_NE(error.find("'listen'"), std::string::npos) << error;
}

TEST(ServerConfig, ACommandLineErrorStillWinsOverAGoodFile) {
    temp_file f("listen = 8000\n");
    EXPECT_EQ(parse_error({"--config", f.path(), "--listen", "0"}), "--listen: '0' is not a port number (1-65535)");
}

// ---- the shipped examples in config/ --------------------------------------

std::vector<std::filesystem::path> shipped_configs() {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(FPTCP_CONFIG_DIR)) {
        if (entry.path().extension() == ".toml") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

TEST(ShippedConfigs, EveryFileLoadsWithoutError) {
    std::vector<std::filesystem::path> files = shipped_configs();
    EXPECT_GE(files.size(), 6u);
    for (const auto& path : files) {
        parse_outcome out = parse({"--config", path.string()});
        EXPECT_TRUE(out.options.has_value()) << path << ": " << out.error;
    }
}

server_options load_shipped(std::string_view name) {
    return parse_ok({"--config", std::string(FPTCP_CONFIG_DIR) + "/" + std::string(name)});
}

TEST(ShippedConfigs, DefaultTapSpellsOutTheDefaults) {
    expect_same(load_shipped("default-tap.toml"), server_options{});
}

// The example that spells out the defaults names every key a file may hold.
TEST(ShippedConfigs, DefaultTapNamesEveryKey) {
    toml::table file = toml::parse_file(std::string(FPTCP_CONFIG_DIR) + "/default-tap.toml");
    for (const std::string& key : config_keys()) {
        EXPECT_TRUE(file.at_path(key)) << key << " is missing from config/default-tap.toml";
    }
}

TEST(ShippedConfigs, AfPacketVethUsesTheVethAndLeavesTheKernelAlone) {
    server_options o = load_shipped("af-packet-veth.toml");
    EXPECT_EQ(o.port, "af_packet:veth-fptcp");
    EXPECT_EQ(o.ip, addr(10, 71, 0, 2));
    EXPECT_EQ(o.prefix, 24);
    EXPECT_EQ(o.kernel_ip, std::nullopt);
}

TEST(ShippedConfigs, MemifPairSharesOneSocketWithOppositeRoles) {
    server_options server = load_shipped("memif-server.toml");
    server_options client = load_shipped("memif-client.toml");
    EXPECT_EQ(server.port, "memif:/run/fptcp/memif.sock,role=server");
    EXPECT_EQ(client.port, "memif:/run/fptcp/memif.sock,role=client");
    EXPECT_EQ(server.kernel_ip, std::nullopt);
    EXPECT_EQ(client.kernel_ip, std::nullopt);
    EXPECT_NE(server.ip, client.ip);
    EXPECT_EQ(server.ip & 0xffffff00u, client.ip & 0xffffff00u);
}

TEST(ShippedConfigs, NicHasAPciPortAndAGateway) {
    server_options o = load_shipped("nic.toml");
    EXPECT_EQ(o.port.rfind("pci:", 0), 0u);
    EXPECT_TRUE(o.gateway.has_value());
}

TEST(ShippedConfigs, ShortMslIsOneSecond) {
    EXPECT_EQ(load_shipped("short-msl.toml").tcp.msl, 1s);
}

TEST(ShippedConfigs, LossyVethDropsFivePercentEachWay) {
    server_options o = load_shipped("lossy-veth.toml");
    EXPECT_EQ(o.port, "af_packet:veth-fptcp");
    EXPECT_EQ(o.mode, server_mode::echo);
    EXPECT_EQ(o.fault.rx.drop, 50000u);
    EXPECT_EQ(o.fault.tx.drop, 50000u);
    EXPECT_TRUE(o.fault.rx.duplicate != 0 && o.fault.rx.reorder != 0);
    EXPECT_EQ(o.tcp.congestion, congestion_algorithm::cubic);
}

}  // namespace
}  // namespace fptcp::app
