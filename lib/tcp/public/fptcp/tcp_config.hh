#pragma once
// Per-listener (or per active open) TCP settings. Defaults follow the RFCs
// and Linux where the RFCs leave a choice; docs/architecture.md says why.

#include <chrono>
#include <cstdint>
#include <string_view>

namespace fptcp {

// Congestion control (docs/architecture.md, "Congestion control").
enum class congestion_algorithm : uint8_t {
    newreno,  // RFC 5681 with RFC 6582 / RFC 6675 recovery
    cubic,    // RFC 9438, the default (as Linux)
    bbr,      // BBR v1 (draft-cardwell-iccrg-bbr-congestion-control-00, as Linux's tcp_bbr), without pacing
};

// The name the configuration and the tools use, as Linux's: "newreno" (Linux: reno), "cubic", "bbr".
constexpr std::string_view congestion_name(congestion_algorithm a) {
    switch (a) {
    case congestion_algorithm::newreno: return "newreno";
    case congestion_algorithm::cubic: return "cubic";
    case congestion_algorithm::bbr: return "bbr";
    }
    return "?";
}

struct tcp_config {
    using ms = std::chrono::milliseconds;
    using s = std::chrono::seconds;

    // Our MSS, advertised on SYN/SYN-ACK: 1500-byte MTU minus IPv4 and TCP headers.
    uint16_t mss = 1460;
    // Floor for the peer's advertised MSS, so MSS 0/1/48 cannot make us emit
    // a flood of tiny segments.
    uint16_t min_peer_mss = 64;

    // Buffer sizes the owner provides storage for (bytes).
    uint32_t send_buffer = 256 * 1024;
    uint32_t receive_buffer = 256 * 1024;
    // Ranges of sequence space one connection may hold in its lcore's range
    // pool (docs/architecture.md, "Buffers"): out-of-order data held for
    // reassembly (beside the byte bound, the receive buffer), and SACKed
    // octets in the sender's scoreboard. Each at most 4096.
    uint16_t max_ooo_ranges = 1024;
    uint16_t max_sack_ranges = 256;

    bool window_scaling = true;   // RFC 7323 section 2
    bool timestamps = true;       // RFC 7323 section 3
    bool sack_permitted = true;   // RFC 2018 (SACK-permitted on SYN)

    // Chosen per listener, or per active open through connect()'s config.
    congestion_algorithm congestion = congestion_algorithm::cubic;
    // Nagle's algorithm (RFC 9293 3.7.4, RFC 896): at most one short segment
    // unacknowledged. On by default; connection::set_nodelay opts out.
    bool nagle = true;
    // RFC 5681 4.1: after an idle period longer than one RTO the congestion
    // window restarts from the initial window.
    bool slow_start_after_idle = true;

    // TIME_WAIT lasts 2 * msl (RFC 9293 section 3.4.2).
    s msl{30};

    // RFC 6298: initial RTO 1 s; minimum 200 ms (as Linux; RFC 6298 2.4 says
    // 1 s, which wastes most of a short-RTT path); maximum 60 s.
    ms rto_initial{1000};
    ms rto_min{200};
    ms rto_max{60000};
    // RFC 1122 4.2.3.5 R1: after this many retransmissions of one segment
    // the path may be down: the engine forgets the next hop's ARP entry so
    // that the next packet resolves it again (dead-gateway diagnosis).
    uint8_t r1_retransmits = 3;
    // Give-up counts (RFC 9293 3.8.3, R2): retransmissions of a SYN, a SYN-ACK,
    // and of data/FIN before the connection is aborted.
    uint8_t syn_retries = 6;
    uint8_t synack_retries = 5;
    uint8_t max_retransmits = 15;

    // Delayed ACK (RFC 9293 3.8.6.3): an ACK at least every second full-size
    // segment, otherwise after this delay (must stay below 500 ms).
    ms delayed_ack{40};

    // Keepalive (RFC 9293 3.8.4, RFC 1122 4.2.3.6): off unless asked for.
    bool keepalive = false;
    s keepalive_idle{7200};
    s keepalive_interval{75};
    uint8_t keepalive_probes = 9;

    // An orphaned connection (closed by the application) in FIN_WAIT_2 is
    // dropped after this long if the peer never sends its FIN (as Linux).
    s fin_wait_2_timeout{60};

    // SYN floods (RFC 4987 3.6, docs/architecture.md "SYN floods"): once this
    // many connections are half-open (SYN_RECEIVED) on the engine, or no
    // connection slot is free, SYNs are answered with SYN cookies and keep no
    // state. 0: a cookie for every SYN.
    uint32_t syn_backlog = 4096;

    // RFC 5961 section 7: challenge ACKs sent per connection per second.
    uint16_t challenge_ack_limit = 10;

    bool operator==(const tcp_config&) const = default;
};

// Why `cfg` cannot be used (one sentence naming the setting), or an empty
// view when it can. Programs print it and exit; the core assumes valid input.
std::string_view tcp_config_problem(const tcp_config& cfg);

}  // namespace fptcp
