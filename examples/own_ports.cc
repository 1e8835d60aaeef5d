// fptcp-own-ports: bring your own packets. An appliance that already owns
// its DPDK ports (a load balancer, a firewall) keeps its RX and TX loop and
// hands fptcp the frames meant for it; fptcp gives back the frames to send.
// No fptcp port is involved: this program starts the EAL and makes its two
// ports itself, a net_ring pair wired back to back (what one sends, the
// other receives), and runs a stack on each. The client echoes 4 MiB
// through the server and checks every byte; ARP between them is the stacks'
// own. It needs no privilege and no NIC:
//
//   fptcp-own-ports [--cpu N]
//
// Unlike the other examples, it includes DPDK: owning ports means using
// DPDK's ethdev API directly. fptcp's side is stack::create, receive,
// take_tx and poll (docs/api.md, "Bring your own packets").

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "fptcp/fptcp.hh"

namespace {

constexpr uint32_t server_ip = 0x0a580001, client_ip = 0x0a580002;  // 10.88.0.1, 10.88.0.2
constexpr uint16_t echo_port = 7;
constexpr uint32_t total_bytes = 4 << 20;
constexpr uint16_t burst = 32;

// The byte at offset i of the stream the client sends.
uint8_t pattern(uint64_t i) { return static_cast<uint8_t>(i * 7 + (i >> 11)); }

// Every byte back, and our FIN once the peer's came and all is echoed.
class echo_server final : public fptcp::handler {
    void on_data(fptcp::connection& c) override { echo(c); }
    void on_writable(fptcp::connection& c) override { echo(c); }
    void on_peer_closed(fptcp::connection& c) override {
        c.user = &peer_closed;
        echo(c);
    }
    void echo(fptcp::connection& c) {
        uint32_t n = 0;
        for (auto part : c.readable()) {
            uint32_t sent = c.send(part);
            n += sent;
            if (sent < part.size()) break;
        }
        c.consume(n);
        if (c.user == &peer_closed && c.readable_size() == 0) c.shutdown();
    }
    int peer_closed = 0;  // its address marks a connection whose peer closed
};

// Sends the pattern, checks what comes back, and closes when all returned.
class echo_client final : public fptcp::handler {
public:
    void on_open(fptcp::connection& c) override { push(c); }
    void on_writable(fptcp::connection& c) override { push(c); }
    void on_data(fptcp::connection& c) override {
        uint32_t n = 0;
        for (auto part : c.readable()) {
            for (uint8_t b : part) mismatches += b != pattern(received + n++);
        }
        received += n;
        c.consume(n);
        if (received == total_bytes) c.close();
    }
    void on_closed(fptcp::connection&, fptcp::close_reason r) override {
        done = true;
        reason = r;
    }

    uint64_t received = 0, mismatches = 0;
    bool done = false;
    fptcp::close_reason reason = fptcp::close_reason::none;

private:
    void push(fptcp::connection& c) {
        std::array<uint8_t, 16384> chunk;
        while (_sent < total_bytes) {
            uint32_t len = std::min<uint32_t>(chunk.size(), total_bytes - _sent);
            for (uint32_t i = 0; i < len; ++i) chunk[i] = pattern(_sent + i);
            uint32_t n = c.send(std::span(chunk.data(), len));
            _sent += n;
            if (n < len) return;
        }
        c.shutdown();
    }
    uint64_t _sent = 0;
};

// One DPDK port of the application's, and the stack it carries.
struct owned_port {
    uint16_t id = 0;
    std::unique_ptr<fptcp::stack> stack;

    // The application's loop body: its RX burst into the stack, the stack's
    // timers, the stack's frames out in its TX burst.
    void turn(fptcp::time_point now) {
        std::array<rte_mbuf*, burst> frames;
        uint16_t n = rte_eth_rx_burst(id, 0, frames.data(), burst);
        stack->receive(now, frames.data(), n);
        stack->poll(now);
        for (uint32_t k; (k = stack->take_tx(frames.data(), burst)) > 0;) {
            uint16_t sent = rte_eth_tx_burst(id, 0, frames.data(), static_cast<uint16_t>(k));
            rte_pktmbuf_free_bulk(frames.data() + sent, k - sent);
        }
    }
};

bool start_port(uint16_t id, rte_mempool* pool, std::string& error) {
    rte_eth_conf conf{};
    if (rte_eth_dev_configure(id, 1, 1, &conf) != 0 ||
        rte_eth_rx_queue_setup(id, 0, 1024, rte_socket_id(), nullptr, pool) != 0 ||
        rte_eth_tx_queue_setup(id, 0, 1024, rte_socket_id(), nullptr) != 0 || rte_eth_dev_start(id) != 0) {
        error = "cannot start port " + std::to_string(id);
        return false;
    }
    return true;
}

// Two ethdevs over two rings: a's TX ring is b's RX ring and back.
bool make_ring_pair(uint16_t& a, uint16_t& b, std::string& error) {
    rte_ring* ab = rte_ring_create("own_ab", 1024, rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
    rte_ring* ba = rte_ring_create("own_ba", 1024, rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
    int pa = ab && ba ? rte_eth_from_rings("own_a", &ba, 1, &ab, 1, rte_socket_id()) : -1;
    int pb = pa >= 0 ? rte_eth_from_rings("own_b", &ab, 1, &ba, 1, rte_socket_id()) : -1;
    if (pb < 0) {
        error = "cannot make the net_ring pair";
        return false;
    }
    a = static_cast<uint16_t>(pa);
    b = static_cast<uint16_t>(pb);
    return true;
}

std::unique_ptr<fptcp::stack> stack_on(uint16_t port, rte_mempool* pool, uint32_t ip, fptcp::handler& h,
                                       std::string& error) {
    rte_ether_addr mac;
    rte_eth_macaddr_get(port, &mac);
    fptcp::link_settings link;
    std::memcpy(link.mac.data(), mac.addr_bytes, link.mac.size());
    link.pool = pool;
    fptcp::stack_settings s;
    s.ip = ip;
    s.max_connections = 16;
    s.max_time_wait = 16;
    return fptcp::stack::create(link, s, h, error);
}

int run(std::string& error) {
    rte_mempool* pool = rte_pktmbuf_pool_create("own_pool", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
    std::array<owned_port, 2> ports;
    if (pool == nullptr || !make_ring_pair(ports[0].id, ports[1].id, error)) return 1;
    for (auto& p : ports) {
        if (!start_port(p.id, pool, error)) return 1;
    }
    echo_server server;
    echo_client client;
    if (!(ports[0].stack = stack_on(ports[0].id, pool, server_ip, server, error)) ||
        !(ports[1].stack = stack_on(ports[1].id, pool, client_ip, client, error)) ||
        !ports[0].stack->listen(echo_port, error)) {
        return 1;
    }
    auto start = std::chrono::steady_clock::now();
    auto now = [start] {
        return fptcp::time_point(std::chrono::duration_cast<fptcp::duration>(std::chrono::steady_clock::now() - start));
    };
    if (ports[1].stack->connect(now(), server_ip, echo_port) == nullptr) {
        error = "connect failed";
        return 1;
    }
    while (!client.done && now() < fptcp::time_point(std::chrono::seconds(30))) {
        for (auto& p : ports) p.turn(now());
    }
    fptcp::stats st = ports[0].stack->snapshot();
    st += ports[1].stack->snapshot();
    std::printf("fptcp-own-ports: %lu of %u bytes echoed over a net_ring pair, %lu wrong, %s; ARP replies %lu, "
                "drops %lu\n",
                client.received, total_bytes, client.mismatches,
                client.done ? std::string(to_string(client.reason)).c_str() : "timed out", st[fptcp::counter::arp_replies],
                st.drops());
    for (auto& p : ports) {
        p.stack.reset();
        rte_eth_dev_stop(p.id);
        rte_eth_dev_close(p.id);
    }
    rte_mempool_free(pool);
    bool ok = client.done && client.reason == fptcp::close_reason::normal && client.received == total_bytes &&
              client.mismatches == 0;
    if (!ok) error = "the echo did not complete";
    return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    std::string cpu = std::to_string(fptcp::default_peer_cpu());
    if (argc == 3 && std::string(argv[1]) == "--cpu") cpu = argv[2];
    std::string prefix = "--file-prefix=fptcp-own-ports-" + std::to_string(::getpid());
    std::vector<std::string> args{argv[0], "-l", cpu, "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
                                  prefix, "--log-level=lib.eal:warning"};
    std::vector<char*> eal_argv;
    for (auto& a : args) eal_argv.push_back(a.data());
    if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
        std::fprintf(stderr, "fptcp-own-ports: the EAL did not start\n");
        return 1;
    }
    std::string error;
    int code = run(error);
    if (code != 0) std::fprintf(stderr, "fptcp-own-ports: %s\n", error.c_str());
    rte_eal_cleanup();
    return code;
}
