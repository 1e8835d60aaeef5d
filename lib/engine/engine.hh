#pragma once
// One engine per lcore (docs/architecture.md, "The engine"): it polls one
// queue of one port, owns every table, timer and connection of that lcore,
// and runs the application's callbacks inline (run to completion). Nothing in
// it is shared with another lcore, so nothing in it locks.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/arp_cache.hh"
#include "engine/counters.hh"
#include "engine/fault_injector.hh"
#include "engine/flow_table.hh"
#include "engine/mailbox.hh"
#include "engine/source_picker.hh"
#include "engine/time_wait_table.hh"
#include "engine/timer_wheel.hh"
#include "fptcp/close_reason.hh"
#include "fptcp/connection.hh"
#include "fptcp/link.hh"
#include "fptcp/stack_settings.hh"
#include "fptcp/tcp_config.hh"
#include "tcp/demux.hh"
#include "tcp/isn.hh"

struct rte_mbuf;

namespace fptcp::port {
class capture;
class port;
}
namespace fptcp::wire {
struct parsed_frame;
}

namespace fptcp::engine {

using tcp::no_deadline;

class engine;

// One connection slot of an engine: the connection the application holds,
// and what the engine keeps of it. Slots live in one vector per engine and
// are reused; `tcb` is empty while the slot is free.
struct connection_slot final : fptcp::connection {
    engine* owner = nullptr;
    std::optional<tcp::tcb> tcb;
    time_point filed = no_deadline;  // the deadline the timer wheel holds
    uint32_t index = 0;
    bool announced = false;    // the application knows it (on_open, or connect())
    bool established = false;  // counted in connections_opened
    bool passive = false;
    // The state this connection is counted in (engine::connections_in);
    // closed: not counted (a fresh or freed slot).
    tcp::tcp_state counted = tcp::tcp_state::closed;
};

inline connection_slot& slot_of(connection& c) { return static_cast<connection_slot&>(c); }
inline const connection_slot& slot_of(const connection& c) { return static_cast<const connection_slot&>(c); }

// A stack's settings (fptcp/stack_settings.hh) and how its lcore is wired.
struct engine_settings : stack_settings {
    // Several lcores (docs/architecture.md, "Several lcores"): engine
    // `lcore` of `mailboxes->lcores()` uses RX and TX queue `lcore`; it polls
    // RX only when the port has that queue (`poll_rx`). ARP frames are shared
    // with every lcore; TCP frames go to the lcore that owns their flow when
    // the port does not spread flows itself (`dispatch_tcp`: no RSS, or fewer
    // RX queues than lcores).
    uint16_t queue = 0;
    bool poll_rx = true;
    mailbox_grid* mailboxes = nullptr;
    bool dispatch_tcp = false;
    port::capture* pcap = nullptr;  // every frame in and out, when set
};

class engine {
public:
    // Returns nullptr and sets `error` when the settings cannot work.
    static std::unique_ptr<engine> create(port::port& p, const engine_settings& s, handler& h, std::string& error);
    // Without a port (bring your own packets): the application hands frames
    // in with receive() and takes those to send with take_tx().
    static std::unique_ptr<engine> create(const link_settings& l, const engine_settings& s, handler& h,
                                          std::string& error);
    ~engine();
    engine(const engine&) = delete;
    engine& operator=(const engine&) = delete;

    // Passive open on `port` with these TCP settings; false (and `error`) when
    // the settings exceed the engine's buffers or too many listeners exist.
    bool listen(uint16_t port, const tcp_config& cfg, std::string& error);
    // RFC 9293 3.10.4, CLOSE in LISTEN: later SYNs to `port` are refused
    // with RST; connections it already accepted go on. False when nothing
    // listens on `port`. The listener's entry stays (connections point to
    // its tcp_config) and still counts toward max_listeners.
    bool stop_listening(uint16_t port);
    // Active open; nullptr when no connection slot or local port is free.
    connection_slot* connect(time_point now, uint32_t remote_ip, uint16_t remote_port, const tcp_config& cfg,
                        void* user = nullptr);

    // One iteration of the loop: RX burst, TCP, callbacks, timers, reaping,
    // TX flush. `now` comes from the caller's clock (TSC in production).
    // Returns the frames it took in (from the port and the other lcores): 0
    // for an idle turn, which the runtime's busy share leaves out.
    uint32_t poll(time_point now);
    // Without a port: frames the application received (the engine owns them
    // from here), handled as an RX burst is; and the frames to send, up to
    // `max`, which the application then owns. Returns how many it took.
    void receive(time_point now, rte_mbuf* const* frames, uint32_t n);
    uint32_t take_tx(rte_mbuf** out, uint32_t max);
    // Seeds the neighbour cache, as an ARP reply from `ip` would (frames
    // waiting for it leave); ARP keeps the entry fresh afterwards.
    void set_neighbor(uint32_t ip, const std::array<uint8_t, 6>& mac);

    const engine_counters& counters() const { return _counters; }
    const tcp::tcp_counters& tcp_counters() const { return _out.counters; }
    uint32_t active_connections() const { return _flows.size(); }
    uint32_t time_wait_connections() const { return static_cast<uint32_t>(_time_wait.size()); }
    // Connections in state `s` on this lcore (TIME_WAIT: the compact entries).
    uint32_t connections_in(tcp::tcp_state s) const;
    // Connections in SYN_RECEIVED (a SYN flood's half-open TCBs).
    uint32_t half_open_connections() const { return connections_in(tcp::tcp_state::syn_received); }
    const fault_counters& rx_fault_counters() const { return _fault_rx.counters(); }
    const fault_counters& tx_fault_counters() const { return _fault_tx.counters(); }

    // tcp::demux's owner interface (tcp/demux.hh); not for applications.
    // No find_connection: receive_tcp gives demux the burst lookup's answer.
    tcp::time_wait_entry* find_time_wait(const tcp::four_tuple& t) { return _time_wait.find(t); }
    void erase_time_wait(const tcp::four_tuple& t) {
        _time_wait.erase(t);
        ++_counters.time_wait_reopened;
    }
    const tcp_config* find_listener(const tcp::four_tuple& t) const;
    connection_slot* create_connection(const tcp::four_tuple& t, const tcp_config& cfg);
    tcp::tcb& tcb_of(connection_slot& c) { return *c.tcb; }
    tcp::seq_num next_iss(const tcp::four_tuple& t, time_point now);
    bool syn_flood_pressure(const tcp_config& listening) const {
        return half_open_connections() >= listening.syn_backlog || _free.empty();
    }
    tcp::syn_cookie_jar& syn_cookies() { return _cookies; }

private:
    friend class fptcp::connection;
    static constexpr uint16_t burst_size = 32;
    static constexpr uint32_t max_listeners = 16;
    static constexpr uint32_t max_connect_configs = 16;
    // Frames held per next hop while ARP resolves: a burst of SYNs to a new
    // neighbour must not be lost (Linux holds about 100).
    static constexpr std::size_t arp_hold = 64;

    struct listener {
        uint16_t port;
        tcp_config cfg;
        bool open = true;
    };

    engine(port::port* p, const link_settings& l, const engine_settings& s, handler& h);
    static std::unique_ptr<engine> create(port::port* p, const link_settings& l, const engine_settings& s, handler& h,
                                          std::string& error);

    // RX
    uint32_t receive_from_wire(time_point now);
    void take_in(time_point now, std::span<rte_mbuf*> frames);
    void receive_burst(time_point now, rte_mbuf** pkts, uint16_t n, bool from_wire);
    bool parse(rte_mbuf* m, bool from_wire, wire::parsed_frame& f);
    bool dispatch_elsewhere(rte_mbuf* m, const wire::parsed_frame& f, bool from_wire);
    void handle(time_point now, const wire::parsed_frame& f, bool from_wire, uint32_t* slot_hint);
    void receive_arp(time_point now, const wire::parsed_frame& f, bool from_wire);
    void receive_icmp(const wire::parsed_frame& f);
    void receive_tcp(time_point now, const wire::parsed_frame& f, uint32_t* slot_hint);
    // other lcores
    uint16_t owner_of(const tcp::four_tuple& t) const;
    void forward(rte_mbuf* m, uint16_t lcore);
    void share_with_other_lcores(rte_mbuf* m);
    void flush_forwarded();
    uint32_t receive_forwarded(time_point now);
    // connections
    connection_slot* connection_at(const uint32_t* slot_hint, const tcp::four_tuple& t);
    connection_slot* open_slot(const tcp::four_tuple& t, const tcp_config& cfg, bool passive);
    const tcp_config* keep_connect_config(const tcp_config& cfg);
    void settle(time_point now, connection_slot& c);
    void count_state(connection_slot& c, tcp::tcp_state s);
    void after_app_call(connection_slot& c);
    void dispatch(connection_slot& c, uint8_t events);
    void free_slot(connection_slot& c);
    void refile_timer(connection_slot& c);
    // TX
    void flush_output(time_point now, connection_slot* c);
    void send_segment(const tcp::outgoing_segment& s);
    void send_frame(rte_mbuf* m, uint32_t next_hop);
    void send_waiting(std::span<rte_mbuf*> frames, const std::array<uint8_t, 6>& mac);
    void send_arp_request(uint32_t ip);
    void enqueue_tx(rte_mbuf* m);
    void flush_tx();
    std::size_t transmit_on_port(std::span<rte_mbuf*> frames);
    std::size_t hold_for_application(std::span<rte_mbuf*> frames);
    uint32_t next_hop(uint32_t ip) const;
    uint32_t netmask() const { return _settings.prefix == 0 ? 0 : ~uint32_t{0} << (32 - _settings.prefix); }
    bool is_local(uint32_t ip) const { return ip - _settings.ip < _settings.source_ips; }
    bool is_martian(uint32_t source) const;
    rte_mbuf* alloc_frame();
    void run_timers(time_point now);

    port::port* _port;  // nullptr: the application brings its own packets
    link_settings _link;  // the port's, or the application's
    uint16_t _mtu;  // the link's: longer Ethernet payloads are dropped
    engine_settings _settings;
    handler& _handler;
    std::vector<listener> _listeners;
    // The distinct configs connect() was given: TCBs point at their config,
    // and the caller's may be a temporary.
    std::vector<tcp_config> _connect_configs;
    std::vector<connection_slot> _connections;
    std::vector<uint32_t> _free;  // free connection slots (LIFO: warm memory first)
    std::vector<timer_hook> _timers;  // one per connection slot, same index
    flow_table<uint32_t> _flows;      // tuple -> connection slot
    time_wait_table _time_wait;
    timer_wheel _wheel;
    arp_cache<rte_mbuf*, arp_hold> _arp;
    tcp::isn_generator _isn;  // this boot's key (engine/boot_secret.hh)
    // Boot's epoch minus the caller's clock's, set by the first next_iss().
    std::optional<std::chrono::microseconds> _isn_epoch;
    tcp::syn_cookie_jar _cookies;
    static constexpr std::size_t tcp_states = static_cast<std::size_t>(tcp::tcp_state::time_wait) + 1;
    std::array<uint32_t, tcp_states> _in_state{};  // connections per state (engine::count_state)
    uint8_t* _buffers = nullptr;  // max_connections x (send + receive), then the range pool's memory, mapped lazily
    std::size_t _buffers_size = 0;
    std::optional<tcp::range_pool> _ranges;  // out-of-order and SACKed ranges of this lcore's connections
    std::unique_ptr<wire::parsed_frame[]> _rx_frames;  // one burst, parsed (allocated once)
    connection_slot* _dispatching = nullptr;  // whose events are being delivered
    time_point _now;                  // of the current poll, for the application's calls
    uint16_t _ip_id = 0;
    source_picker _sources;
    std::array<rte_mbuf*, 2 * burst_size> _tx{};
    uint32_t _tx_count = 0;
    // Without a port: frames sent, until take_tx() (a ring of link.tx_queue).
    std::vector<rte_mbuf*> _outgoing;
    std::size_t _outgoing_head = 0, _outgoing_count = 0;
    // Frames for other lcores, staged per destination and pushed per burst.
    std::vector<std::array<rte_mbuf*, burst_size>> _outbox;
    std::vector<uint16_t> _outbox_count;
    tcp::tcp_output _out;
    engine_counters _counters;
    fault_injector _fault_rx;
    fault_injector _fault_tx;
    static_assert(std::tuple_size_v<decltype(_tx)> <= fault_injector::max_burst);
};

}  // namespace fptcp::engine
