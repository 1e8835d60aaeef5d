#pragma once
// Segments with no TCB: LISTEN (RFC 9293 3.10.7.2) and CLOSED (3.10.7.1),
// and SYN cookies for LISTEN under a SYN flood (RFC 4987 3.6, syn_cookie.hh).

#include <optional>

#include "fptcp/tcp_config.hh"
#include "tcp/clock.hh"
#include "tcp/output.hh"
#include "tcp/segment.hh"
#include "tcp/syn_cookie.hh"

namespace fptcp::tcp {

enum class listen_verdict : uint8_t {
    drop,      // ignored (counted)
    answered,  // a RST went out
    accept,    // a SYN: open a TCB with tcb::open_passive (or answer with a cookie)
    ack,       // an ACK: a SYN cookie coming back (accept_cookie), else <SEQ=SEG.ACK><CTL=RST>
};

// `tuple` is from our side (local = the segment's destination).
listen_verdict listen_input(const four_tuple& tuple, const segment& seg, tcp_output& out);

// No connection and no listener: RST unless the segment is a RST.
void reset_for_closed(const four_tuple& tuple, const segment& seg, tcp_output& out);

// Under a SYN flood: answers `syn` with a SYN-ACK whose ISN is a cookie, and
// keeps nothing. The SYN-ACK offers what a normal one would, except window
// scaling and SACK when the SYN carries no timestamps.
void answer_with_cookie(syn_cookie_jar& jar, const four_tuple& tuple, const tcp_config& cfg, time_point now,
                        const segment& syn, tcp_output& out);

// An ACK at a listener (listen_verdict::ack): when it brings back a valid,
// fresh cookie, the options of the SYN the cookie answered, to open the
// connection with tcb::open_from_cookie. Otherwise <SEQ=SEG.ACK><CTL=RST>.
std::optional<tcp_options> accept_cookie(const syn_cookie_jar& jar, const four_tuple& tuple, time_point now,
                                         const segment& ack, tcp_output& out);

}  // namespace fptcp::tcp
