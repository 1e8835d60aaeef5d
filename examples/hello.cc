// fptcp-hello: the smallest server, the one docs/api.md shows. It answers
// every request on 10.70.0.2:80 (a TAP interface, fptcp0, whose kernel side
// is 10.70.0.1/24) with "hi", until Ctrl-C:
//
//   fptcp-hello &  curl http://10.70.0.2/

#include <cstdio>
#include <string>

#include "fptcp/fptcp.hh"

class hello final : public fptcp::handler {
    void on_data(fptcp::connection& c) override {
        c.consume(c.readable_size());
        static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nhi\n";
        c.send({reinterpret_cast<const uint8_t*>(reply), sizeof reply - 1});
    }
    void on_peer_closed(fptcp::connection& c) override { c.close(); }
};

int main(int, char** argv) {
    fptcp::runtime_settings s;  // tap:fptcp0 on CPU 0 by default
    s.kernel_ip = 0x0a460001;   // the TAP's kernel side: 10.70.0.1/24
    s.stack.ip = 0x0a460002;    // fptcp: 10.70.0.2/24
    std::string error;
    auto rt = fptcp::runtime::start(s, argv[0], error);  // the EAL, the port
    if (!rt) return std::fprintf(stderr, "%s\n", error.c_str()), 1;
    hello h;
    fptcp::stack* st = rt->create_stack(0, h, error);  // lcore 0's stack
    if (!st || !st->listen(80, error)) return std::fprintf(stderr, "%s\n", error.c_str()), 1;
    rt->run();  // until Ctrl-C
}
