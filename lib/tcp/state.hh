#pragma once
// The eleven connection states of RFC 9293 section 3.3.2.

#include <cstdint>
#include <string_view>

namespace fptcp::tcp {

enum class tcp_state : uint8_t {
    closed,
    listen,
    syn_sent,
    syn_received,
    established,
    fin_wait_1,
    fin_wait_2,
    close_wait,
    closing,
    last_ack,
    time_wait,
};

std::string_view to_string(tcp_state s);

// The states after the handshake completed (RFC 9293 3.10.7.4 "synchronized").
constexpr bool is_synchronized(tcp_state s) {
    switch (s) {
    case tcp_state::closed:
    case tcp_state::listen:
    case tcp_state::syn_sent:
        return false;
    case tcp_state::syn_received:
    case tcp_state::established:
    case tcp_state::fin_wait_1:
    case tcp_state::fin_wait_2:
    case tcp_state::close_wait:
    case tcp_state::closing:
    case tcp_state::last_ack:
    case tcp_state::time_wait:
        return true;
    }
    return false;
}

// States in which the peer's FIN has been received: no more data can arrive.
constexpr bool has_received_fin(tcp_state s) {
    switch (s) {
    case tcp_state::close_wait:
    case tcp_state::closing:
    case tcp_state::last_ack:
    case tcp_state::time_wait:
        return true;
    case tcp_state::closed:
    case tcp_state::listen:
    case tcp_state::syn_sent:
    case tcp_state::syn_received:
    case tcp_state::established:
    case tcp_state::fin_wait_1:
    case tcp_state::fin_wait_2:
        return false;
    }
    return false;
}

}  // namespace fptcp::tcp
