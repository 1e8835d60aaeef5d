// lib/wire per-packet costs: parse + checksum verification, option parsing,
// frame building.

#include <array>
#include <cstdint>
#include <vector>

#include <benchmark/benchmark.h>

#include "wire/frame.hh"
#include "wire/tcp.hh"

namespace {

using namespace fptcp::wire;

tcp_frame_spec base_spec() {
    tcp_frame_spec s;
    s.src_mac = {0x52, 0x54, 0, 0x12, 0x34, 0x01};
    s.dst_mac = {0x52, 0x54, 0, 0x12, 0x34, 0x02};
    s.src_ip = 0xc0a8010a;
    s.dst_ip = 0xc0a80114;
    s.ip_id = 1;
    s.src_port = 51234;
    s.dst_port = 80;
    s.seq = 1000;
    s.ack = 2000;
    s.flags = tcp_flags{tcp_flags::ack};
    s.window = 502;
    return s;
}

tcp_frame_spec syn_spec() {
    tcp_frame_spec s = base_spec();
    s.flags = tcp_flags{tcp_flags::syn};
    s.options.mss = 1460;
    s.options.sack_permitted = true;
    s.options.has_timestamps = true;
    s.options.ts_val = 12345;
    s.options.window_shift = 7;
    return s;
}

std::vector<uint8_t> build(const tcp_frame_spec& s) {
    std::vector<uint8_t> f(tcp_frame_size(s));
    write_tcp_frame(f, s);
    return f;
}

void run_parse(benchmark::State& state, const std::vector<uint8_t>& f, checksum_offload rx) {
    parsed_frame p;
    for (auto _ : state) {
        benchmark::DoNotOptimize(f.data());
        parse_error e = parse_frame(f, rx, p);
        benchmark::DoNotOptimize(e);
        benchmark::DoNotOptimize(p);
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * f.size()));
}

void BM_ParseData64SoftwareChecksums(benchmark::State& state) {
    std::array<uint8_t, 64> data{};
    tcp_frame_spec s = base_spec();
    s.payload_first = data;
    s.options.has_timestamps = true;
    run_parse(state, build(s), checksum_offload{});
}
BENCHMARK(BM_ParseData64SoftwareChecksums);

void BM_ParseData64OffloadedChecksums(benchmark::State& state) {
    std::array<uint8_t, 64> data{};
    tcp_frame_spec s = base_spec();
    s.payload_first = data;
    s.options.has_timestamps = true;
    run_parse(state, build(s), checksum_offload{checksum_status::good, checksum_status::good});
}
BENCHMARK(BM_ParseData64OffloadedChecksums);

void BM_ParseSynSoftwareChecksums(benchmark::State& state) {
    run_parse(state, build(syn_spec()), checksum_offload{});
}
BENCHMARK(BM_ParseSynSoftwareChecksums);

void BM_ParseTcpOptionsSyn(benchmark::State& state) {
    const std::array<uint8_t, 20> opts{2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0x30, 0x39, 0, 0, 0, 0, 1, 3, 3, 7};
    tcp_options o;
    for (auto _ : state) {
        benchmark::DoNotOptimize(opts.data());
        parse_error e = parse_tcp_options(opts, o);
        benchmark::DoNotOptimize(e);
        benchmark::DoNotOptimize(o);
    }
}
BENCHMARK(BM_ParseTcpOptionsSyn);

void BM_ParseTcpOptionsTimestampsAndSack(benchmark::State& state) {
    tcp_options in;
    in.has_timestamps = true;
    in.sack_count = 3;
    std::array<uint8_t, 40> opts{};
    const std::size_t n = write_tcp_options(in, false, opts);
    tcp_options o;
    for (auto _ : state) {
        benchmark::DoNotOptimize(opts.data());
        parse_error e = parse_tcp_options(std::span(opts).first(n), o);
        benchmark::DoNotOptimize(e);
        benchmark::DoNotOptimize(o);
    }
}
BENCHMARK(BM_ParseTcpOptionsTimestampsAndSack);

void run_build(benchmark::State& state, tcp_frame_spec s) {
    std::array<uint8_t, 128> out{};
    for (auto _ : state) {
        benchmark::DoNotOptimize(s);
        std::size_t n = write_tcp_frame(out, s);
        benchmark::DoNotOptimize(n);
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
        ++s.seq;
    }
}

void BM_BuildAckSoftwareChecksums(benchmark::State& state) {
    tcp_frame_spec s = base_spec();
    s.options.has_timestamps = true;
    run_build(state, s);
}
BENCHMARK(BM_BuildAckSoftwareChecksums);

void BM_BuildAckOffloadedChecksums(benchmark::State& state) {
    tcp_frame_spec s = base_spec();
    s.options.has_timestamps = true;
    s.tx = tx_checksum::offload;
    run_build(state, s);
}
BENCHMARK(BM_BuildAckOffloadedChecksums);

void BM_BuildSynAckSoftwareChecksums(benchmark::State& state) {
    tcp_frame_spec s = syn_spec();
    s.flags = tcp_flags{tcp_flags::syn | tcp_flags::ack};
    run_build(state, s);
}
BENCHMARK(BM_BuildSynAckSoftwareChecksums);

}  // namespace
