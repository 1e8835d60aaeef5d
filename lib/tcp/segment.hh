#pragma once
// A TCP segment as the core sees it: parsed once by lib/wire, then a value
// (seq, ack, flags, window, options, payload view) instead of long argument
// lists; and what the core asks to be sent.

#include <array>
#include <cstdint>
#include <span>

#include "tcp/seq.hh"
#include "wire/tcp_options.hh"

namespace fptcp::tcp {

using wire::tcp_flags;
using wire::tcp_options;

// A connection's identity, from our side (host byte order).
struct four_tuple {
    uint32_t local_ip = 0;
    uint32_t remote_ip = 0;
    uint16_t local_port = 0;
    uint16_t remote_port = 0;

    constexpr bool operator==(const four_tuple&) const = default;
    constexpr four_tuple reversed() const { return {remote_ip, local_ip, remote_port, local_port}; }
};

// An arriving segment.
struct segment {
    seq_num seq;
    seq_num ack;
    tcp_flags flags;
    uint16_t window = 0;      // raw header field, not yet scaled
    uint16_t urgent_ptr = 0;
    tcp_options options;
    std::span<const uint8_t> payload;
    // The core trimmed this segment's SYN as old sequence space (a repeated
    // SYN-ACK): its window is still a SYN's, never scaled (RFC 7323 2.2).
    bool syn_trimmed = false;

    bool has(uint8_t f) const { return flags.has(f); }
    // SEG.LEN of RFC 9293 3.4: data octets plus one each for SYN and FIN.
    seq_len length() const {
        return seq_len(static_cast<uint32_t>(payload.size()) + (has(tcp_flags::syn) ? 1 : 0) +
                       (has(tcp_flags::fin) ? 1 : 0));
    }
};

// A segment the core wants sent. The payload views point into the
// connection's send buffer (two spans, since the ring may wrap) and stay
// valid until the next call into that connection.
struct outgoing_segment {
    four_tuple tuple;
    seq_num seq;
    seq_num ack;
    tcp_flags flags;
    uint16_t window = 0;  // raw header field, already scaled
    tcp_options options;
    std::array<std::span<const uint8_t>, 2> payload{};

    uint32_t payload_length() const { return static_cast<uint32_t>(payload[0].size() + payload[1].size()); }
};

}  // namespace fptcp::tcp
