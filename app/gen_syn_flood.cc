#include "app/gen_syn_flood.hh"

#include <rte_mbuf.h>

#include <array>
#include <span>

#include "port/port.hh"
#include "wire/arp.hh"
#include "wire/frame.hh"
#include "wire/offload.hh"
#include "wire/tcp.hh"

namespace fptcp::app {

namespace {

constexpr uint16_t syn_mss = 1460;
constexpr uint64_t arp_retry_ns = 100'000'000;

uint32_t next_hop(const gen_options& o) {
    uint32_t mask = o.prefix == 0 ? 0 : ~uint32_t{0} << (32 - o.prefix);
    bool on_link = (o.server_ip & mask) == (o.ip & mask);
    return on_link || !o.gateway ? o.server_ip : *o.gateway;
}

}  // namespace

syn_flood::syn_flood(const gen_options& opts, port::port& p, clock_fn now_ns)
    : _opts(opts),
      _port(p),
      _now_ns(now_ns),
      _interval_ns(opts.rate == 0 ? 0 : 1'000'000'000 / opts.rate) {}

void syn_flood::add(uint64_t syn_flood_counts::*field, uint64_t n) {
    _total.*field += n;
    if (_measuring) _measured.*field += n;
}

bool syn_flood::resolve_server(uint64_t timeout_ns) {
    uint32_t hop = next_hop(_opts);
    uint64_t start = _now_ns(), next_request = start;
    std::array<rte_mbuf*, burst> rx;
    wire::parsed_frame f;
    while (_now_ns() - start < timeout_ns) {
        if (_now_ns() >= next_request) {
            next_request += arp_retry_ns;
            if (rte_mbuf* m = rte_pktmbuf_alloc(_port.pool())) {
                auto out = std::span(rte_pktmbuf_mtod(m, uint8_t*), rte_pktmbuf_tailroom(m));
                m->data_len = m->pkt_len = static_cast<uint32_t>(wire::write_arp_request(out, _port.mac(), _opts.ip, hop));
                if (_port.tx_burst(0, &m, 1) == 0) rte_pktmbuf_free(m);
            }
        }
        uint16_t n = _port.rx_burst(0, rx.data(), burst);
        bool found = false;
        for (uint16_t i = 0; i < n; ++i) {
            auto bytes = std::span(rte_pktmbuf_mtod(rx[i], const uint8_t*), rx[i]->data_len);
            if (wire::parse_frame(bytes, wire::rx_checksum_offload(rx[i]->ol_flags), f) == wire::parse_error::none &&
                f.kind == wire::frame_kind::arp && f.arp.op == wire::arp_op::reply && f.arp.sender_ip == hop) {
                _server_mac = f.arp.sender_mac;
                found = true;
            }
            rte_pktmbuf_free(rx[i]);
        }
        if (found) return true;
    }
    return false;
}

void syn_flood::poll() {
    receive();
    send_syns();
}

void syn_flood::receive() {
    std::array<rte_mbuf*, burst> rx;
    uint16_t n = _port.rx_burst(0, rx.data(), burst);
    wire::parsed_frame f;
    for (uint16_t i = 0; i < n; ++i) {
        auto bytes = std::span(rte_pktmbuf_mtod(rx[i], const uint8_t*), rx[i]->data_len);
        if (wire::parse_frame(bytes, wire::rx_checksum_offload(rx[i]->ol_flags), f) == wire::parse_error::none) {
            if (f.kind == wire::frame_kind::arp) answer_arp(f);
            if (f.kind == wire::frame_kind::tcp) count_tcp(f);
        }
        rte_pktmbuf_free(rx[i]);
    }
}

// RFC 826: the server asks for the spoofed addresses before its SYN-ACKs go out.
void syn_flood::answer_arp(const wire::parsed_frame& f) {
    if (f.arp.op != wire::arp_op::request || !is_ours(f.arp.target_ip)) return;
    rte_mbuf* m = rte_pktmbuf_alloc(_port.pool());
    if (m == nullptr) return;
    auto out = std::span(rte_pktmbuf_mtod(m, uint8_t*), rte_pktmbuf_tailroom(m));
    m->data_len = m->pkt_len = static_cast<uint32_t>(
        wire::write_arp_reply(out, _port.mac(), f.arp.target_ip, f.arp.sender_mac, f.arp.sender_ip));
    if (_port.tx_burst(0, &m, 1) == 0) {
        rte_pktmbuf_free(m);
        return;
    }
    add(&syn_flood_counts::arp_replies, 1);
}

void syn_flood::count_tcp(const wire::parsed_frame& f) {
    if (f.ip.src != _opts.server_ip || f.tcp.src_port != _opts.server_port || !is_ours(f.ip.dst)) return;
    if (f.tcp.flags.has(wire::tcp_flags::rst)) {
        add(&syn_flood_counts::resets, 1);
    } else if (f.tcp.flags.has(wire::tcp_flags::syn) && f.tcp.flags.has(wire::tcp_flags::ack)) {
        add(&syn_flood_counts::syn_acks, 1);
    }
}

// The SYNs whose time has come (at most a burst per poll), or a burst when
// there is no rate.
void syn_flood::send_syns() {
    uint16_t due = burst;
    if (_interval_ns != 0) {
        uint64_t now = _now_ns();
        if (_next_ns == 0) _next_ns = now;
        uint16_t n = 0;
        while (n < burst && _next_ns <= now) {
            ++n;
            _next_ns += _interval_ns;
        }
        due = n;
    }
    std::array<rte_mbuf*, burst> frames;
    uint16_t built = 0;
    for (uint16_t i = 0; i < due; ++i) {
        rte_mbuf* m = build_syn();
        if (m == nullptr) {
            add(&syn_flood_counts::tx_dropped, 1);
            continue;
        }
        frames[built++] = m;
    }
    if (built > 0) transmit(frames.data(), built);
}

rte_mbuf* syn_flood::build_syn() {
    rte_mbuf* m = rte_pktmbuf_alloc(_port.pool());
    if (m == nullptr) return nullptr;
    uint64_t pairs = uint64_t{_opts.source_ips.count} * _opts.source_ports.count;
    uint64_t at = _cursor;
    _cursor = _cursor + 1 == pairs ? 0 : _cursor + 1;
    wire::tcp_frame_spec spec;
    spec.src_mac = _port.mac();
    spec.dst_mac = _server_mac;
    spec.src_ip = _opts.source_ips.first + static_cast<uint32_t>(at % _opts.source_ips.count);
    spec.dst_ip = _opts.server_ip;
    spec.ip_id = _ip_id++;
    spec.src_port = static_cast<uint16_t>(_opts.source_ports.first + at / _opts.source_ips.count);
    spec.dst_port = _opts.server_port;
    spec.seq = _seq;
    _seq += 0x01000193;  // distinct initial sequence numbers, cheaply
    spec.flags.bits = wire::tcp_flags::syn;
    spec.window = 65535;
    spec.options.mss = syn_mss;
    auto out = std::span(rte_pktmbuf_mtod(m, uint8_t*), rte_pktmbuf_tailroom(m));
    m->data_len = m->pkt_len = static_cast<uint32_t>(wire::write_tcp_frame(out, spec));
    return m;
}

void syn_flood::transmit(rte_mbuf** frames, uint16_t n) {
    uint16_t sent = _port.tx_burst(0, frames, n);
    for (uint16_t i = sent; i < n; ++i) rte_pktmbuf_free(frames[i]);
    add(&syn_flood_counts::syns, sent);
    add(&syn_flood_counts::tx_dropped, n - sent);
}

}  // namespace fptcp::app
