#pragma once
// SYN cookies, RFC 4987 section 3.6: under a SYN flood a listener answers a
// SYN with a SYN-ACK whose ISN (the cookie) records what the connection
// needs, keeps no state, and opens the connection when the handshake's last
// ACK brings the cookie back (SEG.ACK - 1). docs/architecture.md, "SYN
// floods", says when cookies are used and what they cost.
//
// The cookie, most significant bit first:
//
//    31  30 29     27 26                                               0
//   +------+---------+--------------------------------------------------+
//   | slot |   MSS   | MAC: the low 27 bits of SipHash-2-4 (own secret) |
//   |      |  index  | over the 4-tuple, the peer's ISN, the full slot  |
//   |      |         | number and the MSS index                         |
//   +------+---------+--------------------------------------------------+
//
// slot: the low 2 bits of the 64-second time slot the cookie was made in. A
// cookie is fresh in that slot and the next (64 to 128 s); the MAC covers the
// full slot number, so a cookie four slots old whose 2 bits match again
// still fails. MSS index: the peer's MSS rounded down to mss_table.
//
// Forging: without the secret, an ACK carrying a guessed cookie for a given
// tuple and ISN is accepted with odds 2^-27 per fresh slot value, i.e. 2^-28
// for a random 32-bit guess (two of the four slot values are fresh).
//
// Window scale and SACK-permitted do not fit in the ISN. When the peer's SYN
// carries timestamps they travel in the low bits of our TSval and return in
// the peer's TSecr (as Linux): bits 0-3 the peer's window shift (15: no
// window scaling), bit 4 SACK-permitted. Those bits are not covered by the
// MAC: a forger already chooses its own SYN's options. Without timestamps
// the connection runs without window scaling and SACK.

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>

#include "tcp/clock.hh"
#include "tcp/isn.hh"
#include "tcp/segment.hh"

namespace fptcp::tcp {

class syn_cookie_jar {
public:
    // The MSS values a cookie can carry (3 bits): common path MSSs, from a
    // floor (RFC 9293's minimum is 536; smaller peers are rare) to jumbo frames.
    static constexpr std::array<uint16_t, 8> mss_table{64, 536, 1220, 1360, 1400, 1440, 1460, 8960};
    static constexpr std::chrono::seconds slot_length{64};
    static constexpr uint32_t slot_bits = 2;
    static constexpr uint32_t mss_bits = 3;
    static constexpr uint32_t mac_bits = 32 - slot_bits - mss_bits;

    explicit syn_cookie_jar(isn_secret secret) noexcept : _secret(secret) {}

    // The time slot `now` falls in.
    static uint32_t slot_at(time_point now) noexcept;
    // The index of the largest table entry not above `peer_mss` (0 below the table).
    static uint8_t mss_index_for(uint16_t peer_mss) noexcept;

    // The cookie for a SYN from `tuple` (our side) with ISN `peer_isn`.
    seq_num make(const four_tuple& tuple, seq_num peer_isn, uint32_t slot, uint8_t mss_index) const noexcept;
    // The MSS index `cookie` carries when it is valid for this tuple and ISN
    // and was made in `slot` or the slot before.
    std::optional<uint8_t> check(const four_tuple& tuple, seq_num peer_isn, seq_num cookie,
                                 uint32_t slot) const noexcept;

    // Cookies are checked only while they are being issued (an ACK at a
    // listener otherwise gets its RST without a MAC computed, and a forger
    // gets no guesses while there is no flood).
    void note_issued(uint32_t slot) noexcept { _last_issued = slot; }
    bool issued_since(uint32_t slot) const noexcept;

private:
    isn_secret _secret;
    std::optional<uint32_t> _last_issued;

    uint32_t mac(const four_tuple& tuple, seq_num peer_isn, uint32_t slot, uint8_t mss_index) const noexcept;
};

// What a cookie SYN-ACK's TSval carries besides the clock.
struct cookie_ts_options {
    std::optional<uint8_t> window_shift;  // the peer's, clamped to 14
    bool sack_permitted = false;

    static constexpr uint32_t bits = 5;
    static constexpr uint32_t mask = (1u << bits) - 1;

    uint32_t encode() const noexcept;
    static cookie_ts_options decode(uint32_t ts_ecr) noexcept;
};

// The TSval of a cookie SYN-ACK: the largest value not above `ts_now` whose
// low bits are `options`, so the connection's later TSvals (from `ts_now` on)
// never go backwards (RFC 7323 5.3 PAWS at the peer).
uint32_t cookie_ts_val(uint32_t ts_now, const cookie_ts_options& options) noexcept;

}  // namespace fptcp::tcp
