#pragma once
// The smallest owner of the TCP core: one listener port, one connection slot
// and one TIME_WAIT slot, routed by tcp::demux exactly as the engine routes.
// Used by the fuzz targets and the microbenchmarks; storage is allocated once.

#include <optional>
#include <vector>

#include "range_memory.hh"
#include "tcp/demux.hh"

namespace fptcp::testing {

using namespace tcp;

class single_flow {
public:
    static constexpr four_tuple flow{0x0a000001, 0x0a000002, 80, 40000};
    static constexpr uint32_t passive_iss = 0xfffff000u;
    static constexpr uint32_t active_iss = 0xffffff00u;

    tcp_config cfg;
    tcp_output out;
    range_memory ranges;  // before conn: the TCB gives its ranges back first
    time_point now = time_point(std::chrono::seconds(1000));
    std::optional<tcb> conn;
    std::optional<time_wait_entry> time_wait;
    bool listening = true;
    syn_cookie_jar cookies{isn_secret{0x0123456789abcdefull, 0xfedcba9876543210ull}};

    // demux owner interface
    tcb* find_connection(const four_tuple& t) { return conn && t == flow ? &*conn : nullptr; }
    time_wait_entry* find_time_wait(const four_tuple& t) { return time_wait && t == flow ? &*time_wait : nullptr; }
    void erase_time_wait(const four_tuple&) { time_wait.reset(); }
    const tcp_config* find_listener(const four_tuple& t) const {
        return listening && t.local_port == flow.local_port ? &cfg : nullptr;
    }
    tcb* create_connection(const four_tuple& t, const tcp_config& c) {
        if (conn || t != flow) return nullptr;
        if (_snd.size() != c.send_buffer) _snd.assign(c.send_buffer, 0);
        if (_rcv.size() != c.receive_buffer) _rcv.assign(c.receive_buffer, 0);
        conn.emplace(c, t, connection_storage{_snd, _rcv, &ranges.pool});
        return &*conn;
    }
    seq_num next_iss(const four_tuple&, time_point) const { return seq_num(passive_iss); }
    // One slot: taken by any connection (a half-open one too).
    bool syn_flood_pressure(const tcp_config& c) const { return c.syn_backlog == 0 || conn.has_value(); }
    syn_cookie_jar& syn_cookies() { return cookies; }

    demux_result deliver(const segment& s, const four_tuple& t = flow) { return demux(*this, t, now, s, out).result; }

    void open_active() {
        create_connection(flow, cfg);
        conn->open_active(now, seq_num(active_iss), out);
    }

    // Does the owner's housekeeping after a call: TIME_WAIT hand-over and
    // freeing a closed TCB. Returns false when the TCB was freed with a timer
    // still armed (a leak).
    bool settle() {
        if (!conn) return true;
        tcp_state s = conn->state();
        if (s != tcp_state::time_wait && s != tcp_state::closed) return true;
        if (s == tcp_state::time_wait) time_wait = make_time_wait_entry(*conn, now);
        bool clean = conn->next_deadline() == no_deadline;
        conn.reset();
        return clean;
    }

    time_point next_deadline() const {
        time_point next = no_deadline;
        if (conn) next = earliest(next, conn->next_deadline());
        if (time_wait) next = earliest(next, time_wait->deadline);
        return next;
    }

private:
    std::vector<uint8_t> _snd, _rcv;
};

}  // namespace fptcp::testing
