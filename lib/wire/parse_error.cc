#include "wire/parse_error.hh"

namespace fptcp::wire {

std::string_view to_string(parse_error e) {
    switch (e) {
        case parse_error::none: return "none";
        case parse_error::truncated_ethernet: return "truncated_ethernet";
        case parse_error::unsupported_ethertype: return "unsupported_ethertype";
        case parse_error::truncated_arp: return "truncated_arp";
        case parse_error::unsupported_arp: return "unsupported_arp";
        case parse_error::truncated_ipv4: return "truncated_ipv4";
        case parse_error::bad_ipv4_version: return "bad_ipv4_version";
        case parse_error::bad_ipv4_header_length: return "bad_ipv4_header_length";
        case parse_error::bad_ipv4_total_length: return "bad_ipv4_total_length";
        case parse_error::bad_ipv4_checksum: return "bad_ipv4_checksum";
        case parse_error::ipv4_fragment: return "ipv4_fragment";
        case parse_error::unsupported_ip_protocol: return "unsupported_ip_protocol";
        case parse_error::truncated_icmp: return "truncated_icmp";
        case parse_error::bad_icmp_checksum: return "bad_icmp_checksum";
        case parse_error::truncated_tcp: return "truncated_tcp";
        case parse_error::bad_tcp_data_offset: return "bad_tcp_data_offset";
        case parse_error::bad_tcp_option_length: return "bad_tcp_option_length";
        case parse_error::tcp_option_past_header: return "tcp_option_past_header";
        case parse_error::bad_tcp_option_size_for_kind: return "bad_tcp_option_size_for_kind";
        case parse_error::bad_tcp_checksum: return "bad_tcp_checksum";
        case parse_error::count_: break;
    }
    return "invalid";
}

}  // namespace fptcp::wire
