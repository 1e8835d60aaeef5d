// The throughput-versus-loss table (loss_table.hh).

#include "loss_table.hh"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace fptcp::sim {

namespace {

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return n == 0 ? 0 : n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// The key that names a row in the JSON: path, algorithm, SACK and loss.
std::string row_key(const table_row& row) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "\"path\": \"%s\", \"cc\": \"%s\", \"sack\": %s, \"loss\": %.3f",
                  path_key(*row.p).c_str(), congestion_name(row.cc).data(), row.sack ? "true" : "false", row.loss);
    return buf;
}

}  // namespace

std::vector<table_row> all_rows() {
    std::vector<table_row> rows;
    for (const path* p : {&gigabit_10ms, &ten_gigabit_1ms}) {
        for (congestion_algorithm cc : {congestion_algorithm::newreno, congestion_algorithm::cubic}) {
            for (bool sack : {true, false}) {
                for (double loss : {0.0, 0.001, 0.01, 0.02, 0.05, 0.10, 0.20}) rows.push_back({p, cc, sack, loss});
            }
        }
    }
    for (const path* p : {&lan_100us, &lan_1ms}) {
        for (congestion_algorithm cc : {congestion_algorithm::newreno, congestion_algorithm::cubic, congestion_algorithm::bbr}) {
            for (bool sack : {true, false}) {
                for (double loss : {0.01, 0.05, 0.10}) rows.push_back({p, cc, sack, loss});
            }
        }
    }
    return rows;
}

row_result run_row(const table_row& row, const std::vector<uint64_t>& seeds) {
    row_result r;
    r.row = row;
    r.seeds = seeds;
    std::vector<double> rtx, rto, tail_rto, probes, spurious, lost, segments;
    for (uint64_t seed : seeds) {
        bulk_result b = run_bulk({.p = *row.p, .cc = row.cc, .sack = row.sack, .loss = row.loss, .seed = seed});
        r.goodput_mbps.push_back(b.goodput_mbps);
        rtx.push_back(static_cast<double>(b.sender.retransmissions));
        rto.push_back(static_cast<double>(b.sender.timeouts));
        tail_rto.push_back(static_cast<double>(b.sender.tail_timeouts));
        probes.push_back(static_cast<double>(b.sender.probes));
        spurious.push_back(static_cast<double>(b.sender.spurious));
        lost.push_back(static_cast<double>(b.sender.lost));
        segments.push_back(static_cast<double>(b.sender.data_segments));
        r.mismatches += b.mismatches;
    }
    r.median_goodput_mbps = median(r.goodput_mbps);
    r.mathis_mbps = row.loss > 0 ? mathis_mbps(sim_segment_payload, row.p->rtt, row.loss) : 0;
    r.retransmissions = median(rtx);
    r.timeouts = median(rto);
    r.tail_timeouts = median(tail_rto);
    r.probes = median(probes);
    r.spurious = median(spurious);
    r.lost = median(lost);
    r.segments = median(segments);
    return r;
}

std::string path_key(const path& p) {
    if (&p == &ten_gigabit_1ms) return "10g_1ms";
    if (&p == &lan_100us) return "lan_100us";
    if (&p == &lan_1ms) return "lan_1ms";
    return "1g_10ms";
}

std::string to_json_line(const row_result& r) {
    std::string s = "{" + row_key(r.row) + ", \"seeds\": [";
    char buf[64];
    for (size_t i = 0; i < r.seeds.size(); ++i) {
        std::snprintf(buf, sizeof buf, "%s%llu", i ? ", " : "", static_cast<unsigned long long>(r.seeds[i]));
        s += buf;
    }
    s += "], \"goodput_mbps\": [";
    for (size_t i = 0; i < r.goodput_mbps.size(); ++i) {
        std::snprintf(buf, sizeof buf, "%s%.3f", i ? ", " : "", r.goodput_mbps[i]);
        s += buf;
    }
    char tail[400];
    std::snprintf(tail, sizeof tail,
                  "], \"median_goodput_mbps\": %.3f, \"mathis_mbps\": %.3f, \"retransmissions\": %.1f, "
                  "\"rtos\": %.1f, \"tail_rtos\": %.1f, \"probes\": %.1f, \"spurious\": %.1f, \"segments\": %.1f, "
                  "\"lost\": %.1f}",
                  r.median_goodput_mbps, r.mathis_mbps, r.retransmissions, r.timeouts, r.tail_timeouts, r.probes,
                  r.spurious, r.segments, r.lost);
    return s + tail;
}

std::optional<double> recorded_seed1_goodput(const std::string& json, const table_row& row) {
    size_t at = json.find("{" + row_key(row) + ", \"seeds\": [1");
    if (at == std::string::npos) return std::nullopt;
    const std::string field = "\"goodput_mbps\": [";
    size_t f = json.find(field, at);
    if (f == std::string::npos || f > json.find('\n', at)) return std::nullopt;
    return std::strtod(json.c_str() + f + field.size(), nullptr);
}

}  // namespace fptcp::sim
