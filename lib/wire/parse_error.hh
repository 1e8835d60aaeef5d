#pragma once
// Why a frame was not accepted. Every value is a counted drop reason
// (docs/architecture.md, "Every drop is counted").

#include <cstdint>
#include <string_view>

namespace fptcp::wire {

enum class parse_error : uint8_t {
    none,
    truncated_ethernet,
    unsupported_ethertype,
    truncated_arp,
    unsupported_arp,
    truncated_ipv4,
    bad_ipv4_version,
    bad_ipv4_header_length,
    bad_ipv4_total_length,
    bad_ipv4_checksum,
    ipv4_fragment,
    unsupported_ip_protocol,
    truncated_icmp,
    bad_icmp_checksum,
    truncated_tcp,
    bad_tcp_data_offset,
    bad_tcp_option_length,
    tcp_option_past_header,
    bad_tcp_option_size_for_kind,
    bad_tcp_checksum,
    count_  // number of reasons; keep last
};

std::string_view to_string(parse_error e);

}  // namespace fptcp::wire
