// Checks of tcp_config, so that a bad setting is one clear message at start-up
// instead of odd behaviour later.

#include "fptcp/tcp_config.hh"
#include "tcp/range_set.hh"
#include "wire/tcp_options.hh"

namespace fptcp {

namespace {

constexpr uint32_t max_buffer = uint32_t{0xffff} << wire::tcp_options::max_window_shift;  // RFC 7323 2.3
// 2^24 half-open connections would need 2 TiB of buffers at the default
// 128 KiB each: a larger backlog can never be reached, so it is a typo.
constexpr uint32_t max_ranges = tcp::range_pool::largest_block;  // one connection's set fills one block at most
constexpr uint32_t max_syn_backlog = uint32_t{1} << 24;

}  // namespace

std::string_view tcp_config_problem(const tcp_config& c) {
    if (c.min_peer_mss < 64) return "min_peer_mss must be at least 64 bytes";
    if (c.mss < c.min_peer_mss || c.mss > 9000 - 40) return "mss must lie between min_peer_mss and 8960 bytes";
    if (c.send_buffer < c.mss || c.send_buffer > max_buffer) return "send_buffer must hold one mss and at most 1 GiB";
    if (c.receive_buffer < c.mss || c.receive_buffer > max_buffer) {
        return "receive_buffer must hold one mss and at most 1 GiB";
    }
    if (c.max_ooo_ranges < 1 || c.max_ooo_ranges > max_ranges) return "max_ooo_ranges must lie between 1 and 4096";
    if (c.max_sack_ranges < 1 || c.max_sack_ranges > max_ranges) return "max_sack_ranges must lie between 1 and 4096";
    if (c.msl.count() <= 0) return "msl must be positive";
    if (c.rto_min.count() <= 0 || c.rto_min > c.rto_initial || c.rto_initial > c.rto_max) {
        return "rto_min, rto_initial and rto_max must be positive and in that order";
    }
    // RFC 9293 3.8.6.3: an ACK must not be delayed by 0.5 s or more.
    if (c.delayed_ack.count() < 0 || c.delayed_ack >= std::chrono::milliseconds(500)) {
        return "delayed_ack must lie in [0, 500) ms";
    }
    // RFC 1122 4.2.3.6: keepalive idle time no less than two hours by default;
    // shorter is allowed when configured, but never zero.
    if (c.keepalive_idle.count() <= 0 || c.keepalive_interval.count() <= 0 || c.keepalive_probes == 0) {
        return "keepalive_idle, keepalive_interval and keepalive_probes must be positive";
    }
    if (c.r1_retransmits == 0) return "r1_retransmits must be at least 1";
    if (c.fin_wait_2_timeout.count() <= 0) return "fin_wait_2_timeout must be positive";
    if (c.syn_backlog > max_syn_backlog) return "syn_backlog must be at most 16777216 (0: a SYN cookie for every SYN)";
    if (c.challenge_ack_limit == 0) return "challenge_ack_limit must be at least 1";
    return {};
}

}  // namespace fptcp
