#pragma once
// The owner of the TCP core for fuzzing: it checks the core's invariants
// after every step and aborts (a finding) when one breaks.

#include <array>
#include <cstdio>
#include <cstdlib>

#include "../support/single_flow.hh"
#include "tcp/wire_adapter.hh"
#include "wire/frame.hh"

namespace fptcp::fuzz {

using namespace tcp;

#define FUZZ_CHECK(cond)                                                             \
    do {                                                                             \
        if (!(cond)) {                                                               \
            std::fprintf(stderr, "invariant broken: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
            std::abort();                                                            \
        }                                                                            \
    } while (0)

// single_flow, plus a check of every segment and TCB after every step.
class one_flow_stack : public testing::single_flow {
public:
    uint32_t segments_sent = 0;
    seq_num last_syn_ack = seq_num(passive_iss);  // our ISN or cookie, for the peer's ACK

    one_flow_stack() {
        cfg.send_buffer = 8192;
        cfg.receive_buffer = 8192;
        cfg.msl = std::chrono::seconds(2);
    }

    void deliver(const segment& s, const four_tuple& t) {
        single_flow::deliver(s, t);
        settle();
    }

    void open_active() {
        if (conn || time_wait) return;
        single_flow::open_active();
        settle();
    }

    void advance(duration d) {
        time_point target = now + d;
        for (int guard = 0; guard < 10000 && next_deadline() <= target; ++guard) {
            now = std::max(now, next_deadline());
            if (conn && conn->next_deadline() <= now) conn->on_timer(now, out);
            if (time_wait && time_wait->deadline <= now) time_wait.reset();
            settle();
        }
        now = target;
    }

    // Ends everything and checks nothing is left.
    void finish() {
        if (conn) conn->abort(now, out);
        settle();
        advance(std::chrono::seconds(3600));
        FUZZ_CHECK(!conn && !time_wait);
    }

    // Flushes the output (checking each segment rebuilds into a frame that
    // parses back to the same fields), checks the TCB, then does the owner's
    // TIME_WAIT and CLOSED housekeeping.
    void settle() {
        for (int round = 0; round < 1000; ++round) {
            for (uint32_t i = 0; i < out.count; ++i) check_segment(out.segments[i]);
            segments_sent += out.count;
            bool more = out.data_pending;
            out.clear();
            if (!more || !conn) break;
            conn->transmit(now, out);
        }
        if (conn) {
            check_tcb(*conn);
            (void)conn->take_events();
        }
        FUZZ_CHECK(single_flow::settle());
    }

private:
    std::array<uint8_t, 2048> _frame{};

    static void check_tcb(const tcb& c) {
        const auto& snd = c.snd();
        FUZZ_CHECK(before_or_equal(snd.una, snd.nxt) || c.state() == tcp_state::syn_sent);
        FUZZ_CHECK(before_or_equal(snd.nxt, snd.max));
        FUZZ_CHECK(c.receive_window() <= c.config().receive_buffer);
        FUZZ_CHECK(c.send_buffered() <= c.config().send_buffer);
    }

    void check_segment(const outgoing_segment& s) {
        FUZZ_CHECK(s.payload_length() <= 1460);
        wire::tcp_frame_spec spec = to_frame_spec(s);
        std::size_t n = wire::write_tcp_frame(_frame, spec);
        FUZZ_CHECK(n > 0);
        wire::parsed_frame back;
        FUZZ_CHECK(wire::parse_frame(std::span(_frame).first(n), {}, back) == wire::parse_error::none);
        FUZZ_CHECK(back.kind == wire::frame_kind::tcp);
        FUZZ_CHECK(back.tcp.seq == s.seq.raw() && back.tcp.ack == s.ack.raw());
        FUZZ_CHECK(back.tcp.flags == s.flags && back.tcp.payload.size() == s.payload_length());
        if (s.flags.has(tcp_flags::syn) && s.flags.has(tcp_flags::ack)) last_syn_ack = s.seq;
    }
};

}  // namespace fptcp::fuzz
