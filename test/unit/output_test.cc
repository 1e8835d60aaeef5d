// tcp_output: a full output never writes past its array.

#include <gtest/gtest.h>

#include "tcp/output.hh"

namespace fptcp::tcp {
namespace {

TEST(TcpOutput, PushBeyondCapacityIsCountedNotWrittenPastTheArray) {
    tcp_output out;
    for (uint32_t i = 0; i < tcp_output::capacity; ++i) out.push().seq = seq_num(i);
    EXPECT_EQ(out.count, tcp_output::capacity);
    EXPECT_EQ(out.counters.output_overflows, 0u);
    out.push().seq = seq_num(999);
    EXPECT_EQ(out.count, tcp_output::capacity);
    EXPECT_EQ(out.counters.output_overflows, 1u);
    EXPECT_EQ(out.segments[tcp_output::capacity - 1].seq, seq_num(tcp_output::capacity - 1));
}

TEST(TcpOutput, DataStopsWhileControlSegmentsStillFit) {
    tcp_output out;
    while (out.has_room_for_data()) out.push();
    EXPECT_EQ(tcp_output::capacity - out.count, tcp_output::control_reserve);
}

}  // namespace
}  // namespace fptcp::tcp
