// The per-lcore poll loop: RX burst -> lib/wire -> ARP / ICMP / tcp::demux ->
// callbacks -> timers -> TIME_WAIT reaping -> TX burst.

#include "engine/engine.hh"

#include <rte_mbuf.h>
#include <sys/mman.h>

#include <algorithm>

#include "engine/boot_secret.hh"
#include "port/capture.hh"
#include "port/port.hh"
#include "tcp/wire_adapter.hh"
#include "wire/arp.hh"
#include "wire/frame.hh"
#include "wire/icmp.hh"
#include "wire/offload.hh"

namespace fptcp::engine {

using tcp::tcp_events;

// ---------------------------------------------------------------------------
// Set-up

namespace {

constexpr uint32_t ipv4_tcp_headers = 40;  // IPv4 and TCP without options

}  // namespace

std::unique_ptr<engine> engine::create(port::port& p, const engine_settings& s, handler& h, std::string& error) {
    link_settings l{.mac = p.mac(), .mtu = p.mtu(), .pool = p.pool(), .tx_checksum_offload = p.tx_checksum_offload()};
    return create(&p, l, s, h, error);
}

std::unique_ptr<engine> engine::create(const link_settings& l, const engine_settings& s, handler& h,
                                       std::string& error) {
    if (l.pool == nullptr || l.tx_queue == 0 || s.mailboxes != nullptr || s.pcap != nullptr) {
        error = "bring your own packets: the link needs a mempool and a TX queue; no mailboxes, no capture";
        return nullptr;
    }
    return create(nullptr, l, s, h, error);
}

std::unique_ptr<engine> engine::create(port::port* p, const link_settings& l, const engine_settings& s, handler& h,
                                       std::string& error) {
    if (s.max_connections == 0 || s.max_time_wait == 0) {
        error = "max_connections and max_time_wait must be positive";
        return nullptr;
    }
    if (s.source_ips == 0 || s.source_ips - 1 > ~s.ip || s.first_source_port == 0 || s.source_ports == 0 ||
        s.first_source_port + uint32_t{s.source_ports} > 65536) {
        error = "the source address or port range is empty or wraps";
        return nullptr;
    }
    // RFC 9293 3.7.1: the MSS we announce must fit the link, or the peer's
    // full segments would come in frames longer than the MTU.
    if (uint32_t{s.tcp.mss} + ipv4_tcp_headers > l.mtu) {
        error = "tcp mss " + std::to_string(s.tcp.mss) + " does not fit the link's MTU " + std::to_string(l.mtu) +
                " (at most " + std::to_string(l.mtu - ipv4_tcp_headers) + "): raise the MTU (--mtu) or lower mss";
        return nullptr;
    }
    std::unique_ptr<engine> e(new engine(p, l, s, h));
    // Buffer memory, then the range pool's: reserved, not committed
    // (MAP_NORESERVE); the kernel backs a page when a connection first writes
    // to it, so idle connections cost almost nothing and no allocation
    // happens on the packet path.
    std::size_t buffers = std::size_t{s.max_connections} * (s.tcp.send_buffer + s.tcp.receive_buffer);
    std::size_t ranges = std::max<std::size_t>(std::size_t{s.max_connections} * s.ranges_per_connection,
                                               4 * tcp::range_pool::largest_block);
    e->_buffers_size = buffers + ranges * sizeof(tcp::seq_range);
    void* mem = mmap(nullptr, e->_buffers_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED) {
        error = "cannot reserve " + std::to_string(e->_buffers_size >> 20) + " MiB of buffer memory";
        return nullptr;
    }
    // 4 KiB pages only: where transparent huge pages are "always", one 2 MiB
    // page would back the buffers of four connection slots on their first
    // byte, idle or not. A hint: failure is harmless.
    ::madvise(mem, e->_buffers_size, MADV_NOHUGEPAGE);
    e->_buffers = static_cast<uint8_t*>(mem);
    e->_ranges.emplace(std::span(reinterpret_cast<tcp::seq_range*>(e->_buffers + buffers), ranges));
    return e;
}

namespace {

// Where replies to our active opens arrive (engine/source_picker.hh).
reply_steering steering_of(const port::port* p, const engine_settings& s) {
    if (s.mailboxes == nullptr) return {};
    if (s.dispatch_tcp) return {.how = reply_steering::kind::software, .lcores = s.mailboxes->lcores()};
    if (p == nullptr || !p->rss() || p->reta_size() == 0) return {};
    return {.how = reply_steering::kind::rss,
            .lcores = p->queues(),
            .reta_size = p->reta_size(),
            .rss_key = port::symmetric_rss_key().data()};
}

}  // namespace

engine::engine(port::port* p, const link_settings& l, const engine_settings& s, handler& h)
    : _port(p),
      _link(l),
      _mtu(l.mtu),
      _settings(s),
      _handler(h),
      _connections(s.max_connections),
      _timers(s.max_connections),
      _flows(s.max_connections),
      _time_wait(s.max_time_wait),
      _wheel(4096, std::chrono::milliseconds(1), time_point{}),
      _isn(boot_isn_secret()),
      _cookies(tcp::isn_secret::random()),  // its own secret, not the ISN generator's
      // RFC 6056 3.3.1: start the source search at a random pair, so a
      // restarted client does not reuse the tuples of its last run.
      _sources(source_range{s.ip, s.source_ips, s.first_source_port, s.source_ports}, steering_of(p, s), s.queue,
               tcp::isn_secret::random().k0),
      _fault_rx(s.fault.rx, s.fault.seed, 2u * s.queue),
      _fault_tx(s.fault.tx, s.fault.seed, 2u * s.queue + 1) {
    // TCBs point at their tcp_config, kept in these two tables: they must
    // never reallocate (listen() and connect() stop at the reserved size).
    _listeners.reserve(max_listeners);
    _connect_configs.reserve(max_connect_configs);
    _rx_frames = std::make_unique<wire::parsed_frame[]>(burst_size);
    uint16_t lcores = s.mailboxes != nullptr ? s.mailboxes->lcores() : 1;
    _outbox.resize(lcores);
    _outbox_count.assign(lcores, 0);
    if (p == nullptr) _outgoing.resize(l.tx_queue);
    _free.reserve(s.max_connections);
    for (uint32_t i = s.max_connections; i > 0; --i) _free.push_back(i - 1);
    for (uint32_t i = 0; i < s.max_connections; ++i) {
        _connections[i].owner = this;
        _connections[i].index = i;
    }
}

engine::~engine() {
    for (uint32_t i = 0; i < _tx_count; ++i) rte_pktmbuf_free(_tx[i]);
    for (std::size_t i = 0; i < _outgoing_count; ++i) rte_pktmbuf_free(_outgoing[(_outgoing_head + i) % _outgoing.size()]);
    for (std::size_t l = 0; l < _outbox.size(); ++l) rte_pktmbuf_free_bulk(_outbox[l].data(), _outbox_count[l]);
    _arp.clear([](rte_mbuf* m) { rte_pktmbuf_free(m); });
    _connections.clear();  // TCBs give their ranges back to the pool, which is in the mapping
    if (_buffers != nullptr) munmap(_buffers, _buffers_size);
}

bool engine::listen(uint16_t port, const tcp_config& cfg, std::string& error) {
    if (std::string_view problem = tcp_config_problem(cfg); !problem.empty()) {
        error = std::string(problem);
        return false;
    }
    if (cfg.send_buffer > _settings.tcp.send_buffer || cfg.receive_buffer > _settings.tcp.receive_buffer) {
        error = "send_buffer / receive_buffer exceed the per-connection buffers (stack_settings::tcp)";
        return false;
    }
    if (_listeners.size() >= max_listeners) {
        error = "too many listeners";
        return false;
    }
    _listeners.push_back({port, cfg});
    return true;
}

bool engine::stop_listening(uint16_t port) {
    for (listener& l : _listeners) {
        if (l.open && l.port == port) {
            l.open = false;
            return true;
        }
    }
    return false;
}

// ---------------------------------------------------------------------------
// The loop

uint32_t engine::poll(time_point now) {
    _now = now;
    uint32_t taken = _settings.mailboxes != nullptr ? receive_forwarded(now) : 0;
    taken += receive_from_wire(now);
    if (_settings.mailboxes != nullptr) flush_forwarded();
    run_timers(now);
    _counters.time_wait_reaped += _time_wait.reap(now, _settings.time_wait_budget);
    _arp.tick(now, [this](const auto& event) {
        switch (event.kind) {
        case arp_event_kind::send_request:
            send_arp_request(event.ip);
            return;
        case arp_event_kind::failed:
            for (rte_mbuf* m : event.packets) {
                _counters.drop(engine_drop::arp_unresolved);
                rte_pktmbuf_free(m);
            }
            return;
        }
    });
    flush_tx();
    return taken;
}

// One RX burst from the port (none without one).
uint32_t engine::receive_from_wire(time_point now) {
    std::array<rte_mbuf*, burst_size> rx;
    uint16_t n = _port != nullptr && _settings.poll_rx ? _port->rx_burst(_settings.queue, rx.data(), burst_size) : 0;
    take_in(now, std::span(rx.data(), n));
    return n;
}

// Frames from the wire (at most burst_size), through the fault injector
// when it is on (which may return more frames than it was given: duplicates
// and frames it held back, released even when none came), then captured
// and handled in bursts of at most burst_size.
void engine::take_in(time_point now, std::span<rte_mbuf*> frames) {
    if (_fault_rx.enabled()) frames = _fault_rx.filter(frames, now);
    for (std::size_t i = 0; i < frames.size(); i += burst_size) {
        auto count = static_cast<uint16_t>(std::min<std::size_t>(burst_size, frames.size() - i));
        if (_settings.pcap != nullptr) _settings.pcap->record(frames.data() + i, count, false);
        receive_burst(now, frames.data() + i, count, true);
    }
}

void engine::receive(time_point now, rte_mbuf* const* frames, uint32_t n) {
    _now = now;
    std::array<rte_mbuf*, burst_size> burst;
    for (uint32_t i = 0; i < n; i += burst_size) {
        uint32_t count = std::min<uint32_t>(burst_size, n - i);
        std::copy_n(frames + i, count, burst.begin());
        take_in(now, std::span(burst.data(), count));
    }
    flush_tx();
}

uint32_t engine::take_tx(rte_mbuf** out, uint32_t max) {
    flush_tx();  // what calls on connections made since the last flush
    auto n = static_cast<uint32_t>(std::min<std::size_t>(max, _outgoing_count));
    for (uint32_t i = 0; i < n; ++i) {
        out[i] = _outgoing[_outgoing_head];
        _outgoing_head = _outgoing_head + 1 == _outgoing.size() ? 0 : _outgoing_head + 1;
    }
    _outgoing_count -= n;
    return n;
}

void engine::set_neighbor(uint32_t ip, const std::array<uint8_t, 6>& mac) {
    send_waiting(_arp.learn(ip, mac, _now), mac);
    flush_tx();
}

// A burst of frames from the wire (`from_wire`) or from another lcore:
// parsed first, then the flows of all its TCP segments looked up at once (the
// table prefetches every bucket before probing), then handled in order. TCP
// data is copied into its connection's ring, so each frame is freed here,
// unless it went to another lcore.
void engine::receive_burst(time_point now, rte_mbuf** pkts, uint16_t n, bool from_wire) {
    std::array<tcp::four_tuple, burst_size> tuples;
    std::array<uint32_t*, burst_size> slots;
    std::array<int16_t, burst_size> tuple_of;  // -1: not a TCP segment to look up
    uint16_t k = 0;
    for (uint16_t i = 0; i < n; ++i) {
        if (i + 1 < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void*));
        tuple_of[i] = -2;  // -2: dropped or forwarded, nothing more to do here
        wire::parsed_frame& f = _rx_frames[i];
        if (!parse(pkts[i], from_wire, f)) {
            rte_pktmbuf_free(pkts[i]);
            continue;
        }
        if (dispatch_elsewhere(pkts[i], f, from_wire)) continue;
        tuple_of[i] = -1;
        if (f.kind == wire::frame_kind::tcp && is_local(f.ip.dst)) {
            tuples[k] = tcp::arriving_tuple(f.ip, f.tcp);
            tuple_of[i] = static_cast<int16_t>(k++);
        }
    }
    _flows.find_burst(tuples.data(), k, slots.data());
    for (uint16_t i = 0; i < n; ++i) {
        if (tuple_of[i] == -2) continue;
        handle(now, _rx_frames[i], from_wire, tuple_of[i] >= 0 ? slots[tuple_of[i]] : nullptr);
        rte_pktmbuf_free(pkts[i]);
    }
}

bool engine::parse(rte_mbuf* m, bool from_wire, wire::parsed_frame& f) {
    if (from_wire) {
        ++_counters.rx_packets;
        _counters.rx_bytes += m->pkt_len;
    }
    if (m->nb_segs != 1) {
        _counters.drop(engine_drop::chained_mbuf);
        return false;
    }
    auto bytes = std::span(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len);
    if (wire::parse_error e = wire::parse_frame(bytes, wire::rx_checksum_offload(m->ol_flags), f);
        e != wire::parse_error::none) {
        _counters.drop(e);
        return false;
    }
    // A port may hand up a frame longer than its MTU (a ring or a TAP does,
    // up to the mbuf); nobody on the link may send one.
    if (f.eth.payload.size() > _mtu) {
        _counters.drop(engine_drop::frame_too_long);
        return false;
    }
    // Before any lookup, state or ARP request (RFC 1122 4.2.3.10 for SYNs).
    bool ip = f.kind == wire::frame_kind::tcp || f.kind == wire::frame_kind::icmp_echo;
    if (ip && is_martian(f.ip.src)) {
        _counters.drop(engine_drop::martian_source);
        return false;
    }
    return true;
}

// RFC 1122 3.2.1.3: a datagram from an address no host may send from is
// silently discarded: "this network" (0/8), loopback (127/8), multicast
// (224/4, also 3.2.1.3's rule for multicast sources), the limited broadcast
// and our subnet's broadcast address (none on a /31 or /32, RFC 3021), and
// our own addresses (a reply would come back to us).
bool engine::is_martian(uint32_t source) const {
    uint32_t first_octet = source >> 24;
    if (first_octet == 0 || first_octet == 127 || (first_octet & 0xf0) == 0xe0 || source == ~uint32_t{0}) return true;
    bool has_broadcast = _settings.prefix <= 30;
    return (has_broadcast && source == (_settings.ip | ~netmask())) || is_local(source);
}

// Several lcores: a TCP segment of a flow another lcore owns goes there
// (true: that lcore now owns the frame); an ARP frame for us is shared.
bool engine::dispatch_elsewhere(rte_mbuf* m, const wire::parsed_frame& f, bool from_wire) {
    if (!from_wire || _settings.mailboxes == nullptr) return false;
    if (f.kind == wire::frame_kind::arp && is_local(f.arp.target_ip)) share_with_other_lcores(m);
    if (f.kind != wire::frame_kind::tcp || !_settings.dispatch_tcp) return false;
    uint16_t owner = owner_of(tcp::arriving_tuple(f.ip, f.tcp));
    if (owner == _settings.queue) return false;
    forward(m, owner);
    return true;
}

void engine::handle(time_point now, const wire::parsed_frame& f, bool from_wire, uint32_t* slot_hint) {
    switch (f.kind) {
    case wire::frame_kind::arp:
        receive_arp(now, f, from_wire);
        return;
    case wire::frame_kind::icmp_echo:
        receive_icmp(f);
        return;
    case wire::frame_kind::tcp:
        receive_tcp(now, f, slot_hint);
        return;
    case wire::frame_kind::other:
        _counters.drop(engine_drop::not_for_us);
        return;
    }
}

// RFC 826: answer requests for our address, learn the sender when the
// request or reply is for us, and release what waited for that address. Every
// lcore learns (each has its own cache); only the one that took the frame off
// the wire answers.
void engine::receive_arp(time_point now, const wire::parsed_frame& f, bool from_wire) {
    if (!is_local(f.arp.target_ip)) {
        _counters.drop(engine_drop::not_for_us);
        return;
    }
    send_waiting(_arp.learn(f.arp.sender_ip, f.arp.sender_mac, now), f.arp.sender_mac);
    if (f.arp.op != wire::arp_op::request || !from_wire) return;
    rte_mbuf* m = alloc_frame();
    if (m == nullptr) return;
    auto out = std::span(rte_pktmbuf_mtod(m, uint8_t*), rte_pktmbuf_tailroom(m));
    std::size_t len = wire::write_arp_reply(out, _link.mac, f.arp.target_ip, f.arp.sender_mac, f.arp.sender_ip);
    m->data_len = m->pkt_len = static_cast<uint32_t>(len);
    ++_counters.arp_replies;
    enqueue_tx(m);
}

// RFC 792: an echo reply to the request's sender (so `ping` works).
void engine::receive_icmp(const wire::parsed_frame& f) {
    if (f.ip.dst != _settings.ip || !f.icmp.is_echo_request()) {
        _counters.drop(engine_drop::not_for_us);
        return;
    }
    rte_mbuf* m = alloc_frame();
    if (m == nullptr) return;
    wire::icmp_echo_spec spec = wire::echo_reply_spec(f, _ip_id++);
    auto out = std::span(rte_pktmbuf_mtod(m, uint8_t*), rte_pktmbuf_tailroom(m));
    std::size_t len = wire::write_icmp_echo_reply(out, spec);
    if (len == 0) {
        rte_pktmbuf_free(m);
        return;
    }
    m->data_len = m->pkt_len = static_cast<uint32_t>(len);
    ++_counters.icmp_echo_replies;
    enqueue_tx(m);
}

void engine::receive_tcp(time_point now, const wire::parsed_frame& f, uint32_t* slot_hint) {
    if (!is_local(f.ip.dst)) {
        _counters.drop(engine_drop::not_for_us);
        return;
    }
    // A frame from a host already in the cache refreshes its entry (only
    // refreshes: spoofed SYNs must not fill the cache).
    send_waiting(_arp.update(f.ip.src, f.eth.src, now), f.eth.src);
    tcp::four_tuple t = tcp::arriving_tuple(f.ip, f.tcp);
    tcp::demux_outcome<connection_slot> o =
        tcp::demux(*this, connection_at(slot_hint, t), t, now, tcp::to_segment(f.tcp), _out);
    if (o.result == tcp::demux_result::refused) _counters.drop(engine_drop::no_listener_room);
    flush_output(now, o.connection);
    if (o.connection != nullptr) settle(now, *o.connection);
}

// ---------------------------------------------------------------------------
// Other lcores

// The lcore that owns a flow when dispatching in software: a hash of the
// tuple as seen from our side, so both directions agree.
uint16_t engine::owner_of(const tcp::four_tuple& t) const {
    return software_owner(t, _settings.mailboxes->lcores());
}

void engine::forward(rte_mbuf* m, uint16_t lcore) {
    if (_outbox_count[lcore] == burst_size) flush_forwarded();
    _outbox[lcore][_outbox_count[lcore]++] = m;
}

// Each lcore keeps its own ARP cache; a reference to the frame goes to the
// others so they learn the same addresses.
void engine::share_with_other_lcores(rte_mbuf* m) {
    if (_settings.mailboxes == nullptr) return;
    for (uint16_t l = 0; l < _settings.mailboxes->lcores(); ++l) {
        if (l == _settings.queue) continue;
        rte_mbuf_refcnt_update(m, 1);
        forward(m, l);
    }
}

void engine::flush_forwarded() {
    for (uint16_t l = 0; l < _outbox.size(); ++l) {
        uint16_t n = _outbox_count[l];
        if (n == 0) continue;
        auto pushed = static_cast<uint16_t>(_settings.mailboxes->between(_settings.queue, l).push(_outbox[l].data(), n));
        for (uint16_t i = pushed; i < n; ++i) {
            _counters.drop(engine_drop::mailbox_full);
            rte_pktmbuf_free(_outbox[l][i]);
        }
        _outbox_count[l] = 0;
    }
}

uint32_t engine::receive_forwarded(time_point now) {
    std::array<rte_mbuf*, burst_size> in;
    uint32_t taken = 0;
    for (uint16_t l = 0; l < _settings.mailboxes->lcores(); ++l) {
        if (l == _settings.queue) continue;
        auto n = static_cast<uint16_t>(_settings.mailboxes->between(l, _settings.queue).pop(in.data(), burst_size));
        receive_burst(now, in.data(), n, false);
        taken += n;
    }
    return taken;
}

// ---------------------------------------------------------------------------
// tcp::demux's owner interface

static_assert(tcp::syn_flood_owner<engine>, "the engine answers SYN floods with cookies");

// t's connection: the burst lookup's answer when it still holds (an earlier
// segment of the burst may have opened or freed connections since), else a
// fresh lookup; nullptr when there is none.
connection_slot* engine::connection_at(const uint32_t* slot_hint, const tcp::four_tuple& t) {
    bool holds = slot_hint != nullptr && *slot_hint < _connections.size() && _connections[*slot_hint].tcb &&
                 _connections[*slot_hint].tcb->tuple() == t;
    const uint32_t* slot = holds ? slot_hint : _flows.find(t);
    return slot != nullptr ? &_connections[*slot] : nullptr;
}

const tcp_config* engine::find_listener(const tcp::four_tuple& t) const {
    if (t.local_ip != _settings.ip) return nullptr;
    for (const listener& l : _listeners) {
        if (l.open && l.port == t.local_port) return &l.cfg;
    }
    return nullptr;
}

connection_slot* engine::create_connection(const tcp::four_tuple& t, const tcp_config& cfg) {
    return open_slot(t, cfg, true);
}

// RFC 6528's timer M counts from boot (engine/boot_secret.hh): the caller's
// clock, moved to boot's epoch on the first call.
tcp::seq_num engine::next_iss(const tcp::four_tuple& t, time_point now) {
    auto since_epoch = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch());
    if (!_isn_epoch) _isn_epoch = since_boot() - since_epoch;
    return _isn.next({t.local_ip, t.remote_ip, t.local_port, t.remote_port}, since_epoch + *_isn_epoch);
}

// ---------------------------------------------------------------------------
// Connections

connection_slot* engine::open_slot(const tcp::four_tuple& t, const tcp_config& cfg, bool passive) {
    if (_free.empty()) return nullptr;
    insert_result<uint32_t> inserted = _flows.insert(t);
    if (inserted.status != insert_status::inserted) return nullptr;
    uint32_t* entry = inserted.value;
    uint32_t i = _free.back();
    _free.pop_back();
    *entry = i;
    connection_slot& c = _connections[i];
    const tcp_config& own = cfg;  // the engine's copy: a listener's, or keep_connect_config()'s
    std::size_t block = std::size_t{_settings.tcp.send_buffer} + _settings.tcp.receive_buffer;
    uint8_t* base = _buffers + block * i;
    tcp::connection_storage storage{std::span(base, own.send_buffer),
                                    std::span(base + _settings.tcp.send_buffer, own.receive_buffer), &*_ranges};
    c.tcb.emplace(own, t, storage);
    c.passive = passive;
    c.announced = !passive;
    c.established = false;
    c.user = nullptr;
    c.filed = no_deadline;
    return &c;
}

// After any call into a connection's TCB: deliver its events to the
// application (whose calls may cause more), then file its timer, or hand it
// to TIME_WAIT, or free it.
void engine::settle(time_point now, connection_slot& c) {
    connection_slot* outer = _dispatching;
    _dispatching = &c;
    for (uint8_t ev = c.tcb->take_events(); ev != 0; ev = c.tcb->take_events()) {
        if ((ev & tcp_events::path_suspect) != 0) {
            _arp.expire(next_hop(c.tcb->tuple().remote_ip), now);
            ++_counters.path_suspects;
        }
        dispatch(c, ev);
        flush_output(now, &c);
    }
    _dispatching = outer;
    tcp::tcp_state s = c.tcb->state();
    if (s == tcp::tcp_state::time_wait) {
        _time_wait.insert(tcp::make_time_wait_entry(*c.tcb, now));
    }
    if (s == tcp::tcp_state::time_wait || s == tcp::tcp_state::closed) {
        free_slot(c);
        return;
    }
    count_state(c, s);
    refile_timer(c);
}

// Every call into a TCB ends in settle(), so the counts follow each TCB from
// state to state (the half-open count decides when SYN cookies start), and
// free_slot() takes it out of them.
void engine::count_state(connection_slot& c, tcp::tcp_state s) {
    if (s == c.counted) return;
    if (c.counted != tcp::tcp_state::closed) --_in_state[static_cast<std::size_t>(c.counted)];
    if (s != tcp::tcp_state::closed) ++_in_state[static_cast<std::size_t>(s)];
    c.counted = s;
}

uint32_t engine::connections_in(tcp::tcp_state s) const {
    if (s == tcp::tcp_state::time_wait) return time_wait_connections();
    return _in_state[static_cast<std::size_t>(s)];
}

void engine::dispatch(connection_slot& c, uint8_t ev) {
    if ((ev & tcp_events::connected) != 0) {
        ++_counters.connections_opened;
        c.established = true;
        c.announced = true;
        _handler.on_open(c);
    }
    if (!c.announced) return;  // a half-open passive connection the application never saw
    if ((ev & tcp_events::readable) != 0) _handler.on_data(c);
    if ((ev & tcp_events::writable) != 0) _handler.on_writable(c);
    if ((ev & tcp_events::peer_closed) != 0) _handler.on_peer_closed(c);
    if ((ev & tcp_events::closed) != 0) _handler.on_closed(c, c.tcb->reason());
}

void engine::free_slot(connection_slot& c) {
    if (c.established) ++_counters.connections_closed;
    count_state(c, tcp::tcp_state::closed);
    _wheel.cancel(_timers[c.index]);
    _flows.erase(c.tcb->tuple());
    c.tcb.reset();
    c.user = nullptr;
    _free.push_back(c.index);
}

void engine::refile_timer(connection_slot& c) {
    time_point deadline = c.tcb->next_deadline();
    if (deadline == c.filed) return;
    c.filed = deadline;
    if (deadline == no_deadline) {
        _wheel.cancel(_timers[c.index]);
    } else {
        _wheel.arm(_timers[c.index], deadline);
    }
}

void engine::run_timers(time_point now) {
    _wheel.advance(now, _settings.timer_budget, [this, now](timer_hook& hook) {
        connection_slot& c = _connections[static_cast<uint32_t>(&hook - _timers.data())];
        c.filed = no_deadline;
        c.tcb->on_timer(now, _out);
        flush_output(now, &c);
        settle(now, c);
    });
}

const tcp_config* engine::keep_connect_config(const tcp_config& cfg) {
    for (const tcp_config& kept : _connect_configs) {
        if (kept == cfg) return &kept;
    }
    if (_connect_configs.size() == max_connect_configs) return nullptr;
    return &_connect_configs.emplace_back(cfg);
}

connection_slot* engine::connect(time_point now, uint32_t remote_ip, uint16_t remote_port, const tcp_config& given,
                            void* user) {
    if (!tcp_config_problem(given).empty() || given.send_buffer > _settings.tcp.send_buffer ||
        given.receive_buffer > _settings.tcp.receive_buffer) {
        return nullptr;
    }
    const tcp_config* kept = keep_connect_config(given);
    if (kept == nullptr) return nullptr;
    const tcp_config& cfg = *kept;
    // A source no connection or TIME_WAIT entry of this tuple uses, whose
    // replies reach this lcore.
    std::optional<tcp::four_tuple> picked = _sources.next(remote_ip, remote_port, [this](const tcp::four_tuple& t) {
        return _flows.find(t) == nullptr && _time_wait.find(t) == nullptr;
    });
    if (!picked) return nullptr;
    const tcp::four_tuple& t = *picked;
    connection_slot* c = open_slot(t, cfg, false);
    if (c == nullptr) return nullptr;
    c->user = user;
    _now = std::max(_now, now);
    c->tcb->open_active(now, next_iss(t, now), _out);
    flush_output(now, c);
    settle(now, *c);
    return c;
}

// ---------------------------------------------------------------------------
// The application's calls on a connection

}  // namespace fptcp::engine

namespace fptcp {

using engine::slot_of;

uint32_t connection::send(std::span<const uint8_t> data, bool more) {
    engine::connection_slot& s = slot_of(*this);
    uint32_t n = s.tcb->send(s.owner->_now, data, s.owner->_out, more);
    s.owner->after_app_call(s);
    return n;
}

// The core keeps bytes, not mbufs (docs/architecture.md, "Buffers"): the
// payload is copied like send(span)'s.
bool connection::send(rte_mbuf* m, bool more) {
    engine::connection_slot& s = slot_of(*this);
    if (m->pkt_len > send_space()) return false;
    uint32_t taken = 0;
    for (const rte_mbuf* seg = m; seg != nullptr; seg = seg->next) {
        taken += s.tcb->send(s.owner->_now, std::span(rte_pktmbuf_mtod(seg, const uint8_t*), seg->data_len),
                             s.owner->_out, true);
    }
    if (taken != m->pkt_len) return false;  // a state that takes no data (taken is 0)
    rte_pktmbuf_free(m);
    if (!more) s.tcb->transmit(s.owner->_now, s.owner->_out);
    s.owner->after_app_call(s);
    return true;
}

uint32_t connection::send_space() const { return slot_of(*this).tcb->send_space(); }

std::array<std::span<const uint8_t>, 2> connection::readable() const { return slot_of(*this).tcb->readable(); }

uint32_t connection::readable_size() const { return slot_of(*this).tcb->readable_size(); }

std::string_view connection::peek(std::span<char> out) const {
    std::size_t n = 0;
    for (const auto& part : readable()) {
        std::size_t take = std::min(part.size(), out.size() - n);
        std::copy_n(part.begin(), take, out.begin() + static_cast<std::ptrdiff_t>(n));
        n += take;
    }
    return {out.data(), n};
}

void connection::consume(uint32_t n) {
    engine::connection_slot& s = slot_of(*this);
    s.tcb->consume(s.owner->_now, n, s.owner->_out);
    s.owner->after_app_call(s);
}

void connection::shutdown() {
    engine::connection_slot& s = slot_of(*this);
    s.tcb->shutdown(s.owner->_now, s.owner->_out);
    s.owner->after_app_call(s);
}

void connection::close() {
    engine::connection_slot& s = slot_of(*this);
    s.tcb->close(s.owner->_now, s.owner->_out);
    s.owner->after_app_call(s);
}

void connection::abort() {
    engine::connection_slot& s = slot_of(*this);
    s.tcb->abort(s.owner->_now, s.owner->_out);
    s.owner->after_app_call(s);
}

void connection::set_nodelay(bool on) { slot_of(*this).tcb->set_nodelay(on); }

uint32_t connection::local_ip() const { return slot_of(*this).tcb->tuple().local_ip; }
uint16_t connection::local_port() const { return slot_of(*this).tcb->tuple().local_port; }
uint32_t connection::remote_ip() const { return slot_of(*this).tcb->tuple().remote_ip; }
uint16_t connection::remote_port() const { return slot_of(*this).tcb->tuple().remote_port; }
std::string_view connection::state_name() const { return tcp::to_string(slot_of(*this).tcb->state()); }
bool connection::passive() const { return slot_of(*this).passive; }
uint32_t connection::slot() const { return slot_of(*this).index; }

}  // namespace fptcp

namespace fptcp::engine {

// Sends what the call produced; outside this connection's own callbacks also
// delivers its events (a close can end it at once), inside them the settle
// already running does.
void engine::after_app_call(connection_slot& c) {
    flush_output(_now, &c);
    if (_dispatching != &c) settle(_now, c);
}

// ---------------------------------------------------------------------------
// TX

// Turns the core's segments into frames. The payload views point into the
// connection's send ring, so this runs before the next call into it; when the
// core stopped for room (data_pending), `c` may send more.
void engine::flush_output(time_point now, connection_slot* c) {
    for (;;) {
        for (uint32_t i = 0; i < _out.count; ++i) send_segment(_out.segments[i]);
        bool more = _out.data_pending;
        _out.clear();
        if (!more || c == nullptr || !c->tcb) return;
        c->tcb->transmit(now, _out);
    }
}

rte_mbuf* engine::alloc_frame() {
    rte_mbuf* m = rte_pktmbuf_alloc(_link.pool);
    if (m == nullptr) _counters.drop(engine_drop::tx_no_mbuf);
    return m;
}

void engine::send_segment(const tcp::outgoing_segment& s) {
    rte_mbuf* m = alloc_frame();
    if (m == nullptr) return;
    wire::tcp_frame_spec spec = tcp::to_frame_spec(s);
    spec.src_mac = _link.mac;
    spec.ip_id = _ip_id++;
    // With a capture running, checksums are computed here so that the file
    // shows the frames as they go on the wire.
    bool offload = _link.tx_checksum_offload && _settings.pcap == nullptr;
    spec.tx = offload ? wire::tx_checksum::offload : wire::tx_checksum::software;
    auto out = std::span(rte_pktmbuf_mtod(m, uint8_t*), rte_pktmbuf_tailroom(m));
    std::size_t len = wire::write_tcp_frame(out, spec);
    m->data_len = m->pkt_len = static_cast<uint32_t>(len);
    if (spec.tx == wire::tx_checksum::offload) {
        m->ol_flags |= wire::tx_checksum_ol_flags;
        m->l2_len = 14;
        m->l3_len = 20;
    }
    send_frame(m, next_hop(s.tuple.remote_ip));
}

// The destination MAC comes from the ARP cache; an unknown next hop holds the
// frame (bounded) while a request goes out.
// Frames that waited for their next hop's address, which is now known.
void engine::send_waiting(std::span<rte_mbuf*> frames, const wire::mac_address& mac) {
    for (rte_mbuf* m : frames) {
        wire::store_mac(rte_pktmbuf_mtod(m, uint8_t*), mac);
        enqueue_tx(m);
    }
}

void engine::send_frame(rte_mbuf* m, uint32_t hop) {
    if (const wire::mac_address* mac = _arp.lookup(hop, _now)) {
        wire::store_mac(rte_pktmbuf_mtod(m, uint8_t*), *mac);
        enqueue_tx(m);
        return;
    }
    auto r = _arp.enqueue(hop, m, _now);
    switch (r.status) {
    case arp_enqueue_status::queued_send_request:
        send_arp_request(hop);
        return;
    case arp_enqueue_status::queued:
        return;
    case arp_enqueue_status::queued_dropped_oldest:
    case arp_enqueue_status::table_full:
        _counters.drop(engine_drop::arp_unresolved);
        rte_pktmbuf_free(r.packet);
        return;
    case arp_enqueue_status::reachable:
        send_frame(r.packet, hop);
        return;
    }
}

void engine::send_arp_request(uint32_t ip) {
    rte_mbuf* m = alloc_frame();
    if (m == nullptr) return;
    auto out = std::span(rte_pktmbuf_mtod(m, uint8_t*), rte_pktmbuf_tailroom(m));
    m->data_len = m->pkt_len = static_cast<uint32_t>(wire::write_arp_request(out, _link.mac, _settings.ip, ip));
    enqueue_tx(m);
}

uint32_t engine::next_hop(uint32_t ip) const {
    uint32_t mask = netmask();
    bool on_link = (ip & mask) == (_settings.ip & mask);
    return on_link || !_settings.gateway ? ip : *_settings.gateway;
}

void engine::enqueue_tx(rte_mbuf* m) {
    if (_tx_count == _tx.size()) flush_tx();
    ++_counters.tx_packets;
    _counters.tx_bytes += m->pkt_len;
    _tx[_tx_count++] = m;
}

// Sends the batch (through the fault injector when it is on: the capture
// shows what fptcp sent, before the injected faults); what the queue does not
// take after a few tries is freed and counted (a full TX ring must not stall
// the loop).
void engine::flush_tx() {
    if (_settings.pcap != nullptr && _tx_count > 0) {
        _settings.pcap->record(_tx.data(), static_cast<uint16_t>(_tx_count), true);
    }
    std::span<rte_mbuf*> frames(_tx.data(), _tx_count);
    if (_fault_tx.enabled()) frames = _fault_tx.filter(frames, _now);
    std::size_t sent = _port != nullptr ? transmit_on_port(frames) : hold_for_application(frames);
    for (std::size_t i = sent; i < frames.size(); ++i) {
        _counters.drop(engine_drop::tx_queue_full);
        rte_pktmbuf_free(frames[i]);
    }
    _tx_count = 0;
}

std::size_t engine::transmit_on_port(std::span<rte_mbuf*> frames) {
    std::size_t sent = 0;
    for (int tries = 0; tries < 4 && sent < frames.size(); ++tries) {
        sent += _port->tx_burst(_settings.queue, frames.data() + sent, static_cast<uint16_t>(frames.size() - sent));
    }
    return sent;
}

std::size_t engine::hold_for_application(std::span<rte_mbuf*> frames) {
    std::size_t held = std::min(frames.size(), _outgoing.size() - _outgoing_count);
    for (std::size_t i = 0; i < held; ++i) {
        _outgoing[(_outgoing_head + _outgoing_count) % _outgoing.size()] = frames[i];
        ++_outgoing_count;
    }
    return held;
}

}  // namespace fptcp::engine
