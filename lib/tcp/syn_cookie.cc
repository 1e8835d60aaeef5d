#include "tcp/syn_cookie.hh"

#include <algorithm>

#include "tcp/siphash.hh"
#include "wire/tcp_options.hh"

namespace fptcp::tcp {

namespace {

constexpr uint32_t low_bits(uint32_t n) { return (1u << n) - 1; }

// The MAC's input: a fixed 21-byte little-endian message.
class mac_message {
    std::array<uint8_t, 21> _bytes{};
    std::size_t _at = 0;

public:
    mac_message& put(uint32_t v, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) _bytes[_at++] = uint8_t(v >> (8 * i));
        return *this;
    }
    std::span<const uint8_t> bytes() const { return _bytes; }
};

}  // namespace

uint32_t syn_cookie_jar::slot_at(time_point now) noexcept {
    return static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()) /
                                 slot_length);
}

uint8_t syn_cookie_jar::mss_index_for(uint16_t peer_mss) noexcept {
    auto above = std::upper_bound(mss_table.begin(), mss_table.end(), peer_mss);
    return static_cast<uint8_t>(above == mss_table.begin() ? 0 : above - mss_table.begin() - 1);
}

uint32_t syn_cookie_jar::mac(const four_tuple& t, seq_num peer_isn, uint32_t slot, uint8_t mss_index) const noexcept {
    mac_message m;
    m.put(t.local_ip, 4).put(t.local_port, 2).put(t.remote_ip, 4).put(t.remote_port, 2);
    m.put(peer_isn.raw(), 4).put(slot, 4).put(mss_index, 1);
    return static_cast<uint32_t>(siphash24({_secret.k0, _secret.k1}, m.bytes())) & low_bits(mac_bits);
}

seq_num syn_cookie_jar::make(const four_tuple& t, seq_num peer_isn, uint32_t slot, uint8_t mss_index) const noexcept {
    uint32_t clear = ((slot & low_bits(slot_bits)) << mss_bits) | (mss_index & low_bits(mss_bits));
    return seq_num((clear << mac_bits) | mac(t, peer_isn, slot, mss_index));
}

std::optional<uint8_t> syn_cookie_jar::check(const four_tuple& t, seq_num peer_isn, seq_num cookie,
                                             uint32_t slot) const noexcept {
    uint32_t v = cookie.raw();
    auto mss_index = static_cast<uint8_t>((v >> mac_bits) & low_bits(mss_bits));
    // The most recent slot number, at or before `slot`, whose low bits are the cookie's.
    uint32_t age = (slot - (v >> (mac_bits + mss_bits))) & low_bits(slot_bits);
    if (age > 1) return std::nullopt;
    if ((v & low_bits(mac_bits)) != mac(t, peer_isn, slot - age, mss_index)) return std::nullopt;
    return mss_index;
}

bool syn_cookie_jar::issued_since(uint32_t slot) const noexcept {
    return _last_issued && *_last_issued - slot < 0x80000000u;  // *_last_issued >= slot, modulo 2^32
}

uint32_t cookie_ts_options::encode() const noexcept {
    uint32_t shift = window_shift ? std::min<uint8_t>(*window_shift, wire::tcp_options::max_window_shift) : 15u;
    return shift | (sack_permitted ? 0x10u : 0u);
}

cookie_ts_options cookie_ts_options::decode(uint32_t ts_ecr) noexcept {
    cookie_ts_options o;
    uint32_t shift = ts_ecr & 0x0fu;
    if (shift <= wire::tcp_options::max_window_shift) o.window_shift = static_cast<uint8_t>(shift);
    o.sack_permitted = (ts_ecr & 0x10u) != 0;
    return o;
}

uint32_t cookie_ts_val(uint32_t ts_now, const cookie_ts_options& options) noexcept {
    return ts_now - ((ts_now - options.encode()) & cookie_ts_options::mask);
}

}  // namespace fptcp::tcp
