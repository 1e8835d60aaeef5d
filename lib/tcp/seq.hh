#pragma once
// Sequence-number arithmetic of RFC 9293 section 3.4.
//
// A sequence number lives on a circle of 2^32 values, so "a comes before b"
// only makes sense for numbers less than 2^31 apart and is not transitive.
// That is why seq_num has no operator<: comparisons are before(), after()
// and in_window(), all defined by the signed 32-bit distance.

#include <compare>
#include <cstdint>

namespace fptcp::tcp {

// A number of sequence-space octets (data plus SYN/FIN). Lengths are ordinary
// integers, so they do compare with <.
struct seq_len {
    uint32_t value = 0;

    constexpr seq_len() = default;
    constexpr explicit seq_len(uint32_t v) : value(v) {}

    constexpr auto operator<=>(const seq_len&) const = default;
    constexpr seq_len operator+(seq_len o) const { return seq_len(value + o.value); }
    constexpr seq_len operator-(seq_len o) const { return seq_len(value - o.value); }
};

class seq_num {
    uint32_t _raw = 0;

public:
    constexpr seq_num() = default;
    constexpr explicit seq_num(uint32_t raw) : _raw(raw) {}

    constexpr uint32_t raw() const { return _raw; }
    constexpr bool operator==(const seq_num&) const = default;

    constexpr seq_num operator+(seq_len n) const { return seq_num(_raw + n.value); }
    constexpr seq_num operator-(seq_len n) const { return seq_num(_raw - n.value); }
    constexpr seq_num& operator+=(seq_len n) { _raw += n.value; return *this; }

    // Signed distance from o to *this: positive when *this is after o.
    constexpr int32_t operator-(seq_num o) const { return static_cast<int32_t>(_raw - o._raw); }
};

constexpr bool before(seq_num a, seq_num b) { return (a - b) < 0; }
constexpr bool after(seq_num a, seq_num b) { return (a - b) > 0; }
constexpr bool before_or_equal(seq_num a, seq_num b) { return (a - b) <= 0; }
constexpr bool after_or_equal(seq_num a, seq_num b) { return (a - b) >= 0; }

// True when x lies in [start, start + len): works for any len up to 2^32 - 1.
constexpr bool in_window(seq_num x, seq_num start, seq_len len) {
    return x.raw() - start.raw() < len.value;
}

constexpr seq_num seq_max(seq_num a, seq_num b) { return after(a, b) ? a : b; }
constexpr seq_num seq_min(seq_num a, seq_num b) { return before(a, b) ? a : b; }

// Octets from `from` up to `to`; the caller guarantees !before(to, from).
constexpr seq_len distance(seq_num from, seq_num to) { return seq_len(to.raw() - from.raw()); }

}  // namespace fptcp::tcp
