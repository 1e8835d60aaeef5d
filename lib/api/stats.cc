#include "fptcp/stats.hh"

#include <array>
#include <string>

#include "engine/counters.hh"
#include "stack_impl.hh"
#include "tcp/output.hh"
#include "tcp/state.hh"
#include "wire/parse_error.hh"

namespace fptcp {

namespace {

constexpr std::array<std::string_view, static_cast<std::size_t>(counter::count_)> counter_names{
    "rx_packets",         "rx_bytes",           "tx_packets",          "tx_bytes",
    "connections_opened", "connections_closed", "time_wait_reaped",    "time_wait_reopened",
    "active",             "time_wait",          "segments_out",        "retransmits",
    "timeouts",           "fast_recoveries",    "loss_probes",         "lost_retransmits",
    "dsacks_received",    "spurious_recoveries", "sack_renegings",     "challenge_acks",
    "resets_out",         "syn_cookies_sent",   "syn_cookies_accepted", "syn_cookies_rejected",
    "output_overflows",   "arp_replies",        "icmp_echo_replies",   "path_suspects",
    "fault_rx_dropped",   "fault_rx_duplicated", "fault_rx_reordered", "fault_tx_dropped",
    "fault_tx_duplicated", "fault_tx_reordered",
};

constexpr std::size_t engine_drops = static_cast<std::size_t>(engine::engine_drop::count_);
constexpr std::size_t tcp_drops = static_cast<std::size_t>(tcp::tcp_drop::count_);
constexpr std::size_t rx_drops = static_cast<std::size_t>(wire::parse_error::count_);
// The states a connection slot is counted in: SYN_SENT to LAST_ACK.
constexpr auto first_state = tcp::tcp_state::syn_sent;
constexpr std::size_t states = static_cast<std::size_t>(tcp::tcp_state::time_wait) - static_cast<std::size_t>(first_state);

constexpr std::size_t drops_begin = counter_names.size();
constexpr std::size_t states_begin = drops_begin + engine_drops + tcp_drops + rx_drops;
constexpr std::size_t total = states_begin + states;

// The names, built once: "drop_" + the engine's reasons and so on.
struct name_table {
    std::vector<std::string> owned;
    std::vector<std::string_view> views;

    name_table() {
        owned.reserve(total);
        for (std::string_view n : counter_names) owned.emplace_back(n);
        for (std::size_t i = 0; i < engine_drops; ++i) {
            owned.push_back("drop_" + std::string(engine::to_string(static_cast<engine::engine_drop>(i))));
        }
        for (std::size_t i = 0; i < tcp_drops; ++i) {
            owned.push_back("drop_tcp_" + std::string(tcp::to_string(static_cast<tcp::tcp_drop>(i))));
        }
        for (std::size_t i = 0; i < rx_drops; ++i) {
            owned.push_back("drop_rx_" + std::string(wire::to_string(static_cast<wire::parse_error>(i))));
        }
        for (std::size_t i = 0; i < states; ++i) {
            auto s = static_cast<tcp::tcp_state>(static_cast<std::size_t>(first_state) + i);
            owned.push_back("state_" + std::string(tcp::to_string(s)));
        }
        views.assign(owned.begin(), owned.end());
    }
};

const name_table& names_once() {
    static const name_table table;
    return table;
}

}  // namespace

stats::stats() : _values(total, 0) {}

uint64_t stats::drops() const {
    uint64_t sum = 0;
    for (std::size_t i = drops_begin; i < states_begin; ++i) sum += _values[i];
    return sum;
}

uint64_t stats::get(std::string_view name) const {
    std::span<const std::string_view> all = names();
    for (std::size_t i = 0; i < all.size(); ++i) {
        if (all[i] == name) return _values[i];
    }
    return 0;
}

std::span<const std::string_view> stats::names() { return names_once().views; }

bool stats::is_drop(std::size_t i) { return i >= drops_begin && i < states_begin; }

namespace {

bool suspect(engine::engine_drop d) {
    switch (d) {
    case engine::engine_drop::frame_too_long:
    case engine::engine_drop::martian_source: return true;
    case engine::engine_drop::not_for_us:
    case engine::engine_drop::chained_mbuf:
    case engine::engine_drop::no_listener_room:
    case engine::engine_drop::tx_no_mbuf:
    case engine::engine_drop::tx_queue_full:
    case engine::engine_drop::arp_unresolved:
    case engine::engine_drop::mailbox_full:
    case engine::engine_drop::count_: return false;
    }
    return false;
}

bool suspect(tcp::tcp_drop d) {
    switch (d) {
    case tcp::tcp_drop::missing_timestamp:
    case tcp::tcp_drop::rst_out_of_window:
    case tcp::tcp_drop::rst_not_exact:
    case tcp::tcp_drop::syn_in_synchronized:
    case tcp::tcp_drop::bad_ack:
    case tcp::tcp_drop::no_ack:
    case tcp::tcp_drop::ooo_overflow:
    case tcp::tcp_drop::listen_bad_flags:
    case tcp::tcp_drop::syn_sent_bad:
    case tcp::tcp_drop::challenge_ack_limited: return true;
    case tcp::tcp_drop::not_acceptable:
    case tcp::tcp_drop::paws:
    case tcp::tcp_drop::after_fin:
    case tcp::tcp_drop::closed_port:
    case tcp::tcp_drop::rst_in_time_wait:
    case tcp::tcp_drop::count_: return false;
    }
    return false;
}

// Every parse failure is a malformed frame, but for what fptcp does not
// speak (other ethertypes, ARP operations and IP protocols, fragments).
bool suspect(wire::parse_error e) {
    switch (e) {
    case wire::parse_error::none:
    case wire::parse_error::unsupported_ethertype:
    case wire::parse_error::unsupported_arp:
    case wire::parse_error::ipv4_fragment:
    case wire::parse_error::unsupported_ip_protocol:
    case wire::parse_error::count_: return false;
    case wire::parse_error::truncated_ethernet:
    case wire::parse_error::truncated_arp:
    case wire::parse_error::truncated_ipv4:
    case wire::parse_error::bad_ipv4_version:
    case wire::parse_error::bad_ipv4_header_length:
    case wire::parse_error::bad_ipv4_total_length:
    case wire::parse_error::bad_ipv4_checksum:
    case wire::parse_error::truncated_icmp:
    case wire::parse_error::bad_icmp_checksum:
    case wire::parse_error::truncated_tcp:
    case wire::parse_error::bad_tcp_data_offset:
    case wire::parse_error::bad_tcp_option_length:
    case wire::parse_error::tcp_option_past_header:
    case wire::parse_error::bad_tcp_option_size_for_kind:
    case wire::parse_error::bad_tcp_checksum: return true;
    }
    return false;
}

}  // namespace

bool stats::is_suspect_drop(std::size_t i) {
    if (!is_drop(i)) return false;
    std::size_t k = i - drops_begin;
    if (k < engine_drops) return suspect(static_cast<engine::engine_drop>(k));
    k -= engine_drops;
    if (k < tcp_drops) return suspect(static_cast<tcp::tcp_drop>(k));
    return suspect(static_cast<wire::parse_error>(k - tcp_drops));
}

uint64_t stats::suspect_drops() const {
    uint64_t sum = 0;
    for (std::size_t i = drops_begin; i < states_begin; ++i) {
        if (is_suspect_drop(i)) sum += _values[i];
    }
    return sum;
}

bool stats::is_state(std::size_t i) { return i >= states_begin && i < total; }

stats& stats::operator+=(const stats& other) {
    for (std::size_t i = 0; i < total; ++i) _values[i] += other._values[i];
    return *this;
}

void collect_stats(const engine::engine& e, stats& into) {
    const engine::engine_counters& c = e.counters();
    const tcp::tcp_counters& t = e.tcp_counters();
    const engine::fault_counters& frx = e.rx_fault_counters();
    const engine::fault_counters& ftx = e.tx_fault_counters();
    const std::array<uint64_t, counter_names.size()> named{
        c.rx_packets,        c.rx_bytes,          c.tx_packets,        c.tx_bytes,
        c.connections_opened, c.connections_closed, c.time_wait_reaped, c.time_wait_reopened,
        e.active_connections(), e.time_wait_connections(), t.segments_out, t.retransmits,
        t.timeouts,          t.fast_recoveries,   t.loss_probes,       t.lost_retransmits,
        t.dsacks_received,   t.spurious_recoveries, t.sack_renegings,  t.challenge_acks,
        t.resets_out,        t.syn_cookies_sent,  t.syn_cookies_accepted, t.syn_cookies_rejected,
        t.output_overflows,  c.arp_replies,       c.icmp_echo_replies, c.path_suspects,
        frx.dropped,         frx.duplicated,      frx.reordered,       ftx.dropped,
        ftx.duplicated,      ftx.reordered,
    };
    std::span<uint64_t> v = into.values();
    auto out = std::copy(named.begin(), named.end(), v.begin());
    out = std::copy(c.drops.begin(), c.drops.end(), out);
    out = std::copy(t.drops.begin(), t.drops.end(), out);
    out = std::copy(c.rx_parse_drops.begin(), c.rx_parse_drops.end(), out);
    for (std::size_t i = 0; i < states; ++i) {
        *out++ = e.connections_in(static_cast<tcp::tcp_state>(static_cast<std::size_t>(first_state) + i));
    }
}

}  // namespace fptcp
