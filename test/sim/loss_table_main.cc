// fptcp-sim-loss-table: the throughput-versus-loss table and the aims of
// issue 4, measured in the simulator (docs/sim-loss-table.md). Not run in CI;
// the sim suite reruns a few rows against the JSON it writes.
//
//   fptcp-sim-loss-table [--seeds N] [--path 1g_10ms|10g_1ms|lan_100us|lan_1ms] [--json FILE] [--markdown FILE]
//                        [--aims]

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "loss_table.hh"

namespace {

using namespace fptcp;
using namespace fptcp::sim;

struct options {
    uint64_t seeds = 3;
    std::string only_path;  // empty: both
    std::string json, markdown;
    bool aims = false;
};

[[noreturn]] void fail(const std::string& message) {
    std::fprintf(stderr, "fptcp-sim-loss-table: %s\n", message.c_str());
    std::exit(2);
}

options parse(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) fail(a + " needs a value");
            return argv[++i];
        };
        if (a == "--seeds") {
            std::string v = value();
            char* end = nullptr;
            o.seeds = std::strtoull(v.c_str(), &end, 10);
            if (v.empty() || *end != '\0' || o.seeds == 0 || o.seeds > 1000) fail("--seeds takes 1 to 1000");
        } else if (a == "--path") {
            o.only_path = value();
            if (o.only_path != "1g_10ms" && o.only_path != "10g_1ms" && o.only_path != "lan_100us" &&
                o.only_path != "lan_1ms") {
                fail("--path takes 1g_10ms, 10g_1ms, lan_100us or lan_1ms");
            }
        } else if (a == "--json") {
            o.json = value();
        } else if (a == "--markdown") {
            o.markdown = value();
        } else if (a == "--aims") {
            o.aims = true;
        } else {
            fail("unknown argument '" + a + "' (try --seeds N, --path P, --json FILE, --markdown FILE, --aims)");
        }
    }
    return o;
}

const char* cc_label(congestion_algorithm cc) {
    switch (cc) {
    case congestion_algorithm::newreno: return "NewReno";
    case congestion_algorithm::cubic: return "CUBIC";
    case congestion_algorithm::bbr: return "BBR";
    }
    return "?";
}

std::string table_markdown(const std::vector<row_result>& rows) {
    std::string s =
        "| path | cc | SACK | loss | goodput (Mbit/s) | Mathis (Mbit/s) | goodput/Mathis | data segments | lost | "
        "retransmissions | RTOs | of them tail | loss probes | spurious |\n"
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    char buf[400];
    for (const row_result& r : rows) {
        char mathis[32] = "-", ratio[32] = "-";
        if (r.mathis_mbps > 0) {
            std::snprintf(mathis, sizeof mathis, "%.1f", r.mathis_mbps);
            std::snprintf(ratio, sizeof ratio, "%.2f", r.median_goodput_mbps / r.mathis_mbps);
        }
        std::snprintf(buf, sizeof buf,
                      "| %s | %s | %s | %g %% | %.1f | %s | %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f |\n",
                      r.row.p->name, cc_label(r.row.cc), r.row.sack ? "on" : "off", r.row.loss * 100,
                      r.median_goodput_mbps, mathis, ratio, r.segments, r.lost, r.retransmissions, r.timeouts,
                      r.tail_timeouts, r.probes, r.spurious);
        s += buf;
    }
    return s;
}

const row_result* find(const std::vector<row_result>& rows, congestion_algorithm cc, bool sack, double loss) {
    for (const row_result& r : rows) {
        if (r.row.p == &gigabit_10ms && r.row.cc == cc && r.row.sack == sack && r.row.loss == loss) return &r;
    }
    return nullptr;
}

// The LAN aims (aims_test.cc, SimLanAims): at 5 % loss at most one RTO
// other than of a tail loss per 1,000 data segments; at every loss,
// spurious retransmissions below 1 % of the segments and retransmissions at
// most 1.3 times the segments lost. Medians of the seeds.
std::string lan_aims_markdown(const std::vector<row_result>& rows) {
    std::string s = "\nLAN paths (echo: both ends send; medians of the seeds):\n\n"
                    "| path | cc | SACK | loss | segments | RTOs not tail per 1000 | spurious % | "
                    "retransmissions / lost | met |\n|---|---|---|---:|---:|---:|---:|---:|---|\n";
    char buf[400];
    for (const row_result& r : rows) {
        if (!r.row.p->lan) continue;
        double per_1000 = r.segments > 0 ? (r.timeouts - r.tail_timeouts) * 1000 / r.segments : 0;
        double spurious = r.segments > 0 ? r.spurious * 100 / r.segments : 0;
        double ratio = r.lost > 0 ? r.retransmissions / r.lost : 0;
        bool met = (r.row.loss != 0.05 || per_1000 <= 1) && spurious < 1 && ratio <= 1.3;
        std::snprintf(buf, sizeof buf, "| %s | %s | %s | %g %% | %.0f | %.2f | %.2f | %.2f | %s |\n",
                      path_key(*r.row.p).c_str(), cc_label(r.row.cc), r.row.sack ? "on" : "off", r.row.loss * 100,
                      r.segments, per_1000, spurious, ratio, met ? "yes" : "**no**");
        s += buf;
    }
    return s;
}

// Issue 4 item 6, on the 1 Gbit/s, 10 ms path.
std::string aims_markdown(const std::vector<row_result>& rows, uint64_t seeds) {
    std::string s;
    char buf[400];
    const congestion_algorithm ccs[] = {congestion_algorithm::newreno, congestion_algorithm::cubic};
    s += "Goodput against the Mathis bound, and RTOs other than of a tail loss (medians of the seeds):\n\n"
         "| cc | SACK | loss | goodput | Mathis | goodput met | RTOs | of them tail | RTOs met |\n"
         "|---|---|---:|---:|---:|---|---:|---:|---|\n";
    for (double loss : {0.01, 0.05}) {
        for (congestion_algorithm cc : ccs) {
            for (bool sack : {true, false}) {
                const row_result* r = find(rows, cc, sack, loss);
                if (!r) continue;
                std::snprintf(buf, sizeof buf, "| %s | %s | %g %% | %.2f | %.2f | %s | %.0f | %.0f | %s |\n",
                              cc_label(cc), sack ? "on" : "off", loss * 100, r->median_goodput_mbps, r->mathis_mbps,
                              r->median_goodput_mbps >= r->mathis_mbps ? "yes" : "**no**", r->timeouts,
                              r->tail_timeouts, r->timeouts == r->tail_timeouts ? "yes" : "**no**");
                s += buf;
            }
        }
    }
    s += "\nSACK against no SACK (median goodput, Mbit/s):\n\n| cc | loss | SACK on | SACK off | met |\n"
         "|---|---:|---:|---:|---|\n";
    for (congestion_algorithm cc : ccs) {
        for (double loss : {0.01, 0.02, 0.05, 0.10, 0.20}) {
            const row_result* on = find(rows, cc, true, loss);
            const row_result* off = find(rows, cc, false, loss);
            if (!on || !off) continue;
            std::snprintf(buf, sizeof buf, "| %s | %g %% | %.2f | %.2f | %s |\n", cc_label(cc), loss * 100,
                          on->median_goodput_mbps, off->median_goodput_mbps,
                          on->median_goodput_mbps >= off->median_goodput_mbps ? "yes" : "**no**");
            s += buf;
        }
    }
    s += "\nA tail loss (100 segments, the last one or two first transmissions lost; worst of the seeds). "
         "Met: no RTO, a loss probe, resent within the RFC 8985 bound (tail_probe_bound_rtts, scenario.hh):\n\n"
         "| cc | SACK | lost | resent after (RTTs) | bound (RTTs) | last byte later by (RTTs) | RTOs | loss probes "
         "| met |\n|---|---|---:|---:|---:|---:|---:|---:|---|\n";
    for (uint32_t lost : {1u, 2u}) {
        for (congestion_algorithm cc : ccs) {
            for (bool sack : {true, false}) {
                tail_loss_result worst;
                bool intact = true;
                for (uint64_t seed = 1; seed <= seeds; ++seed) {
                    tail_loss_result t = run_tail_loss(cc, sack, seed, lost);
                    intact &= t.delivered;
                    if (seed == 1 || t.repair_after_rtts > worst.repair_after_rtts || t.sender.timeouts > 0) worst = t;
                }
                double bound = tail_probe_bound_rtts(lost);
                bool met = intact && worst.sender.timeouts == 0 && worst.sender.probes > 0 &&
                           worst.repair_after_rtts <= bound;
                std::snprintf(buf, sizeof buf, "| %s | %s | %u | %.2f | %.2f | %.2f | %llu | %llu | %s |\n",
                              cc_label(cc), sack ? "on" : "off", lost, worst.repair_after_rtts, bound,
                              worst.delay_rtts, static_cast<unsigned long long>(worst.sender.timeouts),
                              static_cast<unsigned long long>(worst.sender.probes), met ? "yes" : "**no**");
                s += buf;
            }
        }
    }
    s += "\nReordering: 10 % of frames each way held back by up to 10 ms (1 RTT), 10 s bulk transfer (median of "
         "the seeds):\n\n| cc | SACK | goodput (Mbit/s) | data segments | spurious | spurious, second half | met (< 1 % "
         "in the second half) |\n|---|---|---:|---:|---:|---:|---|\n";
    for (congestion_algorithm cc : ccs) {
        for (bool sack : {true, false}) {
            std::vector<double> good, segs, spur, half;
            double worst_fraction = 0;
            for (uint64_t seed = 1; seed <= seeds; ++seed) {
                bulk_result b = run_bulk({.cc = cc,
                                          .sack = sack,
                                          .reorder = 0.10,
                                          .reorder_delay = std::chrono::milliseconds(10),
                                          .seed = seed});
                double fraction = b.second_half_segments
                                      ? static_cast<double>(b.second_half_spurious) / b.second_half_segments
                                      : 1;
                worst_fraction = std::max(worst_fraction, fraction);
                good.push_back(b.goodput_mbps);
                segs.push_back(static_cast<double>(b.sender.data_segments));
                spur.push_back(static_cast<double>(b.sender.spurious));
                half.push_back(fraction * 100);
            }
            std::sort(good.begin(), good.end());
            std::sort(segs.begin(), segs.end());
            std::sort(spur.begin(), spur.end());
            std::sort(half.begin(), half.end());
            size_t m = good.size() / 2;
            std::snprintf(buf, sizeof buf, "| %s | %s | %.1f | %.0f | %.0f | %.2f %% | %s |\n", cc_label(cc),
                          sack ? "on" : "off", good[m], segs[m], spur[m], half[m],
                          worst_fraction < 0.01 ? "yes" : "**no**");
            s += buf;
        }
    }
    s += lan_aims_markdown(rows);
    return s;
}

void write_file(const std::string& name, const std::string& text) {
    FILE* f = std::fopen(name.c_str(), "w");
    if (!f) fail("cannot write " + name + ": " + std::strerror(errno));
    std::fputs(text.c_str(), f);
    std::fclose(f);
}

}  // namespace

int main(int argc, char** argv) {
    options o = parse(argc, argv);
    std::vector<uint64_t> seeds;
    for (uint64_t s = 1; s <= o.seeds; ++s) seeds.push_back(s);
    auto started = std::chrono::steady_clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(); };

    std::vector<row_result> results;
    for (const table_row& row : all_rows()) {
        if (!o.only_path.empty() && path_key(*row.p) != o.only_path) continue;
        results.push_back(run_row(row, seeds));
        const row_result& r = results.back();
        std::fprintf(stderr, "%7.1f s  %s  %s\n", elapsed(), to_json_line(r).c_str(),
                     r.mismatches ? "  BYTES DIFFER" : "");
        if (r.mismatches) fail("received bytes differ from the stream: the core delivered wrong data");
    }
    std::string json = "{\"command\": \"fptcp-sim-loss-table --seeds " + std::to_string(o.seeds) +
                       (o.only_path.empty() ? "" : " --path " + o.only_path) + "\",\n\"rows\": [\n";
    for (size_t i = 0; i < results.size(); ++i) json += to_json_line(results[i]) + (i + 1 < results.size() ? ",\n" : "\n");
    json += "]}\n";
    std::string md = table_markdown(results);
    if (o.aims) md += "\n" + aims_markdown(results, o.seeds);
    char took[80];
    std::snprintf(took, sizeof took, "\n(%.0f s of real time)\n", elapsed());
    md += took;
    if (!o.json.empty()) write_file(o.json, json);
    if (o.markdown.empty()) {
        std::fputs(md.c_str(), stdout);
    } else {
        write_file(o.markdown, md);
    }
    return 0;
}
