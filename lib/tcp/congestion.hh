#pragma once
// Congestion control behind one small interface (docs/congestion.md): NewReno
// (RFC 5681), CUBIC (RFC 9438) and BBR v1 (bbr.hh), chosen by
// tcp_config::congestion. The TCB decides *when* a loss happened (duplicate
// ACKs, SACK, RACK, RTO) and how to send during recovery (RFC 6675 pipe);
// this class decides *how much*: cwnd and ssthresh, in bytes. A switch on
// the algorithm, not a virtual call, so the per-ACK path stays inlined;
// CUBIC's per-ACK work is integer arithmetic (its one cube root is taken
// once per congestion avoidance stage). CUBIC's and BBR's state share the
// same bytes: a connection runs one algorithm.

#include <algorithm>
#include <cstdint>
#include <memory>

#include "fptcp/tcp_config.hh"
#include "tcp/bbr.hh"
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

// What NewReno and CUBIC keep beside cwnd and ssthresh, bytes.
struct loss_based_state {
    uint32_t cwnd_prior = 0;      // cwnd before the last reduction (RFC 9438 4.6), for alpha_cubic (4.3) and undo
    uint32_t ssthresh_prior = 0;  // ssthresh before the last fast recovery, for undo
    // Bytes acknowledged in congestion avoidance not yet counted into growth:
    // NewReno's bytes_acked (RFC 5681 3.1), CUBIC's toward w_est.
    uint32_t acked_uncounted = 0;
    // CUBIC's congestion avoidance stage (RFC 9438).
    uint32_t epoch_start_ms = 0;  // start of the stage (4.2), to_ms32
    // 0 before the first congestion event and after a timeout: the next
    // stage takes W_max = cwnd_epoch, K = 0 (4.8).
    uint32_t w_max = 0;
    uint32_t k = 0;      // K in cubic ticks (4.2 figure 2)
    uint32_t w_est = 0;  // the Reno-friendly estimate (4.3)
    bool in_stage = false;  // epoch_start_ms is set; the next ACK starts a stage when not
};

class congestion_control {
    uint32_t _cwnd = 0;
    uint32_t _ssthresh = UINT32_MAX;  // RFC 5681 3.1: arbitrarily high at first
    congestion_algorithm _algorithm = congestion_algorithm::cubic;
    union per_algorithm {
        loss_based_state loss;  // NewReno, CUBIC
        bbr_model bbr;          // BBR
        per_algorithm() : loss{} {}
    } _per;

public:
    static constexpr uint32_t initial_segments = 10;  // RFC 6928

    congestion_algorithm algorithm() const { return _algorithm; }
    uint32_t cwnd() const { return _cwnd; }
    uint32_t ssthresh() const { return _ssthresh; }
    bool in_slow_start() const { return _cwnd < _ssthresh; }

    // Connection established: the initial window.
    void start(congestion_algorithm algorithm, uint32_t mss) {
        _cwnd = initial_segments * mss;
        _ssthresh = UINT32_MAX;
        _algorithm = algorithm;
        if (algorithm == congestion_algorithm::bbr) {
            std::construct_at(&_per.bbr);
        } else {
            std::construct_at(&_per.loss);
        }
    }

    // BBR reads every ACK that delivers octets (on_delivery), in recovery
    // too; the others only cumulative ACKs outside recovery (on_ack).
    bool models_the_path() const { return _algorithm == congestion_algorithm::bbr; }
    const bbr_model* bbr() const { return models_the_path() ? &_per.bbr : nullptr; }

    // New data cumulatively acknowledged outside loss recovery. `srtt` is
    // the smoothed RTT (zero before the first sample). Slow start is RFC
    // 5681's for NewReno and CUBIC (RFC 9438 4.10; docs/congestion.md says
    // why not HyStart++).
    void on_ack(time_point now, uint32_t acked, uint32_t mss, duration srtt) {
        if (models_the_path()) return;
        if (_cwnd < _ssthresh) {
            grow(std::min(acked, mss));  // slow start
            return;
        }
        if (_algorithm == congestion_algorithm::newreno) {
            newreno_avoidance(acked, mss);
        } else {
            cubic_avoidance(now, acked, mss, srtt);
        }
    }

    // BBR: an ACK delivered octets (bbr.hh).
    void on_delivery(const delivery_sample& s, uint32_t mss) {
        if (models_the_path()) _cwnd = _per.bbr.on_delivery(s, _cwnd, mss);
    }

    // BBR: an RTT sample, microseconds.
    void on_rtt(time_point now, duration rtt) {
        if (models_the_path()) _per.bbr.on_rtt(to_ms32(now), static_cast<uint32_t>(std::clamp<int64_t>(rtt.count(), 1, UINT32_MAX)));
    }

    // BBR: the sender ran out of data with room in cwnd.
    void on_app_limited() {
        if (models_the_path()) _per.bbr.mark_app_limited();
    }

    // A loss detected without a timeout (duplicate ACKs, SACK, RACK): fast
    // recovery starts. ssthresh drops (RFC 5681 3.2 eq. 4 for NewReno, the
    // multiplicative decrease of RFC 9438 4.6 for CUBIC) and cwnd = ssthresh
    // (RFC 6675 5 step 4.2); `flight` is the bytes in flight. BBR keeps its
    // model and conserves packets for a round (bbr.hh).
    void on_enter_recovery(time_point /*now*/, uint32_t flight, uint32_t mss) {
        if (models_the_path()) {
            _per.bbr.on_enter_recovery(_cwnd);
            return;
        }
        if (_algorithm == congestion_algorithm::cubic) {
            // RFC 9438 4.7 fast convergence: a loss below the last W_max
            // lowers the plateau further.
            _per.loss.w_max = _cwnd < _per.loss.w_max
                               ? static_cast<uint32_t>(_cwnd * cubic::convergence_num / cubic::convergence_den)
                               : _cwnd;
            _per.loss.in_stage = false;  // the next stage starts at the next ACK (4.2)
        }
        _per.loss.cwnd_prior = _cwnd;
        _per.loss.ssthresh_prior = _ssthresh;
        _ssthresh = reduced_ssthresh(flight, mss);
        _cwnd = _ssthresh;
        _per.loss.acked_uncounted = 0;
    }

    // The last fast recovery proved spurious (every retransmission was a
    // duplicate, RFC 3708): the reduction is undone, as RFC 4015 3.2 and
    // RFC 9438 4.9 allow, restoring cwnd and ssthresh when they are larger
    // (Linux's tcp_undo_cwnd_reduction). CUBIC starts a new stage at the
    // next ACK, at or above W_max, so its curve climbs from there.
    void undo_recovery() {
        if (models_the_path()) {
            _cwnd = _per.bbr.on_exit_recovery(_cwnd);
            return;
        }
        _cwnd = std::max(_cwnd, _per.loss.cwnd_prior);
        _ssthresh = std::max(_ssthresh, _per.loss.ssthresh_prior);
        _per.loss.in_stage = false;
    }

    // Recovery over (RFC 6582 3.2 step 3, option 1): cwnd = min(ssthresh,
    // flight + one segment), so that leaving recovery sends no burst. BBR
    // takes back at least the window it had before.
    void on_exit_recovery(uint32_t flight, uint32_t mss) {
        _cwnd = models_the_path() ? _per.bbr.on_exit_recovery(_cwnd) : std::min(_ssthresh, std::max(flight, mss) + mss);
    }

    // RFC 5681 3.1 eq. 4 (RFC 9438 4.8 for CUBIC: ssthresh as in 4.6) and
    // the loss window of one segment; BBR's ssthresh stays unused.
    void on_retransmit_timeout(time_point /*now*/, uint32_t flight, uint32_t mss) {
        if (models_the_path()) {
            _per.bbr.on_retransmit_timeout(_cwnd);
            _cwnd = mss;
            return;
        }
        if (_algorithm == congestion_algorithm::cubic) {
            _per.loss.cwnd_prior = _cwnd;
            _per.loss.w_max = 0;  // 4.8: the next stage takes K = 0 and W_max = cwnd_epoch
            _per.loss.in_stage = false;
        }
        _ssthresh = reduced_ssthresh(flight, mss);
        _cwnd = mss;
        _per.loss.acked_uncounted = 0;
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
    void on_idle() {
        if (_algorithm == congestion_algorithm::cubic) _per.loss.in_stage = false;
    }

private:
    void grow(uint64_t bytes) { _cwnd = static_cast<uint32_t>(std::min<uint64_t>(_cwnd + bytes, UINT32_MAX)); }

    uint32_t reduced_ssthresh(uint32_t flight, uint32_t mss) const {
        uint64_t reduced = _algorithm == congestion_algorithm::newreno
                               ? flight / 2                                          // RFC 5681 eq. 4
                               : uint64_t{flight} * cubic::beta_num / cubic::beta_den;  // RFC 9438 4.6: flight_size * beta_cubic
        return static_cast<uint32_t>(std::max<uint64_t>(reduced, 2 * mss));
    }

    // RFC 5681 3.1's recommended byte counting (RFC 3465 2.1): one SMSS each
    // time a cwnd's worth of bytes is acknowledged. Its equation 3 (SMSS *
    // SMSS / cwnd per ACK) would grow half as fast against a receiver that
    // delays its ACKs, which most do; Linux counts acknowledged segments too.
    void newreno_avoidance(uint32_t acked, uint32_t mss) {
        uint64_t pending = uint64_t{_per.loss.acked_uncounted} + acked;
        if (pending < _cwnd) {
            _per.loss.acked_uncounted = static_cast<uint32_t>(pending);
            return;
        }
        _per.loss.acked_uncounted = static_cast<uint32_t>(std::min<uint64_t>(pending - _cwnd, _cwnd));
        grow(mss);
    }

    // RFC 9438 4.2 to 4.5, on an ACK in congestion avoidance.
    void cubic_avoidance(time_point now, uint32_t acked, uint32_t mss, duration srtt) {
        if (!_per.loss.in_stage) begin_cubic_stage(now, mss);
        grow_w_est(acked, mss);
        int64_t t = cubic::to_ticks(std::chrono::milliseconds(to_ms32(now) - _per.loss.epoch_start_ms));
        if (cubic::window(t, _per.loss.k, _per.loss.w_max, mss) < _per.loss.w_est) {
            _cwnd = std::max(_cwnd, _per.loss.w_est);  // 4.3: the Reno-friendly region
            return;
        }
        // 4.2: target = W_cubic(t + RTT) within [cwnd, 1.5 cwnd]; 4.4 and
        // 4.5: cwnd += (target - cwnd) / cwnd per segment acknowledged.
        uint64_t target = std::clamp(cubic::window(t + cubic::to_ticks(srtt), _per.loss.k, _per.loss.w_max, mss), uint64_t{_cwnd},
                                     uint64_t{_cwnd} * 3 / 2);
        uint64_t room = target - _cwnd;
        grow(std::min(room, room * acked / _cwnd));
    }

    // The first ACK of a congestion avoidance stage (4.2): epoch_start,
    // cwnd_epoch = cwnd, K, and W_est = cwnd_epoch (4.3).
    void begin_cubic_stage(time_point now, uint32_t mss) {
        _per.loss.epoch_start_ms = to_ms32(now);
        _per.loss.in_stage = true;
        _per.loss.w_est = _cwnd;
        _per.loss.acked_uncounted = 0;
        if (_per.loss.w_max <= _cwnd) {
            // After a timeout (4.8), or a stage starting at or above W_max:
            // the curve starts here, flat, and is convex from now on.
            _per.loss.w_max = _cwnd;
            _per.loss.k = 0;
            return;
        }
        _per.loss.k = cubic::k_ticks(_per.loss.w_max, _cwnd, mss);
    }

    // 4.3: W_est += alpha_cubic * segments_acked / cwnd, i.e. one MSS per
    // cwnd / alpha_cubic bytes acknowledged; alpha_cubic = 1 once W_est has
    // reached cwnd_prior.
    void grow_w_est(uint32_t acked, uint32_t mss) {
        uint64_t alpha = _per.loss.w_est >= _per.loss.cwnd_prior ? cubic::alpha_den : cubic::alpha_num;
        uint64_t pending = uint64_t{_per.loss.acked_uncounted} + acked;
        uint64_t credit = pending * alpha;
        uint64_t per_segment = uint64_t{_cwnd} * cubic::alpha_den;
        if (credit < per_segment) {
            _per.loss.acked_uncounted = static_cast<uint32_t>(std::min<uint64_t>(pending, UINT32_MAX));
            return;
        }
        uint64_t segments = credit / per_segment;
        _per.loss.w_est = static_cast<uint32_t>(std::min<uint64_t>(_per.loss.w_est + segments * mss, UINT32_MAX));
        _per.loss.acked_uncounted = static_cast<uint32_t>((credit - segments * per_segment) / alpha);
    }
};

}  // namespace fptcp::tcp
