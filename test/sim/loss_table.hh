#pragma once
// The throughput-versus-loss table (docs/sim-loss-table.md): its rows, the
// median over seeds, and one JSON line per row, which the sim suite reads
// back (aims_test.cc) to catch a regression.

#include <optional>
#include <string>
#include <vector>

#include "scenario.hh"

namespace fptcp::sim {

struct table_row {
    const path* p;
    congestion_algorithm cc;
    bool sack;
    double loss;
};

// Every row: the two bulk paths x NewReno/CUBIC x SACK on/off x loss 0 to
// 20 %; then the two LAN paths (echo) at 1, 5 and 10 % loss.
std::vector<table_row> all_rows();

struct row_result {
    table_row row{};
    std::vector<uint64_t> seeds;
    std::vector<double> goodput_mbps;  // per seed
    double median_goodput_mbps = 0;
    double mathis_mbps = 0;            // 0 at 0 % loss (no bound)
    double retransmissions = 0;        // medians over the seeds, of the senders' data segments
    double timeouts = 0;
    double tail_timeouts = 0;          // of them, tail losses (sender_stats::tail_timeouts)
    double probes = 0;
    double spurious = 0;
    double segments = 0;               // data segments sent
    double lost = 0;                   // data segments the link lost (sender_stats::lost)
    uint64_t mismatches = 0;           // summed: must be 0
};

row_result run_row(const table_row& row, const std::vector<uint64_t>& seeds);

std::string path_key(const path& p);  // "1g_10ms", "10g_1ms", "lan_100us", "lan_1ms"
std::string to_json_line(const row_result& r);
// The goodput recorded for `row` with seed 1 (the first of its seeds) in a
// JSON table written by to_json_line (one row per line), or nullopt when
// the row is absent.
std::optional<double> recorded_seed1_goodput(const std::string& json, const table_row& row);

}  // namespace fptcp::sim
