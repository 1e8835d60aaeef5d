#pragma once
// TCP header flags and options (RFC 9293 section 3.1, RFC 7323, RFC 2018).

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "wire/parse_error.hh"

namespace fptcp::wire {

struct tcp_flags {
    static constexpr uint8_t fin = 0x01;
    static constexpr uint8_t syn = 0x02;
    static constexpr uint8_t rst = 0x04;
    static constexpr uint8_t psh = 0x08;
    static constexpr uint8_t ack = 0x10;
    static constexpr uint8_t urg = 0x20;
    static constexpr uint8_t ece = 0x40;
    static constexpr uint8_t cwr = 0x80;

    uint8_t bits = 0;

    constexpr bool has(uint8_t f) const { return (bits & f) != 0; }
    constexpr bool operator==(const tcp_flags&) const = default;
};

// Option kinds (RFC 9293 section 3.1, RFC 7323, RFC 2018).
namespace tcp_option_kind {
inline constexpr uint8_t eol = 0;
inline constexpr uint8_t nop = 1;
inline constexpr uint8_t mss = 2;             // length 4
inline constexpr uint8_t window_scale = 3;    // length 3 (RFC 7323 section 2.2)
inline constexpr uint8_t sack_permitted = 4;  // length 2 (RFC 2018 section 2)
inline constexpr uint8_t sack = 5;            // length 2 + 8n (RFC 2018 section 3)
inline constexpr uint8_t timestamps = 8;      // length 10 (RFC 7323 section 3.2)
}  // namespace tcp_option_kind

// Most option bytes a TCP header can carry: data offset 15 words minus 5.
inline constexpr std::size_t max_tcp_options_size = 40;

// One SACK block (RFC 2018 section 3), sequence numbers as on the wire.
struct sack_block {
    uint32_t left = 0;
    uint32_t right = 0;
    constexpr bool operator==(const sack_block&) const = default;
};

// The options of one segment, parsed. Only the options fptcp understands are
// kept; unknown kinds are skipped by their length (RFC 9293 section 3.1).
struct tcp_options {
    static constexpr uint8_t max_window_shift = 14;  // RFC 7323 section 2.3
    static constexpr std::size_t max_sack_blocks = 4;

    std::optional<uint16_t> mss;
    std::optional<uint8_t> window_shift;  // as received; clamp with clamped_shift()
    bool sack_permitted = false;
    bool has_timestamps = false;
    uint32_t ts_val = 0;
    uint32_t ts_ecr = 0;
    uint8_t sack_count = 0;
    std::array<sack_block, max_sack_blocks> sack{};

    // RFC 7323 section 2.3: a shift above 14 is used as 14.
    uint8_t clamped_shift() const {
        return window_shift ? (*window_shift > max_window_shift ? max_window_shift : *window_shift) : 0;
    }
    bool operator==(const tcp_options&) const = default;
};

// Parses the option bytes of a TCP header (after the 20 fixed bytes). Malformed
// options (length 0 or 1, running past the header, wrong length for a known
// kind) fail the whole segment; EOL ends the list.
parse_error parse_tcp_options(std::span<const uint8_t> bytes, tcp_options& out);

// Writes `opts` as option bytes padded with NOP/EOL to a multiple of 4 and
// returns how many bytes were written (at most 40). `out` must hold 40 bytes.
// SYN-only options (MSS, window scale, SACK-permitted) are written only when
// `syn` is true.
std::size_t write_tcp_options(const tcp_options& opts, bool syn, std::span<uint8_t, 40> out);

// How many of `blocks` SACK blocks fit in `room` option bytes, with their
// 4-byte lead (RFC 2018 section 3: at most 3 beside timestamps).
std::size_t sack_blocks_that_fit(std::size_t blocks, std::size_t room);

// The bytes write_tcp_options gives `blocks` SACK blocks on a segment whose
// other options take `other_options` bytes: NOP, NOP, kind, length and 8
// bytes a block, for as many blocks as fit (RFC 2018 section 3); 0 for none.
std::size_t sack_option_size(std::size_t blocks, std::size_t other_options);

}  // namespace fptcp::wire
