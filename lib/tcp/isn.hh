#pragma once
// Initial sequence numbers, RFC 6528 section 3 (as required by RFC 9293
// section 3.4.1):
//
//     ISN = M + F(localip, localport, remoteip, remoteport, secretkey)
//
// M is a timer that ticks every 4 microseconds, so one connection's ISNs keep
// moving forward at 250,000 per second and an old duplicate segment is
// unlikely to fall in a new incarnation's window. F is a keyed PRF
// (SipHash-2-4 here) so an off-path attacker who does not know the key
// cannot predict another connection's ISN.

#include <chrono>
#include <cstdint>

#include "tcp/seq.hh"

namespace fptcp::tcp {

// The secret key of F (RFC 6528 section 3): 128 bits, as SipHash's two
// little-endian key words.
struct isn_secret {
    uint64_t k0 = 0;
    uint64_t k1 = 0;

    // A fresh key from getrandom(2). Never throws; if the kernel refuses it
    // falls back to a much weaker key derived from clocks and the pid.
    static isn_secret random() noexcept;

    bool operator==(const isn_secret&) const = default;
};

// The connection's identity, all fields in host byte order.
struct isn_tuple {
    uint32_t local_ip = 0;
    uint32_t remote_ip = 0;
    uint16_t local_port = 0;
    uint16_t remote_port = 0;
};

class isn_generator {
    isn_secret _secret;

public:
    explicit isn_generator(isn_secret secret) noexcept : _secret(secret) {}

    // `now` is any monotonic clock with a fixed epoch; only differences
    // matter. Pure: the same tuple and time always give the same ISN.
    seq_num next(const isn_tuple& t, std::chrono::microseconds now) const noexcept;

    // The two halves of the RFC 6528 formula, exposed for tests.
    static uint32_t timer_ticks(std::chrono::microseconds now) noexcept;
    uint32_t keyed_offset(const isn_tuple& t) const noexcept;
};

}  // namespace fptcp::tcp
