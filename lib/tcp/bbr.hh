#pragma once
// BBR, version 1 (draft-cardwell-iccrg-bbr-congestion-control-00, the
// algorithm of Linux's tcp_bbr): a model of the path sets the congestion
// window. The model is the bottleneck bandwidth (BtlBw: the largest
// delivery rate of the last 10 round trips) and the round-trip propagation
// time (RTprop: the smallest RTT of the last 10 s); cwnd is a gain times
// their product, the bandwidth-delay product (BDP). Loss is not read as
// congestion, so a path that drops at random keeps its rate, where NewReno
// and CUBIC cut their windows at every loss episode (docs/congestion.md has
// the figures).
//
// Two departures from the draft, both because fptcp does not pace:
// - BBR's pacing gains (ProbeBW's cycle of 1.25 / 0.75 / 1) have nothing to
//   act on. cwnd_gain = 2 does the probing: a flight of twice the estimated
//   BDP measures a higher rate when the path has one (the draft's "cwnd-
//   limited" operation, 4.2.3.2). Drain is a cwnd of one BDP.
// - One delivery-rate sample per round trip (octets delivered during the
//   round over its duration), not one per ACK (draft-cheng-iccrg-delivery-
//   rate-estimation): fptcp keeps no record per segment (rack.hh), and the
//   filter keeps one maximum per round anyway.

#include <algorithm>
#include <cstdint>

#include "tcp/clock.hh"
#include "tcp/seq.hh"

namespace fptcp::tcp {

// What one ACK that delivered octets tells the model, gathered by the TCB.
struct delivery_sample {
    micros32 now;
    uint32_t now_ms;           // to_ms32(now)
    uint32_t delivered;        // octets delivered (ACKed or SACKed) since the connection began, mod 2^32
    seq_num delivered_edge;    // one past the highest octet delivered
    seq_num snd_nxt;           // octets sent from here on belong to the next round
    uint32_t inflight;         // octets believed in the network (RFC 6675 pipe)
};

// The largest value of the last `window` rounds in three samples (Kathleen
// Nichols' windowed filter, as the draft's BtlBwFilter): the best, and the
// best of the later parts of the window, which take over as it slides.
class windowed_max {
public:
    uint32_t best() const { return _s[0].value; }

    void update(uint32_t round, uint32_t value, uint32_t window) {
        if (value >= _s[0].value || round - _s[2].round > window) {
            _s[0] = _s[1] = _s[2] = {round, value};
            return;
        }
        if (value >= _s[1].value) {
            _s[1] = _s[2] = {round, value};
        } else if (value >= _s[2].value) {
            _s[2] = {round, value};
        }
        slide(round, value, window);
    }

private:
    struct sample {
        uint32_t round = 0;
        uint32_t value = 0;
    };
    sample _s[3];

    // The best has aged out of the window: the next ones move up. When the
    // second and third have stayed the best for a quarter (a half) of the
    // window, a newer value replaces them, so a fresher maximum is at hand.
    void slide(uint32_t round, uint32_t value, uint32_t window) {
        uint32_t age = round - _s[0].round;
        if (age > window) {
            _s[0] = _s[1];
            _s[1] = _s[2];
            _s[2] = {round, value};
            if (round - _s[0].round > window) {
                _s[0] = _s[1];
                _s[1] = _s[2];
            }
        } else if (_s[1].round == _s[0].round && age > window / 4) {
            _s[1] = _s[2] = {round, value};
        } else if (_s[2].round == _s[1].round && age > window / 2) {
            _s[2] = {round, value};
        }
    }
};

class bbr_model {
public:
    enum class phase : uint8_t { startup, drain, probe_bw, probe_rtt };

    static constexpr uint32_t bw_window_rounds = 10;    // draft 4.1.1.2: BtlBwFilterLen
    static constexpr uint32_t rtprop_window_ms = 10000; // 4.1.2.3: RTpropFilterLen
    static constexpr uint32_t probe_rtt_ms = 200;       // 4.3.4: ProbeRTTDuration
    static constexpr uint32_t min_cwnd_segments = 4;    // 4.2.3.1: BBRMinPipeCwnd
    static constexpr uint32_t quantum_segments = 3;     // Linux's allowance for delayed and stretched ACKs
    // Gains in thousandths: 2/ln 2 in Startup (4.3.2.1), 2 for cwnd after it
    // (4.2.3.2), 1 in Drain (here: the queue Startup built drains), and the
    // 25 % growth per round that says the pipe is not yet full (4.3.2.2).
    static constexpr uint32_t unit_gain = 1000;
    static constexpr uint32_t startup_gain = 2885;
    static constexpr uint32_t cwnd_gain = 2000;
    static constexpr uint32_t growth_gain = 1250;
    static constexpr uint8_t full_bw_rounds = 3;

    phase current() const { return _phase; }
    uint32_t bandwidth() const { return _max_bw.best(); }  // BtlBw, octets per millisecond
    uint32_t rtprop_us() const { return _rtprop_us; }      // UINT32_MAX before the first sample
    bool pipe_filled() const { return _filled; }           // Startup found the bandwidth (4.3.2.2)

    // An RTT sample in microseconds (4.1.2.3): a new minimum, or any sample
    // once the minimum is 10 s old. Its expiry is what sends the flow to
    // ProbeRTT, at the next ACK.
    void on_rtt(uint32_t now_ms, uint32_t rtt_us) {
        bool expired = rtprop_expired(now_ms);
        _probe_rtt_due |= expired;
        if (rtt_us <= _rtprop_us || expired) {
            _rtprop_us = std::max<uint32_t>(rtt_us, 1);
            _rtprop_ms = now_ms;
        }
    }

    // The sender ran out of data with room in cwnd: this round's (and the
    // next one's) rate says what the application offered, not the path.
    void mark_app_limited() { _app_limited_now = true; }

    // An ACK delivered octets: the model, then the window (4.2.3.4).
    uint32_t on_delivery(const delivery_sample& s, uint32_t cwnd, uint32_t mss) {
        // A SACKed range forgotten for room (sack_scoreboard.hh) lowers the
        // count; it never counts as delivered twice in one step.
        int32_t change = static_cast<int32_t>(s.delivered - _delivered);
        uint32_t newly = change > 0 ? static_cast<uint32_t>(change) : 0;
        _delivered = s.delivered;
        bool round_start = update_round(s);
        if (round_start) {
            check_pipe_filled();
            _conserving = false;  // packet conservation lasts one round of recovery
        }
        cwnd = update_phase(s, round_start, cwnd, mss);
        return next_cwnd(s, newly, cwnd, mss);
    }

    // Fast recovery begins (4.2.3.4, as Linux's bbr_set_cwnd_to_recover_or_restore):
    // the window is saved, and for one round no more is sent than is delivered.
    void on_enter_recovery(uint32_t cwnd) {
        save_cwnd(cwnd);
        _conserving = true;
        _conservation_start = true;
    }

    // Recovery over, or proved spurious: at least the window saved at its start.
    uint32_t on_exit_recovery(uint32_t cwnd) {
        _conserving = false;
        _conservation_start = false;
        return std::max(cwnd, _prior_cwnd);
    }

    // A retransmission timeout: the TCB's loss window of one segment regrows
    // toward the model, and the bandwidth plateau is measured anew (as Linux).
    void on_retransmit_timeout(uint32_t cwnd) {
        save_cwnd(cwnd);
        _conserving = false;
        _conservation_start = false;
        _full_bw = 0;
        _full_bw_count = 0;
    }

private:
    windowed_max _max_bw;
    uint32_t _delivered = 0;          // at the last ACK
    uint32_t _round = 0;              // round trips counted (the filter's clock)
    seq_num _round_end;               // the round ends when an octet from here on is delivered
    uint32_t _round_delivered = 0;    // delivered when the round began
    micros32 _round_start_us = 0;
    uint32_t _full_bw = 0;            // bandwidth at the last 25 % growth (4.3.2.2)
    uint32_t _rtprop_us = UINT32_MAX;
    uint32_t _rtprop_ms = 0;          // when RTprop was taken
    uint32_t _probe_rtt_done_ms = 0;  // ProbeRTT may end from here, once a round has passed
    uint32_t _prior_cwnd = 0;         // before recovery or ProbeRTT (4.2.3.4)
    phase _phase = phase::startup;
    uint8_t _full_bw_count = 0;
    bool _round_open : 1 = false;
    bool _filled : 1 = false;
    bool _app_limited_now : 1 = false;   // the sender ran dry during this round
    bool _app_limited_prev : 1 = false;  // ... during the last one
    bool _conserving : 1 = false;
    bool _conservation_start : 1 = false;
    bool _probe_rtt_due : 1 = false;
    bool _probe_rtt_timing : 1 = false;  // the flight is down to four segments: _probe_rtt_done_ms is set
    bool _probe_rtt_round_done : 1 = false;

    bool rtprop_expired(uint32_t now_ms) const {
        return _rtprop_us != UINT32_MAX && now_ms - _rtprop_ms > rtprop_window_ms;
    }

    void save_cwnd(uint32_t cwnd) {
        bool saved_already = _conserving || _phase == phase::probe_rtt;
        _prior_cwnd = saved_already ? std::max(_prior_cwnd, cwnd) : cwnd;
    }

    // Packet-timed rounds (4.1.1.3): a round ends when an octet sent after
    // it began is delivered. Its delivery rate feeds the filter; a rate the
    // application limited only when it beats the estimate (4.1.1.4).
    bool update_round(const delivery_sample& s) {
        if (!_round_open) {
            begin_round(s);
            return false;
        }
        if (!after(s.delivered_edge, _round_end)) return false;
        int32_t us = micros_between(_round_start_us, s.now);
        if (us > 0) {
            uint64_t rate = uint64_t{s.delivered - _round_delivered} * 1000 / static_cast<uint32_t>(us);
            auto bw = static_cast<uint32_t>(std::min<uint64_t>(rate, UINT32_MAX));
            bool app_limited = _app_limited_now || _app_limited_prev;
            if (!app_limited || bw >= _max_bw.best()) _max_bw.update(_round, bw, bw_window_rounds);
        }
        ++_round;
        begin_round(s);
        return true;
    }

    void begin_round(const delivery_sample& s) {
        _round_open = true;
        _round_end = s.snd_nxt;
        _round_delivered = s.delivered;
        _round_start_us = s.now;
        _app_limited_prev = _app_limited_now;
        _app_limited_now = false;
    }

    // 4.3.2.2: three rounds without 25 % more bandwidth fill the pipe.
    void check_pipe_filled() {
        if (_filled || _app_limited_prev) return;
        if (uint64_t{_max_bw.best()} * unit_gain >= uint64_t{_full_bw} * growth_gain) {
            _full_bw = _max_bw.best();
            _full_bw_count = 0;
            return;
        }
        if (++_full_bw_count >= full_bw_rounds) _filled = true;
    }

    // 4.3.2.3 Startup to Drain, 4.3.3 Drain to ProbeBW, 4.3.4 into ProbeRTT
    // when RTprop is 10 s old. Returns cwnd, restored on leaving ProbeRTT.
    uint32_t update_phase(const delivery_sample& s, bool round_start, uint32_t cwnd, uint32_t mss) {
        if (_phase == phase::startup && _filled) _phase = phase::drain;
        if (_phase == phase::drain && s.inflight <= bdp(unit_gain)) _phase = phase::probe_bw;
        if ((_probe_rtt_due || rtprop_expired(s.now_ms)) && _phase != phase::probe_rtt) {
            save_cwnd(cwnd);
            _phase = phase::probe_rtt;
            _probe_rtt_timing = false;
        }
        _probe_rtt_due = false;
        return _phase == phase::probe_rtt ? update_probe_rtt(s, round_start, cwnd, mss) : cwnd;
    }

    // 4.3.4.4: ProbeRTT holds the flight at four segments for 200 ms and at
    // least a round, then lets RTprop stand for another 10 s.
    uint32_t update_probe_rtt(const delivery_sample& s, bool round_start, uint32_t cwnd, uint32_t mss) {
        if (!_probe_rtt_timing) {
            if (s.inflight > min_cwnd_segments * mss) return cwnd;
            _probe_rtt_timing = true;
            _probe_rtt_done_ms = s.now_ms + probe_rtt_ms;
            _probe_rtt_round_done = false;
            _round_end = s.snd_nxt;
            return cwnd;
        }
        if (round_start) _probe_rtt_round_done = true;
        if (!_probe_rtt_round_done || static_cast<int32_t>(s.now_ms - _probe_rtt_done_ms) < 0) return cwnd;
        _rtprop_ms = s.now_ms;
        _phase = _filled ? phase::probe_bw : phase::startup;
        return std::max(cwnd, _prior_cwnd);
    }

    // 4.2.3.4 (Linux's bbr_set_cwnd): packet conservation in the first round
    // of recovery; otherwise up by what was delivered, to the target once
    // the pipe is filled; never below four segments, nor above in ProbeRTT.
    uint32_t next_cwnd(const delivery_sample& s, uint32_t newly, uint32_t cwnd, uint32_t mss) {
        uint32_t conserved = s.inflight + newly;
        uint32_t grown = static_cast<uint32_t>(std::min<uint64_t>(uint64_t{cwnd} + newly, UINT32_MAX));
        uint32_t target = target_cwnd(mss);
        if (_conservation_start) {
            _conservation_start = false;
            cwnd = conserved;
        } else if (_conserving) {
            cwnd = std::max(cwnd, conserved);
        } else if (target == 0 || (!_filled && cwnd < target)) {
            cwnd = grown;  // no model yet, or Startup below its target
        } else if (_filled) {
            cwnd = std::min(grown, target);
        }
        uint32_t floor = min_cwnd_segments * mss;
        cwnd = std::max(cwnd, floor);
        return _phase == phase::probe_rtt ? std::min(cwnd, floor) : cwnd;
    }

    // 4.2.3.2: the gain times the BDP, plus three segments for delayed and
    // stretched ACKs; 0 while the model has no bandwidth or RTT yet.
    uint32_t target_cwnd(uint32_t mss) const {
        uint32_t gain = _phase == phase::startup ? startup_gain : _phase == phase::drain ? unit_gain : cwnd_gain;
        uint32_t product = bdp(gain);
        return product == 0 ? 0 : product + quantum_segments * mss;
    }

    uint32_t bdp(uint32_t gain) const {
        if (_rtprop_us == UINT32_MAX || _max_bw.best() == 0) return 0;
        uint64_t octets = uint64_t{_max_bw.best()} * _rtprop_us / 1000;
        return static_cast<uint32_t>(std::min<uint64_t>(octets * gain / unit_gain, UINT32_MAX));
    }
};

}  // namespace fptcp::tcp
