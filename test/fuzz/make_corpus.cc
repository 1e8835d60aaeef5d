// Writes seed inputs for fuzz_frames into the folder given as argv[1]: the
// frames of a passive open, data, and close against one_flow_stack's flow,
// in the target's record format. Run once; the output lives in
// test/fuzz/corpus/frames/ (with whatever the fuzzer later adds there).

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "one_flow_stack.hh"

using namespace fptcp;

namespace {

constexpr uint32_t peer_isn = 0x7ffffff0u;
constexpr uint32_t our_iss = testing::single_flow::passive_iss;

struct recorder {
    std::vector<uint8_t> bytes;

    void frame(uint8_t flags, uint32_t seq, uint32_t ack, std::string_view data, uint8_t control = 0) {
        wire::tcp_frame_spec f;
        f.src_ip = fuzz::one_flow_stack::flow.remote_ip;
        f.dst_ip = fuzz::one_flow_stack::flow.local_ip;
        f.src_port = fuzz::one_flow_stack::flow.remote_port;
        f.dst_port = fuzz::one_flow_stack::flow.local_port;
        f.seq = seq;
        f.ack = ack;
        f.flags = wire::tcp_flags{flags};
        f.window = 65535;
        if (f.syn()) {
            f.options.mss = 1460;
            f.options.window_shift = 7;
            f.options.sack_permitted = true;
        }
        f.payload_first = std::span(reinterpret_cast<const uint8_t*>(data.data()), data.size());
        std::vector<uint8_t> out(wire::tcp_frame_size(f));
        std::size_t n = wire::write_tcp_frame(out, f);
        bytes.push_back(control);
        bytes.push_back(static_cast<uint8_t>(n));
        bytes.push_back(static_cast<uint8_t>(n >> 8));
        bytes.insert(bytes.end(), out.begin(), out.begin() + static_cast<long>(n));
    }

    void save(const std::string& path) const {
        std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                    static_cast<std::streamsize>(bytes.size()));
    }
};

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: make_corpus DIR\n");
        return 2;
    }
    std::string dir = argv[1];
    using f = wire::tcp_flags;
    recorder open_close;
    open_close.frame(f::syn, peer_isn, 0, "");
    open_close.frame(f::ack, peer_isn + 1, our_iss + 1, "");
    open_close.frame(f::ack | f::psh, peer_isn + 1, our_iss + 1, "GET / HTTP/1.1\r\n\r\n");
    open_close.frame(f::ack | f::fin, peer_isn + 19, our_iss + 1, "");
    open_close.save(dir + "/passive_open_data_close");

    recorder reorder;
    reorder.frame(f::syn, peer_isn, 0, "");
    reorder.frame(f::ack, peer_isn + 1, our_iss + 1, "");
    reorder.frame(f::ack, peer_isn + 11, our_iss + 1, "0123456789");
    reorder.frame(f::ack, peer_isn + 1, our_iss + 1, "abcdefghij");
    reorder.frame(f::rst, peer_isn + 21, 0, "", 0xfe);
    reorder.save(dir + "/out_of_order_then_rst");

    recorder closed;
    closed.frame(f::ack, 1, 2, "x");
    closed.frame(f::syn | f::fin | f::urg, 5, 0, "");
    closed.save(dir + "/closed_and_odd_flags");
    return 0;
}
