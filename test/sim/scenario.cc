// Transfers run on the simulator (scenario.hh).

#include "scenario.hh"

#include <cmath>
#include <set>

namespace fptcp::sim {

using namespace std::chrono_literals;

scenario::scenario(uint64_t seed) : net(seed) {
    set_both([](link_config& l) {
        l.delay = 5ms;
        l.rate = 125'000'000;
    });
}

void scenario::open(const transfer& t) {
    set_both_hosts([&](tcp_config& c) {
        c.send_buffer = t.buffer;
        c.receive_buffer = t.buffer;
    });
    _finished_prefix = 0;
    apps_a.assign(t.connections, {});
    apps_b.assign(t.connections, {});
    for (int i = 0; i < t.connections; ++i) {
        app_state& a = apps_a[i];
        app_state& b = apps_b[i];
        a.to_send = t.bytes;
        b.to_send = t.one_way ? 0 : t.bytes;
        a.stream_seed = b.expect_seed = 2 * i + 1;
        b.stream_seed = a.expect_seed = 2 * i + 2;
        a.close_when_sent = b.close_when_sent = t.close_when_sent;
        a.compare = b.compare = t.compare;
    }
    net.b().listening = true;
    net.b().accept_app = [this](const four_tuple& tuple) { return &apps_b[tuple.remote_port - 40000]; };
    for (int i = 0; i < t.connections; ++i) net.a().connect(tuple(i), &apps_a[i]);
}

bool scenario::all_finished() {
    // Called after every event: resume where the last call stopped.
    while (_finished_prefix < apps_a.size() && apps_a[_finished_prefix].finished &&
           apps_b[_finished_prefix].finished) {
        ++_finished_prefix;
    }
    return _finished_prefix == apps_a.size();
}

outcome scenario::measure(time_point begin) const {
    outcome o;
    o.seconds = std::chrono::duration<double>(net.now - begin).count();
    uint64_t received = 0;
    for (size_t i = 0; i < apps_a.size(); ++i) received += apps_a[i].received + apps_b[i].received;
    o.goodput_mbps = o.seconds > 0 ? static_cast<double>(received) * 8 / o.seconds / 1e6 : 0;
    for (const auto& h : net.hosts) {
        sender_stats hs = h->sender();
        o.sent.data_segments += hs.data_segments;
        o.sent.retransmissions += hs.retransmissions;
        o.sent.spurious += hs.spurious;
        o.sent.timeouts += hs.timeouts;
        o.sent.probes += hs.probes;
        o.sent.tail_timeouts += hs.tail_timeouts;
        o.core_retransmits += h->out.counters.retransmits;
    }
    return o;
}

outcome scenario::run(const transfer& t, duration limit) {
    time_point begin = net.now;
    open(t);
    bool completed = net.run([this] { return all_finished(); }, limit);
    outcome o = measure(begin);
    o.completed = completed;
    net.run([this] { return net.idle(); }, std::chrono::minutes(10));  // TIME_WAIT: 2 * MSL
    return o;
}

sender_stats plus(const sender_stats& a, const sender_stats& b) {
    return {a.data_segments + b.data_segments, a.retransmissions + b.retransmissions, a.spurious + b.spurious,
            a.timeouts + b.timeouts, a.probes + b.probes, a.tail_timeouts + b.tail_timeouts, a.lost + b.lost};
}

double mathis_mbps(uint32_t mss, duration rtt, double p) {
    double rtt_s = std::chrono::duration<double>(rtt).count();
    return mss * 8.0 / rtt_s * std::sqrt(1.5) / std::sqrt(p) / 1e6;
}

namespace {

void configure(scenario& s, const path& p, congestion_algorithm cc, bool sack) {
    s.set_both([&](link_config& l) {
        l.rate = p.rate;
        l.delay = p.rtt / 2;
        l.jitter = p.jitter;
    });
    if (p.lan) s.net.timer_tick = std::chrono::milliseconds(1);
    s.set_both_hosts([&](tcp_config& c) {
        c.congestion = cc;
        c.sack_permitted = sack;
    });
}

sender_stats minus(const sender_stats& a, const sender_stats& b) {
    return {a.data_segments - b.data_segments, a.retransmissions - b.retransmissions, a.spurious - b.spurious,
            a.timeouts - b.timeouts, a.probes - b.probes, a.tail_timeouts - b.tail_timeouts, a.lost - b.lost};
}

// What the senders of a bulk run sent: A, and B too when both send.
sender_stats bulk_senders(const scenario& s, bool both_ways) {
    sender_stats a = s.net.a().sender();
    return both_ways ? plus(a, s.net.b().sender()) : a;
}

}  // namespace

bulk_result run_bulk(const bulk_config& c) {
    scenario s(c.seed);
    configure(s, c.p, c.cc, c.sack);
    s.set_both([&](link_config& l) {
        l.loss = c.loss;
        l.reorder = c.reorder;
        l.reorder_delay = c.reorder_delay;
    });
    const bool both_ways = c.p.lan;
    s.open({.bytes = UINT64_MAX / 2, .buffer = 4 << 20, .one_way = !both_ways, .close_when_sent = false,
            .compare = true});
    auto never = [] { return false; };
    s.net.run(never, c.p.length / 2);
    sender_stats half = bulk_senders(s, both_ways);
    s.net.run(never, c.p.length / 2);
    bulk_result r;
    r.received = s.apps_b[0].received + (both_ways ? s.apps_a[0].received : 0);
    r.mismatches = s.apps_b[0].mismatches + s.apps_a[0].mismatches;
    r.goodput_mbps = static_cast<double>(r.received) * 8 / std::chrono::duration<double>(c.p.length).count() / 1e6 /
                     (both_ways ? 2 : 1);
    r.sender = bulk_senders(s, both_ways);
    sender_stats second = minus(r.sender, half);
    r.second_half_segments = second.data_segments;
    r.second_half_spurious = second.spurious;
    return r;
}

namespace {

struct tail_run {
    time_point data_start{};
    time_point lost_sent{};  // the first lost segment's first transmission left A
    time_point repaired{};   // the last lost segment to be resent was resent
    bool delivered = false;
    sender_stats sender;
    duration delivery{};    // data_start to the last byte at B's application
};

// An established connection; then A sends `bytes` to B, losing the first
// transmission of the last `lost_segments` data segments (none when 0);
// then both close.
tail_run tail_transfer(congestion_algorithm cc, bool sack, uint64_t seed, uint32_t lost_segments) {
    constexpr uint64_t bytes = 100 * sim_segment_payload;
    const uint64_t lost_from = bytes - uint64_t{std::max<uint32_t>(lost_segments, 1)} * sim_segment_payload;
    scenario s(seed);
    configure(s, gigabit_10ms, cc, sack);
    tail_run r;
    std::set<uint64_t> resent;
    s.net.links[0].drop_data = [&](const data_frame& d) {
        if (d.offset + d.length <= lost_from) return false;
        if (d.retransmission) {
            if (resent.insert(d.offset).second) r.repaired = s.net.now;
            return false;
        }
        if (r.lost_sent == time_point{}) r.lost_sent = s.net.now;
        return lost_segments > 0;
    };
    s.open({.bytes = 0, .close_when_sent = false});
    auto tcb_of = [&](host& h, const four_tuple& t) -> tcp::tcb* { return h.find_connection(t); };
    four_tuple at_a = scenario::tuple(0), at_b = at_a.reversed();
    s.net.run([&] {
        tcp::tcb* b = tcb_of(s.net.b(), at_b);
        return b && b->state() == tcp::tcp_state::established;
    }, 10s);
    sender_stats before = s.net.a().sender();
    r.data_start = s.net.now;
    s.apps_a[0].to_send = bytes;
    s.net.a().poke(at_a);
    r.delivered = s.net.run([&] { return s.apps_b[0].received == bytes; }, 10min);
    r.delivered = r.delivered && s.apps_b[0].received_hash.hex_digest() == s.apps_a[0].sent_hash.hex_digest();
    r.delivery = s.apps_b[0].last_receive - r.data_start;
    s.net.run([&] {
        tcp::tcb* a = tcb_of(s.net.a(), at_a);
        return a && a->snd().una == a->snd().max;
    }, 10min);
    r.sender = minus(s.net.a().sender(), before);
    for (app_state* app : {&s.apps_a[0], &s.apps_b[0]}) app->close_when_sent = true;
    s.net.a().poke(at_a);
    s.net.b().poke(at_b);
    s.net.run([&] { return s.net.idle(); }, 10min);
    return r;
}

}  // namespace

double tail_probe_bound_rtts(uint32_t lost_segments) {
    auto rtts = [](duration d) { return std::chrono::duration<double>(d) / gigabit_10ms.rtt; };
    duration pto = 2 * gigabit_10ms.rtt;
    if (lost_segments == 1) pto = std::min<duration>(pto + tcp::tcb::worst_case_delayed_ack, tcp_config{}.rto_min);
    return 1 + rtts(pto) + (lost_segments > 1 ? 1 : 0) + 0.5;
}

tail_loss_result run_tail_loss(congestion_algorithm cc, bool sack, uint64_t seed, uint32_t lost_segments) {
    tail_run clean = tail_transfer(cc, sack, seed, 0);
    tail_run lossy = tail_transfer(cc, sack, seed, lost_segments);
    double rtt = std::chrono::duration<double>(gigabit_10ms.rtt).count();
    tail_loss_result r;
    r.delivered = clean.delivered && lossy.delivered;
    r.repair_after_rtts = lossy.repaired == time_point{}
                              ? 0
                              : std::chrono::duration<double>(lossy.repaired - lossy.lost_sent).count() / rtt;
    r.delay_rtts = std::chrono::duration<double>(lossy.delivery - clean.delivery).count() / rtt;
    r.sender = lossy.sender;
    return r;
}

}  // namespace fptcp::sim
