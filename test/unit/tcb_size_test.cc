// The TCB must stay at or below 512 bytes (buffers excluded), so that a
// million idle connections fit in half a gigabyte.

#include <gtest/gtest.h>

#include "tcp/tcb.hh"
#include "tcp/time_wait.hh"

namespace fptcp::tcp {
namespace {

TEST(TcbSize, ControlBlockIsAtMost512Bytes) {
    std::printf("sizeof(tcb) = %zu bytes\n", sizeof(tcb));
    EXPECT_LE(sizeof(tcb), 512u);
}

TEST(TcbSize, TimeWaitEntryIsAtMost64Bytes) {
    std::printf("sizeof(time_wait_entry) = %zu bytes\n", sizeof(time_wait_entry));
    EXPECT_LE(sizeof(time_wait_entry), 64u);
}

}  // namespace
}  // namespace fptcp::tcp
