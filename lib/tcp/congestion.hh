#pragma once
// Congestion control behind one small interface (docs/congestion.md): NewReno
// (RFC 5681) and CUBIC (RFC 9438), chosen by tcp_config::congestion. The TCB
// decides *when* a loss happened (duplicate ACKs, SACK, RACK, RTO) and how to
// send during recovery (RFC 6675 pipe); this class decides *how much*: cwnd
// and ssthresh, in bytes. A switch on the algorithm, not a virtual call, so
// the per-ACK path stays inlined; CUBIC's per-ACK work is integer arithmetic
// (its one cube root is taken once per congestion avoidance stage).

#include <algorithm>
#include <cstdint>

#include "fptcp/tcp_config.hh"
#include "tcp/clock.hh"

namespace fptcp::tcp {

// RFC 9438's formulas in integers: windows in bytes, time in ticks of
// 2^-10 s (as Linux's BICTCP_HZ), so that the cube of the largest useful
// offset from K fits in 64 bits.
namespace cubic {

// C = 0.4 segments / s^3 (RFC 9438 5.1), beta_cubic = 0.7 (4.6),
// alpha_cubic = 3 (1 - beta) / (1 + beta) = 0.9 / 1.7 = 9 / 17 (4.3), and
// fast convergence's (1 + beta) / 2 = 17 / 20 (4.7).
inline constexpr uint64_t c_num = 2, c_den = 5;
inline constexpr uint64_t beta_num = 7, beta_den = 10;
inline constexpr uint64_t alpha_num = 9, alpha_den = 17;
inline constexpr uint64_t convergence_num = 17, convergence_den = 20;

inline constexpr int tick_bits = 10;      // one tick = 2^-10 s
inline constexpr int fraction_bits = 10;  // segments carry 10 fractional bits inside window() and k_ticks()
// C * offset^3 in ticks^3, as segments with fraction_bits, is shifted right
// by this much: 2^-30 s^3 per tick^3, times 2^10.
inline constexpr int cube_shift = 3 * tick_bits - fraction_bits;
// |t - K| is clamped to 2^20 ticks (1,024 s): 0.4 * 1024^3 segments is
// beyond any 32-bit window, and the cube, 2^60, leaves room for the factor 2.
inline constexpr int max_offset_bits = 20;
inline constexpr int64_t max_offset = int64_t{1} << max_offset_bits;

// A duration in ticks: us * 1024 / 1,000,000 = us * 16 / 15,625.
constexpr int64_t to_ticks(duration d) { return d.count() * 16 / 15625; }

// floor(cbrt(x)), bit by bit (Hacker's Delight 11-2), 22 rounds.
constexpr uint64_t icbrt(uint64_t x) {
    uint64_t y = 0;
    for (int shift = 63; shift >= 0; shift -= 3) {
        y *= 2;
        uint64_t b = 3 * y * (y + 1) + 1;
        if ((x >> shift) >= b) {
            x -= b << shift;
            ++y;
        }
    }
    return y;
}

// K of RFC 9438 figure 2, cbrt((W_max - cwnd_epoch) / C), in ticks. Needs
// w_max > cwnd_epoch.
constexpr uint32_t k_ticks(uint32_t w_max, uint32_t cwnd_epoch, uint32_t mss) {
    // The difference in segments with fraction_bits; K^3 in ticks^3 is that
    // / C << cube_shift, clamped at max_offset^3.
    uint64_t segments = (uint64_t{w_max - cwnd_epoch} << fraction_bits) / mss;
    constexpr uint64_t beyond = (uint64_t{1} << (3 * max_offset_bits - cube_shift)) * c_num / c_den;
    if (segments >= beyond) return static_cast<uint32_t>(max_offset);
    return static_cast<uint32_t>(icbrt(segments * c_den / c_num << cube_shift));
}

// W_cubic(t) = C (t - K)^3 + W_max (RFC 9438 figure 1), in bytes, t and K in
// ticks. C * offset^3 in segments with 10 fractional bits is
// 0.4 * offset^3 / 2^30 * 2^10 = offset^3 * 2 / 5 / 2^20.
constexpr uint64_t window(int64_t t, uint32_t k, uint32_t w_max, uint32_t mss) {
    int64_t offset = std::clamp(t - int64_t{k}, -max_offset, max_offset);
    uint64_t magnitude = static_cast<uint64_t>(offset < 0 ? -offset : offset);
    uint64_t segments = magnitude * magnitude * magnitude * c_num / c_den >> cube_shift;
    uint64_t bytes = segments * mss >> fraction_bits;
    if (offset >= 0) return w_max + bytes;
    return bytes < w_max ? w_max - bytes : 0;
}

}  // namespace cubic

class congestion_control {
    uint32_t _epoch_start_ms = 0;  // CUBIC: start of the congestion avoidance stage (RFC 9438 4.2), to_ms32
    uint32_t _cwnd = 0;
    uint32_t _ssthresh = UINT32_MAX;  // RFC 5681 3.1: arbitrarily high at first
    // CUBIC only (RFC 9438), bytes. _w_max is 0 before the first congestion
    // event and after a timeout: the next stage takes W_max = cwnd_epoch, K = 0 (4.8).
    uint32_t _w_max = 0;
    uint32_t _k = 0;            // K in cubic ticks (4.2 figure 2)
    uint32_t _cwnd_prior = 0;      // cwnd before the last reduction (RFC 9438 4.6), for alpha_cubic (4.3) and undo
    uint32_t _ssthresh_prior = 0;  // ssthresh before the last fast recovery, for undo
    uint32_t _w_est = 0;        // CUBIC: the Reno-friendly estimate (4.3)
    // Bytes acknowledged in congestion avoidance not yet counted into growth:
    // NewReno's bytes_acked (RFC 5681 3.1), CUBIC's toward _w_est.
    uint32_t _acked_uncounted = 0;
    congestion_algorithm _algorithm = congestion_algorithm::cubic;
    bool _in_stage = false;  // CUBIC: _epoch_start_ms is set; the next ACK starts a stage when not

public:
    static constexpr uint32_t initial_segments = 10;  // RFC 6928

    congestion_algorithm algorithm() const { return _algorithm; }
    uint32_t cwnd() const { return _cwnd; }
    uint32_t ssthresh() const { return _ssthresh; }
    bool in_slow_start() const { return _cwnd < _ssthresh; }

    // Connection established: the initial window.
    void start(congestion_algorithm algorithm, uint32_t mss) {
        *this = congestion_control{};
        _algorithm = algorithm;
        _cwnd = initial_segments * mss;
    }

    // New data cumulatively acknowledged outside loss recovery. `srtt` is
    // the smoothed RTT (zero before the first sample). Slow start is RFC
    // 5681's for both algorithms (RFC 9438 4.10; docs/congestion.md says
    // why not HyStart++).
    void on_ack(time_point now, uint32_t acked, uint32_t mss, duration srtt) {
        if (_cwnd < _ssthresh) {
            grow(std::min(acked, mss));  // slow start
            return;
        }
        switch (_algorithm) {
        case congestion_algorithm::newreno:
            newreno_avoidance(acked, mss);
            return;
        case congestion_algorithm::cubic:
            cubic_avoidance(now, acked, mss, srtt);
            return;
        }
    }

    // A loss detected without a timeout (duplicate ACKs, SACK, RACK): fast
    // recovery starts. ssthresh drops (RFC 5681 3.2 eq. 4 for NewReno, the
    // multiplicative decrease of RFC 9438 4.6 for CUBIC) and cwnd = ssthresh
    // (RFC 6675 5 step 4.2); `flight` is the bytes in flight.
    void on_enter_recovery(time_point /*now*/, uint32_t flight, uint32_t mss) {
        if (_algorithm == congestion_algorithm::cubic) {
            // RFC 9438 4.7 fast convergence: a loss below the last W_max
            // lowers the plateau further.
            _w_max = _cwnd < _w_max ? static_cast<uint32_t>(_cwnd * cubic::convergence_num / cubic::convergence_den)
                                    : _cwnd;
            _in_stage = false;  // the next stage starts at the next ACK (4.2)
        }
        _cwnd_prior = _cwnd;
        _ssthresh_prior = _ssthresh;
        _ssthresh = reduced_ssthresh(flight, mss);
        _cwnd = _ssthresh;
        _acked_uncounted = 0;
    }

    // The last fast recovery proved spurious (every retransmission was a
    // duplicate, RFC 3708): the reduction is undone, as RFC 4015 3.2 and
    // RFC 9438 4.9 allow, restoring cwnd and ssthresh when they are larger
    // (Linux's tcp_undo_cwnd_reduction). CUBIC starts a new stage at the
    // next ACK, at or above W_max, so its curve climbs from there.
    void undo_recovery() {
        _cwnd = std::max(_cwnd, _cwnd_prior);
        _ssthresh = std::max(_ssthresh, _ssthresh_prior);
        _in_stage = false;
    }

    // Recovery over (RFC 6582 3.2 step 3, option 1): cwnd = min(ssthresh,
    // flight + one segment), so that leaving recovery sends no burst.
    void on_exit_recovery(uint32_t flight, uint32_t mss) { _cwnd = std::min(_ssthresh, std::max(flight, mss) + mss); }

    // RFC 5681 3.1 eq. 4 (RFC 9438 4.8 for CUBIC: ssthresh as in 4.6) and
    // the loss window of one segment.
    void on_retransmit_timeout(time_point /*now*/, uint32_t flight, uint32_t mss) {
        if (_algorithm == congestion_algorithm::cubic) {
            _cwnd_prior = _cwnd;
            _w_max = 0;  // 4.8: the next stage takes K = 0 and W_max = cwnd_epoch
            _in_stage = false;
        }
        _ssthresh = reduced_ssthresh(flight, mss);
        _cwnd = mss;
        _acked_uncounted = 0;
    }

    // A further timeout of the same data: the loss window again, ssthresh
    // and CUBIC's state as the first timeout left them (RFC 5681 3.1 sets
    // ssthresh only when a segment is retransmitted for the first time).
    void on_repeated_timeout(uint32_t mss) { _cwnd = mss; }

    // RFC 5681 4.1: idle for longer than an RTO; cwnd = min(IW, cwnd).
    void on_idle_restart(time_point /*now*/, uint32_t mss) {
        on_idle();
        _cwnd = std::min(_cwnd, initial_segments * mss);
    }

    // Idle (nothing in flight, nothing acknowledged) without RFC 5681 4.1's
    // restart (tcp_config::slow_start_after_idle off): cwnd stays, but CUBIC
    // starts a new congestion avoidance stage at the next ACK so that the
    // idle time does not count in t (RFC 9438 5.8).
    void on_idle() { _in_stage = false; }

private:
    void grow(uint64_t bytes) { _cwnd = static_cast<uint32_t>(std::min<uint64_t>(_cwnd + bytes, UINT32_MAX)); }

    uint32_t reduced_ssthresh(uint32_t flight, uint32_t mss) const {
        uint64_t reduced = 0;
        switch (_algorithm) {
        case congestion_algorithm::newreno:
            reduced = flight / 2;  // RFC 5681 eq. 4
            break;
        case congestion_algorithm::cubic:
            reduced = flight * cubic::beta_num / cubic::beta_den;  // RFC 9438 4.6: flight_size * beta_cubic
            break;
        }
        return static_cast<uint32_t>(std::max<uint64_t>(reduced, 2 * mss));
    }

    // RFC 5681 3.1's recommended byte counting (RFC 3465 2.1): one SMSS each
    // time a cwnd's worth of bytes is acknowledged. Its equation 3 (SMSS *
    // SMSS / cwnd per ACK) would grow half as fast against a receiver that
    // delays its ACKs, which most do; Linux counts acknowledged segments too.
    void newreno_avoidance(uint32_t acked, uint32_t mss) {
        uint64_t pending = uint64_t{_acked_uncounted} + acked;
        if (pending < _cwnd) {
            _acked_uncounted = static_cast<uint32_t>(pending);
            return;
        }
        _acked_uncounted = static_cast<uint32_t>(std::min<uint64_t>(pending - _cwnd, _cwnd));
        grow(mss);
    }

    // RFC 9438 4.2 to 4.5, on an ACK in congestion avoidance.
    void cubic_avoidance(time_point now, uint32_t acked, uint32_t mss, duration srtt) {
        if (!_in_stage) begin_cubic_stage(now, mss);
        grow_w_est(acked, mss);
        int64_t t = cubic::to_ticks(std::chrono::milliseconds(to_ms32(now) - _epoch_start_ms));
        if (cubic::window(t, _k, _w_max, mss) < _w_est) {
            _cwnd = std::max(_cwnd, _w_est);  // 4.3: the Reno-friendly region
            return;
        }
        // 4.2: target = W_cubic(t + RTT) within [cwnd, 1.5 cwnd]; 4.4 and
        // 4.5: cwnd += (target - cwnd) / cwnd per segment acknowledged.
        uint64_t target = std::clamp(cubic::window(t + cubic::to_ticks(srtt), _k, _w_max, mss), uint64_t{_cwnd},
                                     uint64_t{_cwnd} * 3 / 2);
        uint64_t room = target - _cwnd;
        grow(std::min(room, room * acked / _cwnd));
    }

    // The first ACK of a congestion avoidance stage (4.2): epoch_start,
    // cwnd_epoch = cwnd, K, and W_est = cwnd_epoch (4.3).
    void begin_cubic_stage(time_point now, uint32_t mss) {
        _epoch_start_ms = to_ms32(now);
        _in_stage = true;
        _w_est = _cwnd;
        _acked_uncounted = 0;
        if (_w_max <= _cwnd) {
            // After a timeout (4.8), or a stage starting at or above W_max:
            // the curve starts here, flat, and is convex from now on.
            _w_max = _cwnd;
            _k = 0;
            return;
        }
        _k = cubic::k_ticks(_w_max, _cwnd, mss);
    }

    // 4.3: W_est += alpha_cubic * segments_acked / cwnd, i.e. one MSS per
    // cwnd / alpha_cubic bytes acknowledged; alpha_cubic = 1 once W_est has
    // reached cwnd_prior.
    void grow_w_est(uint32_t acked, uint32_t mss) {
        uint64_t alpha = _w_est >= _cwnd_prior ? cubic::alpha_den : cubic::alpha_num;
        uint64_t pending = uint64_t{_acked_uncounted} + acked;
        uint64_t credit = pending * alpha;
        uint64_t per_segment = uint64_t{_cwnd} * cubic::alpha_den;
        if (credit < per_segment) {
            _acked_uncounted = static_cast<uint32_t>(std::min<uint64_t>(pending, UINT32_MAX));
            return;
        }
        uint64_t segments = credit / per_segment;
        _w_est = static_cast<uint32_t>(std::min<uint64_t>(_w_est + segments * mss, UINT32_MAX));
        _acked_uncounted = static_cast<uint32_t>((credit - segments * per_segment) / alpha);
    }
};

}  // namespace fptcp::tcp
