#pragma once
// Per-lcore counters: written only by their engine, read (summed) by status
// lines, the summary and telemetry. Cache-aligned so two lcores never share
// a line.

#include <array>
#include <cstdint>
#include <string_view>

#include "wire/parse_error.hh"

namespace fptcp::engine {

// Why the engine (not the TCP core, which has its own tcp_drop) dropped a frame.
enum class engine_drop : uint8_t {
    not_for_us,         // another IP, or an ARP not asking for us
    chained_mbuf,       // multi-segment frames are not parsed (scatter RX off)
    frame_too_long,     // an Ethernet payload longer than the port's MTU
    martian_source,     // an IP source no host sends from (RFC 1122 3.2.1.3, engine::is_martian)
    no_listener_room,   // a SYN for a listener while every connection slot is taken
    tx_no_mbuf,         // the mempool was empty when a frame was to be built
    tx_queue_full,      // the NIC did not take the frame after retries
    arp_unresolved,     // the next hop never answered ARP, or its queue overflowed
    mailbox_full,       // another lcore's inbound queue was full
    count_
};

constexpr std::string_view to_string(engine_drop d) {
    switch (d) {
    case engine_drop::not_for_us: return "not_for_us";
    case engine_drop::chained_mbuf: return "chained_mbuf";
    case engine_drop::frame_too_long: return "frame_too_long";
    case engine_drop::martian_source: return "martian_source";
    case engine_drop::no_listener_room: return "no_listener_room";
    case engine_drop::tx_no_mbuf: return "tx_no_mbuf";
    case engine_drop::tx_queue_full: return "tx_queue_full";
    case engine_drop::arp_unresolved: return "arp_unresolved";
    case engine_drop::mailbox_full: return "mailbox_full";
    case engine_drop::count_: break;
    }
    return "?";
}

struct alignas(64) engine_counters {
    uint64_t rx_packets = 0;
    uint64_t rx_bytes = 0;
    uint64_t tx_packets = 0;
    uint64_t tx_bytes = 0;
    uint64_t connections_opened = 0;  // reached ESTABLISHED (either role)
    uint64_t connections_closed = 0;  // of those opened, freed (to TIME_WAIT or CLOSED)
    uint64_t time_wait_reaped = 0;
    uint64_t time_wait_reopened = 0;  // a new SYN took over the tuple (RFC 6191)
    uint64_t arp_replies = 0;
    uint64_t icmp_echo_replies = 0;
    uint64_t path_suspects = 0;  // R1 reached: the next hop's ARP entry was expired (RFC 1122 4.2.3.5)
    std::array<uint64_t, static_cast<std::size_t>(wire::parse_error::count_)> rx_parse_drops{};
    std::array<uint64_t, static_cast<std::size_t>(engine_drop::count_)> drops{};

    void drop(engine_drop d) { ++drops[static_cast<std::size_t>(d)]; }
    void drop(wire::parse_error e) { ++rx_parse_drops[static_cast<std::size_t>(e)]; }
};

}  // namespace fptcp::engine
