#pragma once
// Which handler a segment goes to, in the order RFC 9293 3.10.7 implies:
// the connection's TCB; else its TIME_WAIT entry (which may let a new SYN
// through, RFC 6191); else a listener (3.10.7.2); else the closed-port
// reply (3.10.7.1).
//
// The owner supplies the tables through a static interface, so the engine
// (hash tables, pools), the packet-script fixture and the fuzz targets share
// this one routine without a virtual call:
//
//   tcb* find_connection(const four_tuple&);
//   time_wait_entry* find_time_wait(const four_tuple&);
//   void erase_time_wait(const four_tuple&);
//   const tcp_config* find_listener(const four_tuple&);
//   tcb* create_connection(const four_tuple&, const tcp_config&);  // nullptr when full
//   seq_num next_iss(const four_tuple&, time_point now);
//
// and, to defend against SYN floods (RFC 4987 3.6, syn_cookie.hh):
//
//   bool syn_flood_pressure(const tcp_config& listener);  // answer SYNs with cookies now
//   syn_cookie_jar& syn_cookies();
//
// Under pressure (the engine: more half-open TCBs than the listener's
// syn_backlog, or no free connection slot) a SYN gets a cookie SYN-ACK and no
// TCB; an ACK at a listener that brings back a valid cookie opens the
// connection. An owner without these two (the simulator) never sends cookies.

#include <concepts>

#include "tcp/listen.hh"
#include "tcp/tcb.hh"
#include "tcp/time_wait.hh"

namespace fptcp::tcp {

enum class demux_result : uint8_t {
    connection,  // handled by an existing TCB
    time_wait,   // handled by a TIME_WAIT entry
    opened,      // a listener accepted a SYN (a new TCB in SYN_RECEIVED) or a cookie (ESTABLISHED)
    listener,    // a listener answered (a cookie SYN-ACK too) or dropped it
    refused,     // the listener's owner had no room for a new TCB
    closed,      // no connection and no listener
};

template <class Owner>
concept syn_flood_owner = requires(Owner& o, const tcp_config& c) {
    { o.syn_flood_pressure(c) } -> std::same_as<bool>;
    { o.syn_cookies() } -> std::same_as<syn_cookie_jar&>;
};

// A SYN for a listener: a TCB in SYN_RECEIVED, or a cookie under pressure.
template <class Owner>
demux_result listener_syn(Owner& owner, const tcp_config& cfg, const four_tuple& t, time_point now, const segment& seg,
                          tcp_output& out) {
    if constexpr (syn_flood_owner<Owner>) {
        if (owner.syn_flood_pressure(cfg)) {
            answer_with_cookie(owner.syn_cookies(), t, cfg, now, seg, out);
            return demux_result::listener;
        }
    }
    tcb* c = owner.create_connection(t, cfg);
    if (c == nullptr) return demux_result::refused;
    c->open_passive(now, owner.next_iss(t, now), seg, out);
    return demux_result::opened;
}

// An ACK for a listener: a connection when it brings back a cookie, else RST.
template <class Owner>
demux_result listener_ack(Owner& owner, const tcp_config& cfg, const four_tuple& t, time_point now, const segment& seg,
                          tcp_output& out) {
    if constexpr (syn_flood_owner<Owner>) {
        if (std::optional<tcp_options> syn = accept_cookie(owner.syn_cookies(), t, now, seg, out)) {
            tcb* c = owner.create_connection(t, cfg);
            if (c == nullptr) return demux_result::refused;
            c->open_from_cookie(now, *syn, seg, out);
            return demux_result::opened;
        }
    } else {
        emit_reset(out, t, seg.ack);
    }
    return demux_result::listener;
}

template <class Owner>
demux_result demux(Owner& owner, const four_tuple& t, time_point now, const segment& seg, tcp_output& out) {
    if (tcb* c = owner.find_connection(t)) {
        c->input(now, seg, out);
        return demux_result::connection;
    }
    if (time_wait_entry* e = owner.find_time_wait(t)) {
        if (time_wait_input(*e, now, seg, out) == time_wait_verdict::keep) {
            return demux_result::time_wait;
        }
        owner.erase_time_wait(t);
    }
    if (const tcp_config* cfg = owner.find_listener(t)) {
        switch (listen_input(t, seg, out)) {
        case listen_verdict::drop:
        case listen_verdict::answered:
            return demux_result::listener;
        case listen_verdict::accept:
            return listener_syn(owner, *cfg, t, now, seg, out);
        case listen_verdict::ack:
            return listener_ack(owner, *cfg, t, now, seg, out);
        }
    }
    reset_for_closed(t, seg, out);
    return demux_result::closed;
}

}  // namespace fptcp::tcp
