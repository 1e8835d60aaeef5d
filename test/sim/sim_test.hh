#pragma once
// The fixture of the sim suite's transfer tests (sim_test.cc,
// scenarios_test.cc, aims_test.cc): a scenario on seed FPTCP_SIM_SEED
// (default 1), checked afterwards for leftovers and CPU time.

#include <chrono>
#include <ctime>
#include <string>

#include <gtest/gtest.h>

#include "scenario.hh"

namespace fptcp::sim {

class SimTest : public ::testing::Test, public scenario {
protected:
    SimTest();
    void TearDown() override;

    static uint64_t seed();
    // Every stream of every connection arrived whole, once, in order, and closed normally.
    void expect_intact(const transfer& t);
    // One "[ sim ]" line: time, goodput, RTOs, probes, retransmissions, drops.
    void report(const std::string& name, const outcome& o);

    // CPU time per test (not wall time: the machine is shared): 2 s
    // optimized, five times that under ASan + UBSan.
    static constexpr double sanitizer_slowdown =
#if defined(__SANITIZE_ADDRESS__)
        5.0;
#else
        1.0;
#endif
    double cpu_limit_seconds = 2.0 * sanitizer_slowdown;
    std::clock_t cpu_start = std::clock();
};

}  // namespace fptcp::sim
