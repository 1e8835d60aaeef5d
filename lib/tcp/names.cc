// Names for logs, counters and test output.

#include "tcp/output.hh"
#include "tcp/state.hh"

namespace fptcp::tcp {

std::string_view to_string(tcp_state s) {
    switch (s) {
    case tcp_state::closed: return "CLOSED";
    case tcp_state::listen: return "LISTEN";
    case tcp_state::syn_sent: return "SYN_SENT";
    case tcp_state::syn_received: return "SYN_RECEIVED";
    case tcp_state::established: return "ESTABLISHED";
    case tcp_state::fin_wait_1: return "FIN_WAIT_1";
    case tcp_state::fin_wait_2: return "FIN_WAIT_2";
    case tcp_state::close_wait: return "CLOSE_WAIT";
    case tcp_state::closing: return "CLOSING";
    case tcp_state::last_ack: return "LAST_ACK";
    case tcp_state::time_wait: return "TIME_WAIT";
    }
    return "?";
}

std::string_view to_string(tcp_drop d) {
    switch (d) {
    case tcp_drop::not_acceptable: return "not_acceptable";
    case tcp_drop::paws: return "paws";
    case tcp_drop::missing_timestamp: return "missing_timestamp";
    case tcp_drop::rst_out_of_window: return "rst_out_of_window";
    case tcp_drop::rst_not_exact: return "rst_not_exact";
    case tcp_drop::syn_in_synchronized: return "syn_in_synchronized";
    case tcp_drop::bad_ack: return "bad_ack";
    case tcp_drop::no_ack: return "no_ack";
    case tcp_drop::ooo_overflow: return "ooo_overflow";
    case tcp_drop::after_fin: return "after_fin";
    case tcp_drop::listen_bad_flags: return "listen_bad_flags";
    case tcp_drop::syn_sent_bad: return "syn_sent_bad";
    case tcp_drop::closed_port: return "closed_port";
    case tcp_drop::rst_in_time_wait: return "rst_in_time_wait";
    case tcp_drop::challenge_ack_limited: return "challenge_ack_limited";
    case tcp_drop::count_: break;
    }
    return "?";
}

}  // namespace fptcp::tcp
