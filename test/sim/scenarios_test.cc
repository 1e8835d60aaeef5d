// Peers that crash or reboot, many concurrent connections, and a path of
// 10 Gbit/s x 10 ms that only window scaling can fill (issue 4, item 5).

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "sim_test.hh"

namespace {

using namespace fptcp;
using namespace fptcp::sim;
using namespace std::chrono_literals;

using SimPeer = SimTest;

// RFC 9293 3.8.3 (R2): a peer that vanishes mid-transfer is given up on
// after the retransmission limit, and the application is told why.
TEST_F(SimPeer, PeerThatCrashesMidTransferIsGivenUpOnWithRetransmitTimeout) {
    transfer t;
    open(t);
    net.run([] { return false; }, 30ms);  // mid-transfer
    ASSERT_GT(apps_b[0].received, 0u);
    ASSERT_LT(apps_b[0].received, t.bytes);
    net.b().crash();
    ASSERT_TRUE(net.run([this] { return apps_a[0].finished; }, std::chrono::hours(1)));
    outcome o = measure(net.start);
    o.completed = true;
    report("peer crash mid-transfer", o);
    EXPECT_EQ(apps_a[0].reason, close_reason::retransmit_timeout);
    EXPECT_GT(net.a().sender().timeouts, 10u);  // backed-off RTOs up to the limit (max_retransmits 15)
    EXPECT_GT(net.stats[0].down_drops, 0u);
    net.run([this] { return net.idle(); }, 10min);
}

// RFC 9293 3.8.4, RFC 1122 4.2.3.6: an idle connection with keepalive on
// finds out that its peer crashed after keepalive_idle plus the unanswered
// probes, and closes with keepalive_timeout.
TEST_F(SimPeer, KeepaliveDetectsAPeerThatCrashedWhileIdle) {
    set_both_hosts([](tcp_config& c) { c.keepalive = true; });
    transfer t{.bytes = 10'000, .close_when_sent = false};
    open(t);
    ASSERT_TRUE(net.run([this] { return apps_b[0].received == 10'000 && apps_a[0].received == 10'000; }, 10s));
    net.run([] { return false; }, 1s);  // every ACK arrives: nothing in flight
    time_point crashed = net.now;
    net.b().crash();
    ASSERT_TRUE(net.run([this] { return apps_a[0].finished; }, std::chrono::hours(4)));
    double after = std::chrono::duration<double>(net.now - crashed).count();
    outcome o = measure(net.start);
    o.completed = true;
    report("keepalive, peer crashed", o);
    EXPECT_EQ(apps_a[0].reason, close_reason::keepalive_timeout);
    tcp_config defaults;
    double idle = std::chrono::duration<double>(defaults.keepalive_idle).count();
    double probes = std::chrono::duration<double>(defaults.keepalive_interval).count() * defaults.keepalive_probes;
    EXPECT_GE(after, idle + probes - 1);
    EXPECT_LE(after, idle + probes + 1);
    net.run([this] { return net.idle(); }, 10min);
}

// RFC 9293 3.5.2 and RFC 5961 4: A reboots and opens the same 4-tuple
// afresh. B, still ESTABLISHED, answers the SYN with a challenge ACK; A,
// in SYN_SENT, answers that unacceptable ACK with a RST at exactly B's
// RCV.NXT; B closes with reset_by_peer; A's retransmitted SYN then opens a
// new connection that carries data both ways.
TEST_F(SimPeer, PeerThatRebootsAndReopensTheTupleResetsTheOldConnection) {
    transfer t{.bytes = 10'000, .close_when_sent = false};
    open(t);
    ASSERT_TRUE(net.run([this] { return apps_b[0].received == 10'000 && apps_a[0].received == 10'000; }, 10s));
    net.run([] { return false; }, 1s);  // every ACK arrives: nothing in flight
    net.a().crash();
    net.run([] { return false; }, 5s);
    net.a().reboot();

    app_state new_a, new_b;
    new_a.to_send = new_b.to_send = 64 * 1024;
    new_a.stream_seed = new_b.expect_seed = 7;
    new_b.stream_seed = new_a.expect_seed = 8;
    app_state* old_b_app = &apps_b[0];
    auto b_dropped_and_acked = [this] {
        const tcp::tcp_counters& c = net.b().out.counters;
        return c.dropped(tcp::tcp_drop::paws) + c.dropped(tcp::tcp_drop::not_acceptable) +
               c.dropped(tcp::tcp_drop::syn_in_synchronized);
    };
    uint64_t b_acks_before = b_dropped_and_acked();
    net.b().accept_app = [&](const four_tuple&) { return &new_b; };
    net.a().connect(tuple(0), &new_a);
    ASSERT_TRUE(net.run([&] { return old_b_app->finished; }, 10s));
    EXPECT_EQ(old_b_app->reason, close_reason::reset_by_peer);
    // The new connection's TSval offset and ISN are random: PAWS (RFC 7323
    // 5.3) or the sequence check (RFC 9293 3.10.7.4) may answer the SYN with
    // its ACK before the SYN check (RFC 5961 4.2) would send a challenge
    // ACK. Either way: the SYN dropped, one ACK, which A resets.
    EXPECT_EQ(b_dropped_and_acked() - b_acks_before, 1u);
    EXPECT_EQ(net.a().out.counters.resets_out, 1u);

    ASSERT_TRUE(net.run([&] { return new_a.finished && new_b.finished; }, 1min));
    outcome o = measure(net.start);
    o.completed = true;
    report("peer reboot, fresh SYN", o);
    EXPECT_EQ(new_b.received, 64u * 1024);
    EXPECT_EQ(new_a.received, 64u * 1024);
    EXPECT_EQ(new_b.received_hash.hex_digest(), new_a.sent_hash.hex_digest());
    EXPECT_EQ(new_a.received_hash.hex_digest(), new_b.sent_hash.hex_digest());
    EXPECT_EQ(new_a.reason, close_reason::normal);
    EXPECT_EQ(new_b.reason, close_reason::normal);
    net.run([this] { return net.idle(); }, 10min);
}

// 1, 100 and 10,000 connections open at once over a link with 1 % loss,
// each stream checked; afterwards no connection, TIME_WAIT entry or timer
// is left (TearDown), and every buffer went with its connection.
class SimConnections : public SimTest, public ::testing::WithParamInterface<int> {};

TEST_P(SimConnections, ConcurrentConnectionsAtOnePercentLossEachStreamIntact) {
    int n = GetParam();
    if (n > 1000) cpu_limit_seconds = 10 * sanitizer_slowdown;
    set_both([](link_config& l) { l.loss = 0.01; });
    transfer t{.connections = n, .bytes = n > 1000 ? 3000u : 64u * 1024, .buffer = n > 1000 ? 4096u : 64u * 1024};
    open(t);
    size_t peak = 0;
    bool completed = net.run([&] {
        peak = std::max(peak, net.a().conns.size());
        return all_finished();
    }, std::chrono::hours(1));
    outcome o = measure(net.start);
    o.completed = completed;
    report(std::to_string(n) + " connections, loss 1%", o);
    ASSERT_TRUE(completed);
    EXPECT_EQ(peak, static_cast<size_t>(n));  // all open at once
    expect_intact(t);
    net.run([this] { return net.idle(); }, 10min);
}

INSTANTIATE_TEST_SUITE_P(Counts, SimConnections, ::testing::Values(1, 100, 10'000),
                         [](const auto& p) { return "Connections" + std::to_string(p.param); });

// RFC 7323 2: window scaling lets one connection fill 10 Gbit/s x 10 ms
// (a bandwidth-delay product of 12.5 MB) with 16 MiB buffers: the second
// half of a 256 MiB transfer arrives at over 90 % of the link rate.
TEST_F(SimTest, WindowScalingFillsTenGigabitsTimesTenMilliseconds) {
    cpu_limit_seconds = 10 * sanitizer_slowdown;
    set_both([](link_config& l) {
        l.rate = 1'250'000'000;
        l.queue_bytes = 8'000'000;
    });
    transfer t{.bytes = 256u << 20, .buffer = 16u << 20, .one_way = true, .compare = true};
    open(t);
    ASSERT_TRUE(net.run([this] { return apps_b[0].received >= (128u << 20); }, 1min));
    time_point half = net.now;
    uint8_t peer_shift = net.a().find_connection(tuple(0))->snd().shift;
    ASSERT_TRUE(net.run([this] { return all_finished(); }, 1min));
    outcome o = measure(net.start);
    o.completed = true;
    report("10 Gbit/s x 10 ms, 256 MiB", o);
    double second_half = std::chrono::duration<double>(apps_b[0].last_receive - half).count();
    double gbps = static_cast<double>(apps_b[0].received - (128u << 20)) * 8 / second_half / 1e9;
    std::printf("[ sim      ]   second half at %.2f Gbit/s, B's window scale %u\n", gbps, peer_shift);
    EXPECT_GE(peer_shift, 8u);  // 16 MiB needs a shift of at least 8 (RFC 7323 2.3)
    EXPECT_GT(gbps, 9.0);
    expect_intact(t);
    net.run([this] { return net.idle(); }, 10min);
}

}  // namespace
