#pragma once
// Segments with no TCB: LISTEN (RFC 9293 3.10.7.2) and CLOSED (3.10.7.1).

#include "tcp/output.hh"
#include "tcp/segment.hh"

namespace fptcp::tcp {

enum class listen_verdict : uint8_t {
    drop,      // ignored (counted)
    answered,  // a RST went out
    accept,    // a SYN: open a TCB with tcb::open_passive
};

// `tuple` is from our side (local = the segment's destination).
listen_verdict listen_input(const four_tuple& tuple, const segment& seg, tcp_output& out);

// No connection and no listener: RST unless the segment is a RST.
void reset_for_closed(const four_tuple& tuple, const segment& seg, tcp_output& out);

}  // namespace fptcp::tcp
