#pragma once
// Which handler a segment goes to, in the order RFC 9293 3.10.7 implies:
// the connection's TCB; else its TIME_WAIT entry (which may let a new SYN
// through, RFC 6191); else a listener (3.10.7.2); else the closed-port
// reply (3.10.7.1).
//
// The owner supplies the tables through a static interface, so the engine
// (hash tables, pools), the packet-script fixture, the simulator and the
// single-flow harness share this one routine without a virtual call. Its
// connections are handles of its own type H (a tcb, or the engine's slot
// that holds one), and demux returns the one it used, so no owner has to
// remember which it handed out:
//
//   H* find_connection(const four_tuple&);  // only for demux without a lookup of the owner's
//   time_wait_entry* find_time_wait(const four_tuple&);
//   void erase_time_wait(const four_tuple&);
//   const tcp_config* find_listener(const four_tuple&);
//   H* create_connection(const four_tuple&, const tcp_config&);  // nullptr when full
//   tcb& tcb_of(H&);  // unless H is tcb
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
#include <type_traits>
#include <utility>

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

// The owner's connection handle: what create_connection returns a pointer to.
template <class Owner>
using connection_handle = std::remove_pointer_t<decltype(std::declval<Owner&>().create_connection(
    std::declval<const four_tuple&>(), std::declval<const tcp_config&>()))>;

// The TCB of a handle: a tcb is its own.
template <class Owner, class Handle>
tcb& tcb_of(Owner& owner, Handle& h) {
    if constexpr (std::is_same_v<Handle, tcb>) {
        return h;
    } else {
        return owner.tcb_of(h);
    }
}

// Where a segment went, and the connection it went to or opened (nullptr
// when none: TIME_WAIT, a listener's answer, a refusal, the closed port).
template <class Handle>
struct demux_outcome {
    demux_result result;
    Handle* connection = nullptr;
};

// A SYN for a listener: a TCB in SYN_RECEIVED, or a cookie under pressure.
template <class Owner, class Handle = connection_handle<Owner>>
demux_outcome<Handle> listener_syn(Owner& owner, const tcp_config& cfg, const four_tuple& t, time_point now,
                                   const segment& seg, tcp_output& out) {
    if constexpr (syn_flood_owner<Owner>) {
        if (owner.syn_flood_pressure(cfg)) {
            answer_with_cookie(owner.syn_cookies(), t, cfg, now, seg, out);
            return {demux_result::listener};
        }
    }
    Handle* c = owner.create_connection(t, cfg);
    if (c == nullptr) return {demux_result::refused};
    tcb_of(owner, *c).open_passive(now, owner.next_iss(t, now), seg, out);
    return {demux_result::opened, c};
}

// An ACK for a listener: a connection when it brings back a cookie, else RST.
template <class Owner, class Handle = connection_handle<Owner>>
demux_outcome<Handle> listener_ack(Owner& owner, const tcp_config& cfg, const four_tuple& t, time_point now,
                                   const segment& seg, tcp_output& out) {
    if constexpr (syn_flood_owner<Owner>) {
        if (std::optional<tcp_options> syn = accept_cookie(owner.syn_cookies(), t, now, seg, out)) {
            Handle* c = owner.create_connection(t, cfg);
            if (c == nullptr) return {demux_result::refused};
            tcb_of(owner, *c).open_from_cookie(now, *syn, seg, out);
            return {demux_result::opened, c};
        }
    } else {
        emit_reset(out, t, seg.ack);
    }
    return {demux_result::listener};
}

// `known`: the owner's own lookup of t's connection (a burst lookup), or
// nullptr when it has none.
template <class Owner, class Handle>
demux_outcome<Handle> demux(Owner& owner, Handle* known, const four_tuple& t, time_point now, const segment& seg,
                            tcp_output& out) {
    if (known != nullptr) {
        tcb_of(owner, *known).input(now, seg, out);
        return {demux_result::connection, known};
    }
    if (time_wait_entry* e = owner.find_time_wait(t)) {
        if (time_wait_input(*e, now, seg, out) == time_wait_verdict::keep) {
            return {demux_result::time_wait};
        }
        owner.erase_time_wait(t);
    }
    if (const tcp_config* cfg = owner.find_listener(t)) {
        switch (listen_input(t, seg, out)) {
        case listen_verdict::drop:
        case listen_verdict::answered:
            return {demux_result::listener};
        case listen_verdict::accept:
            return listener_syn(owner, *cfg, t, now, seg, out);
        case listen_verdict::ack:
            return listener_ack(owner, *cfg, t, now, seg, out);
        }
    }
    reset_for_closed(t, seg, out);
    return {demux_result::closed};
}

// The same, looking t's connection up with the owner's find_connection.
template <class Owner>
demux_outcome<connection_handle<Owner>> demux(Owner& owner, const four_tuple& t, time_point now, const segment& seg,
                                              tcp_output& out) {
    return demux(owner, owner.find_connection(t), t, now, seg, out);
}

}  // namespace fptcp::tcp
