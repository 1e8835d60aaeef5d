#pragma once
// Time as fptcp sees it: microseconds since the runtime (or the caller's own
// clock) started. The TCP core never reads a clock: every entry point takes
// `now`, so tests drive time by hand and a 2-hour keepalive takes no wall time.

#include <chrono>
#include <cstdint>

namespace fptcp {

// A tag clock: it only fixes the unit (microseconds) and the epoch; it has
// no now() (fptcp::runtime::now() reads the TSC).
struct tcp_clock {
    using rep = int64_t;
    using period = std::micro;
    using duration = std::chrono::duration<rep, period>;
    using time_point = std::chrono::time_point<tcp_clock>;
    static constexpr bool is_steady = true;
};

using duration = tcp_clock::duration;
using time_point = tcp_clock::time_point;

}  // namespace fptcp
