// The engine end to end on a running EAL (--no-huge): two engines, "client"
// (10.9.0.2/24) and "server" (10.9.0.1/24, listening on port 80), joined by
// ring ports and polled alternately by the test with a manual clock, so a
// 2*MSL TIME_WAIT or a 200 ms RTO takes no wall time.
//
// Two layouts:
//   direct: client port = ring link side 0, server port = side 1.
//   wired:  client -- link A -- [test] -- link B -- server. The test holds
//           the two middle ports and moves frames between them itself: it
//           sees every frame (ARP test) and may drop some (loss test), and
//           the engine needs no test hook.
//
// Every test ends (TearDown) by checking that nothing is left: no
// connection, no TIME_WAIT entry once 2*MSL has passed, every mbuf back in
// its pool, and no drop counted that the test did not expect.
#include "engine/engine.hh"
#include "port/port.hh"
#include "wire/frame.hh"
#include "wire/icmp.hh"

#include <gtest/gtest.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstdint>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <random>
#include <string>
#include <vector>

// Every C++ heap allocation of this test binary is counted, so a test can
// show that a stretch of packet processing allocated nothing (DPDK's mbufs
// come from mempools, not from the heap).
namespace {
std::atomic<uint64_t> heap_allocations{0};

void* counted_allocation(std::size_t n, std::size_t alignment) {
    heap_allocations.fetch_add(1, std::memory_order_relaxed);
    std::size_t size = (n + alignment - 1) / alignment * alignment;
    void* p = alignment <= alignof(std::max_align_t) ? std::malloc(n == 0 ? 1 : n)
                                                     : std::aligned_alloc(alignment, size == 0 ? alignment : size);
    if (p == nullptr) throw std::bad_alloc();
    return p;
}
}  // namespace

void* operator new(std::size_t n) { return counted_allocation(n, alignof(std::max_align_t)); }
void* operator new[](std::size_t n) { return counted_allocation(n, alignof(std::max_align_t)); }
void* operator new(std::size_t n, std::align_val_t a) { return counted_allocation(n, static_cast<std::size_t>(a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return counted_allocation(n, static_cast<std::size_t>(a)); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace fptcp::engine {
namespace {

using namespace std::chrono_literals;
using tcp::duration;
using tcp::time_point;

constexpr uint32_t server_ip = 0x0a090001;  // 10.9.0.1
constexpr uint32_t client_ip = 0x0a090002;  // 10.9.0.2
constexpr uint16_t server_port = 80;
constexpr duration poll_step = 10us;   // manual time per busy poll round
constexpr duration idle_step = 1ms;    // per round in which no frame moved
constexpr auto msl = std::chrono::seconds(1);

// Calls round() (which advances `now`) until pred() holds; false once
// `limit` of manual time has passed without it.
template <class P, class R>
bool rounds_until(const time_point& now, duration limit, P pred, R round) {
    time_point end = now + limit;
    while (!pred()) {
        if (now > end) return false;
        round();
    }
    return true;
}

std::span<const uint8_t> bytes_of(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

std::vector<uint8_t> random_bytes(std::size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<uint8_t> v(n);
    for (auto& b : v) b = static_cast<uint8_t>(rng());
    return v;
}

// ---------------------------------------------------------------------------
// The server's application: echo, or a fixed response per request line
// (optionally closing first, so that TIME_WAIT lands on the server).

enum class server_mode { echo, respond, respond_and_close };

class server_app final : public handler {
public:
    server_app(server_mode mode, uint32_t max_connections, std::size_t response_size)
        : _mode(mode), _states(max_connections), _response(response_size, 'r') {}

    void on_open(connection& c) override {
        _states[c.slot()] = conn_state{};
        ++opened;
    }
    void on_data(connection& c) override {
        switch (_mode) {
        case server_mode::echo:
            echo(c);
            return;
        case server_mode::respond:
        case server_mode::respond_and_close:
            respond(c);
            return;
        }
    }
    void on_writable(connection& c) override {
        if (_mode == server_mode::echo) echo(c);
    }
    void on_peer_closed(connection& c) override {
        conn_state& s = _states[c.slot()];
        s.peer_done = true;
        switch (_mode) {
        case server_mode::echo:
            echo(c);  // shuts down once everything is echoed
            return;
        case server_mode::respond:
        case server_mode::respond_and_close:
            if (!s.closing) {
                s.closing = true;
                c.close();
            }
            return;
        }
    }
    void on_closed(connection&, close_reason r) override { ++closed[static_cast<std::size_t>(r)]; }

    uint64_t opened = 0;
    std::array<uint64_t, 6> closed{};
    uint64_t requests = 0;

private:
    struct conn_state {
        bool peer_done = false;
        bool shut = false;
        bool closing = false;
    };

    void echo(connection& c) {
        conn_state& s = _states[c.slot()];
        for (;;) {
            auto parts = c.readable();
            std::span<const uint8_t> first = parts[0].empty() ? parts[1] : parts[0];
            if (first.empty()) break;
            uint32_t n = c.send(first.first(std::min<std::size_t>(first.size(), c.send_space())));
            if (n == 0) return;  // on_writable comes back
            c.consume(n);
        }
        if (s.peer_done && !s.shut) {
            s.shut = true;
            c.shutdown();
        }
    }

    // One request is one line; the whole readable data is taken.
    void respond(connection& c) {
        conn_state& s = _states[c.slot()];
        uint32_t n = 0;
        bool line = false;
        for (auto part : c.readable()) {
            n += static_cast<uint32_t>(part.size());
            line = line || std::find(part.begin(), part.end(), '\n') != part.end();
        }
        c.consume(n);
        if (!line || s.closing) return;
        ++requests;
        EXPECT_EQ(c.send(bytes_of(_response)), _response.size());
        if (_mode == server_mode::respond_and_close) {
            s.closing = true;
            c.close();
        }
    }

    server_mode _mode;
    std::vector<conn_state> _states;
    std::string _response;
};

// ---------------------------------------------------------------------------
// The client's application: per connection, what to send, when to close,
// and what came back.

struct client_conn {
    connection* conn = nullptr;  // until on_closed
    std::span<const uint8_t> to_send;
    std::size_t sent = 0;
    bool shutdown_after_send = false;  // half-close once everything is queued
    std::size_t close_after = 0;       // close() once this many bytes arrived (0: never)
    bool close_on_peer_fin = false;
    std::vector<uint8_t> received;
    bool opened = false, peer_closed = false, closed = false, shut = false, close_called = false;
    close_reason reason = close_reason::none;
};

class client_app final : public handler {
public:
    void on_open(connection& c) override {
        client_conn& s = state(c);
        s.opened = true;
        ++opened;
        push(c, s);
    }
    void on_writable(connection& c) override { push(c, state(c)); }
    void on_data(connection& c) override {
        client_conn& s = state(c);
        uint32_t n = 0;
        for (auto part : c.readable()) {
            s.received.insert(s.received.end(), part.begin(), part.end());
            n += static_cast<uint32_t>(part.size());
        }
        c.consume(n);
        if (s.close_after != 0 && s.received.size() >= s.close_after) close(c, s);
    }
    void on_peer_closed(connection& c) override {
        client_conn& s = state(c);
        s.peer_closed = true;
        if (s.close_on_peer_fin) close(c, s);
    }
    void on_closed(connection& c, close_reason r) override {
        client_conn& s = state(c);
        s.closed = true;
        s.reason = r;
        s.conn = nullptr;
        ++closed;
        if (after_close) after_close();
    }

    uint64_t opened = 0;
    uint64_t closed = 0;
    std::function<void()> after_close;  // runs at the end of on_closed

private:
    static client_conn& state(connection& c) { return *static_cast<client_conn*>(c.user); }

    static void push(connection& c, client_conn& s) {
        while (s.sent < s.to_send.size()) {
            uint32_t n = c.send(s.to_send.subspan(s.sent));
            if (n == 0) return;
            s.sent += n;
        }
        if (s.shutdown_after_send && !s.shut) {
            s.shut = true;
            c.shutdown();
        }
    }
    static void close(connection& c, client_conn& s) {
        if (s.close_called) return;
        s.close_called = true;
        c.close();
    }
};

// ---------------------------------------------------------------------------
// The test's own piece of wire between two ring links (wired layout).

struct middle_wire {
    port::port* client_side = nullptr;  // link A, facing the client
    port::port* server_side = nullptr;  // link B, facing the server
    uint32_t loss_per_mille = 0;
    // Frames to send nowhere (addresses that exist only as spoofed sources).
    std::function<bool(const wire::parsed_frame&)> discard;
    std::mt19937 rng{12345};
    uint64_t forwarded = 0, dropped = 0, overflow = 0;
    // Every frame seen, in order, per direction (kind and, for ARP, op).
    struct seen_frame {
        wire::frame_kind kind;
        wire::arp_op arp_op;
        uint32_t arp_target;
        wire::mac_address eth_dst;
    };
    std::vector<seen_frame> to_server, to_client;

    // Moves what is waiting in both directions; returns the frames moved.
    uint32_t move() { return move(*client_side, *server_side, to_server) + move(*server_side, *client_side, to_client); }

private:
    uint32_t move(port::port& from, port::port& to, std::vector<seen_frame>& log) {
        std::array<rte_mbuf*, 32> frames;
        uint32_t total = 0;
        for (uint16_t n; (n = from.rx_burst(0, frames.data(), frames.size())) > 0;) {
            total += n;
            uint16_t kept = 0;
            for (uint16_t i = 0; i < n; ++i) {
                record(frames[i], log);
                if ((loss_per_mille != 0 && rng() % 1000 < loss_per_mille) || discarded(frames[i])) {
                    ++dropped;
                    rte_pktmbuf_free(frames[i]);
                } else {
                    frames[kept++] = frames[i];
                }
            }
            uint16_t sent = to.tx_burst(0, frames.data(), kept);
            forwarded += sent;
            for (uint16_t i = sent; i < kept; ++i) {
                ++overflow;
                rte_pktmbuf_free(frames[i]);
            }
        }
        return total;
    }

    bool discarded(rte_mbuf* m) const {
        if (!discard) return false;
        wire::parsed_frame f;
        auto bytes = std::span(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len);
        return wire::parse_frame(bytes, wire::checksum_offload{}, f) == wire::parse_error::none && discard(f);
    }

    static void record(rte_mbuf* m, std::vector<seen_frame>& log) {
        if (log.size() >= 64) return;  // the beginning is what tests look at
        wire::parsed_frame f;
        auto bytes = std::span(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len);
        if (wire::parse_frame(bytes, wire::checksum_offload{}, f) != wire::parse_error::none) {
            log.push_back({wire::frame_kind::other, wire::arp_op::request, 0, {}});
            return;
        }
        bool arp = f.kind == wire::frame_kind::arp;
        log.push_back({f.kind, arp ? f.arp.op : wire::arp_op::request, arp ? f.arp.target_ip : 0, f.eth.dst});
    }
};

// ---------------------------------------------------------------------------
// The fixture.

port::port_spec ring_spec(const std::string& link) {
    std::string error;
    auto spec = port::parse_port_spec("ring:" + link, error);
    EXPECT_TRUE(spec.has_value()) << error;
    return spec.value_or(port::port_spec{});
}

class EngineTest : public testing::Test {
protected:
    explicit EngineTest(bool wired = false, server_mode mode = server_mode::echo) : _wired(wired), _mode(mode) {}

    // An echo request from src_ip to the server, over the client's port.
    wire::icmp_echo_spec echo_request_spec(uint32_t src_ip, std::span<const uint8_t> payload) const {
        return {.src_mac = _client_port->mac(),
                .dst_mac = _server_port->mac(),
                .src_ip = src_ip,
                .dst_ip = server_ip,
                .ip_id = 1,
                .identifier = 0x1234,
                .sequence = 7,
                .payload = payload};
    }
    // A frame written by `write` and sent on the client's port itself, so it
    // reaches the server as from the wire (the client engine is not polled).
    void send_from_client_port(const std::function<std::size_t(std::span<uint8_t>)>& write) {
        rte_mbuf* m = rte_pktmbuf_alloc(_client_port->pool());
        ASSERT_NE(m, nullptr);
        std::size_t len = write(std::span(rte_pktmbuf_mtod(m, uint8_t*), rte_pktmbuf_tailroom(m)));
        ASSERT_GT(len, 0u);
        m->data_len = m->pkt_len = static_cast<uint32_t>(len);
        ASSERT_EQ(_client_port->tx_burst(0, &m, 1), 1);
    }

    void SetUp() override {
        static unsigned link_counter = 0;
        std::string link = "eng" + std::to_string(link_counter++);
        std::string error;
        auto open = [&](const std::string& name, unsigned index) {
            auto p = port::port::open(ring_spec(name), index, port::port_settings{}, error);
            EXPECT_NE(p, nullptr) << error;
            return p;
        };
        if (_wired) {
            _client_port = open(link + "a", 0);
            _middle_a = open(link + "a", 1);
            _middle_b = open(link + "b", 2);
            _server_port = open(link + "b", 3);
            ASSERT_TRUE(_middle_a && _middle_b);
            _wire.client_side = _middle_a.get();
            _wire.server_side = _middle_b.get();
        } else {
            _client_port = open(link, 0);
            _server_port = open(link, 1);
        }
        ASSERT_TRUE(_client_port && _server_port);
        for (port::port* p : ports()) _pool_start.push_back(rte_mempool_avail_count(p->pool()));

        _cfg.msl = msl;
        _server_app = std::make_unique<server_app>(_mode, max_connections, response_size);
        engine_settings s;
        s.max_connections = max_connections;
        s.max_time_wait = max_connections;
        s.ip = server_ip;
        s.gateway = _server_gateway;
        server = engine::create(*_server_port, s, *_server_app, error);
        ASSERT_NE(server, nullptr) << error;
        s.ip = client_ip;
        s.gateway.reset();
        client = engine::create(*_client_port, s, _client_app, error);
        ASSERT_NE(client, nullptr) << error;
        ASSERT_TRUE(server->listen(server_port, _cfg, error)) << error;
    }

    void TearDown() override {
        if (!client || !server) return;
        // Nothing left open, TIME_WAIT gone after 2*MSL.
        run_for(5ms);
        EXPECT_EQ(client->active_connections(), 0u);
        EXPECT_EQ(server->active_connections(), 0u);
        advance(2 * msl + 10ms);
        run_for(5ms);
        EXPECT_EQ(client->time_wait_connections(), 0u);
        EXPECT_EQ(server->time_wait_connections(), 0u);
        EXPECT_EQ(client->counters().time_wait_reaped + server->counters().time_wait_reaped,
                  client->counters().connections_closed + server->counters().connections_closed -
                      _no_time_wait_closes);
        // No mbuf kept by an engine, a ring or the test.
        auto all = ports();
        for (std::size_t i = 0; i < all.size(); ++i) {
            EXPECT_EQ(rte_mempool_avail_count(all[i]->pool()), _pool_start[i]) << "pool of port " << i;
        }
        expect_no_unexpected_drops(*client, _allow_client, "client");
        expect_no_unexpected_drops(*server, _allow_server, "server");
        EXPECT_EQ(_wire.overflow, 0u);
        client.reset();
        server.reset();
    }

    // Drops a test expects, per side; any other drop fails it.
    struct allowed_drops {
        std::array<uint64_t, static_cast<std::size_t>(engine_drop::count_)> engine{};
        std::array<uint64_t, static_cast<std::size_t>(tcp::tcp_drop::count_)> tcp{};
    };

    void expect_no_unexpected_drops(const engine& e, const allowed_drops& allowed, const char* who) {
        for (std::size_t i = 0; i < e.counters().drops.size(); ++i) {
            EXPECT_EQ(e.counters().drops[i], allowed.engine[i])
                << who << " engine drop " << to_string(static_cast<engine_drop>(i));
        }
        for (std::size_t i = 0; i < e.counters().rx_parse_drops.size(); ++i) {
            EXPECT_EQ(e.counters().rx_parse_drops[i], 0u) << who << " parse drop " << i;
        }
        if (_lossy) return;  // duplicates and out-of-window segments are expected then
        for (std::size_t i = 0; i < e.tcp_counters().drops.size(); ++i) {
            EXPECT_EQ(e.tcp_counters().drops[i], allowed.tcp[i])
                << who << " tcp drop " << tcp::to_string(static_cast<tcp::tcp_drop>(i));
        }
        EXPECT_EQ(e.tcp_counters().output_overflows, 0u) << who;
    }

    std::vector<port::port*> ports() const {
        std::vector<port::port*> v{_client_port.get(), _server_port.get()};
        if (_wired) v.insert(v.end(), {_middle_a.get(), _middle_b.get()});
        return v;
    }

    // One round: client polls, the wire moves, server polls, the wire moves.
    // Returns whether any frame moved.
    bool round() {
        uint64_t before = client->counters().rx_packets + client->counters().tx_packets +
                          server->counters().rx_packets + server->counters().tx_packets;
        client->poll(now);
        if (_wired) _wire.move();
        server->poll(now);
        if (_wired) _wire.move();
        uint64_t after = client->counters().rx_packets + client->counters().tx_packets +
                         server->counters().rx_packets + server->counters().tx_packets;
        bool busy = after != before;
        now += busy ? poll_step : idle_step;
        return busy;
    }

    // Rounds until pred() holds; false if it did not within `limit` of manual time.
    template <class P>
    bool run_until(P pred, duration limit = 120s) {
        return rounds_until(now, limit, pred, [this] { round(); });
    }

    void run_for(duration d) {
        time_point end = now + d;
        while (now < end) round();
    }

    // Jumps the clock (timers due in between fire at the next poll).
    void advance(duration d) {
        now += d;
        round();
    }

    client_conn& connect(client_conn& s) {
        s.conn = client->connect(now, server_ip, server_port, _cfg, &s);
        EXPECT_NE(s.conn, nullptr);
        return s;
    }

    // Connects s, sends `data` and shuts down; true once s has closed
    // (within `limit`).
    bool send_all_and_close(client_conn& s, const std::vector<uint8_t>& data, duration limit = 120s) {
        s.to_send = data;
        s.shutdown_after_send = true;
        connect(s);
        return run_until([&] { return s.closed; }, limit);
    }

    static constexpr uint32_t max_connections = 4096;
    static constexpr std::size_t response_size = 2000;

    bool _wired;
    server_mode _mode;
    bool _lossy = false;
    std::optional<uint32_t> _server_gateway;
    allowed_drops _allow_client, _allow_server;
    // Established connections that went straight to CLOSED (no TIME_WAIT),
    // both sides: TearDown checks connections_closed = reaped + these.
    uint64_t _no_time_wait_closes = 0;
    tcp_config _cfg;  // outlives every connection (the TCB keeps a pointer to it)
    std::unique_ptr<port::port> _client_port, _server_port, _middle_a, _middle_b;
    std::vector<unsigned> _pool_start;
    middle_wire _wire;
    std::unique_ptr<server_app> _server_app;
    client_app _client_app;
    std::unique_ptr<engine> server, client;
    time_point now{};
};

class WiredEngineTest : public EngineTest {
protected:
    WiredEngineTest() : EngineTest(true) {}
};

class RespondingServerTest : public EngineTest {
protected:
    RespondingServerTest() : EngineTest(false, server_mode::respond) {}
};

class ClosingServerTest : public EngineTest {
protected:
    ClosingServerTest() : EngineTest(false, server_mode::respond_and_close) {}
};

// ---------------------------------------------------------------------------
// ARP and ICMP

TEST_F(WiredEngineTest, FirstConnectResolvesTheServerWithOneArpExchange) {
    client_conn s;
    s.close_on_peer_fin = true;
    connect(s);
    ASSERT_TRUE(run_until([&] { return s.opened; }));

    // The SYN waited in the ARP cache: the first frame out is the request
    // (broadcast, for the server), the first frame back is the reply; the
    // server learned the client from the request and asked nothing itself.
    ASSERT_GE(_wire.to_server.size(), 2u);
    EXPECT_EQ(_wire.to_server[0].kind, wire::frame_kind::arp);
    EXPECT_EQ(_wire.to_server[0].arp_op, wire::arp_op::request);
    EXPECT_EQ(_wire.to_server[0].arp_target, server_ip);
    EXPECT_EQ(_wire.to_server[0].eth_dst, wire::broadcast_mac);
    EXPECT_EQ(_wire.to_server[1].kind, wire::frame_kind::tcp);  // the SYN, released by the reply
    ASSERT_GE(_wire.to_client.size(), 1u);
    EXPECT_EQ(_wire.to_client[0].kind, wire::frame_kind::arp);
    EXPECT_EQ(_wire.to_client[0].arp_op, wire::arp_op::reply);
    EXPECT_EQ(_wire.to_client[0].eth_dst, _client_port->mac());
    auto arp_frames = [](const std::vector<middle_wire::seen_frame>& v) {
        return std::count_if(v.begin(), v.end(), [](const auto& f) { return f.kind == wire::frame_kind::arp; });
    };
    EXPECT_EQ(arp_frames(_wire.to_server), 1);
    EXPECT_EQ(arp_frames(_wire.to_client), 1);
    EXPECT_EQ(server->counters().arp_replies, 1u);
    EXPECT_EQ(client->counters().arp_replies, 0u);

    s.conn->close();
    s.close_called = true;
    ASSERT_TRUE(run_until([&] { return s.closed; }));
    EXPECT_EQ(s.reason, close_reason::normal);
    _no_time_wait_closes = 1;  // the server's (the client closed first)
}

// RFC 1122 4.2.3.5: the third retransmission of one segment expires the
// next hop's ARP entry, so the next one is preceded by a fresh ARP request.
TEST_F(WiredEngineTest, RepeatedRetransmissionsResolveTheNextHopAgain) {
    client_conn s;
    s.close_on_peer_fin = true;
    connect(s);
    ASSERT_TRUE(run_until([&] { return s.opened; }));
    std::size_t frames_before = _wire.to_server.size();
    _wire.loss_per_mille = 1000;  // the path goes dark
    _lossy = true;
    ASSERT_EQ(s.conn->send(bytes_of("hello")), 5u);
    ASSERT_TRUE(run_until([&] { return client->counters().path_suspects == 1; }, 60s));
    _wire.loss_per_mille = 0;
    ASSERT_TRUE(run_until([&] { return s.received.size() == 5; }, 60s));  // the echo came back
    auto rerequest = std::find_if(_wire.to_server.begin() + static_cast<std::ptrdiff_t>(frames_before), _wire.to_server.end(),
                                  [](const auto& f) { return f.kind == wire::frame_kind::arp && f.arp_op == wire::arp_op::request; });
    EXPECT_NE(rerequest, _wire.to_server.end()) << "no ARP request after R1 retransmissions";
    s.conn->close();
    s.close_called = true;
    ASSERT_TRUE(run_until([&] { return s.closed; }, 120s));
    EXPECT_EQ(s.reason, close_reason::normal);
    _no_time_wait_closes = 1;
}

TEST_F(EngineTest, EchoRequestIsAnsweredWithTheSamePayload) {
    // Built with lib/wire and sent on the client's port itself: the reply is
    // read back from that port, the client engine is not polled.
    std::vector<uint8_t> payload = random_bytes(56, 7);
    wire::icmp_echo_spec spec = echo_request_spec(client_ip, payload);
    send_from_client_port([&](std::span<uint8_t> out) { return wire::write_icmp_echo_request(out, spec); });

    server->poll(now);
    EXPECT_EQ(server->counters().icmp_echo_replies, 1u);

    rte_mbuf* reply = nullptr;
    ASSERT_EQ(_client_port->rx_burst(0, &reply, 1), 1);
    wire::parsed_frame f;
    auto frame = std::span(rte_pktmbuf_mtod(reply, const uint8_t*), reply->data_len);
    EXPECT_EQ(wire::parse_frame(frame, wire::checksum_offload{}, f), wire::parse_error::none);
    EXPECT_EQ(f.eth.dst, _client_port->mac());
    EXPECT_EQ(f.eth.src, _server_port->mac());
    EXPECT_EQ(f.ip.src, server_ip);
    EXPECT_EQ(f.ip.dst, client_ip);
    EXPECT_EQ(f.icmp.type, wire::icmp_type::echo_reply);
    EXPECT_EQ(f.icmp.identifier, 0x1234);
    EXPECT_EQ(f.icmp.sequence, 7);
    EXPECT_TRUE(std::equal(f.icmp.payload.begin(), f.icmp.payload.end(), payload.begin(), payload.end()));
    rte_pktmbuf_free(reply);
}

// ---------------------------------------------------------------------------
// Input checks: frames built with lib/wire and sent on the client's port
// itself, so they reach the server as from the wire.

class InputCheckTest : public EngineTest {
protected:
    void send_syn(uint32_t src_ip) {
        wire::tcp_frame_spec spec;
        spec.src_mac = _client_port->mac();
        spec.dst_mac = _server_port->mac();
        spec.src_ip = src_ip;
        spec.dst_ip = server_ip;
        spec.src_port = 40000;
        spec.dst_port = server_port;
        spec.seq = 0x12345678;
        spec.flags = tcp::tcp_flags{tcp::tcp_flags::syn};
        spec.window = 65535;
        spec.options.mss = 1460;
        send_from_client_port([&](std::span<uint8_t> out) { return wire::write_tcp_frame(out, spec); });
    }
    // An echo request whose frame is `frame_size` bytes long (no FCS).
    void send_echo_request(uint32_t src_ip, std::size_t frame_size) {
        std::vector<uint8_t> payload(frame_size - 14 - 20 - 8, 0xab);
        wire::icmp_echo_spec spec = echo_request_spec(src_ip, payload);
        ASSERT_EQ(wire::icmp_echo_frame_size(spec), frame_size);
        send_from_client_port([&](std::span<uint8_t> out) { return wire::write_icmp_echo_request(out, spec); });
    }
    uint64_t server_drops(engine_drop d) const { return server->counters().drops[static_cast<std::size_t>(d)]; }
};

// RFC 1122 4.2.3.10 and 3.2.1.3: a SYN from an address no host sends from
// opens nothing and is answered by nothing, not even the ARP request its
// SYN-ACK would need; neither is an echo request.
TEST_F(InputCheckTest, SynsFromMartianSourcesGetNoAnswerNoArpAndNoConnection) {
    const uint32_t martians[] = {
        0xffffffff,  // 255.255.255.255, the limited broadcast
        0xe0000001,  // 224.0.0.1
        0xefffffff,  // 239.255.255.255, the top of 224/4
        0x00000000,  // 0.0.0.0
        0x00010203,  // 0.1.2.3, "this network"
        0x7f000001,  // 127.0.0.1
        0x7f0a0b0c,  // 127.10.11.12
        0x0a0900ff,  // 10.9.0.255, the server's subnet broadcast (10.9.0.0/24)
        server_ip,   // the server's own address
    };
    for (uint32_t src : martians) send_syn(src);
    send_echo_request(0xe0000001, 98);
    run_for(3500ms);  // past the SYN-ACK's first retransmission and two ARP retries
    EXPECT_EQ(server->counters().tx_packets, 0u);
    EXPECT_EQ(server->active_connections(), 0u);
    EXPECT_EQ(server->half_open_connections(), 0u);
    EXPECT_EQ(server->counters().icmp_echo_replies, 0u);
    EXPECT_EQ(server_drops(engine_drop::martian_source), std::size(martians) + 1);
    _allow_server.engine[static_cast<std::size_t>(engine_drop::martian_source)] = std::size(martians) + 1;

    // From the client's ordinary address, everything works.
    std::vector<uint8_t> data = random_bytes(1000, 8);
    client_conn s;
    ASSERT_TRUE(send_all_and_close(s, data));
    EXPECT_EQ(s.reason, close_reason::normal);
    EXPECT_TRUE(s.received == data);
    EXPECT_EQ(server_drops(engine_drop::martian_source), std::size(martians) + 1);
    _no_time_wait_closes = 1;
}

// A ring port carries frames of any length up to the mbuf; the engine takes
// an Ethernet payload up to the port's MTU (1500: a 1514-byte frame) and
// drops, counted, every longer one.
TEST_F(InputCheckTest, FramesLongerThanTheMtuAreDroppedAndCounted) {
    uint16_t mtu = _server_port->mtu();
    ASSERT_EQ(mtu, 1500);
    for (std::size_t size : {std::size_t{mtu} + 14, std::size_t{mtu} + 15, std::size_t{mtu} + 18, std::size_t{2000}}) {
        send_echo_request(client_ip, size);
    }
    server->poll(now);
    EXPECT_EQ(server->counters().icmp_echo_replies, 1u);
    EXPECT_EQ(server_drops(engine_drop::frame_too_long), 3u);
    _allow_server.engine[static_cast<std::size_t>(engine_drop::frame_too_long)] = 3;
    rte_mbuf* reply = nullptr;
    ASSERT_EQ(_client_port->rx_burst(0, &reply, 1), 1);
    EXPECT_EQ(reply->data_len, mtu + 14u);  // the answer to the longest frame the MTU allows
    rte_pktmbuf_free(reply);
}

// ---------------------------------------------------------------------------
// One connection

TEST_F(EngineTest, OneMebibyteIsEchoedByteExactAndBothSidesCloseGracefully) {
    std::vector<uint8_t> data = random_bytes(1 << 20, 1);
    client_conn s;
    ASSERT_TRUE(send_all_and_close(s, data));

    EXPECT_EQ(s.reason, close_reason::normal);
    EXPECT_TRUE(s.peer_closed);
    ASSERT_EQ(s.received.size(), data.size());
    EXPECT_TRUE(s.received == data);
    EXPECT_EQ(client->counters().connections_opened, 1u);
    EXPECT_EQ(server->counters().connections_opened, 1u);
    // The client's FIN went first (it half-closed when it had sent all): the
    // client ends in TIME_WAIT, the server passes through LAST_ACK to CLOSED
    // once the client's last ACK, sent as the client closed, has reached it.
    run_for(1ms);
    EXPECT_EQ(_server_app->closed[static_cast<std::size_t>(close_reason::normal)], 1u);
    EXPECT_EQ(client->active_connections(), 0u);
    EXPECT_EQ(server->active_connections(), 0u);
    EXPECT_EQ(client->time_wait_connections(), 1u);
    EXPECT_EQ(server->time_wait_connections(), 0u);
    EXPECT_EQ(client->tcp_counters().retransmits + server->tcp_counters().retransmits, 0u);
    _no_time_wait_closes = 1;  // the server's
}

// send(rte_mbuf*): a chain of three segments goes out as its bytes in order
// and the mbufs go back to the pool (TearDown counts them); one larger than
// the send space is refused and stays the caller's.
TEST_F(EngineTest, ChainedMbufIsSentAllOrNothing) {
    client_conn s;
    connect(s);
    ASSERT_TRUE(run_until([&] { return s.opened; }));
    std::vector<uint8_t> data = random_bytes(3000, 6);
    rte_mbuf* chain = nullptr;
    for (std::size_t part = 0; part < 3; ++part) {
        rte_mbuf* m = rte_pktmbuf_alloc(_client_port->pool());
        ASSERT_NE(m, nullptr);
        auto* dst = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, 1000));
        ASSERT_NE(dst, nullptr);
        std::copy_n(data.begin() + static_cast<std::ptrdiff_t>(part * 1000), 1000, dst);
        if (chain == nullptr) {
            chain = m;
        } else {
            ASSERT_EQ(rte_pktmbuf_chain(chain, m), 0);
        }
    }
    ASSERT_EQ(chain->nb_segs, 3);
    uint32_t space = s.conn->send_space();
    EXPECT_TRUE(s.conn->send(chain));
    EXPECT_EQ(s.conn->send_space() + data.size(), space);

    rte_mbuf* big = rte_pktmbuf_alloc(_client_port->pool());
    ASSERT_NE(big, nullptr);
    big->pkt_len = s.conn->send_space() + 1;  // only the length is read before refusing
    EXPECT_FALSE(s.conn->send(big));
    big->pkt_len = 0;
    rte_pktmbuf_free(big);

    s.shut = true;
    s.conn->shutdown();
    ASSERT_TRUE(run_until([&] { return s.closed; }));
    EXPECT_EQ(s.reason, close_reason::normal);
    EXPECT_TRUE(s.received == data);
    _no_time_wait_closes = 1;  // the server's
}

TEST_F(EngineTest, PacketCountersOfBothSidesAgreeWithoutLoss) {
    std::vector<uint8_t> data = random_bytes(200000, 2);
    client_conn s;
    ASSERT_TRUE(send_all_and_close(s, data));
    run_for(1ms);
    _no_time_wait_closes = 1;

    const engine_counters& c = client->counters();
    const engine_counters& v = server->counters();
    EXPECT_EQ(c.tx_packets, v.rx_packets);
    EXPECT_EQ(v.tx_packets, c.rx_packets);
    EXPECT_EQ(c.tx_bytes, v.rx_bytes);
    EXPECT_EQ(v.tx_bytes, c.rx_bytes);
    // Every frame is a TCP segment, the client's ARP request or the server's reply.
    EXPECT_EQ(c.tx_packets, client->tcp_counters().segments_out + 1);
    EXPECT_EQ(v.tx_packets, server->tcp_counters().segments_out + v.arp_replies);
    // And the ports saw the same.
    EXPECT_EQ(_client_port->counters().tx_packets, c.tx_packets);
    EXPECT_EQ(_server_port->counters().rx_packets, v.rx_packets);
    EXPECT_GT(v.rx_bytes, data.size());
}

// ---------------------------------------------------------------------------
// Many connections

TEST_F(RespondingServerTest, ThousandSequentialConnectionsEachGetTheirResponse) {
    constexpr int count = 1000;
    std::vector<client_conn> conns(count);
    for (auto& s : conns) {
        s.to_send = bytes_of("GET /\n");
        s.close_after = response_size;
        connect(s);
        ASSERT_TRUE(run_until([&] { return s.closed; }));
        ASSERT_EQ(s.reason, close_reason::normal);
        ASSERT_EQ(s.received.size(), response_size);
    }
    run_for(1ms);
    EXPECT_EQ(_server_app->requests, static_cast<uint64_t>(count));
    EXPECT_EQ(client->counters().connections_opened, static_cast<uint64_t>(count));
    EXPECT_EQ(server->counters().connections_opened, static_cast<uint64_t>(count));
    EXPECT_EQ(client->time_wait_connections(), static_cast<uint32_t>(count));  // the client closed first
    EXPECT_EQ(server->time_wait_connections(), 0u);
    _no_time_wait_closes = count;
}

// The per-packet path allocates nothing (issue 3; ARCHITECTURE.md): once
// ARP has resolved and connect() has kept its config, 200 connections open,
// exchange a request and a response, close and enter TIME_WAIT on both
// engines without a single C++ heap allocation. The applications' own
// memory is reserved beforehand.
TEST_F(RespondingServerTest, ConnectionsOpenServeAndCloseWithoutHeapAllocation) {
    constexpr int warm_up = 5, count = 200;
    std::vector<client_conn> conns(warm_up + count);
    for (auto& s : conns) {
        s.to_send = bytes_of("GET /\n");
        s.close_after = response_size;
        s.received.reserve(response_size);
    }
    auto serve = [&](client_conn& s) {
        connect(s);
        return run_until([&] { return s.closed; });
    };
    for (int i = 0; i < warm_up; ++i) ASSERT_TRUE(serve(conns[static_cast<std::size_t>(i)]));

    uint64_t before = heap_allocations.load();
    bool all_served = true;
    for (int i = warm_up; i < warm_up + count; ++i) all_served = serve(conns[static_cast<std::size_t>(i)]) && all_served;
    uint64_t allocations = heap_allocations.load() - before;

    ASSERT_TRUE(all_served);
    EXPECT_EQ(allocations, 0u);
    EXPECT_EQ(_server_app->requests, static_cast<uint64_t>(warm_up + count));
    for (const auto& s : conns) EXPECT_EQ(s.received.size(), response_size);
    run_for(1ms);
    _no_time_wait_closes = warm_up + count;
}

TEST_F(EngineTest, ThousandConcurrentConnectionsHeldOpenThenClosed) {
    constexpr int count = 1000;
    std::vector<client_conn> conns(count);
    // The first one resolves ARP (the cache holds only a few frames per
    // unresolved address); then a hundred connects per round.
    connect(conns[0]);
    ASSERT_TRUE(run_until([&] { return conns[0].opened; }));
    for (int i = 1; i < count; ++i) {
        connect(conns[i]);
        if (i % 100 == 0) round();
    }
    ASSERT_TRUE(run_until([&] { return _server_app->opened == count && _client_app.opened == count; }));
    run_for(1ms);
    EXPECT_EQ(client->active_connections(), static_cast<uint32_t>(count));
    EXPECT_EQ(server->active_connections(), static_cast<uint32_t>(count));
    EXPECT_EQ(client->connections_in(tcp::tcp_state::established), static_cast<uint32_t>(count));
    EXPECT_EQ(server->connections_in(tcp::tcp_state::established), static_cast<uint32_t>(count));

    for (auto& s : conns) {
        s.close_called = true;
        s.conn->close();
    }
    // Counted by state as the FINs leave, before any of them arrived.
    EXPECT_EQ(client->connections_in(tcp::tcp_state::established), 0u);
    EXPECT_EQ(client->connections_in(tcp::tcp_state::fin_wait_1), static_cast<uint32_t>(count));
    EXPECT_EQ(server->connections_in(tcp::tcp_state::established), static_cast<uint32_t>(count));
    ASSERT_TRUE(run_until([&] { return _client_app.closed == count; }));
    run_for(1ms);
    EXPECT_EQ(client->active_connections(), 0u);
    EXPECT_EQ(server->active_connections(), 0u);
    for (auto s = tcp::tcp_state::closed; s != tcp::tcp_state::time_wait; s = static_cast<tcp::tcp_state>(static_cast<int>(s) + 1)) {
        EXPECT_EQ(client->connections_in(s) + server->connections_in(s), 0u) << tcp::to_string(s);
    }
    EXPECT_EQ(client->time_wait_connections(), static_cast<uint32_t>(count));
    EXPECT_EQ(client->connections_in(tcp::tcp_state::time_wait), static_cast<uint32_t>(count));
    EXPECT_EQ(_server_app->closed[static_cast<std::size_t>(close_reason::normal)], static_cast<uint64_t>(count));
    for (const auto& s : conns) EXPECT_EQ(s.reason, close_reason::normal);
    _no_time_wait_closes = count;
}

TEST_F(RespondingServerTest, ConnectFromInsideOnClosedChainsConnections) {
    // The next connection is opened from the previous one's on_closed, so
    // connect() runs inside the engine's own dispatch.
    constexpr int count = 100;
    std::vector<client_conn> conns(count);
    int next = 0;
    auto open_next = [&] {
        if (next == count) return;
        client_conn& s = conns[next++];
        s.to_send = bytes_of("GET /\n");
        s.close_after = response_size;
        connect(s);
    };
    _client_app.after_close = open_next;
    open_next();
    ASSERT_TRUE(run_until([&] { return _client_app.closed == count; }));
    for (const auto& s : conns) {
        EXPECT_EQ(s.reason, close_reason::normal);
        EXPECT_EQ(s.received.size(), response_size);
    }
    EXPECT_EQ(_server_app->requests, static_cast<uint64_t>(count));
    _client_app.after_close = nullptr;
    run_for(1ms);
    _no_time_wait_closes = count;
}

TEST_F(EngineTest, ConnectsIssuedBeforeArpResolvesAllComplete) {
    // Seventy connects in one go to a server not yet in the ARP cache. The
    // cache holds 64 frames per unresolved address (the engine's arp_hold),
    // dropping the oldest: 6 SYNs are lost and those connections complete on
    // their SYN retransmission, one RTO later.
    constexpr int count = 70;
    constexpr int held = 64;
    std::vector<client_conn> conns(count);
    for (auto& s : conns) connect(s);
    ASSERT_TRUE(run_until([&] { return _client_app.opened == count; }));
    EXPECT_EQ(client->tcp_counters().retransmits, static_cast<uint64_t>(count - held));
    EXPECT_GE(now, time_point(_cfg.rto_initial));
    for (auto& s : conns) {
        s.close_called = true;
        s.conn->close();
    }
    ASSERT_TRUE(run_until([&] { return _client_app.closed == count; }));
    run_for(1ms);
    _no_time_wait_closes = count;
    _allow_client.engine[static_cast<std::size_t>(engine_drop::arp_unresolved)] = count - held;
}

TEST_F(ClosingServerTest, ServerActiveCloseLeavesTimeWaitOnTheServerUntilTwoMsl) {
    constexpr int count = 1000;
    std::vector<client_conn> conns(count);
    for (auto& s : conns) {
        s.to_send = bytes_of("GET /\n");
        s.close_on_peer_fin = true;
        connect(s);
        ASSERT_TRUE(run_until([&] { return s.closed; }));
        ASSERT_EQ(s.reason, close_reason::normal);
        ASSERT_EQ(s.received.size(), response_size);
    }
    run_for(1ms);
    EXPECT_EQ(server->time_wait_connections(), static_cast<uint32_t>(count));
    EXPECT_EQ(client->time_wait_connections(), 0u);
    _no_time_wait_closes = count;

    // Not before 2*MSL from the last one's TIME_WAIT; all of them after.
    advance(2 * msl - 100ms);
    EXPECT_GT(server->time_wait_connections(), 0u);
    advance(200ms);
    EXPECT_EQ(server->time_wait_connections(), 0u);
    EXPECT_EQ(server->counters().time_wait_reaped, static_cast<uint64_t>(count));
}

TEST_F(EngineTest, ConnectToAPortNobodyListensOnIsRefused) {
    client_conn s;
    s.conn = client->connect(now, server_ip, 81, _cfg, &s);
    ASSERT_NE(s.conn, nullptr);
    ASSERT_TRUE(run_until([&] { return s.closed; }));
    EXPECT_FALSE(s.opened);
    EXPECT_EQ(s.reason, close_reason::reset_by_peer);
    EXPECT_EQ(server->tcp_counters().resets_out, 1u);
    EXPECT_EQ(server->active_connections(), 0u);
    EXPECT_EQ(client->active_connections(), 0u);
    // Never established: counted neither opened nor closed.
    EXPECT_EQ(client->counters().connections_opened, 0u);
    EXPECT_EQ(client->counters().connections_closed, 0u);
    _allow_server.tcp[static_cast<std::size_t>(tcp::tcp_drop::closed_port)] = 1;
}

// ---------------------------------------------------------------------------
// Configuration lifetimes: the TCB keeps a pointer to its tcp_config.

TEST_F(EngineTest, ConnectWithATemporaryConfigWorks) {
    // As examples/fetch.cc does: the config given to connect() dies when
    // connect() returns; the connection must not depend on it.
    std::vector<uint8_t> data = random_bytes(100000, 4);
    client_conn s;
    s.to_send = data;
    s.shutdown_after_send = true;
    auto make_config = [] {
        tcp_config c;
        c.msl = msl;
        c.mss = 1000;
        return c;
    };
    s.conn = client->connect(now, server_ip, server_port, make_config(), &s);
    ASSERT_NE(s.conn, nullptr);
    ASSERT_TRUE(run_until([&] { return s.closed; }));
    EXPECT_EQ(s.reason, close_reason::normal);
    EXPECT_TRUE(s.received == data);
    _no_time_wait_closes = 1;
}

TEST_F(EngineTest, ListenersAddedLaterLeaveOpenConnectionsIntact) {
    std::vector<uint8_t> data = random_bytes(100000, 5);
    client_conn s;
    s.to_send = data;
    connect(s);
    ASSERT_TRUE(run_until([&] { return s.opened && _server_app->opened == 1; }));
    // More listeners: the engine's listener table grows while the open
    // connection uses the first listener's config.
    std::string error;
    for (uint16_t p = 81; p < 81 + 8; ++p) ASSERT_TRUE(server->listen(p, _cfg, error)) << error;
    s.shutdown_after_send = true;
    if (s.sent == data.size()) {  // else the client's on_writable shuts down
        s.shut = true;
        s.conn->shutdown();
    }
    ASSERT_TRUE(run_until([&] { return s.closed; }));
    EXPECT_EQ(s.reason, close_reason::normal);
    EXPECT_TRUE(s.received == data);
    _no_time_wait_closes = 1;
}

// RFC 9293 3.10.4, CLOSE in LISTEN (the LISTEN -> CLOSED arrow): the open
// connection it accepted goes on; a new SYN is refused.
TEST_F(EngineTest, StoppedListenerRefusesNewConnectionsAndKeepsOpenOnes) {
    std::vector<uint8_t> data = random_bytes(100000, 6);
    client_conn open;
    open.to_send = data;
    connect(open);
    ASSERT_TRUE(run_until([&] { return open.opened && _server_app->opened == 1; }));
    EXPECT_TRUE(server->stop_listening(server_port));
    EXPECT_FALSE(server->stop_listening(server_port));  // nothing listens any more
    client_conn late;
    late.conn = client->connect(now, server_ip, server_port, _cfg, &late);
    ASSERT_NE(late.conn, nullptr);
    ASSERT_TRUE(run_until([&] { return late.closed; }));
    EXPECT_FALSE(late.opened);
    EXPECT_EQ(late.reason, close_reason::reset_by_peer);
    open.shutdown_after_send = true;
    if (open.sent == data.size()) {
        open.shut = true;
        open.conn->shutdown();
    }
    ASSERT_TRUE(run_until([&] { return open.closed; }));
    EXPECT_EQ(open.reason, close_reason::normal);
    EXPECT_TRUE(open.received == data);
    _no_time_wait_closes = 1;
    _allow_server.tcp[static_cast<std::size_t>(tcp::tcp_drop::closed_port)] = 1;
}

// ---------------------------------------------------------------------------
// SYN flood (RFC 4987 3.6)

// Spoofed SYNs from 198.18.0.0/15 (RFC 2544's benchmark range), injected on
// the server's side of the wire. The server routes them through the client
// (its gateway), and the wire throws away what it sends to them: their
// SYN-ACKs are never answered, as in a flood from unreachable addresses.
class SynFloodTest : public EngineTest {
protected:
    static constexpr uint32_t spoofed_base = 0xc6120000;  // 198.18.0.0

    explicit SynFloodTest(uint32_t backlog = 100) : EngineTest(true), _backlog(backlog) {
        _server_gateway = client_ip;
        _cfg.syn_backlog = backlog;
        _wire.discard = [](const wire::parsed_frame& f) {
            return f.kind == wire::frame_kind::tcp && (f.ip.dst & 0xfffe0000u) == spoofed_base;
        };
    }

    // `n` SYNs, each from its own address and port, one burst per
    // millisecond so that no ring overflows, now or when the SYN-ACKs are
    // retransmitted. The first goes alone: the server resolves its gateway
    // before the flood's SYN-ACKs queue behind ARP.
    void flood(uint32_t n) {
        inject_syns(0, 1);
        run_for(5ms);
        for (uint32_t i = 1; i < n; i += 32) {
            inject_syns(i, std::min(n, i + 32));
            advance(1ms);
        }
        run_for(5ms);
    }

    void inject_syns(uint32_t first, uint32_t end) {
        for (uint32_t i = first; i < end; ++i) {
            rte_mbuf* m = rte_pktmbuf_alloc(_middle_b->pool());
            ASSERT_NE(m, nullptr);
            wire::tcp_frame_spec spec;
            spec.src_mac = _middle_b->mac();
            spec.dst_mac = _server_port->mac();
            spec.src_ip = spoofed_base + 1 + i;
            spec.dst_ip = server_ip;
            spec.src_port = static_cast<uint16_t>(1024 + i % 60000);
            spec.dst_port = server_port;
            spec.seq = 0x10000000u * (i % 16) + i;
            spec.flags = tcp::tcp_flags{tcp::tcp_flags::syn};
            spec.window = 65535;
            spec.options.mss = 1460;
            std::size_t len = wire::write_tcp_frame(std::span(rte_pktmbuf_mtod(m, uint8_t*), rte_pktmbuf_tailroom(m)), spec);
            ASSERT_GT(len, 0u);
            m->data_len = m->pkt_len = static_cast<uint32_t>(len);
            ASSERT_EQ(_middle_b->tx_burst(0, &m, 1), 1);
        }
    }

    // Until every half-open TCB gave up (synack_retries, about 63 s).
    void let_the_flood_expire() {
        ASSERT_TRUE(run_until([&] { return server->active_connections() == 0; }, 200s));
        EXPECT_EQ(server->half_open_connections(), 0u);
    }

    uint32_t _backlog;
};

// A backlog the engine cannot reach: the slots run out first.
class SlotsFullFloodTest : public SynFloodTest {
protected:
    SlotsFullFloodTest() : SynFloodTest(max_connections + 1) {}
};

TEST_F(SynFloodTest, LegitimateClientConnectsWhileTheBacklogIsFull) {
    flood(3000);
    EXPECT_EQ(server->half_open_connections(), _backlog);
    EXPECT_EQ(server->active_connections(), _backlog) << "no TCB for the SYNs answered with cookies";
    EXPECT_EQ(server->tcp_counters().syn_cookies_sent, 3000 - _backlog);

    std::vector<uint8_t> data = random_bytes(100000, 5);
    client_conn s;
    ASSERT_TRUE(send_all_and_close(s, data));
    EXPECT_EQ(s.reason, close_reason::normal);
    EXPECT_TRUE(s.received == data);
    EXPECT_EQ(server->tcp_counters().syn_cookies_sent, 3000 - _backlog + 1) << "the client's SYN too";
    EXPECT_EQ(server->tcp_counters().syn_cookies_accepted, 1u);
    EXPECT_EQ(server->tcp_counters().syn_cookies_rejected, 0u);
    EXPECT_EQ(server->counters().connections_opened, 1u);
    EXPECT_EQ(server->half_open_connections(), _backlog);

    let_the_flood_expire();
    EXPECT_GT(server->tcp_counters().retransmits, 0u) << "the flood's SYN-ACKs were retransmitted, then given up";
    _no_time_wait_closes = 1;  // the server's (the client closed first)
}

TEST_F(SlotsFullFloodTest, CookiesOnceEveryConnectionSlotIsTaken) {
    flood(max_connections + 50);
    EXPECT_EQ(server->half_open_connections(), max_connections);
    EXPECT_EQ(server->active_connections(), max_connections);
    EXPECT_EQ(server->tcp_counters().syn_cookies_sent, 50u);
    EXPECT_EQ(server->counters().drops[static_cast<std::size_t>(engine_drop::no_listener_room)], 0u);
    let_the_flood_expire();
}

// ---------------------------------------------------------------------------
// Loss

TEST_F(WiredEngineTest, OneMebibyteEchoSurvivesTwoPercentLoss) {
    _wire.loss_per_mille = 20;
    _lossy = true;
    std::vector<uint8_t> data = random_bytes(1 << 20, 3);
    client_conn s;
    ASSERT_TRUE(send_all_and_close(s, data, 600s));
    run_for(1ms);

    EXPECT_EQ(s.reason, close_reason::normal);
    ASSERT_EQ(s.received.size(), data.size());
    EXPECT_TRUE(s.received == data);
    EXPECT_GT(_wire.dropped, 0u);
    EXPECT_GT(client->tcp_counters().retransmits + server->tcp_counters().retransmits, 0u);
    // The peer's FIN may have been lost too: the server may still be in
    // LAST_ACK, retransmitting its FIN; give it time.
    ASSERT_TRUE(run_until([&] { return server->active_connections() == 0; }));
    _no_time_wait_closes = 1;
}

// ---------------------------------------------------------------------------
// Several lcores without RSS (docs/architecture.md, "Several lcores"): two
// engines per side on one ring port of two queue pairs (ring ports have no
// RSS), joined by a mailbox grid per side. Each engine polls its own RX
// queue and hands the TCP frames of flows another engine owns to it through
// the grid; ARP frames are shared. The test polls all four in turn.

class SoftwareDispatchTest : public testing::Test {
protected:
    static constexpr uint16_t lcores = 2;
    static constexpr uint32_t max_connections = 1024;
    static constexpr std::size_t response_size = 2000;

    struct side {
        std::unique_ptr<port::port> port;
        mailbox_grid grid{lcores};
        std::array<std::unique_ptr<engine>, lcores> engines;
        unsigned pool_start = 0;

        uint64_t sum(uint64_t engine_counters::*field) const {
            uint64_t n = 0;
            for (const auto& e : engines) n += e->counters().*field;
            return n;
        }
    };

    void SetUp() override {
        static unsigned link_counter = 0;
        std::string link = "disp" + std::to_string(link_counter++);
        std::string error;
        _cfg.msl = msl;
        // The server opens the link first: it sets the number of rings
        // both ways, so both sides get two RX and two TX queues.
        for (side* sd : {&_server, &_client}) {
            sd->port = port::port::open(ring_spec(link), sd == &_server ? 1 : 0,
                                        port::port_settings{.rx_queues = lcores, .tx_queues = lcores}, error);
            ASSERT_NE(sd->port, nullptr) << error;
            ASSERT_EQ(sd->port->queues(), lcores);
            ASSERT_FALSE(sd->port->rss());
            sd->pool_start = rte_mempool_avail_count(sd->port->pool());
        }
        for (uint16_t i = 0; i < lcores; ++i) {
            _server_apps[i] = std::make_unique<server_app>(server_mode::respond, max_connections, response_size);
            _server.engines[i] = make_engine(_server, i, server_ip, *_server_apps[i], error);
            ASSERT_NE(_server.engines[i], nullptr) << error;
            ASSERT_TRUE(_server.engines[i]->listen(server_port, _cfg, error)) << error;
            _client.engines[i] = make_engine(_client, i, client_ip, _client_apps[i], error);
            ASSERT_NE(_client.engines[i], nullptr) << error;
        }
    }

    std::unique_ptr<engine> make_engine(side& sd, uint16_t lcore, uint32_t ip, handler& h, std::string& error) {
        engine_settings s;
        s.ip = ip;
        s.max_connections = max_connections;
        s.max_time_wait = max_connections;
        s.queue = lcore;
        s.mailboxes = &sd.grid;
        s.dispatch_tcp = true;
        return engine::create(*sd.port, s, h, error);
    }

    void round() {
        for (side* sd : {&_client, &_server}) {
            for (auto& e : sd->engines) e->poll(now);
        }
        now += poll_step;
    }

    template <class P>
    bool run_until(P pred, duration limit = 60s) {
        return rounds_until(now, limit, pred, [this] { round(); });
    }

    tcp_config _cfg;
    side _server, _client;
    std::array<std::unique_ptr<server_app>, lcores> _server_apps;
    std::array<client_app, lcores> _client_apps;
    time_point now{};
};

TEST_F(SoftwareDispatchTest, FlowsReachTheirOwnerLcoreThroughTheMailboxes) {
    constexpr int per_lcore = 200;
    std::array<std::vector<client_conn>, lcores> conns{std::vector<client_conn>(per_lcore),
                                                       std::vector<client_conn>(per_lcore)};
    std::array<uint64_t, lcores> served_by{};  // the server lcore that owns each flow
    auto open = [&](uint16_t lcore, client_conn& s) {
        s.to_send = bytes_of("GET /\n");
        s.close_after = response_size;
        s.conn = _client.engines[lcore]->connect(now, server_ip, server_port, _cfg, &s);
        ASSERT_NE(s.conn, nullptr);
        // The source port was chosen so that the client's own dispatch
        // brings the replies back to the lcore that opened it.
        EXPECT_EQ(software_owner(slot_of(*s.conn).tcb->tuple(), lcores), lcore);
        ++served_by[software_owner(slot_of(*s.conn).tcb->tuple().reversed(), lcores)];
    };
    // One connection per lcore first: ARP resolves (each engine its own
    // cache), then the rest, fifty per round.
    for (uint16_t i = 0; i < lcores; ++i) open(i, conns[i][0]);
    ASSERT_TRUE(run_until([&] { return conns[0][0].opened && conns[1][0].opened; }));
    for (int k = 1; k < per_lcore; ++k) {
        for (uint16_t i = 0; i < lcores; ++i) open(i, conns[i][static_cast<std::size_t>(k)]);
        if (k % 50 == 0) round();
    }
    auto closed = [&] { return _client_apps[0].closed + _client_apps[1].closed; };
    ASSERT_TRUE(run_until([&] { return closed() == lcores * per_lcore; }));
    for (const auto& v : conns) {
        for (const auto& s : v) {
            EXPECT_EQ(s.reason, close_reason::normal);
            EXPECT_EQ(s.received.size(), response_size);
        }
    }
    // Each server lcore served exactly the flows the hash gave it, whichever
    // queue their frames arrived on (the client lcore that sent them).
    for (uint16_t i = 0; i < lcores; ++i) {
        EXPECT_GT(served_by[i], 0u);
        EXPECT_EQ(_server.engines[i]->counters().connections_opened, served_by[i]) << "server lcore " << i;
        EXPECT_GT(_server.engines[i]->counters().rx_packets, 0u) << "server lcore " << i << " polled nothing";
    }
    EXPECT_EQ(_server_apps[0]->requests + _server_apps[1]->requests, uint64_t{lcores * per_lcore});
    // Every frame one side sent, the other took off the wire.
    EXPECT_EQ(_client.sum(&engine_counters::tx_packets), _server.sum(&engine_counters::rx_packets));
    EXPECT_EQ(_server.sum(&engine_counters::tx_packets), _client.sum(&engine_counters::rx_packets));
    for (side* sd : {&_client, &_server}) {
        for (auto& e : sd->engines) {
            EXPECT_EQ(e->counters().drops[static_cast<std::size_t>(engine_drop::mailbox_full)], 0u);
            EXPECT_EQ(e->tcp_counters().retransmits, 0u);
        }
    }

    // The client closed first: TIME_WAIT on its side, reaped after 2*MSL;
    // then every mbuf is back in its pool (none left in a mailbox).
    now += 2 * msl + 10ms;
    for (int i = 0; i < 10; ++i) round();
    for (side* sd : {&_client, &_server}) {
        for (auto& e : sd->engines) {
            EXPECT_EQ(e->active_connections(), 0u);
            EXPECT_EQ(e->time_wait_connections(), 0u);
        }
        sd->engines = {};
        EXPECT_EQ(rte_mempool_avail_count(sd->port->pool()), sd->pool_start);
    }
}

}  // namespace
}  // namespace fptcp::engine
