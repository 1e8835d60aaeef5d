#pragma once
// One lcore's TCP/IP stack (lib/engine's engine behind the public API): it
// owns its connections, tables and timers, polls one queue of one port, and
// runs the application's callbacks inline. Call everything of a stack, and
// of its connections, from the thread that polls it; nothing is locked.
// fptcp::runtime creates stacks on its port; an application that owns its
// DPDK ports creates them with stack::create and brings its own packets.
// docs/api.md shows both.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fptcp/connection.hh"
#include "fptcp/link.hh"
#include "fptcp/stack_settings.hh"
#include "fptcp/stats.hh"
#include "fptcp/tcp_config.hh"
#include "fptcp/time.hh"

namespace fptcp {

class runtime;

class stack {
public:
    // Bring your own packets: a stack on no port of fptcp's. The application
    // hands it the frames it received (receive()) and sends the frames it
    // takes (take_tx()); poll() then runs the timers only. The EAL must be
    // running and `link.pool` must exist as long as the stack. nullptr and
    // `error` when the settings cannot work.
    static std::unique_ptr<stack> create(const link_settings& link, const stack_settings& s, handler& h,
                                         std::string& error);
    ~stack();
    stack(const stack&) = delete;
    stack& operator=(const stack&) = delete;

    // Passive open on `port` with settings().tcp, or with `cfg` (its buffers
    // no larger than settings().tcp's). False and `error` when the settings
    // cannot work or 16 listen() calls were made already.
    bool listen(uint16_t port, std::string& error);
    bool listen(uint16_t port, const tcp_config& cfg, std::string& error);
    // RFC 9293 3.10.4, CLOSE in LISTEN: later SYNs to `port` get a RST; the
    // connections it accepted carry on. False when nothing listens on `port`.
    bool stop_listening(uint16_t port);
    // The ports listened on now; any thread (telemetry reads it).
    std::vector<uint16_t> listening() const;
    // Active open to remote_ip:remote_port (host order) with settings().tcp
    // or `cfg`; nullptr when no connection slot or source port is free, or
    // `cfg` does not fit. The connection's on_open follows the handshake.
    connection* connect(time_point now, uint32_t remote_ip, uint16_t remote_port, void* user = nullptr);
    connection* connect(time_point now, uint32_t remote_ip, uint16_t remote_port, const tcp_config& cfg,
                        void* user = nullptr);

    // One iteration of the loop: an RX burst, TCP, callbacks, timers,
    // TIME_WAIT reaping, a TX burst. `now` from runtime::now() or your clock.
    // Returns the frames taken in: 0 for an idle turn.
    uint32_t poll(time_point now);

    // Bring your own packets (a stack from create()). receive() takes
    // ownership of `n` frames received for this stack (the application's
    // RX burst: ARP and TCP are handled, anything else dropped and counted)
    // and runs their callbacks; take_tx() moves up to `max` frames to send
    // into `out` (the application's TX burst then owns them) and returns
    // how many. Call take_tx() after receive(), poll() and any call on a
    // connection. set_neighbor() seeds the neighbour cache, as an ARP reply
    // would; without it the stack resolves next hops with ARP itself.
    void receive(time_point now, rte_mbuf* const* frames, uint32_t n);
    uint32_t take_tx(rte_mbuf** out, uint32_t max);
    void set_neighbor(uint32_t ip, const std::array<uint8_t, 6>& mac);

    // This stack's counters now (from its own thread; runtime::published()
    // reads them from any thread). The second form reuses `into`'s memory.
    stats snapshot() const;
    void snapshot(stats& into) const;
    uint32_t active_connections() const;
    const stack_settings& settings() const;

private:
    friend class runtime;
    struct impl;
    explicit stack(std::unique_ptr<impl> i);
    std::unique_ptr<impl> _impl;
};

}  // namespace fptcp
