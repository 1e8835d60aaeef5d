// libFuzzer target: sequences of peer segments, application calls and time
// steps against one connection, so the fuzzer reaches every state quickly.
// Sequence and acknowledgement numbers are drawn near RCV.NXT and SND.NXT
// (window edges included), options come from raw option bytes parsed by
// lib/wire, and every emitted segment is rebuilt into a frame and parsed back.

#include <fuzzer/FuzzedDataProvider.h>

#include "one_flow_stack.hh"

using namespace fptcp;
using namespace fptcp::tcp;

namespace {

enum class op : uint8_t { segment, advance, send, read, shutdown, close, abort, connect, keepalive, count_ };

segment peer_segment(FuzzedDataProvider& in, const fuzz::one_flow_stack& stack, std::vector<uint8_t>& payload) {
    segment s;
    s.flags = tcp_flags{in.ConsumeIntegral<uint8_t>()};
    seq_num rcv_nxt = stack.conn ? stack.conn->rcv().nxt : seq_num(0x7ffffff0u);
    seq_num snd_nxt = stack.conn ? stack.conn->snd().nxt : stack.last_syn_ack + seq_len(1);  // a cookie's ACK too
    s.seq = rcv_nxt + seq_len(static_cast<uint32_t>(in.ConsumeIntegral<int32_t>() >> in.ConsumeIntegralInRange(0, 31)));
    s.ack = snd_nxt + seq_len(static_cast<uint32_t>(in.ConsumeIntegral<int32_t>() >> in.ConsumeIntegralInRange(0, 31)));
    s.window = in.ConsumeIntegral<uint16_t>();
    s.urgent_ptr = in.ConsumeIntegral<uint16_t>();
    std::vector<uint8_t> options = in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange(0, 40));
    if (wire::parse_tcp_options(options, s.options) != wire::parse_error::none) s.options = {};
    payload = in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange(0, 3000));
    s.payload = payload;
    return s;
}

void run(FuzzedDataProvider& in, fuzz::one_flow_stack& stack) {
    std::vector<uint8_t> payload;
    switch (static_cast<op>(in.ConsumeIntegralInRange<uint8_t>(0, static_cast<uint8_t>(op::count_) - 1))) {
    case op::segment:
        stack.deliver(peer_segment(in, stack, payload), fuzz::one_flow_stack::flow);
        return;
    case op::advance:
        stack.advance(std::chrono::microseconds(in.ConsumeIntegral<uint32_t>()) * in.ConsumeIntegralInRange(1, 4000));
        return;
    case op::connect:
        stack.open_active();
        return;
    case op::send:
    case op::read:
    case op::shutdown:
    case op::close:
    case op::abort:
    case op::keepalive:
    case op::count_:
        break;
    }
    if (!stack.conn) return;
    tcb& c = *stack.conn;
    switch (static_cast<op>(in.ConsumeIntegralInRange<uint8_t>(2, 8))) {
    case op::send:
        payload.assign(in.ConsumeIntegralInRange(0, 20000), 's');
        c.send(stack.now, payload, stack.out);
        break;
    case op::read:
        c.consume(stack.now, in.ConsumeIntegral<uint16_t>(), stack.out);
        break;
    case op::shutdown: c.shutdown(stack.now, stack.out); break;
    case op::close: c.close(stack.now, stack.out); break;
    case op::abort: c.abort(stack.now, stack.out); break;
    case op::keepalive: c.set_keepalive(stack.now, in.ConsumeBool()); break;
    case op::segment:
    case op::advance:
    case op::connect:
    case op::count_:
        break;
    }
    stack.settle();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    FuzzedDataProvider in(data, size);
    fuzz::one_flow_stack stack;
    stack.listening = in.ConsumeBool();
    stack.cfg.timestamps = in.ConsumeBool();
    stack.cfg.keepalive = in.ConsumeBool();
    stack.cfg.max_ooo_ranges = in.ConsumeIntegralInRange<uint16_t>(1, 64);
    stack.cfg.max_sack_ranges = in.ConsumeIntegralInRange<uint16_t>(1, 64);
    stack.cfg.syn_backlog = in.ConsumeBool() ? 0 : 4096;  // 0: every SYN gets a cookie
    for (int steps = 0; steps < 200 && in.remaining_bytes() > 0; ++steps) run(in, stack);
    stack.finish();
    return 0;
}
