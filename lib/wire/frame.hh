#pragma once
// One call from raw frame bytes to typed headers: Ethernet, then ARP or
// IPv4, then ICMP echo or TCP.

#include <cstdint>
#include <span>

#include "wire/arp.hh"
#include "wire/ethernet.hh"
#include "wire/icmp.hh"
#include "wire/ipv4.hh"
#include "wire/offload.hh"
#include "wire/parse_error.hh"
#include "wire/tcp.hh"

namespace fptcp::wire {

enum class frame_kind : uint8_t {
    arp,        // `arp` is valid
    icmp_echo,  // an echo request: `ip` and `icmp` are valid
    tcp,        // `ip` and `tcp` are valid
    other,      // accepted but nothing to do (e.g. an ICMP type other than echo request)
};

// The headers of one frame. Spans point into the frame: a parsed_frame must
// not outlive the frame's bytes. Only the members named by `kind` (and `eth`)
// are meaningful; the others keep stale values from earlier calls.
struct parsed_frame {
    frame_kind kind = frame_kind::other;
    ethernet_view eth;
    arp_view arp;
    ipv4_view ip;
    icmp_echo_view icmp;
    tcp_view tcp;
};

// Parses `frame` (no FCS). `rx` says which checksums the NIC verified (good:
// skipped; bad: dropped with bad_ipv4_checksum / bad_tcp_checksum; unknown:
// verified in software). ICMP checksums are always verified in software.
// Returns parse_error::none and fills `out`, or the reason to drop. Reads
// only inside `frame`, for any bytes.
parse_error parse_frame(std::span<const uint8_t> frame, checksum_offload rx, parsed_frame& out);

// The reply to an echo request parsed by parse_frame (kind icmp_echo):
// addresses swapped, identifier, sequence and payload (a view into the
// request) copied. Write it with write_icmp_echo_reply.
icmp_echo_spec echo_reply_spec(const parsed_frame& request, uint16_t ip_id);

}  // namespace fptcp::wire
