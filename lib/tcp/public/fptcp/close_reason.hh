#pragma once
// How a connection ended, as reported to the application.

#include <cstdint>
#include <string_view>

namespace fptcp {

enum class close_reason : uint8_t {
    none,                   // still open
    normal,                 // both FINs exchanged (or our close of a never-synchronized open)
    reset_by_peer,          // an acceptable RST arrived (includes "connection refused")
    retransmit_timeout,     // data, SYN or FIN unacknowledged after the give-up count
    keepalive_timeout,      // keepalive probes went unanswered
    aborted,                // the application aborted, or closed with unread data
};

constexpr std::string_view to_string(close_reason r) {
    switch (r) {
    case close_reason::none: return "none";
    case close_reason::normal: return "normal";
    case close_reason::reset_by_peer: return "reset_by_peer";
    case close_reason::retransmit_timeout: return "retransmit_timeout";
    case close_reason::keepalive_timeout: return "keepalive_timeout";
    case close_reason::aborted: return "aborted";
    }
    return "?";
}

}  // namespace fptcp
