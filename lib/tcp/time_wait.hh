#pragma once
// TIME-WAIT as a compact entry (RFC 9293 3.10.7.4 TIME-WAIT, RFC 1337,
// RFC 6191). A TCB that reaches TIME_WAIT is turned into one of these and
// freed: the entry keeps only what the rules below need.

#include <cstdint>

#include "tcp/clock.hh"
#include "tcp/output.hh"
#include "tcp/segment.hh"

namespace fptcp::tcp {

class tcb;

struct time_wait_entry {
    four_tuple tuple;
    seq_num snd_nxt;
    seq_num rcv_nxt;
    uint32_t ts_recent = 0;
    uint32_t ts_offset = 0;
    uint32_t twice_msl_ms = 0;
    time_point deadline;     // 2 * MSL after the last FIN we ACKed
    uint16_t window = 0;     // raw window field for our ACKs
    bool ts_ok = false;
};

time_wait_entry make_time_wait_entry(const tcb& t, time_point now);

enum class time_wait_verdict : uint8_t {
    keep,    // handled here (ACKed or ignored)
    reopen,  // RFC 6191: an acceptable new SYN; drop the entry, give the SYN to the listener
};

time_wait_verdict time_wait_input(time_wait_entry& e, time_point now, const segment& seg, tcp_output& out);

}  // namespace fptcp::tcp
