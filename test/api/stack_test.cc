// The public API's bring-your-own-packets stacks (fptcp::stack::create):
// frames go in with receive() and come out of take_tx(), with no fptcp port.
// Frames are built and read with lib/wire, as a peer would.
#include <rte_eal.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "fptcp/fptcp.hh"
#include "wire/arp.hh"
#include "wire/frame.hh"
#include "wire/tcp.hh"

namespace fptcp {
namespace {

constexpr uint32_t our_ip = 0x0a590001, peer_ip = 0x0a590002;  // 10.89.0.1, 10.89.0.2
constexpr std::array<uint8_t, 6> our_mac{0x02, 0, 0, 0, 0, 1}, peer_mac{0x02, 0, 0, 0, 0, 2};

rte_mempool* test_pool() {
    static rte_mempool* pool = rte_pktmbuf_pool_create("api_test", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
    return pool;
}

rte_mbuf* frame_of(std::span<const uint8_t> bytes) {
    rte_mbuf* m = rte_pktmbuf_alloc(test_pool());
    std::memcpy(rte_pktmbuf_mtod(m, uint8_t*), bytes.data(), bytes.size());
    m->data_len = m->pkt_len = static_cast<uint32_t>(bytes.size());
    return m;
}

// What a frame the stack sent is (checksums verified in software).
wire::parsed_frame parsed(rte_mbuf* m) {
    wire::parsed_frame f;
    auto bytes = std::span(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len);
    EXPECT_EQ(wire::parse_frame(bytes, {}, f), wire::parse_error::none);
    return f;
}

class counting_handler final : public handler {
public:
    void on_open(connection&) override { ++opened; }
    void on_data(connection& c) override {
        received += c.readable_size();
        c.consume(c.readable_size());
    }
    void on_peer_closed(connection& c) override { c.close(); }
    void on_closed(connection&, close_reason) override { ++closed; }
    int opened = 0, closed = 0;
    uint64_t received = 0;
};

class OwnPackets : public testing::Test {
protected:
    std::unique_ptr<stack> make(link_settings link = {}) {
        link.mac = our_mac;
        link.pool = test_pool();
        stack_settings s;
        s.ip = our_ip;
        s.max_connections = 8;
        s.max_time_wait = 8;
        std::string error;
        auto st = stack::create(link, s, _handler, error);
        EXPECT_NE(st, nullptr) << error;
        return st;
    }

    // Everything the stack wants sent, now the test's.
    std::vector<rte_mbuf*> take_all(stack& s) {
        std::vector<rte_mbuf*> out(64);
        out.resize(s.take_tx(out.data(), static_cast<uint32_t>(out.size())));
        return out;
    }

    static void free_all(const std::vector<rte_mbuf*>& frames) {
        for (rte_mbuf* m : frames) rte_pktmbuf_free(m);
    }

    counting_handler _handler;
    time_point _now{std::chrono::seconds(1)};
};

// The live line and telemetry set the drops of malformed or forged-looking
// frames apart from routine ones; every counter has its kind.
TEST(Stats, SuspectDropsAreDropsOfMalformedOrForgedFrames) {
    auto suspect = [](std::string_view name) {
        auto names = stats::names();
        for (std::size_t i = 0; i < names.size(); ++i) {
            if (names[i] == name) return stats::is_suspect_drop(i);
        }
        ADD_FAILURE() << name << " is not a counter";
        return false;
    };
    for (std::string_view name : {"drop_martian_source", "drop_frame_too_long", "drop_tcp_rst_not_exact",
                                  "drop_tcp_syn_in_synchronized", "drop_tcp_bad_ack", "drop_rx_bad_tcp_checksum",
                                  "drop_rx_truncated_ipv4"}) {
        EXPECT_TRUE(suspect(name)) << name;
    }
    for (std::string_view name : {"drop_not_for_us", "drop_tx_queue_full", "drop_tcp_paws", "drop_tcp_after_fin",
                                  "drop_tcp_closed_port", "drop_rx_unsupported_ethertype", "drop_rx_ipv4_fragment",
                                  "rx_packets", "state_ESTABLISHED"}) {
        EXPECT_FALSE(suspect(name)) << name;
    }
    stats s;
    s.values()[0] = 5;  // not a drop
    auto names = stats::names();
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (names[i] == "drop_martian_source" || names[i] == "drop_not_for_us") s.values()[i] = 2;
    }
    EXPECT_EQ(s.suspect_drops(), 2u);
    EXPECT_EQ(s.drops(), 4u);
}

TEST_F(OwnPackets, CreateRefusesALinkWithoutAPool) {
    stack_settings s;
    s.ip = our_ip;
    std::string error;
    EXPECT_EQ(stack::create(link_settings{}, s, _handler, error), nullptr);
    EXPECT_NE(error.find("mempool"), std::string::npos) << error;
}

TEST_F(OwnPackets, AnArpRequestForTheStackIsAnsweredThroughTakeTx) {
    auto s = make();
    std::array<uint8_t, 64> request{};
    std::size_t len = wire::write_arp_request(request, peer_mac, peer_ip, our_ip);
    rte_mbuf* in = frame_of(std::span(request.data(), len));
    s->receive(_now, &in, 1);
    std::vector<rte_mbuf*> out = take_all(*s);
    ASSERT_EQ(out.size(), 1u);
    wire::parsed_frame f = parsed(out[0]);
    EXPECT_EQ(f.kind, wire::frame_kind::arp);
    EXPECT_EQ(f.arp.op, wire::arp_op::reply);
    EXPECT_EQ(f.arp.sender_ip, our_ip);
    EXPECT_EQ(f.arp.sender_mac, our_mac);
    EXPECT_EQ(f.eth.dst, peer_mac);
    EXPECT_EQ(s->snapshot()[counter::arp_replies], 1u);
    free_all(out);
}

TEST_F(OwnPackets, WithoutANeighbourTheStackAsksArpFirstAndSendsTheSynOnTheReply) {
    auto s = make();
    ASSERT_NE(s->connect(_now, peer_ip, 80), nullptr);
    std::vector<rte_mbuf*> out = take_all(*s);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(parsed(out[0]).kind, wire::frame_kind::arp);
    free_all(out);

    std::array<uint8_t, 64> reply{};
    std::size_t len = wire::write_arp_reply(reply, peer_mac, peer_ip, our_mac, our_ip);
    rte_mbuf* in = frame_of(std::span(reply.data(), len));
    s->receive(_now, &in, 1);
    out = take_all(*s);
    ASSERT_EQ(out.size(), 1u);
    wire::parsed_frame f = parsed(out[0]);
    EXPECT_EQ(f.kind, wire::frame_kind::tcp);
    EXPECT_TRUE(f.tcp.flags.has(wire::tcp_flags::syn));
    EXPECT_EQ(f.eth.dst, peer_mac);
    free_all(out);
}

TEST_F(OwnPackets, ASeededNeighbourGetsTheSynAtOnce) {
    auto s = make();
    s->set_neighbor(peer_ip, peer_mac);
    ASSERT_NE(s->connect(_now, peer_ip, 80), nullptr);
    std::vector<rte_mbuf*> out = take_all(*s);
    ASSERT_EQ(out.size(), 1u);
    wire::parsed_frame f = parsed(out[0]);
    EXPECT_EQ(f.kind, wire::frame_kind::tcp);
    EXPECT_EQ(f.ip.dst, peer_ip);
    EXPECT_EQ(f.eth.dst, peer_mac);
    free_all(out);
}

TEST_F(OwnPackets, FramesBeyondTheTxQueueAreDroppedAndCounted) {
    auto s = make(link_settings{.tx_queue = 2});
    s->set_neighbor(peer_ip, peer_mac);
    for (int i = 0; i < 5; ++i) ASSERT_NE(s->connect(_now, peer_ip, 80), nullptr);
    std::vector<rte_mbuf*> out = take_all(*s);
    EXPECT_EQ(out.size(), 2u);
    EXPECT_EQ(s->snapshot().get("drop_tx_queue_full"), 3u);
    free_all(out);
}

TEST_F(OwnPackets, FramesThatAreNeitherArpNorIpv4AreDroppedAndCounted) {
    auto s = make();
    std::array<uint8_t, 60> ipv6{};
    std::memcpy(ipv6.data(), our_mac.data(), 6);
    std::memcpy(ipv6.data() + 6, peer_mac.data(), 6);
    ipv6[12] = 0x86;
    ipv6[13] = 0xdd;
    rte_mbuf* in = frame_of(ipv6);
    s->receive(_now, &in, 1);
    EXPECT_TRUE(take_all(*s).empty());
    EXPECT_EQ(s->snapshot().get("drop_rx_unsupported_ethertype"), 1u);
}

// A restarted program (a new stack whose clock starts again at zero) opens
// the same tuple with a later ISN and TSval, so that a Linux peer holding
// the last incarnation in TIME_WAIT accepts the SYN (RFC 6191): the ISN key
// is this boot's and the ISN timer counts from boot.
TEST_F(OwnPackets, ARestartedStackOpensTheSameTupleWithALaterIsnAndTsval) {
    auto first_syn = [&](wire::parsed_frame& f) {
        link_settings link{.mac = our_mac, .pool = test_pool()};
        stack_settings st;
        st.ip = our_ip;
        st.max_connections = 4;
        st.max_time_wait = 4;
        st.first_source_port = 40000;  // one source port: the same tuple each time
        st.source_ports = 1;
        std::string error;
        auto s = stack::create(link, st, _handler, error);
        ASSERT_NE(s, nullptr) << error;
        s->set_neighbor(peer_ip, peer_mac);
        ASSERT_NE(s->connect(time_point{}, peer_ip, 80), nullptr);  // the program's clock starts at 0
        std::vector<rte_mbuf*> out = take_all(*s);
        ASSERT_EQ(out.size(), 1u);
        f = parsed(out[0]);
        free_all(out);
    };
    wire::parsed_frame before, after;
    first_syn(before);
    constexpr uint32_t lived_ms = 20;  // the first program's connection lived this long
    std::this_thread::sleep_for(std::chrono::milliseconds(lived_ms));
    first_syn(after);
    ASSERT_EQ(before.tcp.src_port, after.tcp.src_port);
    // M ticks every 4 us: at least 20 ms later means at least 5,000 ticks,
    // and far fewer than an unrelated key's offset would give.
    uint32_t isn_ticks = after.tcp.seq - before.tcp.seq;
    EXPECT_GE(isn_ticks, lived_ms * 250);
    EXPECT_LT(isn_ticks, 10'000'000u);
    // The last TSval the first program sent was its first + 20 ms.
    EXPECT_GT(static_cast<int32_t>(after.tcp.options.ts_val - (before.tcp.options.ts_val + lived_ms)), 0);
}

// A peer written with lib/wire: handshake, 1,000 bytes, FIN; the stack
// listens, acknowledges, delivers and closes, all through receive/take_tx.
TEST_F(OwnPackets, APassiveConnectionCarriesDataAndCloses) {
    auto s = make();
    std::string error;
    ASSERT_TRUE(s->listen(80, error)) << error;
    s->set_neighbor(peer_ip, peer_mac);
    wire::tcp_frame_spec peer{.src_mac = peer_mac, .dst_mac = our_mac, .src_ip = peer_ip, .dst_ip = our_ip,
                              .src_port = 40000, .dst_port = 80, .seq = 1000};
    peer.window = 65535;
    auto send_peer = [&](uint8_t flags, std::span<const uint8_t> payload = {}) {
        peer.flags.bits = flags;
        peer.payload_first = payload;
        std::array<uint8_t, 2048> bytes{};
        std::size_t len = wire::write_tcp_frame(bytes, peer);
        rte_mbuf* in = frame_of(std::span(bytes.data(), len));
        s->receive(_now, &in, 1);
        peer.seq += static_cast<uint32_t>(payload.size()) + ((flags & (wire::tcp_flags::syn | wire::tcp_flags::fin)) ? 1 : 0);
    };
    send_peer(wire::tcp_flags::syn);
    std::vector<rte_mbuf*> out = take_all(*s);
    ASSERT_EQ(out.size(), 1u);
    wire::parsed_frame syn_ack = parsed(out[0]);
    ASSERT_TRUE(syn_ack.tcp.flags.has(wire::tcp_flags::syn) && syn_ack.tcp.flags.has(wire::tcp_flags::ack));
    peer.ack = syn_ack.tcp.seq + 1;
    free_all(out);

    send_peer(wire::tcp_flags::ack);
    EXPECT_EQ(_handler.opened, 1);
    std::vector<uint8_t> data(1000, 'x');
    send_peer(wire::tcp_flags::ack | wire::tcp_flags::psh, data);
    EXPECT_EQ(_handler.received, 1000u);
    send_peer(wire::tcp_flags::ack | wire::tcp_flags::fin);
    out = take_all(*s);
    ASSERT_FALSE(out.empty());
    wire::parsed_frame last = parsed(out.back());
    EXPECT_TRUE(last.tcp.flags.has(wire::tcp_flags::fin));  // our FIN after the handler's close()
    EXPECT_EQ(last.tcp.ack, peer.seq);                      // the data and the peer's FIN acknowledged
    free_all(out);
    EXPECT_EQ(s->snapshot()[counter::connections_opened], 1u);
}

}  // namespace
}  // namespace fptcp

int main(int argc, char** argv) {
    testing::InitGoogleTest(&argc, argv);
    std::string prefix = "--file-prefix=fptcp-api-test-" + std::to_string(::getpid());
    std::vector<std::string> args{argv[0], "-l", "0", "--no-huge", "-m", "256", "--no-pci", "--no-shconf", prefix,
                                  "--log-level=lib.eal:warning"};
    std::vector<char*> eal_argv;
    for (auto& a : args) eal_argv.push_back(a.data());
    if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) return 1;
    int result = RUN_ALL_TESTS();
    rte_eal_cleanup();
    return result;
}
