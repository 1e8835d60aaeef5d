// The simulator's hosts and links (sim.hh, docs/sim.md).

#include "sim.hh"

#include <algorithm>
#include <cstring>

namespace fptcp::sim {

tcp::tcb* host::create_connection(const four_tuple& t, const tcp_config& c) {
    auto conn = std::make_unique<connection>();
    conn->snd.assign(c.send_buffer, 0);
    conn->rcv.assign(c.receive_buffer, 0);
    conn->tcb.emplace(c, t, tcp::connection_storage{conn->snd, conn->rcv, &ranges.pool});
    if (accept_app) conn->app = accept_app(t);
    tcp::tcb* p = &*conn->tcb;
    conns[t] = std::move(conn);
    return p;
}

tcp::seq_num host::next_iss(const four_tuple&, time_point) {
    return tcp::seq_num(static_cast<uint32_t>(_sim.rng()));
}

void host::connect(const four_tuple& t, app_state* app) {
    create_connection(t, cfg);
    connection& c = *conns[t];
    c.app = app;
    c.tcb->open_active(_sim.now, next_iss(t, _sim.now), out);
    service(t);
}

void host::receive(const four_tuple& t, const tcp::segment& s) {
    uint64_t drops_before = 0;
    for (uint64_t d : out.counters.drops) drops_before += d;
    tcp::demux(*this, t, _sim.now, s, out);
    uint64_t drops_after = 0;
    for (uint64_t d : out.counters.drops) drops_after += d;
    if (drops_after == drops_before) _sim.track_accepted(t.reversed(), s);
    flush();
    if (auto it = time_waits.find(t); it != time_waits.end()) {
        _sim.at(it->second.deadline, [this, t] { on_time_wait_event(t); });
    }
    if (conns.count(t)) service(t);
}

void host::on_timer_event(const four_tuple& t) {
    auto it = conns.find(t);
    if (it == conns.end()) return;
    connection& c = *it->second;
    if (c.scheduled != _sim.now) return;  // superseded by an earlier event
    c.scheduled = tcp::no_deadline;
    if (c.tcb->next_deadline() <= _sim.now) {
        uint64_t timeouts = out.counters.timeouts;
        tcp::seq_num una = c.tcb->snd().una;
        c.tcb->on_timer(_sim.now, out);
        if (out.counters.timeouts != timeouts) _sim.track_timeout(_index, t, una);
    }
    service(t);
}

void host::crash() {
    conns.clear();
    time_waits.clear();
    down = true;
}

void host::on_time_wait_event(const four_tuple& t) {
    auto it = time_waits.find(t);
    if (it == time_waits.end()) return;
    if (it->second.deadline <= _sim.now) time_waits.erase(it);
}

void host::schedule(const four_tuple& t, connection& c) {
    time_point d = c.tcb->next_deadline();
    if (d == tcp::no_deadline) return;
    time_point fire = _sim.fires_at(d);
    if (fire >= c.scheduled) return;
    c.scheduled = fire;
    _sim.at(fire, [this, t] { on_timer_event(t); });
}

// Sends every segment the core produced as a frame on this host's link.
void host::flush() {
    for (uint32_t i = 0; i < out.count; ++i) {
        wire::tcp_frame_spec spec = tcp::to_frame_spec(out.segments[i]);
        std::vector<uint8_t> frame(wire::tcp_frame_size(spec));
        size_t n = wire::write_tcp_frame(frame, spec);
        frame.resize(n);
        _sim.transmit(_index, out.segments[i], std::move(frame));
    }
    out.count = 0;
}

void host::transmit_pending(tcp::tcb& tcb) {
    for (;;) {
        flush();
        if (!out.data_pending) break;
        out.data_pending = false;
        tcb.transmit(_sim.now, out);
    }
}

void host::read_all(connection& c, app_state& app) {
    tcp::tcb& tcb = *c.tcb;
    std::array<uint8_t, 16384> expected;
    for (;;) {
        uint32_t n = tcb.readable_size();
        if (n == 0) break;
        auto views = tcb.readable();
        if (app.compare) {
            for (std::span<const uint8_t> v : views) {
                for (size_t done = 0; done < v.size();) {
                    size_t len = std::min(v.size() - done, expected.size());
                    fill_stream(app.expect_seed, app.received + done, std::span(expected.data(), len));
                    for (size_t i = 0; i < len; ++i) app.mismatches += v[done + i] != expected[i];
                    done += len;
                }
                app.received += v.size();
            }
        } else {
            app.received_hash.update(views[0]).update(views[1]);
            app.received += n;
        }
        app.last_receive = _sim.now;
        tcb.consume(_sim.now, n, out);
        flush();
    }
}

void host::write_all(connection& c, app_state& app) {
    tcp::tcb& tcb = *c.tcb;
    std::array<uint8_t, 16384> chunk;
    while (app.sent < app.to_send) {
        uint64_t len = std::min<uint64_t>(chunk.size(), app.to_send - app.sent);
        len = std::min<uint64_t>(len, tcb.send_space());
        if (len == 0) break;
        fill_stream(app.stream_seed, app.sent, std::span(chunk.data(), len));
        uint32_t taken = tcb.send(_sim.now, std::span(chunk.data(), len), out);
        if (!app.compare) app.sent_hash.update(std::span(chunk.data(), taken));
        app.sent += taken;
        transmit_pending(tcb);
        if (taken == 0) break;
    }
}

// The application's side after any call into connection `t`: flush, read
// everything, send what fits, shut down when all is sent, and free the TCB
// once it is closed or in TIME_WAIT.
void host::service(const four_tuple& t) {
    auto it = conns.find(t);
    if (it == conns.end()) return;
    connection& c = *it->second;
    tcp::tcb& tcb = *c.tcb;
    transmit_pending(tcb);
    uint8_t events = tcb.take_events();
    if (app_state* app = c.app) {
        read_all(c, *app);
        if ((events & tcp::tcp_events::peer_closed) != 0) app->peer_closed = true;
        bool open = tcb.state() == tcp::tcp_state::established || tcb.state() == tcp::tcp_state::close_wait;
        if (open) write_all(c, *app);
        if (open && app->close_when_sent && !app->shut && app->sent == app->to_send) {
            app->shut = true;
            tcb.shutdown(_sim.now, out);
            flush();
        }
    }
    tcp::tcp_state s = tcb.state();
    if (s == tcp::tcp_state::time_wait || s == tcp::tcp_state::closed) {
        if (c.app) {
            c.app->reason = s == tcp::tcp_state::time_wait ? close_reason::normal : tcb.reason();
            c.app->finished = true;
        }
        if (s == tcp::tcp_state::time_wait) {
            tcp::time_wait_entry e = tcp::make_time_wait_entry(tcb, _sim.now);
            time_waits[t] = e;
            _sim.at(e.deadline, [this, t] { on_time_wait_event(t); });
        } else if (tcb.next_deadline() != tcp::no_deadline) {
            ++timer_leaks;
        }
        conns.erase(it);
        return;
    }
    schedule(t, c);
}

void fill_stream(uint64_t seed, uint64_t offset, std::span<uint8_t> out) {
    size_t i = 0;
    for (; i < out.size() && (offset + i) % 8 != 0; ++i) out[i] = stream_byte(seed, offset + i);
    for (; i + 8 <= out.size(); i += 8) {
        uint64_t w = stream_word(seed, (offset + i) / 8);
        std::memcpy(&out[i], &w, 8);  // little-endian: byte k is bits 8k..8k+7
    }
    for (; i < out.size(); ++i) out[i] = stream_byte(seed, offset + i);
}

void range_set::add(uint64_t start, uint64_t end) {
    if (start >= end) return;
    auto it = _ranges.upper_bound(start);
    if (it != _ranges.begin() && std::prev(it)->second >= start) {
        --it;
        start = it->first;
        end = std::max(end, it->second);
        it = _ranges.erase(it);
    }
    while (it != _ranges.end() && it->first <= end) {
        end = std::max(end, it->second);
        it = _ranges.erase(it);
    }
    _ranges.emplace(start, end);
}

bool range_set::covers(uint64_t start, uint64_t end) const {
    auto it = _ranges.upper_bound(start);
    if (it == _ranges.begin()) return false;
    --it;
    return it->second >= end;
}

std::optional<data_frame> simulator::track_sent(int from, const tcp::outgoing_segment& s) {
    if (s.flags.has(tcp::tcp_flags::syn)) {
        stream_track& st = _streams[s.tuple];
        if (st.isn != s.seq.raw() || st.sent_end != 0) {
            st = stream_track{};
            st.isn = s.seq.raw();
        }
        return std::nullopt;
    }
    uint32_t len = s.payload_length();
    auto it = _streams.find(s.tuple);
    if (len == 0 || it == _streams.end()) return std::nullopt;
    stream_track& st = it->second;
    data_frame d{.from = from, .offset = st.offset(s.seq.raw()), .length = len, .retransmission = false};
    d.retransmission = d.offset < st.sent_end;
    sender_stats& ss = hosts[from]->sent;
    ++ss.data_segments;
    if (d.retransmission) {
        ++ss.retransmissions;
        if (st.accepted.covers(d.offset, d.offset + len)) ++ss.spurious;
    }
    st.sent_end = std::max(st.sent_end, d.offset + len);
    d.transmission = ++_transmissions;
    st.last_sent[d.offset] = {d.offset + len, d.transmission};
    if (d.transmission % 1024 == 0) forget_acknowledged(from, s.tuple, st);
    return d;
}

void simulator::forget_acknowledged(int from, const four_tuple& t, stream_track& st) {
    const tcp::tcb* tcb = hosts[from]->find_connection(t);
    if (tcb == nullptr) return;
    uint64_t una = st.offset(tcb->snd().una.raw());
    while (!st.last_sent.empty() && st.last_sent.begin()->second.first <= una) st.last_sent.erase(st.last_sent.begin());
}

// A tail loss: nothing transmitted after the latest transmission of the
// octet at `una` was accepted by the receiver. That transmission is the
// latest of those few starting at or below `una` that cover it (a
// retransmission may start elsewhere than the original).
void simulator::track_timeout(int from, const four_tuple& t, tcp::seq_num una) {
    auto it = _streams.find(t);
    if (it == _streams.end()) return;
    stream_track& st = it->second;
    forget_acknowledged(from, t, st);
    uint64_t head = st.offset(una.raw());
    uint64_t head_transmission = 0;
    auto e = st.last_sent.upper_bound(head);
    for (int looked = 0; e != st.last_sent.begin() && looked < 8; ++looked) {
        --e;
        if (e->second.first > head) head_transmission = std::max(head_transmission, e->second.second);
    }
    if (head_transmission != 0 && st.latest_accepted <= head_transmission) ++hosts[from]->sent.tail_timeouts;
}

void simulator::track_accepted(const four_tuple& sender, const tcp::segment& s) {
    if (s.payload.empty()) return;
    auto it = _streams.find(sender);
    if (it == _streams.end()) return;
    uint64_t off = it->second.offset(s.seq.raw());
    it->second.accepted.add(off, off + s.payload.size());
    it->second.latest_accepted = std::max(it->second.latest_accepted, _arriving);
}

time_point simulator::fires_at(time_point deadline) const {
    if (timer_tick.count() <= 0 || deadline <= start) return deadline;
    int64_t ticks = ((deadline - start).count() + timer_tick.count() - 1) / timer_tick.count();
    return start + ticks * timer_tick;
}

time_point simulator::arrival(int from, time_point depart) {
    const link_config& l = links[from];
    time_point arrive = depart + l.delay;
    if (l.jitter.count() > 0) {
        arrive += duration(static_cast<int64_t>(uniform() * static_cast<double>(l.jitter.count() + 1)));
        arrive = std::max(arrive, _fifo_arrival[from]);
        _fifo_arrival[from] = arrive;
    }
    return arrive;
}

// One frame onto link `from`: drop-tail queue, serialisation at the link
// rate, then the faults, each decided by the simulator's one RNG.
void simulator::transmit(int from, const tcp::outgoing_segment& s, std::vector<uint8_t> frame) {
    const link_config& l = links[from];
    link_stats& st = stats[from];
    ++st.sent;
    std::optional<data_frame> data = track_sent(from, s);
    if (data && l.drop_data && l.drop_data(*data)) {
        ++st.scripted_drops;
        count_lost(from, data);
        return;
    }
    time_point depart = now;
    if (l.rate > 0) {
        // Serialisation in nanoseconds (a 1514-byte frame takes 1.2 us at
        // 10 Gbit/s), arrival rounded up to the core's microsecond clock.
        int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now - start).count();
        int64_t free_ns = std::max(now_ns, _link_free_ns[from]);
        auto waiting = static_cast<uint64_t>(free_ns - now_ns) * l.rate / 1'000'000'000ull;
        if (waiting + frame.size() > l.queue_bytes) {
            ++st.queue_drops;
            count_lost(from, data);
            return;
        }
        _link_free_ns[from] = free_ns + static_cast<int64_t>((frame.size() * 1'000'000'000ull + l.rate - 1) / l.rate);
        depart = start + duration((_link_free_ns[from] + 999) / 1000);
    }
    time_point arrive = arrival(from, depart);
    if (l.burst_p_bad > 0) {
        _burst_bad[from] = _burst_bad[from] ? !chance(l.burst_p_good) : chance(l.burst_p_bad);
        if (_burst_bad[from]) {
            ++st.burst_lost;
            count_lost(from, data);
            return;
        }
    }
    if (chance(l.loss)) {
        ++st.lost;
        count_lost(from, data);
        return;
    }
    for (const blackout& b : l.blackouts) {
        if (arrive >= start + b.from && arrive < start + b.to) {
            ++st.blackout_drops;
            count_lost(from, data);
            return;
        }
    }
    if (chance(l.reorder)) {
        ++st.reordered;
        arrive += duration(static_cast<int64_t>(uniform() * static_cast<double>(l.reorder_delay.count())));
    }
    if (chance(l.corrupt) && frame.size() > 34) {
        // Flip one bit of the TCP segment (not its data-offset byte, whose
        // check precedes the checksum's): only the checksum can catch it.
        size_t tcp_start = 34;
        size_t pos;
        do {
            pos = tcp_start + static_cast<size_t>(rng() % (frame.size() - tcp_start));
        } while (pos == tcp_start + 12);
        frame[pos] ^= static_cast<uint8_t>(1u << (rng() % 8));
        ++st.corrupted;
    }
    uint64_t n = data ? data->transmission : 0;
    if (chance(l.duplicate)) {
        ++st.duplicated;
        auto copy = std::make_shared<std::vector<uint8_t>>(frame);
        at(arrive + 1us, [this, from, copy, n] { deliver(from, *copy, n); });
    }
    auto f = std::make_shared<std::vector<uint8_t>>(std::move(frame));
    at(arrive, [this, from, f, n] { deliver(from, *f, n); });
}

void simulator::deliver(int from, const std::vector<uint8_t>& frame, uint64_t transmission) {
    link_stats& st = stats[from];
    wire::parsed_frame p;
    wire::parse_error e = wire::parse_frame(frame, wire::checksum_offload{}, p);
    if (e != wire::parse_error::none || p.kind != wire::frame_kind::tcp) {
        if (e == wire::parse_error::bad_tcp_checksum) {
            ++st.checksum_rejects;
        } else {
            ++st.other_rejects;
        }
        return;
    }
    if (hosts[1 - from]->down) {
        ++st.down_drops;
        return;
    }
    ++st.delivered;
    tcp::segment s = tcp::to_segment(p.tcp);
    hash_u64(static_cast<uint64_t>((now - start).count()));
    hash_u64(static_cast<uint64_t>(from));
    hash_u64(s.seq.raw());
    hash_u64(s.ack.raw());
    hash_u64(s.flags.bits);
    hash_u64(s.payload.size());
    if (verbose) {
        std::printf("%12.6f %c>%c seq %u ack %u flags %02x len %zu win %u\n",
                    std::chrono::duration<double>(now - start).count(), "AB"[from], "BA"[from], s.seq.raw(),
                    s.ack.raw(), s.flags.bits, s.payload.size(), s.window);
    }
    _arriving = transmission;
    hosts[1 - from]->receive(tcp::arriving_tuple(p.ip, p.tcp), s);
    _arriving = 0;
}

bool simulator::run(const std::function<bool()>& done, duration limit) {
    time_point end = now + limit;
    while (!done()) {
        if (_queue.empty() || _queue.top().t > end) {
            now = end;  // nothing happens until then
            return false;
        }
        event e = _queue.top();
        _queue.pop();
        now = e.t;
        ++events;
        e.fn();
    }
    return true;
}

}  // namespace fptcp::sim
