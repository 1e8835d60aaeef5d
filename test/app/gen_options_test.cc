// fptcp-gen's command line: defaults, every option, and the one-line message
// for bad or missing values.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "app/gen_options.hh"

namespace fptcp::app {
namespace {

gen_parse_outcome parse(std::vector<std::string> args) {
    args.insert(args.begin(), "fptcp-gen");
    std::vector<const char*> argv;
    for (const std::string& a : args) argv.push_back(a.c_str());
    return parse_gen_options(static_cast<int>(argv.size()), argv.data());
}

std::vector<std::string> required(std::vector<std::string> more = {}) {
    std::vector<std::string> a{"--port", "memif:/tmp/g.sock,role=client", "--ip", "10.80.0.1/24", "--connect",
                               "10.80.0.2:80"};
    a.insert(a.end(), more.begin(), more.end());
    return a;
}

std::string error_of(std::vector<std::string> args) {
    gen_parse_outcome out = parse(std::move(args));
    EXPECT_FALSE(out.options.has_value());
    return out.error;
}

TEST(GenOptions, RequiredOnlyGivesDefaults) {
    gen_parse_outcome out = parse(required());
    ASSERT_TRUE(out.options) << out.error;
    const gen_options& o = *out.options;
    EXPECT_EQ(o.port, "memif:/tmp/g.sock,role=client");
    EXPECT_EQ(o.ip, (10u << 24) | (80u << 16) | 1u);
    EXPECT_EQ(o.prefix, 24);
    EXPECT_EQ(o.server_ip, (10u << 24) | (80u << 16) | 2u);
    EXPECT_EQ(o.server_port, 80);
    EXPECT_EQ(o.workload, gen_workload::crr);
    EXPECT_EQ(o.concurrency, 64u);
    EXPECT_EQ(o.duration_s, 10u);
    EXPECT_EQ(o.warmup_s, 1u);
    EXPECT_EQ(o.request_size, 64u);
    EXPECT_EQ(o.response_size, 64u);
    EXPECT_FALSE(o.http);
    EXPECT_FALSE(o.quiet);
    EXPECT_FALSE(o.gateway);
    EXPECT_EQ(o.cpu, -1);
}

TEST(GenOptions, EveryOptionIsApplied) {
    gen_parse_outcome out = parse(required({"--workload", "rr", "--concurrency", "1", "--duration=5", "--warmup", "0",
                                            "--request-size", "100", "--response-size", "200", "--http", "--json",
                                            "/tmp/x.json", "--quiet", "--eal", "--log-level=8", "--gateway",
                                            "10.80.0.254", "--msl", "1", "--cpu", "0"}));
    ASSERT_TRUE(out.options) << out.error;
    const gen_options& o = *out.options;
    EXPECT_EQ(o.workload, gen_workload::rr);
    EXPECT_EQ(o.concurrency, 1u);
    EXPECT_EQ(o.duration_s, 5u);
    EXPECT_EQ(o.warmup_s, 0u);
    EXPECT_EQ(o.request_size, 100u);
    EXPECT_EQ(o.response_size, 200u);
    EXPECT_TRUE(o.http);
    EXPECT_EQ(o.json, "/tmp/x.json");
    EXPECT_TRUE(o.quiet);
    EXPECT_EQ(o.eal, "--log-level=8");
    EXPECT_EQ(o.gateway, (10u << 24) | (80u << 16) | 254u);
    EXPECT_EQ(o.msl_s, 1u);
    EXPECT_EQ(o.cpu, 0);
}

TEST(GenOptions, HelpWinsOverEverything) {
    EXPECT_TRUE(parse({"--bogus", "--help"}).help);
}

TEST(GenOptions, EveryWorkloadIsAccepted) {
    EXPECT_EQ(parse(required({"--workload", "crr"})).options->workload, gen_workload::crr);
    EXPECT_EQ(parse(required({"--workload", "rr"})).options->workload, gen_workload::rr);
    EXPECT_EQ(parse(required({"--workload", "stream"})).options->workload, gen_workload::stream);
    EXPECT_EQ(parse(required({"--workload", "syn-flood"})).options->workload, gen_workload::syn_flood);
    EXPECT_EQ(error_of(required({"--workload", "ping"})), "--workload: 'ping' is not one of crr, rr, stream, syn-flood");
}

TEST(GenOptions, LoadShapeOptions) {
    gen_parse_outcome out = parse(required({"--workload", "stream", "--direction", "receive", "--lcores", "2"}));
    ASSERT_TRUE(out.options) << out.error;
    EXPECT_EQ(out.options->direction, stream_direction::receive);
    EXPECT_EQ(out.options->lcores, 2);
    EXPECT_EQ(out.options->rate, 0u);
    out = parse(required({"--rate", "250000"}));
    ASSERT_TRUE(out.options) << out.error;
    EXPECT_EQ(out.options->rate, 250000u);
    EXPECT_EQ(out.options->direction, stream_direction::send);
    EXPECT_EQ(out.options->lcores, 1);
    EXPECT_EQ(error_of(required({"--direction", "up"})), "--direction: 'up' is not send or receive");
    EXPECT_EQ(error_of(required({"--lcores", "0"})), "--lcores: '0' is not a number of lcores (1-64)");
    EXPECT_EQ(error_of(required({"--rate", "fast"})), "--rate: 'fast' is not a rate per second (0-4294967296)");
    EXPECT_EQ(error_of(required({"--workload", "stream", "--rate", "10"})),
              "--rate: stream runs closed loop (as fast as TCP allows)");
    EXPECT_EQ(error_of(required({"--workload", "syn-flood", "--lcores", "2"})), "--lcores: syn-flood runs on one lcore");
}

// Numbers take their unit's suffixes: counts and rates k/M/G (x1000),
// durations s/m/h, sizes k/M/G (x1024).
TEST(GenOptions, UnitSuffixes) {
    gen_parse_outcome out = parse(required({"--rate", "100k", "--concurrency", "2k", "--duration", "2m", "--warmup",
                                            "5s", "--request-size", "64k", "--response-size", "1M", "--msl", "1h"}));
    ASSERT_TRUE(out.options) << out.error;
    EXPECT_EQ(out.options->rate, 100'000u);
    EXPECT_EQ(out.options->concurrency, 2'000u);
    EXPECT_EQ(out.options->duration_s, 120u);
    EXPECT_EQ(out.options->warmup_s, 5u);
    EXPECT_EQ(out.options->request_size, 65'536u);
    EXPECT_EQ(out.options->response_size, 1'048'576u);
    EXPECT_EQ(out.options->msl_s, 3600u);
    EXPECT_EQ(parse(required({"--rate", "2M"})).options->rate, 2'000'000u);
    for (const char* bad : {"10x", "k", "1kk", "1.5k", "-1k", "10 s"}) {
        EXPECT_FALSE(parse(required({"--rate", bad})).options) << bad;
    }
    EXPECT_EQ(error_of(required({"--duration", "2d"})), "--duration: '2d' is not a number of seconds (1-31536000)");
    EXPECT_EQ(error_of(required({"--rate", "5G"})), "--rate: '5G' is not a rate per second (0-4294967296)");
}

TEST(GenOptions, PathAndHeaders) {
    gen_parse_outcome out =
        parse(required({"--http", "--path", "/index.html?a=1", "--header", "X-Test: 1", "--header", "Accept: */*"}));
    ASSERT_TRUE(out.options) << out.error;
    EXPECT_EQ(out.options->path, "/index.html?a=1");
    EXPECT_EQ(out.options->headers, (std::vector<std::string>{"X-Test: 1", "Accept: */*"}));
    EXPECT_EQ(error_of(required({"--path", "index.html"})),
              "--path: 'index.html' is not an origin-form path (RFC 9112 3.2.1: starts with /, no spaces)");
    EXPECT_EQ(error_of(required({"--header", "NoColon"})),
              "--header: 'NoColon' is not a header line \"Name: value\" (RFC 9110 5)");
    EXPECT_FALSE(parse(required({"--header", "Bad Name: x"})).options);
}

TEST(GenOptions, PipelineIsClosedLoopRrOnly) {
    EXPECT_EQ(parse(required({"--workload", "rr", "--pipeline", "16"})).options->pipeline, 16u);
    EXPECT_EQ(parse(required()).options->pipeline, 1u);
    EXPECT_EQ(error_of(required({"--workload", "crr", "--pipeline", "2"})),
              "--pipeline: rr in closed loop only (no --rate)");
    EXPECT_EQ(error_of(required({"--workload", "rr", "--rate", "10", "--pipeline", "2"})),
              "--pipeline: rr in closed loop only (no --rate)");
    EXPECT_EQ(error_of(required({"--workload", "rr", "--pipeline", "0"})),
              "--pipeline: '0' is not a pipeline depth (1-1024)");
}

TEST(GenOptions, LogLevel) {
    EXPECT_EQ(parse(required({"--log-level", "info"})).options->log_level, log_level::info);
    EXPECT_EQ(parse(required()).options->log_level, log_level::notice);
    EXPECT_EQ(error_of(required({"--log-level", "chatty"})),
              "--log-level: 'chatty' is not one of error, warning, notice, info, debug");
}

// --cpus names the CPUs, one lcore each, instead of --cpu and --lcores.
TEST(GenOptions, CpusSetTheLcores) {
    gen_parse_outcome out = parse(required({"--cpus", "2-3,6"}));
    ASSERT_TRUE(out.options) << out.error;
    EXPECT_EQ(out.options->cpus, "2-3,6");
    EXPECT_EQ(out.options->lcores, 3);
    EXPECT_EQ(parse(required({"--cpus", "1", "--lcores", "1"})).options->lcores, 1);
    EXPECT_EQ(error_of(required({"--cpus", "0-1", "--lcores", "3"})),
              "--lcores 3 and --cpus 0-1 (2 CPUs) disagree; give one of them");
    EXPECT_EQ(error_of(required({"--cpus", "1", "--cpu", "1"})), "--cpus: give --cpus or --cpu, not both");
    EXPECT_EQ(error_of(required({"--cpus", "x"})),
              "--cpus: \"x\" is not a CPU list like 0, 0-3 or 1,3,5-6 of distinct CPUs below 128");
    EXPECT_EQ(error_of(required({"--workload", "syn-flood", "--cpus", "0-1"})), "--lcores: syn-flood runs on one lcore");
}

TEST(GenOptions, SourceRanges) {
    gen_parse_outcome out = parse(required());
    ASSERT_TRUE(out.options) << out.error;
    EXPECT_EQ(out.options->source_ips.first, (10u << 24) | (80u << 16) | 1u) << "default: --ip alone";
    EXPECT_EQ(out.options->source_ips.count, 1u);
    EXPECT_EQ(out.options->source_ports.first, 32768);
    EXPECT_EQ(out.options->source_ports.count, 28232);

    out = parse(required({"--source-ips", "10.80.0.1-10.80.0.16", "--source-ports", "1024-2047", "--connect",
                          "10.80.0.100:80"}));
    ASSERT_TRUE(out.options) << out.error;
    EXPECT_EQ(out.options->source_ips.first, (10u << 24) | (80u << 16) | 1u);
    EXPECT_EQ(out.options->source_ips.count, 16u);
    EXPECT_EQ(out.options->source_ports.first, 1024);
    EXPECT_EQ(out.options->source_ports.count, 1024);

    out = parse(required({"--workload", "syn-flood", "--source-ips", "10.80.1.0-10.80.1.255", "--source-ports", "7"}));
    ASSERT_TRUE(out.options) << out.error;
    EXPECT_EQ(out.options->source_ips.first, (10u << 24) | (80u << 16) | (1u << 8));
    EXPECT_EQ(out.options->source_ips.count, 256u);
    EXPECT_EQ(out.options->source_ports.first, 7);
    EXPECT_EQ(out.options->source_ports.count, 1);

    EXPECT_EQ(error_of(required({"--source-ips", "10.80.0.9-10.80.0.1"})),
              "--source-ips: '10.80.0.9-10.80.0.1' is not ADDR or FIRST-LAST");
    EXPECT_EQ(error_of(required({"--source-ips", "10.80.0.1-10.81.0.1"})),
              "--source-ips: '10.80.0.1-10.81.0.1' has more than 65536 addresses");
    EXPECT_EQ(error_of(required({"--source-ips", "10.80.0.5-10.80.0.6"})),
              "--source-ips: must start at --ip's address (fptcp-gen's own)");
    EXPECT_EQ(error_of(required({"--source-ips", "10.80.0.1-10.80.0.3"})),
              "--source-ips: the range holds the server's address");
    EXPECT_EQ(error_of(required({"--source-ports", "0-10"})),
              "--source-ports: '0-10' is not PORT or FIRST-LAST (1-65535)");
    EXPECT_EQ(error_of(required({"--source-ports", "60000-70000"})),
              "--source-ports: '60000-70000' is not PORT or FIRST-LAST (1-65535)");
    EXPECT_EQ(error_of(required({"--source-ports", "2000-1000"})),
              "--source-ports: '2000-1000' is not PORT or FIRST-LAST (1-65535)");
}

TEST(GenOptions, MissingRequiredOptionsAreNamed) {
    EXPECT_EQ(error_of({"--ip", "10.80.0.1/24", "--connect", "10.80.0.2:80"}), "--port: missing (the port to send on)");
    EXPECT_EQ(error_of({"--port", "ring:a", "--connect", "10.80.0.2:80"}), "--ip: missing (fptcp-gen's own address)");
    EXPECT_EQ(error_of({"--port", "ring:a", "--ip", "10.80.0.1/24"}), "--connect: missing (the server to load)");
}

TEST(GenOptions, BadValuesGiveOneLine) {
    EXPECT_EQ(error_of(required({"--connect", "10.80.0.2"})), "--connect: '10.80.0.2' is not IP:PORT");
    EXPECT_EQ(error_of(required({"--connect", "10.80.0.2:0"})), "--connect: '10.80.0.2:0' is not IP:PORT");
    EXPECT_EQ(error_of(required({"--connect", "10.80.0.2:65536"})), "--connect: '10.80.0.2:65536' is not IP:PORT");
    EXPECT_EQ(error_of(required({"--ip", "10.80.0.1"})), "--ip: '10.80.0.1' is not ADDR/PREFIX");
    EXPECT_EQ(error_of(required({"--ip", "224.0.0.1/24"})), "--ip: '224.0.0.1/24' is not a unicast address");
    EXPECT_EQ(error_of(required({"--port", "memif"})),
              "--port: 'memif' is not a port spec (tap:NAME, af_packet:IFACE, memif:SOCKET[,role=server|client], "
              "ring:NAME, pci:BDF)");
    EXPECT_EQ(error_of(required({"--concurrency", "0"})), "--concurrency: '0' is not a number of connections (1-4194304)");
    EXPECT_EQ(error_of(required({"--duration", "1.5"})), "--duration: '1.5' is not a number of seconds (1-31536000)");
    EXPECT_EQ(error_of(required({"--request-size", "-1"})), "--request-size: '-1' is not a size in bytes (1-1073741824)");
    EXPECT_EQ(error_of(required({"--concurrency"})), "--concurrency: missing value");
    EXPECT_EQ(error_of(required({"--frobnicate", "1"})), "--frobnicate: unknown option (see --help)");
    EXPECT_EQ(error_of(required({"--http=yes"})), "--http: takes no value");
    EXPECT_EQ(error_of(required({"extra"})), "'extra' is not an option (see --help)");
    EXPECT_EQ(error_of(required({"--connect", "10.80.0.1:80"})), "--connect: the server cannot be our own address");
}

TEST(GenOptions, UsageListsEveryOption) {
    std::string u = gen_usage();
    for (const char* o : {"--port", "--ip", "--gateway", "--connect", "--workload", "--direction", "--concurrency",
                          "--rate", "--duration", "--warmup", "--request-size", "--response-size", "--http",
                          "--source-ips", "--source-ports", "--lcores", "--msl", "--cpu", "--cpus", "--json", "--quiet",
                          "--log-level", "--eal", "--hdr-log", "--path", "--header", "--mtu", "--pipeline",
                          "--help"}) {
        EXPECT_NE(u.find(o), std::string::npos) << o;
    }
}

}  // namespace
}  // namespace fptcp::app
