// lib/port against a running EAL (--no-huge): ring ports back to back, a TAP
// port whose kernel side answers ARP, an af_packet port on a veth pair. Own
// main(): the EAL starts once.
#include "port/eal.hh"
#include "port/kernel_interface.hh"
#include "port/port.hh"

#include <gtest/gtest.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace fptcp::port {
namespace {

std::string g_program;
std::string g_eal_error = "not started";
std::string g_tap_name;  // empty: no TAP in this run (not root or no /dev/net/tun)
std::string g_veth_name;  // empty: no veth pair in this run (not root, or `ip` failed)
unsigned g_veth_index = 0;  // the af_packet port's position in the EAL's ports

bool tap_possible() {
    struct stat st {};
    return ::geteuid() == 0 && ::stat("/dev/net/tun", &st) == 0;
}

port_spec spec_of(std::string_view text) {
    std::string error;
    auto spec = parse_port_spec(text, error);
    EXPECT_TRUE(spec.has_value()) << error;
    return spec.value_or(port_spec{});
}

std::unique_ptr<port> open_or_fail(std::string_view text, unsigned index, const port_settings& settings = {}) {
    std::string error;
    auto p = port::open(spec_of(text), index, settings, error);
    EXPECT_NE(p, nullptr) << error;
    return p;
}

// A frame of `size` bytes whose payload carries `tag`, allocated from `pool`.
rte_mbuf* make_frame(rte_mempool* pool, uint16_t size, uint8_t tag) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool);
    if (m == nullptr) {
        return nullptr;
    }
    auto* data = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, size));
    if (data == nullptr) {
        rte_pktmbuf_free(m);
        return nullptr;
    }
    for (uint16_t i = 0; i < size; ++i) {
        data[i] = static_cast<uint8_t>(tag + i);
    }
    return m;
}

bool frame_matches(const rte_mbuf* m, uint16_t size, uint8_t tag) {
    if (rte_pktmbuf_pkt_len(m) != size || m->nb_segs != 1) {
        return false;
    }
    const auto* data = rte_pktmbuf_mtod(m, const uint8_t*);
    for (uint16_t i = 0; i < size; ++i) {
        if (data[i] != static_cast<uint8_t>(tag + i)) {
            return false;
        }
    }
    return true;
}

// Sends `count` tagged frames from `from` (queue q) and checks that `to`
// receives exactly them, in order, on queue q.
void send_and_check(port& from, port& to, uint16_t queue, unsigned count, uint8_t tag) {
    std::vector<rte_mbuf*> out(count);
    for (unsigned i = 0; i < count; ++i) {
        out[i] = make_frame(from.pool(), static_cast<uint16_t>(60 + i * 40), static_cast<uint8_t>(tag + i));
        ASSERT_NE(out[i], nullptr);
    }
    ASSERT_EQ(from.tx_burst(queue, out.data(), static_cast<uint16_t>(count)), count);
    std::vector<rte_mbuf*> in(count + 1);
    uint16_t got = to.rx_burst(queue, in.data(), static_cast<uint16_t>(count + 1));
    ASSERT_EQ(got, count);
    for (unsigned i = 0; i < count; ++i) {
        EXPECT_TRUE(frame_matches(in[i], static_cast<uint16_t>(60 + i * 40), static_cast<uint8_t>(tag + i))) << i;
        rte_pktmbuf_free(in[i]);
    }
}

TEST(Eal, StartedWithoutHugepages) { EXPECT_EQ(g_eal_error, ""); }

TEST(Eal, SecondStartIsAnErrorNotACrash) {
    eal_settings s;
    s.allow_hugepages = false;
    s.file_prefix = "fptcp-test-again-" + std::to_string(::getpid());
    auto error = start_eal(s, "again");
    EXPECT_NE(error, "");
    EXPECT_EQ(error.find('\n'), std::string::npos);
}

TEST(Eal, BadPassthroughGivesOneLineAndNoPanic) {
    std::string command = g_program + " --bad-eal-child 2>&1";
    FILE* child = ::popen(command.c_str(), "r");
    ASSERT_NE(child, nullptr);
    std::string out;
    char buf[512];
    while (std::fgets(buf, sizeof(buf), child) != nullptr) {
        out += buf;
    }
    int status = ::pclose(child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << out;
    EXPECT_NE(out.find("DPDK EAL start-up failed: Invalid argument ("), std::string::npos) << out;
    EXPECT_NE(out.find("--no-such-eal-option"), std::string::npos) << out;
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
}

TEST(RingPort, TwoPortsExchangeFramesBothWays) {
    auto a = open_or_fail("ring:both", 0);
    auto b = open_or_fail("ring:both", 1);
    ASSERT_TRUE(a && b);
    EXPECT_NE(a->id(), b->id());
    EXPECT_EQ(a->name(), "net_ring_both_0");
    EXPECT_EQ(b->name(), "net_ring_both_1");
    EXPECT_TRUE(a->link_up());
    EXPECT_NE(a->pool(), b->pool());
    send_and_check(*a, *b, 0, 32, 1);
    send_and_check(*b, *a, 0, 32, 100);
    std::array<rte_mbuf*, 4> none{};
    EXPECT_EQ(a->rx_burst(0, none.data(), 4), 0);  // a never sees its own frames
    EXPECT_EQ(b->rx_burst(0, none.data(), 4), 0);
}

TEST(RingPort, FullSizeFramesArriveIntact) {
    auto a = open_or_fail("ring:full", 0);
    auto b = open_or_fail("ring:full", 1);
    ASSERT_TRUE(a && b);
    rte_mbuf* m = make_frame(a->pool(), 1514, 7);
    ASSERT_NE(m, nullptr);
    ASSERT_EQ(a->tx_burst(0, &m, 1), 1);
    rte_mbuf* in = nullptr;
    ASSERT_EQ(b->rx_burst(0, &in, 1), 1);
    EXPECT_TRUE(frame_matches(in, 1514, 7));
    rte_pktmbuf_free(in);
}

TEST(RingPort, QueuesAreWiredQueueToQueue) {
    port_settings s;
    s.rx_queues = 4;
    s.tx_queues = 4;
    auto a = open_or_fail("ring:multi", 0, s);
    auto b = open_or_fail("ring:multi", 1, s);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->queues(), 4);
    EXPECT_EQ(b->tx_queues(), 4);
    EXPECT_FALSE(a->rss());  // ring ports have no hash: software dispatch
    for (uint16_t q = 0; q < 4; ++q) {
        send_and_check(*a, *b, q, 3, static_cast<uint8_t>(q * 10));
        send_and_check(*b, *a, q, 3, static_cast<uint8_t>(q * 10 + 5));
    }
}

TEST(RingPort, ThirdPortOnALinkIsRefused) {
    auto a = open_or_fail("ring:three", 0);
    auto b = open_or_fail("ring:three", 1);
    std::string error;
    auto c = port::open(spec_of("ring:three"), 2, {}, error);
    EXPECT_EQ(c, nullptr);
    EXPECT_EQ(error, "port ring:three: ring link 'three' already has two ports");
}

TEST(RingPort, LinkCanBeReopenedAndInFlightFramesAreReclaimed) {
    for (int round = 0; round < 3; ++round) {
        auto a = open_or_fail("ring:again", 0);
        auto b = open_or_fail("ring:again", 1);
        ASSERT_TRUE(a && b);
        std::array<rte_mbuf*, 8> frames{};
        for (auto& m : frames) {
            m = make_frame(a->pool(), 100, 1);
            ASSERT_NE(m, nullptr);
        }
        // Left unread in the ring: closing the ports must free them.
        ASSERT_EQ(a->tx_burst(0, frames.data(), 8), 8);
    }
}

TEST(RingPort, LongestNameOpens) {
    auto a = open_or_fail("ring:abcdefghijklmnopq", 0);
    auto b = open_or_fail("ring:abcdefghijklmnopq", 1);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(b->name(), "net_ring_abcdefghijklmnopq_1");
    send_and_check(*a, *b, 0, 1, 9);
}

TEST(RingPort, MacAddressesDiffer) {
    auto a = open_or_fail("ring:mac", 0);
    auto b = open_or_fail("ring:mac", 1);
    ASSERT_TRUE(a && b);
    EXPECT_NE(a->mac(), b->mac());
    EXPECT_EQ(a->mac()[0], 0x02);  // locally administered unicast
}

// ARP request (RFC 826) from the DPDK side asking for the kernel's address.
rte_mbuf* arp_request(rte_mempool* pool, const std::array<uint8_t, 6>& mac, uint32_t sender_ip, uint32_t target_ip) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool);
    auto* f = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, 42));
    std::memset(f, 0xff, 6);
    std::memcpy(f + 6, mac.data(), 6);
    const uint8_t header[] = {0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01};
    std::memcpy(f + 12, header, sizeof(header));
    std::memcpy(f + 22, mac.data(), 6);
    for (int i = 0; i < 4; ++i) {
        f[28 + i] = static_cast<uint8_t>(sender_ip >> (24 - 8 * i));
        f[32 + i] = 0;
        f[38 + i] = static_cast<uint8_t>(target_ip >> (24 - 8 * i));
    }
    std::memset(f + 32, 0, 6);
    return m;
}

TEST(TapPort, OpensAndKernelSideAnswersArp) {
    if (g_tap_name.empty()) {
        GTEST_SKIP() << "needs root and /dev/net/tun";
    }
    auto p = open_or_fail("tap:" + g_tap_name, 0);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->name(), "net_tap0");
    EXPECT_EQ(p->mac()[0], 0x02);  // mac=fixed: 02:64:74:61:70:xx
    EXPECT_EQ(p->mac()[1], 0x64);
    EXPECT_TRUE(p->tx_checksum_offload());
    const uint32_t subnet = (10U << 24) | (199U << 16) | ((static_cast<uint32_t>(::getpid()) % 250) << 8);
    const uint32_t kernel_ip = subnet | 1;
    const uint32_t our_ip = subnet | 2;
    ASSERT_EQ(configure_kernel_interface(g_tap_name, kernel_ip, 24), "");
    EXPECT_EQ(kernel_interface_address(g_tap_name), kernel_ip);
    EXPECT_TRUE(kernel_interface_up(g_tap_name));
    EXPECT_TRUE(p->wait_for_link(2000));

    bool answered = false;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    auto next_request = std::chrono::steady_clock::now();
    while (!answered && std::chrono::steady_clock::now() < deadline) {
        if (std::chrono::steady_clock::now() >= next_request) {
            rte_mbuf* request = arp_request(p->pool(), p->mac(), our_ip, kernel_ip);
            if (p->tx_burst(0, &request, 1) != 1) {
                rte_pktmbuf_free(request);
            }
            next_request += std::chrono::milliseconds(200);
        }
        std::array<rte_mbuf*, 32> in{};
        uint16_t n = p->rx_burst(0, in.data(), 32);
        for (uint16_t i = 0; i < n; ++i) {
            const auto* f = rte_pktmbuf_mtod(in[i], const uint8_t*);
            if (rte_pktmbuf_data_len(in[i]) >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[21] == 2 &&
                std::memcmp(f, p->mac().data(), 6) == 0) {
                answered = true;
            }
            rte_pktmbuf_free(in[i]);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_TRUE(answered) << "no ARP reply from the kernel side of " << g_tap_name;
    EXPECT_EQ(remove_kernel_address(g_tap_name), "");
    EXPECT_EQ(kernel_interface_address(g_tap_name), std::nullopt);
}

TEST(KernelInterface, MissingInterfaceGivesAnError) {
    auto error = configure_kernel_interface("fptcp-nosuch", (10U << 24) | 1, 24);
    EXPECT_NE(error.find("fptcp-nosuch"), std::string::npos) << error;
    EXPECT_EQ(kernel_interface_address("fptcp-nosuch"), std::nullopt);
    EXPECT_NE(configure_kernel_interface("lo", 1, 33), "");
}

// An af_packet port on one end of a veth pair (the other end up in this
// namespace, IPv6 off on both so the kernel sends nothing of its own there).
// A frame over the MTU is taken by the PMD into its ring but skipped by the
// kernel (the PMD sets PACKET_LOSS): counters().tx_unsent must show it.
TEST(AfPacketPort, FramesTheKernelDoesNotSendAreCountedUnsent) {
    if (g_veth_name.empty()) {
        GTEST_SKIP() << "needs root and a veth pair";
    }
    auto p = open_or_fail("af_packet:" + g_veth_name, g_veth_index);
    ASSERT_NE(p, nullptr);
    auto before = kernel_interface_tx_packets(g_veth_name);
    ASSERT_TRUE(before.has_value());
    constexpr unsigned fitting = 20, oversized = 10;
    std::vector<rte_mbuf*> out;
    for (unsigned i = 0; i < fitting + oversized; ++i) {
        uint16_t size = i % 3 == 2 ? 1600 : 1514;  // every third over MTU 1500 + 14
        out.push_back(make_frame(p->pool(), size, static_cast<uint8_t>(i)));
        ASSERT_NE(out.back(), nullptr);
    }
    ASSERT_EQ(p->tx_burst(0, out.data(), static_cast<uint16_t>(out.size())), out.size());
    uint64_t sent = 0;
    for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
         sent < fitting && std::chrono::steady_clock::now() < deadline;
         std::this_thread::sleep_for(std::chrono::milliseconds(10))) {
        sent = kernel_interface_tx_packets(g_veth_name).value_or(*before) - *before;
    }
    EXPECT_EQ(sent, fitting);
    port_counters c = p->counters();
    EXPECT_EQ(c.tx_packets + c.tx_errors, fitting + oversized);
    EXPECT_EQ(c.tx_unsent, oversized);
}

TEST(KernelInterface, TxPacketsOfAMissingInterfaceIsUnknown) {
    EXPECT_EQ(kernel_interface_tx_packets("fptcp-nosuch"), std::nullopt);
    EXPECT_TRUE(kernel_interface_tx_packets("lo").has_value());
}

// --bad-eal-child: rte_eal_init with an unknown option must come back with
// an error string (printed on stdout) instead of exiting or panicking.
int bad_eal_child(const char* program) {
    eal_settings s;
    s.allow_hugepages = false;
    s.file_prefix = "fptcp-test-bad-" + std::to_string(::getpid());
    s.passthrough = "--no-such-eal-option";
    auto error = start_eal(s, program);
    std::printf("%s\n", error.c_str());
    return error.empty() || error.find('\n') != std::string::npos ? 1 : 0;
}

// --memif-child SOCKET server|client: a second process on one end of a memif
// link. The server echoes frames until it has echoed 64; the client sends 64
// tagged frames and checks the echoes. Exit code 0 when all went well.
int memif_child(const char* program, const std::string& socket, bool server) {
    eal_settings s;
    s.allow_hugepages = false;
    s.memory_mb = 128;
    s.file_prefix = "fptcp-test-memif-" + std::to_string(::getpid());
    if (!server) s.lcores = std::to_string(default_peer_cpu());  // docs/ports.md: the memif race
    std::string error;
    s.ports.push_back(*parse_port_spec("memif:" + socket + (server ? ",role=server" : ",role=client"), error));
    if (auto e = start_eal(s, program); !e.empty()) {
        std::fprintf(stderr, "%s\n", e.c_str());
        return 2;
    }
    auto p = port::open(s.ports[0], 0, {}, error);
    if (p == nullptr || !p->wait_for_link(5000)) {
        std::fprintf(stderr, "memif %s: %s\n", server ? "server" : "client", p ? "no link" : error.c_str());
        return 3;
    }
    constexpr unsigned frames = 64;
    unsigned sent = 0;
    unsigned done = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (done < frames && std::chrono::steady_clock::now() < deadline) {
        if (!server && sent < frames) {
            rte_mbuf* m = make_frame(p->pool(), static_cast<uint16_t>(64 + sent * 20), static_cast<uint8_t>(sent));
            if (m != nullptr && p->tx_burst(0, &m, 1) == 1) {
                ++sent;
            } else if (m != nullptr) {
                rte_pktmbuf_free(m);
            }
        }
        std::array<rte_mbuf*, 32> in{};
        uint16_t n = p->rx_burst(0, in.data(), 32);
        for (uint16_t i = 0; i < n; ++i) {
            if (server) {
                if (p->tx_burst(0, &in[i], 1) != 1) {
                    rte_pktmbuf_free(in[i]);
                }
            } else {
                if (!frame_matches(in[i], static_cast<uint16_t>(64 + done * 20), static_cast<uint8_t>(done))) {
                    std::fprintf(stderr, "memif client: echo %u differs\n", done);
                    return 4;
                }
                rte_pktmbuf_free(in[i]);
            }
            ++done;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    // Let the last echoes leave before the server closes its end.
    std::this_thread::sleep_for(std::chrono::milliseconds(server ? 200 : 0));
    p.reset();
    stop_eal();
    return done == frames ? 0 : 5;
}

TEST(MemifPort, TwoProcessesExchangeFrames) {
    std::string socket = "/tmp/fptcp-port-test-" + std::to_string(::getpid()) + ".sock";
    std::string server = g_program + " --memif-child " + socket + " server";
    std::string client = g_program + " --memif-child " + socket + " client";
    FILE* server_process = ::popen(server.c_str(), "r");
    ASSERT_NE(server_process, nullptr);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let the server listen
    int client_status = std::system(client.c_str());
    int server_status = ::pclose(server_process);
    EXPECT_TRUE(WIFEXITED(client_status) && WEXITSTATUS(client_status) == 0) << client_status;
    EXPECT_TRUE(WIFEXITED(server_status) && WEXITSTATUS(server_status) == 0) << server_status;
    struct stat st {};
    EXPECT_NE(::stat(socket.c_str(), &st), 0) << "the server removes its socket on close";
}

// fpv<pid> and its peer fpw<pid>, both up, without IPv6. Root only.
bool make_veth_pair() {
    if (::geteuid() != 0) {
        return false;
    }
    std::string name = "fpv" + std::to_string(::getpid());
    std::string peer = "fpw" + std::to_string(::getpid());
    std::string commands = "ip link add " + name + " type veth peer name " + peer + " && sysctl -qw net.ipv6.conf." +
                           name + ".disable_ipv6=1 net.ipv6.conf." + peer + ".disable_ipv6=1 && ip link set " + name +
                           " up && ip link set " + peer + " up";
    if (std::system(("(" + commands + ") >/dev/null 2>&1").c_str()) != 0) {
        std::system(("ip link del " + name + " >/dev/null 2>&1").c_str());
        return false;
    }
    g_veth_name = name;
    return true;
}

void remove_veth_pair() {
    if (!g_veth_name.empty()) {
        std::system(("ip link del " + g_veth_name + " >/dev/null 2>&1").c_str());
    }
}

}  // namespace
}  // namespace fptcp::port

int main(int argc, char** argv) {
    using namespace fptcp::port;
    if (argc > 1 && std::strcmp(argv[1], "--bad-eal-child") == 0) {
        return bad_eal_child(argv[0]);
    }
    if (argc > 3 && std::strcmp(argv[1], "--memif-child") == 0) {
        return memif_child(argv[0], argv[2], std::strcmp(argv[3], "server") == 0);
    }
    g_program = argv[0];
    testing::InitGoogleTest(&argc, argv);
    eal_settings s;
    s.allow_hugepages = false;
    s.memory_mb = 256;
    s.file_prefix = "fptcp-port-test-" + std::to_string(::getpid());
    if (tap_possible()) {
        g_tap_name = "fpt" + std::to_string(::getpid());
        std::string error;
        s.ports.push_back(*parse_port_spec("tap:" + g_tap_name, error));
    }
    if (make_veth_pair()) {
        g_veth_index = static_cast<unsigned>(s.ports.size());
        std::string error;
        s.ports.push_back(*parse_port_spec("af_packet:" + g_veth_name, error));
    }
    g_eal_error = start_eal(s, argv[0]);
    if (!g_eal_error.empty()) {
        std::fprintf(stderr, "%s\n", g_eal_error.c_str());
        return 1;
    }
    int result = RUN_ALL_TESTS();
    stop_eal();
    remove_veth_pair();
    return result;
}
