#pragma once
// A deterministic two-host network simulator for the TCP core (docs/sim.md).
//
// Two hosts, each a demux owner holding many connections and TIME_WAIT
// entries, joined by one simulated link per direction. Time is virtual: an
// event queue of (time, seq, event) delivers frames and fires each TCB's
// next_deadline(). Every fault draws from one seeded std::mt19937_64, so a
// seed fixes the whole packet trace. Every segment crosses the link as a real
// frame (lib/wire), so corruption is caught by the real checksum code.

#include <array>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <random>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "support/range_memory.hh"
#include "support/sha256.hh"
#include "tcp/demux.hh"
#include "tcp/wire_adapter.hh"
#include "wire/frame.hh"

namespace fptcp::sim {

using namespace std::chrono_literals;
using tcp::duration;
using tcp::four_tuple;
using tcp::time_point;

struct tuple_hash {
    size_t operator()(const four_tuple& t) const {
        uint64_t a = (uint64_t{t.local_ip} << 32) | t.remote_ip;
        uint64_t b = (uint64_t{t.local_port} << 16) | t.remote_port;
        uint64_t h = (a ^ (b * 0x9e3779b97f4a7c15ull)) * 0xbf58476d1ce4e5b9ull;  // splitmix64 finaliser
        return h ^ (h >> 31);
    }
};

// A blackout: nothing arriving in [from, to) gets through.
struct blackout {
    duration from;  // since the start of the simulation
    duration to;
};

// A data segment as it is put on the link, placed in its byte stream by the
// simulator's stream_tracker (offset 0 = the first byte after the SYN).
struct data_frame {
    int from;               // sending host
    uint64_t offset;        // stream offset of the first payload byte
    uint32_t length;        // payload bytes (> 0)
    bool retransmission;    // starts below the highest offset sent before
    uint64_t transmission = 0;  // the simulator's count of data frames sent, this one included
};

// The faults and shape of one direction of the link.
struct link_config {
    duration delay = 5ms;            // one way
    // Each frame's delay grows by a uniform draw in [0, jitter]; frames
    // still arrive in the order they were sent (a FIFO link; `reorder`
    // reorders).
    duration jitter{};
    uint64_t rate = 125'000'000;     // bytes per second (1 Gbit/s); 0: no serialisation delay
    uint64_t queue_bytes = 4'000'000;  // drop-tail bound on bytes waiting to be serialised
    double loss = 0;                 // independent loss probability
    // Gilbert-Elliott burst loss: good -> bad with p_bad, bad -> good with
    // p_good; every frame in the bad state is lost.
    double burst_p_bad = 0;
    double burst_p_good = 1;
    double reorder = 0;              // probability a frame is held back...
    duration reorder_delay = 10ms;   // ...by up to this much extra
    double duplicate = 0;            // probability a frame arrives twice
    double corrupt = 0;              // probability one bit of the TCP segment flips
    std::vector<blackout> blackouts;
    // Drops chosen data segments (a scripted tail loss), before the faults above.
    std::function<bool(const data_frame&)> drop_data;
};

struct link_stats {
    uint64_t sent = 0, delivered = 0, lost = 0, burst_lost = 0, queue_drops = 0, blackout_drops = 0;
    uint64_t reordered = 0, duplicated = 0, corrupted = 0, checksum_rejects = 0, other_rejects = 0;
    uint64_t scripted_drops = 0, down_drops = 0;  // link_config::drop_data; a crashed receiver
};

// What the simulator saw one host send, judged from outside the core.
struct sender_stats {
    uint64_t data_segments = 0;  // data segments put on the link, retransmissions included
    uint64_t retransmissions = 0;  // data segments starting below the highest offset sent before
    // Retransmissions of bytes that had all reached the peer and been
    // accepted (no drop counted) before: the original was not lost.
    uint64_t spurious = 0;
    // From the core's counters (tcp_counters::timeouts, loss_probes).
    uint64_t timeouts = 0;  // retransmission timeouts of data or FIN (RFC 6298 5.4)
    uint64_t probes = 0;    // tail loss probes (RFC 8985 7)
    // Timeouts of a tail loss: when the timer fired, nothing the host had
    // sent after the latest transmission of the oldest unacknowledged octet
    // had reached the peer, so no ACK could have told the sender of the loss
    // (the whole tail of the flight was lost; a blackout is one). The
    // simulator's judgement, from outside the core.
    uint64_t tail_timeouts = 0;
    // Data segments the link lost (random or burst loss, a full queue, a
    // blackout, a scripted drop): what retransmissions must repair.
    uint64_t lost = 0;
};

// Byte ranges [start, end) of one stream, merged.
class range_set {
public:
    void add(uint64_t start, uint64_t end);
    bool covers(uint64_t start, uint64_t end) const;

private:
    std::map<uint64_t, uint64_t> _ranges;  // start -> end
};

// One direction of one connection, seen on the wire.
struct stream_track {
    uint32_t isn = 0;
    uint64_t sent_end = 0;  // highest stream offset sent + 1
    range_set accepted;     // arrived and accepted by the receiver
    // The latest transmission of each data segment above the sender's
    // SND.UNA: offset -> (end, the simulator's transmission number).
    std::map<uint64_t, std::pair<uint64_t, uint64_t>> last_sent;
    uint64_t latest_accepted = 0;  // the highest transmission number the receiver accepted
    // 32-bit sequence number -> 64-bit stream offset, near what was sent.
    uint64_t offset(uint32_t seq) const {
        uint32_t rel = seq - isn - 1;
        return sent_end + static_cast<int64_t>(static_cast<int32_t>(rel - static_cast<uint32_t>(sent_end)));
    }
};

// The application on one end of one connection: sends `to_send` bytes of a
// stream fixed by `stream_seed`, reads everything, shuts down when done.
struct app_state {
    uint64_t to_send = 0;
    uint64_t stream_seed = 0;
    uint64_t sent = 0;
    uint64_t received = 0;
    testing::sha256 sent_hash;
    testing::sha256 received_hash;
    bool shut = false;
    bool peer_closed = false;
    bool close_when_sent = true;  // shut down once to_send is sent; false holds the connection open
    // Instead of hashing, compare every received byte with stream
    // `expect_seed` (cheaper than SHA-256 for long runs); counts mismatches.
    bool compare = false;
    uint64_t expect_seed = 0;
    uint64_t mismatches = 0;
    time_point last_receive{};  // when the latest in-order data reached the application
    close_reason reason = close_reason::none;
    bool finished = false;  // the TCB was freed (closed or handed to TIME_WAIT)
};

// Word w (bytes 8w to 8w + 7, little-endian) of stream `seed`: splitmix64.
inline uint64_t stream_word(uint64_t seed, uint64_t w) {
    uint64_t z = seed + (w + 1) * 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

inline uint8_t stream_byte(uint64_t seed, uint64_t i) { return static_cast<uint8_t>(stream_word(seed, i / 8) >> (8 * (i % 8))); }

// Bytes [offset, offset + out.size()) of stream `seed`.
void fill_stream(uint64_t seed, uint64_t offset, std::span<uint8_t> out);

class simulator;

class host {
public:
    struct connection {
        std::vector<uint8_t> snd, rcv;
        std::optional<tcp::tcb> tcb;
        app_state* app = nullptr;
        time_point scheduled = tcp::no_deadline;  // earliest queued timer event
    };

    host(simulator& sim, int index, uint32_t ip) : _sim(sim), _index(index), _ip(ip) {}

    tcp_config cfg;
    bool listening = false;
    uint16_t listen_port = 80;
    tcp::tcp_output out;
    testing::range_memory ranges{64 * tcp::range_pool::largest_block};  // before conns, which give their ranges back to it
    std::unordered_map<four_tuple, std::unique_ptr<connection>, tuple_hash> conns;
    std::unordered_map<four_tuple, tcp::time_wait_entry, tuple_hash> time_waits;
    sender_stats sent;  // updated by the simulator; timeouts and probes stay 0 here
    uint64_t timer_leaks = 0;  // TCBs freed with a timer armed
    bool down = false;  // crashed: frames to this host vanish
    // Applications for passive opens, by the remote port (set before the SYN).
    std::function<app_state*(const four_tuple&)> accept_app;

    uint32_t ip() const { return _ip; }
    // What this host sent: the simulator's view plus the core's timeout and probe counts.
    sender_stats sender() const {
        sender_stats s = sent;
        s.timeouts = out.counters.timeouts;
        s.probes = out.counters.loss_probes;
        return s;
    }

    // demux owner interface
    tcp::tcb* find_connection(const four_tuple& t) {
        auto it = conns.find(t);
        return it == conns.end() ? nullptr : &*it->second->tcb;
    }
    tcp::time_wait_entry* find_time_wait(const four_tuple& t) {
        auto it = time_waits.find(t);
        return it == time_waits.end() ? nullptr : &it->second;
    }
    void erase_time_wait(const four_tuple& t) { time_waits.erase(t); }
    const tcp_config* find_listener(const four_tuple& t) const {
        return listening && t.local_port == listen_port ? &cfg : nullptr;
    }
    tcp::tcb* create_connection(const four_tuple& t, const tcp_config& c);
    tcp::seq_num next_iss(const four_tuple&, time_point);

    void connect(const four_tuple& t, app_state* app);
    void receive(const four_tuple& t, const tcp::segment& s);
    void on_timer_event(const four_tuple& t);
    void on_time_wait_event(const four_tuple& t);
    // The application looks at connection `t` again (after changing its app_state).
    void poke(const four_tuple& t) { service(t); }
    // Loses every connection and TIME_WAIT entry at once, saying nothing, and
    // stops answering (a crash or power loss); reboot() answers again, with
    // no memory of the old connections.
    void crash();
    void reboot() { down = false; }

private:
    simulator& _sim;
    int _index;
    uint32_t _ip;

    void service(const four_tuple& t);
    void flush();
    void read_all(connection& c, app_state& app);
    void write_all(connection& c, app_state& app);
    void transmit_pending(tcp::tcb& tcb);
    void schedule(const four_tuple& t, connection& c);
};

class simulator {
public:
    explicit simulator(uint64_t seed) : rng(seed) {
        hosts[0] = std::make_unique<host>(*this, 0, 0x0a000001);
        hosts[1] = std::make_unique<host>(*this, 1, 0x0a000002);
    }

    std::mt19937_64 rng;
    std::array<link_config, 2> links;  // links[i]: frames sent by host i
    std::array<link_stats, 2> stats;
    std::array<std::unique_ptr<host>, 2> hosts;
    time_point start = time_point(std::chrono::seconds(1000));
    time_point now = start;
    uint64_t trace_hash = 0xcbf29ce484222325ull;  // FNV-1a 64 over delivered segments
    uint64_t events = 0;
    bool verbose = false;  // print every delivered segment (debugging)
    // The engine fires timers from a wheel of 1 ms ticks (lib/engine/
    // timer_wheel.hh): a deadline fires at the first tick at or after it.
    // 0 (the default) fires each deadline at its microsecond.
    duration timer_tick{};

    // When a timer due at `deadline` fires (timer_tick).
    time_point fires_at(time_point deadline) const;

    double uniform() { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }
    bool chance(double p) { return p > 0 && uniform() < p; }

    host& a() { return *hosts[0]; }
    host& b() { return *hosts[1]; }

    // Puts the frame of segment `s`, written by host `from`, on its link.
    void transmit(int from, const tcp::outgoing_segment& s, std::vector<uint8_t> frame);

    void at(time_point t, std::function<void()> fn) { _queue.push({t, _seq++, std::move(fn)}); }

    // Runs events until `done` holds (returns true) or until `limit` has
    // passed (returns false, with `now` at the limit).
    bool run(const std::function<bool()>& done, duration limit);

    // The receiver accepted segment `s` of the stream `sender` sends (no drop counted).
    void track_accepted(const four_tuple& sender, const tcp::segment& s);
    // Host `from`'s connection `t` just had a retransmission timeout while
    // `una` was its oldest unacknowledged octet: counts it, and whether it
    // was a tail loss (sender_stats::tail_timeouts).
    void track_timeout(int from, const four_tuple& t, tcp::seq_num una);

    bool idle() const {
        return a().conns.empty() && b().conns.empty() && a().time_waits.empty() && b().time_waits.empty();
    }
    const host& a() const { return *hosts[0]; }
    const host& b() const { return *hosts[1]; }

private:
    struct event {
        time_point t;
        uint64_t seq;
        std::function<void()> fn;
        bool operator>(const event& o) const { return t != o.t ? t > o.t : seq > o.seq; }
    };
    std::priority_queue<event, std::vector<event>, std::greater<event>> _queue;
    uint64_t _seq = 0;
    std::array<int64_t, 2> _link_free_ns{};  // when each link is next free, since `start`
    std::array<bool, 2> _burst_bad{};
    std::array<time_point, 2> _fifo_arrival{};  // the latest arrival on each link, reordering aside
    // Per sending tuple (local = sender); a new SYN starts a new stream.
    std::unordered_map<four_tuple, stream_track, tuple_hash> _streams;

    // Classifies a segment `from` sends; nullopt when it carries no data.
    std::optional<data_frame> track_sent(int from, const tcp::outgoing_segment& s);

    uint64_t _transmissions = 0;  // data frames sent so far: each one's number
    uint64_t _arriving = 0;       // the transmission number of the frame being delivered (0: no data)

    void deliver(int from, const std::vector<uint8_t>& frame, uint64_t transmission);
    // Link `from` lost a frame: counted as data lost when it carried data.
    void count_lost(int from, const std::optional<data_frame>& data) {
        if (data) ++hosts[from]->sent.lost;
    }
    // The arrival of a frame leaving at `depart`: delay plus jitter, not
    // before the frame sent before it.
    time_point arrival(int from, time_point depart);
    // Forgets transmissions wholly below the sender's SND.UNA.
    void forget_acknowledged(int from, const four_tuple& t, stream_track& st);
    void hash_u64(uint64_t v) {
        for (int i = 0; i < 8; ++i) {
            trace_hash ^= (v >> (8 * i)) & 0xff;
            trace_hash *= 0x100000001b3ull;
        }
    }
};

}  // namespace fptcp::sim
