#pragma once
// Between lib/wire's views and the core's values: an arriving TCP header
// becomes a `segment` and its `four_tuple` (seen from our side); a segment
// the core emits becomes a `tcp_frame_spec` (the caller adds the MACs and the
// IP id).

#include "tcp/segment.hh"
#include "wire/ipv4.hh"
#include "wire/tcp.hh"

namespace fptcp::tcp {

inline segment to_segment(const wire::tcp_view& v) {
    segment s;
    s.seq = seq_num(v.seq);
    s.ack = seq_num(v.ack);
    s.flags = v.flags;
    s.window = v.window;
    s.urgent_ptr = v.urgent_pointer;
    s.options = v.options;
    s.payload = v.payload;
    return s;
}

inline four_tuple arriving_tuple(const wire::ipv4_view& ip, const wire::tcp_view& v) {
    return {ip.dst, ip.src, v.dst_port, v.src_port};
}

inline wire::tcp_frame_spec to_frame_spec(const outgoing_segment& s) {
    wire::tcp_frame_spec f;
    f.src_ip = s.tuple.local_ip;
    f.dst_ip = s.tuple.remote_ip;
    f.src_port = s.tuple.local_port;
    f.dst_port = s.tuple.remote_port;
    f.seq = s.seq.raw();
    f.ack = s.ack.raw();
    f.flags = s.flags;
    f.window = s.window;
    f.options = s.options;
    f.payload_first = s.payload[0];
    f.payload_second = s.payload[1];
    return f;
}

}  // namespace fptcp::tcp
