// libFuzzer target: arbitrary bytes as a sequence of Ethernet frames with time
// steps, through lib/wire's parser and, for TCP, the core (via tcp::demux).
//
// Input: repeated records [control][length:2][frame bytes]. The control
// byte's low bit says whether the NIC "verified" the checksums (so mutated
// frames reach the core), its other bits a time step before the frame.

#include <fuzzer/FuzzedDataProvider.h>

#include "one_flow_stack.hh"

using namespace fptcp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    FuzzedDataProvider input(data, size);
    fuzz::one_flow_stack stack;
    while (input.remaining_bytes() > 0) {
        uint8_t control = input.ConsumeIntegral<uint8_t>();
        uint16_t length = input.ConsumeIntegralInRange<uint16_t>(0, 9100);
        std::vector<uint8_t> frame = input.ConsumeBytes<uint8_t>(length);
        stack.advance(std::chrono::milliseconds((control >> 1) * 37));
        wire::checksum_status nic = (control & 1) ? wire::checksum_status::good : wire::checksum_status::unknown;
        wire::parsed_frame parsed;
        if (wire::parse_frame(frame, {nic, nic}, parsed) != wire::parse_error::none) continue;
        if (parsed.kind != wire::frame_kind::tcp) continue;
        stack.deliver(tcp::to_segment(parsed.tcp), tcp::arriving_tuple(parsed.ip, parsed.tcp));
    }
    stack.finish();
    return 0;
}
