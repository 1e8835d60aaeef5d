#pragma once
// Time as the TCP core sees it. The core never reads a clock: every entry
// point takes `now`, given by the engine (TSC) or by a test (a manual clock),
// so a 2*MSL TIME_WAIT or a 2-hour keepalive takes no wall time in tests.

#include <chrono>
#include <cstdint>

#include "fptcp/time.hh"

namespace fptcp::tcp {

using fptcp::duration;
using fptcp::tcp_clock;
using fptcp::time_point;

// "No deadline": later than any time the engine will reach.
inline constexpr time_point no_deadline = time_point::max();

inline constexpr time_point earliest(time_point a, time_point b) { return a < b ? a : b; }

// Microseconds on 32 bits (71 minutes around), for the times a TCB keeps
// of its segments in flight (RACK, RTT timing): compact, and compared with
// wraparound like sequence numbers, so only for spans below 35 minutes.
using micros32 = uint32_t;
inline constexpr micros32 to_micros32(time_point t) { return static_cast<micros32>(t.time_since_epoch().count()); }
inline constexpr int32_t micros_between(micros32 from, micros32 to) { return static_cast<int32_t>(to - from); }

// Milliseconds since the epoch, the RFC 7323 timestamp clock (1 ms per tick).
inline constexpr uint32_t to_ms32(time_point t) {
    return static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}

}  // namespace fptcp::tcp
