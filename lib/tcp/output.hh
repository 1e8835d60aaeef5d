#pragma once
// What the core hands back: segments to send, and counters.

#include <array>
#include <cstdint>
#include <string_view>

#include "tcp/segment.hh"

namespace fptcp::tcp {

// Why the core dropped a segment (each one counted, none silent).
enum class tcp_drop : uint8_t {
    not_acceptable,        // outside the receive window (RFC 9293 3.10.7.4 first check); ACKed
    paws,                  // RFC 7323 5: older timestamp; ACKed
    missing_timestamp,     // RFC 7323 3.2: timestamps negotiated but absent
    rst_out_of_window,     // RFC 5961 3.2: RST outside the window
    rst_not_exact,         // RFC 5961 3.2: RST inside the window but not at RCV.NXT (challenge ACK)
    syn_in_synchronized,   // RFC 5961 4.2: SYN in a synchronized state (challenge ACK)
    bad_ack,               // ACK outside the acceptable range (RFC 5961 5.2, RFC 9293)
    no_ack,                // synchronized state, ACK bit off
    ooo_overflow,          // out-of-order segment beyond the reassembly bound
    after_fin,             // data after the peer's FIN
    listen_bad_flags,      // LISTEN: neither SYN nor ACK nor RST, or SYN with FIN/RST
    syn_sent_bad,          // SYN_SENT: no SYN and no acceptable RST
    closed_port,           // no listener and no connection: answered with RST
    rst_in_time_wait,      // RFC 1337: ignored
    challenge_ack_limited, // a challenge ACK not sent because of the per-connection limit
    count_
};

std::string_view to_string(tcp_drop d);

// Counters kept by whoever owns the output (one per lcore in the engine).
struct tcp_counters {
    std::array<uint64_t, static_cast<std::size_t>(tcp_drop::count_)> drops{};
    uint64_t segments_out = 0;
    uint64_t retransmits = 0;
    uint64_t timeouts = 0;          // retransmission timeouts of data or FIN (RFC 6298 5.4)
    uint64_t fast_recoveries = 0;   // entries into fast recovery (RFC 5681 3.2, RFC 6675 5)
    uint64_t loss_probes = 0;       // tail loss probes sent (RFC 8985 7)
    uint64_t lost_retransmits = 0;  // retransmissions found lost by SACKs of later data (RFC 8985 6.2)
    uint64_t dsacks_received = 0;   // the peer reported a duplicate: a spurious retransmission (RFC 2883)
    uint64_t spurious_recoveries = 0;  // fast recoveries undone: every retransmission was D-SACKed (RFC 3708)
    uint64_t sack_renegings = 0;       // the peer dropped data it had SACKed; the scoreboard was cleared (RFC 2018 8)
    uint64_t challenge_acks = 0;
    uint64_t resets_out = 0;
    uint64_t syn_cookies_sent = 0;      // SYN-ACKs with a cookie, under a SYN flood (RFC 4987 3.6)
    uint64_t syn_cookies_accepted = 0;  // ACKs whose valid cookie opened a connection
    uint64_t syn_cookies_rejected = 0;  // ACKs at a listener, while cookies are issued, with no valid cookie
    uint64_t output_overflows = 0;  // segments lost because an owner broke the free-slot contract

    void drop(tcp_drop d) { ++drops[static_cast<std::size_t>(d)]; }
    uint64_t dropped(tcp_drop d) const { return drops[static_cast<std::size_t>(d)]; }
};

// The segments one or more calls into the core produced, in order. The owner
// turns them into frames, clears `count`, and keeps `counters`.
struct tcp_output {
    static constexpr uint32_t capacity = 32;  // one TX burst
    // Contract: every call into the core starts with at least this many free
    // slots. Control segments (ACK, RST, SYN) use them; data stops earlier
    // and sets `data_pending`, and the owner calls tcb::transmit() again
    // after flushing.
    static constexpr uint32_t control_reserve = 4;

    std::array<outgoing_segment, capacity> segments;
    uint32_t count = 0;
    bool data_pending = false;
    tcp_counters counters;

    bool has_room_for_data() const { return count + control_reserve < capacity; }
    // When full (only if the owner broke the contract), the segment is
    // written to a scratch slot and counted, never past the array.
    outgoing_segment& push() {
        if (count == capacity) {
            ++counters.output_overflows;
            return _overflow;
        }
        ++counters.segments_out;
        return segments[count++];
    }
    void clear() {
        count = 0;
        data_pending = false;
    }

private:
    outgoing_segment _overflow;
};

// Appends a segment with no options and no payload; the caller fills the rest.
outgoing_segment& emit(tcp_output& out, const four_tuple& tuple, seq_num seq, seq_num ack, uint8_t flags,
                       uint16_t window);

// A reset: <SEQ=seq><CTL=RST>, or with `ack` <SEQ=seq><ACK=ack><CTL=RST,ACK>.
void emit_reset(tcp_output& out, const four_tuple& tuple, seq_num seq, const seq_num* ack = nullptr);

}  // namespace fptcp::tcp
