#pragma once
// The transmission control block: one TCP connection, RFC 9293 section 3.3.1.
//
// Pure: no I/O, no clock reads, no allocation. Every entry point takes `now`
// and a tcp_output to append segments to; events for the application collect
// in the TCB until take_events(); timers are deadlines the owner reads with
// next_deadline() and answers with on_timer(). LISTEN and CLOSED have no TCB
// (listen.hh); TIME_WAIT is handed over to a compact entry (time_wait.hh).

#include <array>
#include <cstdint>
#include <span>

#include "fptcp/close_reason.hh"
#include "fptcp/tcp_config.hh"
#include "tcp/byte_ring.hh"
#include "tcp/clock.hh"
#include "tcp/congestion.hh"
#include "tcp/output.hh"
#include "tcp/rack.hh"
#include "tcp/range_set.hh"
#include "tcp/rtt.hh"
#include "tcp/sack_scoreboard.hh"
#include "tcp/segment.hh"
#include "tcp/seq.hh"
#include "tcp/state.hh"

namespace fptcp::tcp {

// Memory for one connection, owned by the caller for the TCB's life: the
// buffers, and the lcore's pool for out-of-order and SACKed ranges (shared by
// the owner's connections; a TCB gives its blocks back when it is destroyed).
struct connection_storage {
    std::span<uint8_t> send;
    std::span<uint8_t> receive;
    range_pool* ranges = nullptr;  // none: no out-of-order data is held, no SACK is remembered
};

// Our window scale (RFC 7323 2.2) for a receive buffer of this size.
uint8_t window_shift_for(uint32_t buffer);

// What happened since the last take_events(), as bits.
struct tcp_events {
    static constexpr uint8_t connected = 0x01;    // handshake complete (either role)
    static constexpr uint8_t readable = 0x02;     // new in-order data in readable()
    static constexpr uint8_t peer_closed = 0x04;  // the peer's FIN: no more data will come
    static constexpr uint8_t writable = 0x08;     // send buffer space was freed
    static constexpr uint8_t closed = 0x10;       // the connection is over; see reason()
    static constexpr uint8_t time_wait = 0x20;    // entered TIME_WAIT: hand over to a time_wait_entry
    static constexpr uint8_t path_suspect = 0x40; // R1 retransmissions of one segment (RFC 1122 4.2.3.5)
};

class tcb {
public:
    static constexpr uint32_t timestamps_option_size = 12;  // RFC 7323 3.2, padded
    // RFC 8985 7.2 WCDelAckT: the longest a peer may delay an ACK.
    static constexpr duration worst_case_delayed_ack = std::chrono::milliseconds(200);
    // A floor for the PTO, so that a microsecond RTT (a veth, memif) does not
    // turn every pause of the peer into a probe (Linux adds 2 jiffies).
    static constexpr duration min_loss_probe_timeout = std::chrono::milliseconds(2);
    // RFC 9293 3.3.1, send sequence variables.
    struct send_sequence {
        seq_num una;       // oldest unacknowledged
        seq_num nxt;       // next to send
        seq_num max;       // highest sent + 1 (nxt goes back on a timeout)
        seq_num wl1;       // segment seq of the last window update
        seq_num wl2;       // segment ack of the last window update
        seq_num iss;
        seq_num fin;       // our FIN's sequence number, once sent
        uint32_t wnd = 0;      // peer's window, scaled
        uint32_t max_wnd = 0;  // largest window the peer offered (RFC 5961 5.2 MAX.SND.WND)
        uint16_t mss = 536;    // effective send MSS (RFC 9293 3.7.1), options excluded
        uint8_t shift = 0;     // peer's window scale
    };
    // RFC 9293 3.3.1, receive sequence variables.
    struct receive_sequence {
        seq_num nxt;
        seq_num irs;
        seq_num adv;         // right edge we announced: never moves left (RFC 9293 3.8.6.2.2)
        seq_num up;          // urgent pointer (RFC 9293 3.8.5)
        seq_num fin;         // where the peer's FIN sits when it arrived out of order
        seq_num last_ack_sent;   // RFC 7323 4.3 Last.ACK.sent
        uint32_t ts_recent = 0;  // RFC 7323 TS.Recent
        uint8_t shift = 0;       // our window scale
    };

    tcb(const tcp_config& cfg, four_tuple tuple, connection_storage storage);

    // RFC 9293 3.10.1: OPEN. Active sends a SYN (-> SYN_SENT); passive answers
    // the listener's SYN with a SYN-ACK (-> SYN_RECEIVED).
    void open_active(time_point now, seq_num iss, tcp_output& out);
    void open_passive(time_point now, seq_num iss, const segment& syn, tcp_output& out);
    // RFC 4987 3.6: the handshake's last ACK brought back a SYN cookie; `syn`
    // holds the options the cookie recorded of the peer's SYN (listen.hh,
    // accept_cookie). Opens in ESTABLISHED, then takes the ACK's data or FIN.
    void open_from_cookie(time_point now, const tcp_options& syn, const segment& ack, tcp_output& out);

    // RFC 9293 3.10.7: SEGMENT ARRIVES.
    void input(time_point now, const segment& seg, tcp_output& out);
    // Handles every deadline that is due at `now`.
    void on_timer(time_point now, tcp_output& out);
    // Sends what the windows allow (the owner calls it again after flushing
    // when tcp_output::data_pending was set).
    void transmit(time_point now, tcp_output& out);

    // RFC 9293 3.10.2: SEND. Copies what fits in the send buffer, returns it.
    // With `more` (Linux's MSG_MORE) nothing is sent yet: the caller writes
    // more at once, and the next send without it sends everything, so that a
    // header and a body written apart travel in full segments.
    uint32_t send(time_point now, std::span<const uint8_t> data, tcp_output& out, bool more = false);
    // RFC 9293 3.10.3: RECEIVE, zero-copy: view the data, then consume it.
    std::array<std::span<const uint8_t>, 2> readable() const;
    uint32_t readable_size() const { return _rcvbuf.size(); }  // bytes readable() holds
    void consume(time_point now, uint32_t n, tcp_output& out);
    // Half-close: our FIN follows the queued data; receiving goes on.
    void shutdown(time_point now, tcp_output& out);
    // RFC 9293 3.10.4: CLOSE. As shutdown, and the application reads no more:
    // unread or later data resets the connection (RFC 9293 3.6, as Linux).
    void close(time_point now, tcp_output& out);
    // RFC 9293 3.10.5: ABORT. RST when synchronized; CLOSED at once.
    void abort(time_point now, tcp_output& out);
    void set_keepalive(time_point now, bool on);
    // Nagle's algorithm off (true) or on (RFC 9293 3.7.4); the config's
    // `nagle` gives the start value.
    void set_nodelay(bool on) { _nodelay = on; }

    tcp_state state() const { return _state; }
    close_reason reason() const { return _reason; }
    const four_tuple& tuple() const { return _tuple; }
    const tcp_config& config() const { return *_cfg; }
    const send_sequence& snd() const { return _snd; }
    const receive_sequence& rcv() const { return _rcv; }
    bool timestamps_enabled() const { return _ts_ok; }
    bool sack_enabled() const { return _sack_ok; }
    uint32_t cwnd() const { return _cc.cwnd(); }
    uint32_t ssthresh() const { return _cc.ssthresh(); }
    bool in_recovery() const { return _in_recovery; }
    const sack_scoreboard& scoreboard() const { return _scoreboard; }
    const rack_state& rack() const { return _rack; }
    const rtt_estimator& rtt() const { return _rtt; }
    uint32_t send_buffered() const { return _sndbuf.size(); }
    uint32_t send_space() const { return _sndbuf.free_space(); }
    uint32_t receive_window() const;
    // The largest segment the peer sends us: our MSS less the timestamps option.
    uint32_t receive_mss() const { return _cfg->mss - (_ts_ok ? timestamps_option_size : 0u); }
    // Whether the peer's FIN was received and every byte before it read.
    bool read_finished() const { return has_received_fin(_state) && _rcvbuf.size() == 0; }
    // The TSval we put in segments now (RFC 7323 3), for TIME_WAIT entries.
    uint32_t ts_now(time_point now) const { return to_ms32(now) + _ts_offset; }
    uint32_t ts_offset() const { return _ts_offset; }

    time_point next_deadline() const;
    uint8_t take_events() {
        uint8_t e = _events;
        _events = 0;
        return e;
    }

private:
    // What _rtx_deadline stands for: the RTO (RFC 6298), the persist timer
    // (RFC 9293 3.8.6.1), a tail loss probe (RFC 8985 7) or RACK's
    // reordering timer (RFC 8985 6.3).
    enum class rtx_mode : uint8_t { retransmit, persist, loss_probe, reorder };

    const tcp_config* _cfg;
    four_tuple _tuple;
    tcp_state _state = tcp_state::closed;
    close_reason _reason = close_reason::none;
    uint8_t _events = 0;
    rtx_mode _rtx_mode = rtx_mode::retransmit;
    bool _passive : 1 = false;       // opened from a listener
    bool _fin_queued : 1 = false;    // shutdown/close called: FIN after the data
    bool _fin_sent : 1 = false;      // _snd.fin is valid
    bool _ack_now : 1 = false;       // an ACK is owed before this call returns
    bool _app_closed : 1 = false;    // close called: no more reading
    bool _ts_ok : 1 = false;         // RFC 7323 timestamps negotiated
    bool _ws_ok : 1 = false;         // RFC 7323 window scaling negotiated
    bool _sack_ok : 1 = false;       // RFC 2018 SACK-permitted on both SYNs
    bool _ooo_fin : 1 = false;       // _rcv.fin holds an out-of-order FIN
    bool _keepalive : 1 = false;
    bool _rtt_timing : 1 = false;    // _rtt_seq/_rtt_start time a segment (Karn)
    bool _nodelay : 1 = false;       // Nagle's algorithm off
    bool _in_recovery : 1 = false;   // fast recovery (RFC 6582 / RFC 6675) until SND.UNA reaches _recover
    bool _probe_out : 1 = false;     // a tail loss probe is unanswered (RFC 8985 7)
    bool _dsack_pending : 1 = false; // the next ACK reports _dsack first (RFC 2883)
    bool _rxt_watch : 1 = false;     // _rxt_seq's retransmission is watched for loss
    bool _rxt_probed : 1 = false;    // ... and a loss probe resent it (retransmission_needs_probe)
    bool _undo_armed : 1 = false;    // the last fast recovery may still prove spurious (RFC 3708)
    uint8_t _dupacks = 0;        // duplicate ACKs in a row (RFC 5681 2)
    uint8_t _backoff = 0;        // RTO doublings since the last new ACK
    uint8_t _retries = 0;        // consecutive timeouts (SYN, data, FIN or probes)
    uint8_t _keepalive_probes = 0;   // unanswered keepalive probes
    uint32_t _unacked_bytes = 0;     // in-order bytes received since our last ACK
    uint16_t _challenge_acks = 0;    // sent in the current one-second window
    uint16_t _undo_retrans = 0;      // segments resent since _undo_from not yet D-SACKed (RFC 3708 2)
    uint32_t _ts_offset = 0;         // RFC 7323 7.1: random TSval offset per connection
    uint32_t _rto_tsval = 0;         // our TSval when the last RTO fired (valid while _backoff > 0)

    send_sequence _snd;
    receive_sequence _rcv;
    rtt_estimator _rtt;
    seq_num _rxt_latest_max;  // SND.MAX when the latest retransmission left
    uint32_t _sent_floor_tsval = 0;  // no octet from SND.UNA on was first sent with an older TSval
    congestion_control _cc;
    seq_num _rtt_seq;
    micros32 _rtt_start = 0;  // when _rtt_seq was sent
    uint32_t _last_data_sent_ms = 0;  // RFC 5681 4.1 restart after idle (to_ms32: 49 days around)
    seq_num _recover;     // RFC 6582 "recover", RFC 6675 RecoveryPoint
    seq_num _high_rxt;    // RFC 6675 HighRxt: end of the highest octet resent in recovery
    seq_num _lost_below;  // every un-SACKed octet below it is known lost (partial ACK, loss probe)
    seq_num _probe_seq;   // first octet of the outstanding loss probe
    seq_num _last_ooo;    // start of the latest out-of-order arrival (RFC 2018 4)
    // Earlier latest arrivals, newest first, each in a block of its own when
    // it was pushed: the blocks to repeat after the first (RFC 2018 4).
    std::array<seq_num, 3> _sack_history{};
    seq_num _short_end;   // end of the last short segment sent (Nagle, Minshall's snd_sml)
    seq_num _rxt_seq;         // the lowest resent octet still missing ...
    seq_num _rxt_sent_max;    // ... and SND.MAX when it was resent (or later)
    seq_num _rxt_high_after;  // ... and HighRxt then: holes resent from here up to HighRxt left after it
    seq_num _undo_from;     // SND.UNA when the fast recovery _undo_armed speaks of began
    seq_range _dsack{};  // duplicate octets to report (RFC 2883)
    sack_scoreboard _scoreboard;
    send_time_ledger _sent_times;  // first transmission times of the octets in flight (RACK)
    rack_state _rack;
    time_point _rtx_deadline = no_deadline;      // retransmission or persist
    time_point _delack_deadline = no_deadline;
    time_point _idle_deadline = no_deadline;     // keepalive or FIN_WAIT_2 timeout
    uint32_t _challenge_window_ms = 0;  // start of the RFC 5961 7 one-second window (to_ms32)
    uint32_t _rto_after_reorder_us = 0;  // while the reordering timer runs: when the RTO is due after it (0: none)
    byte_ring _sndbuf;  // from SND.UNA on
    byte_ring _rcvbuf;  // unread in-order data; out-of-order data past it
    range_set _ooo;  // out-of-order data held in _rcvbuf, beyond RCV.NXT

    // input.cc: one small function per step of RFC 9293 3.10.7.
    void input_syn_sent(time_point now, const segment& seg, tcp_output& out);
    void input_synchronized(time_point now, const segment& seg, tcp_output& out);
    bool check_timestamps(time_point now, const segment& seg, tcp_output& out);
    bool check_sequence(time_point now, const segment& seg, tcp_output& out);
    bool rfc9293_acceptable(seq_num seq, uint32_t len, uint32_t wnd) const;
    bool check_rst(time_point now, const segment& seg, tcp_output& out);
    bool check_syn(time_point now, const segment& seg, tcp_output& out);
    bool process_ack(time_point now, const segment& seg, tcp_output& out);
    bool ack_syn_received(time_point now, const segment& seg, tcp_output& out);
    bool fin_acked() const { return _fin_sent && after(_snd.una, _snd.fin); }
    seq_num data_end() const { return _snd.una + seq_len(_sndbuf.size()); }
    // RFC 5681 2 FlightSize: sent and not yet acknowledged.
    uint32_t flight_size() const { return distance(_snd.una, _snd.max).value; }
    void acknowledge(time_point now, const segment& seg, seq_num sacked_before);
    void update_send_window(const segment& seg, bool advanced);
    uint32_t scaled_window(const segment& seg) const;
    void process_urgent(const segment& seg);
    void process_text(time_point now, const segment& seg, tcp_output& out);
    void store_first_copy(seq_num start, std::span<const uint8_t> data);
    void process_fin(time_point now, seq_num fin_seq, tcp_output& out);
    void take_rtt_sample(time_point now, const segment& seg);
    bool echo_times_acknowledged_data(time_point now, const segment& seg) const;
    bool take_sack_blocks(time_point now, const segment& seg, tcp_output& out);
    void detect_lost_retransmission(time_point now, tcp_output& out);
    void resend_watched_retransmission(time_point now, tcp_output& out);
    bool retransmission_needs_probe() const;
    bool newly_sacks_data_sent_after_watched_retransmission(seq_num from, seq_num to) const;
    void watch_retransmission(seq_num seq, seq_num end);
    void watch_next_retransmission();
    bool watched_retransmission_overtaken() const;
    bool is_duplicate_ack(const segment& seg, bool new_sack) const;
    void detect_loss(time_point now, bool advanced, bool duplicate, tcp_output& out);
    void note_delivered(time_point now, seq_num left, seq_num right);
    void detect_reordering(seq_num left, seq_num right, seq_num fack);
    void detect_loss_by_time(time_point now);
    void arm_reorder_timer(time_point now, duration wait);
    void enter_recovery(time_point now, tcp_output& out);
    void exit_recovery(time_point now, tcp_output& out);
    void count_spurious_retransmission(seq_num left, seq_num right, tcp_output& out);
    void undo_if_spurious(tcp_output& out);
    void note_duplicate(seq_num start, seq_num end);
    void negotiate_options(const tcp_options& peer);
    void enter_established(time_point now, const segment& seg);
    void enter_time_wait();

    // output.cc
    void time_segment(time_point now, seq_num seq);
    void send_syn(time_point now, bool with_ack, tcp_output& out);
    void send_ack(time_point now, tcp_output& out);
    void send_challenge_ack(time_point now, tcp_output& out);
    void send_reset(seq_num seq, tcp_output& out);
    bool send_data_segment(time_point now, uint32_t cwnd_room, tcp_output& out);
    void resend(time_point now, seq_num seq, uint32_t len, tcp_output& out);
    void count_retransmission_for_undo() {
        if (_undo_armed) _undo_armed = ++_undo_retrans != 0;  // disarmed when the count wraps
    }
    bool resend_lost(time_point now, tcp_output& out);
    bool resend_below_sacked(time_point now, tcp_output& out);
    void transmit_in_recovery(time_point now, tcp_output& out);
    uint32_t congestion_room() const;
    uint32_t full_segment_payload() const;
    void note_latest_arrival(seq_num start);
    void forget_reneged_sacks(seq_num ack, tcp_output& out);
    uint32_t pipe() const;
    delivery_sample delivery_now(time_point now) const;
    seq_num lost_boundary() const;
    uint32_t duplicate_threshold() const;
    // RFC 2018 4, RFC 2883: the SACK blocks our segments report now (a
    // D-SACK and the out-of-order ranges), 0 without SACK.
    std::size_t sack_blocks_held() const { return _sack_ok ? (_dsack_pending ? 1u : 0u) + _ooo.count() : 0; }
    bool add_sack_blocks(tcp_options& options, std::size_t limit);
    std::size_t sack_blocks_fitting(uint32_t room) const;
    bool loss_probe_allowed() const;
    bool holds_back_short_segment(uint32_t len, uint32_t unsent) const;
    uint32_t skip_sacked_when_going_back();
    void restart_after_idle(time_point now);
    void send_window_probe(time_point now, tcp_output& out);
    outgoing_segment& begin_segment(time_point now, seq_num seq, uint8_t flags, tcp_output& out,
                                    std::size_t sack_limit = tcp_options::max_sack_blocks);
    uint16_t advertise_window(bool syn);
    void arm_retransmit(time_point now);
    void arm_loss_probe(time_point now);
    duration backed_off_rto() const;
    void finish_input(time_point now, tcp_output& out);

    // timers.cc
    void on_retransmit_timeout(time_point now, tcp_output& out);
    void on_persist_timeout(time_point now, tcp_output& out);
    void on_loss_probe_timeout(time_point now, tcp_output& out);
    void probe_watched_retransmission(time_point now, tcp_output& out);
    void on_reorder_timeout(time_point now, tcp_output& out);
    void forget_recovery_state();
    void on_idle_timeout(time_point now, tcp_output& out);
    void refresh_idle_deadline(time_point now);

    void close_with(close_reason r);
};

}  // namespace fptcp::tcp
