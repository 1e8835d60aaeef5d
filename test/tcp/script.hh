#pragma once
// Packet scripts against one TCP connection, in the spirit of packetdrill:
// inject a segment, expect exactly the listed segments out, then silence.
//
// Sequence numbers are relative to each side's ISN, as packetdrill prints
// them: seg().seq(1) is the first data octet of whoever sends the segment,
// .ack_no(1) acknowledges the other side's SYN. Both ISNs sit just below
// 2^32, so every script crosses the wrap.
//
// The fixture plays the owner of the TCB (what the engine does in
// production): it routes a segment to the connection, the TIME_WAIT entry,
// the listener or the closed-port reply; turns TIME_WAIT into a compact
// entry; frees closed TCBs; and runs timers on a manual clock. TearDown
// checks that nothing was left unexpected or leaked.

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "fptcp/tcp_config.hh"
#include "../support/range_memory.hh"
#include "tcp/demux.hh"

namespace fptcp::tcp {
// GoogleTest prints these in failure messages (found by ADL).
inline void PrintTo(seq_num s, std::ostream* os) { *os << s.raw(); }
inline void PrintTo(tcp_state s, std::ostream* os) { *os << to_string(s); }
}  // namespace fptcp::tcp

namespace fptcp {
inline void PrintTo(close_reason r, std::ostream* os) { *os << to_string(r); }
}  // namespace fptcp

namespace fptcp::tcp::testing {

using namespace std::chrono_literals;

// A segment to inject or a pattern to expect. Unset fields are not checked
// when expecting; flags always are.
struct seg_spec {
    uint8_t flags = 0;
    std::optional<uint32_t> seq_rel;  // relative to the sender's ISN
    std::optional<uint32_t> ack_rel;  // relative to the receiver's ISN
    std::optional<uint32_t> abs_seq; // absolute, for segments from nowhere
    std::optional<uint32_t> abs_ack;
    std::optional<uint16_t> window;
    uint16_t urgent_ptr = 0;
    std::optional<std::vector<uint8_t>> data;
    std::optional<uint32_t> data_len;  // expect: payload length only
    tcp_options options;
    bool options_set = false;   // expect: compare options exactly
    bool no_ts = false;         // inject: do not add timestamps automatically
    std::optional<uint32_t> ts_val;  // inject: explicit TSval (TSecr is filled in)
    // SACK blocks [left, right), relative to the ISN of the side whose data
    // they acknowledge; expect: compared with the blocks that fit on the wire.
    std::optional<std::vector<std::pair<uint32_t, uint32_t>>> sack_rel;

    seg_spec& syn() { flags |= tcp_flags::syn; return *this; }
    seg_spec& ack() { flags |= tcp_flags::ack; return *this; }
    seg_spec& fin() { flags |= tcp_flags::fin; return *this; }
    seg_spec& rst() { flags |= tcp_flags::rst; return *this; }
    seg_spec& psh() { flags |= tcp_flags::psh; return *this; }
    seg_spec& urg(uint16_t ptr) { flags |= tcp_flags::urg; urgent_ptr = ptr; return *this; }
    seg_spec& seq(uint32_t rel) { seq_rel = rel; return *this; }
    seg_spec& ack_no(uint32_t rel) { ack_rel = rel; return *this; }
    seg_spec& raw_seq(uint32_t v) { abs_seq = v; return *this; }
    seg_spec& raw_ack(uint32_t v) { abs_ack = v; return *this; }
    seg_spec& win(uint16_t w) { window = w; return *this; }
    seg_spec& payload(std::string_view s) { data = std::vector<uint8_t>(s.begin(), s.end()); return *this; }
    seg_spec& payload(uint32_t n, uint8_t fill = 'x') { data = std::vector<uint8_t>(n, fill); return *this; }
    seg_spec& len(uint32_t n) { data_len = n; return *this; }
    seg_spec& mss(uint16_t v) { options.mss = v; options_set = true; return *this; }
    seg_spec& wscale(uint8_t v) { options.window_shift = v; options_set = true; return *this; }
    seg_spec& sack_ok() { options.sack_permitted = true; options_set = true; return *this; }
    seg_spec& ts(uint32_t val) { ts_val = val; return *this; }
    seg_spec& sack(std::vector<std::pair<uint32_t, uint32_t>> blocks) { sack_rel = std::move(blocks); return *this; }
    seg_spec& without_ts() { no_ts = true; return *this; }
};

inline seg_spec seg() { return {}; }

// A segment the connection sent, with its payload copied out.
struct sent_segment {
    outgoing_segment header;
    std::vector<uint8_t> data;
};

// What the simulated peer offers on its SYN (Linux's defaults).
struct peer_options {
    std::optional<uint16_t> mss = 1460;
    std::optional<uint8_t> window_shift = 7;
    bool sack_permitted = true;
    bool timestamps = true;
    uint16_t window = 65535;
};

class tcp_script : public ::testing::Test {
protected:
    static constexpr uint32_t local_iss = 0xfffffc00u;   // 1024 below the wrap
    static constexpr uint32_t remote_isn = 0xfffffe00u;  // 512 below the wrap
    static constexpr four_tuple tuple{0x0a000001, 0x0a000002, 80, 40000};

    tcp_config cfg;
    time_point now = time_point(std::chrono::seconds(1000));
    tcp_output out;
    std::deque<sent_segment> sent;
    uint8_t events = 0;
    bool listening = false;
    fptcp::testing::range_memory ranges;  // before conn: the TCB gives its ranges back first
    std::optional<tcb> conn;
    std::optional<time_wait_entry> time_wait;
    close_reason last_close = close_reason::none;
    uint32_t peer_ts_offset = 5000;  // the peer's TSval = its ms clock + this
    uint32_t last_ts_val = 0;        // the last TSval fptcp sent, echoed by the peer
    bool peer_uses_ts = false;       // timestamps negotiated with the simulated peer
    uint16_t peer_window_raw = 65535;  // the window field the peer sends after its SYN
    seq_num our_iss = seq_num(local_iss);  // what iss() means: a cookie once one was sent
    syn_cookie_jar cookies{isn_secret{0x0123456789abcdefull, 0xfedcba9876543210ull}};

    void TearDown() override;

    // --- the owner's side ---
    void listen() { listening = true; }
    void connect(seq_num iss = seq_num(local_iss));
    void inject(const seg_spec& s, const four_tuple& to = tuple);  // `to`: from our side
    void advance(duration d);
    tcp_state state() const;
    seq_num iss() const { return our_iss; }
    seq_num irs() const { return seq_num(remote_isn); }

    // --- expectations ---
    void expect_tx(const seg_spec& s);
    void expect_no_tx();
    // The peer's RST ended the connection: CLOSED, reset_by_peer, the closed event.
    void expect_closed_by_peer_reset();
    uint8_t take_events() { uint8_t e = events; events = 0; return e; }

    // --- the application ---
    uint32_t app_send(std::string_view data, bool more = false);  // more: MSG_MORE
    uint32_t app_send(uint32_t n, uint8_t fill = 'd');
    std::string app_read();
    void app_shutdown();
    void app_close();
    void app_abort();

    // --- the simulated peer's opening segments ---
    // The peer's SYN, offering `p`.
    seg_spec peer_syn(const peer_options& p = {}) const;
    // The peer's SYN-ACK of our SYN, offering `p`.
    seg_spec peer_syn_ack(const peer_options& p = {}) const;
    // After the peer's SYN was processed: later injected segments carry
    // timestamps when negotiated, and the peer's window in its scale.
    void peer_synchronized(uint16_t window = 65535);

    // --- whole sequences used by most scripts ---
    // Passive open: the peer's SYN, our SYN-ACK, `rtt` later the peer's ACK.
    void passive_handshake(const peer_options& peer = {}, duration rtt = duration::zero());
    // Active open: our SYN, `rtt` later the peer's SYN-ACK, our ACK.
    void active_handshake(const peer_options& peer = {}, duration rtt = duration::zero());

    // Fields of the live connection, relative like seg_spec.
    uint32_t snd_nxt() const { return static_cast<uint32_t>(conn->snd().nxt - iss()); }
    uint32_t snd_una() const { return static_cast<uint32_t>(conn->snd().una - iss()); }
    uint32_t rcv_nxt() const { return static_cast<uint32_t>(conn->rcv().nxt - irs()); }
    uint32_t peer_ts_now() const { return to_ms32(now) + peer_ts_offset; }

    std::string describe(const outgoing_segment& s) const;

public:
    // The demux owner interface (tcp/demux.hh).
    tcb* find_connection(const four_tuple&);
    time_wait_entry* find_time_wait(const four_tuple&);
    void erase_time_wait(const four_tuple&);
    const tcp_config* find_listener(const four_tuple&) const;
    tcb* create_connection(const four_tuple&, const tcp_config&);
    seq_num next_iss(const four_tuple&, time_point) const;
    bool syn_flood_pressure(const tcp_config&) const;
    syn_cookie_jar& syn_cookies() { return cookies; }

private:
    std::vector<uint8_t> _snd_storage;
    std::vector<uint8_t> _rcv_storage;
    int _live_tcbs = 0;
    int _timer_leaks = 0;

    segment build(const seg_spec& s, std::vector<uint8_t>& payload_holder) const;
    static uint8_t sack_blocks_on_wire(const outgoing_segment& s);
    void collect();
    void create_tcb();
    void settle();
};

}  // namespace fptcp::tcp::testing
