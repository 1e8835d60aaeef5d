// fptcp/cpu_list.hh: the CPU lists of runtime_settings::cpus and --cpus.

#include "fptcp/cpu_list.hh"

#include <gtest/gtest.h>

namespace fptcp {
namespace {

TEST(CpuList, SinglesRangesAndListsInTheOrderGiven) {
    std::string error;
    EXPECT_EQ(parse_cpu_list("0", error), (std::vector<unsigned>{0}));
    EXPECT_EQ(parse_cpu_list("0-3", error), (std::vector<unsigned>{0, 1, 2, 3}));
    EXPECT_EQ(parse_cpu_list("5,1,3-4", error), (std::vector<unsigned>{5, 1, 3, 4}));
    EXPECT_EQ(parse_cpu_list("127", error), (std::vector<unsigned>{127}));
}

TEST(CpuList, MalformedEmptyRepeatedOrTooHighIsRefusedWithTheList) {
    for (const char* bad : {"", ",", "1,", "-1", "3-1", "1-", "a", "0-3,2", "1,1", "128", "0 1", "1;2"}) {
        std::string error;
        EXPECT_FALSE(parse_cpu_list(bad, error)) << bad;
        EXPECT_NE(error.find(std::string("\"") + bad + "\""), std::string::npos) << error;
    }
}

}  // namespace
}  // namespace fptcp
