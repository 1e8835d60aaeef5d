#pragma once
// An engine on side 1 of a `ring:` link and a raw peer (no engine) on side 0,
// for the benchmarks that drive the engine with frames built by lib/wire
// (engine_cycle_bench.cc, engine_scale.cc). The peer introduces its
// addresses with ARP requests, answers the engine's ARP requests, builds TCP
// frames to the engine's listening port and parses what comes back. The
// caller polls the engine with its own manual clock.

#include <rte_mbuf.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>

#include "engine/engine.hh"
#include "port/eal.hh"
#include "port/port.hh"
#include "wire/arp.hh"
#include "wire/frame.hh"
#include "wire/tcp.hh"

namespace fptcp::bench {

// Starts the EAL for a benchmark program: no huge pages, 256 MB, a file
// prefix of its own; prints the reason and returns false when it cannot.
inline bool start_eal(const std::string& program) {
    port::eal_settings s;
    s.allow_hugepages = false;
    s.memory_mb = 256;
    s.file_prefix = program + "-" + std::to_string(::getpid());
    std::string error = port::start_eal(s, program.c_str());
    if (!error.empty()) std::fprintf(stderr, "%s: %s\n", program.c_str(), error.c_str());
    return error.empty();
}

class ring_peer {
public:
    static constexpr uint32_t engine_ip = 0x0a090001;  // 10.9.0.1
    static constexpr uint16_t listen_port = 80;

    // Both ends of the link, each port's pool holding `mbufs`.
    bool open_ports(const std::string& link, std::string& error, uint32_t mbufs = port::port_settings{}.mbufs) {
        auto spec = port::parse_port_spec("ring:" + link, error);
        if (!spec) return false;
        port::port_settings ps;
        ps.mbufs = mbufs;
        _peer = port::port::open(*spec, 0, ps, error);
        if (!_peer) return false;
        _port = port::port::open(*spec, 1, ps, error);
        return _port != nullptr;
    }

    // The engine, with `settings` and ip = engine_ip, listening with `cfg`.
    // The peer's `peer_ips` addresses, 10.9.0.2 and up (on the engine's
    // link: settings.prefix), introduce themselves with ARP requests, so
    // replies need no resolution.
    bool start_engine(engine::engine_settings settings, handler& app, const tcp_config& cfg,
                      std::string& error, uint32_t peer_ips = 1) {
        settings.ip = engine_ip;
        engine = engine::engine::create(*_port, settings, app, error);
        if (!engine || !engine->listen(listen_port, cfg, error)) return false;
        for (uint32_t i = 0; i < peer_ips; ++i) {
            rte_mbuf* m = alloc();
            if (m == nullptr) {
                error = "no mbuf for the peer's ARP request";
                return false;
            }
            m->data_len = m->pkt_len =
                static_cast<uint32_t>(wire::write_arp_request(room(m), _peer->mac(), first_peer_ip + i, engine_ip));
            send({&m, 1});
            if ((i + 1) % 32 == 0) engine->poll(now);
        }
        engine->poll(now);
        drain([](const wire::parsed_frame&) {});
        return true;
    }

    bool open(const std::string& link, const engine::engine_settings& settings, handler& app,
              const tcp_config& cfg, std::string& error) {
        return open_ports(link, error) && start_engine(settings, app, cfg, error);
    }

    ~ring_peer() {
        engine.reset();  // before the ports it uses
    }

    // A TCP frame from the peer's address src_ip to the engine's listener.
    rte_mbuf* tcp_frame(wire::tcp_frame_spec spec, uint32_t src_ip = first_peer_ip) {
        spec.src_mac = _peer->mac();
        spec.dst_mac = _port->mac();
        spec.src_ip = src_ip;
        spec.dst_ip = engine_ip;
        spec.dst_port = listen_port;
        spec.ip_id = _ip_id++;
        rte_mbuf* m = alloc();
        if (m == nullptr) return nullptr;
        m->data_len = m->pkt_len = static_cast<uint32_t>(wire::write_tcp_frame(room(m), spec));
        return m;
    }

    void send(std::span<rte_mbuf*> frames) {
        uint16_t sent = _peer->tx_burst(0, frames.data(), static_cast<uint16_t>(frames.size()));
        for (std::size_t i = sent; i < frames.size(); ++i) rte_pktmbuf_free(frames[i]);
    }

    // Reads what the engine sent, answering its ARP requests; calls
    // on_frame for every frame parsed. Returns how many frames were read.
    template <class F>
    uint32_t drain(F&& on_frame) {
        std::array<rte_mbuf*, 64> frames;
        std::array<rte_mbuf*, 64> arp_replies;
        uint32_t total = 0;
        for (uint16_t n; (n = _peer->rx_burst(0, frames.data(), frames.size())) > 0;) {
            uint16_t replies = 0;
            for (uint16_t i = 0; i < n; ++i) {
                wire::parsed_frame f;
                auto bytes = std::span(rte_pktmbuf_mtod(frames[i], const uint8_t*), frames[i]->data_len);
                if (wire::parse_frame(bytes, wire::checksum_offload{}, f) == wire::parse_error::none) {
                    rte_mbuf* reply = nullptr;
                    if (f.kind == wire::frame_kind::arp && f.arp.op == wire::arp_op::request &&
                        (reply = arp_reply(f.arp)) != nullptr)
                        arp_replies[replies++] = reply;
                    on_frame(f);
                }
                rte_pktmbuf_free(frames[i]);
            }
            send({arp_replies.data(), replies});
            total += n;
        }
        return total;
    }

    // A client's SYN options: MSS, window scale, SACK permitted, timestamps.
    static wire::tcp_options syn_options(uint32_t ts_val) {
        wire::tcp_options o;
        o.mss = 1460;
        o.window_shift = 7;
        o.sack_permitted = true;
        o.has_timestamps = true;
        o.ts_val = ts_val;
        return o;
    }

    static constexpr uint32_t first_peer_ip = 0x0a090002;  // 10.9.0.2
    std::unique_ptr<engine::engine> engine;
    tcp::time_point now{};

private:
    rte_mbuf* alloc() { return rte_pktmbuf_alloc(_peer->pool()); }
    static std::span<uint8_t> room(rte_mbuf* m) {
        return {rte_pktmbuf_mtod(m, uint8_t*), rte_pktmbuf_tailroom(m)};
    }
    rte_mbuf* arp_reply(const wire::arp_view& request) {
        rte_mbuf* m = alloc();
        if (m == nullptr) return nullptr;
        m->data_len = m->pkt_len = static_cast<uint32_t>(
            wire::write_arp_reply(room(m), _peer->mac(), request.target_ip, request.sender_mac, request.sender_ip));
        return m;
    }

    std::unique_ptr<port::port> _peer, _port;
    uint16_t _ip_id = 0;
};

}  // namespace fptcp::bench
