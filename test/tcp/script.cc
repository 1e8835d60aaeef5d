#include "script.hh"

#include <algorithm>
#include <sstream>

namespace fptcp::tcp::testing {

void tcp_script::TearDown() {
    std::string left;
    for (const auto& s : sent) left += "\n  " + describe(s.header);
    EXPECT_TRUE(sent.empty()) << "segments sent but not expected by the script:" << left;
    sent.clear();
    if (conn) {
        conn->abort(now, out);
        collect();
        sent.clear();
    }
    if (time_wait) advance(2 * std::chrono::duration_cast<duration>(cfg.msl) + 1s);
    sent.clear();
    EXPECT_EQ(_live_tcbs, 0) << "a TCB outlived its connection";
    EXPECT_EQ(_timer_leaks, 0) << "a TCB was freed with a timer still armed";
    EXPECT_FALSE(time_wait.has_value()) << "a TIME_WAIT entry was never reaped";
}

void tcp_script::create_tcb() {
    _snd_storage.assign(cfg.send_buffer, 0);
    _rcv_storage.assign(cfg.receive_buffer, 0);
    conn.emplace(cfg, tuple, connection_storage{_snd_storage, _rcv_storage, &ranges.pool});
    ++_live_tcbs;
}

void tcp_script::connect(seq_num isn) {
    create_tcb();
    conn->open_active(now, isn, out);
    collect();
}

segment tcp_script::build(const seg_spec& s, std::vector<uint8_t>& holder) const {
    segment g;
    g.flags = tcp_flags{s.flags};
    seq_num default_seq = conn ? conn->rcv().nxt : irs();
    seq_num default_ack = conn ? conn->snd().nxt : iss() + seq_len(1);
    g.seq = s.abs_seq ? seq_num(*s.abs_seq) : s.seq_rel ? irs() + seq_len(*s.seq_rel) : default_seq;
    g.ack = s.abs_ack ? seq_num(*s.abs_ack) : s.ack_rel ? iss() + seq_len(*s.ack_rel) : default_ack;
    if (!g.has(tcp_flags::ack) && !s.abs_ack && !s.ack_rel) g.ack = seq_num(0);
    g.window = s.window.value_or(g.has(tcp_flags::syn) ? 65535 : peer_window_raw);
    g.urgent_ptr = s.urgent_ptr;
    g.options = s.options;
    if (peer_uses_ts && !s.no_ts && !g.options.has_timestamps) {
        g.options.has_timestamps = true;
        g.options.ts_val = s.ts_val.value_or(peer_ts_now());
        g.options.ts_ecr = last_ts_val;
    } else if (s.ts_val) {
        g.options.ts_val = *s.ts_val;
    }
    if (s.sack_rel) {
        g.options.sack_count = static_cast<uint8_t>(s.sack_rel->size());
        for (std::size_t i = 0; i < s.sack_rel->size() && i < tcp_options::max_sack_blocks; ++i) {
            auto [left, right] = (*s.sack_rel)[i];
            g.options.sack[i] = {(iss() + seq_len(left)).raw(), (iss() + seq_len(right)).raw()};
        }
    }
    if (s.data) holder = *s.data;
    g.payload = holder;
    return g;
}

// The fixture is the demux owner of exactly one tuple.
tcb* tcp_script::find_connection(const four_tuple&) { return conn ? &*conn : nullptr; }
time_wait_entry* tcp_script::find_time_wait(const four_tuple&) { return time_wait ? &*time_wait : nullptr; }
void tcp_script::erase_time_wait(const four_tuple&) { time_wait.reset(); }
const tcp_config* tcp_script::find_listener(const four_tuple&) const { return listening ? &cfg : nullptr; }
seq_num tcp_script::next_iss(const four_tuple&, time_point) const { return iss(); }
// One slot, taken by any connection (a half-open one too): syn_backlog 0
// is the only way to cookies while it is free.
bool tcp_script::syn_flood_pressure(const tcp_config& c) const { return c.syn_backlog == 0 || conn.has_value(); }
tcb* tcp_script::create_connection(const four_tuple&, const tcp_config&) {
    create_tcb();
    return &*conn;
}

void tcp_script::inject(const seg_spec& s, const four_tuple& to) {
    std::vector<uint8_t> holder;
    segment g = build(s, holder);
    demux(*this, to, now, g, out);
    collect();
}

// Moves segments from the output to `sent`, gathers events, and does what
// the engine does with TIME_WAIT and CLOSED TCBs.
void tcp_script::collect() {
    for (;;) {
        for (uint32_t i = 0; i < out.count; ++i) {
            const outgoing_segment& h = out.segments[i];
            sent_segment s{h, {}};
            for (const auto& part : h.payload) s.data.insert(s.data.end(), part.begin(), part.end());
            if (h.options.has_timestamps) last_ts_val = h.options.ts_val;
            sent.push_back(std::move(s));
        }
        bool more = out.data_pending;
        out.clear();
        if (!more || !conn) break;
        conn->transmit(now, out);
    }
    if (conn) events |= conn->take_events();
    settle();
}

void tcp_script::settle() {
    if (!conn || (conn->state() != tcp_state::closed && conn->state() != tcp_state::time_wait)) return;
    if (conn->state() == tcp_state::time_wait) time_wait = make_time_wait_entry(*conn, now);
    if (conn->next_deadline() != no_deadline) ++_timer_leaks;
    last_close = conn->reason();
    conn.reset();
    --_live_tcbs;
}

void tcp_script::advance(duration d) {
    time_point target = now + d;
    for (;;) {
        time_point next = no_deadline;
        if (conn) next = earliest(next, conn->next_deadline());
        if (time_wait) next = earliest(next, time_wait->deadline);
        if (next > target) break;
        now = next;
        if (conn && conn->next_deadline() <= now) {
            conn->on_timer(now, out);
            collect();
        }
        if (time_wait && time_wait->deadline <= now) time_wait.reset();  // reaped
    }
    now = target;
}

tcp_state tcp_script::state() const {
    if (conn) return conn->state();
    if (time_wait) return tcp_state::time_wait;
    return listening ? tcp_state::listen : tcp_state::closed;
}

void tcp_script::expect_tx(const seg_spec& s) {
    ASSERT_FALSE(sent.empty()) << "expected a segment, none was sent";
    sent_segment got = std::move(sent.front());
    sent.pop_front();
    const outgoing_segment& h = got.header;
    std::string what = describe(h);
    EXPECT_EQ(h.flags.bits, s.flags) << "flags differ: sent " << what;
    if (s.abs_seq) {
        EXPECT_EQ(h.seq.raw(), *s.abs_seq) << what;
    }
    if (s.seq_rel) {
        EXPECT_EQ(h.seq, iss() + seq_len(*s.seq_rel)) << "seq differs: sent " << what;
    }
    if (s.abs_ack) {
        EXPECT_EQ(h.ack.raw(), *s.abs_ack) << what;
    }
    if (s.ack_rel) {
        EXPECT_EQ(h.ack, irs() + seq_len(*s.ack_rel)) << "ack differs: sent " << what;
    }
    if (s.window) {
        EXPECT_EQ(h.window, *s.window) << "window differs: sent " << what;
    }
    if (s.data) {
        EXPECT_EQ(got.data, *s.data) << "payload differs: sent " << what;
    }
    if (s.data_len) {
        EXPECT_EQ(got.data.size(), *s.data_len) << "length differs: sent " << what;
    }
    if (s.sack_rel) {
        std::vector<std::pair<uint32_t, uint32_t>> blocks;
        for (uint8_t i = 0; i < sack_blocks_on_wire(h); ++i) {
            blocks.emplace_back(h.options.sack[i].left - irs().raw(), h.options.sack[i].right - irs().raw());
        }
        EXPECT_EQ(blocks, *s.sack_rel) << "SACK blocks differ: sent " << what;
    }
    if (s.options_set) {
        EXPECT_EQ(h.options.mss, s.options.mss) << what;
        EXPECT_EQ(h.options.window_shift, s.options.window_shift) << what;
        EXPECT_EQ(h.options.sack_permitted, s.options.sack_permitted) << what;
    }
}

void tcp_script::expect_no_tx() {
    std::string left;
    for (const auto& s : sent) left += "\n  " + describe(s.header);
    EXPECT_TRUE(sent.empty()) << "expected silence, got:" << left;
    sent.clear();
}

void tcp_script::expect_closed_by_peer_reset() {
    EXPECT_EQ(state(), tcp_state::closed);
    EXPECT_EQ(last_close, close_reason::reset_by_peer);
    EXPECT_EQ(take_events(), tcp_events::closed);
}

uint32_t tcp_script::app_send(std::string_view data, bool more) {
    auto bytes = std::span(reinterpret_cast<const uint8_t*>(data.data()), data.size());
    uint32_t n = conn->send(now, bytes, out, more);
    collect();
    return n;
}

uint32_t tcp_script::app_send(uint32_t n, uint8_t fill) {
    std::string data(n, static_cast<char>(fill));
    return app_send(data);
}

std::string tcp_script::app_read() {
    std::string data;
    for (const auto& part : conn->readable()) data.append(part.begin(), part.end());
    conn->consume(now, static_cast<uint32_t>(data.size()), out);
    collect();
    return data;
}

void tcp_script::app_shutdown() {
    conn->shutdown(now, out);
    collect();
}

void tcp_script::app_close() {
    conn->close(now, out);
    collect();
}

void tcp_script::app_abort() {
    conn->abort(now, out);
    collect();
}

namespace {

void offer(seg_spec& s, const peer_options& p, uint32_t ts_val, uint32_t ts_ecr) {
    s.options.mss = p.mss;
    s.options.window_shift = p.window_shift;
    s.options.sack_permitted = p.sack_permitted;
    s.options.has_timestamps = p.timestamps;
    s.options.ts_val = ts_val;
    s.options.ts_ecr = p.timestamps ? ts_ecr : 0;
}

}  // namespace

seg_spec tcp_script::peer_syn(const peer_options& p) const {
    seg_spec s = seg().syn().seq(0).win(p.window);
    offer(s, p, peer_ts_now(), 0);
    return s;
}

seg_spec tcp_script::peer_syn_ack(const peer_options& p) const {
    seg_spec s = seg().syn().ack().seq(0).ack_no(1).win(p.window);
    offer(s, p, peer_ts_now(), last_ts_val);
    return s;
}

void tcp_script::peer_synchronized(uint16_t window) {
    peer_uses_ts = conn->timestamps_enabled();
    peer_window_raw = static_cast<uint16_t>(window >> conn->snd().shift);
}

void tcp_script::passive_handshake(const peer_options& peer, duration rtt) {
    listen();
    inject(peer_syn(peer));
    expect_tx(seg().syn().ack().seq(0).ack_no(1));
    ASSERT_TRUE(conn.has_value());
    peer_synchronized(peer.window);
    advance(rtt);
    inject(seg().ack().seq(1).ack_no(1));
    ASSERT_EQ(state(), tcp_state::established);
    EXPECT_EQ(take_events(), tcp_events::connected);
}

void tcp_script::active_handshake(const peer_options& peer, duration rtt) {
    connect();
    expect_tx(seg().syn().seq(0));
    advance(rtt);
    inject(peer_syn_ack(peer));
    expect_tx(seg().ack().seq(1).ack_no(1));
    ASSERT_TRUE(conn.has_value());
    ASSERT_EQ(state(), tcp_state::established);
    peer_synchronized(peer.window);
    EXPECT_EQ(take_events(), tcp_events::connected);
}

std::string tcp_script::describe(const outgoing_segment& s) const {
    std::ostringstream o;
    static constexpr std::pair<uint8_t, char> names[] = {
        {tcp_flags::syn, 'S'}, {tcp_flags::fin, 'F'}, {tcp_flags::rst, 'R'},
        {tcp_flags::psh, 'P'}, {tcp_flags::urg, 'U'}, {tcp_flags::ack, '.'}};
    for (auto [bit, c] : names) {
        if (s.flags.has(bit)) o << c;
    }
    o << " seq " << static_cast<uint32_t>(s.seq - iss()) << " ack " << static_cast<uint32_t>(s.ack - irs())
      << " win " << s.window << " len " << s.payload_length();
    if (s.options.mss) o << " <mss " << *s.options.mss << ">";
    if (s.options.window_shift) o << " <wscale " << int(*s.options.window_shift) << ">";
    if (s.options.sack_permitted) o << " <sackOK>";
    if (s.options.has_timestamps) o << " <TS val " << s.options.ts_val << " ecr " << s.options.ts_ecr << ">";
    if (uint8_t n = sack_blocks_on_wire(s); n > 0) {
        o << " <sack";
        for (uint8_t i = 0; i < n; ++i) {
            o << " " << s.options.sack[i].left - irs().raw() << "-" << s.options.sack[i].right - irs().raw();
        }
        o << ">";
    }
    return o.str();
}

// The option writer keeps as many blocks as fit: 3 beside timestamps, else 4.
uint8_t tcp_script::sack_blocks_on_wire(const outgoing_segment& s) {
    return std::min<uint8_t>(s.options.sack_count, s.options.has_timestamps ? 3 : 4);
}

}  // namespace fptcp::tcp::testing
