// main() of engine_dpdk_test: the EAL starts once per process (--no-huge, a
// file prefix of its own so parallel runs do not meet), then the tests run.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "port/eal.hh"

int main(int argc, char** argv) {
    using namespace fptcp::port;
    testing::InitGoogleTest(&argc, argv);
    eal_settings s;
    s.allow_hugepages = false;
    s.memory_mb = 512;
    s.file_prefix = "fptcp-engine-test-" + std::to_string(::getpid());
    std::string error;
    for (int i = 0; i < 2; ++i) s.ports.push_back(*parse_port_spec("ring:engine", error));
    if (error = start_eal(s, argv[0]); !error.empty()) {
        std::fprintf(stderr, "engine_dpdk_test: %s\n", error.c_str());
        return 1;
    }
    int result = RUN_ALL_TESTS();
    stop_eal();
    return result;
}
