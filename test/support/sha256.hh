#pragma once
// SHA-256 (FIPS 180-4), small and clear, for checking that a byte stream
// arrived intact: update() any number of times, then digest(). Test code:
// not constant-time, not fast.

#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

namespace fptcp::testing {

class sha256 {
public:
    using digest_type = std::array<uint8_t, 32>;

    sha256& update(std::span<const uint8_t> data) {
        for (uint8_t b : data) {
            _block[_used++] = b;
            if (_used == 64) compress();
        }
        _bits += uint64_t{data.size()} * 8;
        return *this;
    }
    sha256& update(std::string_view s) {
        return update(std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
    }

    // FIPS 180-4 5.1.1: append 1, zeros, then the message length in bits.
    digest_type digest() const {
        sha256 c = *this;
        uint64_t bits = c._bits;
        c._block[c._used++] = 0x80;
        if (c._used > 56) {
            while (c._used < 64) c._block[c._used++] = 0;
            c.compress();
        }
        while (c._used < 56) c._block[c._used++] = 0;
        for (int i = 7; i >= 0; --i) c._block[c._used++] = static_cast<uint8_t>(bits >> (8 * i));
        c.compress();
        digest_type d;
        for (int i = 0; i < 8; ++i) {
            for (int j = 0; j < 4; ++j) d[4 * i + j] = static_cast<uint8_t>(c._h[i] >> (24 - 8 * j));
        }
        return d;
    }

    static std::string hex(const digest_type& d) {
        static constexpr char digits[] = "0123456789abcdef";
        std::string s;
        for (uint8_t b : d) {
            s += digits[b >> 4];
            s += digits[b & 15];
        }
        return s;
    }
    std::string hex_digest() const { return hex(digest()); }

private:
    // FIPS 180-4 4.2.2 and 5.3.3.
    static constexpr std::array<uint32_t, 64> k = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    };
    std::array<uint32_t, 8> _h = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    std::array<uint8_t, 64> _block{};
    uint32_t _used = 0;
    uint64_t _bits = 0;

    static constexpr uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

    // FIPS 180-4 6.2.2: one 512-bit block.
    void compress() {
        std::array<uint32_t, 64> w;
        for (int t = 0; t < 16; ++t) {
            w[t] = uint32_t{_block[4 * t]} << 24 | uint32_t{_block[4 * t + 1]} << 16 |
                   uint32_t{_block[4 * t + 2]} << 8 | uint32_t{_block[4 * t + 3]};
        }
        for (int t = 16; t < 64; ++t) {
            uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
            uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
            w[t] = w[t - 16] + s0 + w[t - 7] + s1;
        }
        uint32_t a = _h[0], b = _h[1], c = _h[2], d = _h[3], e = _h[4], f = _h[5], g = _h[6], h = _h[7];
        for (int t = 0; t < 64; ++t) {
            uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + k[t] + w[t];
            uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            h = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }
        _h[0] += a;
        _h[1] += b;
        _h[2] += c;
        _h[3] += d;
        _h[4] += e;
        _h[5] += f;
        _h[6] += g;
        _h[7] += h;
        _used = 0;
    }
};

}  // namespace fptcp::testing
