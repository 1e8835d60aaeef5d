#pragma once
// SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF",
// 2012): the keyed pseudorandom function F of the RFC 6528 section 3 ISN
// generator. DPDK offers no keyed PRF (rte_jhash is not cryptographic), so
// this is the reference algorithm, checked against the paper's 64 test
// vectors in test/unit/isn_test.cc.
//
// constexpr and byte-wise so it runs in static_assert; compilers turn the
// little-endian loads into single moves.

#include <cstddef>
#include <cstdint>
#include <span>

namespace fptcp::tcp {

// The 128-bit key as two little-endian 64-bit words: k0 is key bytes 0..7.
struct siphash_key {
    uint64_t k0 = 0;
    uint64_t k1 = 0;
};

namespace detail {

constexpr uint64_t rotl64(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

constexpr uint64_t load_le64(std::span<const uint8_t> p, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= uint64_t(p[i]) << (8 * i);
    return v;
}

struct sip_state {
    uint64_t v0, v1, v2, v3;

    constexpr void round() {
        v0 += v1; v1 = rotl64(v1, 13); v1 ^= v0; v0 = rotl64(v0, 32);
        v2 += v3; v3 = rotl64(v3, 16); v3 ^= v2;
        v0 += v3; v3 = rotl64(v3, 21); v3 ^= v0;
        v2 += v1; v1 = rotl64(v1, 17); v1 ^= v2; v2 = rotl64(v2, 32);
    }

    // Two compression rounds per 8-byte word: the "2" of SipHash-2-4.
    constexpr void compress(uint64_t m) {
        v3 ^= m;
        round();
        round();
        v0 ^= m;
    }

    // Four finalization rounds: the "4".
    constexpr uint64_t finish() {
        v2 ^= 0xff;
        round(); round(); round(); round();
        return v0 ^ v1 ^ v2 ^ v3;
    }
};

}  // namespace detail

constexpr uint64_t siphash24(siphash_key key, std::span<const uint8_t> msg) {
    detail::sip_state s{
        key.k0 ^ 0x736f6d6570736575ull,  // "somepseudorandomlygeneratedbytes"
        key.k1 ^ 0x646f72616e646f6dull,
        key.k0 ^ 0x6c7967656e657261ull,
        key.k1 ^ 0x7465646279746573ull,
    };
    size_t whole = msg.size() & ~size_t(7);
    for (size_t i = 0; i < whole; i += 8) s.compress(detail::load_le64(msg.subspan(i), 8));
    // Last word: the leftover bytes, with the length mod 256 in the top byte.
    uint64_t last = detail::load_le64(msg.subspan(whole), msg.size() - whole);
    s.compress(last | (uint64_t(msg.size() & 0xff) << 56));
    return s.finish();
}

}  // namespace fptcp::tcp
