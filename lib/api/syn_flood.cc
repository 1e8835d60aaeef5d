#include "fptcp/syn_flood.hh"

#include <rte_mbuf.h>

#include <array>
#include <span>

#include "port/port.hh"
#include "runtime_impl.hh"
#include "wire/arp.hh"
#include "wire/frame.hh"
#include "wire/offload.hh"
#include "wire/tcp.hh"

namespace fptcp {

namespace {

constexpr uint16_t syn_mss = 1460;
constexpr uint64_t arp_retry_ns = 100'000'000;

uint32_t next_hop(const syn_flood_settings& o) {
    uint32_t mask = o.prefix == 0 ? 0 : ~uint32_t{0} << (32 - o.prefix);
    bool on_link = (o.server_ip & mask) == (o.ip & mask);
    return on_link || !o.gateway ? o.server_ip : *o.gateway;
}

}  // namespace

struct syn_flood::impl {
    static constexpr uint16_t burst = 32;

    impl(const syn_flood_settings& s, port::port& p, const runtime& rt)
        : settings(s), device(p), clock(rt), interval_ns(s.rate == 0 ? 0 : 1'000'000'000 / s.rate) {}

    bool resolve_server(uint64_t timeout_ns);
    void receive();
    void answer_arp(const wire::parsed_frame& f);
    void count_tcp(const wire::parsed_frame& f);
    void send_syns();
    rte_mbuf* build_syn();
    void transmit(rte_mbuf** frames, uint16_t n);
    void add(uint64_t syn_flood_counts::*field, uint64_t n) {
        total.*field += n;
        if (measuring) measured.*field += n;
    }
    bool is_ours(uint32_t ip) const {
        return ip - settings.first_source_ip < settings.source_ips || ip == settings.ip;
    }
    uint64_t now_ns() const { return clock.now_ns(); }

    syn_flood_settings settings;
    port::port& device;
    const runtime& clock;
    wire::mac_address server_mac{};
    uint64_t interval_ns;  // 0: as fast as possible
    uint64_t next_ns = 0;
    uint64_t cursor = 0;  // the next (address, port) pair
    uint32_t seq = 0;
    uint16_t ip_id = 0;
    bool measuring = false;
    syn_flood_counts total, measured;
};

std::unique_ptr<syn_flood> syn_flood::create(runtime& rt, const syn_flood_settings& s, std::string& error) {
    if (s.source_ips == 0 || s.source_ports == 0 || s.server_ip == 0 || s.prefix > 32) {
        error = "a SYN flood needs a server address, a prefix of 32 or less, and at least one source address and port";
        return nullptr;
    }
    return std::unique_ptr<syn_flood>(new syn_flood(std::make_unique<impl>(s, *rt._impl->port, rt)));
}

syn_flood::syn_flood(std::unique_ptr<impl> i) : _impl(std::move(i)) {}
syn_flood::~syn_flood() = default;

bool syn_flood::resolve_server(uint64_t timeout_ns) { return _impl->resolve_server(timeout_ns); }

void syn_flood::poll() {
    _impl->receive();
    _impl->send_syns();
}

void syn_flood::start_measuring() {
    _impl->measuring = true;
    _impl->measured = syn_flood_counts{};
}

const syn_flood_counts& syn_flood::total() const { return _impl->total; }
const syn_flood_counts& syn_flood::measured() const { return _impl->measured; }

bool syn_flood::impl::resolve_server(uint64_t timeout_ns) {
    uint32_t hop = next_hop(settings);
    uint64_t start = now_ns(), next_request = start;
    std::array<rte_mbuf*, burst> rx;
    wire::parsed_frame f;
    while (now_ns() - start < timeout_ns) {
        if (now_ns() >= next_request) {
            next_request += arp_retry_ns;
            if (rte_mbuf* m = rte_pktmbuf_alloc(device.pool())) {
                auto out = std::span(rte_pktmbuf_mtod(m, uint8_t*), rte_pktmbuf_tailroom(m));
                m->data_len = m->pkt_len = static_cast<uint32_t>(wire::write_arp_request(out, device.mac(), settings.ip, hop));
                if (device.tx_burst(0, &m, 1) == 0) rte_pktmbuf_free(m);
            }
        }
        uint16_t n = device.rx_burst(0, rx.data(), burst);
        bool found = false;
        for (uint16_t i = 0; i < n; ++i) {
            auto bytes = std::span(rte_pktmbuf_mtod(rx[i], const uint8_t*), rx[i]->data_len);
            if (wire::parse_frame(bytes, wire::rx_checksum_offload(rx[i]->ol_flags), f) == wire::parse_error::none &&
                f.kind == wire::frame_kind::arp && f.arp.op == wire::arp_op::reply && f.arp.sender_ip == hop) {
                server_mac = f.arp.sender_mac;
                found = true;
            }
            rte_pktmbuf_free(rx[i]);
        }
        if (found) return true;
    }
    return false;
}

void syn_flood::impl::receive() {
    std::array<rte_mbuf*, burst> rx;
    uint16_t n = device.rx_burst(0, rx.data(), burst);
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
void syn_flood::impl::answer_arp(const wire::parsed_frame& f) {
    if (f.arp.op != wire::arp_op::request || !is_ours(f.arp.target_ip)) return;
    rte_mbuf* m = rte_pktmbuf_alloc(device.pool());
    if (m == nullptr) return;
    auto out = std::span(rte_pktmbuf_mtod(m, uint8_t*), rte_pktmbuf_tailroom(m));
    m->data_len = m->pkt_len = static_cast<uint32_t>(
        wire::write_arp_reply(out, device.mac(), f.arp.target_ip, f.arp.sender_mac, f.arp.sender_ip));
    if (device.tx_burst(0, &m, 1) == 0) {
        rte_pktmbuf_free(m);
        return;
    }
    add(&syn_flood_counts::arp_replies, 1);
}

void syn_flood::impl::count_tcp(const wire::parsed_frame& f) {
    if (f.ip.src != settings.server_ip || f.tcp.src_port != settings.server_port || !is_ours(f.ip.dst)) return;
    if (f.tcp.flags.has(wire::tcp_flags::rst)) {
        add(&syn_flood_counts::resets, 1);
    } else if (f.tcp.flags.has(wire::tcp_flags::syn) && f.tcp.flags.has(wire::tcp_flags::ack)) {
        add(&syn_flood_counts::syn_acks, 1);
    }
}

// The SYNs whose time has come (at most a burst per poll), or a burst when
// there is no rate.
void syn_flood::impl::send_syns() {
    uint16_t due = burst;
    if (interval_ns != 0) {
        uint64_t now = now_ns();
        if (next_ns == 0) next_ns = now;
        uint16_t n = 0;
        while (n < burst && next_ns <= now) {
            ++n;
            next_ns += interval_ns;
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

rte_mbuf* syn_flood::impl::build_syn() {
    rte_mbuf* m = rte_pktmbuf_alloc(device.pool());
    if (m == nullptr) return nullptr;
    uint64_t pairs = uint64_t{settings.source_ips} * settings.source_ports;
    uint64_t at = cursor;
    cursor = cursor + 1 == pairs ? 0 : cursor + 1;
    wire::tcp_frame_spec spec;
    spec.src_mac = device.mac();
    spec.dst_mac = server_mac;
    spec.src_ip = settings.first_source_ip + static_cast<uint32_t>(at % settings.source_ips);
    spec.dst_ip = settings.server_ip;
    spec.ip_id = ip_id++;
    spec.src_port = static_cast<uint16_t>(settings.first_source_port + at / settings.source_ips);
    spec.dst_port = settings.server_port;
    spec.seq = seq;
    seq += 0x01000193;  // distinct initial sequence numbers, cheaply
    spec.flags.bits = wire::tcp_flags::syn;
    spec.window = 65535;
    spec.options.mss = syn_mss;
    auto out = std::span(rte_pktmbuf_mtod(m, uint8_t*), rte_pktmbuf_tailroom(m));
    m->data_len = m->pkt_len = static_cast<uint32_t>(wire::write_tcp_frame(out, spec));
    return m;
}

void syn_flood::impl::transmit(rte_mbuf** frames, uint16_t n) {
    uint16_t sent = device.tx_burst(0, frames, n);
    for (uint16_t i = sent; i < n; ++i) rte_pktmbuf_free(frames[i]);
    add(&syn_flood_counts::syns, sent);
    add(&syn_flood_counts::tx_dropped, n - sent);
}

}  // namespace fptcp
