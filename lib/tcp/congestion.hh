#pragma once
// Congestion control behind one small interface (docs/architecture.md,
// "Congestion control"): NewReno (RFC 5681) and CUBIC (RFC 9438), chosen by
// tcp_config::congestion. The TCB decides *when* a loss happened (duplicate
// ACKs, SACK, RACK, RTO) and how to send during recovery (RFC 6675 pipe);
// this class decides *how much*: cwnd and ssthresh. A switch on the
// algorithm, not a virtual call, so the per-ACK path stays inlined.

#include <algorithm>
#include <cstdint>

#include "fptcp/tcp_config.hh"
#include "tcp/clock.hh"

namespace fptcp::tcp {

class congestion_control {
    uint32_t _cwnd = 0;
    uint32_t _ssthresh = UINT32_MAX;  // RFC 5681 3.1: arbitrarily high at first
    congestion_algorithm _algorithm = congestion_algorithm::cubic;

public:
    static constexpr uint32_t initial_segments = 10;  // RFC 6928

    congestion_algorithm algorithm() const { return _algorithm; }
    uint32_t cwnd() const { return _cwnd; }
    uint32_t ssthresh() const { return _ssthresh; }
    bool in_slow_start() const { return _cwnd < _ssthresh; }

    // Connection established: the initial window.
    void start(congestion_algorithm algorithm, uint32_t mss) {
        _algorithm = algorithm;
        _cwnd = initial_segments * mss;
    }

    // New data cumulatively acknowledged outside loss recovery. `srtt` is
    // the smoothed RTT (zero before the first sample).
    void on_ack(time_point /*now*/, uint32_t acked, uint32_t mss, duration /*srtt*/) {
        if (_cwnd < _ssthresh) {
            _cwnd += std::min(acked, mss);  // slow start
        } else {
            _cwnd += std::max<uint32_t>(1, static_cast<uint32_t>(uint64_t{mss} * mss / _cwnd));
        }
    }

    // A loss detected without a timeout (duplicate ACKs, SACK, RACK): fast
    // recovery starts. ssthresh drops (RFC 5681 3.2 eq. 4 for NewReno, the
    // multiplicative decrease of RFC 9438 4.6 for CUBIC) and cwnd = ssthresh
    // (RFC 6675 5 step 4.2); `flight` is the bytes in flight.
    void on_enter_recovery(time_point /*now*/, uint32_t flight, uint32_t mss) {
        _ssthresh = std::max(flight / 2, 2 * mss);
        _cwnd = _ssthresh;
    }

    // Recovery over (RFC 6582 3.2 step 3, option 1): cwnd = min(ssthresh,
    // flight + one segment), so that leaving recovery sends no burst.
    void on_exit_recovery(uint32_t flight, uint32_t mss) { _cwnd = std::min(_ssthresh, std::max(flight, mss) + mss); }

    // RFC 5681 3.1 eq. 4 (RFC 9438 4.8 for CUBIC) and the loss window of one
    // segment.
    void on_retransmit_timeout(time_point /*now*/, uint32_t flight, uint32_t mss) {
        _ssthresh = std::max(flight / 2, 2 * mss);
        _cwnd = mss;
    }

    // RFC 5681 4.1: idle for longer than an RTO; cwnd = min(IW, cwnd).
    void on_idle_restart(time_point /*now*/, uint32_t mss) { _cwnd = std::min(_cwnd, initial_segments * mss); }
};

}  // namespace fptcp::tcp
