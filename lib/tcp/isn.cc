#include "tcp/isn.hh"

#include <array>
#include <cerrno>
#include <cstddef>
#include <ctime>
#include <sys/random.h>
#include <unistd.h>

#include "tcp/siphash.hh"

namespace fptcp::tcp {

namespace {

void store_le(uint8_t* p, uint64_t v, size_t n) {
    for (size_t i = 0; i < n; ++i) p[i] = uint8_t(v >> (8 * i));
}

// F's input: a fixed 12-byte little-endian message in RFC 6528's argument
// order (localip, localport, remoteip, remoteport).
std::array<uint8_t, 12> tuple_message(const isn_tuple& t) {
    std::array<uint8_t, 12> m{};
    store_le(&m[0], t.local_ip, 4);
    store_le(&m[4], t.local_port, 2);
    store_le(&m[6], t.remote_ip, 4);
    store_le(&m[10], t.remote_port, 2);
    return m;
}

bool fill_from_kernel(void* buf, size_t len) {
    auto* p = static_cast<uint8_t*>(buf);
    while (len > 0) {
        ssize_t n = ::getrandom(p, len, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        p += n;
        len -= size_t(n);
    }
    return true;
}

uint64_t clock_ns(clockid_t id) {
    timespec ts{};
    ::clock_gettime(id, &ts);
    return uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec);
}

// Last resort when getrandom(2) fails (seccomp filter, pre-3.17 kernel): mix
// wall and monotonic clocks, the pid and a stack address (ASLR) through
// SipHash. This is guessable by anyone who knows roughly when we started, so
// it only keeps ISNs distinct across restarts; it does NOT give RFC 6528's
// protection against off-path attackers.
isn_secret weak_fallback_secret() {
    int on_stack = 0;
    std::array<uint64_t, 4> in{
        clock_ns(CLOCK_REALTIME),
        clock_ns(CLOCK_MONOTONIC),
        uint64_t(::getpid()),
        uint64_t(reinterpret_cast<uintptr_t>(&on_stack)),
    };
    std::array<uint8_t, sizeof in> bytes{};
    for (size_t i = 0; i < in.size(); ++i) store_le(&bytes[8 * i], in[i], 8);
    uint64_t k0 = siphash24({in[0], in[1]}, bytes);
    uint64_t k1 = siphash24({in[2] ^ k0, in[3]}, bytes);
    return {k0, k1};
}

}  // namespace

isn_secret isn_secret::random() noexcept {
    isn_secret s;
    if (fill_from_kernel(&s, sizeof s)) return s;
    return weak_fallback_secret();
}

// M of RFC 6528 section 3: a 4-microsecond tick, modulo 2^32. The count is
// reinterpreted as unsigned before shifting so that this is floor(now / 4)
// mod 2^32 for negative times too: M keeps increasing across zero.
uint32_t isn_generator::timer_ticks(std::chrono::microseconds now) noexcept {
    return uint32_t(uint64_t(now.count()) >> 2);
}

// F of RFC 6528 section 3: the low 32 bits of SipHash-2-4 of the tuple.
uint32_t isn_generator::keyed_offset(const isn_tuple& t) const noexcept {
    auto msg = tuple_message(t);
    return uint32_t(siphash24({_secret.k0, _secret.k1}, msg));
}

seq_num isn_generator::next(const isn_tuple& t, std::chrono::microseconds now) const noexcept {
    return seq_num(keyed_offset(t)) + seq_len(timer_ticks(now));
}

}  // namespace fptcp::tcp
