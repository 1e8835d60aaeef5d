#pragma once
// Retransmission timeout estimation, RFC 6298 section 2.

#include <algorithm>
#include <cstdint>

#include "tcp/clock.hh"

namespace fptcp::tcp {

class rtt_estimator {
    // Microseconds; 32 bits hold 71 minutes, well above rto_max. SRTT is 0
    // until the first sample and never again after it (samples are at least
    // 1 us, and SRTT - SRTT / 8 stays above 0).
    uint32_t _srtt = 0;
    uint32_t _rttvar = 0;
    uint32_t _rto;

    static constexpr uint32_t clock_granularity_us = 1000;  // G: the engine's 1 ms timer tick

public:
    explicit rtt_estimator(duration initial) : _rto(static_cast<uint32_t>(initial.count())) {}

    bool has_sample() const { return _srtt != 0; }
    duration srtt() const { return duration(_srtt); }
    duration rttvar() const { return duration(_rttvar); }
    duration rto() const { return duration(_rto); }

    // RFC 6298 5.7: after a retransmitted SYN with no sample, RTO becomes 3 s.
    void set_rto(duration rto) { _rto = static_cast<uint32_t>(rto.count()); }

    // RFC 6298 2.2 (first measurement) and 2.3 (later ones), with alpha = 1/8
    // and beta = 1/4; then 2.4/2.5 clamp the RTO to [min, max]. A sample
    // beyond 32 bits counts as the longest one they hold (it used to wrap:
    // 2^32 us + 10 ms became 10 ms).
    void sample(duration measured, duration min, duration max) {
        uint32_t r = static_cast<uint32_t>(std::clamp<int64_t>(measured.count(), 1, UINT32_MAX));
        if (!has_sample()) {
            _srtt = r;
            _rttvar = r / 2;
        } else {
            uint32_t diff = _srtt > r ? _srtt - r : r - _srtt;
            _rttvar = _rttvar - _rttvar / 4 + diff / 4;
            _srtt = _srtt - _srtt / 8 + r / 8;
        }
        uint64_t rto = uint64_t{_srtt} + std::max<uint64_t>(clock_granularity_us, uint64_t{4} * _rttvar);
        _rto = static_cast<uint32_t>(std::clamp<uint64_t>(rto, static_cast<uint64_t>(min.count()),
                                                          static_cast<uint64_t>(max.count())));
    }
};

}  // namespace fptcp::tcp
