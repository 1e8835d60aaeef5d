#pragma once
// Congestion window (RFC 5681): slow start and congestion avoidance, and the
// collapse to one segment after a retransmission timeout. Fast retransmit,
// fast recovery, SACK recovery and CUBIC replace this behind the same calls
// (see docs/architecture.md, "Congestion control").

#include <algorithm>
#include <cstdint>

namespace fptcp::tcp {

class congestion_window {
    uint32_t _cwnd = 0;
    uint32_t _ssthresh = UINT32_MAX;  // RFC 5681 3.1: arbitrarily high at first

public:
    static constexpr uint32_t initial_segments = 10;  // RFC 6928

    uint32_t cwnd() const { return _cwnd; }
    uint32_t ssthresh() const { return _ssthresh; }

    void start(uint32_t mss) { _cwnd = initial_segments * mss; }

    // RFC 5681 3.1: new data acknowledged.
    void on_ack(uint32_t acked, uint32_t mss) {
        if (_cwnd < _ssthresh) {
            _cwnd += std::min(acked, mss);  // slow start
        } else {
            _cwnd += std::max<uint32_t>(1, static_cast<uint32_t>(uint64_t{mss} * mss / _cwnd));
        }
    }

    // RFC 5681 3.1, equation (4), and the loss window of one segment.
    void on_retransmit_timeout(uint32_t flight, uint32_t mss) {
        _ssthresh = std::max(flight / 2, 2 * mss);
        _cwnd = mss;
    }
};

}  // namespace fptcp::tcp
